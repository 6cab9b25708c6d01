//! Per-key CORS. Browsers send no key on a preflight, so a preflight is answered from the
//! union of the API's active browser-key origins; the actual request must then come from one of
//! *its own key's* origins. tower-http's `CorsLayer` has one static policy, so this is ours.

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue, Method};

use fjellport_auth::origin::Origin;

/// Headers a browser app may read (DESIGN.md's list plus the versioning and rate-limit ones).
pub const EXPOSED: &str = "WWW-Authenticate, DPoP-Nonce, Deprecation, Sunset, Link, \
                           api-supported-versions, api-deprecated-versions, Retry-After, \
                           RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id, \
                           Location";
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const DEFAULT_ALLOWED_HEADERS: &str = "Accept, Content-Type, Authorization, DPoP, X-api-version, \
                                       X-api-key, X-Syntpop-apikey, ApiKey, X-Request-Id";
const MAX_AGE_SECS: &str = "600";

/// The request's `Origin`: absent, unparseable (e.g. `null`), or a normalised origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOrigin {
    Absent,
    Opaque,
    Web(Origin),
}

impl RequestOrigin {
    pub fn of(headers: &HeaderMap) -> RequestOrigin {
        match headers.get(ORIGIN) {
            None => RequestOrigin::Absent,
            Some(v) => v
                .to_str()
                .ok()
                .and_then(|s| s.parse().ok())
                .map_or(RequestOrigin::Opaque, RequestOrigin::Web),
        }
    }

    pub fn web(&self) -> Option<&Origin> {
        match self {
            RequestOrigin::Web(o) => Some(o),
            _ => None,
        }
    }
}

pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(ORIGIN)
        && headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// Headers of a successful preflight for `origin`.
pub fn preflight_headers(origin: &Origin, request: &HeaderMap, out: &mut HeaderMap) {
    allow_origin(origin, out);
    out.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS));
    // Echo what the browser asks to send (a token list); fall back to the headers we read.
    let asked = request
        .get(ACCESS_CONTROL_REQUEST_HEADERS)
        .filter(|v| v.to_str().is_ok_and(is_token_list))
        .cloned()
        .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOWED_HEADERS));
    out.insert(ACCESS_CONTROL_ALLOW_HEADERS, asked);
    out.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE_SECS));
    out.append(
        VARY,
        HeaderValue::from_static("Access-Control-Request-Method, Access-Control-Request-Headers"),
    );
}

/// `Access-Control-Allow-Origin` for one origin, and the headers it may read.
pub fn allow_origin(origin: &Origin, out: &mut HeaderMap) {
    if let Ok(v) = HeaderValue::from_str(origin.as_str()) {
        out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, v);
        out.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
    }
}

/// Every gateway answer depends on `Origin`, so caches must key on it.
pub fn vary_origin(out: &mut HeaderMap) {
    out.append(VARY, HeaderValue::from_static("Origin"));
}

fn is_token_list(s: &str) -> bool {
    s.len() <= 1024
        && s.split(',').map(str::trim).all(|t| {
            !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        })
}
