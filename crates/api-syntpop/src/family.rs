//! Keeping both sides of a family link consistent when a reserved person changes or goes.

use fjellport_gateway::Problem;
use fjellport_nin::Date;
use fjellport_population::Person;
use fjellport_store::{PersonKey, StoredPerson};

use crate::State;
use crate::reserved::parse_person;

/// Numbers of everyone `p` is currently linked to (family relations and marriage).
pub(crate) fn related_nins(p: &Person) -> Vec<String> {
    let mut out: Vec<String> = p
        .family_relation
        .iter()
        .filter(|r| r.meta.is_valid)
        .map(|r| r.related_person.clone())
        .chain(
            p.marital_status
                .iter()
                .filter(|m| m.meta.is_valid)
                .filter_map(|m| m.related_by_marital_status.clone()),
        )
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The caller's own reserved person with number `nin`, parsed, if there is one.
pub(crate) async fn owned_relative(
    state: &State,
    owner: &str,
    nin: &str,
) -> Result<Option<(StoredPerson, Person)>, Problem> {
    match state.store.person(PersonKey::Nin(nin)).await? {
        Some(s) if s.row.origin == "Reserved" && s.row.owner.as_deref() == Some(owner) => {
            let p = parse_person(&s)?;
            Ok(Some((s, p)))
        }
        _ => Ok(None),
    }
}

/// Ends `p`'s current family relations and parental responsibilities that involve `nin`.
pub(crate) fn end_links_to(p: &mut Person, nin: &str, on: Date) {
    for r in p.family_relation.iter_mut().filter(|r| r.meta.is_valid && r.related_person == nin) {
        r.meta.end(on);
    }
    for r in p
        .parental_responsibility
        .iter_mut()
        .filter(|r| r.meta.is_valid && (r.responsible == nin || r.subject_of_responsibility == nin))
    {
        r.meta.end(on);
    }
}
