//! Parties and reportees: whom a logged-in person may act for, and how `{who}` in a path names
//! one of them. A person's reportees are themselves (their own affairs, Altinn's PRIV) and every
//! organization where they hold a role in the synthetic Enhetsregister (DAGL, LEDE, INNH and the
//! rest: Altinn gives ER role holders the organization as a reportee). Party ids (`r…`) are this
//! stand-in's own, stable for a seed and size: persons from 50 000 000, organizations from
//! 80 000 000, plus their load order.

use std::collections::BTreeMap;

use fjellport_gateway::Problem;
use fjellport_gateway::input::invalid;
use fjellport_nin::orgnr::OrgNumber;
use fjellport_store::{OrganizationFacts, PersonStore, Result as StoreResult, StoredPerson};
use http::StatusCode;
use serde_json::{Value, json};

const PERSON_PARTY_BASE: i64 = 50_000_000;
const ORGANIZATION_PARTY_BASE: i64 = 80_000_000;

/// A person's party id (`r…`) from their load order.
pub(crate) fn person_party(seq: i64) -> String {
    format!("r{}", PERSON_PARTY_BASE + seq)
}

fn organization_party(seq: i64) -> String {
    format!("r{}", ORGANIZATION_PARTY_BASE + seq)
}

/// Whom a reportee is.
#[derive(Debug, Clone)]
pub(crate) enum Party {
    Person { nin: String, family_name: String },
    Organization(OrganizationFacts),
}

/// One party a user may act for, and the roles that let them.
#[derive(Debug, Clone)]
pub(crate) struct Reportee {
    pub id: String,
    pub name: String,
    pub party: Party,
    /// The Enhetsregister roles the user holds there, or `PRIV` for the user themselves.
    pub roles: Vec<String>,
}

impl Reportee {
    /// The organization number, or the person's identity number.
    pub(crate) fn number(&self) -> &str {
        match &self.party {
            Party::Person { nin, .. } => nin,
            Party::Organization(o) => &o.orgnr,
        }
    }

    pub(crate) fn is_organization(&self) -> bool {
        matches!(self.party, Party::Organization(_))
    }

    /// The reportee as Altinn's end-user API shows it, with its links under `api` (the API's
    /// base URL).
    pub(crate) fn to_json(&self, api: &str) -> Value {
        let mut v = match &self.party {
            Party::Person { nin, .. } => json!({"ReporteeId": self.id, "Name": self.name,
                                            "Type": "Person", "SocialSecurityNumber": nin}),
            Party::Organization(o) => json!({"ReporteeId": self.id, "Name": self.name,
                "Type": "Foretak", "OrganizationNumber": o.orgnr, "OrganizationForm": o.form,
                "Status": "Active"}),
        };
        v["_links"] = json!({"self": {"href": format!("{api}/reportees/{}", self.id)},
                             "messages": {"href": format!("{api}/{}/messages", self.id)}});
        v
    }
}

/// The user's reportees: themselves first, then each organization where they hold a role, by
/// organization number.
pub(crate) async fn reportees_of(
    store: &(impl PersonStore + fjellport_store::OrganizationStore + ?Sized),
    user: &StoredPerson,
) -> StoreResult<Vec<Reportee>> {
    let own = Reportee {
        id: person_party(user.seq),
        name: format!("{} {}", user.row.given_name, user.row.family_name).to_uppercase(),
        party: Party::Person {
            nin: user.row.nin.clone(),
            family_name: user.row.family_name.clone(),
        },
        roles: vec!["PRIV".into()],
    };
    let mut orgs: BTreeMap<String, Reportee> = BTreeMap::new();
    for held in store.roles_of(&user.row.nin).await? {
        let o = held.organization;
        orgs.entry(o.orgnr.clone())
            .or_insert_with(|| Reportee {
                id: organization_party(o.seq),
                name: o.name.to_uppercase(),
                party: Party::Organization(o.clone()),
                roles: Vec::new(),
            })
            .roles
            .push(held.role);
    }
    Ok(std::iter::once(own).chain(orgs.into_values()).collect())
}

/// Altinn's name check: the first four letters agree, whatever their case.
pub(crate) fn same_start(a: &str, b: &str) -> bool {
    let start = |s: &str| s.trim().chars().take(4).flat_map(char::to_lowercase).collect::<String>();
    !a.trim().is_empty() && start(a) == start(b)
}

/// What a `{who}` path segment names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who<'a> {
    /// The user themselves.
    My,
    Organization(&'a str),
    /// A reportee id, `r` and digits.
    Party(&'a str),
}

/// Reads `{who}`: `my`, an organization number or a reportee id; anything else is 400.
pub(crate) fn parse_who(who: &str) -> Result<Who<'_>, Problem> {
    if who.eq_ignore_ascii_case("my") {
        return Ok(Who::My);
    }
    if who.len() == 9 && who.bytes().all(|b| b.is_ascii_digit()) {
        who.parse::<OrgNumber>().map_err(|_| {
            invalid("who", format!("{who:?} is not a valid organization number (mod 11)"))
        })?;
        return Ok(Who::Organization(who));
    }
    if let Some(digits) = who.strip_prefix('r').or_else(|| who.strip_prefix('R'))
        && !digits.is_empty()
        && digits.len() <= 12
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(Who::Party(who));
    }
    Err(invalid(
        "who",
        format!(
            "{who:?} names no reportee: use my, an organization number (9 digits) or a reportee \
             id (r and digits, from GET reportees)"
        ),
    ))
}

/// The reportee `who` names among `reportees`, or 403 when the user may not act for it.
pub(crate) fn resolve<'r>(reportees: &'r [Reportee], who: &str) -> Result<&'r Reportee, Problem> {
    let found = match parse_who(who)? {
        Who::My => reportees.first(),
        Who::Organization(orgnr) => {
            reportees.iter().find(|r| r.is_organization() && r.number() == orgnr)
        }
        Who::Party(id) => reportees.iter().find(|r| r.id.eq_ignore_ascii_case(id)),
    };
    found.ok_or_else(|| {
        Problem::new(StatusCode::FORBIDDEN, "not-a-reportee", "Not a reportee of the user")
            .detail(format!(
                "The logged-in user may not act for {who}: it is not among their reportees \
                 (GET /altinn/api/reportees lists them)."
            ))
            .reason("Forbidden")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_is_my_an_organization_number_or_a_reportee_id() {
        assert_eq!(parse_who("my").unwrap(), Who::My);
        assert_eq!(parse_who("974760673").unwrap(), Who::Organization("974760673"));
        assert_eq!(parse_who("r50000001").unwrap(), Who::Party("r50000001"));
        for bad in ["974760674", "me", "r", "rabc", "12345678901", "", "r1234567890123"] {
            let p = parse_who(bad).unwrap_err();
            assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}
