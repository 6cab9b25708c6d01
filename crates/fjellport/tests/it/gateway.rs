//! The gateway's rules, through a real listener: keys, versions, sunset, rate limits, limits.

use serde_json::json;

use crate::support::{AFTER_SUNSET, BEFORE_SUNSET, TestServer, problem, temp_db};

#[tokio::test]
async fn a_valid_key_reaches_the_route_and_the_caller_is_reported() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (id, secret) = s.other_key("syntpop").await;
    for header in ["X-api-key", "X-Syntpop-apikey"] {
        let res = s.get("/syntpop/api/ping").header(header, &secret).send().await.unwrap();
        assert_eq!(res.status(), 200, "{header}");
        let h = res.headers().clone();
        assert_eq!(h["api-supported-versions"], "0.1, 0.2, 1.0");
        assert_eq!(h["api-deprecated-versions"], "0.1, 0.2");
        assert_eq!(h["vary"], "Origin");
        assert!(h.contains_key("x-request-id"));
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["keyId"], id.as_str());
        assert_eq!(body["api"], "syntpop");
        assert_eq!(body["version"], "0.1", "no header means 0.1");
        assert_eq!(body["owner"], "team-test");
    }
    s.stop().await;
}

#[tokio::test]
async fn deprecated_versions_carry_deprecation_sunset_and_link() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, secret) = s.other_key("syntpop").await;
    for version in [None, Some("0.2")] {
        let req = ping(&s, &secret, version);
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["deprecation"], "@1775606400");
        assert_eq!(h["sunset"], "Wed, 30 Sep 2026 23:59:59 GMT");
        let link = h["link"].to_str().unwrap();
        assert!(link.contains("rel=\"deprecation\"") && link.contains("rel=\"successor-version\""));
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["version"], version.unwrap_or("0.1"));
    }
    s.stop().await;
}

#[tokio::test]
async fn after_the_sunset_deprecated_versions_answer_410_with_the_way_forward() {
    let s = TestServer::memory(AFTER_SUNSET).await;
    let (_, secret) = s.other_key("syntpop").await;
    for version in [None, Some("0.2")] {
        let req = ping(&s, &secret, version);
        let p = problem(req.send().await.unwrap(), 410).await;
        assert_eq!(p["successorVersion"], "1.0");
        assert!(p["detail"].as_str().unwrap().contains("X-api-version: 1.0"), "{p}");
    }
    // A missing key does not hide the sunset: the version is settled first.
    problem(s.get("/syntpop/api/ping").send().await.unwrap(), 410).await;
    s.stop().await;
}

#[tokio::test]
async fn sunset_enforcement_can_be_switched_off() {
    let mut config = crate::support::config("sqlite::memory:", AFTER_SUNSET);
    config.apis.syntpop.enforce_sunset = false;
    let s = TestServer::start(config).await;
    let (_, secret) = s.other_key("syntpop").await;
    let res = s.get("/syntpop/api/ping").header("X-api-key", &secret).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["sunset"], "Wed, 30 Sep 2026 23:59:59 GMT");
    s.stop().await;
}

#[tokio::test]
async fn unknown_malformed_and_repeated_versions_are_400_listing_the_supported_ones() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, secret) = s.other_key("syntpop").await;
    for bad in ["2.0", "1", "latest", "1.0.0"] {
        let res = s
            .get("/syntpop/api/ping")
            .header("X-api-key", &secret)
            .header("X-api-version", bad)
            .send()
            .await
            .unwrap();
        let p = problem(res, 400).await;
        assert_eq!(p["supportedVersions"], json!(["0.1", "0.2", "1.0"]), "{bad}");
    }
    let res = s
        .get("/syntpop/api/ping")
        .header("X-api-key", &secret)
        .header("X-api-version", "0.2")
        .header("X-api-version", "0.1")
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    s.stop().await;
}

#[tokio::test]
async fn missing_unknown_expired_and_revoked_keys_are_401_and_alike() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let missing = problem(s.get("/syntpop/api/ping").send().await.unwrap(), 401).await;
    assert!(missing["detail"].as_str().unwrap().contains("X-api-key"));

    let (revoked_id, revoked) = s.other_key("syntpop").await;
    let res = s.admin(reqwest::Method::DELETE, &format!("/keys/{revoked_id}")).send().await;
    assert_eq!(res.unwrap().status(), 200);
    // (Expired keys: see `expiry_is_judged_by_the_clock`.)
    let mut details = Vec::new();
    for secret in ["fjp_unknownunknownunknownunknownunknownunknow", revoked.as_str()] {
        let res = s.get("/syntpop/api/ping").header("X-api-key", secret).send().await.unwrap();
        assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("ApiKey"));
        details.push(problem(res, 401).await["detail"].clone());
    }
    assert_eq!(details[0], details[1], "a wrong secret must not learn which case it is");
    s.stop().await;
}

#[tokio::test]
async fn expiry_is_judged_by_the_clock() {
    let (_dir, db) = temp_db("exp.db");
    let s = TestServer::start(crate::support::config(&db, "2026-09-01T00:00:00Z")).await;
    let (_, secret) = s
        .key(json!({"api": "syntpop", "type": "other", "expiresAt": "2026-09-01T00:00:10Z"}))
        .await;
    let ok = s.get("/syntpop/api/ping").header("X-api-key", &secret).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    s.stop().await;
    let later = TestServer::start(crate::support::config(&db, "2026-09-01T00:00:10Z")).await;
    let res = later.get("/syntpop/api/ping").header("X-api-key", &secret).send().await.unwrap();
    let p = problem(res, 401).await;
    assert!(p["detail"].as_str().unwrap().contains("unknown, expired or revoked"));
    later.stop().await;
}

#[tokio::test]
async fn a_key_of_another_api_is_403() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, altinn) = s.other_key("altinn").await;
    let (_, syntpop) = s.other_key("syntpop").await;
    let p =
        problem(s.get("/syntpop/api/ping").header("X-api-key", &altinn).send().await.unwrap(), 403)
            .await;
    assert_eq!(p["keyApi"], "altinn");
    problem(s.get("/altinn/api/ping").header("ApiKey", &syntpop).send().await.unwrap(), 403).await;
    let (_, owner_key) = s.other_key("altinn-serviceowner").await;
    problem(s.get("/altinn/api/ping").header("ApiKey", &owner_key).send().await.unwrap(), 403)
        .await;
    // The right key gets past the key check; the service-owner API then wants the
    // organization's token too (see altinn_auth).
    let res = s.get("/altinn/api/serviceowner/ping").header("ApiKey", &owner_key).send().await;
    let p = problem(res.unwrap(), 401).await;
    assert!(p["detail"].as_str().unwrap().starts_with("Authorization failed"), "{p}");
    let ok = s.get("/altinn/api/ping").header("ApiKey", &altinn).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["api"], "altinn");
    s.stop().await;
}

#[tokio::test]
async fn version_1_0_takes_dpop_and_refuses_keys_bearer_and_two_authorizations() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, secret) = s.other_key("syntpop").await;
    let v1 = || s.get("/syntpop/api/ping").header("X-api-version", "1.0");

    let res = v1().header("X-api-key", &secret).send().await.unwrap();
    let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("DPoP ") && challenge.contains("algs=\"ES256"), "{challenge}");
    let p = problem(res, 401).await;
    assert!(p["detail"].as_str().unwrap().contains("takes no API key"), "{p}");

    let res = v1().header("Authorization", "Bearer abc.def.ghi").send().await.unwrap();
    assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    problem(res, 401).await;

    let res = v1()
        .header("Authorization", "Bearer abc")
        .header("Authorization", "DPoP abc")
        .send()
        .await
        .unwrap();
    let p = problem(res, 400).await;
    assert_eq!(p["error"], "invalid_request");
    s.stop().await;
}

#[tokio::test]
async fn a_per_key_rate_limit_answers_429_with_retry_after() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, secret) = s.key(json!({"api": "syntpop", "type": "other", "rateLimit": 2})).await;
    let call = || s.get("/syntpop/api/ping").header("X-api-key", &secret).send();
    let first = call().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["ratelimit-limit"], "2");
    assert_eq!(first.headers()["ratelimit-remaining"], "1");
    assert_eq!(call().await.unwrap().status(), 200);
    let limited = call().await.unwrap();
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=1).contains(&retry), "retry-after {retry}");
    assert_eq!(limited.headers()["ratelimit-remaining"], "0");
    problem(limited, 429).await;
    // Other keys are not affected.
    let (_, other) = s.other_key("syntpop").await;
    let res = s.get("/syntpop/api/ping").header("X-api-key", &other).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(!res.headers().contains_key("ratelimit-limit"), "no limit configured");
    s.stop().await;
}

#[tokio::test]
async fn the_api_default_rate_limit_applies_to_keys_without_their_own() {
    let mut config = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    config.apis.altinn.rate_limit = Some(1);
    let s = TestServer::start(config).await;
    let (_, secret) = s.other_key("altinn").await;
    let call = || s.get("/altinn/api/ping").header("ApiKey", &secret).send();
    assert_eq!(call().await.unwrap().status(), 200);
    problem(call().await.unwrap(), 429).await;
    s.stop().await;
}

#[tokio::test]
async fn malformed_and_ambiguous_key_headers_are_400() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, a) = s.other_key("syntpop").await;
    let (_, b) = s.other_key("syntpop").await;
    let res = s
        .get("/syntpop/api/ping")
        .header("X-api-key", &a)
        .header("X-Syntpop-apikey", &b)
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let same = s
        .get("/syntpop/api/ping")
        .header("X-api-key", &a)
        .header("X-Syntpop-apikey", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200, "the same key under both names is fine");
    let non_utf8 = reqwest::header::HeaderValue::from_bytes(b"fjp_\xff\xfe").unwrap();
    let res = s.get("/syntpop/api/ping").header("X-api-key", non_utf8).send().await.unwrap();
    problem(res, 400).await;
    let absurd = "k".repeat(4000);
    let res = s.get("/syntpop/api/ping").header("X-api-key", absurd).send().await.unwrap();
    problem(res, 400).await;
    let non_utf8 = reqwest::header::HeaderValue::from_bytes(b"1.\xc3\x28").unwrap();
    let res = s
        .get("/syntpop/api/ping")
        .header("X-api-key", &a)
        .header("X-api-version", non_utf8)
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    s.stop().await;
}

#[tokio::test]
async fn an_oversize_body_is_413_and_unknown_paths_and_methods_are_problems() {
    let mut config = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    config.body_limit_bytes = 1024;
    let s = TestServer::start(config).await;
    let res = s
        .admin(reqwest::Method::POST, "/keys")
        .header("content-type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    problem(res, 413).await;
    let (_, secret) = s.other_key("syntpop").await;
    let res = s.http.post(s.url("/syntpop/api/ping")).header("X-api-key", &secret).send().await;
    problem(res.unwrap(), 405).await;
    let res = s.get("/syntpop/api/no-such-thing").header("X-api-key", &secret).send().await;
    problem(res.unwrap(), 404).await;
    problem(s.get("/nowhere").send().await.unwrap(), 404).await;
    s.stop().await;
}

/// `GET /syntpop/api/ping` with a key, and a version header when one is given.
fn ping(s: &TestServer, key: &str, version: Option<&str>) -> reqwest::RequestBuilder {
    let req = s.get("/syntpop/api/ping").header("X-api-key", key);
    match version {
        Some(v) => req.header("X-api-version", v),
        None => req,
    }
}
