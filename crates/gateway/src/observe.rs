//! The one outer layer every route shares: request id, request span, problem+json
//! finalization and metrics. Kept as one layer because each layer on the hot path costs a boxed
//! future and a clone of the inner service per request (measured: folding four layers into this
//! one raised the gateway benchmark by about a tenth).

// Metric handles are looked up by label, never iterated.
#![allow(clippy::disallowed_types)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderName, HeaderValue};
use tracing::Instrument;

/// Labels the gateway leaves on its responses; routes outside any API get `api="-"`.
#[derive(Debug, Clone, Copy)]
pub struct MetricLabels {
    pub api: &'static str,
    pub version: &'static str,
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids as `<process prefix>-<counter>`: unique per process and, through the random
/// prefix, across replicas — and far cheaper than a random UUID per request (no syscall).
#[derive(Debug, Clone)]
pub struct RequestIds {
    prefix: Arc<str>,
    counter: Arc<AtomicU64>,
}

impl RequestIds {
    pub fn new(prefix: &str) -> RequestIds {
        RequestIds { prefix: prefix.into(), counter: Arc::new(AtomicU64::new(1)) }
    }

    fn next(&self) -> Option<HeaderValue> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut id = String::with_capacity(self.prefix.len() + 17);
        id.push_str(&self.prefix);
        id.push('-');
        let _ = std::fmt::Write::write_fmt(&mut id, format_args!("{n:x}"));
        HeaderValue::try_from(id).ok()
    }
}

/// Longest client-sent `X-Request-Id` kept; longer or non-visible ones are replaced.
const MAX_CLIENT_REQUEST_ID: usize = 128;

/// The outer layer: keeps (or assigns) `X-Request-Id`, opens the request span (DEBUG: the fmt
/// subscriber formats span fields eagerly, ~12 % of a request's CPU; `FJELLPORT_LOG=debug`
/// turns it on), finalizes problem answers (see [`crate::problem`]), counts and times.
pub async fn finish(State(ids): State<RequestIds>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = match req.headers().get(&REQUEST_ID) {
        Some(v) if v.len() <= MAX_CLIENT_REQUEST_ID && v.to_str().is_ok() => Some(v.clone()),
        _ => ids.next(),
    };
    if let Some(id) = &request_id {
        req.headers_mut().insert(REQUEST_ID, id.clone());
    }
    let span = tracing::debug_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = request_id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("-"),
        api = tracing::field::Empty,
        version = tracing::field::Empty,
        key_id = tracing::field::Empty,
        client_id = tracing::field::Empty,
    );
    let uri = req.uri().clone(); // shares its bytes: no copy on the happy path
    let res = next.run(req).instrument(span.clone()).await;
    let mut res = crate::problem::finalize(res, uri.path()).await;
    if let Some(id) = request_id {
        res.headers_mut().insert(REQUEST_ID, id);
    }
    let status = res.status();
    if status.is_server_error() {
        span.in_scope(|| tracing::error!(status = status.as_u16(), "request failed"));
    } else {
        span.in_scope(|| {
            tracing::debug!(
                status = status.as_u16(),
                micros = started.elapsed().as_micros() as u64,
                "answered"
            )
        });
    }
    let labels = res
        .extensions()
        .get::<MetricLabels>()
        .copied()
        .unwrap_or(MetricLabels { api: "-", version: "-" });
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
    CACHE.write().unwrap_or_else(|e| e.into_inner()).entry(key).or_insert(made).clone()
}

/// Interns a version name for use as a `'static` label (versions are a small fixed set).
pub(crate) fn leak_label(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}
