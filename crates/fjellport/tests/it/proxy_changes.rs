//! Behind the proxy, the rest of what every replica must share within 2 s: clients registered
//! and revoked, a nonce issued by one and a client assertion spent at one, tokens across a
//! signing-key rotation, a reserved person's edit, a population advance, and a correspondence
//! sent, read and deleted.

use fjellport_auth::forge::{ProofFor, proof};
use fjellport_auth::jose::EcSigningKey;
use fjellport_auth::secret::random_id;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, Client, TestServer, client, now};
use crate::topology::Topology;

const SCOPE: &str = "nhntsd:syntpop-api/full-access";

/// A client assertion for `client_id` at the issuer behind `public` (the proxy's URL).
fn assertion(key: &EcSigningKey, client_id: &str, public: &str) -> String {
    let claims = json!({"iss": client_id, "sub": client_id, "aud": format!("{public}/helseid"),
                        "iat": now(), "nbf": now(), "exp": now() + 30, "jti": random_id("ca_")});
    key.sign(&json!({"alg": "ES256", "typ": "client-authentication+jwt"}), &claims).unwrap()
}

/// A token request for `client_id` straight to replica `r`, with `assertion` and a proof
/// (with `nonce`) for the public token endpoint: the status, the `DPoP-Nonce` and the body.
async fn token_at(
    r: &TestServer,
    public: &str,
    key: &EcSigningKey,
    assertion: &str,
    nonce: Option<&str>,
) -> (u16, Option<String>, Value) {
    let endpoint = format!("{public}/helseid/connect/token");
    let target = ProofFor { method: "POST", uri: &endpoint, access_token: None, nonce, now: now() };
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
            ("scope", SCOPE),
        ])
        .finish();
    let res = r
        .http
        .post(r.url("/helseid/connect/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("DPoP", proof(key, &target, None).unwrap())
        .body(body)
        .send()
        .await
        .unwrap();
    let nonce = res.headers().get("dpop-nonce").map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), nonce, res.json().await.unwrap_or(Value::Null))
}

/// The nonce dance at replica `r`: the final status and body.
async fn fresh_token_at(
    r: &TestServer,
    public: &str,
    key: &EcSigningKey,
    id: &str,
) -> (u16, Value) {
    let (status, nonce, body) = token_at(r, public, key, &assertion(key, id, public), None).await;
    let Some(nonce) = nonce.filter(|_| status == 400) else { return (status, body) };
    let (status, _, body) =
        token_at(r, public, key, &assertion(key, id, public), Some(&nonce)).await;
    (status, body)
}

/// SyntPop 1.0 `GET /ping` straight at replica `r` with `c`'s token, proof for the public URL.
async fn ping_at(r: &TestServer, public: &str, c: &Client) -> u16 {
    let url = format!("{public}/syntpop/api/ping");
    let target = ProofFor {
        method: "GET",
        uri: &url,
        access_token: Some(&c.token),
        nonce: None,
        now: now(),
    };
    r.http
        .get(r.url("/syntpop/api/ping"))
        .header("X-api-version", "1.0")
        .header("Authorization", format!("DPoP {}", c.token))
        .header("DPoP", proof(&c.key, &target, None).unwrap())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn kid_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice::<Value>(&fjellport_auth::jose::b64d(header).unwrap()).unwrap()["kid"]
        .clone()
}

/// `GET /syntpop/api{path}` (0.2, `key`) at replica `r`, decoded when 200.
async fn read_at(r: &TestServer, key: &str, path: &str) -> Option<Value> {
    let res = crate::support::syntpop_get(r, key, path).await;
    if res.status() != 200 {
        return None;
    }
    res.json().await.ok()
}

/// The message box of the person the token is for, at replica `r`: `(MessageId, Status)`,
/// or `None` while that replica does not take the key yet.
async fn box_at(r: &TestServer, altinn_key: &str, token: &str) -> Option<Vec<(String, String)>> {
    let res = r.get("/altinn/api/my/messages").header("ApiKey", altinn_key).bearer_auth(token);
    let res = res.send().await.unwrap();
    if res.status() != 200 {
        return None;
    }
    let v: Value = res.json().await.unwrap();
    let messages = v["_embedded"]["messages"].as_array().unwrap_or_else(|| panic!("{v}"));
    let pair = |m: &Value| {
        (m["MessageId"].as_str().unwrap().to_owned(), m["Status"].as_str().unwrap().to_owned())
    };
    Some(messages.iter().map(pair).collect())
}

/// A CLI command on the replicas' database, at the replicas' clock.
fn cli(args: &[&str]) -> Value {
    let mut all = vec!["--clock", BEFORE_SUNSET];
    all.extend_from_slice(args);
    let out = crate::cli::fjellport(&all);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

#[tokio::test]
async fn clients_rotations_edits_advances_and_messages_reach_every_replica() {
    let Some((t, database)) = Topology::for_test().await else { return };
    let public = t.proxy.base.clone();
    let (p, replicas) = (&public, &t.replicas);

    // A client registered through the proxy gets tokens at every replica.
    let key = EcSigningKey::generate().unwrap();
    let body = json!({"jwk": Value::Object(key.public_jwk().members), "scopes": [SCOPE],
                      "orgnr_parent": "974760673"});
    let res = t.proxy.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let (key, id) = (&key, id.as_str());
    t.everywhere("a new client", |i| async move {
        fresh_token_at(&replicas[i], p, key, id).await.0 == 200
    })
    .await;

    // A nonce one replica issued is taken by the others; an assertion spent at one is refused
    // at the next.
    let (status, nonce, _) = token_at(&t.replicas[0], p, key, &assertion(key, id, p), None).await;
    assert_eq!(status, 400);
    let nonce = nonce.expect("a DPoP-Nonce");
    let spent = assertion(key, id, p);
    assert_eq!(token_at(&t.replicas[1], p, key, &spent, Some(&nonce)).await.0, 200);
    assert_eq!(token_at(&t.replicas[2], p, key, &assertion(key, id, p), Some(&nonce)).await.0, 200);
    let (status, _, body) = token_at(&t.replicas[2], p, key, &spent, Some(&nonce)).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")), "{body}");

    // A signing-key rotation (the CLI, on the shared database): every replica signs with the
    // new key, and tokens of the old and the new key verify at every replica.
    let old = client(&t.replicas[0], json!({"client_id": "before-rotation"})).await;
    let rotation = cli(&["issuer", "rotate-key", "--database", &database]);
    let new_kid = rotation["newKid"].clone();
    assert_ne!(new_kid, kid_of(&old.token));
    let new_kid = &new_kid;
    let started = std::time::Instant::now();
    for r in &t.replicas {
        loop {
            let c = client(r, json!({"client_id": "after-rotation"})).await;
            if kid_of(&c.token) == *new_kid {
                break;
            }
            let waited = started.elapsed();
            assert!(
                waited < std::time::Duration::from_secs(4),
                "{}: old key after {waited:?}",
                r.base
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    let fresh = client(&t.replicas[1], json!({"client_id": "after-rotation"})).await;
    for r in &t.replicas {
        assert_eq!(ping_at(r, p, &old).await, 200, "an old-key token at {}", r.base);
        assert_eq!(ping_at(r, p, &fresh).await, 200, "a new-key token at {}", r.base);
    }

    // The client revoked through the proxy gets no token anywhere.
    let res = t.proxy.admin(reqwest::Method::DELETE, &format!("/clients/{id}")).send().await;
    assert_eq!(res.unwrap().status(), 200);
    t.everywhere("a revoked client", |i| async move {
        fresh_token_at(&replicas[i], p, key, id).await.0 == 401
    })
    .await;

    // A reserved person edited at one replica reads edited at all.
    let (_, api_key) = t.proxy.other_key("syntpop").await;
    let api_key = api_key.as_str();
    t.everywhere("a new key", |i| async move {
        read_at(&replicas[i], api_key, "/ping").await.is_some()
    })
    .await;
    let res = t
        .proxy
        .http
        .post(t.proxy.url("/syntpop/api/reserved-persons"))
        .header("X-api-key", api_key)
        .header("X-api-version", "0.2")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let person = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res = t.replicas[0]
        .http
        .patch(t.replicas[0].url(&format!("/syntpop/api/reserved-persons/{person}")))
        .header("X-api-key", api_key)
        .header("X-api-version", "0.2")
        .header("content-type", "application/merge-patch+json")
        .body(json!({"name": {"familyName": "Replikasen"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let path = format!("/persons/{person}?informationParts=Name");
    let path = path.as_str();
    t.everywhere("an edit", |i| async move {
        read_at(&replicas[i], api_key, path)
            .await
            .is_some_and(|v| v["name"][0]["familyName"] == "Replikasen")
    })
    .await;

    // A population advance (the CLI) shows in every replica's event feed.
    let latest = |i: usize| async move {
        read_at(&replicas[i], api_key, "/events/latest").await.unwrap_or(Value::Null)
    };
    let before = latest(0).await;
    cli(&["population", "advance", "--days", "30", "--database", &database]);
    let before = &before;
    t.everywhere("a population advance", |i| async move { latest(i).await != *before }).await;

    // A correspondence sent (the CLI), read at one replica and deleted at another: every
    // replica's message box follows each step.
    let someone: Value = crate::support::json(
        t.proxy
            .http
            .post(t.proxy.url("/syntpop/api/search"))
            .header("X-api-key", api_key)
            .header("X-api-version", "0.2")
            .json(&json!({"limit": 1, "fields": "ids", "ageFrom": 30})),
    )
    .await;
    let adult = someone["results"][0]["id"].as_str().unwrap().to_owned();
    let nin = read_at(
        &t.replicas[0],
        api_key,
        &format!("/persons/{adult}?informationParts=NorwegianIdentificationNumber"),
    )
    .await
    .unwrap()["norwegianIdentificationNumber"][0]["identificationNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, altinn_key) = t.proxy.key(json!({"api": "altinn", "type": "other"})).await;
    let token = crate::altinn_enduser::token(&t.proxy, &nin, "altinn:enduser").await;
    let (altinn_key, token) = (altinn_key.as_str(), token.as_str());
    let sent = cli(&[
        "altinn",
        "send-correspondence",
        "--database",
        &database,
        "--service-owner",
        "NAV",
        "--reportee",
        &nin,
        "--title",
        "Til alle replikaer",
        "--summary",
        "Les meg",
        "--body",
        "<p>Hei</p>",
    ]);
    let message = sent["messageId"].as_str().unwrap().to_owned();
    let message = message.as_str();
    let status_everywhere = |want: Option<&'static str>| {
        move |i: usize| async move {
            let Some(found) = box_at(&replicas[i], altinn_key, token).await else { return false };
            let status = found.iter().find(|(m, _)| m == message).map(|(_, s)| s.as_str());
            status == want
        }
    };
    t.everywhere("a correspondence sent", status_everywhere(Some("Ulest"))).await;
    let res = t.replicas[0]
        .get(&format!("/altinn/api/my/messages/{message}"))
        .header("ApiKey", altinn_key)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    t.everywhere("a correspondence read", status_everywhere(Some("Lest"))).await;
    let res = t.replicas[1]
        .http
        .delete(t.replicas[1].url(&format!("/altinn/api/my/messages/{message}")))
        .header("ApiKey", altinn_key)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    t.everywhere("a correspondence deleted", status_everywhere(None)).await;
}
