//! A calendar date, just enough for identity numbers (no time zones, no I/O).

use std::fmt;

/// A proleptic Gregorian date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// `None` unless the date exists (leap years included).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let exists = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        exists.then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u16> {
            s.get(r)?
                .bytes()
                .try_fold(0u16, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0')))
        };
        Date::new(num(0..4)?, u8::try_from(num(5..7)?).ok()?, u8::try_from(num(8..10)?).ok()?)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

pub fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_rules() {
        assert!(Date::new(2000, 2, 29).is_some(), "2000 is a leap year");
        assert!(Date::new(1900, 2, 29).is_none(), "1900 is not");
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2023, 4, 31).is_none());
        assert!(Date::new(2023, 12, 31).is_some());
        assert!(Date::new(2023, 13, 1).is_none());
        assert_eq!(Date::parse("1982-10-30"), Date::new(1982, 10, 30));
        assert_eq!(Date::parse("1982-10-30").unwrap().to_string(), "1982-10-30");
        for bad in ["1982-1-30", "1982/10/30", "19821030", "1982-02-30", "abcd-10-30"] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
    }
}
