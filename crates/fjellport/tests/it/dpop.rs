//! SyntPop 1.0 with HelseID-style DPoP-bound tokens from the embedded issuer, end to end.

use fjellport_auth::forge::{Broken, ProofFor, proof};
use fjellport_auth::jose::EcSigningKey;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, Client, TestServer, client, json, now, problem, temp_db};

const SCOPE: &str = "nhntsd:syntpop-api/full-access";

fn ping_url(s: &TestServer) -> String {
    s.url("/syntpop/api/ping")
}

/// A v1.0 call with `Authorization: DPoP` and the given proof.
fn call(s: &TestServer, token: &str, proof: &str) -> reqwest::RequestBuilder {
    s.get("/syntpop/api/ping")
        .header("X-api-version", "1.0")
        .header("Authorization", format!("DPoP {token}"))
        .header("DPoP", proof)
}

fn fresh_proof(c: &Client, uri: &str) -> String {
    let target =
        ProofFor { method: "GET", uri, access_token: Some(&c.token), nonce: None, now: now() };
    proof(&c.key, &target, None).unwrap()
}

async fn refused(res: reqwest::Response, status: u16, error: &str) -> Value {
    let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("DPoP "), "{challenge}");
    assert!(challenge.contains(&format!("error=\"{error}\"")), "{challenge}");
    assert!(challenge.contains("algs=\""), "{challenge}");
    let p = problem(res, status).await;
    assert_eq!(p["error"], error, "{p}");
    p
}

#[tokio::test]
async fn a_bound_token_with_a_fresh_proof_reaches_version_1_0() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = client(
        &s,
        json!({"client_id": "my-client",
        "helseid://claims/client/claims/orgnr_parent": "999888771"}),
    )
    .await;
    let res = call(&s, &c.token, &fresh_proof(&c, &ping_url(&s))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(!res.headers().contains_key("deprecation"), "1.0 is current");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["auth"], "dpop");
    assert_eq!(body["clientId"], "my-client");
    assert_eq!(body["owner"], "999888771", "orgnr_parent owns reserved persons");
    // A second call needs a second proof; the same proof again is a replay.
    let p = fresh_proof(&c, &ping_url(&s));
    assert_eq!(call(&s, &c.token, &p).send().await.unwrap().status(), 200);
    refused(call(&s, &c.token, &p).send().await.unwrap(), 401, "invalid_dpop_proof").await;
    s.stop().await;
}

#[tokio::test]
async fn downgrades_rebinding_and_unbound_tokens_are_refused() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = client(&s, json!({})).await;
    // Bearer downgrade of a bound token (RFC 9449 §7.2).
    let res = s
        .get("/syntpop/api/ping")
        .header("X-api-version", "1.0")
        .header("Authorization", format!("Bearer {}", c.token))
        .send()
        .await
        .unwrap();
    refused(res, 401, "invalid_token").await;
    // Proof made with another key than the token's.
    let thief = Client { key: EcSigningKey::generate().unwrap(), token: c.token.clone() };
    let p = refused(
        call(&s, &c.token, &fresh_proof(&thief, &ping_url(&s))).send().await.unwrap(),
        401,
        "invalid_token",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("key binding"), "{p}");
    // No proof at all.
    let res = s
        .get("/syntpop/api/ping")
        .header("X-api-version", "1.0")
        .header("Authorization", format!("DPoP {}", c.token))
        .send()
        .await
        .unwrap();
    refused(res, 401, "invalid_dpop_proof").await;
    // An unbound (Bearer) token presented with DPoP.
    let unbound: Value = json(s.http.post(s.url("/helseid/test-token")).json(&json!({}))).await;
    assert_eq!(unbound["token_type"], "Bearer");
    let token = unbound["access_token"].as_str().unwrap();
    let unbound_client = Client { key: EcSigningKey::generate().unwrap(), token: token.to_owned() };
    let res = call(&s, token, &fresh_proof(&unbound_client, &ping_url(&s))).send().await.unwrap();
    refused(res, 401, "invalid_token").await;
    s.stop().await;
}

#[tokio::test]
async fn token_claims_are_checked_scope_audience_expiry_issuer() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let cases = [
        (
            json!({"scope": "nhntsd:other-api/read", "aud": "nhntsd:syntpop-api"}),
            403,
            "insufficient_scope",
        ),
        (json!({"aud": "nhntsd:other-api"}), 401, "invalid_token"),
        (json!({"aud": ["nhntsd:syntpop-api", "x"]}), 401, "invalid_token"),
        (json!({"exp": now() - 3600}), 401, "invalid_token"),
        (json!({"nbf": now() + 3600}), 401, "invalid_token"),
        (json!({"iss": "https://helseid-sts.nhn.no"}), 401, "invalid_token"),
    ];
    for (claims, status, error) in cases {
        let c = client(&s, claims.clone()).await;
        let res = call(&s, &c.token, &fresh_proof(&c, &ping_url(&s))).send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{claims}");
        refused(res, status, error).await;
    }
    // The right scope among others is fine.
    let c = client(&s, json!({"scope": format!("openid {SCOPE}")})).await;
    let res = call(&s, &c.token, &fresh_proof(&c, &ping_url(&s))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn every_broken_proof_from_the_test_token_service_is_refused() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    // A valid one first: the service's own proof works.
    let ok: Value =
        json(s.http.post(s.url("/helseid/test-token")).json(&json!({"proof": {}}))).await;
    let res = call(&s, ok["access_token"].as_str().unwrap(), ok["dpop_proof"].as_str().unwrap());
    assert_eq!(res.send().await.unwrap().status(), 200);
    for broken in Broken::ALL {
        let body = json!({"brokenProof": broken.as_str()});
        let t: Value = json(s.http.post(s.url("/helseid/test-token")).json(&body)).await;
        let res = call(&s, t["access_token"].as_str().unwrap(), t["dpop_proof"].as_str().unwrap());
        let res = res.send().await.unwrap();
        let want = if broken == Broken::WrongJkt { "invalid_token" } else { "invalid_dpop_proof" };
        refused(res, 401, want).await;
    }
    let res = s.http.post(s.url("/helseid/test-token")).json(&json!({"brokenProof": "nope"}));
    let p = problem(res.send().await.unwrap(), 400).await;
    assert!(p["detail"].as_str().unwrap().contains("bad-signature"), "lists the catalogue: {p}");
    s.stop().await;
}

#[tokio::test]
async fn htu_is_checked_against_the_public_url_not_the_bind_address() {
    let mut config = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    config.public_url = Some("https://fjellport.example.test".into());
    let s = TestServer::start(config).await;
    let c = client(&s, json!({})).await;
    let external = "https://fjellport.example.test/syntpop/api/ping";
    let res = call(&s, &c.token, &fresh_proof(&c, external)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = call(&s, &c.token, &fresh_proof(&c, &ping_url(&s))).send().await.unwrap();
    refused(res, 401, "invalid_dpop_proof").await;
    let meta: Value = json(s.get("/helseid/.well-known/openid-configuration")).await;
    assert_eq!(meta["issuer"], "https://fjellport.example.test/helseid");
    assert_eq!(meta["token_endpoint"], "https://fjellport.example.test/helseid/connect/token");
    assert_eq!(meta["token_endpoint_auth_methods_supported"], json!(["private_key_jwt"]));
    assert!(
        meta["dpop_signing_alg_values_supported"].as_array().unwrap().contains(&json!("ES256"))
    );
    s.stop().await;
}

#[tokio::test]
async fn signing_keys_survive_a_restart_and_test_tokens_are_test_only() {
    let (_dir, db) = temp_db("issuer.db");
    // The issuer URL is the public URL: pin it, since a restart binds another port.
    let mut config = crate::support::config(&db, BEFORE_SUNSET);
    config.public_url = Some("https://fjellport.example.test".into());
    let external = "https://fjellport.example.test/syntpop/api/ping";
    let s = TestServer::start(config.clone()).await;
    let jwks: Value = json(s.get("/helseid/.well-known/openid-configuration/jwks")).await;
    let c = client(&s, json!({})).await;
    s.stop().await;
    let again = TestServer::start(config).await;
    let jwks_after: Value = json(again.get("/helseid/.well-known/openid-configuration/jwks")).await;
    assert_eq!(jwks, jwks_after, "the same keys after a restart");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    assert!(jwks["keys"][0].get("d").is_none(), "no private key published");
    let res = call(&again, &c.token, &fresh_proof(&c, external)).send().await.unwrap();
    assert_eq!(res.status(), 200, "a token from before the restart still verifies");
    again.stop().await;

    let mut prod = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    prod.environment = fjellport_auth::Environment::Production;
    let p = TestServer::start(prod).await;
    let res = p.http.post(p.url("/helseid/test-token")).json(&json!({})).send().await.unwrap();
    problem(res, 404).await;
    p.stop().await;
}

#[tokio::test]
async fn a_key_rotation_keeps_old_tokens_valid_and_running_servers_follow_it() {
    let (s, db, _dir) = TestServer::on_file("rotate.db").await;
    let old = client(&s, json!({})).await;
    let jwks = |s: &TestServer| json(s.get("/helseid/.well-known/openid-configuration/jwks"));
    let before: Value = jwks(&s).await;
    assert_eq!(before["keys"].as_array().unwrap().len(), 1);

    let out = crate::cli::fjellport(&[
        "--clock",
        BEFORE_SUNSET,
        "issuer",
        "rotate-key",
        "--database",
        &db,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rotation: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rotation["retiredKid"], before["keys"][0]["kid"]);

    // The running server publishes both keys within a few seconds, and signs with the new one.
    let started = std::time::Instant::now();
    loop {
        let now: Value = jwks(&s).await;
        if now["keys"].as_array().unwrap().len() == 2 {
            assert_eq!(now["keys"][0]["kid"], rotation["newKid"], "the new key comes first");
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(4), "rotation not picked up");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let fresh = client(&s, json!({})).await;
    let kid_of = |token: &str| -> Value {
        let header = token.split('.').next().unwrap();
        serde_json::from_slice::<Value>(&fjellport_auth::jose::b64d(header).unwrap()).unwrap()["kid"].clone()
    };
    assert_eq!(kid_of(&fresh.token), rotation["newKid"]);
    for c in [&old, &fresh] {
        let res = call(&s, &c.token, &fresh_proof(c, &ping_url(&s))).send().await.unwrap();
        assert_eq!(res.status(), 200, "tokens of both keys verify during the overlap");
    }
    // A second rotation long after the first removes the key retired then.
    let later = "2026-09-05T00:00:00Z";
    let out = crate::cli::fjellport(&["--clock", later, "issuer", "rotate-key", "--database", &db]);
    let second: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(second["removedKids"], json!([before["keys"][0]["kid"]]));
    s.stop().await;
}

#[tokio::test]
async fn a_proof_replayed_at_another_replica_fails_on_postgres() {
    let Some(url) = crate::support::postgres().await else { return };
    // Two replicas behind one public URL, sharing only the database.
    let mut cfg = crate::support::config(&url, BEFORE_SUNSET);
    cfg.public_url = Some("https://fjellport.example.test".into());
    let a = TestServer::start(cfg.clone()).await;
    let b = TestServer::start(cfg).await;
    let c = client(&a, json!({})).await;
    let external = "https://fjellport.example.test/syntpop/api/ping";
    let p = fresh_proof(&c, external);
    assert_eq!(call(&a, &c.token, &p).send().await.unwrap().status(), 200);
    refused(call(&b, &c.token, &p).send().await.unwrap(), 401, "invalid_dpop_proof").await;
    // A fresh proof works at either replica.
    assert_eq!(call(&b, &c.token, &fresh_proof(&c, external)).send().await.unwrap().status(), 200);
    a.stop().await;
    b.stop().await;
}

fn proof_at(c: &Client, uri: &str, at: i64, nonce: Option<&str>) -> String {
    let target = ProofFor { method: "GET", uri, access_token: Some(&c.token), nonce, now: at };
    proof(&c.key, &target, None).unwrap()
}

#[tokio::test]
async fn the_proof_window_is_configurable() {
    // Default: a proof made 30 s ago is still fresh.
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = client(&s, json!({})).await;
    let res =
        call(&s, &c.token, &proof_at(&c, &ping_url(&s), now() - 30, None)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;
    // HelseID's sample allows about 6 s: with max_age_secs = 6 the same proof is too old.
    let mut cfg = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    cfg.dpop.max_age_secs = 6;
    let s = TestServer::start(cfg).await;
    let c = client(&s, json!({})).await;
    let old = proof_at(&c, &ping_url(&s), now() - 30, None);
    let p =
        refused(call(&s, &c.token, &old).send().await.unwrap(), 401, "invalid_dpop_proof").await;
    assert!(p["detail"].as_str().unwrap().contains("iat"), "{p}");
    let fresh = proof_at(&c, &ping_url(&s), now() - 3, None);
    assert_eq!(call(&s, &c.token, &fresh).send().await.unwrap().status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn a_resource_server_nonce_can_be_demanded() {
    let mut cfg = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    cfg.dpop.resource_nonce = true;
    let s = TestServer::start(cfg).await;
    let c = client(&s, json!({})).await;
    // Without a nonce: 401 use_dpop_nonce, and a nonce to use.
    let res = call(&s, &c.token, &proof_at(&c, &ping_url(&s), now(), None)).send().await.unwrap();
    let nonce = res.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    refused(res, 401, "use_dpop_nonce").await;
    // A made-up nonce is no better.
    let res = call(&s, &c.token, &proof_at(&c, &ping_url(&s), now(), Some("made-up")))
        .send()
        .await
        .unwrap();
    refused(res, 401, "use_dpop_nonce").await;
    // With the server's nonce: through, and the answer carries the next one to use.
    let res =
        call(&s, &c.token, &proof_at(&c, &ping_url(&s), now(), Some(&nonce))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let next = res.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let res =
        call(&s, &c.token, &proof_at(&c, &ping_url(&s), now(), Some(&next))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn dpop_clients_are_rate_limited_each_on_their_own() {
    let mut cfg = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    cfg.apis.syntpop.rate_limit = Some(2);
    let s = TestServer::start(cfg).await;
    let a = client(&s, json!({"client_id": "client-a"})).await;
    let b = client(&s, json!({"client_id": "client-b"})).await;
    // Six calls at once: a budget of 2 a second lets two through, and refuses the rest.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let req = call(&s, &a.token, &fresh_proof(&a, &ping_url(&s)));
        calls.spawn(async move { req.send().await.unwrap() });
    }
    let mut statuses = Vec::new();
    while let Some(res) = calls.join_next().await {
        let res = res.unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            let p = problem(res, 429).await;
            assert!(p["detail"].as_str().unwrap().contains("client"), "{p}");
        }
    }
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    assert!((2..=3).contains(&allowed), "{statuses:?}");
    assert_eq!(allowed + statuses.iter().filter(|s| **s == 429).count(), 6, "{statuses:?}");
    let res = call(&s, &b.token, &fresh_proof(&b, &ping_url(&s))).send().await.unwrap();
    assert_eq!(res.status(), 200, "another client has its own budget");
    assert_eq!(res.headers()["ratelimit-limit"], "2");
    s.stop().await;
}

fn token_alg(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["alg"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_issuer_signs_with_rsa_when_configured_and_a_change_keeps_old_tokens_valid() {
    let (_dir, db) = temp_db("rsa.db");
    let mut cfg = crate::support::config(&db, BEFORE_SUNSET);
    cfg.issuer_signing_alg = fjellport_auth::issuer::SigningAlg::RS256;
    // One issuer URL across both starts (the port changes), as behind a proxy.
    cfg.public_url = Some("http://fjellport.test".into());
    let ping = "http://fjellport.test/syntpop/api/ping";
    let s = TestServer::start(cfg.clone()).await;
    let jwks = json(s.get("/helseid/.well-known/openid-configuration/jwks")).await;
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
    let old = client(&s, json!({})).await;
    assert_eq!(token_alg(&old.token), "RS256");
    let res = call(&s, &old.token, &fresh_proof(&old, ping)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;
    // PS256 from the next start: a rotation, and the RS256 key stays published for its tokens.
    cfg.issuer_signing_alg = fjellport_auth::issuer::SigningAlg::PS256;
    let s = TestServer::start(cfg).await;
    let jwks = json(s.get("/helseid/.well-known/openid-configuration/jwks")).await;
    let algs: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert_eq!(algs, ["PS256", "RS256"]);
    let new = client(&s, json!({})).await;
    assert_eq!(token_alg(&new.token), "PS256");
    for (name, c) in [("RS256", &old), ("PS256", &new)] {
        let res = call(&s, &c.token, &fresh_proof(c, ping)).send().await.unwrap();
        let status = res.status();
        assert_eq!(status, 200, "{name}: {}", res.text().await.unwrap());
    }
    s.stop().await;
    // And back to ES256 by the CLI.
    let out = crate::cli::fjellport(&["issuer", "rotate-key", "--alg", "ES256", "--database", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = crate::cli::fjellport(&["issuer", "rotate-key", "--alg", "HS256", "--database", &db]);
    assert_eq!(out.status.code(), Some(2));
}

/// A token as an external issuer would sign it, bound to `holder`'s key.
fn external_token(signer: &EcSigningKey, kid: &str, iss: &str, holder: &EcSigningKey) -> String {
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
    let claims = json!({
        "iss": iss, "aud": "nhntsd:syntpop-api", "scope": SCOPE, "client_id": "external-client",
        "iat": now(), "nbf": now(), "exp": now() + 300,
        "cnf": {"jkt": holder.public_jwk().thumbprint()},
    });
    signer.sign(&header, &claims).unwrap()
}

fn jwks_of(key: &EcSigningKey, kid: &str) -> Value {
    let mut jwk = key.public_jwk().members;
    jwk.insert("kid".into(), json!(kid));
    json!({"keys": [Value::Object(jwk)]})
}

#[tokio::test]
async fn tokens_of_a_trusted_external_issuer_are_accepted_by_file_or_discovery() {
    let dir = tempfile::tempdir().unwrap();
    let external = EcSigningKey::generate().unwrap();
    let holder = EcSigningKey::generate().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks_of(&external, "ext-1").to_string()).unwrap();
    // A stand-in for the external issuer's discovery endpoint.
    let app = axum::Router::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_url = format!("http://{}", listener.local_addr().unwrap());
    let other_key = EcSigningKey::generate().unwrap();
    let (doc, jwks) = (
        json!({"issuer": other_url, "jwks_uri": format!("{other_url}/jwks")}),
        jwks_of(&other_key, "disc-1"),
    );
    let app = app
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || async move { axum::Json(doc) }),
        )
        .route("/jwks", axum::routing::get(move || async move { axum::Json(jwks) }));
    let discovery_server = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut cfg = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    cfg.trusted_issuers = vec![
        fjellport::config::TrustedIssuer {
            issuer: "https://helseid-sts.test.example".into(),
            jwks_file: Some(file),
            discovery_url: None,
        },
        fjellport::config::TrustedIssuer {
            issuer: other_url.clone(),
            jwks_file: None,
            discovery_url: Some(format!("{other_url}/.well-known/openid-configuration")),
        },
    ];
    let s = TestServer::start(cfg).await;
    let with =
        |token: String| Client { key: EcSigningKey::from_pkcs8(holder.pkcs8()).unwrap(), token };
    let by_file =
        with(external_token(&external, "ext-1", "https://helseid-sts.test.example", &holder));
    let res = call(&s, &by_file.token, &fresh_proof(&by_file, &ping_url(&s))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["clientId"], "external-client");
    // By discovery (fetched in the background right after start).
    let by_discovery = with(external_token(&other_key, "disc-1", &other_url, &holder));
    let mut status = 0;
    for _ in 0..40 {
        let res = call(&s, &by_discovery.token, &fresh_proof(&by_discovery, &ping_url(&s)))
            .send()
            .await
            .unwrap();
        status = res.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "the discovered issuer's token");
    // A forged key under a trusted kid, and an issuer nobody configured, are refused.
    let forger = EcSigningKey::generate().unwrap();
    let forged =
        with(external_token(&forger, "ext-1", "https://helseid-sts.test.example", &holder));
    let res = call(&s, &forged.token, &fresh_proof(&forged, &ping_url(&s))).send().await.unwrap();
    refused(res, 401, "invalid_token").await;
    let stranger = with(external_token(&forger, "x", "https://unknown.example", &holder));
    let res =
        call(&s, &stranger.token, &fresh_proof(&stranger, &ping_url(&s))).send().await.unwrap();
    refused(res, 401, "invalid_token").await;
    s.stop().await;
    discovery_server.abort();
}

#[tokio::test]
async fn a_database_outage_on_a_dpop_route_is_503_with_retry_after_not_a_token_refusal() {
    // Replicas share the replay record only on PostgreSQL, so only there can it fail.
    let Some(db) = crate::support::postgres().await else {
        return;
    };
    let s = TestServer::start(crate::support::config(&db, BEFORE_SUNSET)).await;
    let c = client(&s, json!({})).await;
    let res = call(&s, &c.token, &fresh_proof(&c, &ping_url(&s))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    crate::support::break_table(&db, "replay").await;
    let res = call(&s, &c.token, &fresh_proof(&c, &ping_url(&s))).send().await.unwrap();
    assert_eq!(res.headers()["retry-after"], "1");
    assert!(!res.headers().contains_key("www-authenticate"), "the token was not refused");
    let p = problem(res, 503).await;
    assert!(!p["detail"].as_str().unwrap().contains("replay_gone"), "no database text: {p}");
    s.stop().await;
}

/// The test-token service mints what a real issuer could: organization numbers that pass
/// mod 11, and times inside the lifetime asked for (an expired token is allowed: negative
/// tests need one).
#[tokio::test]
async fn test_token_claims_must_be_ones_an_issuer_could_sign() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let parent = "helseid://claims/client/claims/orgnr_parent";
    for (claims, why) in [
        (json!({parent: "974760674"}), "orgnr_parent"),
        (json!({parent: 974760673}), "orgnr_parent"),
        (json!({"exp": 4_102_444_800i64}), "expiresIn"),
        (json!({"iat": now() + 3600}), "future"),
        (json!({"exp": "tomorrow"}), "NumericDate"),
        (json!({"nbf": now() + 100, "exp": now() + 50}), "nbf"),
    ] {
        let res = s.http.post(s.url("/helseid/test-token")).json(&json!({"claims": claims}));
        let p = problem(res.send().await.unwrap(), 400).await;
        assert!(p["detail"].as_str().unwrap().contains(why), "{claims}: {p}");
    }
    for claims in
        [json!({parent: "974760673"}), json!({"exp": now() - 60}), json!({"exp": now() + 200})]
    {
        let res = s.http.post(s.url("/helseid/test-token")).json(&json!({"claims": claims}));
        assert_eq!(res.send().await.unwrap().status(), 200, "{claims}");
    }
    s.stop().await;
}

/// Anyone who reaches a shared server could mint tokens for any client: beyond loopback (or
/// with `test_token_requires_admin`) the test-token service takes the admin token.
#[tokio::test]
async fn test_tokens_need_the_admin_token_beyond_loopback() {
    let mut config = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    config.listen = "0.0.0.0:0".parse().unwrap();
    let s = TestServer::start(config).await;
    let mint = |bearer: Option<&str>| {
        let req = s.http.post(s.url("/helseid/test-token")).json(&json!({}));
        match bearer {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    };
    for wrong in [None, Some("not-the-admin-token")] {
        let res = mint(wrong).send().await.unwrap();
        assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        let p = problem(res, 401).await;
        assert!(p["detail"].as_str().unwrap().contains("admin token"), "{p}");
    }
    assert_eq!(mint(Some(crate::support::ADMIN_TOKEN)).send().await.unwrap().status(), 200);
    s.stop().await;

    // On loopback it is open, unless the config says otherwise.
    let open = TestServer::memory(BEFORE_SUNSET).await;
    let res = open.http.post(open.url("/helseid/test-token")).json(&json!({})).send().await;
    assert_eq!(res.unwrap().status(), 200);
    open.stop().await;
    let mut config = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    config.test_token_requires_admin = true;
    let locked = TestServer::start(config).await;
    let res = locked.http.post(locked.url("/idporten/test-token")).json(&json!({})).send().await;
    problem(res.unwrap(), 401).await;
    locked.stop().await;
}
