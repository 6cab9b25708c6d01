//! Who is logged in: a random value in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` behind
//! an https public URL), the session itself in the store under the value's hash, so every
//! replica knows it, logging out ends it everywhere, and a copy of the table logs no one in.
//! While a login is under way the session is anonymous and holds the login's `state`,
//! `nonce` and PKCE verifier; a completed login gets a new value (no session fixation).

use fjellport_auth::jose::{b64e, sha256_b64};
use fjellport_auth::secret::{digest_secret, random_bytes};
use fjellport_store::StoreError;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::WebState;

/// The cookie's name.
pub(crate) const COOKIE_NAME: &str = "fjellport_session";
/// How long a login lasts (ID-porten's own sessions end after some hours too).
pub(crate) const SESSION_SECS: i64 = 2 * 3600;
/// How long a started login may take at the login page.
pub(crate) const PENDING_SECS: i64 = 600;

/// A login under way: what the callback must see again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where to go afterwards (a path on this site).
    pub next: String,
}

/// The logged-in person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct User {
    /// The person's identity number (the ID token's `pid`).
    pub pid: String,
    pub name: String,
    /// The level of assurance the login reached.
    pub acr: String,
}

/// What the store keeps for a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionDoc {
    /// Every form of the session carries it; a POST without it changes nothing.
    pub csrf: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

/// A session read for this request.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub id_hash: String,
    pub doc: SessionDoc,
}

impl Session {
    pub(crate) fn user(&self) -> Option<&User> {
        self.doc.user.as_ref()
    }

    /// Is `given` this session's CSRF token? Digests are compared, so the comparison takes
    /// the same time wherever the strings differ.
    pub(crate) fn csrf_matches(&self, given: Option<&str>) -> bool {
        given.is_some_and(|g| digest_secret(g) == digest_secret(&self.doc.csrf))
    }
}

/// A fresh unguessable value (256 bits).
pub(crate) fn random_token() -> String {
    b64e(&random_bytes::<32>())
}

fn hash(value: &str) -> String {
    sha256_b64(value.as_bytes())
}

/// The cookie's value in the request, if any.
fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty() && v.len() <= 100)
}

/// The request's session, unless it has none (or an expired or ended one).
pub(crate) async fn current(
    state: &WebState,
    headers: &HeaderMap,
) -> Result<Option<Session>, StoreError> {
    let Some(value) = cookie_value(headers) else {
        return Ok(None);
    };
    let id_hash = hash(value);
    let now = state.clock.now().timestamp();
    let Some(doc) = state.store.session(&id_hash, now).await? else {
        return Ok(None);
    };
    match serde_json::from_str(&doc) {
        Ok(doc) => Ok(Some(Session { id_hash, doc })),
        Err(e) => {
            tracing::warn!(error = %e, "a web session could not be read; treated as none");
            Ok(None)
        }
    }
}

/// Stores a new session and returns the `Set-Cookie` that hands it to the browser.
pub(crate) async fn start(
    state: &WebState,
    doc: &SessionDoc,
    lifetime: i64,
) -> Result<HeaderValue, StoreError> {
    let value = random_token();
    let now = state.clock.now().timestamp();
    let text = serde_json::to_string(doc).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    state.store.put_session(&hash(&value), &text, now + lifetime, now).await?;
    Ok(set_cookie(state, &value, lifetime))
}

/// Ends a session.
pub(crate) async fn end(state: &WebState, session: &Session) -> Result<(), StoreError> {
    state.store.delete_session(&session.id_hash).await.map(|_| ())
}

/// `Set-Cookie` for `value`, kept `max_age` seconds (0 forgets it).
pub(crate) fn set_cookie(state: &WebState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure_cookie { "; Secure" } else { "" };
    let text =
        format!("{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The header that forgets the cookie.
pub(crate) fn clear_cookie(state: &WebState) -> (http::HeaderName, HeaderValue) {
    (SET_COOKIE, set_cookie(state, "", 0))
}

/// The logged-in session, or the answer for an anonymous visitor: to the login, and back to
/// `path` afterwards.
pub(crate) async fn logged_in(
    state: &WebState,
    headers: &HeaderMap,
    path: &str,
) -> Result<(Session, User), axum::response::Response> {
    match current(state, headers).await {
        Ok(Some(s)) => match s.doc.user.clone() {
            Some(user) => Ok((s, user)),
            None => Err(to_login(path)),
        },
        Ok(None) => Err(to_login(path)),
        Err(e) => Err(crate::page::outage(&e)),
    }
}

fn to_login(path: &str) -> axum::response::Response {
    crate::page::see_other(&format!("/login?next={}", crate::page::encode(path)), None)
}

/// A logged-in POST: the session, its user and the form, or 403 when the form does not carry
/// the session's CSRF token (or there is no session), or the way to the login.
pub(crate) async fn posted(
    state: &WebState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Session, User, crate::page::Form), axum::response::Response> {
    let form = crate::page::Form::parse(body);
    let session = match current(state, headers).await {
        Ok(s) => s,
        Err(e) => return Err(crate::page::outage(&e)),
    };
    match session {
        Some(s) if s.csrf_matches(form.get("csrf")) => match s.doc.user.clone() {
            Some(user) => Ok((s, user, form)),
            None => Err(to_login("/")),
        },
        other => Err(crate::page::forbidden_form(other.as_ref())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_odd_ones_are_ignored() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; fjellport_session=abc; b=2"));
        assert_eq!(cookie_value(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("fjellport_session="));
        assert_eq!(cookie_value(&h), None);
        let long = format!("fjellport_session={}", "x".repeat(101));
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_str(&long).unwrap());
        assert_eq!(cookie_value(&h), None, "no store lookup for a value we never hand out");
    }
}
