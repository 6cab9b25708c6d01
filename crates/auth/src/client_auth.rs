//! `private_key_jwt` client authentication (RFC 7523, HelseID's profile): the assertion is signed
//! by an asymmetric algorithm with one of the client's registered keys, `iss` = `sub` =
//! client_id, exactly one `aud` equal to the issuer or its token endpoint, `exp` at most 60 s
//! ahead, `nbf`/`iat` not in the future, and its `jti` is used once.

use std::fmt;

use serde_json::Value;

use crate::jose::{Jws, PublicJwk, numeric_date};
use crate::replay::ReplayCache;

/// Seconds of clock skew allowed on `iat`/`nbf`, and the longest assertion lifetime.
const SKEW_SECS: i64 = 5;
const MAX_LIFETIME_SECS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssertionError {
    Malformed(String),
    IssSubMismatch,
    ClientIdMismatch,
    UnknownClient,
    /// The `alg` named (or "none" when the header has none) is not an asymmetric one we verify.
    BadAlg(String),
    NoUsableKey,
    BadSignature,
    BadAudience,
    Expired,
    TooLong,
    NotYetValid,
    MissingJti,
    ReplayedJti,
}

impl fmt::Display for AssertionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssertionError::Malformed(m) => write!(f, "the client assertion is malformed: {m}"),
            AssertionError::IssSubMismatch => {
                f.write_str("the client assertion's iss and sub must both be the client_id")
            }
            AssertionError::ClientIdMismatch => {
                f.write_str("client_id does not match the client assertion")
            }
            AssertionError::UnknownClient => f.write_str("unknown client"),
            AssertionError::BadAlg(alg) => write!(
                f,
                "the client assertion's alg {alg:?} is not allowed: sign it with one of {}",
                crate::jose::Alg::ALL.map(crate::jose::Alg::as_str).join(", ")
            ),
            AssertionError::NoUsableKey => {
                f.write_str("none of the client's registered keys fits the assertion")
            }
            AssertionError::BadSignature => {
                f.write_str("the client assertion's signature does not verify")
            }
            AssertionError::BadAudience => f.write_str(
                "the client assertion's aud must be exactly the issuer or its token endpoint",
            ),
            AssertionError::Expired => f.write_str("the client assertion has expired"),
            AssertionError::TooLong => {
                f.write_str("the client assertion's exp is more than 60 seconds ahead")
            }
            AssertionError::NotYetValid => {
                f.write_str("the client assertion's iat or nbf lies in the future")
            }
            AssertionError::MissingJti => f.write_str("the client assertion has no jti"),
            AssertionError::ReplayedJti => {
                f.write_str("the client assertion (jti) was used before")
            }
        }
    }
}

impl std::error::Error for AssertionError {}

/// A verified assertion's id and how long it must stay spent (for a shared replay record).
#[derive(Debug, Clone)]
pub struct Spent {
    pub jti: String,
    pub until: i64,
}

/// A parsed, not yet verified client assertion.
#[derive(Debug)]
pub struct ClientAssertion<'a> {
    jws: Jws<'a>,
    client_id: String,
}

impl<'a> ClientAssertion<'a> {
    /// Parses the assertion and checks that `iss` = `sub` (= `client_id` when the form sent one).
    pub fn parse(assertion: &'a str, form_client_id: Option<&str>) -> Result<Self, AssertionError> {
        let jws = Jws::parse(assertion).map_err(|e| AssertionError::Malformed(e.to_string()))?;
        let text = |name| jws.payload.get(name).and_then(Value::as_str);
        let (Some(iss), Some(sub)) = (text("iss"), text("sub")) else {
            return Err(AssertionError::IssSubMismatch);
        };
        if iss != sub || iss.is_empty() {
            return Err(AssertionError::IssSubMismatch);
        }
        if form_client_id.is_some_and(|c| c != iss) {
            return Err(AssertionError::ClientIdMismatch);
        }
        let client_id = iss.to_owned();
        Ok(ClientAssertion { jws, client_id })
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// A claim of the assertion (read once [`ClientAssertion::verify`] has passed): HelseID
    /// clients carry `authorization_details` here.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.jws.payload.get(name)
    }

    /// Verifies signature, audience, times and single use. `jwks` are the client's keys;
    /// `audiences` the accepted `aud` values (issuer, token endpoint).
    pub fn verify(
        &self,
        jwks: &Value,
        audiences: &[&str],
        now: i64,
        replay: &ReplayCache,
    ) -> Result<Spent, AssertionError> {
        let alg = self.jws.alg().map_err(|_| {
            let named = self.jws.header.get("alg").and_then(Value::as_str).unwrap_or("none");
            AssertionError::BadAlg(named.to_owned())
        })?;
        let kid = self.jws.header.get("kid").and_then(Value::as_str);
        let keys: Vec<&Value> = match jwks.get("keys").and_then(Value::as_array) {
            Some(list) => list.iter().collect(),
            None => vec![jwks],
        };
        let candidates: Vec<PublicJwk> = keys
            .into_iter()
            // A header `kid` picks the key with that kid; keys registered without one stay
            // candidates (many clients send their thumbprint as kid).
            .filter(|k| match (kid, k.get("kid").and_then(Value::as_str)) {
                (Some(wanted), Some(has)) => wanted == has,
                _ => true,
            })
            .filter_map(|k| PublicJwk::from_value(k).ok())
            .collect();
        if candidates.is_empty() {
            return Err(AssertionError::NoUsableKey);
        }
        if !candidates.iter().any(|k| self.jws.verify(alg, k).is_ok()) {
            return Err(AssertionError::BadSignature);
        }
        let claims = &self.jws.payload;
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => audiences.contains(&a.as_str()),
            Some(Value::Array(list)) => {
                list.len() == 1 && list[0].as_str().is_some_and(|a| audiences.contains(&a))
            }
            _ => false,
        };
        if !aud_ok {
            return Err(AssertionError::BadAudience);
        }
        let exp = numeric_date(claims.get("exp")).ok_or(AssertionError::Expired)?;
        if exp <= now - SKEW_SECS {
            return Err(AssertionError::Expired);
        }
        if exp > now + MAX_LIFETIME_SECS + SKEW_SECS {
            return Err(AssertionError::TooLong);
        }
        for name in ["iat", "nbf"] {
            if numeric_date(claims.get(name)).is_some_and(|t| t > now + SKEW_SECS) {
                return Err(AssertionError::NotYetValid);
            }
        }
        let jti = claims.get("jti").and_then(Value::as_str).filter(|j| !j.is_empty());
        let jti = jti.ok_or(AssertionError::MissingJti)?;
        if !replay.first_use(&self.client_id, jti, now, exp + SKEW_SECS) {
            return Err(AssertionError::ReplayedJti);
        }
        Ok(Spent { jti: jti.to_owned(), until: exp + SKEW_SECS })
    }
}
