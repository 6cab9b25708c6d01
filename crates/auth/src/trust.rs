//! Issuers trusted beside the embedded one (e.g. the real HelseID test environment): their
//! identifier and their current public keys. Fetching the keys (a file, a discovery document) is
//! the binary's business; this holds them and answers "which key is `kid`?".

use std::sync::RwLock;

use serde_json::Value;

use crate::jose::PublicJwk;

#[derive(Debug)]
pub struct ExternalIssuer {
    /// The issuer identifier tokens carry in `iss`, exactly.
    pub url: String,
    keys: RwLock<Vec<(Option<String>, PublicJwk)>>,
}

/// Why a JWKS document was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("not a JWKS document (an object with a keys list)")]
    NotJwks,
    #[error("key {index} is unusable: {reason}")]
    BadKey { index: usize, reason: String },
    #[error("the JWKS holds no keys")]
    Empty,
}

/// The public keys of a JWKS document, with their `kid`s. Keys for other uses (`use: enc`) are
/// skipped; a private key anywhere refuses the document.
pub fn parse_jwks(doc: &Value) -> Result<Vec<(Option<String>, PublicJwk)>, JwksError> {
    let keys = doc.get("keys").and_then(Value::as_array).ok_or(JwksError::NotJwks)?;
    let mut out = Vec::new();
    for (index, k) in keys.iter().enumerate() {
        if k.get("use").and_then(Value::as_str).is_some_and(|u| u != "sig") {
            continue;
        }
        let jwk = PublicJwk::from_value(k)
            .map_err(|e| JwksError::BadKey { index, reason: e.to_string() })?;
        out.push((k.get("kid").and_then(Value::as_str).map(str::to_owned), jwk));
    }
    if out.is_empty() {
        return Err(JwksError::Empty);
    }
    Ok(out)
}

impl ExternalIssuer {
    /// An issuer whose keys are not known yet (they arrive with [`ExternalIssuer::set_keys`]).
    pub fn new(url: &str) -> ExternalIssuer {
        ExternalIssuer { url: url.trim_end_matches('/').to_owned(), keys: RwLock::new(Vec::new()) }
    }

    /// Replaces the keys with those of `jwks`; on error the old keys stay.
    pub fn set_keys(&self, jwks: &Value) -> Result<usize, JwksError> {
        let keys = parse_jwks(jwks)?;
        let n = keys.len();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        Ok(n)
    }

    pub fn has_keys(&self) -> bool {
        !self.keys.read().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    /// The key named `kid`; without a `kid`, the only key if there is just one.
    pub fn public_key(&self, kid: Option<&str>) -> Option<PublicJwk> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        match kid {
            Some(kid) => {
                keys.iter().find(|(k, _)| k.as_deref() == Some(kid)).map(|(_, j)| j.clone())
            }
            None if keys.len() == 1 => Some(keys[0].1.clone()),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::EcSigningKey;
    use serde_json::json;

    #[test]
    fn jwks_documents_are_read_and_private_keys_refused() {
        let key = EcSigningKey::generate().unwrap();
        let mut public = key.public_jwk().members;
        public.insert("kid".into(), json!("k1"));
        let doc = json!({"keys": [Value::Object(public.clone()), {"kty": "RSA", "use": "enc", "n": "x", "e": "AQAB"}]});
        let issuer = ExternalIssuer::new("https://issuer.example.test/");
        assert_eq!(issuer.url, "https://issuer.example.test");
        assert_eq!(issuer.set_keys(&doc), Ok(1), "the encryption key is skipped");
        assert!(issuer.public_key(Some("k1")).is_some());
        assert!(issuer.public_key(Some("k2")).is_none());
        assert!(issuer.public_key(None).is_some(), "the only key");
        let mut private = public;
        private.insert("d".into(), json!("c2VjcmV0"));
        let bad = json!({"keys": [Value::Object(private)]});
        assert!(matches!(issuer.set_keys(&bad), Err(JwksError::BadKey { index: 0, .. })));
        assert!(issuer.public_key(Some("k1")).is_some(), "a refused document keeps the old keys");
        assert_eq!(parse_jwks(&json!({"keys": []})), Err(JwksError::Empty));
        assert_eq!(parse_jwks(&json!([1])), Err(JwksError::NotJwks));
    }
}
