//! Organization numbers (Enhetsregisteret): 9 digits, the last a mod-11 check digit over the
//! first eight with weights 3, 2, 7, 6, 5, 4, 3, 2.

use std::fmt;
use std::str::FromStr;

const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

/// A valid organization number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct OrgNumber([u8; 9]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgNumberError {
    Length { found: usize },
    NotDigits,
    BadCheckDigit,
}

impl fmt::Display for OrgNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrgNumberError::Length { found } => {
                write!(f, "must be 9 digits, found {found} characters")
            }
            OrgNumberError::NotDigits => f.write_str("must contain digits only"),
            OrgNumberError::BadCheckDigit => f.write_str("the check digit is wrong"),
        }
    }
}

impl std::error::Error for OrgNumberError {}

fn check_digit(first8: &[u8]) -> Option<u8> {
    let sum: u32 = WEIGHTS.iter().zip(first8).map(|(w, &x)| w * u32::from(x)).sum();
    match (11 - sum % 11) % 11 {
        10 => None,
        k => u8::try_from(k).ok(),
    }
}

impl OrgNumber {
    /// The organization number whose first eight digits are `base` (< 10⁸), if its check digit
    /// exists (about 1 in 11 bases has none).
    pub fn from_base(base: u32) -> Option<OrgNumber> {
        if base >= 100_000_000 {
            return None;
        }
        let mut d = [0u8; 9];
        let mut n = base;
        for i in (0..8).rev() {
            d[i] = u8::try_from(n % 10).ok()?;
            n /= 10;
        }
        d[8] = check_digit(&d[..8])?;
        Some(OrgNumber(d))
    }
}

impl FromStr for OrgNumber {
    type Err = OrgNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 9 {
            return Err(OrgNumberError::Length { found: s.chars().count() });
        }
        let mut d = [0u8; 9];
        for (o, &c) in d.iter_mut().zip(b) {
            if !c.is_ascii_digit() {
                return Err(OrgNumberError::NotDigits);
            }
            *o = c - b'0';
        }
        if check_digit(&d[..8]) != Some(d[8]) {
            return Err(OrgNumberError::BadCheckDigit);
        }
        Ok(OrgNumber(d))
    }
}

impl fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.0 {
            fmt::Write::write_char(f, char::from(b'0' + d))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        // Public organization numbers: Brønnøysundregistrene (974760673), Skatteetaten
        // (974761076), Norsk helsenett SF (994598759).
        for good in ["974760673", "974761076", "994598759"] {
            assert!(good.parse::<OrgNumber>().is_ok(), "{good}");
        }
        assert_eq!("974760674".parse::<OrgNumber>(), Err(OrgNumberError::BadCheckDigit));
        assert_eq!("97476067".parse::<OrgNumber>(), Err(OrgNumberError::Length { found: 8 }));
        assert_eq!("97476067x".parse::<OrgNumber>(), Err(OrgNumberError::NotDigits));
        assert_eq!(OrgNumber::from_base(97476067).unwrap().to_string(), "974760673");
    }
}
