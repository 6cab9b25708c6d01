//! The in-memory search index follows every write: at once on the replica that made it (its
//! own next search sees a reservation, an edit, a release), and within 2 s on another replica
//! of the same database — a second server on the same SQLite file, or on PostgreSQL.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};

fn api(s: &TestServer, key: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    s.http
        .request(method, s.url(&format!("/syntpop/api{path}")))
        .header("X-api-version", "0.2")
        .header("X-api-key", key)
}

async fn json_of(req: reqwest::RequestBuilder) -> Value {
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The total and the ids of a search for `body`.
async fn found(s: &TestServer, key: &str, body: Value) -> (i64, Vec<String>) {
    let page = json_of(api(s, key, reqwest::Method::POST, "/search").json(&body)).await;
    let ids = page["results"].as_array().unwrap().iter();
    let ids = ids.map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    (page["totalCount"].as_i64().unwrap(), ids)
}

/// Polls `body`'s search on `s` until its total is `want`, failing after 2 s.
async fn within_two_seconds(s: &TestServer, key: &str, body: Value, want: i64) {
    let started = Instant::now();
    loop {
        let (total, _) = found(s, key, body.clone()).await;
        if total == want {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "{body}: still {total}, not {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn writes_reach_every_replicas_search(database: &str) {
    let cfg = fjellport::config::Config { persons: 600, ..config(database, BEFORE_SUNSET) };
    let a = TestServer::start(cfg.clone()).await;
    let b = TestServer::start(fjellport::config::Config { persons: 0, ..cfg }).await;
    let (_, key) = a.other_key("syntpop").await;
    let mine = json!({"origin": "Reserved", "fields": "ids"});
    let dead = json!({"origin": "Reserved", "isDeceased": true, "fields": "ids"});
    let started = Instant::now();
    while api(&b, &key, reqwest::Method::GET, "/ping").send().await.unwrap().status() != 200 {
        assert!(started.elapsed() < Duration::from_secs(2), "the key did not reach b");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(found(&b, &key, mine.clone()).await.0, 0);
    let all = found(&a, &key, json!({"limit": 1})).await.0;
    assert_eq!(all, 600);

    let p = json_of(
        api(&a, &key, reqwest::Method::POST, "/reserved-persons")
            .json(&json!({"gender": "Female"})),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(found(&a, &key, mine.clone()).await, (1, vec![id.clone()]), "at once on a");
    assert_eq!(found(&a, &key, json!({"limit": 1})).await.0, 601, "Test-Norge and mine");
    within_two_seconds(&b, &key, mine.clone(), 1).await;

    let edit = api(&a, &key, reqwest::Method::PATCH, &format!("/reserved-persons/{id}"))
        .header("content-type", "application/merge-patch+json")
        .body(json!({"death": {"deceasedDate": "2026-08-01"}}).to_string());
    json_of(edit).await;
    assert_eq!(found(&a, &key, dead.clone()).await, (1, vec![id.clone()]), "at once on a");
    within_two_seconds(&b, &key, dead.clone(), 1).await;

    let gone = api(&a, &key, reqwest::Method::DELETE, &format!("/reserved-persons/{id}"));
    assert_eq!(gone.send().await.unwrap().status(), 204);
    assert_eq!(found(&a, &key, mine.clone()).await.0, 0, "at once on a");
    within_two_seconds(&b, &key, mine, 0).await;
    within_two_seconds(&b, &key, dead, 0).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn writes_reach_the_search_of_a_second_server_on_the_same_sqlite_file() {
    let (_dir, db) = temp_db("shared.db");
    writes_reach_every_replicas_search(&db).await;
}

#[tokio::test]
async fn writes_reach_the_search_of_another_postgresql_replica() {
    let Some(url) = crate::support::postgres().await else {
        return;
    };
    writes_reach_every_replicas_search(&url).await;
}
