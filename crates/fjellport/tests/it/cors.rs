//! Per-key CORS: preflights from the union of browser-key origins, actual requests from the
//! key's own origins only.

use serde_json::json;

use crate::support::{BEFORE_SUNSET, TestServer, problem};

const APP: &str = "https://app.example.test";
const OTHER_APP: &str = "https://other.example.test";

async fn server_with_browser_keys() -> (TestServer, String, String) {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, a) = s.key(json!({"api": "syntpop", "type": "browser", "origins": [APP]})).await;
    let (_, b) = s.key(json!({"api": "syntpop", "type": "browser", "origins": [OTHER_APP]})).await;
    (s, a, b)
}

fn preflight(s: &TestServer, path: &str, origin: &str) -> reqwest::RequestBuilder {
    s.http
        .request(reqwest::Method::OPTIONS, s.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "x-api-key, x-api-version")
}

#[tokio::test]
async fn a_preflight_is_answered_from_the_union_of_browser_key_origins() {
    let (s, _, _) = server_with_browser_keys().await;
    for origin in [APP, OTHER_APP] {
        let res = preflight(&s, "/syntpop/api/ping", origin).send().await.unwrap();
        assert_eq!(res.status(), 204, "{origin}");
        let h = res.headers();
        assert_eq!(h["access-control-allow-origin"], origin);
        assert!(h["access-control-allow-methods"].to_str().unwrap().contains("GET"));
        assert_eq!(h["access-control-allow-headers"], "x-api-key, x-api-version");
        assert!(h.get_all("vary").iter().any(|v| v == "Origin"));
    }
    let res = preflight(&s, "/syntpop/api/ping", "https://evil.example.test").send().await;
    let res = res.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    problem(res, 403).await;
    // Origins are per API: the Altinn API has no browser keys.
    let res = preflight(&s, "/altinn/api/ping", APP).send().await.unwrap();
    assert_eq!(res.status(), 403);
    s.stop().await;
}

#[tokio::test]
async fn the_actual_request_must_come_from_the_keys_own_origin() {
    let (s, a, _) = server_with_browser_keys().await;
    let res = s
        .get("/syntpop/api/ping")
        .header("X-api-key", &a)
        .header("Origin", APP)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], APP);
    let exposed = h["access-control-expose-headers"].to_str().unwrap();
    for name in ["WWW-Authenticate", "DPoP-Nonce", "Deprecation", "Sunset", "Link"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    // Key A from B's origin: that origin is registered, but not for this key.
    let res = s
        .get("/syntpop/api/ping")
        .header("X-api-key", &a)
        .header("Origin", OTHER_APP)
        .send()
        .await
        .unwrap();
    problem(res, 403).await;
    // From nowhere a browser would be.
    let res = s
        .get("/syntpop/api/ping")
        .header("X-api-key", &a)
        .header("Origin", "https://evil.example.test")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    problem(res, 403).await;
    // Without an Origin at all.
    let res = s.get("/syntpop/api/ping").header("X-api-key", &a).send().await.unwrap();
    problem(res, 403).await;
    s.stop().await;
}

#[tokio::test]
async fn a_registered_origin_can_read_error_answers() {
    let (s, _, _) = server_with_browser_keys().await;
    let res = s.get("/syntpop/api/ping").header("Origin", APP).send().await.unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], APP);
    problem(res, 401).await;
    s.stop().await;
}

#[tokio::test]
async fn localhost_origins_work_only_in_the_test_environment() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let local = "http://localhost:5173";
    let (_, key) = s.key(json!({"api": "altinn", "type": "browser", "origins": [local]})).await;
    let res = s
        .get("/altinn/api/ping")
        .header("ApiKey", &key)
        .header("Origin", local)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;

    let mut config = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    config.environment = fjellport_auth::Environment::Production;
    let prod = TestServer::start(config).await;
    // The loopback origin, and every other spelling a browser resolves to this machine.
    for local in [
        local,
        "http://localhost.",
        "http://LocalHost.:8080",
        "http://foo.localhost.",
        "http://[::ffff:127.0.0.1]",
        "http://0.0.0.0",
        "http://2130706433",
    ] {
        let res = prod
            .admin(reqwest::Method::POST, "/keys")
            .json(&json!({"api": "altinn", "type": "browser", "origins": [local]}))
            .send()
            .await
            .unwrap();
        let p = problem(res, 400).await;
        assert!(p["detail"].as_str().unwrap().contains("localhost"), "{local}: {p}");
    }
    prod.stop().await;
}
