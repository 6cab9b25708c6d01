//! The Altinn-style APIs' HTTP handlers: end-user REST at `/altinn/api`, service-owner REST at
//! `/altinn/api/serviceowner`, each behind its own gateway (keys are per API).

mod ping;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// End-user API routes.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(ping::get_ping))
}

/// Service-owner API routes.
pub fn serviceowner_router() -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(ping::get_serviceowner_ping))
}
