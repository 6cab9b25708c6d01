//! `cargo bench -p fjellport-search-index`: the index's own share of an uncached search and
//! of a match-count, on one core, over 1.2 million persons whose facts follow the shares of a
//! generated population (SyntPop's size; `PERSONS=n` for another), with no HTTP around it.
//! The two filter kinds are those of `bench/syntpop.sh`: gender + municipality + birth-date
//! bounds drawn at random (a page of 11 and the count), and marital status, spouse, children
//! and birth-date bounds, sometimes gender (the count). Every filter is new, so no kept answer
//! is used. Prints the mean and the 99th percentile per query (`ROUNDS=n` queries of each kind,
//! default 3,000).

use std::hint::black_box;
use std::time::Instant;

use fjellport_search_index::SearchIndex;
use fjellport_store::{PersonFilter, SearchFacts};

/// The server's allocator, so that the allocations of a query cost what they cost there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// splitmix64: enough randomness for facts and bounds, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// The ten places of `bench/syntpop.sh` with their shares of a generated population, then 346
/// smaller ones sharing the rest.
const PLACES: [(&str, f64); 10] = [
    ("0301", 0.124),
    ("4601", 0.051),
    ("5001", 0.037),
    ("1103", 0.026),
    ("3907", 0.013),
    ("4204", 0.020),
    ("3301", 0.018),
    ("5501", 0.013),
    ("3107", 0.015),
    ("1108", 0.015),
];

fn date(day: u64) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(1920, 9, 16).unwrap_or_default();
    (start + chrono::Days::new(day)).format("%Y-%m-%d").to_string()
}

fn facts(rng: &mut Rng, seq: i64) -> SearchFacts {
    let place = {
        let mut u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        let mut chosen = None;
        for (p, share) in PLACES {
            if u < share {
                chosen = Some(p.to_owned());
                break;
            }
            u -= share;
        }
        // 4 % without a Norwegian address; the rest over 346 smaller places.
        chosen.or_else(|| (!rng.chance(0.06)).then(|| format!("{:04}", 1000 + rng.below(346))))
    };
    let married = rng.chance(0.327);
    let marital = if married {
        "Married"
    } else {
        ["Unmarried", "Unmarried", "Unmarried", "Unmarried", "Divorced", "WidowOrWidower"]
            [rng.below(6) as usize]
    };
    let children = match rng.below(100) {
        0..75 => 0,
        75..85 => 1,
        85..94 => 2,
        _ => 3,
    };
    SearchFacts {
        seq,
        origin: "TestNorge".into(),
        owner: None,
        gender: if rng.chance(0.5) { "Female" } else { "Male" }.into(),
        birth_date: date(rng.below(38_340)),
        status: if rng.chance(0.96) { "Resident" } else { "Deceased" }.into(),
        marital_status: marital.into(),
        postal_code: place.as_ref().map(|p| format!("{p}{}", rng.below(9))),
        confidentiality: place.as_ref().map(|_| "Unclassified".into()),
        municipality: place,
        citizenship: Some(if rng.chance(0.97) { "NOR" } else { "POL" }.into()),
        nin_type: if rng.chance(0.97) { "NationalIdentityNumber" } else { "DNumber" }.into(),
        has_spouse: married,
        has_parents: rng.chance(0.23),
        children,
        health_personnel: rng.chance(0.04),
        is_gp: rng.chance(0.001),
        gp_hpr: rng.chance(0.93).then(|| format!("{}", 9_000_000 + rng.below(1091))),
    }
}

/// Random inclusive bounds within `span` days of `epoch` (the second on or after the first).
fn bounds(rng: &mut Rng, epoch: u64, span: u64) -> (Option<String>, Option<String>) {
    let from = rng.below(span + 1);
    let to = from + rng.below(span - from + 1);
    (Some(date(epoch + from)), Some(date(epoch + to)))
}

/// This process's own resident memory (RssAnon) in MB.
fn own_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("RssAnon:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn report(name: &str, mut micros: Vec<f64>) {
    micros.sort_by(f64::total_cmp);
    let mean = micros.iter().sum::<f64>() / micros.len() as f64;
    let p99 = micros[micros.len() * 99 / 100];
    println!("{name:<46} mean {mean:>7.1} µs, p99 {p99:>7.1} µs ({} queries)", micros.len());
}

fn main() {
    let persons: i64 =
        std::env::var("PERSONS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_200_000);
    let before = own_mb();
    let mut rng = Rng(1);
    let all: Vec<SearchFacts> = (1..=persons).map(|seq| facts(&mut rng, seq)).collect();
    let started = Instant::now();
    let index = match SearchIndex::from_facts(&all) {
        Ok(index) => index,
        Err(why) => panic!("cannot index: {why}"),
    };
    println!("index of {persons} persons built in {:.1} s", started.elapsed().as_secs_f64());
    drop(all);
    std::thread::sleep(std::time::Duration::from_secs(2)); // the allocator's purge delay
    println!(
        "own resident memory (RssAnon): {before:.0} MB at the start, {:.0} MB with the index \
         (the facts it was built from dropped)",
        own_mb()
    );
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(3_000);
    let mut search = Vec::with_capacity(rounds);
    let mut count = Vec::with_capacity(rounds);
    for i in 0..rounds {
        // 1940-01-01 is day 7,047 after the first birth day above; 1920-09-16 is day 0.
        let (birth_from, birth_to) = bounds(&mut rng, 7_047, 25_000);
        let f = PersonFilter {
            visible_to: Some("bench".into()),
            gender: Some(["Female", "Male"][i % 2].into()),
            municipality: Some(PLACES[i % PLACES.len()].0.into()),
            birth_from,
            birth_to,
            ..PersonFilter::default()
        };
        let t = Instant::now();
        black_box(index.search(&f, None, 11, None));
        search.push(t.elapsed().as_secs_f64() * 1e6);
        let (birth_from, birth_to) = bounds(&mut rng, 0, 32_000);
        let f = PersonFilter {
            visible_to: Some("bench".into()),
            marital_statuses: vec![
                ["Married", "Unmarried", "Divorced", "WidowOrWidower"][i % 4].into(),
            ],
            has_spouse: Some(i % 2 == 0),
            children_from: (i % 3 == 0).then_some(1),
            children_to: (i % 3 != 0).then_some(0),
            gender: (i % 5 == 0).then(|| "Female".into()),
            birth_from,
            birth_to,
            ..PersonFilter::default()
        };
        let t = Instant::now();
        black_box(index.count(&f));
        count.push(t.elapsed().as_secs_f64() * 1e6);
    }
    report("search: gender + place + birth bounds, page 11", search);
    report("match-count: marital + spouse + children + birth", count);
}
