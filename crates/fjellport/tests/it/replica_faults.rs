//! A replica behind the proxy stopped two ways while clients keep calling: SIGTERM (a
//! rolling restart) is invisible to them and the replica exits 0; SIGKILL fails at most the
//! requests that replica had in flight, loses no acknowledged write, and the restarted
//! replica takes traffic again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::TestServer;
use crate::topology::Topology;

/// Callers running at once: at most this many requests are in flight anywhere.
const WORKERS: usize = 8;

/// One request of the load and what came of it.
#[derive(Debug)]
struct Outcome {
    /// Since the load started.
    sent: Duration,
    /// The status, or `None` when the connection failed.
    status: Option<u16>,
    /// `X-Fjellport-Replica`: the proxy's name of the replica that answered.
    replica: Option<String>,
    /// The reserved person's id and number, for an acknowledged reservation.
    reserved: Option<(String, String)>,
    /// A reservation (a write), not a read.
    write: bool,
}

impl Outcome {
    fn failed(&self) -> bool {
        !self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Calls through the proxy from `WORKERS` tasks until `stop`: reservations (writes) and
/// reads of one person, one in four a write.
fn load(t: &Topology, key: &str, person: &str, stop: Arc<AtomicBool>) -> LoadTasks {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let (base, key, person, stop) =
            (t.proxy.base.clone(), key.to_owned(), person.to_owned(), stop.clone());
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let sent = started.elapsed();
                let write = i % 4 == 0;
                let req = if write {
                    http.post(format!("{base}/syntpop/api/reserved-persons"))
                        .json(&serde_json::json!({}))
                } else {
                    http.get(format!("{base}/syntpop/api/persons/{person}?informationParts=Name"))
                };
                let res = req.header("X-api-key", &key).header("X-api-version", "0.2").send().await;
                let outcome = match res {
                    Err(_) => Outcome { sent, status: None, replica: None, reserved: None, write },
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let replica = res
                            .headers()
                            .get("x-fjellport-replica")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        let body: Value = res.json().await.unwrap_or(Value::Null);
                        let reserved = (status == 201).then(|| {
                            let id = body["id"].as_str().unwrap().to_owned();
                            let nin =
                                body["norwegianIdentificationNumber"][0]["identificationNumber"]
                                    .as_str()
                                    .unwrap()
                                    .to_owned();
                            (id, nin)
                        });
                        Outcome { sent, status: Some(status), replica, reserved, write }
                    }
                };
                outcomes.push(outcome);
            }
            outcomes
        });
    }
    LoadTasks { tasks, started }
}

struct LoadTasks {
    tasks: tokio::task::JoinSet<Vec<Outcome>>,
    started: Instant,
}

impl LoadTasks {
    /// When `at` happened, as an offset from the start of the load.
    fn offset(&self, at: Instant) -> Duration {
        at.duration_since(self.started)
    }

    async fn finish(self, stop: &AtomicBool) -> Vec<Outcome> {
        stop.store(true, Ordering::Relaxed);
        self.tasks.join_all().await.into_iter().flatten().collect()
    }
}

/// Every acknowledged reservation is there afterwards, with its number, checked one by one.
async fn every_reservation_is_there(proxy: &TestServer, key: &str, outcomes: &[Outcome]) -> usize {
    let mut n = 0;
    for (id, nin) in outcomes.iter().filter_map(|o| o.reserved.as_ref()) {
        crate::support::assert_reserved(proxy, key, id, nin).await;
        n += 1;
    }
    n
}

#[tokio::test]
async fn a_replica_stopped_or_killed_behind_the_proxy_loses_nothing() {
    let Some((t, _)) = Topology::for_test().await else { return };
    let (_, key) = t.proxy.other_key("syntpop").await;
    let search = t
        .proxy
        .http
        .post(t.proxy.url("/syntpop/api/search"))
        .header("X-api-key", &key)
        .header("X-api-version", "0.2")
        .json(&serde_json::json!({"limit": 1, "fields": "ids"}));
    // Every replica knows the key before the load starts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let found: Value = search.send().await.unwrap().json().await.unwrap();
    let person = found["results"][0]["id"].as_str().expect("a person").to_owned();

    // SIGTERM on the third replica: it goes not-ready, the proxy takes it out, it drains and
    // exits 0, and no caller notices.
    let stop = Arc::new(AtomicBool::new(false));
    let running = load(&t, &key, &person, stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    t.signal(2, "TERM");
    let exit = t.exit_status(2, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let drained = running.finish(&stop).await;
    assert_eq!(exit, Some(0), "a stopped replica exits 0\n{}", t.logs());
    let failed: Vec<&Outcome> = drained.iter().filter(|o| o.failed()).collect();
    assert!(failed.is_empty(), "a rolling stop failed {} requests: {failed:?}", failed.len());
    assert!(drained.len() > 50, "too little load to show anything: {}", drained.len());
    t.restart(2).await;

    // SIGKILL on the second replica: only what it had in flight fails; restarted, it serves.
    let stop = Arc::new(AtomicBool::new(false));
    let running = load(&t, &key, &person, stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let killed_at = Instant::now();
    t.signal(1, "KILL");
    tokio::time::sleep(Duration::from_secs(2)).await;
    t.restart(1).await;
    let rejoined_at = Instant::now();
    // The proxy's health check (rise 2, every 500 ms) lets it back in within about a second.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (kill, rejoin) = (running.offset(killed_at), running.offset(rejoined_at));
    let killed = running.finish(&stop).await;
    let failed: Vec<&Outcome> = killed.iter().filter(|o| o.failed()).collect();
    assert!(
        failed.len() <= WORKERS,
        "{} requests failed, more than were in flight: {failed:?}",
        failed.len()
    );
    // In flight: sent to it before the proxy's health checks took it out (two failed checks
    // 500 ms apart). A read the replica did not answer is retried elsewhere by the proxy; a
    // write is not (it may have happened), so only writes fail.
    let noticed = kill + Duration::from_millis(1500);
    for f in &failed {
        assert!(f.write && f.sent <= noticed, "not in flight at the kill: {f:?}");
    }
    let served_again = killed
        .iter()
        .filter(|o| o.sent > rejoin + Duration::from_millis(1500))
        .any(|o| o.replica.as_deref() == Some("r2"));
    assert!(served_again, "the restarted replica takes no traffic\n{}", t.logs());

    let acknowledged = every_reservation_is_there(&t.proxy, &key, &drained).await
        + every_reservation_is_there(&t.proxy, &key, &killed).await;
    eprintln!(
        "replica faults: SIGTERM {} requests, none failed; SIGKILL {} requests, {} failed \
         (in flight); {acknowledged} acknowledged reservations all there",
        drained.len(),
        killed.len(),
        failed.len()
    );
    assert!(acknowledged > 20, "too few reservations to show anything: {acknowledged}");
}
