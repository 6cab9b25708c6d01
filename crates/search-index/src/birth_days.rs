//! Birth days for range filters ("born from … to …", and every age bound): the persons split
//! into buckets of about equal size at the build (boundaries at quantiles), with one bitset of
//! "born on or before this boundary" per boundary. A range is then the whole buckets it
//! touches — "born up to the last one and not before the first one", two bitsets a search
//! ANDs in like any other condition — less, in the one or two buckets a bound falls in, the
//! members whose own day is outside: only those few have their day looked up, in the bucket's
//! own list (ascending positions, so each look goes on from the last: a table of every
//! person's day, looked up at random, spent half the time of a search waiting for memory).

use crate::bits::Bits;

/// Buckets at a build (each about 1/256 of the persons: ~4,700 of 1.2 million). More buckets
/// cost a bitset each (150 kB at 1.2 million, 38 MB in all) and leave fewer members to check
/// at a bound: at 128, clearing the edges' members took longer than all the ANDs of a search
/// (the index's share of an uncached search went from 58 to 37 µs with 256, measured).
const BUCKETS: usize = 256;

#[derive(Debug, Clone)]
pub(crate) struct BirthDays {
    /// Ascending day numbers: bucket `k` holds the days in `(bounds[k - 1], bounds[k]]`; the
    /// last bucket (`bounds.len()`) every day after the last bound.
    bounds: Vec<u32>,
    /// `upto[k]`: everyone born on or before `bounds[k]`.
    upto: Vec<Bits>,
    /// Each bucket's members with their days, by position.
    days: Vec<Vec<(u32, u32)>>,
    /// The same as `(day, position)`, by day: those outside a bound are one end of it.
    by_day: Vec<Vec<(u32, u32)>>,
}

impl Default for BirthDays {
    /// One bucket (before a build has drawn the boundaries).
    fn default() -> BirthDays {
        BirthDays::for_days(Vec::new())
    }
}

/// Inclusive bounds in day numbers (`None`: open).
pub(crate) type Range = (Option<u32>, Option<u32>);

/// What a range asks of a search: to be in `within`, not in `before`, and to pass the `edges`.
#[derive(Debug)]
pub(crate) struct Span<'a> {
    /// Everyone up to the last bucket the range touches (`None`: no upper cut).
    pub(crate) within: Option<&'a Bits>,
    /// Everyone before the first bucket it touches (`None`: no lower cut).
    pub(crate) before: Option<&'a Bits>,
    /// The buckets a bound falls in, whose members need their day checked.
    pub(crate) edges: Vec<Edge<'a>>,
}

/// A bucket a bound falls in.
#[derive(Debug)]
pub(crate) struct Edge<'a> {
    /// The bucket is `upto` (`None`: everyone) less `below` (`None`: nobody).
    upto: Option<&'a Bits>,
    below: Option<&'a Bits>,
    days: &'a [(u32, u32)],
    by_day: &'a [(u32, u32)],
    bound: u32,
    /// The bound is a `from` (days before it are out) rather than a `to`.
    lower: bool,
}

impl Edge<'_> {
    pub(crate) fn holds(&self, seq: u32) -> bool {
        self.upto.is_none_or(|b| b.contains(seq)) && !self.below.is_some_and(|b| b.contains(seq))
    }

    /// The members of the bucket born outside the range, as `(day, position)`.
    pub(crate) fn outside(&self) -> &[(u32, u32)] {
        if self.lower {
            &self.by_day[..self.by_day.partition_point(|(d, _)| *d < self.bound)]
        } else {
            &self.by_day[self.by_day.partition_point(|(d, _)| *d <= self.bound)..]
        }
    }

    /// Whether member `seq` of the bucket is outside the range; `at` is where the last look
    /// ended (members are asked for in ascending order): a galloping search on from there.
    pub(crate) fn rejects(&self, seq: u32, at: &mut usize) -> bool {
        let list = self.days;
        let (mut lo, mut hi, mut step) = (*at, *at, 1);
        while hi < list.len() && list[hi].0 < seq {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        let hi = hi.min(list.len());
        *at = lo + list[lo..hi].partition_point(|(s, _)| *s < seq);
        match list.get(*at) {
            Some((s, day)) if *s == seq => {
                if self.lower {
                    *day < self.bound
                } else {
                    *day > self.bound
                }
            }
            _ => false,
        }
    }
}

impl BirthDays {
    /// Boundaries for these days (any order), at quantiles; no members yet, but each bucket's
    /// lists made with room for exactly those of `days` it will hold: grown by doubling and
    /// then shrunk, they left some 20 MB of the build's garbage resident for a while (measured).
    fn for_days(mut days: Vec<u32>) -> BirthDays {
        days.sort_unstable();
        let mut bounds: Vec<u32> =
            (1..BUCKETS).filter_map(|k| days.get(k * days.len() / BUCKETS).copied()).collect();
        bounds.dedup();
        // Bucket `k` holds the days in `(bounds[k - 1], bounds[k]]`.
        let ends = bounds.iter().map(|b| days.partition_point(|d| d <= b)).chain([days.len()]);
        let mut start = 0;
        let sizes: Vec<usize> = ends
            .map(|end| {
                let n = end - start;
                start = end;
                n
            })
            .collect();
        BirthDays {
            upto: vec![Bits::default(); bounds.len()],
            days: sizes.iter().map(|n| Vec::with_capacity(*n)).collect(),
            by_day: sizes.iter().map(|n| Vec::with_capacity(*n)).collect(),
            bounds,
        }
    }

    /// Buckets for these members (`(position, day)`, positions ascending), with boundaries at
    /// quantiles of their days.
    pub(crate) fn of(members: &[(u32, u32)]) -> BirthDays {
        let mut bd = BirthDays::for_days(members.iter().map(|(_, d)| *d).collect());
        // The bitsets too at their final size.
        let words = members.last().map_or(0, |(seq, _)| *seq as usize / 64 + 1);
        bd.upto.iter_mut().for_each(|upto| *upto = Bits::of_words(words));
        for &(seq, day) in members {
            let k = bd.bucket(day);
            bd.days[k].push((seq, day));
            bd.by_day[k].push((day, seq));
            // Only its own bucket's "up to" here; each takes in the one before it below.
            if let Some(upto) = bd.upto.get_mut(k) {
                upto.insert(seq);
            }
        }
        for by_day in &mut bd.by_day {
            by_day.sort_unstable();
        }
        for k in 1..bd.upto.len() {
            let (below, here) = bd.upto.split_at_mut(k);
            here[0].union_with(&below[k - 1]);
        }
        bd.shrink_to_fit();
        bd
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
        let by_day = &mut self.by_day[k];
        if let Err(at) = by_day.binary_search(&(day, seq)) {
            by_day.insert(at, (day, seq));
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
        let by_day = &mut self.by_day[k];
        if let Ok(at) = by_day.binary_search(&(day, seq)) {
            by_day.remove(at);
        }
        for upto in &mut self.upto[k..] {
            upto.remove(seq);
        }
    }

    /// What `range` asks of a search.
    pub(crate) fn span(&self, (from, to): Range) -> Span<'_> {
        let edge = |k: usize, bound: u32, lower: bool| Edge {
            upto: self.upto.get(k),
            below: k.checked_sub(1).map(|b| &self.upto[b]),
            days: &self.days[k],
            by_day: &self.by_day[k],
            bound,
            lower,
        };
        let mut edges = Vec::with_capacity(2);
        let mut before = None;
        if let Some(from) = from {
            let k = self.bucket(from);
            before = k.checked_sub(1).map(|b| &self.upto[b]);
            edges.push(edge(k, from, true));
        }
        let mut within = None;
        if let Some(to) = to {
            let k = self.bucket(to);
            within = self.upto.get(k);
            edges.push(edge(k, to, false));
        }
        Span { within, before, edges }
    }

    fn shrink_to_fit(&mut self) {
        for days in self.days.iter_mut().chain(&mut self.by_day) {
            days.shrink_to_fit();
        }
        for upto in &mut self.upto {
            upto.shrink_to_fit();
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.upto.iter().map(Bits::bytes).sum::<usize>()
            + self.days.iter().chain(&self.by_day).map(|d| d.capacity() * 8).sum::<usize>()
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
            let members: Vec<(u32, u32)> =
                days.iter().enumerate().map(|(seq, d)| (seq as u32, *d)).collect();
            let mut bd = BirthDays::of(&members);
            let mut now = days.clone();
            // Days changed after the build, also beyond the last bound.
            for (seq, d) in moved {
                if seq < now.len() {
                    bd.remove(seq as u32, now[seq]);
                    bd.insert(seq as u32, d);
                    now[seq] = d;
                }
            }
            let span = bd.span((from, to));
            let mut at = vec![0; span.edges.len()];
            let got: Vec<u32> = (0..now.len() as u32)
                .filter(|s| {
                    span.within.is_none_or(|b| b.contains(*s))
                        && !span.before.is_some_and(|b| b.contains(*s))
                        && !span.edges.iter().zip(&mut at).any(|(e, at)| {
                            let out = e.outside().iter().any(|(_, o)| o == s);
                            assert_eq!(out, e.holds(*s) && e.rejects(*s, &mut 0));
                            e.holds(*s) && e.rejects(*s, at)
                        })
                })
                .collect();
            let want: Vec<u32> = (0..now.len() as u32)
                .filter(|s| {
                    let d = now[*s as usize];
                    from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t)
                })
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
