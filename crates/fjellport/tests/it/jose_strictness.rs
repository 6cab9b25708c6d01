//! JOSE strictness on SyntPop 1.0 (the security issue): a `crit` extension nobody here
//! understands, or an unencoded payload (`b64` false), is refused in a DPoP proof and in an
//! access token, with a message that names it (RFC 7515 §4.1.11); `typ` in its media-type
//! forms and a fractional `iat` are accepted, as RFC 7515 §4.1.9 and RFC 7519 allow.

use fjellport_auth::jose::{b64d, b64e, sha256_b64};
use fjellport_auth::secret::random_id;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, Client, TestServer, client, now, problem};

/// A proof for a ping with `header` members over the usual ones and `iat` as given.
fn proof_with(s: &TestServer, c: &Client, header: Value, iat: Value) -> String {
    let mut h = json!({"typ": "dpop+jwt", "alg": "ES256",
                       "jwk": Value::Object(c.key.public_jwk().members)});
    for (k, v) in header.as_object().unwrap() {
        h[k] = v.clone();
    }
    let claims = json!({"jti": random_id("p_"), "htm": "GET", "htu": s.url("/syntpop/api/ping"),
                        "iat": iat, "ath": sha256_b64(c.token.as_bytes())});
    c.key.sign(&h, &claims).unwrap()
}

async fn ping(s: &TestServer, token: &str, proof: &str) -> reqwest::Response {
    s.get("/syntpop/api/ping")
        .header("X-api-version", "1.0")
        .header("Authorization", format!("DPoP {token}"))
        .header("DPoP", proof)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn crit_and_unencoded_payloads_are_refused_and_naming_them() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = client(&s, json!({})).await;
    let ok = proof_with(&s, &c, json!({}), json!(now()));
    assert_eq!(ping(&s, &c.token, &ok).await.status(), 200);
    for header in [
        json!({"crit": ["exp-unknown"], "exp-unknown": 1}),
        json!({"crit": ["b64"], "b64": false}),
        json!({"b64": false}),
        json!({"crit": ["ærlig\"\u{1F600}"], "ærlig\"\u{1F600}": 1}),
    ] {
        let res = ping(&s, &c.token, &proof_with(&s, &c, header.clone(), json!(now()))).await;
        let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.contains("error=\"invalid_dpop_proof\""), "{header}: {challenge}");
        let p = problem(res, 401).await;
        assert_eq!(p["error"], "invalid_dpop_proof", "{header}: {p}");
        assert!(p["detail"].as_str().unwrap().contains("crit"), "{header}: {p}");
    }
    // An access token whose header gains a crit is refused for the crit, before its
    // signature is even looked at.
    let (head, rest) = c.token.split_once('.').unwrap();
    let mut h: Value = serde_json::from_slice(&b64d(head).unwrap()).unwrap();
    h["crit"] = json!(["exp-unknown"]);
    let token = format!("{}.{rest}", b64e(h.to_string().as_bytes()));
    let proof = {
        let claims = json!({"jti": random_id("p_"), "htm": "GET",
                            "htu": s.url("/syntpop/api/ping"), "iat": now(),
                            "ath": sha256_b64(token.as_bytes())});
        let header = json!({"typ": "dpop+jwt", "alg": "ES256",
                            "jwk": Value::Object(c.key.public_jwk().members)});
        c.key.sign(&header, &claims).unwrap()
    };
    let p = problem(ping(&s, &token, &proof).await, 401).await;
    assert_eq!(p["error"], "invalid_token", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("crit"), "{p}");
    s.stop().await;
}

#[tokio::test]
async fn typ_in_its_media_type_forms_and_a_fractional_iat_are_accepted() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = client(&s, json!({})).await;
    for typ in ["DPoP+JWT", "application/dpop+jwt", "Application/DPoP+JWT"] {
        let proof = proof_with(&s, &c, json!({"typ": typ}), json!(now()));
        assert_eq!(ping(&s, &c.token, &proof).await.status(), 200, "{typ}");
    }
    let proof = proof_with(&s, &c, json!({}), json!(now() as f64 + 0.25));
    assert_eq!(ping(&s, &c.token, &proof).await.status(), 200, "a fractional iat");
    for (typ, iat) in [(json!("JWT"), json!(now())), (json!("dpop+jwt"), json!("now"))] {
        let proof = proof_with(&s, &c, json!({"typ": typ}), iat.clone());
        let p = problem(ping(&s, &c.token, &proof).await, 401).await;
        assert_eq!(p["error"], "invalid_dpop_proof", "{typ} {iat}: {p}");
        if iat.is_string() {
            assert!(p["detail"].as_str().unwrap().contains("NumericDate"), "{p}");
        }
    }
    s.stop().await;
}
