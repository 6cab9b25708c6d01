//! How the Altinn-style APIs admit callers: an `ApiKey` always (a missing one is Altinn's own
//! `400 Required header 'ApiKey' is missing.`), and for the service-owner API an organization's
//! Maskinporten-like token beside it.

use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, problem};

const SERVICEOWNER_SCOPE: &str = "altinn:serviceowner/rolesandrights";

/// The status line of a raw HTTP/1.1 GET of `path` with `headers`: reason phrases included.
async fn status_line(s: &TestServer, path: &str, headers: &[(&str, &str)]) -> String {
    crate::support::status_line(s, "GET", path, headers, "").await
}

/// A Maskinporten-like token from the test-token service.
async fn maskinporten_token(s: &TestServer, claims: Value) -> String {
    let res: Value = crate::support::json(
        s.http.post(s.url("/maskinporten/test-token")).json(&json!({"claims": claims})),
    )
    .await;
    assert_eq!(res["token_type"], "Bearer", "{res}");
    res["access_token"].as_str().unwrap().to_owned()
}

fn organization(orgnr: &str) -> Value {
    json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{orgnr}")})
}

#[tokio::test]
async fn a_missing_api_key_is_altinns_400_with_its_reason_phrase() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    for path in ["/altinn/api/ping", "/altinn/api/serviceowner/ping"] {
        let line = status_line(&s, path, &[]).await;
        assert_eq!(line, "HTTP/1.1 400 Required header 'ApiKey' is missing.", "{path}");
        let p = problem(s.get(path).send().await.unwrap(), 400).await;
        assert!(p["detail"].as_str().unwrap().contains("ApiKey"), "{p}");
    }
    // SyntPop keeps its own answer: 401 with a challenge.
    let res = s.get("/syntpop/api/ping").header("X-api-version", "0.2").send().await.unwrap();
    assert_eq!(res.status(), 401);
    s.stop().await;
}

#[tokio::test]
async fn service_owners_present_a_key_and_an_organizations_maskinporten_token() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, key) = s.key(json!({"api": "altinn-serviceowner", "type": "other"})).await;
    let (_, enduser_key) = s.key(json!({"api": "altinn", "type": "other"})).await;
    let token = maskinporten_token(
        &s,
        json!({"scope": SERVICEOWNER_SCOPE, "client_id": "skd-client", "consumer": organization("974761076")}),
    )
    .await;
    let ping = |key: &str, auth: Option<String>| {
        let mut req = s.get("/altinn/api/serviceowner/ping").header("ApiKey", key);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req
    };
    let res = ping(&key, Some(format!("Bearer {token}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let caller: Value = res.json().await.unwrap();
    assert_eq!(caller["auth"], "apiKey+bearer");
    assert_eq!(caller["owner"], "974761076", "the token's organization: {caller}");
    assert_eq!(caller["clientId"], "skd-client", "{caller}");

    // The key alone is not enough: 401 with a Bearer challenge.
    let res = ping(&key, None).send().await.unwrap();
    let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("altinn:serviceowner"),
        "{challenge}"
    );
    let p = problem(res, 401).await;
    assert!(p["detail"].as_str().unwrap().starts_with("Authorization failed"), "{p}");
    let line = status_line(&s, "/altinn/api/serviceowner/ping", &[("ApiKey", &key)]).await;
    assert_eq!(line, "HTTP/1.1 401 Authorization failed");

    // A token without a service-owner scope is 403; one of another issuer, or garbage, 401.
    let other = maskinporten_token(&s, json!({"scope": "skatteetaten:mva"})).await;
    problem(ping(&key, Some(format!("Bearer {other}"))).send().await.unwrap(), 403).await;
    let helseid: Value = crate::support::json(
        s.http
            .post(s.url("/helseid/test-token"))
            .json(&json!({"claims": {"scope": SERVICEOWNER_SCOPE}})),
    )
    .await;
    let helseid = helseid["access_token"].as_str().unwrap();
    problem(ping(&key, Some(format!("Bearer {helseid}"))).send().await.unwrap(), 401).await;
    problem(ping(&key, Some("Bearer not.a.token".into())).send().await.unwrap(), 401).await;
    problem(ping(&key, Some(format!("Basic {token}"))).send().await.unwrap(), 401).await;
    // A key of the end-user API is refused before the token counts.
    problem(ping(&enduser_key, Some(format!("Bearer {token}"))).send().await.unwrap(), 403).await;
    s.stop().await;
}

#[tokio::test]
async fn the_service_catalogue_needs_no_credentials_and_follows_the_browser_keys_cors() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let res = s.get("/altinn/api/metadata").header("Accept", "application/hal+json").send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/hal+json");
    let body: Value = res.json().await.unwrap();
    let services = body["_embedded"]["metadata"].as_array().unwrap();
    assert!(services.len() >= 6, "{body}");
    for owner in ["SKD", "NAV", "BRG"] {
        assert!(services.iter().any(|m| m["ServiceOwnerCode"] == owner), "{owner}");
    }
    let first = &services[0];
    for member in
        ["ServiceOwnerName", "ServiceName", "ServiceCode", "ServiceEditionCode", "ServiceType"]
    {
        assert!(first.get(member).is_some(), "{member}: {first}");
    }
    assert!(first["_links"]["self"]["href"].as_str().unwrap().contains("/altinn/api/metadata/"));

    // CORS as for every Altinn call: an origin a browser key of the API registers is granted.
    let app = "https://app.example.test";
    s.key(json!({"api": "altinn", "type": "browser", "origins": [app]})).await;
    let res = s.get("/altinn/api/metadata").header("Origin", app).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], app);
    let res = s.get("/altinn/api/metadata").header("Origin", "https://evil.example.test");
    let res = res.send().await.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    // Only that path is open: the rest of the API still wants its key.
    let line = status_line(&s, "/altinn/api/metadatax", &[]).await;
    assert!(line.starts_with("HTTP/1.1 400"), "{line}");
    problem(s.get("/altinn/api/ping").send().await.unwrap(), 400).await;
    s.stop().await;
}

/// Each service-owner call takes its own scope (or the `altinn:serviceowner` family), and a
/// token without it gets Altinn's `401 Claims Authorization failed: Missing required scope`.
#[tokio::test]
async fn each_service_owner_call_needs_its_own_scope() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, key) = s.key(json!({"api": "altinn-serviceowner", "type": "other"})).await;
    let skd = organization("974761076");
    let reportees =
        maskinporten_token(&s, json!({"scope": "altinn:serviceowner/reportees", "consumer": skd}))
            .await;
    let family =
        maskinporten_token(&s, json!({"scope": "altinn:serviceowner", "consumer": skd})).await;
    let feed = "/altinn/api/serviceowner/events/feed";
    let auth = format!("Bearer {reportees}");
    let line = status_line(&s, feed, &[("ApiKey", &key), ("Authorization", &auth)]).await;
    assert_eq!(line, "HTTP/1.1 401 Claims Authorization failed: Missing required scope");
    let res = s.get(feed).header("ApiKey", &key).bearer_auth(&reportees).send().await.unwrap();
    assert!(
        res.headers()["www-authenticate"].to_str().unwrap().contains("altinn:serviceowner/events")
    );
    let p = problem(res, 401).await;
    assert!(p["detail"].as_str().unwrap().contains("altinn:serviceowner/events"), "{p}");
    for path in [feed, "/altinn/api/serviceowner/organizations/974760673"] {
        let res = s.get(path).header("ApiKey", &key).bearer_auth(&family).send().await.unwrap();
        assert_ne!(res.status(), 401, "{path}: the family covers every call");
    }
    let res = s
        .get("/altinn/api/serviceowner/reportees?subject=974760673")
        .header("ApiKey", &key)
        .bearer_auth(&reportees)
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 401, "its own scope");
    s.stop().await;
}
