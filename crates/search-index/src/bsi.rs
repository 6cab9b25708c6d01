//! A bit-sliced index: one bitmap per bit of a small unsigned number (the count of children),
//! so that "at least c" and "at most c" over a set of persons take two bitmap operations per
//! bit, whatever the range (O'Neil and Quass, "Improved query performance
//! with variant indexes", 1997).

use roaring::RoaringBitmap;

#[derive(Debug, Clone)]
pub(crate) struct Bsi {
    /// `slices[i]` holds the persons whose value has bit `i` set.
    slices: Vec<RoaringBitmap>,
}

impl Bsi {
    pub(crate) fn new(bits: u32) -> Bsi {
        Bsi { slices: vec![RoaringBitmap::new(); bits as usize] }
    }

    /// The largest value the slices hold.
    pub(crate) fn max_value(&self) -> u32 {
        if self.slices.len() >= 32 { u32::MAX } else { (1u32 << self.slices.len()) - 1 }
    }

    pub(crate) fn insert(&mut self, seq: u32, value: u32) {
        for (i, slice) in self.slices.iter_mut().enumerate() {
            if value >> i & 1 == 1 {
                slice.insert(seq);
            }
        }
    }

    pub(crate) fn remove(&mut self, seq: u32, value: u32) {
        for (i, slice) in self.slices.iter_mut().enumerate() {
            if value >> i & 1 == 1 {
                slice.remove(seq);
            }
        }
    }

    /// The members of `among` whose value is at most `c`.
    pub(crate) fn at_most(&self, c: u32, among: RoaringBitmap) -> RoaringBitmap {
        if c >= self.max_value() {
            return among;
        }
        let mut below = RoaringBitmap::new();
        let mut equal = among;
        for (i, slice) in self.slices.iter().enumerate().rev() {
            if c >> i & 1 == 1 {
                below |= &equal - slice;
                equal &= slice;
            } else {
                equal -= slice;
            }
        }
        below | equal
    }

    /// The members of `among` whose value is at least `c`.
    pub(crate) fn at_least(&self, c: u32, among: RoaringBitmap) -> RoaringBitmap {
        if c == 0 {
            return among;
        }
        if c > self.max_value() {
            return RoaringBitmap::new();
        }
        let mut above = RoaringBitmap::new();
        let mut equal = among;
        for (i, slice) in self.slices.iter().enumerate().rev() {
            if c >> i & 1 == 1 {
                equal &= slice;
            } else {
                above |= &equal & slice;
                equal -= slice;
            }
        }
        above | equal
    }

    pub(crate) fn bytes(&self) -> usize {
        self.slices.iter().map(RoaringBitmap::serialized_size).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ranges_match_a_plain_comparison(
            values in proptest::collection::vec(0u32..300, 0..200),
            c in 0u32..600,
        ) {
            let mut bsi = Bsi::new(9);
            let mut all = RoaringBitmap::new();
            for (seq, v) in values.iter().enumerate() {
                bsi.insert(seq as u32, *v);
                all.insert(seq as u32);
            }
            // A value that changed is taken out of its old slices.
            if let Some(v) = values.first() {
                bsi.remove(0, *v);
                bsi.insert(0, 7);
            }
            let value = |seq: usize| if seq == 0 { 7 } else { values[seq] };
            let want_le: Vec<u32> =
                (0..values.len()).filter(|s| value(*s) <= c).map(|s| s as u32).collect();
            let want_ge: Vec<u32> =
                (0..values.len()).filter(|s| value(*s) >= c).map(|s| s as u32).collect();
            prop_assert_eq!(bsi.at_most(c, all.clone()).iter().collect::<Vec<_>>(), want_le);
            prop_assert_eq!(bsi.at_least(c, all).iter().collect::<Vec<_>>(), want_ge);
        }
    }
}
