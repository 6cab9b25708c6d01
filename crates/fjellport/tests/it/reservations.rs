//! Reserving persons while others reserve: every concurrent reservation succeeds with a number
//! of its own, on one server or on two replicas of one PostgreSQL database, and one owner
//! cannot take more than its share of a birth date's numbers.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};

async fn key(s: &TestServer, owner: &str) -> String {
    s.key(json!({"api": "syntpop", "type": "other", "owner": owner})).await.1
}

/// Reserves from `template`: the status and the answer.
async fn reserve(s: &TestServer, key: &str, template: &Value) -> (u16, Value) {
    post(s.http.clone(), s.url("/syntpop/api/reserved-persons"), key.to_owned(), template.clone())
        .await
}

async fn post(http: reqwest::Client, url: String, key: String, body: Value) -> (u16, Value) {
    let res = http.post(url).header("X-api-key", key).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn nin_of(p: &Value) -> String {
    p["norwegianIdentificationNumber"][0]["identificationNumber"].as_str().unwrap().to_owned()
}

/// `n` reservations from `template` at once, spread over `servers` round robin, each owner's
/// key used on every server; all must succeed with numbers nobody else got.
async fn all_at_once(servers: &[&TestServer], keys: &[String], template: Value, n: usize) {
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..n {
        let s = servers[i % servers.len()];
        let url = s.url("/syntpop/api/reserved-persons");
        calls.spawn(post(s.http.clone(), url, keys[i % keys.len()].clone(), template.clone()));
    }
    let answers = calls.join_all().await;
    let mut numbers = BTreeSet::new();
    for (status, body) in &answers {
        assert_eq!(*status, 201, "every concurrent reservation succeeds: {body}");
        assert!(numbers.insert(nin_of(body)), "a number was handed out twice: {body}");
    }
    assert_eq!(numbers.len(), n);
}

async fn concurrent_reservations_succeed(servers: &[&TestServer]) {
    let keys: Vec<String> = {
        let mut keys = Vec::new();
        for owner in ["team-a", "team-b", "team-c", "team-d"] {
            keys.push(key(servers[0], owner).await);
        }
        keys
    };
    // Keys made on one replica work on the other once it has polled.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    all_at_once(servers, &keys, json!({}), 64).await;
    // One birth date and sex for all: every caller wants a number of the same small pool.
    let fixed = json!({"gender": "Female", "birth": {"birthDate": "1980-05-17"}});
    all_at_once(servers, &keys, fixed, 64).await;
}

#[tokio::test]
async fn concurrent_reservations_all_succeed_with_numbers_of_their_own_on_sqlite() {
    let (_dir, db) = temp_db("reserve.db");
    let s = TestServer::start(config(&db, BEFORE_SUNSET)).await;
    concurrent_reservations_succeed(&[&s]).await;
    s.stop().await;
}

#[tokio::test]
async fn concurrent_reservations_on_two_postgresql_replicas_all_succeed_with_numbers_of_their_own()
{
    let Some(db) = crate::support::postgres().await else { return };
    let a = TestServer::start(config(&db, BEFORE_SUNSET)).await;
    let b = TestServer::start(config(&db, BEFORE_SUNSET)).await;
    concurrent_reservations_succeed(&[&a, &b]).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn one_owner_takes_at_most_its_share_of_a_birth_dates_numbers_even_after_releasing() {
    let mut cfg = config("sqlite::memory:", BEFORE_SUNSET);
    cfg.syntpop.reserved_per_birth_date = 3;
    let s = TestServer::start(cfg).await;
    let (mine, theirs) = (key(&s, "greedy").await, key(&s, "neighbour").await);
    let date = json!({"gender": "Female", "birth": {"birthDate": "1990-01-01"}});
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, p) = reserve(&s, &mine, &date).await;
        assert_eq!(status, 201, "{p}");
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    let (status, p) = reserve(&s, &mine, &date).await;
    assert_eq!(status, 409, "{p}");
    assert_eq!(p["type"], "urn:fjellport:problem:reservation-quota", "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("3 of the 3") && detail.contains("1990-01-01"), "{detail}");
    assert!(detail.contains("syntpop.reserved_per_birth_date"), "names the setting: {detail}");
    // Releasing does not give the numbers back: they stay retired for everyone.
    let res = s
        .http
        .delete(s.url(&format!("/syntpop/api/reserved-persons/{}", ids[0])))
        .header("X-api-key", &mine)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(reserve(&s, &mine, &date).await.0, 409, "a release does not reset the quota");
    // Others still get numbers of that date; the greedy owner gets other dates and the other sex.
    assert_eq!(reserve(&s, &theirs, &date).await.0, 201);
    let male = json!({"gender": "Male", "birth": {"birthDate": "1990-01-01"}});
    assert_eq!(reserve(&s, &mine, &male).await.0, 201);
    let other_day = json!({"gender": "Female", "birth": {"birthDate": "1990-01-02"}});
    assert_eq!(reserve(&s, &mine, &other_day).await.0, 201);
    s.stop().await;
}

#[test]
fn a_quota_of_zero_is_refused_at_start() {
    let out = crate::cli::fjellport_in(
        &std::env::temp_dir(),
        &["serve", "--database", "sqlite::memory:"],
        &[("FJELLPORT_SYNTPOP__RESERVED_PER_BIRTH_DATE", "0")],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("syntpop.reserved_per_birth_date must be at least 1"), "{stderr}");
}
