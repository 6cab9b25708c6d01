//! Operations: `/healthz`, `/readyz`, `/metrics`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fjellport_gateway::Problem;
use fjellport_store::Store;
use http::header::CONTENT_TYPE;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Status {
    status: &'static str,
}

/// What `/readyz` looks at: the store, and whether the server is on its way out.
#[derive(Clone)]
pub(crate) struct Readiness {
    store: Arc<dyn Store>,
    draining: Arc<AtomicBool>,
}

pub(crate) fn router(store: Arc<dyn Store>, draining: Arc<AtomicBool>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .with_state(Readiness { store, draining })
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Status)))]
async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// The process can serve: its store answers with the schema this binary expects, and it is
/// not stopping.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready", body = Status),
    (status = 503, description = "The database does not answer, its schema is not this binary's, or the server is stopping", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
async fn readyz(State(ready): State<Readiness>) -> Result<Json<Status>, Problem> {
    if ready.draining.load(Ordering::Relaxed) {
        return Err(Problem::unavailable("this server is stopping; another replica serves"));
    }
    ready.store.ping().await.map_err(|e| Problem::unavailable(e.to_string()))?;
    Ok(Json(Status { status: "ready" }))
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus metrics", body = String, content_type = "text/plain")))]
async fn metrics() -> Response {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], prometheus().render()).into_response()
}

/// Drains the recorder's histogram samples into their summaries every few seconds until
/// aborted. Without it every request's duration stays in memory until `/metrics` is scraped,
/// so a server nobody scrapes grows without bound (the soak test found 2–3 MB a minute).
pub(crate) fn metrics_upkeep() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            prometheus().run_upkeep();
        }
    })
}

/// The process-wide recorder, installed on first use (the `metrics` macros need a global one).
pub(crate) fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed already; metrics then go there.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}
