//! Maskinporten's JWT grant (RFC 7523 §2.1), checked as Maskinporten documents it: the client
//! authenticates with the grant itself, signed RS256/RS384/RS512 by a key it registered (`kid`
//! in the header), and asks for its scopes in the grant's claims.
//!
//! Rules, each refused with its own description (the token endpoint answers `invalid_grant`,
//! or `invalid_scope` for a scope the client may not have): only the documented claims (`aud`,
//! `iss`, `iat`, `exp`, `jti`, `scope`, `resource`, `consumer_org`); `aud` exactly the issuer
//! identifier, one value; `iat` within 10 s of the clock; `exp` after now and at most 120 s after
//! `iat`; `jti` single use when present (Maskinporten recommends it); `scope` required;
//! `resource` a string or a list; `consumer_org` a valid organization number.

use std::fmt;

use fjellport_nin::orgnr::OrgNumber;
use serde_json::Value;

use crate::jose::{Alg, Jws, PublicJwk, numeric_date};
use crate::replay::ReplayCache;

/// The grant type of Maskinporten's token endpoint.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The algorithms Maskinporten accepts for a grant.
pub const GRANT_ALGS: [Alg; 3] = [Alg::RS256, Alg::RS384, Alg::RS512];
/// How far `iat` may lie from the clock, either way.
pub const IAT_WINDOW_SECS: i64 = 10;
/// The longest a grant may live (`exp - iat`).
pub const MAX_GRANT_SECS: i64 = 120;
const CLAIMS: [&str; 8] = ["aud", "iss", "iat", "exp", "jti", "scope", "resource", "consumer_org"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantError {
    Malformed(String),
    UnknownClaim(String),
    BadAlg(String),
    NoKid,
    NoIss,
    UnknownClient,
    RevokedClient,
    NoKey(String),
    BadSignature,
    BadAudience { expected: String },
    BadIat,
    BadExp,
    TooLong,
    Replayed,
    NoScope,
    BadResource,
    BadConsumerOrg(String),
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Maskinporten's own wording opens every refusal of the grant.
        f.write_str("Invalid assertion. Client authentication failed. ")?;
        match self {
            GrantError::Malformed(why) => write!(f, "The grant is not a JWS: {why}"),
            GrantError::UnknownClaim(c) => {
                write!(f, "Unknown claim {c:?}: a grant carries only {}", CLAIMS.join(", "))
            }
            GrantError::BadAlg(a) => {
                write!(f, "alg {a:?} is not supported: sign the grant with RS256, RS384 or RS512")
            }
            GrantError::NoKid => {
                f.write_str("The header has no kid naming the client's registered key")
            }
            GrantError::NoIss => f.write_str("Invalid JWT claim iss: it must be the client_id"),
            GrantError::UnknownClient => f.write_str("Unknown client (iss)"),
            GrantError::RevokedClient => f.write_str("The client is revoked"),
            GrantError::NoKey(kid) => {
                write!(f, "The client has no registered key with kid {kid:?}")
            }
            GrantError::BadSignature => f.write_str("The grant's signature does not verify"),
            GrantError::BadAudience { expected } => {
                write!(f, "Invalid JWT claim aud: it must be exactly {expected:?}")
            }
            GrantError::BadIat => write!(
                f,
                "Invalid JWT claim iat: it must be within {IAT_WINDOW_SECS} seconds of the clock"
            ),
            GrantError::BadExp => f.write_str("Invalid JWT claim exp: missing or passed"),
            GrantError::TooLong => {
                write!(f, "Invalid JWT claim exp: at most {MAX_GRANT_SECS} seconds after iat")
            }
            GrantError::Replayed => f.write_str("The grant (jti) was used before"),
            GrantError::NoScope => f.write_str("Missing claim scope"),
            GrantError::BadResource => {
                f.write_str("Invalid JWT claim resource: a string or a list of strings")
            }
            GrantError::BadConsumerOrg(why) => write!(f, "Invalid JWT claim consumer_org: {why}"),
        }
    }
}

impl std::error::Error for GrantError {}

/// A grant's header and claims, parsed but not verified.
#[derive(Debug)]
pub struct JwtGrant<'a> {
    jws: Jws<'a>,
    alg: Alg,
    kid: String,
    /// The client (`iss`).
    pub client_id: String,
}

/// What a verified grant asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
    pub consumer_org: Option<String>,
    /// The grant's id and how long it must stay spent (for a shared replay record).
    pub jti: Option<(String, i64)>,
}

impl<'a> JwtGrant<'a> {
    pub fn parse(assertion: &'a str) -> Result<JwtGrant<'a>, GrantError> {
        let jws = Jws::parse(assertion).map_err(|e| GrantError::Malformed(e.to_string()))?;
        let named = jws.header.get("alg").and_then(Value::as_str).unwrap_or("none").to_owned();
        let alg =
            jws.alg().ok().filter(|a| GRANT_ALGS.contains(a)).ok_or(GrantError::BadAlg(named))?;
        let kid = jws.header.get("kid").and_then(Value::as_str).filter(|k| !k.is_empty());
        let kid = kid.ok_or(GrantError::NoKid)?.to_owned();
        if let Some(c) = jws.payload.keys().find(|c| !CLAIMS.contains(&c.as_str())) {
            return Err(GrantError::UnknownClaim(c.clone()));
        }
        let iss = jws.payload.get("iss").and_then(Value::as_str).filter(|i| !i.is_empty());
        let client_id = iss.ok_or(GrantError::NoIss)?.to_owned();
        Ok(JwtGrant { jws, alg, kid, client_id })
    }

    /// Checks the grant against the client's registered keys (`jwks`), the issuer identifier,
    /// the clock and the replay record.
    pub fn verify(
        &self,
        jwks: &Value,
        issuer: &str,
        now: i64,
        replay: &ReplayCache,
    ) -> Result<Granted, GrantError> {
        let keys: Vec<&Value> = match jwks.get("keys").and_then(Value::as_array) {
            Some(list) => list.iter().collect(),
            None => vec![jwks],
        };
        // The kid names a registered key; keys registered without one answer to their RFC 7638
        // thumbprint.
        let key = keys
            .into_iter()
            .filter_map(|k| {
                let jwk = PublicJwk::from_value(k).ok()?;
                let kid = k.get("kid").and_then(Value::as_str).map(str::to_owned);
                Some((kid.unwrap_or_else(|| jwk.thumbprint()), jwk))
            })
            .find(|(kid, _)| *kid == self.kid)
            .map(|(_, jwk)| jwk)
            .ok_or_else(|| GrantError::NoKey(self.kid.clone()))?;
        self.jws.verify(self.alg, &key).map_err(|_| GrantError::BadSignature)?;
        check_claims(&self.jws.payload, &self.client_id, issuer, now, replay)
    }
}

/// The claim rules of a grant whose signature holds (apart, so they can be fuzzed without one).
pub fn check_claims(
    claims: &serde_json::Map<String, Value>,
    client_id: &str,
    issuer: &str,
    now: i64,
    replay: &ReplayCache,
) -> Result<Granted, GrantError> {
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == issuer,
        Some(Value::Array(list)) => list.len() == 1 && list[0].as_str() == Some(issuer),
        _ => false,
    };
    if !aud_ok {
        return Err(GrantError::BadAudience { expected: issuer.to_owned() });
    }
    let iat = numeric_date(claims.get("iat")).ok_or(GrantError::BadIat)?;
    if (iat - now).abs() > IAT_WINDOW_SECS {
        return Err(GrantError::BadIat);
    }
    let exp = numeric_date(claims.get("exp")).ok_or(GrantError::BadExp)?;
    if exp <= now {
        return Err(GrantError::BadExp);
    }
    if exp - iat > MAX_GRANT_SECS {
        return Err(GrantError::TooLong);
    }
    let scopes: Vec<String> = match claims.get("scope").and_then(Value::as_str) {
        Some(s) => s.split_whitespace().map(str::to_owned).collect(),
        None => Vec::new(),
    };
    if scopes.is_empty() {
        return Err(GrantError::NoScope);
    }
    let resources = match claims.get("resource") {
        None => Vec::new(),
        Some(Value::String(r)) => vec![r.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|r| r.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or(GrantError::BadResource)?,
        Some(_) => return Err(GrantError::BadResource),
    };
    let consumer_org = match claims.get("consumer_org") {
        None => None,
        Some(Value::String(o)) if o.parse::<OrgNumber>().is_ok() => Some(o.clone()),
        Some(other) => {
            return Err(GrantError::BadConsumerOrg(format!(
                "{other} is not a 9-digit organization number"
            )));
        }
    };
    // Spent last, once everything else holds: a refused grant may be corrected and sent
    // again with the same jti.
    let jti = match claims.get("jti").and_then(Value::as_str).filter(|j| !j.is_empty()) {
        Some(jti) => {
            let until = exp + IAT_WINDOW_SECS;
            if !replay.first_use(client_id, jti, now, until) {
                return Err(GrantError::Replayed);
            }
            Some((jti.to_owned(), until))
        }
        None => None,
    };
    Ok(Granted { scopes, resources, consumer_org, jti })
}
