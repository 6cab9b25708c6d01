//! Parsing and classifying an 11-digit identity number.

use std::fmt;
use std::str::FromStr;

use crate::date::{Date, days_in_month};

/// K1 weights over d1..d9 (the check digit itself has weight 1 in the remainder form).
pub(crate) const K1_WEIGHTS: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
/// K2 weights over d1..d9, K1.
pub(crate) const K2_WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Fødselsnummer.
    Fnr,
    /// D-number: day + 40.
    DNumber,
    /// H-number (hjelpenummer): month + 40. NAV Dolly's synthetic +40 is indistinguishable.
    HNumber,
    /// FH-number (felles hjelpenummer): first digit 8 or 9, no date.
    FhNumber,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fnr => "fnr",
            Kind::DNumber => "dnr",
            Kind::HNumber => "hnr",
            Kind::FhNumber => "fhnr",
        }
    }
}

/// Synthetic groups, told by the month offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Synthetic {
    /// Skatteetaten's Test-Norge / Tenor: month + 80.
    TestNorge,
    /// NHN's reserved persons (SyntPop, Persontjenesten): month + 65.
    Reserved,
}

impl Synthetic {
    pub fn month_offset(self) -> u8 {
        match self {
            Synthetic::TestNorge => 80,
            Synthetic::Reserved => 65,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Synthetic::TestNorge => "testnorge",
            Synthetic::Reserved => "reserved",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sex {
    Female,
    Male,
}

/// Which check-digit rule the number satisfies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// K1 remainder 0: the number tells sex and century.
    Classic,
    /// K1 remainder 1–3: issued from 2032; sex and century are not encoded.
    From2032,
}

/// Why a string is not a valid identity number — one variant per rule broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NinError {
    /// Not exactly 11 characters.
    Length {
        found: usize,
    },
    /// A character is not an ASCII digit.
    NotDigits,
    /// The first check digit fails under both the classic and the 2032 rule.
    BadCheckDigit1,
    BadCheckDigit2,
    /// Day or month out of range (after offsets), or the date does not exist.
    InvalidDate,
    /// The individual number gives no century for this year (classic rule).
    NoCentury,
}

impl NinError {
    /// A short machine-readable name.
    pub fn code(self) -> &'static str {
        match self {
            NinError::Length { .. } => "length",
            NinError::NotDigits => "not-digits",
            NinError::BadCheckDigit1 => "check-digit-1",
            NinError::BadCheckDigit2 => "check-digit-2",
            NinError::InvalidDate => "date",
            NinError::NoCentury => "individual-number-century",
        }
    }
}

impl fmt::Display for NinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NinError::Length { found } => write!(f, "must be 11 digits, found {found} characters"),
            NinError::NotDigits => f.write_str("must contain digits only"),
            NinError::BadCheckDigit1 => f.write_str("the first check digit (K1) is wrong"),
            NinError::BadCheckDigit2 => f.write_str("the second check digit (K2) is wrong"),
            NinError::InvalidDate => f.write_str("the digits do not form a real birth date"),
            NinError::NoCentury => {
                f.write_str("the individual number gives no century for this birth year")
            }
        }
    }
}

impl std::error::Error for NinError {}

/// A valid identity number. Built only by parsing (or the allocator), so holding one means
/// every rule passed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nin {
    digits: [u8; 11],
}

/// What a valid number says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NinInfo {
    pub kind: Kind,
    pub synthetic: Option<Synthetic>,
    /// The birth date as the classic rule reads it (`None` for FH-numbers, and for 2032-rule
    /// numbers whose individual number gives no classic century).
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    pub rule: Rule,
    /// False under the 2032 rule: the folkeregister's own fields are authoritative then.
    pub birth_date_certain: bool,
    pub sex_certain: bool,
}

impl Nin {
    /// Validates and classifies `s`.
    pub fn parse(s: &str) -> Result<(Nin, NinInfo), NinError> {
        let digits = digits(s)?;
        let info = classify(&digits)?;
        Ok((Nin { digits }, info))
    }

    pub(crate) fn from_digits_unchecked(digits: [u8; 11]) -> Nin {
        Nin { digits }
    }

    pub fn info(&self) -> NinInfo {
        // Only valid digits are ever stored.
        classify(&self.digits).unwrap_or(NinInfo {
            kind: Kind::Fnr,
            synthetic: None,
            birth_date: None,
            sex: None,
            rule: Rule::Classic,
            birth_date_certain: false,
            sex_certain: false,
        })
    }

    pub fn as_u64(&self) -> u64 {
        self.digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d))
    }

    pub fn digits(&self) -> [u8; 11] {
        self.digits
    }
}

impl FromStr for Nin {
    type Err = NinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nin::parse(s).map(|(n, _)| n)
    }
}

impl fmt::Display for Nin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.digits {
            fmt::Write::write_char(f, char::from(b'0' + d))?;
        }
        Ok(())
    }
}

/// Identity numbers are personal data: even synthetic ones stay out of debug logs.
impl fmt::Debug for Nin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nin({}******)", char::from(b'0' + self.digits[0]))
    }
}

fn digits(s: &str) -> Result<[u8; 11], NinError> {
    let b = s.as_bytes();
    if b.len() != 11 {
        return Err(NinError::Length { found: s.chars().count() });
    }
    let mut out = [0u8; 11];
    for (o, &c) in out.iter_mut().zip(b) {
        if !c.is_ascii_digit() {
            return Err(NinError::NotDigits);
        }
        *o = c - b'0';
    }
    Ok(out)
}

/// `(Σ K1 weights · d1..d9 + k1) mod 11`: 0 under the classic rule, 0–3 under the 2032 rule.
pub(crate) fn k1_remainder(d: &[u8; 11]) -> u32 {
    let sum: u32 = K1_WEIGHTS.iter().zip(d).map(|(w, &x)| w * u32::from(x)).sum();
    (sum + u32::from(d[9])) % 11
}

/// The K2 digit for d1..d9 and K1, or `None` when it would be 10.
pub(crate) fn k2_for(d: &[u8; 11]) -> Option<u8> {
    let sum: u32 = K2_WEIGHTS.iter().zip(d).map(|(w, &x)| w * u32::from(x)).sum();
    match (11 - sum % 11) % 11 {
        10 => None,
        k => u8::try_from(k).ok(),
    }
}

/// The classic century for a two-digit year and individual number (folkeregister regulation
/// §2-2): 000–499 → 1900s; 500–749 with YY ≥ 54 → 1800s; 900–999 with YY ≥ 40 → 1900s;
/// 500–999 with YY ≤ 39 → 2000s.
pub(crate) fn century(yy: u16, individual: u16) -> Option<u16> {
    match individual {
        0..=499 => Some(1900),
        500..=999 if yy <= 39 => Some(2000),
        500..=749 if yy >= 54 => Some(1800),
        900..=999 if yy >= 40 => Some(1900),
        _ => None,
    }
}

fn two(d: &[u8; 11], i: usize) -> u8 {
    d[i] * 10 + d[i + 1]
}

fn classify(d: &[u8; 11]) -> Result<NinInfo, NinError> {
    // 1. Check digits. K1: remainder 0 (classic) or 1–3 (issued from 2032).
    let rule = match k1_remainder(d) {
        0 => Rule::Classic,
        1..=3 => Rule::From2032,
        _ => return Err(NinError::BadCheckDigit1),
    };
    // 2. K2 is the same under both rules.
    if k2_for(d) != Some(d[10]) {
        return Err(NinError::BadCheckDigit2);
    }

    // 3. FH-numbers: first digit 8 or 9, classic check digits, no date.
    if d[0] >= 8 {
        if rule != Rule::Classic {
            return Err(NinError::BadCheckDigit1);
        }
        return Ok(NinInfo {
            kind: Kind::FhNumber,
            synthetic: None,
            birth_date: None,
            sex: None,
            rule,
            birth_date_certain: true,
            sex_certain: true,
        });
    }

    // 4. Offsets: day + 40 (D), month + 40 (H), + 65 (NHN reserved), + 80 (Test-Norge).
    let (mut kind, mut day) = (Kind::Fnr, two(d, 0));
    if day > 40 {
        kind = Kind::DNumber;
        day -= 40;
    }
    let raw_month = two(d, 2);
    let (month, synthetic, h) = match raw_month {
        1..=12 => (raw_month, None, false),
        41..=52 => (raw_month - 40, None, true),
        66..=77 => (raw_month - 65, Some(Synthetic::Reserved), false),
        81..=92 => (raw_month - 80, Some(Synthetic::TestNorge), false),
        _ => return Err(NinError::InvalidDate),
    };
    if h {
        if kind == Kind::DNumber {
            return Err(NinError::InvalidDate); // a number is a D- or an H-number, not both
        }
        kind = Kind::HNumber;
    }
    // Day and month must exist in some year (29 February included).
    if day == 0 || day > days_in_month(2000, month) {
        return Err(NinError::InvalidDate);
    }

    // 5. Century and the full date (classic reading).
    let yy = u16::from(two(d, 4));
    let individual = u16::from(d[6]) * 100 + u16::from(d[7]) * 10 + u16::from(d[8]);
    let classic_date = century(yy, individual).map(|c| Date::new(c + yy, month, day));
    let sex = Some(if d[8].is_multiple_of(2) { Sex::Female } else { Sex::Male });
    match rule {
        Rule::Classic => {
            let date = classic_date.ok_or(NinError::NoCentury)?.ok_or(NinError::InvalidDate)?;
            Ok(NinInfo {
                kind,
                synthetic,
                birth_date: Some(date),
                sex,
                rule,
                birth_date_certain: true,
                sex_certain: true,
            })
        }
        // From 2032 the number tells neither sex nor century; report the old reading, flagged.
        Rule::From2032 => Ok(NinInfo {
            kind,
            synthetic,
            birth_date: classic_date.flatten(),
            sex,
            rule,
            birth_date_certain: false,
            sex_certain: false,
        }),
    }
}
