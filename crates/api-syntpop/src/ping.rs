//! GET /syntpop/api/ping — who called, as the gateway established it (key, API, version).

use axum::Json;
use fjellport_gateway::Caller;

/// Echoes the caller the gateway admitted: a smoke test for keys, versions and DPoP.
#[utoipa::path(
    get,
    path = "/ping",
    tag = "syntpop",
    params(
        ("X-api-version" = Option<String>, Header, description = "0.1 (default), 0.2 or 1.0"),
        ("X-api-key" = Option<String>, Header, description = "API key (versions 0.1 and 0.2)"),
    ),
    responses(
        (status = 200, description = "The caller", body = Caller),
        (status = 400, description = "Unknown version or malformed header", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown, expired or revoked key", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Key of another API, or origin not allowed", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 410, description = "Version past its sunset", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_ping(caller: Caller) -> Json<Caller> {
    Json(caller)
}
