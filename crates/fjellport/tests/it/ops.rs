//! Operations endpoints and the generated OpenAPI document.

use serde_json::Value;

use crate::support::{BEFORE_SUNSET, TestServer, json, problem};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let h: Value = json(s.get("/healthz")).await;
    assert_eq!(h["status"], "ok");
    let r: Value = json(s.get("/readyz")).await;
    assert_eq!(r["status"], "ready");
    let (_, key) = s.other_key("syntpop").await;
    s.get("/syntpop/api/ping").header("X-api-key", &key).send().await.unwrap();
    s.get("/syntpop/api/ping").header("X-api-version", "9.9").send().await.unwrap();
    let text = s.get("/metrics").send().await.unwrap().text().await.unwrap();
    let has = |api: &str, version: &str, status: &str| {
        text.lines().any(|l| {
            l.starts_with("fjellport_http_requests_total{")
                && l.contains(&format!("api=\"{api}\""))
                && l.contains(&format!("version=\"{version}\""))
                && l.contains(&format!("status=\"{status}\""))
        })
    };
    assert!(has("syntpop", "0.1", "200"), "{text}");
    assert!(has("syntpop", "-", "400"), "{text}");
    assert!(text.contains("fjellport_http_request_duration_seconds"), "{text}");
    s.stop().await;
}

#[tokio::test]
async fn readiness_fails_with_a_problem_when_the_database_breaks() {
    let (s, db, _dir) = TestServer::on_file("ready.db").await;
    assert_eq!(s.get("/readyz").send().await.unwrap().status(), 200);
    crate::support::break_table(&db, "revisions").await;
    problem(s.get("/readyz").send().await.unwrap(), 503).await;
    assert_eq!(s.get("/healthz").send().await.unwrap().status(), 200, "alive all the same");
    s.stop().await;
}

/// A replica whose database schema is not its own — restored from an older backup, or
/// migrated by a newer replica — says so and takes itself out of a load balancer's rotation.
#[tokio::test]
async fn readiness_fails_while_the_schema_is_not_this_binarys() {
    use sqlx::Connection;
    let (s, db, _dir) = TestServer::on_file("schema.db").await;
    let sql = |text: &'static str| {
        let db = db.clone();
        async move {
            let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
            sqlx::raw_sql(text).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    };
    sql("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, X'00', 0)")
    .await;
    let p = problem(s.get("/readyz").send().await.unwrap(), 503).await;
    assert!(p["detail"].as_str().unwrap().contains("upgrade this replica"), "{p}");
    sql("DELETE FROM _sqlx_migrations WHERE version = 9999").await;
    assert_eq!(s.get("/readyz").send().await.unwrap().status(), 200, "its own schema again");
    // Behind: the newest migration's record gone (as in a database from an older backup).
    sql("CREATE TABLE newest AS SELECT * FROM _sqlx_migrations \
         WHERE version = (SELECT MAX(version) FROM _sqlx_migrations); \
         DELETE FROM _sqlx_migrations WHERE version IN (SELECT version FROM newest)")
    .await;
    let p = problem(s.get("/readyz").send().await.unwrap(), 503).await;
    assert!(p["detail"].as_str().unwrap().contains("restart this replica"), "{p}");
    sql("INSERT INTO _sqlx_migrations SELECT * FROM newest; DROP TABLE newest").await;
    assert_eq!(s.get("/readyz").send().await.unwrap().status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_served_and_matches_the_committed_one() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let mut live: Value = s.get("/openapi.json").send().await.unwrap().json().await.unwrap();
    assert_eq!(live["openapi"], "3.1.0");
    assert!(live["info"]["description"].as_str().unwrap().contains("TEST STAND-IN"));
    for path in ["/syntpop/api/ping", "/altinn/api/ping", "/admin/api/keys", "/readyz"] {
        assert!(live["paths"].get(path).is_some(), "{path} missing from the document");
    }
    let docs = s.get("/docs/").send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"), "Swagger UI served from the binary");

    // The server URL depends on the port; everything else is the contract.
    live.as_object_mut().unwrap().remove("servers");
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let rendered = serde_json::to_string_pretty(&live).unwrap() + "\n";
    if std::env::var_os("FJELLPORT_BLESS").is_some() {
        std::fs::write(committed_path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    assert!(
        committed == rendered,
        "the API changed: review it and regenerate with FJELLPORT_BLESS=1 cargo test -p fjellport openapi"
    );
    s.stop().await;
}

#[tokio::test]
async fn request_ids_are_kept_from_the_client_or_assigned_uniquely() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let mine = s.get("/healthz").header("X-Request-Id", "trace-abc-123").send().await.unwrap();
    assert_eq!(mine.headers()["x-request-id"], "trace-abc-123");
    let a = s.get("/healthz").send().await.unwrap().headers()["x-request-id"].clone();
    let b = s.get("/nowhere").send().await.unwrap().headers()["x-request-id"].clone();
    assert_ne!(a, b, "every request gets its own id, errors too");
    let absurd = "x".repeat(500);
    let res = s.get("/healthz").header("X-Request-Id", &absurd).send().await.unwrap();
    assert_ne!(res.headers()["x-request-id"], absurd.as_str(), "an absurd id is replaced");
    s.stop().await;
}

/// Sends the head of a POST with a 2-byte JSON body but holds the body back; returns the stream.
async fn start_slow_post(addr: &str, path: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
        crate::support::ADMIN_TOKEN
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

async fn read_all(mut stream: tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_gets_408_problem() {
    let mut config = crate::support::config("sqlite::memory:", BEFORE_SUNSET);
    config.request_timeout_secs = 1;
    let s = TestServer::start(config).await;
    let stream = start_slow_post(&s.base["http://".len()..], "/admin/api/keys").await;
    let answer = read_all(stream).await; // the body never comes
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    s.stop().await;
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    use tokio::io::AsyncWriteExt;
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let addr = s.base["http://".len()..].to_owned();
    let mut stream = start_slow_post(&addr, "/admin/api/keys").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await; // the request is in flight
    let mut s = s;
    let running = s.running.take().unwrap();
    let stopping = tokio::spawn(running.stop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // New connections are refused while the old request is still being served.
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err(), "still accepting");
    stream.write_all(b"{}").await.unwrap(); // finish the body: an invalid key request
    let answer = read_all(stream).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "the request was answered: {answer}");
    stopping.await.unwrap().unwrap();
}
