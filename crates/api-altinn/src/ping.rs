//! GET /altinn/api/ping and /altinn/api/serviceowner/ping — who called (key, API, version).

use axum::Json;
use fjellport_gateway::Caller;

/// Echoes the caller the gateway admitted.
#[utoipa::path(
    get,
    path = "/ping",
    tag = "altinn",
    params(("ApiKey" = String, Header, description = "API key issued for the altinn API")),
    responses(crate::docs::Problems,
        (status = 200, description = "The caller", body = Caller),
        (status = 400, description = "Required header 'ApiKey' is missing.", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, expired or revoked key", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Key of another API, or origin not allowed", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_ping(caller: Caller) -> Json<Caller> {
    Json(caller)
}

/// Echoes the caller the gateway admitted.
#[utoipa::path(
    get,
    path = "/ping",
    tag = "altinn-serviceowner",
    params(
        ("ApiKey" = String, Header, description = "API key issued for the altinn-serviceowner API"),
        ("Authorization" = String, Header, description = "Bearer <the organization's Maskinporten-like token, scope altinn:serviceowner/…>"),
    ),
    responses(crate::docs::Problems,
        (status = 200, description = "The caller: owner is the token's organization", body = Caller),
        (status = 400, description = "Required header 'ApiKey' is missing.", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, expired or revoked key; or Authorization failed: no valid organization token", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Key of another API, origin not allowed, or a token without a service-owner scope", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_serviceowner_ping(caller: Caller) -> Json<Caller> {
    Json(caller)
}
