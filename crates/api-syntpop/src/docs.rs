//! The OpenAPI description of the SyntPop calls: request and answer shapes, parameters and
//! errors. These types exist for the document only; handlers read and write JSON member by
//! member so that every error can name its member.

#![allow(dead_code)] // fields are read by the OpenAPI derive, never by code

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::openapi::{RefOr, Response};
use utoipa::{IntoParams, IntoResponses, ToSchema};

/// A person in Persontjenesten's `Person` shape: `id` plus the information parts asked for
/// (lists of items with FREG metadata: `isValid`, `registeredAt`, `source`, `validFrom`,
/// `validTo`). Only current items unless `includeHistory=true`.
#[derive(Serialize, ToSchema)]
#[schema(as = Person)]
pub(crate) struct PersonDoc {
    /// Opaque id (not an identity number).
    id: String,
}

/// Persontjenesten's information parts, and `All`.
#[derive(Serialize, ToSchema)]
pub(crate) enum InformationPart {
    All,
    AddressProtection,
    CitizenshipRetention,
    ResidentialAddress,
    UseOfSamiLanguage,
    SharedResidence,
    Death,
    FalseIdentity,
    FamilyRelation,
    Birth,
    BirthInNorway,
    ParentalResponsibility,
    SamiParliamentElectoralRegistryStatus,
    NorwegianIdentificationNumber,
    IdentityVerification,
    ImmigrationToNorway,
    Gender,
    ResiduaryEstateContactInformation,
    IdentificationDocument,
    Name,
    ResidencePermit,
    StayOnSvalbard,
    PresentAddress,
    PostalAddress,
    ForeignPostalAddress,
    PreferredContactAddress,
    MaritalStatus,
    Citizenship,
    Status,
    ForeignPersonIdentificationNumber,
    EmigrationFromNorway,
    ImmigrationAuthoritiesIdentificationNumber,
    GuardianshipOrFuturePowerOfAttorney,
    DeprivedLegalAuthority,
    CommonContactRegisterInformation,
    LegalAuthority,
}

/// Which parts of a person to return (required on person reads).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(non_snake_case)]
pub(crate) struct ViewParams {
    /// Repeat for several parts; `All` for every part.
    #[param(required = true, style = Form, explode = true, inline)]
    informationParts: Vec<InformationPart>,
    /// Also return ended items (default false: current items only).
    includeHistory: Option<bool>,
}

/// Which parts `fields: full` results carry (default All).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(non_snake_case)]
pub(crate) struct SearchViewParams {
    /// For `fields: full` results; repeat for several parts (default `All`).
    #[param(style = Form, explode = true, inline)]
    informationParts: Option<Vec<InformationPart>>,
    /// For `fields: full` results: also return ended items.
    includeHistory: Option<bool>,
}

/// Paging of a list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// `ids`, `summary` (default) or `full`.
    #[param(pattern = "^(ids|summary|full)$")]
    fields: Option<String>,
}

/// How the caller authenticates (the gateway checks these).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(crate) struct AuthHeaders {
    /// `0.1` (the default), `0.2` or `1.0`.
    #[param(rename = "X-api-version")]
    version: Option<String>,
    /// API key (versions 0.1 and 0.2); `X-Syntpop-apikey` is accepted too.
    #[param(rename = "X-api-key")]
    key: Option<String>,
    /// `DPoP <access token>` (version 1.0).
    #[param(rename = "Authorization")]
    authorization: Option<String>,
    /// The DPoP proof (version 1.0).
    #[param(rename = "DPoP")]
    dpop: Option<String>,
}

/// Form body of `get-by-nin`.
#[derive(Serialize, ToSchema)]
pub(crate) struct NinForm {
    /// Identity number: fødselsnummer, D-, H- or FH-number.
    #[schema(pattern = "^[0-9]{11}$")]
    nin: String,
}

/// Form body of `bulk-by-id`: the field repeated, 1–100 times.
#[derive(Serialize, ToSchema)]
#[allow(non_snake_case)]
pub(crate) struct IdsForm {
    #[schema(min_items = 1, max_items = 100, inline)]
    personIds: Vec<PersonId>,
}

/// An opaque person id.
#[derive(Serialize, ToSchema)]
#[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
pub(crate) struct PersonId(String);

/// Form body of `bulk-by-nin`: the field repeated, 1–100 times.
#[derive(Serialize, ToSchema)]
pub(crate) struct NinsForm {
    #[schema(min_items = 1, max_items = 100)]
    nins: Vec<String>,
}

/// A bulk answer: persons in the order asked, and what was not found.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkResult {
    persons: Vec<PersonDoc>,
    /// Ids or numbers with no person visible to you.
    not_found: Vec<String>,
}

/// Search filters (all optional, combined with AND) and paging. Unknown members are refused.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchRequest {
    #[schema(pattern = "^(TestNorge|Reserved)$")]
    origin: Option<String>,
    #[schema(pattern = "^(Female|Male)$")]
    gender: Option<String>,
    /// Whole years, by the server's clock.
    #[schema(minimum = 0, maximum = 150)]
    age_from: Option<i64>,
    #[schema(minimum = 0, maximum = 150)]
    age_to: Option<i64>,
    #[schema(format = Date)]
    birth_date_from: Option<String>,
    #[schema(format = Date)]
    birth_date_to: Option<String>,
    /// Any of these Persontjenesten statuses.
    status: Option<Vec<String>>,
    /// Any of these marital statuses.
    marital_status: Option<Vec<String>>,
    #[schema(pattern = "^[0-9]{4}$")]
    municipality_number: Option<String>,
    #[schema(pattern = "^[0-9]{4}$")]
    postal_code: Option<String>,
    /// ISO 3166 alpha-3.
    #[schema(pattern = "^[A-Z]{3}$")]
    citizenship: Option<String>,
    #[schema(pattern = "^(NationalIdentityNumber|DNumber)$")]
    identification_number_type: Option<String>,
    #[schema(pattern = "^(Unclassified|ClientAddress|Confidential|StrictlyConfidential)$")]
    address_confidentiality: Option<String>,
    has_spouse: Option<bool>,
    has_children: Option<bool>,
    has_parents: Option<bool>,
    #[schema(minimum = 0, maximum = 100)]
    children_from: Option<i64>,
    #[schema(minimum = 0, maximum = 100)]
    children_to: Option<i64>,
    is_deceased: Option<bool>,
    /// Holds an HPR authorization.
    is_health_personnel: Option<bool>,
    /// Is a GP (fastlege) with a patient list.
    is_general_practitioner: Option<bool>,
    /// Is on a GP's list.
    has_general_practitioner: Option<bool>,
    /// 1–1000, default 100.
    #[schema(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// `nextCursor` of the previous page of the same search.
    cursor: Option<String>,
    /// A random sample of the matches instead of load order.
    random: Option<bool>,
    /// With `random`: the same seed gives the same sample.
    seed: Option<i64>,
    /// `ids`, `summary` (default) or `full`.
    #[schema(pattern = "^(ids|summary|full)$")]
    fields: Option<String>,
}

/// One page of persons.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchPage {
    /// All matches, not just this page.
    total_count: i64,
    /// `{id}`, a summary, or a Person, as `fields` asked.
    results: Vec<serde_json::Value>,
    /// Pass back as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
    /// The seed of a random sample (to repeat it).
    seed: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MatchCount {
    match_count: i64,
}

/// A reservation template: what the new person should be like (all optional).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReservationTemplate {
    name: Option<TemplateName>,
    #[schema(pattern = "^(Female|Male)$")]
    gender: Option<String>,
    birth: Option<TemplateBirth>,
    /// An age range instead of a birth date.
    #[schema(minimum = 0, maximum = 120)]
    age_from: Option<i64>,
    #[schema(minimum = 0, maximum = 120)]
    age_to: Option<i64>,
    /// A real municipality number.
    #[schema(pattern = "^[0-9]{4}$")]
    municipality_number: Option<String>,
    /// Unmarried, Married, RegisteredPartner, Separated, SeparatedPartner, Divorced,
    /// DivorcedPartner or WidowOrWidower.
    marital_status: Option<String>,
    /// Also reserve a spouse (married, same address).
    with_spouse: Option<bool>,
    /// Also reserve this many children (same address; the person must be 20 or older).
    #[schema(minimum = 0, maximum = 10)]
    children: Option<i64>,
    /// `DNumber` for a foreign citizen with a D-number.
    #[schema(pattern = "^(NationalIdentityNumber|DNumber)$")]
    identification_number_type: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateName {
    given_name: Option<String>,
    middle_name: Option<String>,
    family_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateBirth {
    #[schema(format = Date)]
    birth_date: Option<String>,
}

/// A JSON merge patch (RFC 7386) of a reserved person: each member patches the current item
/// of that part (`null` removes a member); metadata is set by the server. Changing a part
/// ends its current item (kept as history) and starts a new one today.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PersonPatch {
    /// `{givenName, middleName, familyName}`.
    name: Option<serde_json::Value>,
    /// `{streetAddress: {addressName, addressNumber: {houseNumber, houseLetter}, city:
    /// {cityName, postalCode}, municipalityNumber}, addressConfidentiality, moveDate}`.
    residential_address: Option<serde_json::Value>,
    /// `{status, relatedByMaritalStatus}`: marrying one of your reserved persons, or divorcing,
    /// changes both sides.
    marital_status: Option<serde_json::Value>,
    /// `{status}` (not Deceased: use `death`).
    status: Option<serde_json::Value>,
    /// `{deceasedDate}`; `null` undoes a death. A spouse you own becomes a widow(er).
    death: Option<serde_json::Value>,
    /// KRR: `{reservation, status, notificationStatus, contactInformation: {email}, language}`.
    common_contact_register_information: Option<serde_json::Value>,
}

/// A health-personnel record (HPR).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HprRecord {
    hpr_number: String,
    person_id: String,
    nin: String,
    given_name: String,
    family_name: String,
    /// `{category (HPR code, e.g. LE), categoryName, validFrom, status}`.
    authorizations: Vec<serde_json::Value>,
    specialities: Option<Vec<String>>,
    /// A GP's practice municipality.
    gp_municipality_number: Option<String>,
}

/// A person's GP (FLR).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PatientGp {
    nin: String,
    person_id: String,
    /// The GP's HPR number, or empty.
    gp_hpr_nr: Vec<String>,
    /// `{hprNumber, givenName, familyName, municipalityNumber}`, or null.
    general_practitioner: Option<serde_json::Value>,
    on_list_since: Option<String>,
}

/// Where to read the event feed from.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(non_snake_case)]
pub(crate) struct EventParams {
    /// First sequence number to return (inclusive; default 1).
    #[param(minimum = 1)]
    sequenceNumber: Option<i64>,
    /// Only these event types (repeat the parameter).
    #[param(style = Form, explode = true)]
    eventTypes: Option<Vec<String>>,
    /// 1–1000 (default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// One event (Persontjenesten's `EventDocument`, with the v3 `nin`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventDoc {
    /// Strictly increasing, as a string (upstream's type).
    sequence_number: String,
    person_id: String,
    event_type: String,
    nin: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EventPage {
    results: Vec<EventDoc>,
}

/// The errors every SyntPop call may answer, all RFC 9457 problem+json.
pub(crate) struct Problems;

impl IntoResponses for Problems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        fjellport_gateway::problem::problem_responses(&[
            (
                "400",
                "Bad input (the problem's `member` names it), unknown version, or malformed header",
            ),
            ("401", "Missing, unknown, expired or revoked key; or a bad DPoP token or proof"),
            (
                "403",
                "Key of another API, origin not allowed, or a write to a read-only Test-Norge person",
            ),
            ("404", "No such person visible to you"),
            ("409", "A concurrent change, or no identity number left for that birth date"),
            ("410", "Version past its sunset"),
            ("415", "Wrong Content-Type"),
            ("429", "Rate limit exceeded"),
        ])
    }
}
