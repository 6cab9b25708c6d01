//! Service descriptions: `GET …svc?wsdl` (or `?singleWsdl`, the same single document with its
//! schemas inline) serves the committed WSDL with this server's address; a plain `GET` answers
//! a short page for people, as WCF does.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;

use super::{PREFIX, Service};
use crate::AltinnState;

/// What the committed WSDLs write where the service's address goes.
pub(super) const ADDRESS_PLACEHOLDER: &str = "{{ADDRESS}}";

/// The WSDL as served at `base` (the public URL).
pub(super) fn served(svc: &Service, base: &str) -> String {
    svc.wsdl.replace(ADDRESS_PLACEHOLDER, &format!("{base}{PREFIX}/{}", svc.path))
}

pub(super) fn describe(s: &AltinnState, svc: &Service, query: Option<&str>) -> Response {
    let q = query.unwrap_or_default();
    let wants = |name: &str| q.split('&').any(|p| p.eq_ignore_ascii_case(name));
    if wants("wsdl") || wants("singleWsdl") {
        return (
            StatusCode::OK,
            [(CONTENT_TYPE, "text/xml; charset=utf-8")],
            served(svc, &s.public_url),
        )
            .into_response();
    }
    let url = format!("{}{PREFIX}/{}", s.public_url, svc.path);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name}</title>\
         </head><body><h1>{name}</h1><p>A Fjellport test stand-in for Altinn's SOAP service \
         {name} ({version}). Its description: <a href=\"{url}?wsdl\">{url}?wsdl</a>.</p>\
         </body></html>",
        name = svc.name,
        version = svc.version,
    ))
    .into_response()
}
