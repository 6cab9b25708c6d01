//! The authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636, OpenID Connect Core §3.1)
//! as the ID-porten-like issuer runs it: which authorization requests it accepts, what a code
//! stands for, and the PKCE check when the code is redeemed. Stricter than many providers on
//! purpose: `S256` only, exact redirect URIs, `openid` required, no parameter twice.

use std::collections::BTreeMap;
use std::fmt;

use fjellport_store::StoredClient;
use serde::{Deserialize, Serialize};

use crate::jose::sha256_b64;

/// ID-porten's levels of assurance, lowest first.
pub const LEVELS: [&str; 2] = ["idporten-loa-substantial", "idporten-loa-high"];

/// How long a code may wait to be redeemed (ID-porten: "short-lived"; RFC 6749 §4.1.2
/// recommends at most ten minutes).
pub const CODE_LIFETIME_SECS: i64 = 60;

/// The longest `state` or `nonce` kept (they travel in URLs).
const MAX_ECHO_LEN: usize = 2000;

/// Why an authorization request is refused, and where the answer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown to the user on the issuer's own page: the client or its redirect URI cannot be
    /// trusted, so nothing is sent there (RFC 6749 §4.1.2.1).
    NoRedirect(String),
    /// Sent back to the client's redirect URI as `error` and `error_description`.
    Redirect { error: &'static str, description: String },
}

impl fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizeError::NoRedirect(why) => f.write_str(why),
            AuthorizeError::Redirect { error, description } => write!(f, "{error}: {description}"),
        }
    }
}

fn redirect(error: &'static str, description: impl Into<String>) -> AuthorizeError {
    AuthorizeError::Redirect { error, description: description.into() }
}

/// An accepted authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    /// The lowest level the client accepts (`acr_values`); the login may pick a higher one.
    pub min_level: &'static str,
}

/// The `client_id` an authorization request names, before the client is looked up.
pub fn client_id_of(params: &BTreeMap<String, String>) -> Result<&str, AuthorizeError> {
    params
        .get("client_id")
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AuthorizeError::NoRedirect("the request names no client_id".into()))
}

impl AuthorizeRequest {
    /// Checks `params` (the query of `GET /authorize`, or the login form's copy of it) against
    /// `client`, the registered client `client_id` names (`None`: unknown). `issuer` is this
    /// issuer's name.
    pub fn check(
        params: &BTreeMap<String, String>,
        client: Option<&StoredClient>,
        issuer: &str,
    ) -> Result<AuthorizeRequest, AuthorizeError> {
        let client_id = client_id_of(params)?;
        let client = match client {
            Some(c) if c.issuer == issuer && c.revoked_at.is_none() => c,
            Some(c) if c.issuer == issuer => {
                return Err(AuthorizeError::NoRedirect(format!("client {client_id} is revoked")));
            }
            _ => {
                return Err(AuthorizeError::NoRedirect(format!(
                    "no client {client_id} is registered with this issuer"
                )));
            }
        };
        let param = |name: &str| params.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let redirect_uri = param("redirect_uri").ok_or_else(|| {
            AuthorizeError::NoRedirect("the request names no redirect_uri".into())
        })?;
        if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
            return Err(AuthorizeError::NoRedirect(format!(
                "redirect_uri {redirect_uri} is not one the client registered (they must match \
                 exactly; registered: {})",
                client.redirect_uris.join(", ")
            )));
        }
        // From here on, errors go back to the client.
        match param("response_type") {
            Some("code") => {}
            Some(other) => {
                return Err(redirect(
                    "unsupported_response_type",
                    format!("response_type {other} is not supported: use code"),
                ));
            }
            None => return Err(redirect("invalid_request", "response_type is missing")),
        }
        if let Some(mode) = param("response_mode")
            && mode != "query"
        {
            return Err(redirect(
                "invalid_request",
                format!("response_mode {mode} is not supported: use query"),
            ));
        }
        let scopes: Vec<String> =
            param("scope").unwrap_or_default().split_whitespace().map(str::to_owned).collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(redirect("invalid_scope", "the scope must include openid"));
        }
        if let Some(bad) = scopes.iter().find(|s| *s != "openid" && !client.scopes.contains(s)) {
            return Err(redirect("invalid_scope", format!("the client may not have scope {bad}")));
        }
        let code_challenge = param("code_challenge").ok_or_else(|| {
            redirect("invalid_request", "PKCE is required: send code_challenge (S256)")
        })?;
        if param("code_challenge_method") != Some("S256") {
            return Err(redirect(
                "invalid_request",
                "code_challenge_method must be S256 (plain is not accepted)",
            ));
        }
        if code_challenge.len() != 43 || !code_challenge.bytes().all(is_b64url) {
            return Err(redirect(
                "invalid_request",
                "code_challenge must be the 43-character base64url SHA-256 of the code_verifier",
            ));
        }
        let min_level = match param("acr_values") {
            None => LEVELS[0],
            Some(values) => {
                let mut lowest = None::<usize>;
                for v in values.split_whitespace() {
                    let Some(rank) = LEVELS.iter().position(|l| *l == v) else {
                        return Err(redirect(
                            "invalid_request",
                            format!("acr_values {v} is unknown: use {}", LEVELS.join(" or ")),
                        ));
                    };
                    lowest = Some(lowest.map_or(rank, |l| l.min(rank)));
                }
                LEVELS[lowest.unwrap_or(0)]
            }
        };
        let echo = |name: &str| match param(name) {
            Some(v) if v.len() > MAX_ECHO_LEN => Err(redirect(
                "invalid_request",
                format!("{name} may be at most {MAX_ECHO_LEN} characters"),
            )),
            v => Ok(v.map(str::to_owned)),
        };
        Ok(AuthorizeRequest {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scopes,
            state: echo("state")?,
            nonce: echo("nonce")?,
            code_challenge: code_challenge.to_owned(),
            min_level,
        })
    }

    /// The request's parameters, for the login form to send back.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("response_type", "code".to_owned()),
            ("client_id", self.client_id.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("scope", self.scopes.join(" ")),
            ("code_challenge", self.code_challenge.clone()),
            ("code_challenge_method", "S256".to_owned()),
            ("acr_values", self.min_level.to_owned()),
        ];
        if let Some(s) = &self.state {
            out.push(("state", s.clone()));
        }
        if let Some(n) = &self.nonce {
            out.push(("nonce", n.clone()));
        }
        out
    }
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// What a code stands for until it is redeemed: who logged in, how, and for which request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    /// The person's identity number.
    pub pid: String,
    pub acr: String,
    pub auth_time: i64,
    /// The login session's id (`sid`).
    pub sid: String,
}

/// The redirect URI with `params` added to its query (its own query kept, RFC 6749 §3.1.2).
pub fn redirect_to(uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut u) => {
            u.query_pairs_mut().extend_pairs(params);
            u.into()
        }
        Err(_) => uri.to_owned(),
    }
}

/// Why a code verifier does not redeem a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PkceError {
    Missing,
    /// Not 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1).
    Malformed,
    Mismatch,
}

impl fmt::Display for PkceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PkceError::Missing => "code_verifier is missing (PKCE is required)",
            PkceError::Malformed => {
                "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'"
            }
            PkceError::Mismatch => "code_verifier does not match the code_challenge (S256)",
        })
    }
}

/// RFC 7636 §4.6 with `S256`: `BASE64URL(SHA256(verifier)) == challenge`.
pub fn check_pkce(challenge: &str, verifier: Option<&str>) -> Result<(), PkceError> {
    let verifier = verifier.filter(|v| !v.is_empty()).ok_or(PkceError::Missing)?;
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(unreserved) {
        return Err(PkceError::Malformed);
    }
    if sha256_b64(verifier.as_bytes()) != challenge {
        return Err(PkceError::Mismatch);
    }
    Ok(())
}

/// The `sub` ID-porten gives a person at one client: pairwise, so two clients cannot match
/// their users by it, and stable across logins.
pub fn pairwise_sub(issuer: &str, client_id: &str, pid: &str) -> String {
    sha256_b64(format!("{issuer}|{client_id}|{pid}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn client() -> StoredClient {
        StoredClient {
            client_id: "web".into(),
            issuer: "idporten".into(),
            name: "Web".into(),
            jwks: r#"{"keys":[]}"#.into(),
            scopes: vec!["altinn:enduser".into(), "profile".into()],
            orgnr_parent: None,
            orgnr_child: None,
            dpop_bound: false,
            multi_tenant: false,
            delegations: Vec::new(),
            redirect_uris: vec!["http://localhost:3000/cb?x=1".into()],
            created_at: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
            revoked_at: None,
        }
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn params(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut p: BTreeMap<String, String> = [
            ("client_id", "web"),
            ("redirect_uri", "http://localhost:3000/cb?x=1"),
            ("response_type", "code"),
            ("scope", "openid altinn:enduser"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "st"),
            ("nonce", "no"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra {
            if v.is_empty() {
                p.remove(*k);
            } else {
                p.insert((*k).to_owned(), (*v).to_owned());
            }
        }
        p
    }

    fn check(extra: &[(&str, &str)]) -> Result<AuthorizeRequest, AuthorizeError> {
        AuthorizeRequest::check(&params(extra), Some(&client()), "idporten")
    }

    #[test]
    fn a_good_request_is_accepted_with_the_lowest_level_by_default() {
        let r = check(&[]).unwrap();
        assert_eq!(r.scopes, ["openid", "altinn:enduser"]);
        assert_eq!((r.state.as_deref(), r.nonce.as_deref()), (Some("st"), Some("no")));
        assert_eq!(r.min_level, "idporten-loa-substantial");
        let high = check(&[("acr_values", "idporten-loa-high")]).unwrap();
        assert_eq!(high.min_level, "idporten-loa-high");
        let both = check(&[("acr_values", "idporten-loa-high idporten-loa-substantial")]);
        assert_eq!(both.unwrap().min_level, "idporten-loa-substantial");
        // The form's copy of the request is accepted again, unchanged.
        let copy: BTreeMap<String, String> =
            r.params().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(AuthorizeRequest::check(&copy, Some(&client()), "idporten").unwrap(), r);
    }

    #[test]
    fn an_untrusted_client_or_redirect_uri_is_never_redirected_to() {
        let no_redirect = |r: Result<AuthorizeRequest, AuthorizeError>| {
            matches!(r, Err(AuthorizeError::NoRedirect(_)))
        };
        assert!(no_redirect(check(&[("redirect_uri", "http://localhost:3000/cb")])));
        assert!(no_redirect(check(&[("redirect_uri", "http://localhost:3000/cb?x=1&y=2")])));
        assert!(no_redirect(check(&[("redirect_uri", "")])));
        assert!(no_redirect(check(&[("client_id", "")])));
        assert!(no_redirect(AuthorizeRequest::check(&params(&[]), None, "idporten")));
        let other = StoredClient { issuer: "helseid".into(), ..client() };
        assert!(no_redirect(AuthorizeRequest::check(&params(&[]), Some(&other), "idporten")));
        let revoked =
            StoredClient { revoked_at: chrono::DateTime::from_timestamp(1, 0), ..client() };
        let r = AuthorizeRequest::check(&params(&[]), Some(&revoked), "idporten");
        assert!(no_redirect(r.clone()), "{r:?}");
    }

    #[test]
    fn other_mistakes_go_back_to_the_client_with_an_oauth_error() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: [Case<'_>; 11] = [
            (&[("response_type", "token")], "unsupported_response_type", "use code"),
            (&[("response_type", "")], "invalid_request", "response_type"),
            (&[("response_mode", "form_post")], "invalid_request", "response_mode"),
            (&[("scope", "altinn:enduser")], "invalid_scope", "openid"),
            (&[("scope", "openid admin")], "invalid_scope", "admin"),
            (&[("code_challenge", "")], "invalid_request", "PKCE is required"),
            (&[("code_challenge_method", "plain")], "invalid_request", "S256"),
            (&[("code_challenge_method", "")], "invalid_request", "S256"),
            (&[("code_challenge", "short")], "invalid_request", "43-character"),
            (&[("acr_values", "Level4")], "invalid_request", "acr_values"),
            (&[("state", &"s".repeat(2001))], "invalid_request", "state"),
        ];
        for (extra, want, needle) in cases {
            match check(extra) {
                Err(AuthorizeError::Redirect { error, description }) => {
                    assert_eq!(error, want, "{extra:?}");
                    assert!(description.contains(needle), "{extra:?}: {description}");
                }
                other => panic!("{extra:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(check_pkce(CHALLENGE, Some(VERIFIER)), Ok(()));
        assert_eq!(check_pkce(CHALLENGE, None), Err(PkceError::Missing));
        assert_eq!(check_pkce(CHALLENGE, Some("short")), Err(PkceError::Malformed));
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj";
        assert_eq!(check_pkce(CHALLENGE, Some(other)), Err(PkceError::Mismatch));
        assert_eq!(check_pkce(CHALLENGE, Some(&"a".repeat(129))), Err(PkceError::Malformed));
    }

    #[test]
    fn the_redirect_keeps_the_registered_query() {
        let to = redirect_to("http://localhost:3000/cb?x=1", &[("code", "c"), ("state", "a b")]);
        assert_eq!(to, "http://localhost:3000/cb?x=1&code=c&state=a+b");
    }

    #[test]
    fn the_pairwise_sub_differs_per_client_and_is_stable() {
        let a = pairwise_sub("http://x/idporten", "c1", "01010112345");
        assert_eq!(a, pairwise_sub("http://x/idporten", "c1", "01010112345"));
        assert_ne!(a, pairwise_sub("http://x/idporten", "c2", "01010112345"));
        assert!(!a.contains("01010112345"));
    }

    proptest! {
        #[test]
        fn only_the_verifier_of_a_challenge_redeems_it(
            v in "[A-Za-z0-9._~-]{43,128}",
            w in "[A-Za-z0-9._~-]{43,128}",
        ) {
            let challenge = sha256_b64(v.as_bytes());
            prop_assert_eq!(check_pkce(&challenge, Some(&v)), Ok(()));
            prop_assert_eq!(check_pkce(&challenge, Some(&w)).is_ok(), v == w);
        }

        #[test]
        fn any_parameters_give_an_answer_never_a_panic(
            extra in proptest::collection::vec(("[a-z_]{1,20}", "\\PC{0,40}"), 0..6),
        ) {
            let mut p = params(&[]);
            for (k, v) in extra {
                p.insert(k, v);
            }
            let _ = AuthorizeRequest::check(&p, Some(&client()), "idporten");
        }
    }
}
