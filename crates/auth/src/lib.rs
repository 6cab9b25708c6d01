//! Credentials and their rules: API keys (the Altinn model), JOSE, DPoP proofs (RFC 9449),
//! access tokens, the embedded issuer, client registration, private_key_jwt client
//! authentication and the authorization-code flow with PKCE. No HTTP types: the gateway and the issuer routes turn these errors into
//! responses.

pub mod apikey;
pub mod authorize;
pub mod client_auth;
pub mod client_registry;
pub mod dpop;
mod environment;
pub mod forge;
pub mod issuer;
pub mod jose;
pub mod jwt_grant;
pub mod key_wrap;
pub mod nonce;
pub mod origin;
pub mod profile;
pub mod replay;
pub mod resource;
pub mod secret;
pub mod token;
pub mod trust;

pub use environment::Environment;
