//! The embedded issuers, one row each, as [`crate::apis::all`] is for the APIs: every issuer is
//! mounted at `/<name>` with discovery, JWKS, token endpoint and (test environment) the
//! test-token service, keeps its own signing keys and nonce key, and is what `clients create
//! --issuer`, `issuer rotate-key --issuer` and the admin API accept. An issuer that is not in
//! the table does not exist: clients cannot be registered for it.

use std::sync::Arc;

use fjellport_auth::issuer::{Issuer, KEEP_RETIRED_SECS};
use fjellport_auth::nonce::NonceKey;
use fjellport_auth::profile::{ClaimProfile, HelseId};
use fjellport_store::{SettingsStore, StoreError};

use crate::apis;
use crate::config::Config;

/// An issuer's name: its path prefix, its settings' names and the `issuer` of its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum IssuerName {
    /// HelseID-like (machine-to-machine, DPoP): SyntPop 1.0 trusts its tokens.
    Helseid,
}

impl IssuerName {
    pub const ALL: [IssuerName; 1] = [IssuerName::Helseid];

    pub fn as_str(self) -> &'static str {
        match self {
            IssuerName::Helseid => "helseid",
        }
    }

    /// The issuer called `name`, or an error that lists the issuers there are.
    pub fn parse(name: &str) -> Result<IssuerName, String> {
        IssuerName::ALL.into_iter().find(|i| i.as_str() == name).ok_or_else(|| {
            format!(
                "unknown issuer {name:?}: this server has {} (ID-porten- and Maskinporten-like \
                 issuers are not built yet)",
                IssuerName::names().join(", ")
            )
        })
    }

    pub fn names() -> Vec<&'static str> {
        IssuerName::ALL.iter().map(|i| i.as_str()).collect()
    }
}

/// What an issuer is, before a server opens it.
#[derive(Debug, Clone)]
pub struct IssuerSpec {
    pub name: IssuerName,
    /// How its tokens describe clients and which API a scope names.
    pub profile: Arc<dyn ClaimProfile>,
    /// The scopes it advertises; the first is the test-token default.
    pub scopes: Vec<&'static str>,
    /// A DPoP-protected route its test tokens' proofs point at by default.
    pub proof_path: &'static str,
}

/// Every issuer this server runs.
pub fn all() -> Vec<IssuerSpec> {
    vec![IssuerSpec {
        name: IssuerName::Helseid,
        profile: Arc::new(HelseId),
        scopes: vec![apis::SYNTPOP_SCOPE],
        proof_path: "/syntpop/api/ping",
    }]
}

/// An issuer as a running server holds it.
#[derive(Debug)]
pub struct RunningIssuer {
    pub spec: IssuerSpec,
    pub issuer: Arc<Issuer>,
    /// The key its token endpoint's DPoP nonces are made with.
    pub nonces: Arc<NonceKey>,
}

/// Opens every issuer of the table: its signing keys (the first made at first start) and its
/// nonce key, at `<public url>/<name>`.
pub async fn open_all(
    config: &Config,
    store: &dyn SettingsStore,
    now: i64,
) -> Result<Vec<RunningIssuer>, StoreError> {
    let mut out = Vec::new();
    for spec in all() {
        let name = spec.name.as_str();
        let issuer = Issuer::open(
            store,
            name,
            format!("{}/{name}", config.public_url()),
            KEEP_RETIRED_SECS,
            now,
            config.issuer_signing_alg.alg(),
        )
        .await?;
        let nonces = NonceKey::open(store, name).await?;
        out.push(RunningIssuer { spec, issuer: Arc::new(issuer), nonces: Arc::new(nonces) });
    }
    Ok(out)
}
