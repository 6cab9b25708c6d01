//! Request metrics per API, version and status, recorded in one outer layer.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Labels the gateway leaves on its responses; routes outside any API get `api="-"`.
#[derive(Debug, Clone, Copy)]
pub struct MetricLabels {
    pub api: &'static str,
    pub version: &'static str,
}

/// Outer layer: counts every response and times it.
pub async fn record(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let res = next.run(req).await;
    let labels = res
        .extensions()
        .get::<MetricLabels>()
        .copied()
        .unwrap_or(MetricLabels {
            api: "-",
            version: "-",
        });
    let status = res.status().as_u16().to_string();
    metrics::counter!(
        "fjellport_http_requests_total",
        "api" => labels.api, "version" => labels.version, "status" => status
    )
    .increment(1);
    metrics::histogram!(
        "fjellport_http_request_duration_seconds",
        "api" => labels.api, "version" => labels.version
    )
    .record(started.elapsed().as_secs_f64());
    res
}

/// Interns a version name for use as a `'static` label (versions are a small fixed set).
pub(crate) fn leak_label(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}
