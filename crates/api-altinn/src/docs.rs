//! The errors every Altinn call may answer, for the OpenAPI document (all problem+json; the
//! calls' own descriptions, where they give one, say more).

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::{RefOr, Response};

pub(crate) struct Problems;

impl IntoResponses for Problems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        fjellport_gateway::problem::problem_responses(&[
            (
                "400",
                "Bad input (the problem's `member` names it): a malformed who, id, parameter or body; or a missing ApiKey (`Required header 'ApiKey' is missing.`)",
            ),
            (
                "401",
                "Not authenticated (WWW-Authenticate: Bearer), or a token without the call's scope (`Claims Authorization failed: Missing required scope`)",
            ),
            (
                "403",
                "A key of another API, an origin not allowed, a reportee the user may not act for, or a service the caller has no right to",
            ),
            ("404", "No such resource visible to the caller"),
            ("409", "A concurrent change, or an element that can no longer change"),
            ("413", "The body is larger than the server accepts"),
            ("415", "Wrong Content-Type"),
            ("429", "Rate limit exceeded"),
        ])
    }
}
