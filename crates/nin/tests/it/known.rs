//! Known-good and known-bad numbers, each with where it comes from.

use fjellport_nin::{Date, Kind, Nin, NinError, Rule, Sex, Synthetic};

fn d(y: u16, m: u8, day: u8) -> Option<Date> {
    Date::new(y, m, day)
}

/// An independent check-digit computation for building test numbers with chosen digits.
fn with_check_digits(first9: &str) -> String {
    let x: Vec<u32> = first9.bytes().map(|b| u32::from(b - b'0')).collect();
    let k1w = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    let k1 = (11 - x.iter().zip(k1w).map(|(a, w)| a * w).sum::<u32>() % 11) % 11;
    let mut y = x.clone();
    y.push(k1);
    let k2w = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let k2 = (11 - y.iter().zip(k2w).map(|(a, w)| a * w).sum::<u32>() % 11) % 11;
    assert!(k1 < 10 && k2 < 10, "{first9} has no check digits; pick another");
    format!("{first9}{k1}{k2}")
}

#[test]
fn documented_valid_numbers_classify_as_documented() {
    use Kind::*;
    use Sex::*;
    use Synthetic::*;
    #[rustfmt::skip]
    type Row = (&'static str, Kind, Option<Synthetic>, Option<Date>, Sex, Rule, &'static str);
    let table: &[Row] = &[
        (
            "01112835470",
            Fnr,
            None,
            d(1928, 11, 1),
            Female,
            Rule::Classic,
            "FHIDev/Fhi.NINCheck README",
        ),
        (
            "68126952442",
            DNumber,
            None,
            d(1869, 12, 28),
            Female,
            Rule::Classic,
            "FHIDev/Fhi.NINCheck README (524 with YY 69 → 1800s)",
        ),
        (
            "31739556891",
            Fnr,
            Some(Reserved),
            d(1895, 8, 31),
            Female,
            Rule::Classic,
            "FHIDev/Fhi.NINCheck (SyntPop +65)",
        ),
        (
            "44722264549",
            DNumber,
            Some(Reserved),
            d(2022, 7, 4),
            Male,
            Rule::Classic,
            "FHIDev/Fhi.NINCheck (+65 D-number)",
        ),
        (
            "28894698995",
            Fnr,
            Some(TestNorge),
            d(1946, 9, 28),
            Male,
            Rule::Classic,
            "FHIDev/Fhi.NINCheck (Tenor +80)",
        ),
        (
            "03923248608",
            Fnr,
            Some(TestNorge),
            d(1932, 12, 3),
            Female,
            Rule::Classic,
            "FHIDev/Fhi.NINCheck (December = month 92)",
        ),
        (
            "01010150740",
            Fnr,
            None,
            d(2001, 1, 1),
            Male,
            Rule::Classic,
            "NAV familie-foedselsnummer test (K1 = 0; 507 → 2000s)",
        ),
        (
            "30108299920",
            Fnr,
            None,
            d(1982, 10, 30),
            Male,
            Rule::Classic,
            "Skatteetaten nyttfnr2032.md, person 1 (remainder 0)",
        ),
        (
            "30108299939",
            Fnr,
            None,
            d(1982, 10, 30),
            Male,
            Rule::From2032,
            "Skatteetaten nyttfnr2032.md, person 2 (remainder 1)",
        ),
        (
            "02013299997",
            Fnr,
            None,
            d(2032, 1, 2),
            Male,
            Rule::Classic,
            "Skatteetaten nyttfnr2032.md, born 02.01.2032",
        ),
    ];
    for &(number, kind, synthetic, birth, sex, rule, source) in table {
        let (nin, info) = Nin::parse(number).unwrap_or_else(|e| panic!("{number} ({source}): {e}"));
        assert_eq!(nin.to_string(), number);
        assert_eq!(info.kind, kind, "{number} ({source})");
        assert_eq!(info.synthetic, synthetic, "{number} ({source})");
        assert_eq!(info.birth_date, birth, "{number} ({source})");
        assert_eq!(info.sex, Some(sex), "{number} ({source})");
        assert_eq!(info.rule, rule, "{number} ({source})");
        let certain = rule == Rule::Classic;
        assert_eq!((info.birth_date_certain, info.sex_certain), (certain, certain), "{number}");
    }
}

#[test]
fn digdir_krr_synthetic_users_are_test_norge() {
    // Digdir, "KRR testbrukere": synthetic persons with month + 80.
    for number in ["11887197158", "30850649509", "17894199350", "04846697271"] {
        let (_, info) = Nin::parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
        assert_eq!(info.synthetic, Some(Synthetic::TestNorge), "{number}");
    }
}

#[test]
fn fh_numbers_have_no_date_or_sex() {
    // FHIDev/Fhi.NINCheck README: FH-number example.
    let (_, info) = Nin::parse("81212121223").unwrap();
    assert_eq!(info.kind, Kind::FhNumber);
    assert_eq!((info.birth_date, info.sex, info.synthetic), (None, None, None));
}

#[test]
fn h_numbers_and_month_bounds_are_inclusive() {
    // Built here: H-numbers for 1 December and 1 January 1985 (months 52, 41), and the bounds
    // 66, 77, 81, 92 —
    // Fhi.NINCheck's exclusive bounds reject December; ours must not.
    for (first9, kind, synthetic, month) in [
        ("015285100", Kind::HNumber, None, 12),
        ("014185100", Kind::HNumber, None, 1),
        ("016685100", Kind::Fnr, Some(Synthetic::Reserved), 1),
        ("017785101", Kind::Fnr, Some(Synthetic::Reserved), 12),
        ("018185100", Kind::Fnr, Some(Synthetic::TestNorge), 1),
        ("019285100", Kind::Fnr, Some(Synthetic::TestNorge), 12),
    ] {
        let number = with_check_digits(first9);
        let (_, info) = Nin::parse(&number).unwrap_or_else(|e| panic!("{number}: {e}"));
        assert_eq!((info.kind, info.synthetic), (kind, synthetic), "{number}");
        assert_eq!(info.birth_date, d(1985, month, 1), "{number}");
    }
}

#[test]
fn invalid_numbers_say_why() {
    let cases: Vec<(String, NinError, &str)> = vec![
        ("0111283547".into(), NinError::Length { found: 10 }, "one digit short"),
        ("011128354700".into(), NinError::Length { found: 12 }, "one digit long"),
        ("0111283547a".into(), NinError::NotDigits, "a letter"),
        ("01112835430".into(), NinError::BadCheckDigit1, "K1 4 lower: remainder 7"),
        (
            "01112835480".into(),
            NinError::BadCheckDigit2,
            "K1 1 higher: remainder 1 (2032 rule), so K2 fails",
        ),
        ("01112835471".into(), NinError::BadCheckDigit2, "K2 off by one"),
        (with_check_digits("300285100"), NinError::InvalidDate, "30 February"),
        (with_check_digits("290200100"), NinError::InvalidDate, "29.02.1900: 1900 is no leap year"),
        (with_check_digits("320185100"), NinError::InvalidDate, "day 32"),
        (with_check_digits("011385100"), NinError::InvalidDate, "month 13"),
        (with_check_digits("015385100"), NinError::InvalidDate, "month 53: past H-numbers"),
        (with_check_digits("019385101"), NinError::InvalidDate, "month 93: past Test-Norge"),
        (with_check_digits("415285100"), NinError::InvalidDate, "D- and H-number at once"),
        (with_check_digits("010145800"), NinError::NoCentury, "individual 800 with YY 45"),
        (with_check_digits("010150600"), NinError::NoCentury, "individual 600 with YY 50"),
    ];
    for (number, want, why) in cases {
        assert_eq!(Nin::parse(&number).map(|_| ()), Err(want), "{number}: {why}");
    }
    // 29.02.2000 exists (individual 500 → 2000s).
    assert!(Nin::parse(&with_check_digits("290200500")).is_ok());
}

#[test]
fn under_the_2032_rule_only_day_and_month_must_exist() {
    // Individual 800 with YY 45 has no classic century, but a 2032-issued number needs none.
    let base = "010145800";
    let x: Vec<u32> = base.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = x.iter().zip([3, 7, 6, 1, 8, 9, 4, 5, 2]).map(|(a, w)| a * w).sum();
    let k1 = (2 + 121 - sum % 11) % 11; // remainder 2
    assert!(k1 < 10);
    let mut first10 = format!("{base}{k1}");
    let y: Vec<u32> = first10.bytes().map(|b| u32::from(b - b'0')).collect();
    let k2 = (11
        - y.iter().zip([5, 4, 3, 2, 7, 6, 5, 4, 3, 2]).map(|(a, w)| a * w).sum::<u32>() % 11)
        % 11;
    assert!(k2 < 10);
    first10.push_str(&k2.to_string());
    let (_, info) = Nin::parse(&first10).unwrap();
    assert_eq!(info.rule, Rule::From2032);
    assert_eq!(info.birth_date, None, "no classic century: no date to report");
    assert!(!info.sex_certain && !info.birth_date_certain);
}

#[test]
fn debug_output_hides_the_number() {
    let nin: Nin = "01112835470".parse().unwrap();
    assert!(!format!("{nin:?}").contains("112835470"));
}
