//! The index itself: for every search fact one set per value (of load-order positions),
//! birth days in quantile buckets (`birth_days`), bit slices for the number of children, and
//! each person's codes, so that a changed person can be taken out of exactly the sets it
//! was in.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;

use fjellport_store::{PersonMarks, SearchFacts};

use crate::birth_days::BirthDays;
use crate::bits::Bits;
use crate::bsi::Bsi;
use crate::query::Set;
use crate::rows::{FIELDS, Row, Rows};

/// Where a row keeps the birth day and the number of children (after the facts' codes).
const BIRTH: usize = FACTS;
const CHILDREN: usize = FACTS + 1;

/// The facts kept as values with a bitmap each; booleans are the values "0" and "1".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fact {
    Origin,
    Owner,
    Gender,
    Status,
    MaritalStatus,
    Municipality,
    PostalCode,
    Citizenship,
    NinType,
    Confidentiality,
    Gp,
    HasSpouse,
    HasParents,
    HealthPersonnel,
    IsGp,
    HasGp,
    /// Any children (the common range "at least one", or "none", as one bitmap).
    HasChildren,
}

pub(crate) const FACTS: usize = 17;
/// A list this long becomes a bitset while building once that takes at most 8 bytes a member.
const DENSE_FROM: usize = 4_096;
/// Birth days are counted from 1 January 1800.
const CHILDREN_BITS: u32 = 16;

/// Why a person cannot be indexed (the index then stays off and SQL answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unindexable(pub String);

impl std::fmt::Display for Unindexable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One fact's values: code 0 is "no value" (SQL's NULL, which no equality matches).
#[derive(Debug, Clone, Default)]
pub(crate) struct Values {
    codes: BTreeMap<String, u16>,
    /// By code: a bitset for a value at least 1/64 of the persons share (from the build on),
    /// ascending positions for the others (see [`crate::bits`] for why not roaring bitmaps).
    sets: Vec<Members>,
}

#[derive(Debug, Clone)]
enum Members {
    Many(Bits),
    Few(Vec<u32>),
}

impl Values {
    fn new() -> Values {
        Values { codes: BTreeMap::new(), sets: vec![Members::Few(Vec::new())] }
    }

    fn code(&mut self, value: Option<&str>) -> Result<u16, Unindexable> {
        let Some(value) = value else { return Ok(0) };
        if let Some(code) = self.codes.get(value) {
            return Ok(*code);
        }
        let code = u16::try_from(self.sets.len())
            .map_err(|_| Unindexable(format!("more than 65,535 values of one fact ({value})")))?;
        self.codes.insert(value.to_owned(), code);
        self.sets.push(Members::Few(Vec::new()));
        Ok(code)
    }

    fn insert(&mut self, code: u16, seq: u32) {
        let set = &mut self.sets[usize::from(code)];
        match set {
            Members::Many(bits) => bits.insert(seq),
            // Positions come in ascending order while building: a push, and a list that has
            // grown as long as a bitset to here would be is one from now on (a million
            // positions of a common value, grown by doubling, were twice that at the build).
            Members::Few(list) if list.last().is_none_or(|last| *last < seq) => {
                list.push(seq);
                if list.len() >= DENSE_FROM && list.len() as u64 * 64 >= u64::from(seq) {
                    *set = Members::Many(Bits::from_sorted(list));
                }
            }
            Members::Few(list) => {
                if let Err(at) = list.binary_search(&seq) {
                    list.insert(at, seq);
                }
            }
        }
    }

    fn remove(&mut self, code: u16, seq: u32) {
        match &mut self.sets[usize::from(code)] {
            Members::Many(bits) => bits.remove(seq),
            Members::Few(list) => {
                if let Ok(at) = list.binary_search(&seq) {
                    list.remove(at);
                }
            }
        }
    }

    /// Makes every value at least 1/64 of `persons` share a bitset, and every other a list
    /// (a value common among the first persons read may have become a bitset early).
    fn densify(&mut self, persons: u64) {
        for set in &mut self.sets {
            match set {
                Members::Few(list) if !list.is_empty() && list.len() as u64 * 64 >= persons => {
                    *set = Members::Many(Bits::from_sorted(list));
                }
                Members::Few(list) => list.shrink_to_fit(),
                Members::Many(bits) if bits.len() * 64 < persons => {
                    *set = Members::Few(crate::bits::members(bits.words()).collect());
                }
                Members::Many(bits) => bits.shrink_to_fit(),
            }
        }
    }

    /// The persons with `value`, `None` when nobody has it.
    pub(crate) fn with(&self, value: &str) -> Option<Set<'_>> {
        Some(match &self.sets[usize::from(*self.codes.get(value)?)] {
            Members::Many(bits) => Set::Bits(Cow::Borrowed(bits)),
            Members::Few(list) => Set::List(Cow::Borrowed(list)),
        })
    }

    fn bytes(&self) -> usize {
        let set = |m: &Members| match m {
            Members::Many(bits) => bits.bytes(),
            Members::Few(list) => list.capacity() * 4,
        };
        self.sets.iter().map(set).sum::<usize>()
            + self.codes.keys().map(|k| k.len() + 32).sum::<usize>()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub(crate) values: [Values; FACTS],
    pub(crate) birth: BirthDays,
    pub(crate) children: Bsi,
    /// Every person there is now.
    pub(crate) alive: Bits,
    /// Each person's codes, birth day and children, by position (gone persons keep theirs
    /// until the next build).
    rows: Rows,
    /// What the store had when this index last caught up.
    pub(crate) marks: PersonMarks,
    /// Whether [`Index::built`] has drawn the birth buckets (until then persons only get
    /// their rows and bitmaps: the buckets are made from the rows at once).
    built: bool,
}

/// Days from 1 January 1800 to a `YYYY-MM-DD` date (negative before it), if it is one. Only
/// that exact form: it is the one whose order as a string, which SQL compares, is the order of
/// the days.
pub(crate) fn day_number(date: &str) -> Option<i64> {
    if date.len() != 10 {
        return None;
    }
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(day.signed_duration_since(NaiveDate::from_ymd_opt(1800, 1, 1)?).num_days())
}

impl Index {
    pub(crate) fn new(marks: PersonMarks) -> Index {
        Index {
            values: std::array::from_fn(|_| Values::new()),
            birth: BirthDays::default(),
            children: Bsi::new(CHILDREN_BITS),
            alive: Bits::default(),
            rows: Rows::default(),
            marks,
            built: false,
        }
    }

    pub(crate) fn facts(&self, fact: Fact) -> &Values {
        &self.values[fact as usize]
    }

    fn row_of(&mut self, f: &SearchFacts) -> Result<Row, Unindexable> {
        let flag = |b: bool| Some(if b { "1" } else { "0" });
        let given: [(Fact, Option<&str>); FACTS] = [
            (Fact::Origin, Some(&f.origin)),
            (Fact::Owner, f.owner.as_deref()),
            (Fact::Gender, Some(&f.gender)),
            (Fact::Status, Some(&f.status)),
            (Fact::MaritalStatus, Some(&f.marital_status)),
            (Fact::Municipality, f.municipality.as_deref()),
            (Fact::PostalCode, f.postal_code.as_deref()),
            (Fact::Citizenship, f.citizenship.as_deref()),
            (Fact::NinType, Some(&f.nin_type)),
            (Fact::Confidentiality, f.confidentiality.as_deref()),
            (Fact::Gp, f.gp_hpr.as_deref()),
            (Fact::HasSpouse, flag(f.has_spouse)),
            (Fact::HasParents, flag(f.has_parents)),
            (Fact::HealthPersonnel, flag(f.health_personnel)),
            (Fact::IsGp, flag(f.is_gp)),
            (Fact::HasGp, flag(f.gp_hpr.is_some())),
            (Fact::HasChildren, flag(f.children > 0)),
        ];
        let mut row = [0; FIELDS];
        for (fact, value) in given {
            row[fact as usize] = u32::from(self.values[fact as usize].code(value)?);
        }
        let birth =
            day_number(&f.birth_date).and_then(|d| u32::try_from(d).ok()).ok_or_else(|| {
                Unindexable(format!("person {}: birth date {:?} out of range", f.seq, f.birth_date))
            })?;
        let children =
            u32::try_from(f.children)
                .ok()
                .filter(|c| *c <= self.children.max_value())
                .ok_or_else(|| Unindexable(format!("person {}: {} children", f.seq, f.children)))?;
        row[BIRTH] = birth;
        row[CHILDREN] = children;
        Ok(row)
    }

    fn link(&mut self, seq: u32, row: &Row) {
        for (fact, code) in row[..FACTS].iter().enumerate() {
            self.values[fact].insert(*code as u16, seq);
        }
        if self.built {
            self.birth.insert(seq, row[BIRTH]);
        }
        self.children.insert(seq, row[CHILDREN]);
        self.alive.insert(seq);
    }

    fn unlink(&mut self, seq: u32, row: &Row) {
        for (fact, code) in row[..FACTS].iter().enumerate() {
            self.values[fact].remove(*code as u16, seq);
        }
        if self.built {
            self.birth.remove(seq, row[BIRTH]);
        }
        self.children.remove(seq, row[CHILDREN]);
        self.alive.remove(seq);
    }

    /// Ends a build: the birth-day buckets drawn at the quantiles of the persons just read.
    pub(crate) fn built(&mut self) {
        let mut days = Vec::with_capacity(usize::try_from(self.alive.len()).unwrap_or(0));
        days.extend(
            crate::bits::members(self.alive.words())
                .filter_map(|seq| Some((seq, self.rows.get(seq)?[BIRTH]))),
        );
        self.birth = BirthDays::of(&days);
        self.built = true;
        self.rows.shrink_to_fit();
        self.alive.shrink_to_fit();
        let persons = self.alive.len();
        for values in &mut self.values {
            values.densify(persons);
        }
    }

    /// Adds a person or replaces what the index had of it.
    pub(crate) fn put(&mut self, f: &SearchFacts) -> Result<(), Unindexable> {
        let seq = u32::try_from(f.seq)
            .map_err(|_| Unindexable(format!("load-order position {} beyond 2^32", f.seq)))?;
        let row = self.row_of(f)?;
        if let Some(old) = self.rows.get(seq)
            && self.alive.contains(seq)
        {
            self.unlink(seq, &old);
        }
        self.rows.set(seq, &row);
        self.link(seq, &row);
        Ok(())
    }

    /// Takes a person out (it was deleted).
    pub(crate) fn remove(&mut self, seq: i64) {
        let Ok(seq) = u32::try_from(seq) else { return };
        if let Some(old) = self.rows.get(seq)
            && self.alive.contains(seq)
        {
            self.unlink(seq, &old);
        }
    }

    /// Roughly what the index takes in memory.
    pub(crate) fn bytes(&self) -> usize {
        self.values.iter().map(Values::bytes).sum::<usize>()
            + self.birth.bytes()
            + self.children.bytes()
            + self.alive.bytes()
            + self.rows.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_follow_the_calendar() {
        assert_eq!(day_number("1800-01-01"), Some(0));
        assert_eq!(day_number("1800-01-02"), Some(1));
        assert_eq!(day_number("1970-01-01"), Some(62_091));
        assert_eq!(
            day_number("2000-03-01").zip(day_number("2000-02-28")).map(|(a, b)| a - b),
            Some(2)
        );
        assert_eq!(
            day_number("1900-03-01").zip(day_number("1900-02-28")).map(|(a, b)| a - b),
            Some(1)
        );
        assert!(day_number("2026-13-01").is_none());
        assert!(day_number("26-01-01").is_none());
        assert!(day_number("2026-01-0x").is_none());
    }
}
