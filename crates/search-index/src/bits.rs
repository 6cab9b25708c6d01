//! A plain bitset over load-order positions, for the values many persons share (a gender, a
//! marital status, a yes/no fact, a large place, everyone born up to a day).
//!
//! A search over such values is an AND of a few long arrays of words: one straight pass each,
//! which the compiler vectorises, with no per-container dispatch, conversion or allocation as
//! a roaring bitmap's operations have (the profile of the uncached search spent half its time
//! there). At 1.2 million persons one bitset is 150 kB; only values held by at least 1/64 of
//! the persons get one, so it never takes more than 8 bytes a member. Beside the set type,
//! plain word arrays (a search's answer) get the same few operations as free functions.
//!
//! The loops over whole arrays are built twice, for the baseline x86-64 and for AVX2 with a
//! popcount instruction, and the second is taken where the processor has them: the baseline
//! has no wide vectors and counts bits with a dozen instructions a word (the index's share
//! of an uncached search took 12 % longer, of a match-count 23 %, measured side by side).

use multiversion::multiversion;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bits {
    words: Vec<u64>,
    ones: u64,
}

impl Bits {
    /// Of ascending positions.
    pub(crate) fn from_sorted(list: &[u32]) -> Bits {
        let mut bits = Bits::of_words(list.last().map_or(0, |max| *max as usize / 64 + 1));
        for seq in list {
            bits.insert(*seq);
        }
        bits
    }

    /// Empty, with room for positions below `words * 64` without growing.
    pub(crate) fn of_words(words: usize) -> Bits {
        Bits { words: vec![0; words], ones: 0 }
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

/// A word array to overwrite, reused if one was given back on this thread: it holds what it
/// held (zeroing 150 kB that [`and_into`] writes anyway was a memset per search).
pub(crate) fn words_buffer() -> Vec<u64> {
    SPARE.with(|s| s.borrow_mut().pop()).unwrap_or_default()
}

/// Keeps `words` for [`words_buffer`] (two at most per thread).
pub(crate) fn give_back(words: Vec<u64>) {
    SPARE.with(|s| {
        let mut spare = s.borrow_mut();
        if spare.len() < 2 {
            spare.push(words);
        }
    });
}

/// How many bits of `words` are set.
#[multiversion(targets("x86_64+avx2+popcnt"))]
pub(crate) fn count(words: &[u64]) -> u64 {
    words.iter().map(|w| u64::from(w.count_ones())).sum()
}

/// Words of `out` made at a time by [`and_into`] (4 kB).
const CHUNK: usize = 512;

/// Where [`and_into`] starts from.
#[derive(Clone, Copy)]
pub(crate) enum First<'a> {
    /// A set's words (at least as long as the answer).
    Words(&'a [u64]),
    /// A few ascending positions (those beyond the answer left out): laid out as bits a chunk
    /// at a time, in the cache, rather than all over the answer first (profiled).
    Members(&'a [u32]),
}

/// Makes `out` the AND of `first`, of every `with` and of the complement of every `without`,
/// and returns how many bits it then has set. Every word of `out` is written, whatever it held.
/// Every `with` must be at least as long as `out`; a shorter `without` removes nothing beyond
/// its end.
///
/// The answer is made a chunk at a time, small enough to stay in the first-level cache while
/// every set's words for it stream past once (a whole pass per set went back to the answer's
/// 150 kB for each), and is counted while it is there.
#[multiversion(targets("x86_64+avx2+popcnt"))]
pub(crate) fn and_into(
    out: &mut [u64],
    first: First<'_>,
    with: &[&[u64]],
    without: &[&[u64]],
) -> u64 {
    let mut n = 0;
    // The members not laid out yet.
    let (words, mut members) = match first {
        First::Words(w) => (Some(w), &[][..]),
        First::Members(m) => (None, m),
    };
    for (at, chunk) in out.chunks_mut(CHUNK).enumerate() {
        let from = at * CHUNK;
        let to = from + chunk.len();
        match words {
            Some(first) => chunk.copy_from_slice(&first[from..to]),
            None => {
                chunk.fill(0);
                let here = members.partition_point(|seq| (*seq as usize) / 64 < to);
                for seq in &members[..here] {
                    chunk[*seq as usize / 64 - from] |= 1 << (seq % 64);
                }
                members = &members[here..];
            }
        }
        for b in with {
            for (o, x) in chunk.iter_mut().zip(&b[from..to]) {
                *o &= x;
            }
        }
        for b in without {
            let theirs = b.get(from..to.min(b.len())).unwrap_or_default();
            for (o, x) in chunk.iter_mut().zip(theirs) {
                *o &= !x;
            }
        }
        n += chunk.iter().map(|w| u64::from(w.count_ones())).sum::<u64>();
    }
    n
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

/// Clears bit `seq` of `words` (nothing beyond the end); whether it was set.
pub(crate) fn clear(words: &mut [u64], seq: u32) -> bool {
    match words.get_mut(seq as usize / 64) {
        Some(w) => {
            let was = *w;
            *w &= !(1 << (seq % 64));
            was != *w
        }
        None => false,
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

    /// Word arrays of up to three chunks and a bit, sparse, dense or even (made from a seed:
    /// thousands of words drawn one by one made the test slow).
    fn words() -> impl Strategy<Value = Vec<u64>> {
        (0..(3 * CHUNK + 7), any::<u64>(), 0..3u8).prop_map(|(len, mut seed, kind)| {
            let mut next = move || {
                seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let z = (seed ^ (seed >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z ^ (z >> 29)
            };
            (0..len)
                .map(|_| match kind {
                    0 => next() & next() & next(),
                    1 => next() | next() | next(),
                    _ => next(),
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn and_into_is_a_plain_and_and_count(
            first in words(),
            with in proptest::collection::vec(words(), 0..3),
            without in proptest::collection::vec(words(), 0..3),
            listed_first in any::<bool>(),
        ) {
            let len = with.iter().map(Vec::len).chain([first.len()]).min().unwrap_or(0);
            let mut want = first[..len].to_vec();
            for (i, w) in want.iter_mut().enumerate() {
                with.iter().for_each(|b| *w &= b[i]);
                without.iter().for_each(|b| *w &= !b.get(i).copied().unwrap_or(0));
            }
            let with: Vec<&[u64]> = with.iter().map(Vec::as_slice).collect();
            let without: Vec<&[u64]> = without.iter().map(Vec::as_slice).collect();
            // From `first`'s words or from its members (some beyond the answer), over whatever
            // `out` held.
            let listed: Vec<u32> = members(&first).collect();
            let from = if listed_first { First::Members(&listed) } else { First::Words(&first) };
            let mut out = vec![0x5555; len];
            let n = and_into(&mut out, from, &with, &without);
            prop_assert_eq!(&out, &want);
            prop_assert_eq!(n, count(&want));
            prop_assert_eq!(n, want.iter().map(|w| u64::from(w.count_ones())).sum::<u64>());
        }

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
