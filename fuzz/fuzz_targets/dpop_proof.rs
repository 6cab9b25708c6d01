//! DPoP proofs, JWS and JWKs from hostile input: verification answers with an error, never a
//! panic, whatever the header value holds. The same bytes as HelseID `authorization_details`
//! (RFC 9396 JSON) must be granted or refused, never panic.
#![no_main]

use fjellport_auth::dpop::{ProofPolicy, ProofTarget, verify_proof};
use fjellport_auth::jose::{Jws, PublicJwk};
use fjellport_auth::profile::{ClaimProfile, ClientFacts, HelseId};
use fjellport_auth::replay::ReplayCache;
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
    if let Ok(details) = serde_json::from_slice::<serde_json::Value>(data) {
        for multi_tenant in [false, true] {
            let client = ClientFacts {
                client_id: "c",
                name: "n",
                orgnr_parent: Some("974760673"),
                orgnr_child: (!multi_tenant).then_some("974760673"),
                multi_tenant,
                delegations: &[],
            };
            let _ = HelseId.authorization_details(&client, Some(&details));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(jws) = Jws::parse(text) {
            let _ = jws.alg();
            if let Some(jwk) = jws.header.get("jwk") {
                let _ = PublicJwk::from_value(jwk).map(|k| k.thumbprint());
            }
        }
    }
});
