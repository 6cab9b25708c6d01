//! What a service-owner call may do: the calling organization must own services in the
//! catalogue, and its token must carry the call's own scope (or the `altinn:serviceowner`
//! family), as Altinn checks them.

use fjellport_gateway::{Caller, Problem};
use http::StatusCode;
use http::header::WWW_AUTHENTICATE;

use crate::catalogue::Catalogue;

/// The calling organization's service-owner code, or 403.
pub(crate) fn owner_code(catalogue: &Catalogue, caller: &Caller) -> Result<String, Problem> {
    let org = caller.owner.as_deref().unwrap_or_default();
    catalogue.owner_by_orgnr(org).map(|o| o.code.clone()).ok_or_else(|| {
        Problem::new(StatusCode::FORBIDDEN, "not-a-service-owner", "Not a service owner").detail(
            format!(
                "Organization {org} owns no service in the catalogue (GET /altinn/api/metadata)."
            ),
        )
    })
}

/// Passes when the token has `scope` (or `altinn:serviceowner`); else Altinn's
/// `401 Claims Authorization failed: Missing required scope`.
pub(crate) fn require_scope(caller: &Caller, scope: &str) -> Result<(), Problem> {
    if caller.has_scope(scope) {
        return Ok(());
    }
    let challenge = format!(
        "Bearer realm=\"altinn-serviceowner\", error=\"insufficient_scope\", scope=\"{scope}\""
    );
    Err(Problem::new(StatusCode::UNAUTHORIZED, "insufficient-scope", "Missing required scope")
        .detail(format!(
            "Claims Authorization failed: Missing required scope: this call needs {scope} (or \
             altinn:serviceowner); the token has {}.",
            if caller.scopes.is_empty() { "none".to_owned() } else { caller.scopes.join(" ") }
        ))
        .reason("Claims Authorization failed: Missing required scope")
        .header(
            WWW_AUTHENTICATE,
            http::HeaderValue::from_str(&challenge)
                .unwrap_or(http::HeaderValue::from_static("Bearer")),
        ))
}
