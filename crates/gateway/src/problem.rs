//! RFC 9457 problem details: the one shape of every 4xx/5xx body.
//!
//! Handlers and layers return [`Problem`]; its `IntoResponse` renders the body and leaves the
//! problem in the response's extensions, so [`finalize`] — run by the outermost layer — can add
//! `instance` (the request path), and can turn any error that is *not* yet problem+json (a 405
//! from the router, a 413 from the body limit, a 408 from the timeout) into one. Errors reach
//! the wire in this one place.

use axum::body::{Body, to_bytes};
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The wire shape of a problem, for the OpenAPI document.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// `urn:fjellport:problem:<kind>`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: String,
}

/// A problem, before it reaches the wire.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    /// Short slug; the wire `type` is `urn:fjellport:problem:<slug>`.
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub extensions: Map<String, Value>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A reason phrase of the service's own (see [`Problem::reason`]).
    pub reason: Option<&'static str>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, title: impl Into<String>) -> Problem {
        Problem {
            status,
            kind,
            title: title.into(),
            detail: String::new(),
            extensions: Map::new(),
            headers: Vec::new(),
            reason: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = detail.into();
        self
    }

    /// Adds an extension member (RFC 9457 §3.2): more facts, same shape.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Problem {
        self.extensions.insert(name.to_owned(), value.into());
        self
    }

    /// The HTTP/1.1 reason phrase to send instead of the status's canonical one: Altinn's
    /// clients test for Altinn's own (`400 Required header 'ApiKey' is missing.`).
    pub fn reason(mut self, phrase: &'static str) -> Problem {
        self.reason = Some(phrase);
        self
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Problem {
        self.headers.push((name, value));
        self
    }

    pub fn type_uri(&self) -> String {
        format!("urn:fjellport:problem:{}", self.kind)
    }

    fn body(&self, instance: Option<&str>) -> Vec<u8> {
        let mut doc = Map::new();
        doc.insert("type".into(), json!(self.type_uri()));
        doc.insert("title".into(), json!(self.title));
        doc.insert("status".into(), json!(self.status.as_u16()));
        doc.insert("detail".into(), json!(self.detail));
        if let Some(instance) = instance {
            doc.insert("instance".into(), json!(instance));
        }
        for (k, v) in &self.extensions {
            doc.entry(k.clone()).or_insert_with(|| v.clone());
        }
        serde_json::to_vec(&Value::Object(doc)).unwrap_or_default()
    }

    // ---- the common ones -------------------------------------------------------------------

    pub fn bad_request(kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, kind, "Bad request").detail(detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found").detail(detail)
    }

    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error").detail(detail)
    }

    /// 503 with `Retry-After: 1`: an outage (the database does not answer) is expected to
    /// pass, and clients that honour the header retry instead of giving up.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable")
            .detail(detail)
            .header(http::header::RETRY_AFTER, HeaderValue::from_static("1"))
    }
}

/// Sets the status line's reason phrase of a successful answer where Altinn has its own
/// (`204 Contact Information Created`); clients test for them (HTTP/1.1 only: HTTP/2 has none).
pub fn with_reason(mut res: Response, phrase: &'static str) -> Response {
    res.extensions_mut().insert(hyper::ext::ReasonPhrase::from_static(phrase.as_bytes()));
    res
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::from(self.body(None)));
        *res.status_mut() = self.status;
        let headers = res.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        if let Some(phrase) = self.reason {
            res.extensions_mut().insert(hyper::ext::ReasonPhrase::from_static(phrase.as_bytes()));
        }
        res.extensions_mut().insert(self);
        res
    }
}

impl From<fjellport_store::StoreError> for Problem {
    fn from(err: fjellport_store::StoreError) -> Problem {
        use fjellport_store::StoreError::*;
        match &err {
            NotFound { .. } => Problem::not_found(err.to_string()),
            Conflict(_) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict").detail(err.to_string())
            }
            Unavailable(_) => Problem::unavailable(err.to_string()),
            _ => {
                tracing::error!(error = %err, "store failure");
                Problem::internal("the database failed; see the server log")
            }
        }
    }
}

/// Largest non-problem error body kept as the `detail` of the problem that replaces it.
const MAX_DETAIL_BODY: usize = 2048;

/// Makes every error response leave as problem+json with `instance` (the request path) set.
pub async fn finalize(res: Response, instance: &str) -> Response {
    if let Some(problem) = res.extensions().get::<Problem>().cloned() {
        let (mut parts, _) = res.into_parts();
        parts.headers.remove(CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(problem.body(Some(instance))));
    }
    let status = res.status();
    // problem+json already, a deliberate JSON error document (OAuth's RFC 6749 §5.2 errors,
    // which OAuth clients parse), a page written for people (the test login page's errors) or a
    // SOAP fault (XML, which SOAP clients parse):
    // leave those alone; rewrite plain-text rejections.
    let deliberate = res.headers().get(CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(PROBLEM_JSON.as_bytes())
            || v.starts_with(b"application/json")
            || v.starts_with(b"text/html")
            || v.starts_with(b"text/xml")
            || v.starts_with(b"application/soap+xml")
    });
    if !(status.is_client_error() || status.is_server_error()) || deliberate {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = to_bytes(body, MAX_DETAIL_BODY)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .unwrap_or_default();
    let problem = generic_problem(status, text.trim());
    parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(problem.body(Some(instance))))
}

/// A problem for an error some inner part produced as plain text.
fn generic_problem(status: StatusCode, text: &str) -> Problem {
    let title = status.canonical_reason().unwrap_or("Error").to_owned();
    let (kind, detail) = match status {
        StatusCode::NOT_FOUND => ("not-found", "No resource at this path.".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "This path does not accept this method; see /openapi.json.".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "body-too-large",
            "The request body is larger than the server accepts (config: body_limit_bytes)."
                .to_owned(),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            "The request took longer than the server allows (config: request_timeout_secs)."
                .to_owned(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", text.to_owned()),
        _ if status.is_server_error() => ("internal", "The server failed; see its log.".to_owned()),
        _ => ("bad-request", text.to_owned()),
    };
    let detail = if detail.is_empty() { title.clone() } else { detail };
    Problem::new(status, kind, title).detail(detail)
}

/// OpenAPI responses for problem+json errors: one per `(status, description)`, each with the
/// [`ProblemDoc`] schema (the APIs list the errors their calls may answer with this).
pub fn problem_responses(
    list: &[(&str, &str)],
) -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
    use utoipa::PartialSchema;
    use utoipa::openapi::{RefOr, ResponseBuilder, content::ContentBuilder};
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new().schema(Some(ProblemDoc::schema())).build();
            let response = ResponseBuilder::new()
                .description(*description)
                .content("application/problem+json", content)
                .build();
            ((*status).to_owned(), RefOr::T(response))
        })
        .collect()
}
