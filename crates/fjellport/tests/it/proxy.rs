//! Three replicas on one PostgreSQL database behind HAProxy, started by `bench/replicas.sh` as
//! an operator would run them: what one replica changes, every other one serves within 2 s,
//! and 200 reservations made at once through the proxy all succeed with numbers of their own.

use fjellport_auth::forge::{ProofFor, proof};
use serde_json::{Value, json};

use crate::support::{Client, client, now};
use crate::topology::Topology;

/// Whether replica `i` answers `GET path` with `key` with `status`.
async fn answers(t: &Topology, i: usize, path: &str, key: &str, status: u16) -> bool {
    let res = crate::support::syntpop_get(&t.replicas[i], key, path).await;
    let got = res.status().as_u16();
    if got != status {
        eprintln!("{} {path}: {got} {}", t.replicas[i].base, res.text().await.unwrap_or_default());
    }
    got == status
}

async fn reserve(t: &Topology, key: &str, template: &Value) -> (u16, Value) {
    let res = t
        .proxy
        .http
        .post(t.proxy.url("/syntpop/api/reserved-persons"))
        .header("X-api-key", key)
        .header("X-api-version", "0.2")
        .json(template)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// `n` reservations from `template` at once through the proxy, spread over `keys`.
async fn reserve_all_at_once(t: &Topology, keys: &[String], template: Value, n: usize) {
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..n {
        let (http, url) = (t.proxy.http.clone(), t.proxy.url("/syntpop/api/reserved-persons"));
        let (key, template) = (keys[i % keys.len()].clone(), template.clone());
        calls.spawn(async move {
            let res = http
                .post(url)
                .header("X-api-key", key)
                .header("X-api-version", "0.2")
                .json(&template)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        });
    }
    let mut numbers = std::collections::BTreeSet::new();
    let answers = calls.join_all().await;
    for (status, body) in answers {
        assert_eq!(status, 201, "{body}");
        let nin = body["norwegianIdentificationNumber"][0]["identificationNumber"].clone();
        assert!(numbers.insert(nin.to_string()), "a number twice: {nin}");
    }
    assert_eq!(numbers.len(), n);
}

/// A SyntPop 1.0 call through the proxy with `c`'s token and a fresh proof (or `reuse`).
async fn v10(t: &Topology, c: &Client, path: &str, reuse: Option<&str>) -> (u16, String) {
    let url = t.proxy.url(&format!("/syntpop/api{path}"));
    let target = ProofFor {
        method: "GET",
        uri: &url,
        access_token: Some(&c.token),
        nonce: None,
        now: now(),
    };
    let p = reuse.map_or_else(|| proof(&c.key, &target, None).unwrap(), str::to_owned);
    let res = t
        .proxy
        .http
        .get(&url)
        .header("X-api-version", "1.0")
        .header("Authorization", format!("DPoP {}", c.token))
        .header("DPoP", &p)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), p)
}

#[tokio::test]
async fn three_replicas_behind_haproxy_share_every_change_and_reserve_at_once() {
    let Some((t, _)) = Topology::for_test().await else { return };
    let ready = t.proxy.get("/readyz").send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // A key made through the proxy (at some replica) works at every replica; revoked, at none.
    let (id, key) = t.proxy.other_key("syntpop").await;
    t.everywhere("a new key", |i| answers(&t, i, "/ping", &key, 200)).await;

    // A reserved person made at one replica is read at all; edited, the edit; released, gone.
    let (status, p) =
        reserve(&t, &key, &json!({"gender": "Female", "ageFrom": 30, "ageTo": 40})).await;
    assert_eq!(status, 201, "{p}");
    let person = format!("/persons/{}?informationParts=Name", p["id"].as_str().unwrap());
    t.everywhere("a reserved person", |i| answers(&t, i, &person, &key, 200)).await;
    let res = t.replicas[1]
        .http
        .delete(
            t.replicas[1]
                .url(&format!("/syntpop/api/reserved-persons/{}", p["id"].as_str().unwrap())),
        )
        .header("X-api-key", &key)
        .header("X-api-version", "0.2")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    t.everywhere("a released person", |i| answers(&t, i, &person, &key, 404)).await;

    // 200 reservations at once through the proxy all succeed, each with its own number; so do
    // 100 of one birth date and sex (a pool of about 250 numbers), over four owners.
    let mut keys = Vec::new();
    for owner in ["team-a", "team-b", "team-c", "team-d"] {
        keys.push(t.proxy.key(json!({"api": "syntpop", "type": "other", "owner": owner})).await.1);
    }
    for k in &keys {
        t.everywhere("the owners' keys", |i| answers(&t, i, "/ping", k, 200)).await;
    }
    reserve_all_at_once(&t, &keys, json!({}), 200).await;
    let fixed = json!({"gender": "Male", "birth": {"birthDate": "1985-03-03"}});
    reserve_all_at_once(&t, &keys, fixed, 100).await;

    // A token from one replica's test-token service verifies at every replica (round robin
    // through the proxy), and a proof used at one is refused at the next.
    let c = client(&t.proxy, json!({"client_id": "proxy-client"})).await;
    for _ in 0..3 {
        assert_eq!(v10(&t, &c, "/ping", None).await.0, 200);
    }
    let (_, used) = v10(&t, &c, "/ping", None).await;
    assert_eq!(v10(&t, &c, "/ping", Some(&used)).await.0, 401, "a replayed proof");

    // The revocation reaches every replica.
    let res = t.proxy.admin(reqwest::Method::DELETE, &format!("/keys/{id}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    t.everywhere("a revoked key", |i| answers(&t, i, "/ping", &key, 401)).await;
}
