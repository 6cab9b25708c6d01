//! An embedded issuer's HTTP routes, mounted at `/<issuer>` (e.g. `/helseid`):
//! `/.well-known/openid-configuration`, `/.well-known/openid-configuration/jwks`,
//! `/connect/token` and, in the test
//! environment only, `/test-token`.

mod discovery;
mod jwt_bearer;
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
    };
    let router = if state.environment == Environment::Test {
        router.routes(routes!(test_token::create_test_token))
    } else {
        router
    };
    router.with_state(Arc::new(state))
}
