//! Replicas on one PostgreSQL database behind HAProxy, started and stopped by
//! `bench/replicas.sh` exactly as an operator would (the `it` and `outage` tests share it).

use std::time::{Duration, Instant};

use crate::support::{ADMIN_TOKEN, BEFORE_SUNSET, TestServer};

/// Whether HAProxy is installed (`.ci/run` installs it); under `CI=true` its absence fails.
fn haproxy() -> bool {
    let found = std::process::Command::new("haproxy").arg("-v").output().is_ok();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match (found, ci) {
        (true, _) => true,
        (false, true) => panic!("CI=true but haproxy is not installed (see .ci/run)"),
        (false, false) => {
            eprintln!("skipped: the HAProxy tests (haproxy is not installed)");
            false
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The topology, stopped (`replicas.sh down`) when dropped.
pub struct Topology {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    pub proxy: TestServer,
    pub replicas: Vec<TestServer>,
    ports: Vec<u16>,
}

fn script(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/replicas.sh");
    std::process::Command::new("bash")
        .arg(path)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run bench/replicas.sh")
}

/// A server this test did not start, reached at `port`.
fn at(port: u16) -> TestServer {
    TestServer {
        running: None,
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    }
}

impl Topology {
    /// Three replicas on a fresh PostgreSQL schema behind the proxy, when the PostgreSQL tests
    /// are on and HAProxy is installed (under `CI=true`, either missing fails).
    pub async fn for_test() -> Option<(Topology, String)> {
        let database = crate::support::postgres().await?;
        if !haproxy() {
            return None;
        }
        Some((Topology::up(&database).await, database))
    }

    /// Three replicas on `database` behind the proxy, all ready.
    pub async fn up(database: &str) -> Topology {
        let dir = tempfile::tempdir().unwrap();
        let (proxy, ports) = (free_port(), vec![free_port(), free_port(), free_port()]);
        let ports_text = ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" ");
        let env: Vec<(String, String)> = [
            ("FJELLPORT_BIN", env!("CARGO_BIN_EXE_fjellport").to_owned()),
            ("DATABASE_URL", database.to_owned()),
            ("RUN_DIR", dir.path().display().to_string()),
            ("PROXY_PORT", proxy.to_string()),
            ("REPLICA_PORTS", ports_text),
            ("PERSONS", "300".to_owned()),
            ("FJELLPORT_ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
            // Before SyntPop 0.x's sunset, as the other tests run; 1.0 proofs use this clock.
            ("FJELLPORT_CLOCK", BEFORE_SUNSET.to_owned()),
            ("FJELLPORT_KEY_POLL_MILLIS", "500".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let out = blocking(&["up"], &env).await;
        let replicas = ports.iter().copied().map(at).collect();
        let t = Topology { dir, env, proxy: at(proxy), replicas, ports };
        assert!(out.status.success(), "replicas.sh up failed:\n{}\n{}", output(&out), t.logs());
        t
    }

    /// The last lines of every log (the proxy's and each replica's), for a failure message.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                all.push_str(&format!("--- {}\n", entry.path().display()));
                for line in tail.into_iter().rev() {
                    all.push_str(line);
                    all.push('\n');
                }
            }
        }
        all
    }

    fn file(&self, replica: usize, ext: &str) -> std::path::PathBuf {
        self.dir.path().join(format!("replica-{}.{ext}", self.ports[replica]))
    }

    /// Sends `signal` (`KILL`, `TERM`) to replica `replica` (0-based).
    pub fn signal(&self, replica: usize, signal: &str) {
        let pid = std::fs::read_to_string(self.file(replica, "pid")).unwrap();
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid.trim().to_owned()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// The exit status replica `replica` stopped with, once it has stopped (within `wait`).
    pub async fn exit_status(&self, replica: usize, wait: Duration) -> Option<i32> {
        let started = Instant::now();
        while started.elapsed() < wait {
            if let Ok(text) = std::fs::read_to_string(self.file(replica, "exit"))
                && let Ok(code) = text.trim().parse()
            {
                return Some(code);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// Polls `check(i)` for every replica `i` until each passes, failing after 2 s (the
    /// promise: a change made anywhere is served everywhere within 2 s).
    pub async fn everywhere<F, Fut>(&self, what: &str, check: F)
    where
        F: Fn(usize) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        for i in 0..self.replicas.len() {
            while !check(i).await {
                let base = &self.replicas[i].base;
                assert!(started.elapsed() < Duration::from_secs(2), "{what}: not at {base} in 2 s");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Starts replica `replica` again (`replicas.sh start-replica`) and waits until it is ready.
    pub async fn restart(&self, replica: usize) {
        let port = self.ports[replica].to_string();
        let out = blocking(&["start-replica", &port], &self.env).await;
        assert!(out.status.success(), "start-replica failed:\n{}\n{}", output(&out), self.logs());
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        let out = script(&["down"], &self.env);
        if !out.status.success() {
            eprintln!("replicas.sh down: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

async fn blocking(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env = env.to_vec();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        script(&args, &env)
    })
    .await
    .unwrap()
}

fn output(out: &std::process::Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
