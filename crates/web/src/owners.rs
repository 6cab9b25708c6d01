//! Who a logged-in person may act for: themselves and, as in Altinn, every organization in
//! which the population gives them a role. Keys, clients and reserved persons are owned by
//! the person's identity number or an organization's number.

use fjellport_store::StoreError;

use crate::WebState;
use crate::session::User;

/// One possible owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    /// The identity number or organization number.
    pub id: String,
    /// How the form shows it.
    pub label: String,
    pub is_organization: bool,
}

/// The person first, then their organizations by number.
pub(crate) async fn of(state: &WebState, user: &User) -> Result<Vec<Owner>, StoreError> {
    let mut owners = vec![Owner {
        id: user.pid.clone(),
        label: format!("{} (you, {})", user.name, user.pid),
        is_organization: false,
    }];
    // orgnr → (name, form, roles), by number.
    let mut orgs: std::collections::BTreeMap<String, (String, String, Vec<String>)> =
        std::collections::BTreeMap::new();
    for held in state.store.roles_of(&user.pid).await? {
        let o = held.organization;
        let entry = orgs.entry(o.orgnr).or_insert_with(|| (o.name, o.form, Vec::new()));
        if !entry.2.contains(&held.role) {
            entry.2.push(held.role);
        }
    }
    owners.extend(orgs.into_iter().map(|(orgnr, (name, form, roles))| Owner {
        label: format!("{name} ({form} {orgnr}, roles {})", roles.join(", ")),
        id: orgnr,
        is_organization: true,
    }));
    Ok(owners)
}

/// Is `id` one of `owners`?
pub(crate) fn includes(owners: &[Owner], id: &str) -> bool {
    owners.iter().any(|o| o.id == id)
}
