//! `GET /`: the home page.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, StatusCode};

use crate::{IssuerLink, WebState};

#[derive(Template)]
#[template(path = "home.html")]
struct Home<'a> {
    stylesheet: &'a str,
    /// `None` when the store did not answer.
    population: Option<Population>,
    issuers: &'a [IssuerLink],
    environment: &'a str,
}

struct Population {
    persons: String,
    reserved: String,
    day: String,
}

pub(crate) async fn page(State(state): State<Arc<WebState>>) -> Response {
    let population = match (state.facts)().await {
        Ok(f) => Some(Population {
            persons: thousands(f.persons),
            reserved: thousands(f.reserved),
            day: f.day.format("%Y-%m-%d").to_string(),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "home page: the population's facts are not available");
            None
        }
    };
    let html = Home {
        stylesheet: crate::assets::STYLESHEET,
        population,
        issuers: &state.issuers,
        environment: &state.environment,
    }
    .render();
    html_page(html)
}

/// An HTML answer with the headers every page carries: no inline script or style and nothing
/// from elsewhere (the CSP), never framed, never sniffed, not cached (pages show live state).
pub(crate) fn html_page(html: Result<String, askama::Error>) -> Response {
    let Ok(html) = html else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered")
            .into_response();
    };
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
        (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        ),
        (HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")),
        (HeaderName::from_static("referrer-policy"), HeaderValue::from_static("same-origin")),
    ];
    (headers, html).into_response()
}

/// `1234567` as `1 234 567`: Norwegian digit grouping (a no-break space between groups).
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_digits_by_three() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1\u{a0}000");
        assert_eq!(super::thousands(1_200_000), "1\u{a0}200\u{a0}000");
    }
}
