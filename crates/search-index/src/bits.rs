//! A plain bitset over load-order positions, for the values many persons share (a gender, a
//! marital status, a yes/no fact, a large place, everyone born up to a day).
//!
//! A search over such values is an AND of a few long arrays of words: one straight pass each,
//! which the compiler vectorises, with no per-container dispatch, conversion or allocation as
//! a roaring bitmap's operations have (the profile of the uncached search spent half its time
//! there). At 1.2 million persons one bitset is 150 kB; only values held by at least 1/64 of
//! the persons get one, so it never takes more than 8 bytes a member. Beside the set type,
//! plain word arrays (a search's answer) get the same few operations as free functions.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bits {
    words: Vec<u64>,
    ones: u64,
}

impl Bits {
    /// Of ascending positions.
    pub(crate) fn from_sorted(list: &[u32]) -> Bits {
        let mut bits = Bits::default();
        if let Some(max) = list.last() {
            bits.words = vec![0; *max as usize / 64 + 1];
        }
        for seq in list {
            bits.insert(*seq);
        }
        bits
    }

    pub(crate) fn insert(&mut self, seq: u32) {
        let (word, bit) = (seq as usize / 64, 1u64 << (seq % 64));
        if word >= self.words.len() {
            // Grows by an eighth at least: new persons come one by one at the end.
            let want = (word + 1).max(self.words.len() + self.words.len() / 8);
            self.words.resize(want, 0);
        }
        if self.words[word] & bit == 0 {
            self.words[word] |= bit;
            self.ones += 1;
        }
    }

    /// Adds every member of `other`.
    pub(crate) fn union_with(&mut self, other: &Bits) {
        if self.words.len() < other.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
        self.ones = count(&self.words);
    }

    pub(crate) fn remove(&mut self, seq: u32) {
        if let Some(w) = self.words.get_mut(seq as usize / 64) {
            let bit = 1u64 << (seq % 64);
            if *w & bit != 0 {
                *w &= !bit;
                self.ones -= 1;
            }
        }
    }

    pub(crate) fn contains(&self, seq: u32) -> bool {
        self.word(seq as usize / 64) >> (seq % 64) & 1 == 1
    }

    /// Word `i` (zero beyond the end).
    pub(crate) fn word(&self, i: usize) -> u64 {
        self.words.get(i).copied().unwrap_or(0)
    }

    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }

    /// How many members.
    pub(crate) fn len(&self) -> u64 {
        self.ones
    }

    pub(crate) fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.words.shrink_to_fit();
    }
}

thread_local! {
    /// Word arrays given back after a search, for the next one on this thread: a fresh one is
    /// 150 kB at 1.2 million persons, which the allocator hands back to the kernel and the
    /// kernel zeroes again page by page (a quarter of a search's time, profiled).
    static SPARE: std::cell::RefCell<Vec<Vec<u64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty word array, reused if one was given back on this thread.
pub(crate) fn words_buffer() -> Vec<u64> {
    SPARE.with(|s| s.borrow_mut().pop()).unwrap_or_default()
}

/// Keeps `words` for [`words_buffer`] (two at most per thread).
pub(crate) fn give_back(mut words: Vec<u64>) {
    words.clear();
    SPARE.with(|s| {
        let mut spare = s.borrow_mut();
        if spare.len() < 2 {
            spare.push(words);
        }
    });
}

/// How many bits of `words` are set.
pub(crate) fn count(words: &[u64]) -> u64 {
    words.iter().map(|w| u64::from(w.count_ones())).sum()
}

/// Sets bit `seq` of `words` (grown to hold it); whether it was clear.
pub(crate) fn set(words: &mut Vec<u64>, seq: u32) -> bool {
    let at = seq as usize / 64;
    if at >= words.len() {
        words.resize(at + 1, 0);
    }
    let was = words[at];
    words[at] |= 1 << (seq % 64);
    was != words[at]
}

/// Clears bit `seq` of `words` (nothing beyond the end).
pub(crate) fn clear(words: &mut [u64], seq: u32) {
    if let Some(w) = words.get_mut(seq as usize / 64) {
        *w &= !(1 << (seq % 64));
    }
}

/// The members of a word array, ascending.
pub(crate) fn members(words: &[u64]) -> impl Iterator<Item = u32> + '_ {
    words.iter().enumerate().flat_map(|(i, w)| ones(*w, i))
}

/// The positions of the set bits of word `i`, ascending.
pub(crate) fn ones(mut w: u64, i: usize) -> impl Iterator<Item = u32> {
    let base = (i as u32).wrapping_mul(64);
    std::iter::from_fn(move || {
        (w != 0).then(|| {
            let bit = w.trailing_zeros();
            w &= w - 1;
            base + bit
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use roaring::RoaringBitmap;

    proptest! {
        #[test]
        fn holds_what_a_set_holds(
            start in proptest::collection::btree_set(0u32..5000, 0..300),
            changes in proptest::collection::vec((any::<bool>(), 0u32..6000), 0..100),
        ) {
            let set: RoaringBitmap = start.iter().copied().collect();
            let mut bits = Bits::from_sorted(&set.iter().collect::<Vec<_>>());
            let mut want = set.clone();
            for (add, seq) in changes {
                if add { bits.insert(seq); want.insert(seq); } else { bits.remove(seq); want.remove(seq); }
            }
            prop_assert_eq!(bits.len(), want.len());
            prop_assert_eq!(members(bits.words()).collect::<Vec<_>>(), want.iter().collect::<Vec<_>>());
            for seq in 0..6100 {
                prop_assert_eq!(bits.contains(seq), want.contains(seq));
            }
        }
    }
}
