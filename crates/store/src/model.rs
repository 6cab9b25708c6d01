//! Plain records as the store keeps them. Typed validation (APIs, origins) lives in `auth`.

use chrono::{DateTime, Utc};

/// One API key. `secret_hash` is the only trace of the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub id: String,
    pub api: String,
    pub app_type: String,
    pub secret_hash: String,
    /// The secret's first characters, so an owner can tell keys apart without the secret.
    pub secret_hint: String,
    pub origins: Vec<String>,
    pub owner: String,
    pub rate_limit: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl StoredKey {
    /// Active = neither revoked nor expired at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|exp| now < exp)
    }
}

/// An OAuth client of an embedded issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClient {
    pub client_id: String,
    pub issuer: String,
    pub name: String,
    /// The client's public keys as a JWKS JSON document.
    pub jwks: String,
    pub scopes: Vec<String>,
    pub orgnr_parent: Option<String>,
    pub orgnr_child: Option<String>,
    pub dpop_bound: bool,
    pub created_at: DateTime<Utc>,
}

/// A person row: the JSON document and the columns searches and exports use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    pub id: String,
    pub nin: String,
    /// `TestNorge` or `Reserved`.
    pub origin: String,
    pub owner: Option<String>,
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub gender: String,
    pub status: String,
    pub municipality: Option<String>,
    pub postal_code: Option<String>,
    pub doc: String,
}

pub(crate) fn to_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_secs(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
