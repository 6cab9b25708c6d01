//! Configuration: built-in defaults < `fjellport.toml` (or `--config FILE`) < `FJELLPORT_*`
//! environment < command-line flags, merged by figment.

use std::net::SocketAddr;
use std::path::Path;

use chrono::{DateTime, Utc};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use fjellport_auth::Environment;
use serde::{Deserialize, Serialize};

/// A secret from configuration: read like a string, never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: impl Into<String>) -> SecretString {
        SecretString(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A database URL from configuration: read like a string, its password redacted by `Debug`
/// (a PostgreSQL URL carries one, and configurations end up in logs and panics).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> DatabaseUrl {
        DatabaseUrl(url.to_owned())
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", fjellport_store::redact(&self.0))
    }
}

/// The default database: a SQLite file in the working directory, so state is kept.
pub const DEFAULT_DATABASE: &str = "sqlite:fjellport.db";
pub const DEFAULT_CONFIG_FILE: &str = "fjellport.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    /// External base URL (issuer URLs, DPoP `htu`); default `http://<listen>`.
    pub public_url: Option<String>,
    pub database: DatabaseUrl,
    pub environment: Environment,
    /// Frozen instant for every time rule (like `--clock`).
    pub clock: Option<DateTime<Utc>>,
    /// Admin API token; when unset one is generated at first start and printed once.
    pub admin_token: Option<SecretString>,
    /// A secret (16 characters or more) that seals the issuers' private keys in the database
    /// (AES-256-GCM), so a copied database file cannot mint tokens; every replica and CLI
    /// command then needs the same one. Best given as `FJELLPORT_KEY_WRAP`.
    pub key_wrap: Option<SecretString>,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// Seconds a client has to send a request's headers before it is disconnected (a slow
    /// client must not hold a connection forever; the body has `request_timeout_secs`). An
    /// idle keep-alive connection is closed after as long: hyper times the wait for the next
    /// request's headers the same way.
    pub header_timeout_secs: u64,
    /// Seconds between a stop signal and the end of accepting connections, while `/readyz`
    /// already answers 503: behind a load balancer, long enough for its health checks to
    /// take the replica out (HAProxy's `inter` x `fall`), so no request meets a closing
    /// connection. In-flight requests are then finished. 0 (the default) stops at once.
    pub shutdown_delay_secs: u64,
    /// Most connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// How often a server checks the database for changes made elsewhere: API keys, and the
    /// persons its search index holds.
    pub key_poll_millis: u64,
    /// Test-Norge persons `serve` generates on an empty database (0: none).
    pub persons: usize,
    /// Seed of the generated population: the same seed and size give the same persons.
    pub seed: u64,
    /// Whether `serve` gives Test-Norge persons life events as the clock's days pass.
    pub simulate_events: bool,
    /// Whether the issuers' test-token services take the admin token even on a loopback-only
    /// listener (on any other listener they always do: anyone who reaches a shared server
    /// could otherwise mint tokens for any client and organization).
    pub test_token_requires_admin: bool,
    /// Kartverket's address CSV ("Matrikkelen – Adresse"): homes get real street addresses
    /// from it; without it, synthetic street names in real municipalities and postal codes.
    pub addresses_file: Option<std::path::PathBuf>,
    pub dpop: DpopConfig,
    /// What the embedded issuer signs access tokens with: ES256 (default), RS256 or PS256. A
    /// change takes effect at the next start by a key rotation (the old key stays published).
    pub issuer_signing_alg: fjellport_auth::issuer::SigningAlg,
    /// Issuers whose tokens the APIs accept beside the embedded one's.
    pub trusted_issuers: Vec<TrustedIssuer>,
    pub apis: Apis,
    pub altinn: AltinnConfig,
    /// SyntPop's rules: the reservation quota, and whether edits may give deliverable
    /// contact data.
    pub syntpop: fjellport_api_syntpop::SyntpopRules,
}

/// Altinn's end-user side.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AltinnConfig {
    /// Every synthetic person's password for `authentication/authenticatewithpassword`.
    pub test_password: SecretString,
    /// The service owners and services (`[[altinn.catalogue.service_owners]]`,
    /// `[[altinn.catalogue.services]]`); default: Skatteetaten, NAV and
    /// Brønnøysundregistrene with a few services each.
    pub catalogue: fjellport_api_altinn::catalogue::Catalogue,
    /// Altinn's legacy answer to an end-user call without a login: `302` to the portal's login
    /// page (`/altinn/ui/authentication`) instead of `401` with a Bearer challenge.
    pub login_redirect: bool,
}

impl Default for AltinnConfig {
    fn default() -> Self {
        AltinnConfig {
            login_redirect: false,
            test_password: SecretString::new("Test1234"),
            catalogue: fjellport_api_altinn::catalogue::Catalogue::default(),
        }
    }
}

/// An external issuer: its identifier, and where its keys are — a JWKS file, or its discovery
/// document (fetched at start and every 10 minutes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    pub issuer: String,
    #[serde(default)]
    pub jwks_file: Option<std::path::PathBuf>,
    #[serde(default)]
    pub discovery_url: Option<String>,
}

/// How DPoP proofs are judged, at the issuer and at the APIs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DpopConfig {
    /// How old a proof's `iat` may be, in seconds (HelseID's sample allows 6; RFC 9449 leaves
    /// it to the server).
    pub max_age_secs: i64,
    /// How far ahead of the clock `iat` may be (clock skew), in seconds.
    pub max_future_secs: i64,
    /// Whether the APIs demand a server nonce in proofs (RFC 9449 §9): `401 use_dpop_nonce`
    /// with a `DPoP-Nonce` first, and a fresh one on every answer.
    pub resource_nonce: bool,
}

impl Default for DpopConfig {
    fn default() -> Self {
        DpopConfig { max_age_secs: 60, max_future_secs: 5, resource_nonce: false }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Apis {
    pub syntpop: ApiConfig,
    pub altinn: ApiConfig,
    #[serde(rename = "altinn-serviceowner", alias = "altinn_serviceowner")]
    pub altinn_serviceowner: ApiConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Requests per second for keys that set none; unset = unlimited.
    pub rate_limit: Option<u32>,
    /// Whether deprecated versions answer 410 from their sunset on.
    pub enforce_sunset: bool,
    /// Overrides the deprecated versions' sunset instant.
    pub sunset: Option<DateTime<Utc>>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig { rate_limit: None, enforce_sunset: true, sunset: None }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            database: DEFAULT_DATABASE.into(),
            environment: Environment::Test,
            clock: None,
            admin_token: None,
            key_wrap: None,
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            header_timeout_secs: 30,
            shutdown_delay_secs: 0,
            max_connections: 4096,
            key_poll_millis: 1000,
            persons: 10_000,
            seed: 1,
            simulate_events: false,
            test_token_requires_admin: false,
            addresses_file: None,
            dpop: DpopConfig::default(),
            issuer_signing_alg: fjellport_auth::issuer::SigningAlg::ES256,
            trusted_issuers: Vec::new(),
            apis: Apis::default(),
            altinn: AltinnConfig::default(),
            syntpop: fjellport_api_syntpop::SyntpopRules::default(),
        }
    }
}

const ENV_PREFIX: &str = "FJELLPORT_";
/// `FJELLPORT_*` variables that are not settings but are read elsewhere (the log filter, the
/// test suite's switches): passed over in silence.
const NOT_SETTINGS: &[&str] = &["test_database_url", "test_python", "log", "bless"];

/// The top-level settings, as the configuration serialises: the one list, so a new setting
/// needs no second edit here.
fn setting_names() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(members)) => members.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// `FJELLPORT_*` variables that name no setting: a user's own `FJELLPORT_BIN` in a script must
/// not stop every command, so these are reported and ignored (a typo in the config file is
/// still an error: the file is ours alone).
fn unknown_variables(settings: &[String]) -> Vec<String> {
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| {
            let Some(rest) = k.strip_prefix(ENV_PREFIX) else { return false };
            let top = rest.split("__").next().unwrap_or_default();
            !NOT_SETTINGS.iter().any(|n| n.eq_ignore_ascii_case(rest))
                && !settings.iter().any(|s| s.eq_ignore_ascii_case(top))
        })
        .collect();
    unknown.sort();
    unknown
}

impl Config {
    /// Merges the layers. `file` is `--config`; without it `fjellport.toml` is read if present.
    /// `flags` are the command-line values that were given, as a JSON object.
    pub fn load(file: Option<&Path>, flags: serde_json::Value) -> Result<Config, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.is_file() => {
                return Err(format!("config file {} does not exist", path.display()));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        let settings = setting_names();
        for var in unknown_variables(&settings) {
            eprintln!("fjellport: warning: ignoring {var}: it names no setting");
        }
        let mut config: Config = figment
            .merge(
                Env::prefixed(ENV_PREFIX)
                    .ignore(NOT_SETTINGS)
                    .filter(move |key| {
                        let top = key.as_str().split("__").next().unwrap_or_default();
                        settings.iter().any(|s| s.eq_ignore_ascii_case(top))
                    })
                    .split("__")
                    .map(|k| {
                        k.as_str().replace("altinn_serviceowner", "altinn-serviceowner").into()
                    }),
            )
            .merge(Serialized::globals(flags))
            .extract()
            .map_err(|e| one_line(&format!("bad configuration: {e}")))?;
        config.altinn.catalogue.load_schemas().map_err(|why| format!("altinn.catalogue: {why}"))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        self.altinn.catalogue.check().map_err(|why| format!("altinn.catalogue: {why}"))?;
        if self.altinn.test_password.expose().is_empty() {
            return Err("altinn.test_password must not be empty".into());
        }
        if self.body_limit_bytes == 0 {
            return Err("body_limit_bytes must be at least 1".into());
        }
        if self.header_timeout_secs == 0 {
            return Err("header_timeout_secs must be at least 1".into());
        }
        if self.max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        if let Some(secret) = &self.key_wrap
            && secret.expose().chars().count() < fjellport_auth::key_wrap::MIN_SECRET_CHARS
        {
            return Err(format!(
                "key_wrap must be at least {} characters",
                fjellport_auth::key_wrap::MIN_SECRET_CHARS
            ));
        }
        if self.syntpop.reserved_per_birth_date == 0 {
            return Err("syntpop.reserved_per_birth_date must be at least 1".into());
        }
        if self.request_timeout_secs == 0 {
            return Err("request_timeout_secs must be at least 1".into());
        }
        if !(1..=3600).contains(&self.dpop.max_age_secs) {
            return Err("dpop.max_age_secs must be between 1 and 3600".into());
        }
        for t in &self.trusted_issuers {
            let http =
                |u: &str| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !http(&t.issuer) {
                return Err(format!(
                    "trusted_issuers: issuer {:?} is not an http(s) URL",
                    t.issuer
                ));
            }
            match (&t.jwks_file, &t.discovery_url) {
                (Some(_), None) => {}
                (None, Some(u)) if http(u) => {}
                (None, Some(u)) => {
                    return Err(format!(
                        "trusted_issuers: discovery_url {u:?} is not an http(s) URL"
                    ));
                }
                _ => {
                    return Err(format!(
                        "trusted_issuers: give {:?} either jwks_file or discovery_url",
                        t.issuer
                    ));
                }
            }
        }
        if !(0..=300).contains(&self.dpop.max_future_secs) {
            return Err("dpop.max_future_secs must be between 0 and 300".into());
        }
        if !(50..=60_000).contains(&self.key_poll_millis) {
            return Err("key_poll_millis must be between 50 and 60000".into());
        }
        if self.persons > crate::population::MAX_PERSONS {
            return Err(format!(
                "persons must be at most {} (SyntPop has about 1.2 million)",
                crate::population::MAX_PERSONS
            ));
        }
        if let Some(url) = &self.public_url {
            let ok = url::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(format!("public_url {url:?} is not an http(s) URL"));
            }
        }
        for (name, api) in [
            ("syntpop", &self.apis.syntpop),
            ("altinn", &self.apis.altinn),
            ("altinn-serviceowner", &self.apis.altinn_serviceowner),
        ] {
            if api.rate_limit == Some(0) {
                return Err(format!("apis.{name}.rate_limit must be at least 1"));
            }
        }
        if self.admin_token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            return Err("admin_token must be at least 16 characters".into());
        }
        Ok(())
    }

    /// The external base URL without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }
}

/// Errors are one stderr line (DESIGN.md's CLI contract).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_config_redacts_the_database_password_and_the_admin_token() {
        let config = Config {
            database: "postgres://fjellport:s3cret-pw@db.example.test:5432/fjellport".into(),
            admin_token: Some(SecretString::new("fja_do-not-print")),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(!shown.contains("fja_do-not-print"), "{shown}");
        assert!(shown.contains("postgres://fjellport:%5Bredacted%5D@db.example.test"), "{shown}");
        assert_eq!(
            &*config.database,
            "postgres://fjellport:s3cret-pw@db.example.test:5432/fjellport"
        );
    }
}
