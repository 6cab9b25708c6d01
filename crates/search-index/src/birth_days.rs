//! Birth days for range filters ("born from … to …", and every age bound): the persons split
//! into buckets of about equal size at the build (boundaries at quantiles), with one bitmap of
//! "born on or before this boundary" each. A bound is then two operations with those bitmaps
//! plus a look at each candidate of the one bucket the bound falls in — a few hundred persons,
//! where bit slices cost two operations over every candidate per bit.

use roaring::RoaringBitmap;

/// Buckets at a build (each about 1/128 of the persons: ~9,400 of 1.2 million).
const BUCKETS: usize = 128;

#[derive(Debug, Clone)]
pub(crate) struct BirthDays {
    /// Ascending day numbers: bucket `k` holds the days in `(bounds[k - 1], bounds[k]]`; the
    /// last bucket (`bounds.len()`) every day after the last bound.
    bounds: Vec<u32>,
    /// `upto[k]`: everyone born on or before `bounds[k]`.
    upto: Vec<RoaringBitmap>,
}

impl Default for BirthDays {
    /// One bucket (before a build has drawn the boundaries).
    fn default() -> BirthDays {
        BirthDays::for_days(Vec::new())
    }
}

impl BirthDays {
    /// Boundaries for these days (any order), at quantiles.
    pub(crate) fn for_days(mut days: Vec<u32>) -> BirthDays {
        days.sort_unstable();
        let mut bounds: Vec<u32> =
            (1..BUCKETS).filter_map(|k| days.get(k * days.len() / BUCKETS).copied()).collect();
        bounds.dedup();
        BirthDays { upto: vec![RoaringBitmap::new(); bounds.len()], bounds }
    }

    /// The bucket of `day`: the number of bounds below it.
    fn bucket(&self, day: u32) -> usize {
        self.bounds.partition_point(|b| *b < day)
    }

    pub(crate) fn insert(&mut self, seq: u32, day: u32) {
        let k = self.bucket(day);
        for upto in &mut self.upto[k..] {
            upto.insert(seq);
        }
    }

    pub(crate) fn remove(&mut self, seq: u32, day: u32) {
        let k = self.bucket(day);
        for upto in &mut self.upto[k..] {
            upto.remove(seq);
        }
    }

    /// The members of `among` born on or before `day`; `day_of` gives a member's birth day.
    pub(crate) fn at_most(
        &self,
        day: u32,
        among: &RoaringBitmap,
        day_of: impl Fn(u32) -> u32,
    ) -> RoaringBitmap {
        // Everyone up to the end of `day`'s bucket, then the bucket's later days taken out.
        // Each step tests a candidate's bit in a dense bitmap, which is much cheaper than
        // merging two sparse ones.
        let k = self.bucket(day);
        let mut out = match self.upto.get(k) {
            Some(upto) => among & upto,
            None => among.clone(),
        };
        let edge = match k.checked_sub(1) {
            Some(before) => &out - &self.upto[before],
            None => out.clone(),
        };
        for seq in edge.iter().filter(|s| day_of(*s) > day) {
            out.remove(seq);
        }
        out
    }

    /// The members of `among` born on or after `day`.
    pub(crate) fn at_least(
        &self,
        day: u32,
        mut among: RoaringBitmap,
        day_of: impl Fn(u32) -> u32,
    ) -> RoaringBitmap {
        // Buckets before `day`'s hold only earlier days; of its own bucket, the earlier ones go.
        let k = self.bucket(day);
        if let Some(before) = k.checked_sub(1) {
            among -= &self.upto[before];
        }
        let earlier: Vec<u32> = match self.upto.get(k) {
            Some(upto) => (&among & upto).iter().filter(|s| day_of(*s) < day).collect(),
            None => among.iter().filter(|s| day_of(*s) < day).collect(),
        };
        for seq in earlier {
            among.remove(seq);
        }
        among
    }

    pub(crate) fn bytes(&self) -> usize {
        self.upto.iter().map(RoaringBitmap::serialized_size).sum::<usize>() + self.bounds.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bounds_match_a_plain_comparison(
            days in proptest::collection::vec(0u32..2000, 1..600),
            moved in proptest::collection::vec((0usize..600, 0u32..2500), 0..20),
            day in 0u32..2600,
        ) {
            let mut bd = BirthDays::for_days(days.clone());
            let mut now = days.clone();
            for (seq, d) in days.iter().enumerate() {
                bd.insert(seq as u32, *d);
            }
            // Days changed after the build, also beyond the last bound.
            for (seq, d) in moved {
                if seq < now.len() {
                    bd.remove(seq as u32, now[seq]);
                    bd.insert(seq as u32, d);
                    now[seq] = d;
                }
            }
            let all: RoaringBitmap = (0..now.len() as u32).collect();
            let day_of = |s: u32| now[s as usize];
            let want = |keep: &dyn Fn(u32) -> bool| -> Vec<u32> {
                (0..now.len() as u32).filter(|s| keep(now[*s as usize])).collect()
            };
            prop_assert_eq!(bd.at_most(day, &all, day_of).iter().collect::<Vec<_>>(), want(&|d| d <= day));
            prop_assert_eq!(bd.at_least(day, all, day_of).iter().collect::<Vec<_>>(), want(&|d| d >= day));
        }
    }
}
