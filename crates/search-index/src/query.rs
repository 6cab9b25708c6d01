//! A search filter answered from the index — the same persons, count and order as the SQL in
//! `fjellport_store::search`.
//!
//! Each condition is a set of persons. When one of them is small (a bitmap: a place, a postal
//! code, a GP, an owner), its members are walked and each tested against the others, a bit
//! test apiece. When all are large (bitsets: gender, marital status, yes/no facts, a birth
//! range's buckets), they are ANDed word by word into one array. Either way a birth range's
//! edge buckets are trimmed on the way by the day of each member found there, and nothing but
//! the answer is allocated; the count is its size, a page its first members after the cursor
//! (or the least in a seed's shuffle).

use std::borrow::Cow;
use std::collections::BinaryHeap;

use fjellport_store::{PersonFilter, shuffle_rank};
use roaring::RoaringBitmap;

use crate::birth_days::Edge;
use crate::bits::{self, Bits, First};
use crate::index::{Fact, Index, day_number};

/// The persons of one condition.
#[derive(Debug, Clone)]
pub(crate) enum Set<'a> {
    /// Many: one bit each.
    Bits(Cow<'a, Bits>),
    /// Few: ascending positions.
    List(Cow<'a, [u32]>),
}

impl Set<'_> {
    fn len(&self) -> u64 {
        match self {
            Set::Bits(b) => b.len(),
            Set::List(l) => l.len() as u64,
        }
    }

    fn contains(&self, seq: u32) -> bool {
        match self {
            Set::Bits(b) => b.contains(seq),
            Set::List(l) => l.binary_search(&seq).is_ok(),
        }
    }

    fn members(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Set::Bits(b) => Box::new(bits::members(b.words())),
            Set::List(l) => Box::new(l.iter().copied()),
        }
    }
}

/// The persons a search selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// Ascending.
    List(Vec<u32>),
    /// One bit each, and how many.
    Words(Vec<u64>, u64),
}

impl Found {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Found::List(l) => l.len() as u64,
            Found::Words(_, n) => *n,
        }
    }

    fn members(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Found::List(l) => Box::new(l.iter().copied()),
            Found::Words(w, _) => Box::new(bits::members(w)),
        }
    }

    /// The members above `seq`, ascending.
    fn after(&self, seq: u32) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Found::List(l) => Box::new(l[l.partition_point(|s| *s <= seq)..].iter().copied()),
            Found::Words(w, _) => {
                let first = seq as usize / 64;
                let mask = (!0u64).checked_shl(seq % 64 + 1).unwrap_or(0);
                let head = w.get(first).map(|x| bits::ones(x & mask, first));
                let tail =
                    w.iter().enumerate().skip(first + 1).flat_map(|(i, x)| bits::ones(*x, i));
                Box::new(head.into_iter().flatten().chain(tail))
            }
        }
    }

    /// Adds persons none of whom is in `self` yet.
    fn join(self, other: Found) -> Found {
        match (self, other) {
            (Found::List(mut a), Found::List(b)) => {
                a.extend(b);
                a.sort_unstable();
                Found::List(a)
            }
            (Found::Words(mut w, mut n), other) | (other, Found::Words(mut w, mut n)) => {
                for seq in other.members() {
                    n += u64::from(bits::set(&mut w, seq));
                }
                Found::Words(w, n)
            }
        }
    }

    /// Done with: its words are kept for the next search on this thread.
    pub(crate) fn recycle(self) {
        if let Found::Words(w, _) = self {
            bits::give_back(w);
        }
    }

    fn into_roaring(self) -> RoaringBitmap {
        match self {
            Found::List(l) => RoaringBitmap::from_sorted_iter(l).unwrap_or_default(),
            Found::Words(w, _) => {
                let set = bits::members(&w).collect();
                bits::give_back(w);
                set
            }
        }
    }
}

const NOBODY: Found = Found::List(Vec::new());

/// A set of more than 1/`SCATTER` of the persons among bitsets is laid out as bits (see
/// [`Conditions::eval`]): above some 2,300 members at 1.2 million.
const SCATTER: u64 = 512;

/// The conditions of a search apart from who may see whom.
#[derive(Default)]
struct Conditions<'a> {
    within: Vec<Set<'a>>,
    outside: Vec<Set<'a>>,
    edges: Vec<Edge<'a>>,
}

impl Conditions<'_> {
    /// The persons in every `within`, in no `outside`, and not rejected by an edge.
    fn eval(&self, ix: &Index) -> Found {
        let lists: Vec<(usize, &[u32])> = self
            .within
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Set::List(l) => Some((i, l.as_ref())),
                Set::Bits(_) => None,
            })
            .collect();
        match lists[..] {
            [] => self.and_words(ix, None),
            // One set of some thousands among bitsets: its bits laid out and ANDed with theirs
            // (testing its members one by one waits on memory for each of them, profiled).
            [(_, few)] if few.len() as u64 * SCATTER > ix.alive.len() => {
                self.and_words(ix, Some(few))
            }
            _ => match lists.iter().min_by_key(|(_, l)| l.len()) {
                Some((at, few)) => self.walk(*at, few),
                None => NOBODY,
            },
        }
    }

    /// The members of `within[driver]` (`few`), each tested against the rest.
    fn walk(&self, driver: usize, few: &[u32]) -> Found {
        let mut rest: Vec<&Set<'_>> =
            self.within.iter().enumerate().filter(|(i, _)| *i != driver).map(|(_, s)| s).collect();
        rest.sort_by_key(|s| s.len());
        let mut at = vec![0; self.edges.len()];
        let found = few
            .iter()
            .copied()
            .filter(|seq| {
                rest.iter().all(|s| s.contains(*seq))
                    && !self.outside.iter().any(|s| s.contains(*seq))
                    && !self
                        .edges
                        .iter()
                        .zip(&mut at)
                        .any(|(e, at)| e.holds(*seq) && e.rejects(*seq, at))
            })
            .collect();
        Found::List(found)
    }

    /// Every condition a bitset (or an outside few): ANDed word by word.
    fn and_words(&self, ix: &Index, few: Option<&[u32]>) -> Found {
        // A set every person is in (the Test-Norge origin, when nobody is reserved) narrows
        // nothing: sets hold only persons there are, so one as large as `alive` is `alive`.
        let everyone = ix.alive.len();
        let mut within: Vec<&Bits> = self
            .within
            .iter()
            .filter_map(|s| match s {
                Set::Bits(b) if b.len() < everyone => Some(b.as_ref()),
                Set::Bits(_) | Set::List(_) => None,
            })
            .collect();
        if within.is_empty() && few.is_none() {
            within.push(&ix.alive);
        }
        within.sort_by_key(|b| b.len());
        let mut words = within.iter().map(|b| b.words().len()).min().unwrap_or(usize::MAX);
        let (first, rest) = match few {
            Some(few) => {
                words = words.min(few.last().map_or(0, |m| *m as usize / 64 + 1));
                (First::Members(few), &within[..])
            }
            None => (First::Words(within[0].words()), &within[1..]),
        };
        // Every word is written by the AND: what a reused array held is not cleared first.
        let mut out = bits::words_buffer();
        out.resize(words, 0);
        let with: Vec<&[u64]> = rest.iter().map(|b| b.words()).collect();
        let without: Vec<&[u64]> = self
            .outside
            .iter()
            .filter_map(|s| match s {
                Set::Bits(b) => Some(b.words()),
                Set::List(_) => None,
            })
            .collect();
        let mut n = bits::and_into(&mut out, first, &with, &without);
        // Those outside that are few, and those of the edge buckets born outside the range.
        let lists = self.outside.iter().filter_map(|s| match s {
            Set::List(l) => Some(l.as_ref()),
            Set::Bits(_) => None,
        });
        for seq in lists.flatten() {
            n -= u64::from(bits::clear(&mut out, *seq));
        }
        for e in &self.edges {
            for (_, seq) in e.outside() {
                n -= u64::from(bits::clear(&mut out, *seq));
            }
        }
        Found::Words(out, n)
    }
}

/// Any of `values` of `fact` (`None`: nobody has any).
fn any_of<'a>(ix: &'a Index, fact: Fact, values: &[String]) -> Option<Set<'a>> {
    let mut sets: Vec<Set<'a>> = values.iter().filter_map(|v| ix.facts(fact).with(v)).collect();
    if sets.len() <= 1 {
        return sets.pop();
    }
    if sets.iter().all(|s| matches!(s, Set::List(_))) {
        let mut any: Vec<u32> = sets.iter().flat_map(Set::members).collect();
        any.sort_unstable();
        any.dedup();
        return Some(Set::List(Cow::Owned(any)));
    }
    let mut any = Bits::default();
    for s in &sets {
        match s {
            Set::Bits(b) => any.union_with(b),
            Set::List(l) => l.iter().for_each(|seq| any.insert(*seq)),
        }
    }
    Some(Set::Bits(Cow::Owned(any)))
}

/// Every person `f` selects.
pub(crate) fn select(ix: &Index, f: &PersonFilter) -> Found {
    let mut c = Conditions::default();
    // A value nobody has selects nobody.
    macro_rules! need {
        ($set:expr) => {
            match $set {
                Some(set) => set,
                None => return NOBODY,
            }
        };
    }
    let with = |fact: Fact, value: &str| ix.facts(fact).with(value);
    let flag = |b: bool| if b { "1" } else { "0" };
    // Test-Norge or the caller's own: two searches, joined at the end.
    let mut mine_too = None;
    match (f.origin.as_deref(), &f.visible_to) {
        (Some("Reserved"), Some(owner)) => {
            c.within.push(need!(with(Fact::Origin, "Reserved")));
            c.within.push(need!(with(Fact::Owner, owner)));
        }
        (Some(origin), _) => c.within.push(need!(with(Fact::Origin, origin))),
        (None, Some(owner)) => mine_too = Some(with(Fact::Owner, owner)),
        (None, None) => {}
    }
    for (fact, value) in [
        (Fact::Gender, &f.gender),
        (Fact::Municipality, &f.municipality),
        (Fact::PostalCode, &f.postal_code),
        (Fact::Citizenship, &f.citizenship),
        (Fact::NinType, &f.nin_type),
        (Fact::Confidentiality, &f.confidentiality),
        (Fact::Gp, &f.gp),
    ] {
        if let Some(value) = value {
            c.within.push(need!(with(fact, value)));
        }
    }
    for (fact, values) in [(Fact::Status, &f.statuses), (Fact::MaritalStatus, &f.marital_statuses)]
    {
        if !values.is_empty() {
            c.within.push(need!(any_of(ix, fact, values)));
        }
    }
    for (fact, value) in [
        (Fact::HasSpouse, f.has_spouse),
        (Fact::HasParents, f.has_parents),
        (Fact::HealthPersonnel, f.is_health_personnel),
        (Fact::IsGp, f.is_gp),
        (Fact::HasGp, f.has_gp),
    ] {
        if let Some(value) = value {
            c.within.push(need!(with(fact, flag(value))));
        }
    }
    // "Any children" and "none" are one set; other counts go through the bit slices.
    let (children_from, children_to) = match (f.children_from, f.children_to) {
        (Some(1), None) => {
            c.within.push(need!(with(Fact::HasChildren, "1")));
            (None, None)
        }
        (None, Some(0)) => {
            c.within.push(need!(with(Fact::HasChildren, "0")));
            (None, None)
        }
        other => other,
    };
    let bound = |d: &Option<String>| d.as_deref().map(|d| day_number(d).unwrap_or(i64::MIN));
    let births = match (bound(&f.birth_from), bound(&f.birth_to)) {
        (None, None) => None,
        // A bound that is no date (never from the API) selects nobody, as SQL's comparison of
        // such a string with every stored date would.
        (Some(i64::MIN), _) | (_, Some(i64::MIN)) => return NOBODY,
        (_, Some(to)) if to < 0 => return NOBODY,
        (from, to) => Some((
            from.map(|d| u32::try_from(d.max(0)).unwrap_or(u32::MAX)),
            to.map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
        )),
    };
    if let Some(range) = births {
        let span = ix.birth.span(range);
        c.within.extend(span.within.map(|b| Set::Bits(Cow::Borrowed(b))));
        c.outside.extend(span.before.map(|b| Set::Bits(Cow::Borrowed(b))));
        c.edges = span.edges;
    }
    let found = match mine_too {
        None => c.eval(ix),
        Some(mine) => {
            // Test-Norge persons, and the caller's own that are not.
            let test_norge = with(Fact::Origin, "TestNorge");
            let public = match &test_norge {
                Some(tn) => {
                    c.within.push(tn.clone());
                    let public = c.eval(ix);
                    c.within.pop();
                    public
                }
                None => NOBODY,
            };
            match mine {
                None => public,
                Some(mine) => {
                    c.within.push(mine);
                    c.outside.extend(test_norge);
                    public.join(c.eval(ix))
                }
            }
        }
    };
    finish(ix, found, children_from, children_to)
}

/// Narrows by other child counts than "any" and "none" (the bit slices).
fn finish(ix: &Index, found: Found, from: Option<i64>, to: Option<i64>) -> Found {
    if from.is_none() && to.is_none() {
        return found;
    }
    let mut out = found.into_roaring();
    if let Some(n) = from {
        out = ix.children.at_least(u32::try_from(n.max(0)).unwrap_or(u32::MAX), out);
    }
    if let Some(n) = to {
        out = match u32::try_from(n) {
            Ok(n) => ix.children.at_most(n, out),
            Err(_) if n < 0 => RoaringBitmap::new(),
            Err(_) => out,
        };
    }
    Found::List(out.iter().collect())
}

/// Up to `limit` of `found` after the keyset position `after` (`(rank, seq)`): in load order,
/// or in the shuffle of `seed` (what `ORDER BY rank, seq` gives), each with its rank.
pub(crate) fn page(
    found: &Found,
    after: Option<(i64, i64)>,
    limit: usize,
    seed: Option<i64>,
) -> Vec<(i64, i64)> {
    match seed {
        None => {
            let members = match after {
                None => found.members(),
                Some((_, seq)) if seq < 0 => found.members(),
                Some((_, seq)) => match u32::try_from(seq) {
                    Ok(seq) => found.after(seq),
                    Err(_) => return Vec::new(),
                },
            };
            members.take(limit).map(|seq| (0, i64::from(seq))).collect()
        }
        Some(seed) => {
            // The `limit` least (rank, seq) above the cursor: a bounded max-heap.
            if limit == 0 {
                return Vec::new();
            }
            let mut heap = BinaryHeap::with_capacity(limit + 1);
            for seq in found.members() {
                let key = (shuffle_rank(i64::from(seq), seed), i64::from(seq));
                if after.is_some_and(|a| key <= a) {
                    continue;
                }
                if heap.len() < limit {
                    heap.push(key);
                } else if heap.peek().is_some_and(|top| key < *top) {
                    heap.pop();
                    heap.push(key);
                }
            }
            heap.into_sorted_vec()
        }
    }
}
