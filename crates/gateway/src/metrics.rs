//! Request metrics per API, version and status, recorded in the one outer layer.

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};
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

/// The outer layer every route shares: finalizes problem answers (see [`crate::problem`]),
/// then counts and times the response. One layer for both, so the hot path boxes one future.
pub async fn finish(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let uri = req.uri().clone(); // shares its bytes: no copy on the happy path
    let res = next.run(req).await;
    let res = crate::problem::finalize(res, uri.path()).await;
    let labels = res
        .extensions()
        .get::<MetricLabels>()
        .copied()
        .unwrap_or(MetricLabels {
            api: "-",
            version: "-",
        });
    let (count, duration) = handles(labels, res.status().as_u16());
    count.increment(1);
    duration.record(started.elapsed().as_secs_f64());
    res
}

type Handles = (metrics::Counter, metrics::Histogram);
/// (api, version, status)
type LabelKey = (&'static str, &'static str, u16);

/// Registered handles per label set: building a metric key per request (labels, hashing,
/// allocation) cost more than the rest of the layer. Handles come from the recorder installed
/// at start, before the first request.
fn handles(labels: MetricLabels, status: u16) -> Handles {
    static CACHE: LazyLock<RwLock<HashMap<LabelKey, Handles>>> =
        LazyLock::new(|| RwLock::new(HashMap::new()));
    let key = (labels.api, labels.version, status);
    if let Some(h) = CACHE.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return h.clone();
    }
    let made = (
        metrics::counter!(
            "fjellport_http_requests_total",
            "api" => labels.api, "version" => labels.version, "status" => status.to_string()
        ),
        metrics::histogram!(
            "fjellport_http_request_duration_seconds",
            "api" => labels.api, "version" => labels.version
        ),
    );
    CACHE
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert(made)
        .clone()
}

/// Interns a version name for use as a `'static` label (versions are a small fixed set).
pub(crate) fn leak_label(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}
