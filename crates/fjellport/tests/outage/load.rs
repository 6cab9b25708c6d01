//! A bounded mixed load through the proxy: reads, reservations, new keys and DPoP-bound calls,
//! each outcome recorded with when it was sent and how long it took.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fjellport_auth::forge::{ProofFor, proof};
use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, Client, TestServer, now};

/// Callers at once.
const WORKERS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `GET /persons/{id}` with an API key.
    Read,
    /// `POST /reserved-persons`: a write.
    Reserve,
    /// `POST /admin/api/keys`: a write.
    CreateKey,
    /// SyntPop 1.0 with a token and a fresh DPoP proof: the replay record is written.
    Dpop,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Read, Kind::Reserve, Kind::CreateKey, Kind::Dpop];
}

#[derive(Debug)]
pub struct Outcome {
    pub kind: Kind,
    /// Since the load started.
    pub sent: Duration,
    pub took: Duration,
    /// `None` when no answer came (a connection error or the client's timeout).
    pub status: Option<u16>,
    pub problem: bool,
    pub retry_after: bool,
    /// The id of what an acknowledged write made, and a reserved person's number.
    pub created: Option<String>,
    pub nin: Option<String>,
}

pub struct Load {
    tasks: tokio::task::JoinSet<Vec<Outcome>>,
    started: Instant,
    stop: Arc<AtomicBool>,
}

impl Load {
    /// When `at` happened, as an offset from the start of the load.
    pub fn offset(&self, at: Instant) -> Duration {
        at.duration_since(self.started)
    }

    pub async fn finish(self) -> Vec<Outcome> {
        self.stop.store(true, Ordering::Relaxed);
        self.tasks.join_all().await.into_iter().flatten().collect()
    }
}

pub fn start(proxy: &TestServer, key: &str, person: &str, dpop: Client) -> Load {
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let dpop = Arc::new(dpop);
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let caller = Caller {
            http: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap(),
            base: proxy.base.clone(),
            key: key.to_owned(),
            person: person.to_owned(),
            dpop: dpop.clone(),
        };
        let stop = stop.clone();
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                let kind = Kind::ALL[i % Kind::ALL.len()];
                i += 1;
                let sent = started.elapsed();
                outcomes.push(caller.call(kind, sent).await);
                // A bounded load: a caller that met an outage does not spin on it.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            outcomes
        });
    }
    Load { tasks, started, stop }
}

struct Caller {
    http: reqwest::Client,
    base: String,
    key: String,
    person: String,
    dpop: Arc<Client>,
}

impl Caller {
    async fn call(&self, kind: Kind, sent: Duration) -> Outcome {
        let begun = Instant::now();
        let req = match kind {
            Kind::Read => self
                .http
                .get(format!(
                    "{}/syntpop/api/persons/{}?informationParts=Name",
                    self.base, self.person
                ))
                .header("X-api-key", &self.key)
                .header("X-api-version", "0.2"),
            Kind::Reserve => self
                .http
                .post(format!("{}/syntpop/api/reserved-persons", self.base))
                .header("X-api-key", &self.key)
                .header("X-api-version", "0.2")
                .json(&json!({})),
            Kind::CreateKey => self
                .http
                .post(format!("{}/admin/api/keys", self.base))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({"api": "syntpop", "type": "other", "owner": "outage"})),
            Kind::Dpop => {
                let url = format!("{}/syntpop/api/ping", self.base);
                let target = ProofFor {
                    method: "GET",
                    uri: &url,
                    access_token: Some(&self.dpop.token),
                    nonce: None,
                    now: now(),
                };
                let p = proof(&self.dpop.key, &target, None).unwrap();
                self.http
                    .get(&url)
                    .header("X-api-version", "1.0")
                    .header("Authorization", format!("DPoP {}", self.dpop.token))
                    .header("DPoP", p)
            }
        };
        let mut outcome = Outcome {
            kind,
            sent,
            took: Duration::ZERO,
            status: None,
            problem: false,
            retry_after: false,
            created: None,
            nin: None,
        };
        if let Ok(res) = req.send().await {
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            outcome.status = Some(status);
            outcome.problem = headers
                .get("content-type")
                .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
            outcome.retry_after = headers.contains_key("retry-after");
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if status == 201 {
                outcome.created = body["id"].as_str().map(str::to_owned);
                outcome.nin = body["norwegianIdentificationNumber"][0]["identificationNumber"]
                    .as_str()
                    .map(str::to_owned);
            }
        }
        outcome.took = begun.elapsed();
        outcome
    }
}
