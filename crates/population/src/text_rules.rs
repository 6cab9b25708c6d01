//! What the register accepts as a name, a street name and contact data: the rules every edit of
//! a reserved person passes through, so that nothing a display, a log or a letter would choke
//! on (right-to-left overrides, zero-width or tag characters, control characters, line
//! separators, noncharacters) is stored, and so that synthetic contact data stays
//! undeliverable.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Longest given, middle or family name, in characters (after NFC).
pub const MAX_NAME_CHARS: usize = 100;
/// Longest street name, in characters (after NFC).
pub const MAX_STREET_CHARS: usize = 150;

/// Why a text was refused, for a message that names the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError(pub String);

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_letter_or_mark(c: char) -> bool {
    matches!(c.general_category_group(), GeneralCategoryGroup::Letter | GeneralCategoryGroup::Mark)
}

/// The name as stored (NFC: a decomposed "e" + U+0301 becomes "é"), or why it is refused:
/// letters, combining marks, spaces between parts, hyphen, apostrophe (' or ’) and full stop,
/// starting with a letter, at most [`MAX_NAME_CHARS`].
pub fn person_name(raw: &str) -> Result<String, TextError> {
    let name: String = raw.nfc().collect();
    check(&name, MAX_NAME_CHARS, "-'’.", false)?;
    Ok(name)
}

/// The street name as stored (NFC), or why it is refused: as a name, and also digits and the
/// punctuation Kartverket's street names use (`,`, `/`, `(`, `)`, `&`), at most
/// [`MAX_STREET_CHARS`].
pub fn street_name(raw: &str) -> Result<String, TextError> {
    let name: String = raw.nfc().collect();
    check(&name, MAX_STREET_CHARS, "-'’.,/()&", true)?;
    Ok(name)
}

fn check(s: &str, max: usize, punctuation: &str, digits: bool) -> Result<(), TextError> {
    let count = s.chars().count();
    if count == 0 {
        return Err(TextError("must not be empty".into()));
    }
    if count > max {
        return Err(TextError(format!("at most {max} characters, not {count}")));
    }
    let allowed = |c: char| {
        is_letter_or_mark(c) || c == ' ' || punctuation.contains(c) || (digits && c.is_numeric())
    };
    if let Some(bad) = s.chars().find(|c| !allowed(*c)) {
        let extra = if digits { "digits, " } else { "" };
        return Err(TextError(format!(
            "U+{:04X} is not allowed: only letters, marks, {extra}spaces and {} are",
            bad as u32,
            punctuation.chars().map(|c| c.to_string()).collect::<Vec<_>>().join(" ")
        )));
    }
    let first = s.chars().next().unwrap_or(' ');
    if !(first.general_category_group() == GeneralCategoryGroup::Letter
        || (digits && first.is_numeric()))
    {
        return Err(TextError("must begin with a letter".into()));
    }
    if s.ends_with(' ') || s.contains("  ") {
        return Err(TextError("spaces only single, between words".into()));
    }
    Ok(())
}

/// Whether `email` may be stored: one address (no CR, LF or other control, no space, one
/// `@`, at most 254 characters) and, unless `deliverable` is allowed, on a `.test` domain
/// (RFC 2606: reserved for testing, never delivered).
pub fn email(email: &str, deliverable: bool) -> Result<(), TextError> {
    if email.len() > 254 || email.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(TextError(
            "not an e-mail address: one address, no spaces or line breaks".into(),
        ));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(TextError("not an e-mail address: no @".into()));
    };
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if local.is_empty() || local.len() > 64 || domain.contains('@') || !labels_ok {
        return Err(TextError("not an e-mail address".into()));
    }
    let test_domain = domain.to_ascii_lowercase().ends_with(".test");
    if !deliverable && !test_domain {
        return Err(TextError(format!(
            "{domain} could reach someone: synthetic e-mail uses .test domains (RFC 2606), such \
             as eksempel.test (config syntpop.deliverable_contact_data allows others)"
        )));
    }
    Ok(())
}

/// Whether a phone number may be stored: `+` and 8 to 15 digits, and, unless `deliverable` is
/// allowed, a Norwegian number in the `01` series (`+4701` and six digits), which Nkom keeps
/// unassigned, so an SMS to it reaches nobody.
pub fn phone(phone: &str, deliverable: bool) -> Result<(), TextError> {
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TextError("not a phone number: 8 to 15 digits, optionally after a +".into()));
    }
    let unassigned = phone.len() == 11 && phone.starts_with("+4701");
    if !deliverable && !unassigned {
        return Err(TextError(format!(
            "{phone} could reach someone: synthetic mobile numbers are +4701 and six digits, \
             the series Nkom keeps unassigned (config syntpop.deliverable_contact_data allows \
             others)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_names_pass_and_are_composed() {
        for name in
            ["Kari", "Ola-Nordmann", "O'Brien", "Jean-Luc", "Åse", "Ægir", "Jr.", "Øyvind Ås"]
        {
            assert_eq!(person_name(name).unwrap(), name);
        }
        assert_eq!(person_name("Ane\u{0301}").unwrap(), "An\u{e9}", "NFC");
        assert_eq!(person_name("Ma\u{301}rjá").unwrap().chars().count(), 5);
        assert!(person_name("Sámi čđŋšŧž").is_ok());
    }

    #[test]
    fn hostile_names_are_refused() {
        for bad in [
            "",
            " ",
            "Kari\u{202e}",
            "\u{200b}",
            "\u{feff}Kari",
            "Kari\u{e0041}",
            "Kari\u{ffff}",
            "Kari\u{2028}",
            "Kari\nOla",
            "Kari\0",
            "Ka  ri",
            "Kari ",
            "-Kari",
            "Kari1",
            "<b>",
        ] {
            assert!(person_name(bad).is_err(), "{bad:?}");
        }
        assert!(person_name(&"a".repeat(101)).is_err());
    }

    #[test]
    fn street_names_allow_digits_and_kartverkets_punctuation() {
        for name in ["Karl Johans gate", "17. mai-gata", "Gate 7", "Vei (gml.)", "Bryggen/Torget"] {
            assert_eq!(street_name(name).unwrap(), name);
        }
        for bad in ["Storgata\u{7}", "Storgata\r\nBcc", "Gata\0", "\u{202e}Gata"] {
            assert!(street_name(bad).is_err(), "{bad:?}");
        }
        assert!(street_name(&"a".repeat(5000)).is_err());
    }

    #[test]
    fn contact_data_stays_undeliverable_unless_allowed() {
        assert!(email("kari@eksempel.test", false).is_ok());
        assert!(email("kari@real-company.no", false).is_err());
        assert!(email("kari@real-company.no", true).is_ok());
        assert!(email("x@real-company.no\r\nBcc: a@b.no", true).is_err());
        assert!(email("x@eksempel.test\r\nBcc: a@b.test", false).is_err());
        assert!(email("a@b@eksempel.test", false).is_err());
        assert!(phone("+4701234567", false).is_ok());
        assert!(phone("+4791234567", false).is_err());
        assert!(phone("+4791234567", true).is_ok());
        assert!(phone("+47012345678", false).is_err());
        assert!(phone("+47 01234567", true).is_err());
    }

    proptest! {
        /// Whatever comes in, what is stored is NFC and free of every control or format
        /// character, line separator and noncharacter.
        #[test]
        fn a_stored_name_holds_nothing_hostile(raw in "\\PC{0,40}|[\\u{0}-\\u{3000}]{0,20}") {
            if let Ok(name) = person_name(&raw) {
                prop_assert!(unicode_normalization::is_nfc(&name));
                for c in name.chars() {
                    prop_assert!(!c.is_control());
                    prop_assert!(!matches!(c.general_category_group(),
                        GeneralCategoryGroup::Other | GeneralCategoryGroup::Symbol));
                    prop_assert!(c == ' ' || !c.is_whitespace());
                }
            }
        }
    }
}
