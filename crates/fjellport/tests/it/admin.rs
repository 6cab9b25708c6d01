//! The admin API: keys created, listed, read and revoked; the token guards it.

use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, json, problem, temp_db};

#[tokio::test]
async fn keys_are_created_listed_read_and_revoked_with_immediate_effect() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let res = s
        .admin(reqwest::Method::POST, "/keys")
        .json(&json!({"api": "syntpop", "type": "browser", "origins": ["https://A.test:443/"],
                      "owner": "team-x", "rateLimit": 50, "expiresAt": "2027-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("/admin/api/keys/{id}"));
    assert_eq!(created["origins"], json!(["https://a.test"]));
    assert_eq!(created["createdAt"], BEFORE_SUNSET, "the frozen clock stamps it");
    let secret = created["secret"].as_str().unwrap().to_owned();

    let list: Value = json(s.admin(reqwest::Method::GET, "/keys")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none(), "secrets are shown once");
    assert!(!list.to_string().contains(&secret));

    let one: Value = json(s.admin(reqwest::Method::GET, &location["/admin/api".len()..])).await;
    assert_eq!(one["owner"], "team-x");
    assert_eq!(one["active"], true);

    let ping = || {
        s.get("/syntpop/api/ping").header("X-api-key", &secret).header("Origin", "https://a.test")
    };
    assert_eq!(ping().send().await.unwrap().status(), 200);
    let revoked: Value = json(s.admin(reqwest::Method::DELETE, &format!("/keys/{id}"))).await;
    assert_eq!(revoked["active"], false);
    assert_eq!(revoked["revokedAt"], BEFORE_SUNSET);
    problem(ping().send().await.unwrap(), 401).await;
    s.stop().await;
}

#[tokio::test]
async fn the_admin_api_refuses_without_the_token_and_reports_bad_requests() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let res = s.http.get(s.url("/admin/api/keys")).send().await.unwrap();
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    problem(res, 401).await;
    let res = s.http.get(s.url("/admin/api/keys")).bearer_auth("wrong-token-0123456789").send();
    problem(res.await.unwrap(), 401).await;

    for (body, needle) in [
        (json!({"api": "nope", "type": "other"}), "unknown API"),
        (json!({"api": "syntpop", "type": "browser"}), "at least one origin"),
        (json!({"api": "syntpop", "type": "browser", "origins": ["https://a.test/path"]}), "path"),
        (json!({"api": "syntpop", "type": "other", "rateLimit": 0}), "rate limit"),
        (json!({"api": "syntpop", "type": "other", "expiresAt": "2020-01-01T00:00:00Z"}), "future"),
        (json!({"api": "syntpop", "type": "other", "colour": "red"}), "colour"),
    ] {
        let res = s.admin(reqwest::Method::POST, "/keys").json(&body).send().await.unwrap();
        let p = problem(res, 400).await;
        assert!(p["detail"].as_str().unwrap().contains(needle), "{body}: {p}");
    }
    let res = s
        .admin(reqwest::Method::POST, "/keys")
        .body("{")
        .header("content-type", "application/json");
    problem(res.send().await.unwrap(), 400).await;
    let res =
        s.admin(reqwest::Method::POST, "/keys").body("{}").header("content-type", "text/plain");
    problem(res.send().await.unwrap(), 415).await;
    problem(s.admin(reqwest::Method::GET, "/keys/key_nope").send().await.unwrap(), 404).await;
    problem(s.admin(reqwest::Method::DELETE, "/keys/key_nope").send().await.unwrap(), 404).await;
    let list: Value = json(s.admin(reqwest::Method::GET, "/keys")).await;
    assert_eq!(list, json!([]), "nothing written by the bad requests");
    s.stop().await;
}

#[tokio::test]
async fn clients_of_issuers_this_server_does_not_run_are_refused() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let key = fjellport_auth::jose::EcSigningKey::generate().unwrap();
    let jwk = Value::Object(key.public_jwk().members);
    for issuer in ["keycloak", "HelseID"] {
        let body = json!({"jwk": jwk, "scopes": ["altinn:serviceowner"], "issuer": issuer});
        let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
        let p = problem(res, 400).await;
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("unknown issuer \"{issuer}\"")), "{p}");
        assert!(detail.contains("this server has helseid, maskinporten, idporten"), "{p}");
    }
    // Scopes no API here knows, or another issuer's, would give tokens nothing accepts.
    for (issuer, scope) in [
        ("helseid", "*"),
        ("helseid", "admin"),
        ("helseid", "altinn:serviceowner"),
        ("maskinporten", "nhntsd:syntpop-api/full-access"),
        ("idporten", "altinn:serviceowner/rolesandrights"),
    ] {
        let mut body = json!({"jwk": jwk, "scopes": [scope], "issuer": issuer});
        if issuer == "idporten" {
            body["redirect_uris"] = json!(["http://127.0.0.1/cb"]);
        }
        let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
        let p = problem(res, 400).await;
        let detail = p["detail"].as_str().unwrap();
        let says = format!("scope \"{scope}\" is not one the {issuer} issuer grants");
        assert!(detail.contains(&says), "{issuer} {scope}: {p}");
    }
    let clients: Value = json(s.admin(reqwest::Method::GET, "/clients")).await;
    let ids: Vec<&str> =
        clients.as_array().unwrap().iter().map(|c| c["client_id"].as_str().unwrap()).collect();
    assert!(
        ids.iter().all(|id| id.starts_with("fjellport-web-")),
        "only the web app's own: {ids:?}"
    );
    let body =
        json!({"jwk": jwk, "scopes": ["nhntsd:syntpop-api/full-access"], "issuer": "helseid"});
    let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    s.stop().await;
}

#[tokio::test]
async fn a_generated_admin_token_is_returned_once_and_kept() {
    let (_dir, db) = temp_db("admin.db");
    let mut config = crate::support::config(&db, BEFORE_SUNSET);
    config.admin_token = None;
    let clock = fjellport_clock::from_option(config.clock);
    let first = fjellport::server::start(config.clone(), clock.clone(), false).await.unwrap();
    let token = first.new_admin_token.clone().expect("generated at first start");
    first.stop().await.unwrap();
    let second = fjellport::server::start(config, clock, false).await.unwrap();
    assert!(second.new_admin_token.is_none(), "printed only once");
    let res = reqwest::Client::new()
        .get(format!("http://{}/admin/api/keys", second.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    second.stop().await.unwrap();
}
