//! Allocating new, unique identity numbers.
//!
//! Classic numbers come from the individual-number series of the birth year's century, in the
//! order the folkeregister uses (descending), on the parity of the sex. Numbers issued under the
//! 2032 rule start at individual number 999 and count down, using every K1 value (remainders
//! 0–3) of an individual number before the next. Every number handed out — or marked as taken —
//! is remembered, so the two rules never collide, and a full date gives an error, not a loop.

use std::collections::BTreeMap;
#[allow(clippy::disallowed_types)] // membership only: see `Allocator::taken`
use std::collections::HashSet;
use std::fmt;

use crate::date::Date;
use crate::nin::{K1_WEIGHTS, Kind, Nin, Rule, Sex, Synthetic, century, k2_for};

/// What to allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub birth_date: Date,
    pub sex: Sex,
    /// `Fnr`, `DNumber` or `HNumber` (FH-numbers carry no date and are not allocated here).
    pub kind: Kind,
    pub synthetic: Option<Synthetic>,
    /// `Classic` before 2032-01-01 by the clock, `From2032` on and after.
    pub rule: Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocError {
    /// Every number of this date, sex, kind and group is taken.
    Exhausted,
    /// The classic rule has no individual-number series for this year (before 1854 or after
    /// 2039).
    YearOutOfRange(u16),
    /// FH-numbers have no birth date.
    UnsupportedKind(Kind),
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::Exhausted => {
                f.write_str("no free identity number is left for this birth date, sex and kind")
            }
            AllocError::YearOutOfRange(y) => write!(
                f,
                "birth year {y} has no individual-number series (classic rule: 1854–2039)"
            ),
            AllocError::UnsupportedKind(k) => write!(f, "cannot allocate {} numbers", k.as_str()),
        }
    }
}

impl std::error::Error for AllocError {}

/// Where the next search starts, per series.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    /// Index into the series (classic) or `999 - individual` (2032 rule).
    position: u16,
    /// K1 remainder to try next (2032 rule).
    remainder: u8,
}

/// Hands out unique numbers. Deterministic: the same requests in the same order give the same
/// numbers.
#[derive(Debug, Default)]
pub struct Allocator {
    /// Keyed by the first six digits (date with offsets) and, for the classic rule, the sex.
    cursors: BTreeMap<([u8; 6], Rule, Option<Sex>), Cursor>,
    /// Only for membership; never iterated, so output order does not depend on it (and a
    /// hash set keeps 1.2 million numbers' checks cheap).
    #[allow(clippy::disallowed_types)]
    taken: HashSet<u64>,
}

impl Allocator {
    pub fn new() -> Allocator {
        Allocator::default()
    }

    /// Records a number issued elsewhere (e.g. loaded from the store) so it is never reissued.
    pub fn mark_taken(&mut self, nin: Nin) {
        self.taken.insert(nin.as_u64());
    }

    pub fn allocate(&mut self, req: Request) -> Result<Nin, AllocError> {
        if req.kind == Kind::FhNumber {
            return Err(AllocError::UnsupportedKind(req.kind));
        }
        let prefix = prefix(&req);
        match req.rule {
            Rule::Classic => self.next_classic(&req, prefix),
            Rule::From2032 => self.next_2032(prefix),
        }
    }

    fn next_classic(&mut self, req: &Request, prefix: [u8; 6]) -> Result<Nin, AllocError> {
        let year = req.birth_date.year;
        let series = classic_series(year).ok_or(AllocError::YearOutOfRange(year))?;
        let parity = match req.sex {
            Sex::Female => 0,
            Sex::Male => 1,
        };
        let cursor = self.cursors.entry((prefix, Rule::Classic, Some(req.sex))).or_default();
        let total: u16 = series.iter().map(|(hi, lo)| hi - lo + 1).sum();
        while cursor.position < total {
            let individual = nth_in_series(series, cursor.position);
            cursor.position += 1;
            if individual % 2 != parity {
                continue;
            }
            if let Some(nin) = build(prefix, individual, 0)
                && self.taken.insert(nin.as_u64())
            {
                return Ok(nin);
            }
        }
        Err(AllocError::Exhausted)
    }

    fn next_2032(&mut self, prefix: [u8; 6]) -> Result<Nin, AllocError> {
        let cursor = self.cursors.entry((prefix, Rule::From2032, None)).or_default();
        while cursor.position <= 999 {
            let individual = 999 - cursor.position;
            let remainder = cursor.remainder;
            if cursor.remainder == 3 {
                cursor.remainder = 0;
                cursor.position += 1;
            } else {
                cursor.remainder += 1;
            }
            if let Some(nin) = build(prefix, individual, remainder)
                && self.taken.insert(nin.as_u64())
            {
                return Ok(nin);
            }
        }
        Err(AllocError::Exhausted)
    }
}

/// The individual-number ranges (high, low) of a birth year, searched from high to low.
fn classic_series(year: u16) -> Option<&'static [(u16, u16)]> {
    match year {
        1854..=1899 => Some(&[(749, 500)]),
        1900..=1939 => Some(&[(499, 0)]),
        1940..=1999 => Some(&[(499, 0), (999, 900)]),
        2000..=2039 => Some(&[(999, 500)]),
        _ => None,
    }
}

fn nth_in_series(series: &[(u16, u16)], mut n: u16) -> u16 {
    for &(hi, lo) in series {
        let len = hi - lo + 1;
        if n < len {
            return hi - n;
        }
        n -= len;
    }
    0
}

fn prefix(req: &Request) -> [u8; 6] {
    let d = req.birth_date;
    let day = d.day + if req.kind == Kind::DNumber { 40 } else { 0 };
    let month = d.month
        + if req.kind == Kind::HNumber { 40 } else { 0 }
        + req.synthetic.map_or(0, Synthetic::month_offset);
    let yy = u8::try_from(d.year % 100).unwrap_or(0);
    [day / 10, day % 10, month / 10, month % 10, yy / 10, yy % 10]
}

/// The number with this prefix and individual number whose K1 remainder is `remainder`, if its
/// check digits exist (neither K1 nor K2 may be 10) and the classic century fits when
/// `remainder` is 0.
fn build(prefix: [u8; 6], individual: u16, remainder: u8) -> Option<Nin> {
    let mut d = [0u8; 11];
    d[..6].copy_from_slice(&prefix);
    d[6] = u8::try_from(individual / 100).ok()?;
    d[7] = u8::try_from(individual / 10 % 10).ok()?;
    d[8] = u8::try_from(individual % 10).ok()?;
    let sum: u32 = K1_WEIGHTS.iter().zip(&d).map(|(w, &x)| w * u32::from(x)).sum();
    // k1 ≡ remainder − sum (mod 11)
    let k1 = (u32::from(remainder) + 11 * 11 - sum % 11) % 11;
    if k1 == 10 {
        return None;
    }
    d[9] = u8::try_from(k1).ok()?;
    d[10] = k2_for(&d)?;
    // A classic-rule number must also read back to its century.
    if remainder == 0 {
        let yy = u16::from(prefix[4]) * 10 + u16::from(prefix[5]);
        century(yy, individual)?;
    }
    Some(Nin::from_digits_unchecked(d))
}
