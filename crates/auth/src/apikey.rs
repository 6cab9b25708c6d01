//! API keys in the Altinn model: one API, one application type, only the hash stored.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use fjellport_store::StoredKey;
use serde::Serialize;
use thiserror::Error;

use crate::Environment;
use crate::origin::{Origin, OriginError};
use crate::secret::{Secret, random_id};

/// The APIs a key can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiName {
    Syntpop,
    Altinn,
    AltinnServiceowner,
}

impl ApiName {
    pub const ALL: [ApiName; 3] = [ApiName::Syntpop, ApiName::Altinn, ApiName::AltinnServiceowner];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiName::Syntpop => "syntpop",
            ApiName::Altinn => "altinn",
            ApiName::AltinnServiceowner => "altinn-serviceowner",
        }
    }
}

impl FromStr for ApiName {
    type Err = KeyRequestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiName::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| KeyRequestError::UnknownApi(s.to_owned()))
    }
}

impl fmt::Display for ApiName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Altinn's application types: `browser` ("Nettleserapplikasjon", bound to origins) or
/// `other` ("Annet": backends, desktop, mobile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppType {
    Browser,
    Other,
}

impl AppType {
    pub const ALL: [AppType; 2] = [AppType::Browser, AppType::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Browser => "browser",
            AppType::Other => "other",
        }
    }
}

impl FromStr for AppType {
    type Err = KeyRequestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "browser" => Ok(AppType::Browser),
            "other" => Ok(AppType::Other),
            other => Err(KeyRequestError::UnknownType(other.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyRequestError {
    #[error("unknown API {0:?}: use syntpop, altinn or altinn-serviceowner")]
    UnknownApi(String),
    #[error("unknown application type {0:?}: use browser or other")]
    UnknownType(String),
    #[error("a browser key needs at least one origin (e.g. --origin https://app.example.com)")]
    BrowserNeedsOrigin,
    #[error("only browser keys have origins; an 'other' key is used from backends")]
    OriginsOnlyForBrowser,
    #[error("bad origin: {0}")]
    BadOrigin(#[from] OriginError),
    #[error("localhost origin {0} is allowed only when the environment is test")]
    LocalhostInProduction(String),
    #[error("the expiry {0} is not in the future")]
    ExpiryNotInFuture(String),
    #[error("the rate limit must be at least 1 request per second")]
    ZeroRateLimit,
    #[error("the owner must be 1 to 200 printable characters")]
    BadOwner,
}

impl KeyRequestError {
    /// Which part of the request is wrong, so a form can show the error beside its field:
    /// `api`, `type`, `origins`, `expires`, `rate_limit` or `owner`.
    pub fn field(&self) -> &'static str {
        match self {
            KeyRequestError::UnknownApi(_) => "api",
            KeyRequestError::UnknownType(_) => "type",
            KeyRequestError::BrowserNeedsOrigin
            | KeyRequestError::OriginsOnlyForBrowser
            | KeyRequestError::BadOrigin(_)
            | KeyRequestError::LocalhostInProduction(_) => "origins",
            KeyRequestError::ExpiryNotInFuture(_) => "expires",
            KeyRequestError::ZeroRateLimit => "rate_limit",
            KeyRequestError::BadOwner => "owner",
        }
    }
}

impl ApiName {
    /// Altinn's keys are ordered with the vendor's self-declaration ("egenerklæring"); a
    /// SyntPop key is not.
    pub fn needs_self_declaration(self) -> bool {
        matches!(self, ApiName::Altinn | ApiName::AltinnServiceowner)
    }

    /// The API's name as people read it.
    pub fn title(self) -> &'static str {
        match self {
            ApiName::Syntpop => "SyntPop",
            ApiName::Altinn => "Altinn",
            ApiName::AltinnServiceowner => "Altinn service owner",
        }
    }
}

/// What a caller asks for; [`KeyRequest::issue`] checks every rule before anything is stored.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    pub api: String,
    pub app_type: String,
    pub origins: Vec<String>,
    pub owner: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rate_limit: Option<u32>,
}

impl KeyRequest {
    /// Validates the request and mints the key: the record to store and the secret to show once.
    pub fn issue(
        &self,
        environment: Environment,
        now: DateTime<Utc>,
    ) -> Result<(StoredKey, Secret), KeyRequestError> {
        let api: ApiName = self.api.parse()?;
        let app_type: AppType = self.app_type.parse()?;
        let mut origins = Vec::with_capacity(self.origins.len());
        for raw in &self.origins {
            let origin: Origin = raw.parse()?;
            if origin.is_localhost() && environment == Environment::Production {
                return Err(KeyRequestError::LocalhostInProduction(origin.to_string()));
            }
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        match (app_type, origins.is_empty()) {
            (AppType::Browser, true) => return Err(KeyRequestError::BrowserNeedsOrigin),
            (AppType::Other, false) => return Err(KeyRequestError::OriginsOnlyForBrowser),
            _ => {}
        }
        if let Some(exp) = self.expires_at
            && exp <= now
        {
            return Err(KeyRequestError::ExpiryNotInFuture(rfc3339(exp)));
        }
        if self.rate_limit == Some(0) {
            return Err(KeyRequestError::ZeroRateLimit);
        }
        let owner = self.owner.clone().unwrap_or_else(|| "default".to_owned());
        if owner.is_empty() || owner.chars().count() > 200 || owner.chars().any(char::is_control) {
            return Err(KeyRequestError::BadOwner);
        }
        let secret = Secret::generate("fjp_");
        let key = StoredKey {
            id: random_id("key_"),
            api: api.as_str().to_owned(),
            app_type: app_type.as_str().to_owned(),
            secret_hash: secret.hash(),
            secret_hint: secret.hint(),
            origins: origins.into_iter().map(|o| o.to_string()).collect(),
            owner,
            rate_limit: self.rate_limit,
            created_at: truncate_to_secs(now),
            expires_at: self.expires_at.map(truncate_to_secs),
            revoked_at: None,
            last_used_at: None,
        };
        Ok((key, secret))
    }
}

/// A key as shown to people and scripts: everything but the hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ApiKey)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub id: String,
    pub api: String,
    #[serde(rename = "type")]
    pub app_type: String,
    pub origins: Vec<String>,
    pub owner: String,
    pub rate_limit: Option<u32>,
    pub secret_hint: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// When a request last got through with the key (noted within a few seconds); null
    /// when never.
    pub last_used_at: Option<String>,
    pub active: bool,
    /// Present only in the answer to a create: the secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl KeyView {
    pub fn new(key: &StoredKey, now: DateTime<Utc>) -> KeyView {
        KeyView {
            id: key.id.clone(),
            api: key.api.clone(),
            app_type: key.app_type.clone(),
            origins: key.origins.clone(),
            owner: key.owner.clone(),
            rate_limit: key.rate_limit,
            secret_hint: key.secret_hint.clone(),
            created_at: rfc3339(key.created_at),
            expires_at: key.expires_at.map(rfc3339),
            revoked_at: key.revoked_at.map(rfc3339),
            last_used_at: key.last_used_at.map(rfc3339),
            active: key.is_active(now),
            secret: None,
        }
    }

    pub fn with_secret(mut self, secret: &Secret) -> KeyView {
        self.secret = Some(secret.expose().to_owned());
        self
    }
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The store keeps whole seconds; truncating here keeps what we return equal to what we store.
fn truncate_to_secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(api: &str, ty: &str, origins: &[&str]) -> KeyRequest {
        KeyRequest {
            api: api.into(),
            app_type: ty.into(),
            origins: origins.iter().map(|s| s.to_string()).collect(),
            owner: Some("team".into()),
            expires_at: None,
            rate_limit: None,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_browser_key_keeps_normalised_unique_origins_and_only_a_hash() {
        let (key, secret) = req("syntpop", "browser", &["https://A.test/", "https://a.test:443"])
            .issue(Environment::Test, now())
            .unwrap();
        assert_eq!(key.origins, vec!["https://a.test"]);
        assert_eq!(key.secret_hash, crate::secret::hash_secret(secret.expose()));
        assert!(!key.secret_hash.contains(secret.expose()));
        assert!(key.id.starts_with("key_"));
    }

    #[test]
    fn each_broken_rule_has_its_error() {
        let e = |r: KeyRequest, env| r.issue(env, now()).unwrap_err();
        use Environment::*;
        assert!(matches!(e(req("nope", "other", &[]), Test), KeyRequestError::UnknownApi(_)));
        assert!(matches!(e(req("altinn", "web", &[]), Test), KeyRequestError::UnknownType(_)));
        assert_eq!(e(req("altinn", "browser", &[]), Test), KeyRequestError::BrowserNeedsOrigin);
        assert_eq!(
            e(req("altinn", "other", &["https://a.test"]), Test),
            KeyRequestError::OriginsOnlyForBrowser
        );
        assert!(matches!(
            e(req("altinn", "browser", &["https://a.test/x"]), Test),
            KeyRequestError::BadOrigin(_)
        ));
        assert!(matches!(
            e(req("altinn", "browser", &["http://localhost:3000"]), Production),
            KeyRequestError::LocalhostInProduction(_)
        ));
        assert!(req("altinn", "browser", &["http://localhost:3000"]).issue(Test, now()).is_ok());
        let mut expired = req("syntpop", "other", &[]);
        expired.expires_at = Some(now());
        assert!(matches!(e(expired, Test), KeyRequestError::ExpiryNotInFuture(_)));
        let mut zero = req("syntpop", "other", &[]);
        zero.rate_limit = Some(0);
        assert_eq!(e(zero, Test), KeyRequestError::ZeroRateLimit);
    }
}
