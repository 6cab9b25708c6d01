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

/// A logged-in form POST (its CSRF token checked) and whom the person may act for.
pub(crate) struct Acting {
    pub session: crate::session::Session,
    pub user: User,
    pub form: crate::page::Form,
    pub owners: Vec<Owner>,
}

/// [`crate::session::posted`], with the person's possible owners; the answer to give instead
/// when the POST is refused or the store fails.
pub(crate) async fn posted(
    state: &WebState,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Acting, axum::response::Response> {
    let (session, user, form) = crate::session::posted(state, headers, body).await?;
    let owners = listed(state, &user).await?;
    Ok(Acting { session, user, form, owners })
}

/// [`of`], with a store failure as the page that says so.
pub(crate) async fn listed(
    state: &WebState,
    user: &User,
) -> Result<Vec<Owner>, axum::response::Response> {
    of(state, user).await.map_err(|e| crate::page::outage(&e))
}
