//! Altinn's legacy portal login, for `altinn.login_redirect`: an end-user call without any
//! login is answered `302` to `/altinn/ui/authentication?goTo=<the call>` (as Altinn 2 sent
//! browsers to its portal), where a synthetic person's identity number and the test password
//! set the `.ASPXAUTH` cookie and send the browser back. The form carries a token that must
//! match a cookie of its own (a form posted from elsewhere logs no one in), and `goTo` is only
//! followed to a path of the Altinn API.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use fjellport_gateway::Problem;
use http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Deserialize;

use crate::AltinnState;

/// Where the page is mounted.
pub const PREFIX: &str = "/altinn/ui";
const PAGE: &str = "/altinn/ui/authentication";
const CSRF_COOKIE: &str = "altinn_login_form";
/// Where a login without `goTo` lands.
const DEFAULT_GO_TO: &str = "/altinn/api/my/messages";

/// The answer to an end-user call without a login, when the legacy redirect is on.
pub(crate) fn redirect(asked: &str) -> Problem {
    let to = format!(
        "{PAGE}?goTo={}",
        url::form_urlencoded::byte_serialize(asked.as_bytes()).collect::<String>()
    );
    let location = HeaderValue::from_str(&to).unwrap_or_else(|_| HeaderValue::from_static(PAGE));
    Problem::new(StatusCode::FOUND, "login-required", "Login required")
        .detail(format!("This call acts for a user: log in at {PAGE}, then repeat it."))
        .header(LOCATION, location)
}

/// Only the Altinn API's own paths are followed after a login.
fn go_to_of(asked: Option<&str>) -> String {
    asked
        .filter(|p| p.starts_with("/altinn/api/") && !p.contains("//") && !p.contains('\\'))
        .filter(|p| !p.chars().any(char::is_control))
        .unwrap_or(DEFAULT_GO_TO)
        .to_owned()
}

pub fn router(state: Arc<AltinnState>) -> Router {
    Router::new().route("/authentication", get(page).post(submit)).with_state(state)
}

#[derive(Template)]
#[template(path = "portal_login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    go_to: &'a str,
    user: &'a str,
    error: Option<String>,
}

fn render(status: StatusCode, page: LoginPage<'_>, set_cookie: Option<HeaderValue>) -> Response {
    let html = match page.render() {
        Ok(h) => h,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut res = (status, Html(html)).into_response();
    let h = res.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    if let Some(c) = set_cookie {
        h.append(SET_COOKIE, c);
    }
    res
}

fn form_cookie(value: &str) -> HeaderValue {
    let text =
        format!("{CSRF_COOKIE}={value}; Path={PREFIX}; Max-Age=600; HttpOnly; SameSite=Strict");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Asked {
    #[serde(rename = "goTo")]
    go_to: Option<String>,
}

/// `GET /altinn/ui/authentication?goTo=…`.
async fn page(Query(q): Query<Asked>) -> Response {
    let csrf = fjellport_auth::secret::random_id("");
    let go_to = go_to_of(q.go_to.as_deref());
    let page = LoginPage { csrf: &csrf, go_to: &go_to, user: "", error: None };
    render(StatusCode::OK, page, Some(form_cookie(&csrf)))
}

/// `POST /altinn/ui/authentication`: the form.
async fn submit(State(s): State<Arc<AltinnState>>, headers: HeaderMap, body: Bytes) -> Response {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let go_to = go_to_of(field("goTo"));
    let user = field("UserName").unwrap_or_default();
    let fresh = fjellport_auth::secret::random_id("");
    let again = |status: StatusCode, error: &str| {
        let page = LoginPage { csrf: &fresh, go_to: &go_to, user, error: Some(error.to_owned()) };
        render(status, page, Some(form_cookie(&fresh)))
    };
    let sent = field("csrf").unwrap_or_default();
    let kept = crate::enduser::cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    let digest = fjellport_auth::secret::digest_secret;
    if sent.is_empty() || digest(sent) != digest(kept) {
        return again(
            StatusCode::FORBIDDEN,
            "The form was not this page's (it may be old, or from another site): log in again.",
        );
    }
    let Some(auth) = &s.enduser else {
        return again(StatusCode::SERVICE_UNAVAILABLE, "This server has no end-user login.");
    };
    let password = field("UserPassword").unwrap_or_default();
    match crate::enduser::password_login(&s, auth, user, password).await {
        Ok(cookie) => {
            let location = HeaderValue::from_str(&go_to)
                .unwrap_or_else(|_| HeaderValue::from_static(DEFAULT_GO_TO));
            let mut res = (StatusCode::FOUND, [(LOCATION, location)]).into_response();
            res.headers_mut().append(SET_COOKIE, cookie);
            res
        }
        Err(problem) => {
            let status = problem.status;
            again(status, &problem.detail)
        }
    }
}
