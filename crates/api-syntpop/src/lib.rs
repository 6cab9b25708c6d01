//! The SyntPop API's HTTP handlers (mounted at `/syntpop/api`, behind the gateway).

mod ping;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every SyntPop route, with its OpenAPI description.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(ping::get_ping))
}
