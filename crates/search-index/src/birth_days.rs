//! Birth days for range filters ("born from … to …", and every age bound): the persons split
//! into buckets of about equal size at the build (boundaries at quantiles), with one bitmap of
//! "born on or before this boundary" per boundary. A range is then a superset made of whole
//! buckets — one operation on two dense bitmaps, which a search intersects with its other
//! conditions in order of size like any of them — and, once everything else is intersected, a
//! look at each remaining candidate's day.
//! Bit slices would cost two operations over every candidate per bit instead.

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
    /// Each bucket's members with their days, by position: a bound's edge candidates are looked
    /// up here in one walk over a few kilobytes, not one cache miss each in a table of every
    /// person.
    days: Vec<Vec<(u32, u32)>>,
}

impl Default for BirthDays {
    /// One bucket (before a build has drawn the boundaries).
    fn default() -> BirthDays {
        BirthDays::for_days(Vec::new())
    }
}

/// Inclusive bounds in day numbers (`None`: open).
pub(crate) type Range = (Option<u32>, Option<u32>);

impl BirthDays {
    /// Boundaries for these days (any order), at quantiles.
    pub(crate) fn for_days(mut days: Vec<u32>) -> BirthDays {
        days.sort_unstable();
        let mut bounds: Vec<u32> =
            (1..BUCKETS).filter_map(|k| days.get(k * days.len() / BUCKETS).copied()).collect();
        bounds.dedup();
        BirthDays {
            upto: vec![RoaringBitmap::new(); bounds.len()],
            days: vec![Vec::new(); bounds.len() + 1],
            bounds,
        }
    }

    /// The bucket of `day`: the number of bounds below it.
    fn bucket(&self, day: u32) -> usize {
        self.bounds.partition_point(|b| *b < day)
    }

    pub(crate) fn insert(&mut self, seq: u32, day: u32) {
        let k = self.bucket(day);
        let days = &mut self.days[k];
        match days.binary_search_by_key(&seq, |(s, _)| *s) {
            Ok(at) => days[at].1 = day,
            Err(at) => days.insert(at, (seq, day)),
        }
        for upto in &mut self.upto[k..] {
            upto.insert(seq);
        }
    }

    pub(crate) fn remove(&mut self, seq: u32, day: u32) {
        let k = self.bucket(day);
        let days = &mut self.days[k];
        if let Ok(at) = days.binary_search_by_key(&seq, |(s, _)| *s) {
            days.remove(at);
        }
        for upto in &mut self.upto[k..] {
            upto.remove(seq);
        }
    }

    /// Everyone in the buckets `range` touches (a superset of the range; `None` when that is
    /// everyone).
    pub(crate) fn coarse(&self, (from, to): Range, alive: &RoaringBitmap) -> Option<RoaringBitmap> {
        // Below the first bucket `from` touches, and up to the last one `to` touches.
        let below = from.map(|d| self.bucket(d)).and_then(|k| k.checked_sub(1));
        let upto = to.map(|d| self.bucket(d)).filter(|k| *k < self.upto.len());
        match (below, upto) {
            (None, None) => None,
            (None, Some(b)) => Some(self.upto[b].clone()),
            (Some(a), Some(b)) => Some(&self.upto[b] - &self.upto[a]),
            (Some(a), None) => Some(alive - &self.upto[a]),
        }
    }

    /// Takes out of `out` (already within [`BirthDays::coarse`]) the members born outside
    /// `range`: of each bucket a bound falls in, its members in `out` are picked out with the
    /// dense "born on or before" bitmaps (word operations, or a bit test per candidate), and
    /// only those have their day looked at, walking the bucket's own list beside them.
    pub(crate) fn trim(&self, out: &mut RoaringBitmap, (from, to): Range) {
        let mut rejects = RoaringBitmap::new();
        let mut edge = |k: usize, outside: &dyn Fn(u32) -> bool| {
            let mut edge = match self.upto.get(k) {
                Some(upto) => &*out & upto,
                None => out.clone(),
            };
            if let Some(before) = k.checked_sub(1) {
                edge -= &self.upto[before];
            }
            let mut days = self.days[k].iter().peekable();
            for seq in &edge {
                while days.next_if(|(s, _)| *s < seq).is_some() {}
                if let Some((s, day)) = days.peek()
                    && *s == seq
                    && outside(*day)
                {
                    rejects.insert(seq);
                }
            }
        };
        if let Some(from) = from {
            edge(self.bucket(from), &|d| d < from);
        }
        if let Some(to) = to {
            edge(self.bucket(to), &|d| d > to);
        }
        if !rejects.is_empty() {
            *out -= rejects;
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        for days in &mut self.days {
            days.shrink_to_fit();
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.upto.iter().map(RoaringBitmap::serialized_size).sum::<usize>()
            + self.days.iter().map(|d| d.capacity() * 8).sum::<usize>()
            + self.bounds.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ranges_match_a_plain_comparison(
            days in proptest::collection::vec(0u32..2000, 1..800),
            moved in proptest::collection::vec((0usize..800, 0u32..2500), 0..20),
            from in proptest::option::of(0u32..2600),
            to in proptest::option::of(0u32..2600),
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
            let mut out = match bd.coarse((from, to), &all) {
                Some(coarse) => &all & &coarse,
                None => all,
            };
            bd.trim(&mut out, (from, to));
            let want: Vec<u32> = (0..now.len() as u32)
                .filter(|s| {
                    let d = now[*s as usize];
                    from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t)
                })
                .collect();
            prop_assert_eq!(out.iter().collect::<Vec<_>>(), want);
        }
    }
}
