//! The embedded issuers, one row each, as [`crate::apis::all`] is for the APIs: every issuer is
//! mounted at `/<name>` with discovery, JWKS, token endpoint and (test environment) the
//! test-token service, keeps its own signing keys and nonce key, and is what `clients create
//! --issuer`, `issuer rotate-key --issuer` and the admin API accept. An issuer that is not in
//! the table does not exist: clients cannot be registered for it.

use std::sync::Arc;

use fjellport_api_issuer::Grant;
use fjellport_auth::issuer::{Issuer, KEEP_RETIRED_SECS, SigningAlg};
use fjellport_auth::key_wrap::{KeyWrap, WrappedSettings};
use fjellport_auth::nonce::NonceKey;
use fjellport_auth::profile::{ClaimProfile, HelseId, IdPorten, Maskinporten};
use fjellport_store::{SettingsStore, StoreError};

use crate::apis;
use crate::config::Config;

/// An issuer's name: its path prefix, its settings' names and the `issuer` of its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum IssuerName {
    /// HelseID-like (machine-to-machine, DPoP): SyntPop 1.0 trusts its tokens.
    Helseid,
    /// Maskinporten-like (organizations, JWT grant): Altinn's service owners use its tokens.
    Maskinporten,
    /// ID-porten-like (end users, authorization code + PKCE at a test login page): Altinn's
    /// end-user API takes its tokens.
    Idporten,
}

impl IssuerName {
    pub const ALL: [IssuerName; 3] =
        [IssuerName::Helseid, IssuerName::Maskinporten, IssuerName::Idporten];

    pub fn as_str(self) -> &'static str {
        match self {
            IssuerName::Helseid => "helseid",
            IssuerName::Maskinporten => "maskinporten",
            IssuerName::Idporten => "idporten",
        }
    }

    pub fn names() -> Vec<&'static str> {
        IssuerName::ALL.iter().map(|i| i.as_str()).collect()
    }
}

/// What an issuer is, before a server opens it.
#[derive(Debug, Clone)]
pub struct IssuerSpec {
    pub name: IssuerName,
    /// What it stands in for, in a sentence (the web app's home page lists it).
    pub title: &'static str,
    /// How clients get tokens, and so which endpoints the issuer has.
    pub grant: Grant,
    /// What it signs with; `None`: `issuer_signing_alg` from the configuration.
    pub signing_alg: Option<SigningAlg>,
    /// The issuer identifier after the public URL: Maskinporten's ends in a slash, as
    /// `https://maskinporten.no/` does (clients use it as the grant's `aud`, exactly).
    pub path: &'static str,
    /// How its tokens describe clients and which API a scope names.
    pub profile: Arc<dyn ClaimProfile>,
    /// The scopes it advertises; the first is the test-token default.
    pub scopes: Vec<&'static str>,
    /// A DPoP-protected route its test tokens' proofs point at by default.
    pub proof_path: &'static str,
}

/// Every issuer this server runs.
pub fn all() -> Vec<IssuerSpec> {
    vec![
        IssuerSpec {
            name: IssuerName::Helseid,
            title: "HelseID-compatible issuer: client credentials with DPoP, for SyntPop 1.0",
            grant: Grant::ClientCredentials,
            signing_alg: None,
            path: "/helseid",
            profile: Arc::new(HelseId),
            scopes: vec![apis::SYNTPOP_SCOPE],
            proof_path: "/syntpop/api/ping",
        },
        IssuerSpec {
            name: IssuerName::Maskinporten,
            title: "Maskinporten-compatible issuer: the JWT grant, for organizations and service owners",
            grant: Grant::JwtBearer,
            // Maskinporten signs its tokens RS256.
            signing_alg: Some(SigningAlg::RS256),
            path: "/maskinporten/",
            profile: Arc::new(Maskinporten),
            scopes: MASKINPORTEN_SCOPES.to_vec(),
            proof_path: "/altinn/api/serviceowner/ping",
        },
        IssuerSpec {
            name: IssuerName::Idporten,
            title: "ID-porten-compatible issuer: authorization code with PKCE, for end users",
            grant: Grant::AuthorizationCode,
            // ID-porten signs its tokens RS256.
            signing_alg: Some(SigningAlg::RS256),
            path: "/idporten",
            profile: Arc::new(IdPorten),
            scopes: IDPORTEN_SCOPES.to_vec(),
            proof_path: "/altinn/api/ping",
        },
    ]
}

/// The settings as the issuers read and write them: with `key_wrap` (FJELLPORT_KEY_WRAP) set,
/// their private keys are sealed (and any still stored in the clear are sealed now), so a copy
/// of the database cannot mint tokens.
pub async fn key_settings(
    config: &Config,
    store: Arc<dyn SettingsStore>,
) -> Result<WrappedSettings, StoreError> {
    let wrap = match &config.key_wrap {
        Some(secret) => {
            Some(Arc::new(KeyWrap::new(secret.expose()).map_err(StoreError::Internal)?))
        }
        None => None,
    };
    let settings = WrappedSettings::new(store, wrap);
    let mut names: Vec<String> = IssuerName::ALL
        .iter()
        .flat_map(|i| {
            [
                format!("issuer.{}.signing_keys", i.as_str()),
                format!("issuer.{}.nonce_key", i.as_str()),
            ]
        })
        .collect();
    names.push(format!("issuer.{RESOURCE_NONCES}.nonce_key"));
    let sealed = settings.seal_existing(&names).await?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed private keys stored in the clear with key_wrap");
    }
    Ok(settings)
}

/// The nonce key of the APIs' own DPoP nonces (`dpop.resource_nonce`), kept like an issuer's.
pub const RESOURCE_NONCES: &str = "resource";

/// Every issuer of the table with the scopes it grants: what clients may be registered for.
pub fn known() -> Vec<fjellport_auth::client_registry::KnownIssuer> {
    all()
        .into_iter()
        .map(|spec| fjellport_auth::client_registry::KnownIssuer {
            name: spec.name.as_str(),
            scopes: spec.scopes,
        })
        .collect()
}

/// Scopes the ID-porten-like issuer advertises: OpenID's and Altinn's end-user scopes (the
/// first is the test-token default).
pub const IDPORTEN_SCOPES: [&str; 5] =
    ["altinn:enduser", "openid", "profile", "altinn:instances.read", "altinn:instances.write"];

/// Scopes the Maskinporten-like issuer advertises: Altinn's service-owner and end-user API
/// scopes (a client is registered with those it may have).
const MASKINPORTEN_SCOPES: [&str; 8] = [
    "altinn:serviceowner/rolesandrights",
    "altinn:serviceowner/reportees",
    "altinn:serviceowner/organizations",
    "altinn:serviceowner/notifications.read",
    "altinn:serviceowner/events",
    "altinn:serviceowner/instances.read",
    "altinn:serviceowner",
    "altinn:correspondence.write",
];

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
            format!("{}{}", config.public_url(), spec.path),
            KEEP_RETIRED_SECS,
            now,
            spec.signing_alg.unwrap_or(config.issuer_signing_alg).alg(),
        )
        .await?;
        let nonces = NonceKey::open(store, name).await?;
        out.push(RunningIssuer { spec, issuer: Arc::new(issuer), nonces: Arc::new(nonces) });
    }
    Ok(out)
}
