//! `GET /altinn/api/serviceowner/notifications/validaterecipient` — may a recipient be reached,
//! and notified by SMS or e-mail? Altinn's rules: an organization is reachable when its number
//! is valid and it is in the Enhetsregister; a person when the number is valid, the first four
//! letters of `lastName` match, the person is alive, has an Altinn profile (every synthetic
//! person has one) and has not reserved themselves in the contact register (KRR). The SMS and
//! e-mail flags also need an address: KRR's for a person; the Enhetsregister's official contacts
//! for an organization, which the synthetic register does not hold (so false, documented).

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use fjellport_gateway::Problem;
use fjellport_gateway::input::{invalid, only_known, pairs};
use fjellport_nin::Nin;
use fjellport_nin::orgnr::OrgNumber;
use fjellport_population::Person;
use fjellport_store::PersonKey;
use serde_json::json;

use crate::AltinnState;

const KNOWN: [&str; 6] = [
    "organizationNumber",
    "socialSecurityNumber",
    "lastName",
    "serviceCode",
    "serviceEditionCode",
    "ForceEIAuthentication",
];

/// What the answer says of a recipient.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Reach {
    pub(crate) inbox: bool,
    pub(crate) sms: bool,
    pub(crate) email: bool,
}

/// The rule for a person (`None`: nobody has the number).
pub(crate) fn person_reach(person: Option<&Person>, last_name: &str) -> Reach {
    let Some(p) = person else { return Reach::default() };
    let family = p.current_name().map(|n| n.family_name.as_str()).unwrap_or_default();
    let krr = p.common_contact_register_information.as_ref();
    let reserved = krr.is_some_and(|k| k.reservation.eq_ignore_ascii_case("yes"));
    let inbox =
        crate::parties::same_start(family, last_name) && p.status() != "Deceased" && !reserved;
    let contact = krr.filter(|k| k.status == "Active").map(|k| &k.contact_information);
    Reach {
        inbox,
        sms: inbox
            && contact.is_some_and(|c| c.phone_number.as_deref().is_some_and(|n| !n.is_empty())),
        email: inbox && contact.is_some_and(|c| !c.email.is_empty()),
    }
}

/// Validates a notification recipient.
#[utoipa::path(get, path = "/notifications/validaterecipient", tag = "altinn-serviceowner",
    params(
        ("organizationNumber" = Option<String>, Query, description = "An organization (alone)"),
        ("socialSecurityNumber" = Option<String>, Query, description = "A person, with lastName"),
        ("lastName" = Option<String>, Query, description = "The person's last name (its first four letters are compared)"),
        ("serviceCode" = Option<String>, Query, description = "With serviceEditionCode"),
        ("serviceEditionCode" = Option<String>, Query, description = "With serviceCode"),
        ("ApiKey" = String, Header, description = "API key issued for the altinn-serviceowner API"),
        ("Authorization" = String, Header, description = "Bearer <the service owner's Maskinporten-like token>"),
    ),
    responses(crate::docs::Problems,
        (status = 200, description = "`{inboxAccessible, canReceiveNotificationBySms, canReceiveNotificationByEmail}`", body = Object),
        (status = 400, description = "Neither or both recipients, a person without lastName, a number that is not valid, a service code without its edition", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Missing key or organization token", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_validate_recipient(
    caller: fjellport_gateway::Caller,
    State(s): State<std::sync::Arc<AltinnState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    crate::owner_auth::require_scope(&caller, "altinn:serviceowner/notifications.read")?;
    let params = pairs(query.unwrap_or_default().as_bytes());
    only_known(&params, &KNOWN, "query parameter")?;
    let value = |name: &str| {
        params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    };
    match (value("serviceCode"), value("serviceEditionCode")) {
        (Some(_), None) => {
            return Err(invalid("serviceEditionCode", "serviceCode goes with serviceEditionCode"));
        }
        (None, Some(_)) => {
            return Err(invalid("serviceCode", "serviceEditionCode goes with serviceCode"));
        }
        _ => {}
    }
    let reach = match (value("organizationNumber"), value("socialSecurityNumber")) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "organizationNumber",
                "give organizationNumber alone, or socialSecurityNumber with lastName",
            ));
        }
        (None, None) => {
            return Err(invalid(
                "socialSecurityNumber",
                "give organizationNumber, or socialSecurityNumber with lastName",
            ));
        }
        (Some(orgnr), None) => {
            orgnr.parse::<OrgNumber>().map_err(|_| {
                invalid(
                    "organizationNumber",
                    format!("{orgnr:?} is not a valid organization number"),
                )
            })?;
            // No official contacts in the synthetic register: reachable, not notifiable.
            Reach { inbox: s.store.organization(orgnr).await?.is_some(), sms: false, email: false }
        }
        (None, Some(nin)) => {
            let last_name = value("lastName")
                .ok_or_else(|| invalid("lastName", "a person is validated with lastName"))?;
            nin.parse::<Nin>().map_err(|e| {
                invalid(
                    "socialSecurityNumber",
                    format!("{nin:?} is not a valid identity number: {e}"),
                )
            })?;
            let stored = s.store.person(PersonKey::Nin(nin)).await?;
            let person: Option<Person> =
                stored.as_ref().and_then(|p| serde_json::from_str(&p.row.doc).ok());
            person_reach(person.as_ref(), last_name)
        }
    };
    Ok(axum::Json(json!({
        "inboxAccessible": reach.inbox,
        "canReceiveNotificationBySms": reach.sms,
        "canReceiveNotificationByEmail": reach.email,
    }))
    .into_response())
}
