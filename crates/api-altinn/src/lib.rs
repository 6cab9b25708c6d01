//! The Altinn-style APIs' HTTP handlers: end-user REST at `/altinn/api`, service-owner REST at
//! `/altinn/api/serviceowner`, each behind its own gateway (keys are per API).

mod authorization;
mod cache;
pub mod catalogue;
mod contacts;
pub mod correspondence;
mod docs;
mod element_parts;
mod enduser;
mod enduser_reportees;
mod feed;
mod form_schemas;
mod messages;
mod metadata;
mod metadata_views;
mod notification_addresses;
pub mod odata;
mod owner_auth;
mod parties;
mod ping;
pub mod portal_login;
mod recipients;
mod reportees;
mod roles;
pub mod soap;
mod submissions;
pub mod xml_check;

pub use cache::MailboxCache;
pub use enduser::{EndUserAuth, WebLogin};

use std::sync::Arc;

use fjellport_clock::SharedClock;
use fjellport_store::Store;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the Altinn handlers share.
#[derive(Debug, Clone)]
pub struct AltinnState {
    pub store: Arc<dyn Store>,
    /// The external base URL, for `_links`.
    pub public_url: String,
    pub clock: SharedClock,
    /// How end users log in (`None`: no end-user calls).
    pub enduser: Option<Arc<EndUserAuth>>,
    /// Reportees and message pages in memory (one per API, shared by its handlers).
    pub cache: Arc<MailboxCache>,
    /// The service owners and their services.
    pub catalogue: Arc<catalogue::Catalogue>,
}

impl AltinnState {
    pub(crate) fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }
}

/// End-user API routes.
pub fn router(state: AltinnState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(ping::get_ping))
        .routes(routes!(metadata::get_metadata))
        .routes(routes!(metadata_views::get_formtask))
        .routes(routes!(metadata_views::get_form_schema))
        .routes(routes!(metadata_views::get_correspondence))
        .routes(routes!(metadata_views::get_role_requirements))
        .routes(routes!(metadata_views::get_code_lists))
        .routes(routes!(metadata_views::get_code_list))
        .routes(routes!(enduser::post_authenticate_with_password))
        .routes(routes!(enduser_reportees::get_reportees))
        .routes(routes!(enduser_reportees::get_reportee))
        .routes(routes!(enduser_reportees::post_reportee_conversion))
        .routes(routes!(enduser_reportees::get_organizations))
        .routes(routes!(enduser_reportees::get_organization))
        .routes(routes!(enduser_reportees::get_my_profile))
        .routes(routes!(enduser_reportees::get_organization_profile))
        .routes(routes!(
            notification_addresses::get_contact_information,
            notification_addresses::post_contact_information
        ))
        .routes(routes!(
            notification_addresses::get_one_contact_information,
            notification_addresses::delete_contact_information
        ))
        .routes(routes!(messages::get_messages, submissions::post_message))
        .routes(routes!(messages::get_trashbin))
        .routes(routes!(messages::get_message, messages::delete_message, submissions::put_message))
        .routes(routes!(submissions::get_forms, element_parts::post_form))
        .routes(routes!(submissions::get_form, element_parts::delete_form))
        .routes(routes!(submissions::get_form_data))
        .routes(routes!(submissions::get_attachments, element_parts::post_attachment))
        .routes(routes!(submissions::get_attachment, element_parts::delete_attachment))
        .routes(routes!(element_parts::post_streamed_attachment))
        .routes(routes!(submissions::get_validate))
        .routes(routes!(authorization::get_roles))
        .routes(routes!(authorization::get_rights))
        .routes(routes!(authorization::get_role_definitions))
        .routes(routes!(authorization::get_metadata_role_definitions))
        .routes(routes!(messages::put_confirm))
        .routes(routes!(messages::put_archive))
        .with_state(Arc::new(state))
}

/// Service-owner API routes.
pub fn serviceowner_router(state: AltinnState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(ping::get_serviceowner_ping))
        .routes(routes!(reportees::get_reportees))
        .routes(routes!(recipients::get_validate_recipient))
        .routes(routes!(contacts::get_organization))
        .routes(routes!(contacts::get_personal_contacts))
        .routes(routes!(contacts::get_personal_contact_roles))
        .routes(routes!(feed::get_feed))
        .routes(routes!(authorization::get_serviceowner_roles))
        .routes(routes!(authorization::get_serviceowner_rights))
        .routes(routes!(authorization::get_official_contacts))
        .with_state(Arc::new(state))
}

/// Plain JSON unless the caller asks for HAL (Altinn answers both).
pub(crate) fn hal(headers: &http::HeaderMap, body: serde_json::Value) -> axum::response::Response {
    hal_text(headers, body.to_string())
}

/// [`hal`] for a body already written out.
pub(crate) fn hal_text(
    headers: &http::HeaderMap,
    body: impl Into<axum::body::Body>,
) -> axum::response::Response {
    let wants_hal = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.to_ascii_lowercase().contains("application/hal+json"));
    let ct = if wants_hal { "application/hal+json" } else { "application/json" };
    use axum::response::IntoResponse;
    ([(http::header::CONTENT_TYPE, ct)], body.into()).into_response()
}
