//! Logging in and out. The web app is an ordinary OpenID Connect client of the ID-porten-like
//! issuer (a public client: authorization code with PKCE `S256`, `state` and `nonce`):
//! `GET /login` sends the browser to the issuer's test login page, `GET /login/callback`
//! redeems the code at the issuer's token endpoint and checks the ID token, `POST /logout`
//! ends the session.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use fjellport_auth::jose::{b64d, sha256_b64};
use fjellport_auth::secret::digest_secret;
use fjellport_store::PersonKey;
use http::header::SET_COOKIE;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::page::{Form, encode, forbidden_form, local_path, message, outage, see_other};
use crate::session::{self, PENDING_SECS, Pending, SESSION_SECS, SessionDoc, User, random_token};
use crate::{LoginClient, WebState};

/// The scopes the web app asks for: who logged in, nothing more.
const SCOPES: &str = "openid profile";

#[derive(Debug, Deserialize)]
pub(crate) struct Start {
    next: Option<String>,
}

/// `GET /login`: starts a login and sends the browser to the issuer.
pub(crate) async fn start(State(state): State<Arc<WebState>>, Query(q): Query<Start>) -> Response {
    let Some(client) = &state.login else {
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "Logging in is not available",
            "This server runs without its ID-porten-like issuer, so no one can log in.",
        );
    };
    let next = q.next.as_deref().and_then(local_path).unwrap_or("/").to_owned();
    let pending =
        Pending { state: random_token(), nonce: random_token(), verifier: random_token(), next };
    let to = authorize_url(client, &pending);
    let doc = SessionDoc { csrf: random_token(), user: None, pending: Some(pending) };
    match session::start(&state, &doc, PENDING_SECS).await {
        Ok(cookie) => see_other(&to, Some((SET_COOKIE, cookie))),
        Err(e) => outage(&e),
    }
}

fn authorize_url(client: &LoginClient, p: &Pending) -> String {
    let params = [
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("scope", SCOPES),
        ("state", p.state.as_str()),
        ("nonce", p.nonce.as_str()),
        ("code_challenge", &sha256_b64(p.verifier.as_bytes())),
        ("code_challenge_method", "S256"),
    ];
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{}?{}", client.authorize_path, query.join("&"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn failed(text: &str) -> Response {
    message(StatusCode::BAD_REQUEST, None, "The login did not complete", text)
}

/// `GET /login/callback`: the issuer sends the browser back with a code (or an error).
pub(crate) async fn callback(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let Some(client) = &state.login else {
        return failed("This server runs without its ID-porten-like issuer.");
    };
    let session = match session::current(&state, &headers).await {
        Ok(s) => s,
        Err(e) => return outage(&e),
    };
    let Some((session, pending)) = session.and_then(|s| s.doc.pending.clone().map(|p| (s, p)))
    else {
        return failed(
            "This browser has no login under way (it may have taken more than ten minutes, or \
             the cookie was refused). Log in again.",
        );
    };
    // RFC 6749 §10.12: the answer belongs to the login this browser started.
    let same_state =
        q.state.as_deref().is_some_and(|s| digest_secret(s) == digest_secret(&pending.state));
    if !same_state {
        return failed(
            "The answer from the issuer belongs to another login (state differs). Log in again.",
        );
    }
    // Whatever follows, this login attempt is over.
    if let Err(e) = session::end(&state, &session).await {
        return outage(&e);
    }
    if let Some(error) = &q.error {
        let why = q.error_description.as_deref().unwrap_or(error);
        return failed(&format!("The issuer answered {error}: {why}"));
    }
    // RFC 9207: the answer names the issuer it comes from.
    if q.iss.as_deref().is_some_and(|iss| iss != client.issuer_url) {
        return failed("The answer names another issuer (iss differs).");
    }
    let Some(code) = q.code.as_deref() else {
        return failed("The issuer sent no code.");
    };
    let user = match redeem(&state, client, code, &pending).await {
        Ok(user) => user,
        Err(why) => {
            tracing::warn!(%why, "web login: the code could not be redeemed");
            return failed(&why);
        }
    };
    let doc = SessionDoc { csrf: random_token(), user: Some(user), pending: None };
    match session::start(&state, &doc, SESSION_SECS).await {
        Ok(cookie) => see_other(&pending.next, Some((SET_COOKIE, cookie))),
        Err(e) => outage(&e),
    }
}

/// Redeems the code at the token endpoint and reads the ID token: it must be for this
/// client, from this issuer, unexpired, and carry the login's nonce. (OpenID Connect Core
/// §3.1.3.7: an ID token received straight from the token endpoint may be trusted on the
/// channel instead of its signature; here the channel is in the process.)
async fn redeem(
    state: &WebState,
    client: &LoginClient,
    code: &str,
    pending: &Pending,
) -> Result<User, String> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", pending.verifier.as_str()),
        ("client_id", client.client_id.as_str()),
    ];
    let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let answer = (client.exchange)(body.join("&")).await?;
    if let Some(error) = answer.get("error").and_then(Value::as_str) {
        let why = answer.get("error_description").and_then(Value::as_str).unwrap_or(error);
        return Err(format!("The token endpoint answered {error}: {why}"));
    }
    let id_token = answer
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or("The token endpoint sent no ID token.")?;
    let claims = id_token
        .split('.')
        .nth(1)
        .and_then(b64d)
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .ok_or("The ID token cannot be read.")?;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    if claim("iss") != Some(client.issuer_url.as_str()) {
        return Err("The ID token is from another issuer.".into());
    }
    if claim("aud") != Some(client.client_id.as_str()) {
        return Err("The ID token is for another client.".into());
    }
    if claim("nonce") != Some(pending.nonce.as_str()) {
        return Err("The ID token belongs to another login (nonce differs).".into());
    }
    let now = state.clock.now().timestamp();
    if claims.get("exp").and_then(Value::as_i64).is_none_or(|exp| exp <= now) {
        return Err("The ID token has expired.".into());
    }
    let pid = claim("pid").ok_or("The ID token names no person (pid).")?.to_owned();
    let acr = claim("acr").unwrap_or_default().to_owned();
    let name = match state.store.person(PersonKey::Nin(&pid)).await {
        Ok(Some(p)) => format!("{} {}", p.row.given_name, p.row.family_name),
        Ok(None) => pid.clone(),
        Err(e) => return Err(format!("The person could not be read: {e}")),
    };
    Ok(User { pid, name, acr })
}

#[derive(askama::Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    chrome: crate::page::Chrome,
}

/// `GET /logout`: asks to confirm (a link alone must not end a session: another site could
/// make the browser follow it).
pub(crate) async fn confirm(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    use askama::Template;
    match session::current(&state, &headers).await {
        Ok(Some(s)) if s.user().is_some() => {
            let chrome = crate::page::Chrome::new("", "/", Some(&s));
            crate::page::html_page(LogoutPage { chrome }.render())
        }
        Ok(_) => see_other("/", None),
        Err(e) => outage(&e),
    }
}

/// `POST /logout`: ends the session (with the form's CSRF token).
pub(crate) async fn logout(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let session = match session::current(&state, &headers).await {
        Ok(s) => s,
        Err(e) => return outage(&e),
    };
    let form = Form::parse(&body);
    let Some(session) = session.filter(|s| s.csrf_matches(form.get("csrf"))) else {
        return forbidden_form(None);
    };
    if let Err(e) = session::end(&state, &session).await {
        return outage(&e);
    }
    see_other("/", Some(session::clear_cookie(&state)))
}
