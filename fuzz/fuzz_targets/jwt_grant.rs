//! Maskinporten JWT grants from hostile input: parsing the grant, checking its signature against
//! a registered RSA key, and its claim rules (fed the same bytes as a claims object) answer with
//! an error or a grant, never a panic.
#![no_main]

use fjellport_auth::jwt_grant::{JwtGrant, check_claims};
use fjellport_auth::replay::ReplayCache;
use libfuzzer_sys::fuzz_target;

/// A registered client key (RSA, 2048 bits; only its public half is needed).
const JWKS: &str = r#"{"keys":[{"kty":"RSA","kid":"k1","e":"AQAB","n":"2yta4zFasTNqNwyQh66kut8tuypD59aAZneqnA9zvu9lOpxxuM3d_T0y5TF6sALISEf2SFPFKVT-7tt9pkNWznXZGw-eUTH_9Xf9fNuFAbxXH-mfQcuFjvXc_hcztB_FYmxS44hFIErbPlunn8aSYhX0nOqeW_bT88FMUHt8a5CSqMwQjUKrZhYZHhR-_BlzDVMCC7zT3xk8n-Hof7XsKmnZQECewLDRpjglTQlqOxc9BDkA7sg9pMDs3OkOuudJNgawpOtTxjcXgKyYFb-mGssXm_danGbjKEeB90GYPyezLoxchJg5FGIuSRDhn1Am8q7RXlzlYhlD4DSbcsbJiw"}]}"#;
const ISSUER: &str = "https://fjellport.test/maskinporten/";
const NOW: i64 = 1_790_000_000;

fuzz_target!(|data: &[u8]| {
    let replay = ReplayCache::new(64);
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(grant) = JwtGrant::parse(text)
    {
        let jwks: serde_json::Value = serde_json::from_str(JWKS).unwrap_or_default();
        let _ = grant.verify(&jwks, ISSUER, NOW, &replay);
    }
    if let Ok(serde_json::Value::Object(claims)) = serde_json::from_slice(data) {
        let _ = check_claims(&claims, "client", ISSUER, NOW, &replay);
    }
});
