//! `GET`/`POST /<issuer>/authorize` — the ID-porten-like issuer's test login page. `GET`
//! checks the authorization request (RFC 6749 §4.1.1 with PKCE) and shows a form: an
//! **Identity number**, a **Level**, **Log in**, and a **Name** search over Test-Norge persons
//! whose results fill in the number. `POST` (the form) logs the chosen person in and sends the
//! browser back to the client with a single-use code (and `state`, and `iss` per RFC 9207).
//! A request whose client or redirect URI cannot be trusted gets an error page and is never
//! redirected.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use fjellport_auth::authorize::{
    AuthorizeError, AuthorizeRequest, CODE_LIFETIME_SECS, CodeGrant, LEVELS, client_id_of,
    redirect_to,
};
use fjellport_auth::jose::{b64e, sha256_b64};
use fjellport_auth::secret::{random_bytes, random_id};
use fjellport_store::{PersonKey, StoreError, StoredClient, StoredPerson};
use http::header::{CACHE_CONTROL, LOCATION};
use http::{HeaderName, HeaderValue, StatusCode};

use crate::IssuerState;

/// How many persons a name search lists.
const MATCHES: i64 = 20;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    client_name: &'a str,
    action: &'a str,
    params: Vec<(&'static str, String)>,
    error: Option<String>,
    pid: &'a str,
    /// `(level, may be chosen, is chosen)`.
    levels: Vec<(&'static str, bool, bool)>,
    name: &'a str,
    searched: bool,
    matches: Vec<Match>,
}

struct Match {
    name: String,
    born: String,
    nin: String,
    /// The page again, with this person's number filled in.
    choose: String,
}

#[derive(Template)]
#[template(path = "login_error.html")]
struct ErrorPage<'a> {
    message: &'a str,
}

/// An HTML answer that is never cached and never framed (a login page in a frame is a
/// clickjacking target).
fn page(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    let html = match html {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "login page failed to render");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut res = (status, Html(html)).into_response();
    let headers = res.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'"),
    );
    headers.insert(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY"));
    res
}

fn error_page(status: StatusCode, message: &str) -> Response {
    page(status, ErrorPage { message }.render())
}

/// `name=value` pairs of a query or form, each name once (RFC 6749 §3.1).
pub(crate) fn parse_pairs(text: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(text) {
        if out.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(format!("parameter {k} appears twice"));
        }
    }
    Ok(out)
}

/// The client the request names, or the page that says why there is none.
async fn client_of(
    s: &IssuerState,
    params: &BTreeMap<String, String>,
) -> Result<Option<Arc<StoredClient>>, Response> {
    let id = match client_id_of(params) {
        Ok(id) => id,
        Err(e) => return Err(error_page(StatusCode::BAD_REQUEST, &e.to_string())),
    };
    match s.clients.get(s.store.as_ref(), id).await {
        Ok(c) => Ok(Some(c)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(outage(&e)),
    }
}

fn outage(e: &StoreError) -> Response {
    tracing::error!(error = %e, "login: the store failed");
    let status = match e {
        StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_page(status, "The test issuer cannot reach its database just now; try again shortly.")
}

/// A checked request, or the answer for a bad one: an error page, or the error sent back.
async fn checked(
    s: &IssuerState,
    params: &BTreeMap<String, String>,
) -> Result<AuthorizeRequest, Response> {
    let client = client_of(s, params).await?;
    AuthorizeRequest::check(params, client.as_deref(), s.issuer.name).map_err(|e| match e {
        AuthorizeError::NoRedirect(why) => error_page(StatusCode::BAD_REQUEST, &why),
        AuthorizeError::Redirect { error, description } => {
            let state = params.get("state").map(String::as_str);
            let uri = params.get("redirect_uri").map(String::as_str).unwrap_or_default();
            back_to_client(s, uri, &[("error", error), ("error_description", &description)], state)
        }
    })
}

/// `303 See Other` to the client's redirect URI with `answer`, `state` and `iss`.
fn back_to_client(
    s: &IssuerState,
    redirect_uri: &str,
    answer: &[(&str, &str)],
    state: Option<&str>,
) -> Response {
    let mut params = answer.to_vec();
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", &s.issuer.url));
    let to = redirect_to(redirect_uri, &params);
    match HeaderValue::from_str(&to) {
        Ok(location) => (
            StatusCode::SEE_OTHER,
            [(LOCATION, location), (CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        )
            .into_response(),
        Err(_) => error_page(StatusCode::BAD_REQUEST, "the redirect URI cannot be sent back"),
    }
}

/// What the form shows besides the request: the number typed, the level picked, the name
/// searched and its matches, an error.
#[derive(Default)]
struct Shown<'a> {
    pid: &'a str,
    level: Option<&'a str>,
    name: &'a str,
    error: Option<String>,
}

async fn login_page(
    s: &IssuerState,
    req: &AuthorizeRequest,
    shown: Shown<'_>,
    status: StatusCode,
) -> Response {
    let action = s.authorize_url();
    let client = s.clients.get(s.store.as_ref(), &req.client_id).await;
    let client_name = client.as_ref().map(|c| c.name.as_str()).unwrap_or("the application");
    let min = LEVELS.iter().position(|l| *l == req.min_level).unwrap_or(0);
    let chosen = shown.level.unwrap_or(req.min_level);
    let levels = LEVELS
        .iter()
        .enumerate()
        .map(|(rank, level)| (*level, rank >= min, *level == chosen))
        .collect();
    let name = shown.name.trim();
    let mut matches = Vec::new();
    if !name.is_empty() {
        let (given, family) = split_name(name);
        match s.store.persons_named(&family, given.as_deref(), MATCHES).await {
            Ok(found) => matches = found.iter().map(|p| to_match(&action, req, name, p)).collect(),
            Err(e) => return outage(&e),
        }
    }
    page(
        status,
        LoginPage {
            client_name,
            action: &action,
            params: req.params(),
            error: shown.error,
            pid: shown.pid,
            levels,
            name,
            searched: !name.is_empty(),
            matches,
        }
        .render(),
    )
}

fn to_match(action: &str, req: &AuthorizeRequest, name: &str, p: &StoredPerson) -> Match {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in req.params() {
        query.append_pair(k, &v);
    }
    query.append_pair("name", name).append_pair("pid", &p.row.nin);
    Match {
        name: format!("{} {}", p.row.given_name, p.row.family_name),
        born: p.row.birth_date.clone(),
        nin: p.row.nin.clone(),
        choose: format!("{action}?{}", query.finish()),
    }
}

/// `(given-name prefix, family name)` of what a tester typed: the last word is the family
/// name; each part capitalised as the register writes names.
fn split_name(text: &str) -> (Option<String>, String) {
    let mut words: Vec<String> = text.split_whitespace().map(capitalise).collect();
    let family = words.pop().unwrap_or_default();
    let given = (!words.is_empty()).then(|| words.join(" "));
    (given, family)
}

fn capitalise(word: &str) -> String {
    word.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => {
                    first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join("-")
}

/// The test login page for an authorization request.
#[utoipa::path(get, path = "/authorize", tag = "idporten",
    params(
        ("response_type" = String, Query, description = "code"),
        ("client_id" = String, Query, description = "A client registered with this issuer"),
        ("redirect_uri" = String, Query, description = "Exactly one of the client's registered redirect URIs"),
        ("scope" = String, Query, description = "openid and the client's scopes, e.g. `openid altinn:enduser`"),
        ("code_challenge" = String, Query, description = "PKCE: BASE64URL(SHA256(code_verifier))"),
        ("code_challenge_method" = String, Query, description = "S256 (plain is refused)"),
        ("state" = Option<String>, Query, description = "Returned unchanged"),
        ("nonce" = Option<String>, Query, description = "Put in the ID token"),
        ("acr_values" = Option<String>, Query, description = "idporten-loa-substantial (default) or idporten-loa-high: the lowest level the login may have"),
        ("name" = Option<String>, Query, description = "The page's own name search"),
        ("pid" = Option<String>, Query, description = "The page's own pre-filled identity number")),
    responses(
        (status = 200, description = "The login form", content_type = "text/html", body = String),
        (status = 303, description = "A bad request sent back to the client: `error`, `error_description`, `state`, `iss`"),
        (status = 400, description = "Unknown client or a redirect URI it did not register: an error page, no redirect", content_type = "text/html", body = String)))]
pub(crate) async fn get_authorize(
    State(s): State<Arc<IssuerState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match parse_pairs(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(why) => return error_page(StatusCode::BAD_REQUEST, &why),
    };
    let req = match checked(&s, &params).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let text = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let shown = Shown { pid: text("pid"), name: text("name"), ..Shown::default() };
    login_page(&s, &req, shown, StatusCode::OK).await
}

/// Logs the chosen person in (the login form).
#[utoipa::path(post, path = "/authorize", tag = "idporten",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "The authorization request's parameters (as the form carries them), `pid` (identity number), `level` and `action` (`login` or `cancel`)"),
    responses(
        (status = 303, description = "Back to the client: `code`, `state`, `iss` (or `error=access_denied` on cancel)"),
        (status = 400, description = "The form again, naming what is wrong (unknown or deceased person, level below the client's acr_values)", content_type = "text/html", body = String)))]
pub(crate) async fn post_authorize(State(s): State<Arc<IssuerState>>, body: Bytes) -> Response {
    let form = match parse_pairs(&body) {
        Ok(p) => p,
        Err(why) => return error_page(StatusCode::BAD_REQUEST, &why),
    };
    let req = match checked(&s, &form).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let text = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let state = req.state.as_deref();
    match text("action") {
        "login" => {}
        "cancel" => {
            let answer = [("error", "access_denied"), ("error_description", "the user cancelled")];
            return back_to_client(&s, &req.redirect_uri, &answer, state);
        }
        other => {
            let error = Some(format!("unknown action {other:?}: press Log in or Cancel"));
            let shown = Shown { pid: text("pid"), error, ..Shown::default() };
            return login_page(&s, &req, shown, StatusCode::BAD_REQUEST).await;
        }
    }
    let pid = text("pid").trim();
    let level = text("level");
    let refuse = |error: String| Shown { pid, level: Some(level), error: Some(error), name: "" };
    let min = LEVELS.iter().position(|l| *l == req.min_level).unwrap_or(0);
    let rank = LEVELS.iter().position(|l| *l == level);
    let problem = match rank {
        None => Some(format!("choose a level: {}", LEVELS.join(" or "))),
        Some(r) if r < min => Some(format!(
            "the application asks for at least {}: choose it or higher",
            req.min_level
        )),
        Some(_) => None,
    };
    let person = if problem.is_some() {
        None
    } else if pid.len() != 11 || !pid.bytes().all(|b| b.is_ascii_digit()) {
        let shown = refuse("the identity number has 11 digits".into());
        return login_page(&s, &req, shown, StatusCode::BAD_REQUEST).await;
    } else {
        match s.store.person(PersonKey::Nin(pid)).await {
            Ok(p) => p,
            Err(e) => return outage(&e),
        }
    };
    let problem = problem.or_else(|| match &person {
        None => Some(format!("no synthetic person has identity number {pid}")),
        Some(p) if p.row.status == "Deceased" => {
            Some(format!("{pid} is registered as deceased: choose a living person"))
        }
        Some(_) => None,
    });
    if let Some(error) = problem {
        return login_page(&s, &req, refuse(error), StatusCode::BAD_REQUEST).await;
    }
    let now = s.clock.now().timestamp();
    let code = b64e(&random_bytes::<32>());
    let grant = CodeGrant {
        client_id: req.client_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        code_challenge: req.code_challenge.clone(),
        scopes: req.scopes.clone(),
        nonce: req.nonce.clone(),
        pid: pid.to_owned(),
        acr: level.to_owned(),
        auth_time: now,
        sid: random_id("sid_"),
    };
    let doc = serde_json::to_string(&grant).unwrap_or_default();
    let hash = sha256_b64(code.as_bytes());
    if let Err(e) = s.store.put_code(&hash, &doc, now + CODE_LIFETIME_SECS, now).await {
        return outage(&e);
    }
    tracing::info!(client_id = %req.client_id, acr = level, "test login");
    back_to_client(&s, &req.redirect_uri, &[("code", &code)], state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_name_becomes_a_family_name_and_a_given_prefix_as_registered() {
        assert_eq!(split_name("nordmann"), (None, "Nordmann".into()));
        assert_eq!(split_name(" kari  NORDMANN "), (Some("Kari".into()), "Nordmann".into()));
        assert_eq!(split_name("kari-anne ødegård"), (Some("Kari-Anne".into()), "Ødegård".into()));
        assert_eq!(split_name(""), (None, String::new()));
    }

    #[test]
    fn a_parameter_given_twice_is_refused() {
        assert!(parse_pairs(b"a=1&b=2").is_ok());
        assert!(parse_pairs(b"a=1&a=2").unwrap_err().contains("a appears twice"));
    }
}
