//! Access-token verification for resource servers: a JWT signed by a trusted issuer's key,
//! `typ` `at+jwt` (or `JWT`), exact `iss`, exactly one `aud` equal to the API's audience (when
//! the API has one), `exp`/`nbf` with a small leeway, and the required scope (when one is).

use std::fmt;

use serde_json::{Map, Value};

use crate::jose::{Alg, JoseError, Jws, PublicJwk, numeric_date, typ_is};

#[derive(Debug, Clone)]
pub struct TokenPolicy {
    pub issuer: String,
    /// The API's `aud`; `None`: the API does not check one (Maskinporten tokens carry an `aud`
    /// only when the client asked for a `resource`).
    pub audience: Option<String>,
    /// A scope the token must have; `None`: the caller checks the scopes itself.
    pub scope: Option<String>,
    /// Allowed clock skew for `exp` and `nbf`, seconds (default 30).
    pub leeway_secs: i64,
}

/// A verified token's facts.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub client_id: Option<String>,
    /// `cnf.jkt`: the thumbprint of the key the token is bound to.
    pub jkt: Option<String>,
    pub orgnr_parent: Option<String>,
    pub scopes: Vec<String>,
    pub exp: i64,
    pub claims: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Malformed(JoseError),
    BadTyp,
    BadAlg,
    UnknownKey,
    BadSignature,
    BadIssuer,
    BadAudience,
    Expired,
    NotYetValid,
    InsufficientScope,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed(e) => write!(f, "the access token is not a valid JWT: {e}"),
            TokenError::BadTyp => f.write_str("the access token's typ must be at+jwt"),
            TokenError::BadAlg => f.write_str("the access token's alg is not allowed"),
            TokenError::UnknownKey => {
                f.write_str("the access token is not signed by a trusted issuer key")
            }
            TokenError::BadSignature => f.write_str("the access token's signature does not verify"),
            TokenError::BadIssuer => f.write_str("the access token comes from an untrusted issuer"),
            TokenError::BadAudience => f.write_str("the access token is not for this API (aud)"),
            TokenError::Expired => f.write_str("the access token has expired"),
            TokenError::NotYetValid => f.write_str("the access token is not valid yet (nbf)"),
            TokenError::InsufficientScope => {
                f.write_str("the access token lacks the required scope")
            }
        }
    }
}

impl std::error::Error for TokenError {}

/// Verifies `token`; `key` finds a trusted public key by `kid`.
pub fn verify_token(
    token: &str,
    key: &dyn Fn(Option<&str>) -> Option<PublicJwk>,
    policy: &TokenPolicy,
    now: i64,
) -> Result<AccessToken, TokenError> {
    let jws = Jws::parse(token).map_err(TokenError::Malformed)?;
    let typ = jws.header.get("typ");
    if !(typ_is(typ, "at+jwt") || typ_is(typ, "jwt")) {
        return Err(TokenError::BadTyp);
    }
    let alg: Alg = jws.alg().map_err(|_| TokenError::BadAlg)?;
    let kid = jws.header.get("kid").and_then(Value::as_str);
    let public = key(kid).ok_or(TokenError::UnknownKey)?;
    jws.verify(alg, &public).map_err(|e| match e {
        JoseError::BadSignature => TokenError::BadSignature,
        _ => TokenError::BadAlg,
    })?;
    let claims = jws.payload;
    if claims.get("iss").and_then(Value::as_str) != Some(policy.issuer.as_str()) {
        return Err(TokenError::BadIssuer);
    }
    let aud_ok = match (&policy.audience, claims.get("aud")) {
        (None, _) => true,
        (Some(want), Some(Value::String(a))) => a == want,
        (Some(want), Some(Value::Array(list))) => {
            list.len() == 1 && list[0].as_str() == Some(want.as_str())
        }
        (Some(_), _) => false,
    };
    if !aud_ok {
        return Err(TokenError::BadAudience);
    }
    let exp = numeric_date(claims.get("exp")).ok_or(TokenError::Expired)?;
    if now > exp + policy.leeway_secs {
        return Err(TokenError::Expired);
    }
    if let Some(nbf) = numeric_date(claims.get("nbf"))
        && now + policy.leeway_secs < nbf
    {
        return Err(TokenError::NotYetValid);
    }
    let scopes: Vec<String> = match claims.get("scope") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(list)) => {
            list.iter().filter_map(Value::as_str).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    };
    if policy.scope.as_ref().is_some_and(|s| !scopes.contains(s)) {
        return Err(TokenError::InsufficientScope);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    Ok(AccessToken {
        client_id: text(claims.get("client_id")),
        jkt: text(claims.get("cnf").and_then(|c| c.get("jkt"))),
        orgnr_parent: text(claims.get("helseid://claims/client/claims/orgnr_parent")),
        scopes,
        exp,
        claims,
    })
}
