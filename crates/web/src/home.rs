//! `GET /`: the home page.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use http::HeaderMap;

use crate::page::{Chrome, html_page};
use crate::{IssuerLink, WebState, session};

#[derive(Template)]
#[template(path = "home.html")]
struct Home<'a> {
    chrome: Chrome,
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

pub(crate) async fn page(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    // The page shows to anyone; a session only changes "Log in" to "Log out".
    let session = session::current(&state, &headers).await.ok().flatten();
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
    let environment = state.environment.to_string();
    let html = Home {
        chrome: Chrome::new("home", "/", session.as_ref()),
        population,
        issuers: &state.issuers,
        environment: &environment,
    }
    .render();
    html_page(html)
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
