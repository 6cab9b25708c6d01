//! Plain records as the store keeps them. Typed validation (APIs, origins) lives in `auth`.

use chrono::{DateTime, Utc};

/// One API key. `secret_hash` is the only trace of the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub id: String,
    pub api: String,
    pub app_type: String,
    pub secret_hash: String,
    /// The secret's first characters, so an owner can tell keys apart without the secret.
    pub secret_hint: String,
    pub origins: Vec<String>,
    pub owner: String,
    pub rate_limit: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When a request last got through with the key (noted by the gateways, a few seconds
    /// late at most).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl StoredKey {
    /// Active = neither revoked nor expired at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|exp| now < exp)
    }
}

/// An OAuth client of an embedded issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClient {
    pub client_id: String,
    pub issuer: String,
    pub name: String,
    /// The client's public keys as a JWKS JSON document.
    pub jwks: String,
    pub scopes: Vec<String>,
    pub orgnr_parent: Option<String>,
    pub orgnr_child: Option<String>,
    pub dpop_bound: bool,
    /// HelseID multi-tenancy: the client names, per token, the organization it acts for;
    /// `orgnr_parent` is then the supplier's own organization.
    pub multi_tenant: bool,
    /// Organizations a multi-tenant client may act for (HelseID checks Altinn delegations);
    /// empty: any.
    pub delegations: Vec<String>,
    /// Where an ID-porten client's logins may return (exact URIs); empty for machine clients.
    pub redirect_uris: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// From then on the client gets no tokens.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl StoredClient {
    /// A public client (no registered key): it authenticates with PKCE alone.
    pub fn is_public(&self) -> bool {
        serde_json::from_str::<serde_json::Value>(&self.jwks)
            .ok()
            .and_then(|j| j.get("keys").and_then(|k| k.as_array()).map(Vec::is_empty))
            .unwrap_or(false)
    }
}

/// A person row: the JSON document and the columns searches and exports use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    pub id: String,
    pub nin: String,
    /// `TestNorge` or `Reserved`.
    pub origin: String,
    pub owner: Option<String>,
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub gender: String,
    pub status: String,
    pub municipality: Option<String>,
    pub postal_code: Option<String>,
    /// `NationalIdentityNumber` or `DNumber`.
    pub nin_type: String,
    pub marital_status: String,
    /// ISO 3166 alpha-3 of the current citizenship.
    pub citizenship: Option<String>,
    /// The current address's confidentiality.
    pub confidentiality: Option<String>,
    pub has_spouse: bool,
    /// Children currently related.
    pub children: i64,
    pub has_parents: bool,
    /// HPR number, when the person is health personnel.
    pub hpr_number: Option<String>,
    /// The HPR record as JSON.
    pub hpr_doc: Option<String>,
    pub is_gp: bool,
    /// HPR number of the person's GP (FLR), and since when (`YYYY-MM-DD`).
    pub gp_hpr: Option<String>,
    pub gp_since: Option<String>,
    pub doc: String,
}

impl PersonRow {
    /// The row of a person: its document and the facts searches filter on.
    pub fn of(p: &fjellport_population::Person, origin: &str, owner: Option<&str>) -> PersonRow {
        let name = p.current_name();
        let address = p.address();
        PersonRow {
            id: p.id.clone(),
            nin: p.nin().to_owned(),
            origin: origin.to_owned(),
            owner: owner.map(str::to_owned),
            given_name: name.map(|n| n.given_name.clone()).unwrap_or_default(),
            family_name: name.map(|n| n.family_name.clone()).unwrap_or_default(),
            birth_date: p.birth_date().to_owned(),
            gender: p.gender().to_owned(),
            status: p.status().to_owned(),
            municipality: address.map(|a| a.municipality_number.clone()),
            postal_code: address.map(|a| a.city.postal_code.clone()),
            nin_type: p.nin_type().to_owned(),
            marital_status: p.marital_status().to_owned(),
            citizenship: p.citizenship().map(str::to_owned),
            confidentiality: p.address_confidentiality().map(str::to_owned),
            has_spouse: p.has_spouse(),
            children: p.children() as i64,
            has_parents: p.has_parents(),
            hpr_number: None,
            hpr_doc: None,
            is_gp: false,
            gp_hpr: None,
            gp_since: None,
            doc: serde_json::to_string(p).unwrap_or_default(),
        }
    }

    /// Adds what the health registers hold about the person.
    pub fn with_registers(
        mut self,
        r: &fjellport_population::registers::PersonRegisters,
    ) -> PersonRow {
        self.hpr_number = r.hpr.as_ref().map(|h| h.hpr_number.clone());
        self.hpr_doc = r.hpr.as_ref().and_then(|h| serde_json::to_string(h).ok());
        self.is_gp = r.is_gp;
        self.gp_hpr = r.gp.clone();
        self.gp_since = r.gp_since.clone();
        self
    }
}

/// An organization row: the JSON document, its search columns and its roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRow {
    pub orgnr: String,
    pub name: String,
    pub form: String,
    pub industry: String,
    pub municipality: String,
    /// `(nin, role code)` for every role.
    pub roles: Vec<(String, String)>,
    pub doc: String,
}

impl OrganizationRow {
    pub fn of(o: &fjellport_population::organizations::Organization) -> OrganizationRow {
        OrganizationRow {
            orgnr: o.organization_number.clone(),
            name: o.name.clone(),
            form: o.organization_form.code.clone(),
            industry: o.industry_code.code.clone(),
            municipality: o.business_address.municipality_number.clone(),
            roles: o.roles.iter().map(|r| (r.nin.clone(), r.role.clone())).collect(),
            doc: serde_json::to_string(o).unwrap_or_default(),
        }
    }
}

/// An organization's register facts (what reportee lists show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationFacts {
    /// Load order (stable for a seed and size: the base of the organization's party id).
    pub seq: i64,
    pub orgnr: String,
    pub name: String,
    /// Organization form code (AS, ENK, …).
    pub form: String,
}

/// A role a person holds in an organization (Enhetsregisteret's code: DAGL, LEDE, INNH, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRole {
    pub organization: OrganizationFacts,
    pub role: String,
}

/// One entry of the Test-Norge event feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Strictly increasing.
    pub seq: i64,
    pub person_id: String,
    pub nin: String,
    /// A Persontjenesten event type (`PersonIsCreated`, `ChangeInResidentialAddress`, …).
    pub event_type: String,
    /// `YYYY-MM-DD`.
    pub occurred_on: String,
}

/// A day of life events, written all or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifeChanges {
    /// New Test-Norge persons (births).
    pub born: Vec<PersonRow>,
    /// Changed persons, each with the version it was read at.
    pub changed: Vec<(PersonRow, i64)>,
    /// Persons leaving their GP's list (deaths, emigration): ids.
    pub off_gp_lists: Vec<String>,
    /// `(person_id, nin, event_type)`, in order; numbered as they are appended.
    pub events: Vec<(String, String, String)>,
    /// The day simulated (`YYYY-MM-DD`): recorded as the population's day.
    pub day: String,
}

/// An identity number that is no longer free, and who took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenNin {
    pub nin: String,
    /// The owner who reserved it; `None` for a number a Test-Norge person holds.
    pub owner: Option<String>,
}

/// A stored person with its place in load order and its edit counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPerson {
    /// Load order; grows with every insert, so keyset paging on it is stable.
    pub seq: i64,
    /// Grows with every edit (optimistic concurrency).
    pub version: i64,
    /// `doc` is empty when the read asked for the columns only.
    pub row: PersonRow,
}

/// Which persons a search selects; every member narrows it (AND). Values are already valid:
/// the API layer checks them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFilter {
    /// Who is looking: Test-Norge persons and this owner's reserved persons are visible; `None`
    /// sees everything (operators, exports).
    pub visible_to: Option<String>,
    pub origin: Option<String>,
    pub gender: Option<String>,
    /// Inclusive `YYYY-MM-DD` bounds.
    pub birth_from: Option<String>,
    pub birth_to: Option<String>,
    /// Any of these (empty = no condition).
    pub statuses: Vec<String>,
    pub marital_statuses: Vec<String>,
    pub municipality: Option<String>,
    pub postal_code: Option<String>,
    pub citizenship: Option<String>,
    pub nin_type: Option<String>,
    pub confidentiality: Option<String>,
    pub has_spouse: Option<bool>,
    pub has_parents: Option<bool>,
    /// Inclusive bounds on the number of children.
    pub children_from: Option<i64>,
    pub children_to: Option<i64>,
    pub is_health_personnel: Option<bool>,
    pub is_gp: Option<bool>,
    pub has_gp: Option<bool>,
    /// Patients of this GP (HPR number).
    pub gp: Option<String>,
}

/// What the in-memory search index keeps of one person: the columns a search filters on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFacts {
    pub seq: i64,
    pub origin: String,
    pub owner: Option<String>,
    pub gender: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub status: String,
    pub marital_status: String,
    pub municipality: Option<String>,
    pub postal_code: Option<String>,
    pub citizenship: Option<String>,
    pub nin_type: String,
    pub confidentiality: Option<String>,
    pub has_spouse: bool,
    pub has_parents: bool,
    pub children: i64,
    /// Has an HPR number.
    pub health_personnel: bool,
    pub is_gp: bool,
    /// The HPR number of the person's GP.
    pub gp_hpr: Option<String>,
}

/// Where the person change log stands (see [`crate::PersonStore::person_marks`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonMarks {
    /// Grows with every bulk load (after which the log starts over).
    pub loads: i64,
    /// The stamp of the last change outside a load.
    pub stamp: i64,
}

/// One person a change touched: its facts now, or `None` when it is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonChange {
    pub stamp: i64,
    pub seq: i64,
    pub facts: Option<SearchFacts>,
}

/// One page of a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonPage {
    pub filter: PersonFilter,
    /// Keyset position: results come strictly after `(rank, seq)`.
    pub after: Option<(i64, i64)>,
    pub limit: i64,
    /// Orders by a seeded shuffle instead of load order (a reproducible random sample).
    pub shuffle_seed: Option<i64>,
    /// Also read each document (slower; `false` leaves `doc` empty).
    pub with_doc: bool,
    /// Also count what this filter selects, in the same round trip.
    pub count_also: Option<PersonFilter>,
}

/// A page of a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchHits {
    /// `(rank, person)` in page order.
    pub hits: Vec<(i64, StoredPerson)>,
    /// What `count_also` selects — known only when the page has a row to carry it.
    pub also_counted: Option<i64>,
}

/// A seeded shuffle ranks each person by `(seq * m + o) mod P`, with `P` prime and `m`, `o`
/// drawn from the seed: a different bijection for every seed, cheap to compute in SQL for
/// every match and identical in both dialects (no overflow while `seq` stays below 2^31: the
/// product stays below 2^63).
pub(crate) const SHUFFLE_MODULUS: i64 = 4_294_967_311;

/// The multiplier and offset of a seed's shuffle (splitmix64 of the seed).
pub(crate) fn shuffle_params(seed: i64) -> (i64, i64) {
    let mut z = (seed as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let p = SHUFFLE_MODULUS as u64;
    ((1 + z % (p - 1)) as i64, ((z >> 32) % p) as i64)
}

/// A person's rank in the shuffle of `seed` (what the SQL computes).
pub fn shuffle_rank(seq: i64, seed: i64) -> i64 {
    let (m, o) = shuffle_params(seed);
    (seq * m + o).rem_euclid(SHUFFLE_MODULUS)
}

pub(crate) fn to_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_secs(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A message in Altinn's message box (a correspondence from a service owner, for now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The database's sequence number; the wire id is `a<seq>`.
    pub seq: i64,
    /// `Correspondence` or `FormTask`.
    pub kind: String,
    /// The identity number or organization number it is for.
    pub reportee: String,
    /// The service owner's code (`SKD`) and name (`Skatteetaten`).
    pub service_owner: String,
    pub service_owner_name: String,
    pub service_code: String,
    pub service_edition: i64,
    pub subject: String,
    /// Altinn's status text: `Ulest`, `Lest`, `Arkivert`, `Slettet`, …
    pub status: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_changed_at: i64,
    pub last_changed_by: String,
    pub confirmation_needed: bool,
    pub confirmed_at: Option<i64>,
    /// Everything else (summary, body, sender, reply options) as JSON.
    pub doc: String,
    /// The sender's own reference (SOAP's `ExternalShipmentReference`).
    pub senders_reference: Option<String>,
    /// When recipients first see it (SOAP's `VisibleDateTime`); `None`: at once.
    pub visible_at: Option<i64>,
}

/// A service owner's look-up of what it sent (SOAP status details and history), oldest
/// first. Every given member must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnerMessageQuery {
    pub service_owner: String,
    pub kind: Option<String>,
    pub service_code: Option<String>,
    pub service_edition: Option<i64>,
    pub reportee: Option<String>,
    /// Any of these references (empty: any message).
    pub senders_references: Vec<String>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub limit: i64,
}

/// One of an organization's notification addresses (Altinn profile): an e-mail address or a
/// mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNotificationAddress {
    pub id: i64,
    pub orgnr: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    /// Who registered it (the person's name).
    pub created_by: String,
    pub created_at: i64,
}

/// A registered SOAP system (`fjellport altinn systems create`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSystem {
    /// `systemUserName`, what the system logs in with.
    pub user_name: String,
    /// Hex SHA-256 of the generated password.
    pub password_hash: String,
    /// `ServiceOwner` or `EndUserSystem`.
    pub kind: String,
    /// The service owner's code, or the end-user system's name.
    pub owner: String,
    /// `<CODE>_<NAME>`, Altinn's `SystemUserCode`.
    pub system_user_code: String,
    pub created_at: i64,
}

/// A list member a message query may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageField {
    ServiceOwner,
    ServiceCode,
    ServiceEdition,
    Status,
    Type,
    Subject,
    /// Unix seconds.
    LastChanged,
    Created,
}

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A value compared with: text, or a whole number (editions, instants in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageValue {
    Text(String),
    Int(i64),
}

/// One page of a reportee's messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageQuery {
    pub reportee: String,
    /// The trash (`Slettet`) instead of everything else.
    pub trashed: bool,
    /// Only messages visible at this instant (a recipient's box); `None`: all (a sender's).
    pub visible_at: Option<i64>,
    /// Only these services (a user whose roles cover some); `None`: all.
    pub service_codes: Option<Vec<String>>,
    /// All must hold (OData `and`).
    pub conditions: Vec<(MessageField, Comparison, MessageValue)>,
    pub skip: i64,
    pub limit: i64,
}

/// An entry of the service owners' event feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvent {
    pub seq: i64,
    /// `CorrespondenceCreated`, `CorrespondenceRead`, `CorrespondenceConfirmed`,
    /// `CorrespondenceArchived`, `CorrespondenceDeleted`.
    pub event_type: String,
    pub message_seq: i64,
    pub reportee: String,
    pub service_owner: String,
    pub service_code: String,
    pub service_edition: i64,
    pub created_at: i64,
}
