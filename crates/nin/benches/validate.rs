//! `cargo bench -p fjellport-nin`: identity-number validations per second on one core
//! (target ≥ 20 million/s), over a mix of valid and invalid numbers.

use std::hint::black_box;
use std::time::Instant;

use fjellport_nin::alloc::{Allocator, Request};
use fjellport_nin::{Date, Kind, Nin, Rule, Sex, Synthetic};

fn main() {
    // 4,096 valid numbers of every kind and group, plus as many with one digit changed.
    let mut alloc = Allocator::new();
    let mut numbers = Vec::new();
    let mut i = 0u32;
    while numbers.len() < 4096 {
        i += 1;
        let year = 1900 + u16::try_from(i % 120).unwrap_or(0);
        let Some(date) = Date::new(year, u8::try_from(1 + i % 12).unwrap_or(1), 1 + (i % 28) as u8)
        else {
            continue;
        };
        let req = Request {
            birth_date: date,
            sex: if i.is_multiple_of(2) { Sex::Female } else { Sex::Male },
            kind: [Kind::Fnr, Kind::DNumber][(i % 2) as usize],
            synthetic: [None, Some(Synthetic::TestNorge), Some(Synthetic::Reserved)]
                [(i % 3) as usize],
            rule: Rule::Classic,
        };
        if let Ok(n) = alloc.allocate(req) {
            let s = n.to_string();
            let mut bad = s.clone().into_bytes();
            bad[3] = b'0' + (bad[3] - b'0' + 1) % 10;
            numbers.push(s);
            numbers.push(String::from_utf8(bad).unwrap_or_default());
        }
    }
    let rounds = 5_000;
    let started = Instant::now();
    let mut valid = 0usize;
    for _ in 0..rounds {
        for n in &numbers {
            valid += usize::from(Nin::parse(black_box(n)).is_ok());
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = (rounds * numbers.len()) as f64;
    println!(
        "nin validate: {:.1} million numbers/s on one core ({} numbers, {:.1} ns each, {} valid)",
        total / elapsed / 1e6,
        total as u64,
        elapsed / total * 1e9,
        valid
    );
}
