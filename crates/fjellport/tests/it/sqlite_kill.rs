//! One process on a SQLite file, killed (SIGKILL) in the middle of a burst of writes and
//! started again on the same file: the file is whole and every acknowledged write is in it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, BEFORE_SUNSET, TestServer};

/// `fjellport serve` on `db` as a child process, with its log in `log`, and its address.
async fn serve(db: &str, log: &std::path::Path) -> (tokio::process::Child, TestServer) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_fjellport"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FJELLPORT_")) {
        cmd.env_remove(k);
    }
    let _ = std::fs::remove_file(log);
    let child = cmd
        .args(["serve", "--listen", "127.0.0.1:0", "--database", db, "--persons", "200"])
        .env("FJELLPORT_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("FJELLPORT_CLOCK", BEFORE_SUNSET)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(rest) = text.split("listening on http://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap().to_owned();
            let http = reqwest::Client::new();
            return (child, TestServer { running: None, base: format!("http://{addr}"), http });
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no listening line:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What an acknowledged write made: a key's id, or a reserved person's id and number.
enum Made {
    Key(String),
    Reserved(String, String),
}

#[tokio::test]
async fn sigkill_during_writes_leaves_a_whole_file_with_every_acknowledged_write() {
    let (dir, db) = crate::support::temp_db("killed.db");
    let log = dir.path().join("serve.log");
    let (mut child, s) = serve(&db, &log).await;
    let (_, key) = s.other_key("syntpop").await;

    // Eight writers: new keys and reservations, as fast as they are answered.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (http, base, key, stop) = (s.http.clone(), s.base.clone(), key.clone(), stop.clone());
        writers.spawn(async move {
            let mut made = Vec::new();
            let mut i = w;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let res = if i % 2 == 0 {
                    http.post(format!("{base}/admin/api/keys"))
                        .bearer_auth(ADMIN_TOKEN)
                        .json(&json!({"api": "syntpop", "type": "other", "owner": "burst"}))
                        .send()
                        .await
                } else {
                    http.post(format!("{base}/syntpop/api/reserved-persons"))
                        .header("X-api-key", &key)
                        .header("X-api-version", "0.2")
                        .json(&json!({}))
                        .send()
                        .await
                };
                // The kill cuts connections: what was not answered was not acknowledged.
                let Ok(res) = res else { break };
                if res.status() != 201 {
                    continue;
                }
                let Ok(body) = res.json::<Value>().await else { break };
                let id = body["id"].as_str().unwrap().to_owned();
                made.push(
                    match body["norwegianIdentificationNumber"][0]["identificationNumber"].as_str()
                    {
                        Some(nin) => Made::Reserved(id, nin.to_owned()),
                        None => Made::Key(id),
                    },
                );
            }
            made
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let made: Vec<Made> = writers.join_all().await.into_iter().flatten().collect();
    assert!(made.len() > 20, "too few writes before the kill to show anything: {}", made.len());

    // The file is whole (SQLite replays its write-ahead log on open) ...
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    let check: String =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap();
    assert_eq!(check, "ok");
    conn.close().await.unwrap();

    // ... and the server started again on it has every acknowledged write.
    let (_child, s) = serve(&db, &log).await;
    for m in &made {
        match m {
            Made::Key(id) => {
                let res = s.admin(reqwest::Method::GET, &format!("/keys/{id}")).send().await;
                assert_eq!(res.unwrap().status(), 200, "acknowledged key {id} is gone");
            }
            Made::Reserved(id, nin) => {
                crate::support::assert_reserved(&s, &key, id, nin).await;
            }
        }
    }
    eprintln!("sqlite kill: {} acknowledged writes before SIGKILL, all there", made.len());
}
