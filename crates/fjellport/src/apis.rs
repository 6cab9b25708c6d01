//! Each API's gateway declaration: key headers and version table, from config.

use chrono::{DateTime, TimeZone, Utc};
use fjellport_auth::apikey::ApiName;
use fjellport_gateway::ApiSpec;
use fjellport_gateway::gateway::MissingKey;
use fjellport_gateway::version::{AuthMode, Deprecation, VersionSpec, VersionTable};
use http::HeaderName;

use crate::config::{ApiConfig, Config};

pub const VERSION_HEADER: &str = "X-api-version";

/// NHN published the 1.0 migration on 2026-04-08 and gave no other deprecation date.
fn syntpop_deprecated_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 8, 0, 0, 0).single().unwrap_or_default()
}

/// "Available until 30 September" 2026 (SyntPop changelog).
fn syntpop_sunset() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 30, 23, 59, 59).single().unwrap_or_default()
}

const SYNTPOP_DOCS: &str = "https://utviklerportal.nhn.no/informasjonstjenester/syntpop/syntetiske-data-api/dokumentasjonmd";
const SYNTPOP_CHANGELOG: &str = "https://sdapi.syntpop.nhn.no/changelog.html";
pub const SYNTPOP_AUDIENCE: &str = "nhntsd:syntpop-api";
pub const SYNTPOP_SCOPE: &str = "nhntsd:syntpop-api/full-access";

pub fn syntpop(config: &ApiConfig) -> ApiSpec {
    let deprecation = Deprecation {
        deprecated_at: syntpop_deprecated_at(),
        sunset_at: config.sunset.unwrap_or_else(syntpop_sunset),
        enforce_sunset: config.enforce_sunset,
        docs: SYNTPOP_DOCS.to_owned(),
        successor: "1.0".to_owned(),
        successor_docs: SYNTPOP_CHANGELOG.to_owned(),
    };
    ApiSpec {
        api: ApiName::Syntpop,
        title: "SyntPop API",
        key_headers: vec![
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("x-syntpop-apikey"),
        ],
        key_header_label: "X-api-key",
        missing_key: MissingKey::Unauthorized,
        public_paths: Vec::new(),
        versions: VersionTable::new(
            VERSION_HEADER,
            vec![
                VersionSpec::new("0.1", AuthMode::ApiKey, Some(deprecation.clone())),
                VersionSpec::new("0.2", AuthMode::ApiKey, Some(deprecation)),
                VersionSpec::new(
                    "1.0",
                    AuthMode::Dpop {
                        audience: SYNTPOP_AUDIENCE.to_owned(),
                        scope: SYNTPOP_SCOPE.to_owned(),
                    },
                    None,
                ),
            ],
            Some("0.1"),
        ),
    }
}

/// Altinn 2 has one REST version; the header is accepted and reported like everywhere else. A
/// call without `ApiKey` is `400 Required header 'ApiKey' is missing.`, as at Altinn.
fn altinn_like(
    api: ApiName,
    title: &'static str,
    auth: AuthMode,
    public_paths: Vec<&'static str>,
) -> ApiSpec {
    ApiSpec {
        api,
        title,
        key_headers: vec![HeaderName::from_static("apikey")],
        key_header_label: "ApiKey",
        versions: VersionTable::new(
            VERSION_HEADER,
            vec![VersionSpec::new("1.0", auth, None)],
            Some("1.0"),
        ),
        missing_key: MissingKey::BadRequest,
        public_paths,
    }
}

/// The scope family of Altinn's service-owner API (`altinn:serviceowner/rolesandrights`, …).
pub const SERVICEOWNER_SCOPE: &str = "altinn:serviceowner";

pub fn all(config: &Config) -> Vec<(ApiSpec, &'static str)> {
    vec![
        (syntpop(&config.apis.syntpop), "/syntpop/api"),
        (
            // Altinn's service metadata needs no credentials.
            altinn_like(ApiName::Altinn, "Altinn API", AuthMode::ApiKey, vec!["/metadata"]),
            "/altinn/api",
        ),
        (
            altinn_like(
                ApiName::AltinnServiceowner,
                "Altinn service-owner API",
                // An organization's Maskinporten token beside the key.
                AuthMode::KeyAndBearer { scope: SERVICEOWNER_SCOPE.to_owned() },
                Vec::new(),
            ),
            "/altinn/api/serviceowner",
        ),
    ]
}

pub fn rate_defaults(config: &Config) -> std::collections::BTreeMap<ApiName, std::num::NonZeroU32> {
    [
        (ApiName::Syntpop, config.apis.syntpop.rate_limit),
        (ApiName::Altinn, config.apis.altinn.rate_limit),
        (ApiName::AltinnServiceowner, config.apis.altinn_serviceowner.rate_limit),
    ]
    .into_iter()
    .filter_map(|(api, rate)| Some((api, std::num::NonZeroU32::new(rate?)?)))
    .collect()
}
