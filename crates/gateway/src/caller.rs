//! Who called: what the gateway established, for handlers and logs.

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::Serialize;

use crate::problem::Problem;

/// Set by the gateway on every request it lets through.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    pub api: &'static str,
    pub version: String,
    /// How the caller authenticated: `apiKey`, `dpop`, `apiKey+bearer`, `none` (a public
    /// path), or `web` (the web app, for a logged-in person acting as `owner`).
    pub auth: &'static str,
    pub key_id: Option<String>,
    #[serde(rename = "type")]
    pub app_type: Option<&'static str>,
    pub owner: Option<String>,
    pub client_id: Option<String>,
    /// The access token's scopes (Bearer callers), for calls that each need their own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

impl Caller {
    /// Whether the token has `scope` or the family it belongs to (`altinn:serviceowner` covers
    /// `altinn:serviceowner/reportees`).
    pub fn has_scope(&self, scope: &str) -> bool {
        let family = scope.split_once('/').map(|(f, _)| f);
        self.scopes.iter().any(|s| s == scope || Some(s.as_str()) == family)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            Problem::internal("route is not behind the API gateway (no caller established)")
        })
    }
}
