//! Who an end-user call acts as. Altinn takes an ID-porten access token
//! (`Authorization: Bearer`, security level from its `acr`) or the `.ASPXAUTH` cookie that
//! `POST authentication/authenticatewithpassword` sets (a synthetic person's number and the
//! configured test password; security level 1, as Altinn gave password logins). Both beside the
//! API key, which the gateway has checked already. Without either: 401 with a
//! `WWW-Authenticate: Bearer` challenge.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use fjellport_auth::issuer::Issuer;
use fjellport_auth::token::{TokenPolicy, verify_token};
use fjellport_gateway::Problem;
use fjellport_gateway::input::{Members, json_object};
use fjellport_store::{PersonKey, StoredPerson};
use http::header::{AUTHORIZATION, COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, json};

use crate::AltinnState;

/// The cookie Altinn's password login sets.
const COOKIE_NAME: &str = ".ASPXAUTH";
/// The `aud` of the cookie's token: it is only a cookie, never a Bearer token.
const COOKIE_AUDIENCE: &str = "urn:fjellport:altinn:aspxauth";
/// How long a password login lasts.
const COOKIE_LIFETIME_SECS: i64 = 30 * 60;
/// Scope that covers every end-user call.
pub(crate) const ENDUSER_SCOPE: &str = "altinn:enduser";

/// How end users authenticate here: the ID-porten-like issuer (it verifies Bearer tokens and
/// signs the password login's cookie) and the test password.
#[derive(Debug)]
pub struct EndUserAuth {
    pub issuer: Arc<Issuer>,
    pub test_password: String,
    /// Mark the cookie `Secure` (the public URL is https).
    pub secure_cookie: bool,
    /// Altinn's legacy answer to a call without any login: `302` to the portal's login page
    /// (`/altinn/ui/authentication?goTo=…`) instead of `401` with a Bearer challenge.
    pub login_redirect: bool,
}

impl EndUserAuth {
    /// Is `given` the test password? Digests are compared (fixed length, no early exit on
    /// the first differing byte).
    pub(crate) fn password_matches(&self, given: &str) -> bool {
        let digest = fjellport_auth::secret::digest_secret;
        digest(given) == digest(&self.test_password)
    }
}

/// A person logged in to Fjellport's web app (through the ID-porten-like issuer), for the
/// web app's in-process calls of these handlers. It is a request extension, which only code
/// in the server can set: no HTTP request carries one.
#[derive(Debug, Clone)]
pub struct WebLogin {
    pub pid: String,
    /// The level the login reached (`idporten-loa-substantial`, `idporten-loa-high`).
    pub acr: String,
}

/// The person an end-user call acts as.
#[derive(Debug, Clone)]
pub(crate) struct EndUser {
    pub pid: String,
    /// Altinn's security level: 1 (password), 3 (`idporten-loa-substantial`), 4 (`…-high`).
    pub level: u8,
    /// The token's scopes; `None` for a password login (it may do everything).
    scopes: Option<Vec<String>>,
}

impl EndUser {
    /// A person an end-user system logged in for over SOAP (the system authenticated them;
    /// no token scopes limit the call).
    pub(crate) fn logged_in_by_system(pid: String, level: u8) -> EndUser {
        EndUser { pid, level, scopes: None }
    }

    /// Passes when the token has `altinn:enduser` or `scope`; else Altinn's 401.
    pub(crate) fn require(&self, scope: &str) -> Result<(), Problem> {
        match &self.scopes {
            None => Ok(()),
            Some(s) if s.iter().any(|x| x == ENDUSER_SCOPE || x == scope) => Ok(()),
            Some(_) => Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "insufficient-scope",
                "Missing required scope",
            )
            .detail(format!(
                "Claims Authorization failed: Missing required scope: the token needs \
                 {ENDUSER_SCOPE} or {scope}."
            ))
            .reason("Claims Authorization failed: Missing required scope")
            .header(WWW_AUTHENTICATE, challenge(Some("insufficient_scope")))),
        }
    }

    /// Whom the user may act for (kept for a second), the user themselves first.
    pub(crate) async fn reportees(
        &self,
        s: &AltinnState,
    ) -> Result<Arc<Vec<crate::parties::Reportee>>, Problem> {
        s.cache.reportees(s.store.as_ref(), &self.pid).await?.ok_or_else(|| {
            unauthenticated("The logged-in person no longer exists in the population.")
        })
    }

    /// The user's name as Altinn records who changed an element ("Given Family").
    pub(crate) async fn display_name(&self, s: &AltinnState) -> Result<String, Problem> {
        let person = self.person(s).await?;
        Ok(format!("{} {}", person.row.given_name, person.row.family_name))
    }

    /// The user's person, which must still exist.
    pub(crate) async fn person(&self, s: &AltinnState) -> Result<StoredPerson, Problem> {
        s.store.person(PersonKey::Nin(&self.pid)).await?.ok_or_else(|| {
            unauthenticated("The logged-in person no longer exists in the population.")
        })
    }
}

fn challenge(error: Option<&str>) -> HeaderValue {
    let text = match error {
        Some(e) => format!("Bearer realm=\"altinn\", error=\"{e}\""),
        None => "Bearer realm=\"altinn\"".to_owned(),
    };
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("Bearer"))
}

fn unauthenticated(detail: &str) -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, "not-authenticated", "Not authenticated")
        .detail(detail)
        .reason("Unauthorized")
        .header(WWW_AUTHENTICATE, challenge(None))
}

fn level_of(acr: Option<&str>) -> u8 {
    match acr {
        Some("idporten-loa-high" | "Level4") => 4,
        Some("idporten-loa-substantial" | "Level3") => 3,
        _ => 0,
    }
}

impl FromRequestParts<Arc<AltinnState>> for EndUser {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        s: &Arc<AltinnState>,
    ) -> Result<Self, Self::Rejection> {
        if let Some(web) = parts.extensions.get::<WebLogin>() {
            // The web app's session stands for the login (no token scopes limit it).
            return Ok(EndUser::logged_in_by_system(web.pid.clone(), level_of(Some(&web.acr))));
        }
        let Some(auth) = &s.enduser else {
            return Err(unauthenticated("This server has no end-user login configured."));
        };
        if auth.login_redirect
            && !parts.headers.contains_key(AUTHORIZATION)
            && login_cookie(&parts.headers).is_none()
        {
            let asked = parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| parts.uri.to_string(), |u| u.0.to_string());
            return Err(crate::portal_login::redirect(&asked));
        }
        let user = authenticate(auth, &parts.headers, s.now())?;
        tracing::debug!(security_level = user.level, "end user authenticated");
        Ok(user)
    }
}

/// The value of the request's cookie `name`, if it has one.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// The `.ASPXAUTH` cookie's value, if the request has one.
fn login_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, COOKIE_NAME)
}

fn authenticate(auth: &EndUserAuth, headers: &HeaderMap, now: i64) -> Result<EndUser, Problem> {
    let issuer = &auth.issuer;
    let keys = |kid: Option<&str>| issuer.public_key(kid);
    let mut values = headers.get_all(AUTHORIZATION).iter();
    if let Some(value) = values.next() {
        if values.next().is_some() {
            return Err(Problem::bad_request(
                "invalid_request",
                "Send one Authorization header, not several.",
            ));
        }
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, t)| scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty())
            .map(|(_, t)| t.trim())
            .ok_or_else(|| {
                unauthenticated("Send the ID-porten access token as Authorization: Bearer <token>.")
            })?;
        let policy = TokenPolicy {
            issuer: issuer.url.clone(),
            audience: None,
            scope: None,
            leeway_secs: 30,
        };
        let token = verify_token(token, &keys, &policy, now).map_err(|e| {
            unauthenticated(&format!("The ID-porten access token is not accepted: {e}."))
                .header(WWW_AUTHENTICATE, challenge(Some("invalid_token")))
        })?;
        let text = |name: &str| token.claims.get(name).and_then(|v| v.as_str());
        if text("aud") == Some(COOKIE_AUDIENCE) {
            return Err(unauthenticated("A login cookie is not a Bearer token."));
        }
        let pid = text("pid").ok_or_else(|| {
            unauthenticated("The access token names no person (pid): use an ID-porten login.")
        })?;
        return Ok(EndUser {
            pid: pid.to_owned(),
            level: level_of(text("acr")),
            scopes: Some(token.scopes.clone()),
        });
    }
    let Some(cookie) = login_cookie(headers) else {
        return Err(unauthenticated(
            "This call acts for a user: send an ID-porten access token as Authorization: Bearer, \
             or log in with POST /altinn/api/authentication/authenticatewithpassword and send \
             its .ASPXAUTH cookie.",
        ));
    };
    let policy = TokenPolicy {
        issuer: issuer.url.clone(),
        audience: Some(COOKIE_AUDIENCE.to_owned()),
        scope: None,
        leeway_secs: 0,
    };
    let token = verify_token(cookie, &keys, &policy, now).map_err(|_| {
        unauthenticated(
            "The .ASPXAUTH cookie is not valid (expired, or not this server's): log in again.",
        )
    })?;
    let pid = token.claims.get("pid").and_then(|v| v.as_str()).unwrap_or_default();
    Ok(EndUser { pid: pid.to_owned(), level: 1, scopes: None })
}

/// Checks a synthetic person's identity number and the test password, and mints the
/// `.ASPXAUTH` cookie for them (security level 1): the REST password login and the portal's
/// login page alike.
pub(crate) async fn password_login(
    s: &AltinnState,
    auth: &EndUserAuth,
    user: &str,
    password: &str,
) -> Result<HeaderValue, Problem> {
    let user = user.trim();
    let wrong = || {
        Problem::new(StatusCode::UNAUTHORIZED, "invalid-credentials", "Invalid credentials")
            .detail(
                "The user name (a synthetic person's identity number) or the password (config \
                 altinn.test_password) is wrong.",
            )
            .reason("Unauthorized")
    };
    // Digests compared (fixed length), and both checks made before answering: a wrong
    // password tells nothing about the number.
    let password_ok = auth.password_matches(password);
    let person = if user.len() == 11 && user.bytes().all(|b| b.is_ascii_digit()) {
        s.store.person(PersonKey::Nin(user)).await?
    } else {
        None
    };
    let person = match person {
        Some(p) if password_ok => p,
        _ => return Err(wrong()),
    };
    if person.row.status == "Deceased" {
        return Err(wrong().detail("The person is registered as deceased and cannot log in."));
    }
    let now = s.now();
    let mut claims = Map::new();
    claims.insert("aud".into(), json!(COOKIE_AUDIENCE));
    claims.insert("pid".into(), json!(person.row.nin));
    claims.insert("sub".into(), json!(person.row.nin));
    let token = auth
        .issuer
        .mint(claims, now, COOKIE_LIFETIME_SECS)
        .map_err(|e| Problem::internal(e.to_string()))?;
    let secure = if auth.secure_cookie { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE_NAME}={token}; Path=/altinn; Max-Age={COOKIE_LIFETIME_SECS}; HttpOnly; SameSite=Lax{secure}"
    );
    HeaderValue::from_str(&cookie).map_err(|_| Problem::internal("cookie"))
}

/// Logs a person in with a password.
#[utoipa::path(post, path = "/authentication/authenticatewithpassword", tag = "altinn",
    request_body(content = Object, content_type = "application/hal+json",
        description = "`{\"UserName\": \"<the person's identity number>\", \"UserPassword\": \"<altinn.test_password, default Test1234>\"}`"),
    params(
        ("ApiKey" = String, Header, description = "API key issued for the altinn API"),
        ("ForceEIAuthentication" = Option<String>, Query, description = "Accepted and ignored")),
    responses(crate::docs::Problems,
        (status = 200, description = "Logged in: `Set-Cookie: .ASPXAUTH=…` (30 minutes, security level 1); send it with later calls"),
        (status = 400, description = "A body that is not `{UserName, UserPassword}`", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Wrong user name or password, or a deceased person", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn post_authenticate_with_password(
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let Some(auth) = &s.enduser else {
        return Err(unauthenticated("This server has no end-user login configured."));
    };
    let map = json_object(&headers, &body, false, &["application/hal+json", "application/json"])?;
    let members = Members::new(&map);
    members.only(&["UserName", "UserPassword"])?;
    let user = members.string("UserName")?.unwrap_or_default();
    let password = members.string("UserPassword")?.unwrap_or_default();
    let cookie = password_login(&s, auth, user, password).await?;
    Ok((StatusCode::OK, [(SET_COOKIE, cookie)]).into_response())
}
