//! A search filter answered from the index: the bitmaps of its conditions intersected (the
//! smallest first, a birth range as the buckets it touches), the birth range's edges trimmed
//! and other child counts narrowed by bit slices, and a page taken in load order or in a
//! seed's shuffle — the same persons, count and order as the SQL in `fjellport_store::search`.

use std::borrow::Cow;
use std::collections::BinaryHeap;

use fjellport_store::{PersonFilter, shuffle_rank};
use roaring::RoaringBitmap;

use crate::index::{Fact, Index, day_number};

/// Every person `f` selects.
pub(crate) fn select(ix: &Index, f: &PersonFilter) -> RoaringBitmap {
    let mut parts: Vec<Cow<'_, RoaringBitmap>> = Vec::new();
    let empty = RoaringBitmap::new();
    // A value nobody has selects nobody.
    let with = |fact: Fact, value: &str| ix.facts(fact).with(value).unwrap_or(&empty);
    let flag = |b: bool| if b { "1" } else { "0" };
    // Test-Norge or the caller's own: applied after the rest (below), so that the union of a
    // million Test-Norge persons with the caller's few is never made.
    let mut mine_too = None;
    match (f.origin.as_deref(), &f.visible_to) {
        (Some("Reserved"), Some(owner)) => {
            parts.push(Cow::Borrowed(with(Fact::Origin, "Reserved")));
            parts.push(Cow::Borrowed(with(Fact::Owner, owner)));
        }
        (Some(origin), _) => parts.push(Cow::Borrowed(with(Fact::Origin, origin))),
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
            parts.push(Cow::Borrowed(with(fact, value)));
        }
    }
    for (fact, values) in [(Fact::Status, &f.statuses), (Fact::MaritalStatus, &f.marital_statuses)]
    {
        if !values.is_empty() {
            let mut any = RoaringBitmap::new();
            for v in values {
                any |= with(fact, v);
            }
            parts.push(Cow::Owned(any));
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
            parts.push(Cow::Borrowed(with(fact, flag(value))));
        }
    }
    // "Any children" and "none" are one bitmap; other counts go through the bit slices.
    let (children_from, children_to) = match (f.children_from, f.children_to) {
        (Some(1), None) => {
            parts.push(Cow::Borrowed(with(Fact::HasChildren, "1")));
            (None, None)
        }
        (None, Some(0)) => {
            parts.push(Cow::Borrowed(with(Fact::HasChildren, "0")));
            (None, None)
        }
        other => other,
    };
    // A birth range joins as the whole buckets it touches; its edges are trimmed at the end.
    let bound = |d: &Option<String>| d.as_deref().map(|d| day_number(d).unwrap_or(i64::MIN));
    let births = match (bound(&f.birth_from), bound(&f.birth_to)) {
        (None, None) => None,
        // A bound that is no date (never from the API) selects nobody, as SQL's comparison of
        // such a string with every stored date would.
        (Some(i64::MIN), _) | (_, Some(i64::MIN)) => return RoaringBitmap::new(),
        (_, Some(to)) if to < 0 => return RoaringBitmap::new(),
        (from, to) => Some((
            from.map(|d| u32::try_from(d.max(0)).unwrap_or(u32::MAX)),
            to.map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
        )),
    };
    if let Some(range) = births
        && let Some(coarse) = ix.birth.coarse(range, &ix.alive)
    {
        parts.push(Cow::Owned(coarse));
    }
    parts.sort_by_key(|p| p.len());
    let mut parts = parts.into_iter();
    let test_norge = with(Fact::Origin, "TestNorge");
    let mut out = match (parts.next(), mine_too) {
        // The two smallest intersected into a new bitmap (no copy of the smallest first).
        (Some(first), _) => match parts.next() {
            Some(second) => first.as_ref() & second.as_ref(),
            None => first.into_owned(),
        },
        (None, Some(mine)) => {
            mine_too = None;
            test_norge | mine
        }
        (None, None) => ix.alive.clone(),
    };
    for part in parts {
        if out.is_empty() {
            break;
        }
        out &= part.as_ref();
    }
    if let Some(mine) = mine_too {
        // Test-Norge is nearly everyone: taking the few others away is cheaper than
        // intersecting with it.
        let mut not_test_norge = RoaringBitmap::new();
        for (origin, set) in ix.facts(Fact::Origin).all() {
            if origin != "TestNorge" {
                not_test_norge |= set;
            }
        }
        let mine = (!mine.is_empty()).then(|| &out & mine);
        // Reserved persons are few: taken out one by one, not by merging with every candidate.
        for seq in &not_test_norge {
            out.remove(seq);
        }
        if let Some(mine) = mine {
            out |= mine;
        }
    }
    if let Some(range) = births {
        ix.birth.trim(&mut out, range);
    }
    if let Some(n) = children_from {
        out = ix.children.at_least(u32::try_from(n.max(0)).unwrap_or(u32::MAX), out);
    }
    if let Some(n) = children_to {
        out = match u32::try_from(n) {
            Ok(n) => ix.children.at_most(n, out),
            Err(_) if n < 0 => RoaringBitmap::new(),
            Err(_) => out,
        };
    }
    out
}

/// Up to `limit` of `found` after the keyset position `after` (`(rank, seq)`): in load order,
/// or in the shuffle of `seed` (what `ORDER BY rank, seq` gives), each with its rank.
pub(crate) fn page(
    found: &RoaringBitmap,
    after: Option<(i64, i64)>,
    limit: usize,
    seed: Option<i64>,
) -> Vec<(i64, i64)> {
    match seed {
        None => {
            let start = match after {
                None => 0,
                Some((_, seq)) if seq < 0 => 0,
                Some((_, seq)) => match u32::try_from(seq) {
                    Ok(seq) => found.rank(seq),
                    Err(_) => return Vec::new(),
                },
            };
            (0..limit as u64)
                .map_while(|i| u32::try_from(start + i).ok().and_then(|n| found.select(n)))
                .map(|seq| (0, i64::from(seq)))
                .collect()
        }
        Some(seed) => {
            // The `limit` least (rank, seq) above the cursor: a bounded max-heap.
            if limit == 0 {
                return Vec::new();
            }
            let mut heap = BinaryHeap::with_capacity(limit + 1);
            for seq in found {
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
