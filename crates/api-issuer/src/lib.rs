//! An embedded issuer's HTTP routes, mounted at `/<issuer>` (e.g. `/helseid`): its metadata,
//! keys and token endpoint where the real service has them (see [`Grant`]) and, in the test
//! environment only, `/test-token`.

mod code_grant;
mod discovery;
mod forms;
mod jwt_bearer;
mod login;
mod test_token;
pub mod token;

use std::sync::Arc;

use fjellport_auth::Environment;
use fjellport_auth::dpop::ProofPolicy;
use fjellport_auth::issuer::Issuer;
use fjellport_auth::nonce::NonceKey;
use fjellport_auth::profile::ClaimProfile;
use fjellport_auth::replay::ReplayCache;
use fjellport_clock::SharedClock;
use fjellport_store::Store;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How clients get tokens from an issuer, and where its endpoints are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// HelseID: `client_credentials` with `private_key_jwt` and DPoP at `/connect/token`;
    /// OpenID metadata at `/.well-known/openid-configuration` (keys under it, `/jwks`).
    ClientCredentials,
    /// Maskinporten: a JWT grant at `/token`; metadata at
    /// `/.well-known/oauth-authorization-server`, keys at `/jwk`.
    JwtBearer,
    /// ID-porten: end users log in at `/authorize` (authorization code with PKCE, a test login
    /// page) and clients redeem the code at `/token`; OpenID metadata at
    /// `/.well-known/openid-configuration`, keys at `/jwks.json`, and `/userinfo`.
    AuthorizationCode,
}

impl Grant {
    /// The token endpoint, under the issuer's prefix.
    pub fn token_path(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "/connect/token",
            Grant::JwtBearer | Grant::AuthorizationCode => "/token",
        }
    }

    /// The metadata document, under the issuer's prefix.
    pub fn discovery_path(self) -> &'static str {
        match self {
            Grant::JwtBearer => "/.well-known/oauth-authorization-server",
            Grant::ClientCredentials | Grant::AuthorizationCode => {
                "/.well-known/openid-configuration"
            }
        }
    }
}

/// What the issuer routes share.
#[derive(Debug, Clone)]
pub struct IssuerState {
    pub issuer: Arc<Issuer>,
    pub grant: Grant,
    /// How this issuer's tokens describe clients and which API a scope names.
    pub profile: Arc<dyn ClaimProfile>,
    pub clock: SharedClock,
    pub environment: Environment,
    /// Scopes the issuer advertises (and the test-token default, the first).
    pub scopes: Vec<&'static str>,
    pub dpop_algs: Vec<&'static str>,
    /// Where a test-token proof points by default (a DPoP-protected route).
    pub default_proof_uri: String,
    pub store: Arc<dyn Store>,
    pub nonces: Arc<NonceKey>,
    /// Single use of client-assertion and token-endpoint proof ids, on this node…
    pub replay: Arc<ReplayCache>,
    /// …and across replicas (PostgreSQL).
    pub shared_replay: Option<Arc<dyn fjellport_store::ReplayStore>>,
    pub proof_policy: ProofPolicy,
    /// Access-token lifetime in seconds.
    pub token_lifetime_secs: i64,
    /// Clients read in the last second (see [`token::ClientCache`]).
    pub clients: Arc<token::ClientCache>,
    /// The admin token's hash when the test-token service takes it (`None`: open, on a
    /// loopback-only listener).
    pub test_token_lock: Option<String>,
}

impl IssuerState {
    /// Where clients get tokens (the issuer identifier of Maskinporten ends in a slash).
    pub fn token_url(&self) -> String {
        format!("{}{}", self.issuer.url.trim_end_matches('/'), self.grant.token_path())
    }

    /// Where end users log in (authorization-code issuers).
    pub fn authorize_url(&self) -> String {
        format!("{}/authorize", self.issuer.url.trim_end_matches('/'))
    }
}

pub fn router(state: IssuerState) -> OpenApiRouter {
    let router = match state.grant {
        Grant::ClientCredentials => OpenApiRouter::new()
            .routes(routes!(discovery::get_openid_configuration))
            .routes(routes!(discovery::get_jwks))
            .routes(routes!(token::post_token)),
        Grant::JwtBearer => OpenApiRouter::new()
            .routes(routes!(jwt_bearer::get_metadata))
            .routes(routes!(jwt_bearer::get_jwk))
            .routes(routes!(jwt_bearer::post_token)),
        Grant::AuthorizationCode => OpenApiRouter::new()
            .routes(routes!(code_grant::get_openid_configuration))
            .routes(routes!(code_grant::get_jwks))
            .routes(routes!(login::get_authorize, login::post_authorize))
            .routes(routes!(code_grant::post_token))
            .routes(routes!(code_grant::get_userinfo, code_grant::post_userinfo)),
    };
    let router = if state.environment == Environment::Test {
        router.routes(routes!(test_token::create_test_token))
    } else {
        router
    };
    router.with_state(Arc::new(state))
}
