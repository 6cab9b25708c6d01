//! Starting servers and making keys for the tests.

use chrono::{DateTime, Utc};
use fjellport::config::Config;
use fjellport::server::{self, Running};
use serde_json::{Value, json};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// Before SyntPop's sunset, so 0.1/0.2 answer.
pub const BEFORE_SUNSET: &str = "2026-09-01T00:00:00Z";
pub const AFTER_SUNSET: &str = "2026-10-01T00:00:00Z";

pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Unix seconds of the frozen clock most tests run at.
pub fn now() -> i64 {
    instant(BEFORE_SUNSET).timestamp()
}

pub fn config(database: &str, clock: &str) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: database.into(),
        admin_token: Some(fjellport::config::SecretString::new(ADMIN_TOKEN)),
        clock: Some(instant(clock)),
        key_poll_millis: 200,
        persons: 0, // tests that need a population ask for one
        ..Config::default()
    }
}

/// A server on its own in-memory database, with its clock frozen at `clock`.
pub struct TestServer {
    pub running: Option<Running>,
    pub base: String,
    pub http: reqwest::Client,
}

/// A new SQLite database file `name` in its own temporary directory (kept while the returned
/// handle lives) and its URL.
pub fn temp_db(name: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join(name).display());
    (dir, db)
}

impl TestServer {
    pub async fn start(config: Config) -> TestServer {
        let clock = fjellport_clock::from_option(config.clock);
        let running = server::start(config, clock, false).await.expect("server starts");
        let base = format!("http://{}", running.addr);
        TestServer { running: Some(running), base, http: reqwest::Client::new() }
    }

    pub async fn memory(clock: &str) -> TestServer {
        TestServer::start(config("sqlite::memory:", clock)).await
    }

    /// A server on a new SQLite file `name` in its own temporary directory (kept alive by the
    /// returned handle), with the database URL for CLI commands against it.
    pub async fn on_file(name: &str) -> (TestServer, String, tempfile::TempDir) {
        let (dir, db) = temp_db(name);
        (TestServer::start(config(&db, BEFORE_SUNSET)).await, db, dir)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path))
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(&format!("/admin/api{path}"))).bearer_auth(ADMIN_TOKEN)
    }

    /// Creates a key through the admin API; returns (id, secret).
    pub async fn key(&self, body: Value) -> (String, String) {
        let res = self.admin(reqwest::Method::POST, "/keys").json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        let v: Value = res.json().await.unwrap();
        (v["id"].as_str().unwrap().to_owned(), v["secret"].as_str().unwrap().to_owned())
    }

    pub async fn other_key(&self, api: &str) -> (String, String) {
        self.key(json!({"api": api, "type": "other", "owner": "team-test"})).await
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }
}

/// Reads a problem+json answer, checking the RFC 9457 members every problem must have.
pub async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status of {}", res.url());
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json", "content type");
    let path = res.url().path().to_owned();
    let v: Value = res.json().await.unwrap();
    assert!(v["type"].as_str().unwrap().starts_with("urn:fjellport:problem:"), "{v}");
    assert!(!v["title"].as_str().unwrap().is_empty(), "{v}");
    assert_eq!(v["status"], status, "{v}");
    assert!(!v["detail"].as_str().unwrap().is_empty(), "{v}");
    assert_eq!(v["instance"], path, "{v}");
    v
}

/// Takes `table` away (renamed to `<table>_gone`) behind a running server's back, from another
/// connection, on SQLite or PostgreSQL: the next statement that needs it fails as in an outage.
pub async fn break_table(database: &str, table: &str) {
    use sqlx::Connection;
    let sql = format!("ALTER TABLE {table} RENAME TO {table}_gone");
    if database.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(database).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(database).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

/// The PostgreSQL URL for a fresh schema, when the PostgreSQL tests are on.
pub async fn postgres() -> Option<String> {
    fjellport_store::testing::fresh_postgres_url().await
}

/// Sends and decodes a JSON answer.
pub async fn json(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}

/// A DPoP client with its own key and a token bound to it (from the test-token service).
pub struct Client {
    pub key: fjellport_auth::jose::EcSigningKey,
    pub token: String,
}

pub async fn client(s: &TestServer, claims: Value) -> Client {
    let key = fjellport_auth::jose::EcSigningKey::generate().unwrap();
    let body = json!({"jwk": Value::Object(key.public_jwk().members), "claims": claims});
    let res: Value = json(s.http.post(s.url("/helseid/test-token")).json(&body)).await;
    assert_eq!(res["token_type"], "DPoP", "{res}");
    Client { key, token: res["access_token"].as_str().unwrap().to_owned() }
}

/// Fails unless person `id` is served (SyntPop 0.2, `key`) with identity number `nin`: an
/// acknowledged reservation that must have survived whatever the test did.
pub async fn assert_reserved(s: &TestServer, key: &str, id: &str, nin: &str) {
    let path = format!("/persons/{id}?informationParts=NorwegianIdentificationNumber");
    let res = syntpop_get(s, key, &path).await;
    assert_eq!(res.status(), 200, "acknowledged reservation {id} ({nin}) is gone");
    let body: Value = res.json().await.unwrap();
    let got = &body["norwegianIdentificationNumber"][0]["identificationNumber"];
    assert_eq!(got.as_str(), Some(nin), "reservation {id}");
}

/// `GET /syntpop/api{path}` with SyntPop 0.2 and API key `key`.
pub async fn syntpop_get(s: &TestServer, key: &str, path: &str) -> reqwest::Response {
    s.get(&format!("/syntpop/api{path}"))
        .header("X-api-key", key)
        .header("X-api-version", "0.2")
        .send()
        .await
        .unwrap()
}

/// The status line of a raw HTTP/1.1 request (reason phrases included, which HTTP clients
/// hide): `method path` with `headers` and `body`.
pub async fn status_line(
    s: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = s.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}
