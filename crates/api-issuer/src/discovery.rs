//! GET /<issuer>/.well-known/openid-configuration and …/jwks — OpenID Provider metadata and the
//! published signing keys (RFC 8414, RFC 7517).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::IssuerState;

/// The issuer's metadata.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "helseid",
    responses((status = 200, description = "OpenID Provider metadata", body = Object)))]
pub(crate) async fn get_openid_configuration(State(s): State<Arc<IssuerState>>) -> Json<Value> {
    Json(s.issuer.discovery(&s.scopes, &s.dpop_algs))
}

/// The issuer's public signing keys.
#[utoipa::path(get, path = "/.well-known/openid-configuration/jwks", tag = "helseid",
    responses((status = 200, description = "JSON Web Key Set", body = Object)))]
pub(crate) async fn get_jwks(State(s): State<Arc<IssuerState>>) -> Json<Value> {
    Json(s.issuer.jwks())
}
