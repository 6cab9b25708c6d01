//! What a slow or greedy client cannot do to a shared server (the security issue): hold a
//! connection open by stalling in its headers, take every file descriptor, or get an empty
//! answer for headers that are too large.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{BEFORE_SUNSET, TestServer, config, problem};

fn addr(s: &TestServer) -> String {
    s.base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let mut cfg = config("sqlite::memory:", BEFORE_SUNSET);
    cfg.header_timeout_secs = 1;
    let s = TestServer::start(cfg).await;
    let mut slow = TcpStream::connect(addr(&s)).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection is still open after 10 s");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(5), "{waited:?}");
    // A client that sends its headers in time is served as before.
    let res = s.get("/healthz").send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let mut cfg = config("sqlite::memory:", BEFORE_SUNSET);
    cfg.max_connections = 2;
    let s = TestServer::start(cfg).await;
    let held: Vec<TcpStream> = vec![
        TcpStream::connect(addr(&s)).await.unwrap(),
        TcpStream::connect(addr(&s)).await.unwrap(),
    ];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = || async {
        let mut c = TcpStream::connect(addr(&s)).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        c.read_to_end(&mut answer).await.map(|_| answer)
    };
    let waiting = tokio::time::timeout(Duration::from_millis(700), third()).await;
    assert!(waiting.is_err(), "a third connection is served while two are open");
    drop(held);
    let answer = tokio::time::timeout(Duration::from_secs(5), third()).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    s.stop().await;
}

#[tokio::test]
async fn too_many_or_too_large_headers_get_a_problem_not_an_empty_431() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let big = "x".repeat(40 * 1024);
    let res = s.get("/healthz").header("X-Big", big).send().await.unwrap();
    let p = problem(res, 431).await;
    assert!(p["detail"].as_str().unwrap().contains("bytes"), "{p}");
    let mut many = s.get("/syntpop/api/ping");
    for i in 0..200 {
        many = many.header(format!("X-H{i}"), "1");
    }
    problem(many.send().await.unwrap(), 431).await;
    s.stop().await;
}
