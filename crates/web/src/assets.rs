//! Static assets, compiled into the binary.

use axum::response::{IntoResponse, Response};
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

/// Where the stylesheet is served; a new version of the file gets a new name, so it may be
/// cached for a day.
pub(crate) const STYLESHEET: &str = "/assets/fjellport-1.css";

pub(crate) async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        include_str!("../assets/fjellport.css"),
    )
        .into_response()
}
