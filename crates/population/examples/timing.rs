//! `cargo run --release -p fjellport-population --example timing [N]`: how long generation and
//! serialization take on their own (no database), for tuning the bulk load.

use std::time::Instant;

use fjellport_nin::Date;
use fjellport_population::{Generator, Options};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let today = Date { year: 2026, month: 9, day: 1 };
    let mut generator = Generator::new(Options { seed: 1, persons: n, today, addresses: None });
    let (mut gen_secs, mut json_secs, mut bytes) = (0.0, 0.0, 0usize);
    loop {
        let t = Instant::now();
        let batch = generator.next_batch(20_000).expect("numbers");
        gen_secs += t.elapsed().as_secs_f64();
        if batch.is_empty() {
            break;
        }
        let t = Instant::now();
        for p in &batch {
            bytes += serde_json::to_string(p).map(|s| s.len()).unwrap_or(0);
        }
        json_secs += t.elapsed().as_secs_f64();
    }
    println!(
        "{n} persons: generate {gen_secs:.2} s ({:.0}/s), serialize {json_secs:.2} s, {} bytes/person as JSON",
        n as f64 / gen_secs,
        bytes / n.max(1)
    );
}
