//! Fail fast while PostgreSQL does not answer.
//!
//! Without this, every request that needs the database waits out the pool's acquire timeout
//! (5 s) while the database is down, and a client, a load balancer's health check and the
//! callers behind them all stall together. A probe asks the database every quarter second,
//! with a short deadline; while it does not answer, requests are refused at once with 503
//! and `Retry-After` (problem+json; RFC 6749 JSON at the token endpoints, a SOAP fault on
//! SOAP paths by the layer outside), and the first answer lets them through again. Only
//! connectivity counts: a schema that is not this binary's is `/readyz`'s business alone.
//! SQLite is one file in this process, so it has no gate (a long write is not an outage).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fjellport_gateway::Problem;
use fjellport_store::{Store, StoreError};

/// How often the database is asked while it answers, and while it does not.
const EVERY: Duration = Duration::from_millis(250);
const EVERY_WHILE_DOWN: Duration = Duration::from_millis(100);
/// Longer than a healthy round trip under load by far, shorter than anyone waits.
const DEADLINE: Duration = Duration::from_millis(750);

/// Whether the database answered the last probe.
#[derive(Debug)]
pub struct DbGate {
    down: AtomicBool,
    /// `/{issuer}/token`: refused in OAuth's error format.
    token_paths: Vec<String>,
}

impl DbGate {
    pub fn new(token_paths: Vec<String>) -> DbGate {
        DbGate { down: AtomicBool::new(false), token_paths }
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// Probes `store` until aborted.
    pub fn watch(self: &Arc<Self>, store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
        let gate = self.clone();
        tokio::spawn(async move {
            loop {
                let answered = match tokio::time::timeout(DEADLINE, store.ping()).await {
                    Err(_) | Ok(Err(StoreError::Unavailable(_))) => false,
                    Ok(_) => true,
                };
                let was_down = gate.down.swap(!answered, Ordering::Relaxed);
                // The state changed: down and now answered, or up and now not.
                if was_down == answered {
                    if answered {
                        tracing::info!("the database answers again");
                    } else {
                        tracing::warn!(
                            "the database does not answer: refusing with 503 until it does"
                        );
                    }
                }
                tokio::time::sleep(if answered { EVERY } else { EVERY_WHILE_DOWN }).await;
            }
        })
    }
}

/// The middleware: 503 at once while the database is down, except for what needs no
/// database (liveness, metrics, the API documentation).
pub async fn refuse_while_down(
    State(gate): State<Arc<DbGate>>,
    req: Request,
    next: Next,
) -> Response {
    if !gate.is_down() {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let needs_no_database = matches!(path, "/healthz" | "/metrics" | "/openapi.json")
        || path == "/docs"
        || path.starts_with("/docs/");
    if needs_no_database {
        return next.run(req).await;
    }
    const DETAIL: &str = "The database does not answer; this server refuses requests until it \
                          does (usually seconds). Try again.";
    if gate.token_paths.iter().any(|p| p == path) {
        return fjellport_api_issuer::token::temporarily_unavailable(DETAIL);
    }
    Problem::unavailable(DETAIL).into_response()
}
