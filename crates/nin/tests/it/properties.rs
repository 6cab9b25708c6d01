//! Properties over generated numbers.

use fjellport_nin::alloc::{Allocator, Request};
use fjellport_nin::{Date, Kind, Nin, Rule, Sex, Synthetic, days_in_month};
use proptest::prelude::*;

fn request() -> impl Strategy<Value = Request> {
    (1854u16..=2039, 1u8..=12, 1u8..=31, any::<bool>(), 0usize..3, 0usize..3, any::<bool>())
        .prop_map(|(year, month, day, male, kind, group, new_rule)| Request {
            birth_date: Date::new(year, month, day.min(days_in_month(year, month))).unwrap(),
            sex: if male { Sex::Male } else { Sex::Female },
            kind: [Kind::Fnr, Kind::DNumber, Kind::HNumber][kind],
            synthetic: [None, Some(Synthetic::TestNorge), Some(Synthetic::Reserved)][group],
            rule: if new_rule { Rule::From2032 } else { Rule::Classic },
        })
        // H-numbers and synthetic offsets do not combine (month would exceed 99).
        .prop_filter("H-numbers are not synthetic", |r| {
            !(r.kind == Kind::HNumber && r.synthetic.is_some())
        })
}

proptest! {
    #[test]
    fn every_allocated_number_validates_and_round_trips(r in request()) {
        let nin = Allocator::new().allocate(r).unwrap();
        let (parsed, info) = Nin::parse(&nin.to_string()).unwrap();
        prop_assert_eq!(parsed, nin);
        prop_assert_eq!(info.kind, r.kind);
        prop_assert_eq!(info.synthetic, r.synthetic);
        match r.rule {
            // Classic numbers tell date and sex exactly.
            Rule::Classic => {
                prop_assert_eq!(info.rule, Rule::Classic);
                prop_assert_eq!(info.birth_date, Some(r.birth_date));
                prop_assert_eq!(info.sex, Some(r.sex));
            }
            // 2032 numbers keep day, month and two-digit year; the century may read otherwise.
            Rule::From2032 => {
                if let Some(read) = info.birth_date {
                    prop_assert_eq!((read.day, read.month), (r.birth_date.day, r.birth_date.month));
                    prop_assert_eq!(read.year % 100, r.birth_date.year % 100);
                }
            }
        }
    }

    #[test]
    fn a_single_digit_change_never_validates(r in request(), pos in 0usize..11, delta in 1u8..10) {
        let nin = Allocator::new().allocate(r).unwrap();
        let mut digits = nin.digits();
        digits[pos] = (digits[pos] + delta) % 10;
        let changed: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        prop_assert!(Nin::parse(&changed).is_err(), "{} → {} validates", nin, changed);
    }

    #[test]
    fn an_adjacent_transposition_never_validates(r in request(), pos in 0usize..10) {
        let nin = Allocator::new().allocate(r).unwrap();
        let mut digits = nin.digits();
        prop_assume!(digits[pos] != digits[pos + 1]);
        digits.swap(pos, pos + 1);
        let swapped: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        prop_assert!(Nin::parse(&swapped).is_err(), "{} → {} validates", nin, swapped);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(s in "\\PC{0,20}") {
        let _ = Nin::parse(&s);
    }

    #[test]
    fn parsing_arbitrary_digit_strings_is_consistent(s in "[0-9]{11}") {
        if let Ok((nin, info)) = Nin::parse(&s) {
            prop_assert_eq!(nin.to_string(), s);
            prop_assert_eq!(nin.info(), info);
        }
    }
}
