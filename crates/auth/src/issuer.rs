//! An embedded token issuer (HelseID's profile first): signing keys kept in the store so
//! restarts and replicas share them, discovery and JWKS documents, and token minting.

use std::sync::{Arc, RwLock};

use fjellport_store::{Store, StoreError};
use serde_json::{Map, Value, json};

use crate::jose::{EcSigningKey, JoseError, PublicJwk, b64d, b64e};
use crate::secret::random_id;

/// One issuer, e.g. `helseid` at `<public url>/helseid`.
#[derive(Debug)]
pub struct Issuer {
    pub name: &'static str,
    /// The issuer identifier: the external URL, never the bind address.
    pub url: String,
    /// Current key first.
    keys: RwLock<Vec<Arc<EcSigningKey>>>,
}

impl Issuer {
    /// Loads the issuer's signing keys, creating the first one at first start. Two replicas
    /// starting at once agree on one key (the store keeps the first value written).
    pub async fn open(
        store: &dyn Store,
        name: &'static str,
        url: String,
    ) -> Result<Issuer, StoreError> {
        let setting = format!("issuer.{name}.signing_keys");
        let stored = match store.get_setting(&setting).await? {
            Some(v) => v,
            None => {
                let key = EcSigningKey::generate()
                    .map_err(|e| StoreError::Internal(format!("cannot make a signing key: {e}")))?;
                let fresh = json!([b64e(key.pkcs8())]).to_string();
                store.put_setting_if_absent(&setting, &fresh).await?
            }
        };
        let list: Vec<String> = serde_json::from_str(&stored)
            .map_err(|e| StoreError::Corrupt(format!("{setting} is not a JSON list: {e}")))?;
        let keys = list
            .iter()
            .map(|b64| {
                b64d(b64)
                    .and_then(|der| EcSigningKey::from_pkcs8(&der).ok())
                    .map(Arc::new)
                    .ok_or_else(|| StoreError::Corrupt(format!("{setting} holds an unusable key")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(StoreError::Corrupt(format!("{setting} holds no key")));
        }
        Ok(Issuer { name, url: url.trim_end_matches('/').to_owned(), keys: RwLock::new(keys) })
    }

    fn current(&self) -> Arc<EcSigningKey> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())[0].clone()
    }

    /// The public key with this `kid` (any key still published).
    pub fn public_key(&self, kid: Option<&str>) -> Option<PublicJwk> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        match kid {
            Some(kid) => keys.iter().find(|k| k.kid() == kid).map(|k| k.public_jwk()),
            None => None,
        }
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/connect/token", self.url)
    }

    pub fn jwks(&self) -> Value {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let list: Vec<Value> = keys
            .iter()
            .map(|k| {
                let mut jwk = k.public_jwk().members;
                jwk.insert("kid".into(), json!(k.kid()));
                jwk.insert("use".into(), json!("sig"));
                jwk.insert("alg".into(), json!("ES256"));
                Value::Object(jwk)
            })
            .collect();
        json!({ "keys": list })
    }

    /// OpenID Provider metadata (HelseID's machine-to-machine profile).
    pub fn discovery(&self, scopes: &[&str], dpop_algs: &[&str]) -> Value {
        json!({
            "issuer": self.url,
            "jwks_uri": format!("{}/.well-known/openid-configuration/jwks", self.url),
            "token_endpoint": self.token_endpoint(),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": dpop_algs,
            "dpop_signing_alg_values_supported": dpop_algs,
            "scopes_supported": scopes,
            "response_types_supported": ["token"],
            "service_documentation": "Fjellport test stand-in: not HelseID, synthetic data only",
        })
    }

    /// Signs an access token (`typ: at+jwt`) with the current key. Sets `iss`, `iat`, `nbf`,
    /// `exp` and `jti` unless `claims` already has them (the test-token service lets callers
    /// forge those on purpose).
    pub fn mint(
        &self,
        mut claims: Map<String, Value>,
        now: i64,
        lifetime_secs: i64,
    ) -> Result<String, JoseError> {
        let key = self.current();
        claims.entry("iss").or_insert_with(|| json!(self.url));
        claims.entry("iat").or_insert(json!(now));
        claims.entry("nbf").or_insert(json!(now));
        claims.entry("exp").or_insert(json!(now + lifetime_secs));
        claims.entry("jti").or_insert_with(|| json!(random_id("at_")));
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": key.kid()});
        key.sign(&header, &Value::Object(claims))
    }
}
