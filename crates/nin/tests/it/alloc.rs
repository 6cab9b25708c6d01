//! The allocator: unique, valid, round-tripping numbers, and an error when a date is full.

use std::collections::BTreeSet;

use fjellport_nin::alloc::{AllocError, Allocator, Request};
use fjellport_nin::{Date, Kind, Nin, Rule, Sex, Synthetic};

fn req(date: Date, sex: Sex, kind: Kind, synthetic: Option<Synthetic>, rule: Rule) -> Request {
    Request { birth_date: date, sex, kind, synthetic, rule }
}

#[test]
fn a_full_date_gives_an_error_not_a_loop_and_every_number_was_unique_and_valid() {
    let date = Date::new(2005, 6, 15).unwrap();
    let mut a = Allocator::new();
    let mut seen = BTreeSet::new();
    for sex in [Sex::Female, Sex::Male] {
        let r = req(date, sex, Kind::Fnr, Some(Synthetic::TestNorge), Rule::Classic);
        loop {
            match a.allocate(r) {
                Ok(nin) => {
                    let info = nin.info();
                    assert_eq!(info.birth_date, Some(date));
                    assert_eq!(info.sex, Some(sex));
                    assert!(seen.insert(nin.to_string()), "duplicate {nin}");
                }
                Err(e) => {
                    assert_eq!(e, AllocError::Exhausted);
                    break;
                }
            }
        }
    }
    // 2000s use individual numbers 999..500: 500 numbers, a share lost to check digit 10.
    assert!((350..=500).contains(&seen.len()), "{} numbers", seen.len());
}

#[test]
fn the_2032_rule_counts_down_from_999_using_every_k1_value_and_never_collides() {
    let date = Date::new(1982, 10, 30).unwrap();
    let mut a = Allocator::new();
    // Skatteetaten's example: the first two numbers issued in 2032 for 30.10.1982.
    let first = a.allocate(req(date, Sex::Female, Kind::Fnr, None, Rule::From2032)).unwrap();
    let second = a.allocate(req(date, Sex::Male, Kind::Fnr, None, Rule::From2032)).unwrap();
    assert_eq!(first.to_string(), "30108299920");
    assert_eq!(second.to_string(), "30108299939");

    // Classic numbers of the same date first, then 2032 ones: no number twice.
    let date = Date::new(2010, 3, 3).unwrap();
    let mut a = Allocator::new();
    let mut seen = BTreeSet::new();
    for _ in 0..50 {
        let n = a.allocate(req(date, Sex::Male, Kind::Fnr, None, Rule::Classic)).unwrap();
        assert!(seen.insert(n.as_u64()));
    }
    let mut count = 0;
    while let Ok(n) = a.allocate(req(date, Sex::Male, Kind::Fnr, None, Rule::From2032)) {
        assert!(seen.insert(n.as_u64()), "2032 number {n} collides");
        assert!(Nin::parse(&n.to_string()).is_ok());
        count += 1;
    }
    assert!(count > 2000, "the 2032 rule gives up to 4 numbers per individual number: {count}");
}

#[test]
fn numbers_taken_elsewhere_are_skipped() {
    let date = Date::new(1990, 1, 1).unwrap();
    let r = req(date, Sex::Female, Kind::DNumber, None, Rule::Classic);
    let first = Allocator::new().allocate(r).unwrap();
    let mut a = Allocator::new();
    a.mark_taken(first);
    assert_ne!(a.allocate(r).unwrap(), first);
}

#[test]
fn years_outside_the_classic_series_and_fh_numbers_are_refused() {
    let mut a = Allocator::new();
    let old = Date::new(1850, 1, 1).unwrap();
    assert_eq!(
        a.allocate(req(old, Sex::Male, Kind::Fnr, None, Rule::Classic)),
        Err(AllocError::YearOutOfRange(1850))
    );
    let date = Date::new(2000, 1, 1).unwrap();
    assert!(matches!(
        a.allocate(req(date, Sex::Male, Kind::FhNumber, None, Rule::Classic)),
        Err(AllocError::UnsupportedKind(_))
    ));
}
