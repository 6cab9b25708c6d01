//! Credentials: API keys (the Altinn model) today; the HelseID-style issuer and DPoP verification
//! join them here. No HTTP types: the gateway turns these errors into responses.

pub mod apikey;
pub mod client_auth;
pub mod client_registry;
pub mod dpop;
mod environment;
pub mod forge;
pub mod issuer;
pub mod jose;
pub mod nonce;
pub mod origin;
pub mod resource;
pub mod secret;
pub mod token;

pub use environment::Environment;
