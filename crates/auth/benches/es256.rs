//! `cargo bench -p fjellport-auth`: the crypto-only bound for the DPoP benchmarks — ES256
//! signatures and verifications per second on one core, and a full proof verification.

use std::hint::black_box;
use std::time::Instant;

use fjellport_auth::dpop::{ProofPolicy, ProofTarget, verify_proof};
use fjellport_auth::forge::{ProofFor, proof};
use fjellport_auth::jose::{Alg, EcSigningKey, Jws};
use fjellport_auth::replay::ReplayCache;
use serde_json::json;

fn rate(label: &str, n: u32, f: impl FnMut(u32)) {
    let mut f = f;
    let started = Instant::now();
    for i in 0..n {
        f(i);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{label}: {:.0}/s on one core ({:.1} µs each)",
        f64::from(n) / secs,
        secs / f64::from(n) * 1e6
    );
}

fn main() {
    let key = EcSigningKey::generate().expect("key");
    let header = json!({"alg": "ES256", "typ": "JWT"});
    let payload = json!({"sub": "bench", "iat": 1_790_000_000});
    rate("ES256 sign", 20_000, |_| {
        black_box(key.sign(&header, &payload).expect("sign"));
    });
    let token = key.sign(&header, &payload).expect("sign");
    let jwk = key.public_jwk();
    rate("ES256 verify", 20_000, |_| {
        let jws = Jws::parse(black_box(&token)).expect("parse");
        jws.verify(Alg::ES256, &jwk).expect("verify");
    });
    let uri = "http://127.0.0.1:8080/syntpop/api/ping";
    let proofs: Vec<String> = (0..20_000)
        .map(|_| {
            let t = ProofFor {
                method: "GET",
                uri,
                access_token: Some(&token),
                nonce: None,
                now: 1_790_000_000,
            };
            proof(&key, &t, None).expect("proof")
        })
        .collect();
    let policy = ProofPolicy::default();
    let replay = ReplayCache::new(1_000_000);
    rate("DPoP proof, all §4.3 checks + replay", 20_000, |i| {
        let target = ProofTarget {
            method: "GET",
            uri,
            access_token: Some(&token),
            nonce: None,
            now: 1_790_000_000,
        };
        verify_proof(&[proofs[i as usize].as_bytes()], &target, &policy, &replay).expect("valid");
    });
}
