//! What every page shares: the headers, the navigation (who is logged in, the log-out
//! form), a page for errors, redirects, and reading a posted form.

use askama::Template;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::{HeaderName, HeaderValue, StatusCode};

use crate::session::Session;

/// What the page frame (`base.html`) shows around every page.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub stylesheet: &'static str,
    pub script: &'static str,
    /// The navigation item of this page (`home`, `keys`, …), marked `aria-current`.
    pub current: &'static str,
    /// The logged-in person's name.
    pub user: Option<String>,
    /// The session's CSRF token, for the log-out form.
    pub csrf: String,
    /// Where "Log in" goes (back to this page afterwards).
    pub login: String,
}

impl Chrome {
    pub(crate) fn new(current: &'static str, path: &str, session: Option<&Session>) -> Chrome {
        Chrome {
            stylesheet: crate::assets::STYLESHEET,
            script: crate::assets::SCRIPT,
            current,
            user: session.and_then(|s| s.user()).map(|u| u.name.clone()),
            csrf: session.map(|s| s.doc.csrf.clone()).unwrap_or_default(),
            login: format!("/login?next={}", encode(path)),
        }
    }

    /// `aria-current="page"` for the item that is this page.
    pub(crate) fn is(&self, item: &str) -> bool {
        self.current == item
    }
}

/// This page's own address (`path`, and its query when it has one), to come back to after
/// a login.
pub(crate) fn here(path: &str, query: &str) -> String {
    if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
}

/// A rule's message as a sentence on a page (the CLI's wording names its flags).
pub(crate) fn sentence(text: &str) -> String {
    let text =
        text.replace(" (e.g. --origin https://app.example.com)", ", e.g. https://app.example.com");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text,
    }
}

/// Percent-encodes a query value.
pub(crate) fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An HTML answer with the headers every page carries: only this site's script and style
/// (the CSP), never framed, never sniffed, not cached (pages show live state and secrets).
pub(crate) fn html_page(html: Result<String, askama::Error>) -> Response {
    html_status(StatusCode::OK, html)
}

pub(crate) fn html_status(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    let html = match html {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "a web page failed to render");
            return (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered")
                .into_response();
        }
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
    (status, headers, html).into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    chrome: Chrome,
    heading: &'a str,
    text: &'a str,
}

/// A page that says what went wrong (or what happened), with `status`.
pub(crate) fn message(
    status: StatusCode,
    session: Option<&Session>,
    heading: &str,
    text: &str,
) -> Response {
    let chrome = Chrome::new("", "/", session);
    html_status(status, Message { chrome, heading, text }.render())
}

/// The store did not answer: 503 when it is down, else 500.
pub(crate) fn outage(e: &fjellport_store::StoreError) -> Response {
    tracing::error!(error = %e, "web: the store failed");
    let status = match e {
        fjellport_store::StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    message(
        status,
        None,
        "Not available just now",
        "Fjellport cannot reach its database just now; nothing was changed. Try again shortly.",
    )
}

/// A form POST without this session's CSRF token: 403, nothing changed.
pub(crate) fn forbidden_form(session: Option<&Session>) -> Response {
    message(
        StatusCode::FORBIDDEN,
        session,
        "The form was refused",
        "The form did not carry this session's security token (it may be from an older page, \
         another site, or a session that ended), so nothing was changed. Open the page again \
         and resend it.",
    )
}

/// `303 See Other` to `to` (a path on this site).
pub(crate) fn see_other(to: &str, extra: Option<(HeaderName, HeaderValue)>) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    let mut res = (
        StatusCode::SEE_OTHER,
        [(LOCATION, location), (CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response();
    if let Some((name, value)) = extra {
        res.headers_mut().append(name, value);
    }
    res
}

/// A posted form's fields, in order (a field may repeat: checkboxes).
#[derive(Debug, Default)]
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub(crate) fn parse(body: &[u8]) -> Form {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The field's first value, trimmed; `None` when absent or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// Every value of the field (checkboxes), in order.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// Is `next` a path on this site (not `//elsewhere`, not a URL)? Only such are followed
/// after a login, so the login cannot be used to send someone to another site.
pub(crate) fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 500;
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/keys"), Some("/keys"));
        assert_eq!(local_path("/persons?gender=female"), Some("/persons?gender=female"));
        for bad in ["//evil.test/", "https://evil.test/", "/\\evil.test", "keys", "/a\nb", ""] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn repeated_fields_are_all_kept_and_blank_ones_are_absent() {
        let f = Form::parse(b"scopes=a&scopes=b&name=+&api=+syntpop");
        assert_eq!(f.all("scopes"), ["a", "b"]);
        assert_eq!(f.get("name"), None);
        assert_eq!(f.get("api"), Some("syntpop"));
    }
}
