//! `key_wrap` (`FJELLPORT_KEY_WRAP`): the issuers' private keys are sealed in the database, so
//! a copy of the file cannot mint tokens; the server and the CLI need the same secret, and a
//! database from before the secret was set is sealed at the next start.

use serde_json::Value;

use crate::cli::fjellport_in;
use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};

const SECRET: &str = "a wrapping secret of some length";

fn wrapped(db: &str, secret: Option<&str>) -> fjellport::config::Config {
    let mut cfg = config(db, BEFORE_SUNSET);
    cfg.key_wrap = secret.map(fjellport::config::SecretString::new);
    cfg
}

/// The key ids HelseID publishes.
async fn kids(s: &TestServer) -> Vec<String> {
    let jwks: Value =
        crate::support::json(s.get("/helseid/.well-known/openid-configuration/jwks")).await;
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

/// Every issuer setting as it lies in the file.
async fn stored_keys(db: &str) -> Vec<(String, String)> {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(db).await.unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, value FROM settings WHERE name LIKE 'issuer.%' ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    rows
}

async fn refused_start(cfg: fjellport::config::Config) -> String {
    let clock = fjellport_clock::from_option(cfg.clock);
    match fjellport::server::start(cfg, clock, false).await {
        Ok(_) => panic!("the server started"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn sealed_keys_need_the_same_secret_at_every_start_and_for_the_cli() {
    let (dir, db) = temp_db("sealed.db");
    let s = TestServer::start(wrapped(&db, Some(SECRET))).await;
    let before = kids(&s).await;
    s.stop().await;
    let stored = stored_keys(&db).await;
    assert!(stored.len() >= 6, "signing and nonce keys of three issuers: {stored:?}");
    for (name, value) in &stored {
        // One base64url string after the prefix: no JSON of a key shows through. (Looking for
        // the words "pkcs8" or "kid" failed now and then: random base64url contains them.)
        let sealed = value.strip_prefix("fjellport-wrap:v1:");
        assert!(sealed.is_some(), "{name} is sealed: {value}");
        let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        assert!(
            sealed.is_some_and(|v| v.len() > 40 && v.bytes().all(base64url)),
            "{name}: {value}"
        );
    }
    // Without the secret, or with another, the copy is useless: the server says what to set.
    let err = refused_start(wrapped(&db, None)).await;
    assert!(err.contains("FJELLPORT_KEY_WRAP") && err.contains("sealed"), "{err}");
    let err = refused_start(wrapped(&db, Some("not the secret it was sealed with"))).await;
    assert!(err.contains("another key_wrap"), "{err}");
    // The CLI too: a rotation needs the secret, and then keeps the keys sealed.
    let out = fjellport_in(dir.path(), &["issuer", "rotate-key", "--database", &db], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("FJELLPORT_KEY_WRAP"), "{stderr}");
    let env = [("FJELLPORT_KEY_WRAP", SECRET)];
    let out = fjellport_in(dir.path(), &["issuer", "rotate-key", "--database", &db], &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stored_keys(&db).await.iter().all(|(_, v)| v.starts_with("fjellport-wrap:v1:")));
    // With the secret, the same keys (and the new one) are back.
    let s = TestServer::start(wrapped(&db, Some(SECRET))).await;
    let after = kids(&s).await;
    assert!(
        before.iter().all(|k| after.contains(k)) && after.len() == before.len() + 1,
        "{after:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_database_from_before_the_secret_is_sealed_at_the_next_start() {
    let (_dir, db) = temp_db("plain.db");
    let s = TestServer::start(wrapped(&db, None)).await;
    let before = kids(&s).await;
    s.stop().await;
    assert!(stored_keys(&db).await.iter().all(|(_, v)| !v.starts_with("fjellport-wrap:")));
    let s = TestServer::start(wrapped(&db, Some(SECRET))).await;
    assert_eq!(kids(&s).await, before, "the same keys, now sealed");
    s.stop().await;
    let stored = stored_keys(&db).await;
    assert!(stored.iter().all(|(_, v)| v.starts_with("fjellport-wrap:v1:")), "{stored:?}");
}

#[test]
fn a_short_secret_is_refused_at_start() {
    let out = fjellport_in(
        &std::env::temp_dir(),
        &["serve", "--database", "sqlite::memory:"],
        &[("FJELLPORT_KEY_WRAP", "short")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("key_wrap must be at least 16"));
}
