//! Static assets, compiled into the binary. A new version of a file gets a new name, so they
//! may be cached for a day.

use axum::response::{IntoResponse, Response};
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

pub(crate) const STYLESHEET: &str = "/assets/fjellport-6.css";
pub(crate) const SCRIPT: &str = "/assets/fjellport-2.js";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", include_str!("../assets/fjellport.css"))
}

pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("../assets/fjellport.js"))
}
