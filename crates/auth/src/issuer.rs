//! An embedded token issuer (HelseID's profile first): signing keys kept in the store so
//! restarts and replicas share them, discovery and JWKS documents, and token minting.

use std::sync::{Arc, RwLock};

use fjellport_store::{SettingsStore, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::jose::{Alg, JoseError, PublicJwk, SigningKey, b64d, b64e};
use crate::secret::random_id;

/// The longest lifetime any token of ours can have (test tokens may ask for a day).
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 86_400;
/// How long a retired key stays published: every token it signed has expired by then
/// (the longest lifetime plus the verifiers' 30 s leeway).
pub const KEEP_RETIRED_SECS: i64 = MAX_TOKEN_LIFETIME_SECS + 30;

/// One issuer, e.g. `helseid` at `<public url>/helseid`.
#[derive(Debug)]
pub struct Issuer {
    pub name: &'static str,
    /// The issuer identifier: the external URL, never the bind address.
    pub url: String,
    /// How long a retired key stays published: the longest token lifetime plus leeway, so every
    /// token it signed can still be verified.
    keep_retired_secs: i64,
    state: RwLock<KeyState>,
}

#[derive(Default)]
struct KeyState {
    /// The stored setting this state was built from (to notice changes cheaply).
    stored: String,
    /// Published keys, current first.
    keys: Vec<Arc<SigningKey>>,
}

/// Names the published keys only: the stored setting holds every private key (PKCS#8).
impl std::fmt::Debug for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyState")
            .field("stored", &"[redacted]")
            .field("keys", &self.keys.iter().map(|k| k.kid()).collect::<Vec<_>>())
            .finish()
    }
}

/// One stored signing key. Older databases hold bare PKCS#8 strings; they read as never retired.
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum StoredSigningKey {
    Full {
        pkcs8: String,
        #[serde(rename = "createdAt")]
        created_at: i64,
        #[serde(rename = "retiredAt", default)]
        retired_at: Option<i64>,
        /// Keys stored before RSA keys existed have none: ES256.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alg: Option<String>,
    },
    Legacy(String),
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StoredSigningKey({}, retired {:?}, [redacted])",
            self.alg().as_str(),
            self.retired_at()
        )
    }
}

impl StoredSigningKey {
    fn pkcs8(&self) -> &str {
        match self {
            StoredSigningKey::Full { pkcs8, .. } | StoredSigningKey::Legacy(pkcs8) => pkcs8,
        }
    }

    fn alg(&self) -> Alg {
        match self {
            StoredSigningKey::Full { alg: Some(a), .. } => a.parse().unwrap_or(Alg::ES256),
            _ => Alg::ES256,
        }
    }

    fn retired_at(&self) -> Option<i64> {
        match self {
            StoredSigningKey::Full { retired_at, .. } => *retired_at,
            StoredSigningKey::Legacy(_) => None,
        }
    }
}

/// What a rotation did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rotation {
    pub issuer: String,
    pub new_kid: String,
    pub retired_kid: Option<String>,
    /// Keys retired long enough ago that no token they signed can still be valid.
    pub removed_kids: Vec<String>,
}

fn setting_name(name: &str) -> String {
    format!("issuer.{name}.signing_keys")
}

fn parse_keys(setting: &str, stored: &str) -> Result<Vec<StoredSigningKey>, StoreError> {
    serde_json::from_str(stored)
        .map_err(|e| StoreError::Corrupt(format!("{setting} is not a JSON list of keys: {e}")))
}

fn decode(setting: &str, k: &StoredSigningKey) -> Result<SigningKey, StoreError> {
    b64d(k.pkcs8())
        .and_then(|der| SigningKey::from_pkcs8(&der, k.alg()).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("{setting} holds an unusable key")))
}

fn fresh_entry(now: i64, alg: Alg) -> Result<(StoredSigningKey, String), StoreError> {
    let key = SigningKey::generate(alg)
        .map_err(|e| StoreError::Internal(format!("cannot make a signing key: {e}")))?;
    let kid = key.kid().to_owned();
    let alg = (alg != Alg::ES256).then(|| alg.as_str().to_owned());
    Ok((
        StoredSigningKey::Full { pkcs8: b64e(key.pkcs8()), created_at: now, retired_at: None, alg },
        kid,
    ))
}

/// What an embedded issuer signs access tokens with: the one list, parsed once (config file,
/// environment, `issuer rotate-key --alg`), each name refused with the list when it is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    ES256,
    RS256,
    PS256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::ES256, SigningAlg::RS256, SigningAlg::PS256];

    pub fn alg(self) -> Alg {
        match self {
            SigningAlg::ES256 => Alg::ES256,
            SigningAlg::RS256 => Alg::RS256,
            SigningAlg::PS256 => Alg::PS256,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.alg().as_str()
    }

    /// The names, for a command line's list of possible values.
    pub fn names() -> [&'static str; 3] {
        SigningAlg::ALL.map(SigningAlg::as_str)
    }
}

impl std::str::FromStr for SigningAlg {
    type Err = String;
    fn from_str(s: &str) -> Result<SigningAlg, String> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| {
            format!("signing algorithm {s:?} is not one of {}", SigningAlg::names().join(", "))
        })
    }
}

impl Serialize for SigningAlg {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SigningAlg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<SigningAlg, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Issuer {
    /// Loads the issuer's signing keys, creating the first one at first start. Two replicas
    /// starting at once agree on one key (the store keeps the first value written).
    pub async fn open(
        store: &dyn SettingsStore,
        name: &'static str,
        url: String,
        keep_retired_secs: i64,
        now: i64,
        alg: Alg,
    ) -> Result<Issuer, StoreError> {
        let setting = setting_name(name);
        if store.get_setting(&setting).await?.is_none() {
            let (entry, _) = fresh_entry(now, alg)?;
            let value = serde_json::to_string(&[entry]).unwrap_or_default();
            store.put_setting_if_absent(&setting, &value).await?;
        }
        let issuer = Issuer {
            name,
            // As given: Maskinporten's identifier ends in a slash, HelseID's does not.
            url,
            keep_retired_secs,
            state: RwLock::new(KeyState::default()),
        };
        issuer.refresh(store, now).await?;
        // A changed algorithm takes effect by rotation, with the usual overlap.
        if issuer.current().alg() != alg {
            Issuer::rotate(store, name, keep_retired_secs, now, Some(alg)).await?;
            issuer.refresh(store, now).await?;
        }
        Ok(issuer)
    }

    /// The algorithm the current key signs with.
    pub fn alg(&self) -> Alg {
        self.current().alg()
    }

    /// Re-reads the keys if the stored list changed (a rotation by the CLI or another replica),
    /// and stops publishing retired keys whose tokens have all expired.
    pub async fn refresh(&self, store: &dyn SettingsStore, now: i64) -> Result<bool, StoreError> {
        let setting = setting_name(self.name);
        let stored = store.get_setting(&setting).await?.unwrap_or_default();
        let entries = parse_keys(&setting, &stored)?;
        let mut keys = Vec::new();
        for entry in &entries {
            if entry.retired_at().is_some_and(|r| r + self.keep_retired_secs < now) {
                continue;
            }
            keys.push(Arc::new(decode(&setting, entry)?));
        }
        if keys.is_empty() {
            return Err(StoreError::Corrupt(format!("{setting} holds no usable key")));
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let changed = state.stored != stored || state.keys.len() != keys.len();
        *state = KeyState { stored, keys };
        Ok(changed)
    }

    /// Makes a new current key; the old one stays published until its tokens have expired,
    /// and keys retired longer ago than that are removed. Any replica picks the change up.
    pub async fn rotate(
        store: &dyn SettingsStore,
        name: &str,
        keep_retired_secs: i64,
        now: i64,
        alg: Option<Alg>,
    ) -> Result<Rotation, StoreError> {
        let setting = setting_name(name);
        let stored = store.get_setting(&setting).await?.unwrap_or_else(|| "[]".into());
        let mut entries = parse_keys(&setting, &stored)?;
        let mut retired_kid = None;
        let mut current_alg = None;
        for entry in &mut entries {
            if entry.retired_at().is_none() {
                current_alg.get_or_insert(entry.alg());
                let kid = decode(&setting, entry)?.kid().to_owned();
                retired_kid.get_or_insert(kid);
                *entry = StoredSigningKey::Full {
                    pkcs8: entry.pkcs8().to_owned(),
                    created_at: match entry {
                        StoredSigningKey::Full { created_at, .. } => *created_at,
                        StoredSigningKey::Legacy(_) => 0,
                    },
                    retired_at: Some(now),
                    alg: Some(entry.alg().as_str().to_owned()),
                };
            }
        }
        let mut removed_kids = Vec::new();
        let mut kept = Vec::new();
        for entry in entries {
            if entry.retired_at().is_some_and(|r| r + keep_retired_secs < now) {
                removed_kids.push(decode(&setting, &entry)?.kid().to_owned());
            } else {
                kept.push(entry);
            }
        }
        let (fresh, new_kid) = fresh_entry(now, alg.or(current_alg).unwrap_or(Alg::ES256))?;
        kept.insert(0, fresh);
        store.set_setting(&setting, &serde_json::to_string(&kept).unwrap_or_default()).await?;
        Ok(Rotation { issuer: name.to_owned(), new_kid, retired_kid, removed_kids })
    }

    fn current(&self) -> Arc<SigningKey> {
        self.state.read().unwrap_or_else(|e| e.into_inner()).keys[0].clone()
    }

    /// The public key with this `kid` (any key still published).
    pub fn public_key(&self, kid: Option<&str>) -> Option<PublicJwk> {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let kid = kid?;
        state.keys.iter().find(|k| k.kid() == kid).map(|k| k.public_jwk())
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/connect/token", self.url)
    }

    pub fn jwks(&self) -> Value {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let list: Vec<Value> = state
            .keys
            .iter()
            .map(|k| {
                let mut jwk = k.public_jwk().members;
                jwk.insert("kid".into(), json!(k.kid()));
                jwk.insert("use".into(), json!("sig"));
                jwk.insert("alg".into(), json!(k.alg().as_str()));
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
        claims: Map<String, Value>,
        now: i64,
        lifetime_secs: i64,
    ) -> Result<String, JoseError> {
        self.sign_claims(claims, now, lifetime_secs, "at+jwt")
    }

    /// Signs an OpenID Connect ID token (`typ: JWT`), with the same defaults as [`Self::mint`].
    pub fn mint_id_token(
        &self,
        claims: Map<String, Value>,
        now: i64,
        lifetime_secs: i64,
    ) -> Result<String, JoseError> {
        self.sign_claims(claims, now, lifetime_secs, "JWT")
    }

    fn sign_claims(
        &self,
        mut claims: Map<String, Value>,
        now: i64,
        lifetime_secs: i64,
        typ: &str,
    ) -> Result<String, JoseError> {
        let key = self.current();
        claims.entry("iss").or_insert_with(|| json!(self.url));
        claims.entry("iat").or_insert(json!(now));
        claims.entry("nbf").or_insert(json!(now));
        claims.entry("exp").or_insert(json!(now + lifetime_secs));
        claims.entry("jti").or_insert_with(|| json!(random_id("at_")));
        let header = json!({"alg": key.alg().as_str(), "typ": typ, "kid": key.kid()});
        key.sign(&header, &Value::Object(claims))
    }
}
