//! `GET /altinn/api/metadata` — every service of the catalogue, without credentials (as at
//! Altinn: `/api/metadata` takes no key and no token; CORS still follows the browser keys).

use axum::extract::State;
use axum::response::Response;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::{AltinnState, hal};

/// The service catalogue.
#[utoipa::path(get, path = "/metadata", tag = "altinn",
    responses(crate::docs::Problems, (status = 200, description = "`_embedded.metadata[{ServiceOwnerCode, ServiceOwnerName, ServiceName, ServiceCode, ServiceEditionCode, ServiceType (FormTask|Correspondence), _links.self}]`; the default catalogue is synthetic (codes are this stand-in's own)", body = Object)))]
pub(crate) async fn get_metadata(
    State(s): State<std::sync::Arc<AltinnState>>,
    headers: HeaderMap,
) -> Response {
    let base = format!("{}/altinn/api/metadata", s.public_url);
    let services: Vec<Value> =
        s.catalogue.services.iter().map(|svc| crate::metadata_views::summary(&s, svc)).collect();
    hal(&headers, json!({"_links": {"self": {"href": base}}, "_embedded": {"metadata": services}}))
}
