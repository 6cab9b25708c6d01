//! DPoP proofs, JWS and JWKs from hostile input: verification answers with an error, never a
//! panic, whatever the header value holds.
#![no_main]

use fjellport_auth::dpop::{ProofPolicy, ProofTarget, ReplayCache, verify_proof};
use fjellport_auth::jose::{Jws, PublicJwk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let target = ProofTarget {
        method: "GET",
        uri: "https://fjellport.test/syntpop/api/ping",
        access_token: Some("token"),
        nonce: None,
        now: 1_790_000_000,
    };
    let _ = verify_proof(&[data], &target, &ProofPolicy::default(), &ReplayCache::new(16));
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(jws) = Jws::parse(text) {
            let _ = jws.alg();
            if let Some(jwk) = jws.header.get("jwk") {
                let _ = PublicJwk::from_value(jwk).map(|k| k.thumbprint());
            }
        }
    }
});
