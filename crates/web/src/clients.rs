//! `/clients`: an organization's HelseID and Maskinporten clients, registered with the same
//! rules as `fjellport clients create` and the admin API ([`ClientRequest::register`]). The
//! public key is pasted, or made in the browser (the private key is downloaded there and never
//! sent); the page then shows the client id and a ready-to-run snippet.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use fjellport_auth::client_registry::{ClientRequest, ClientView, KnownIssuer};
use fjellport_store::StoreError;
use http::{HeaderMap, StatusCode};

use crate::owners::{self, Owner};
use crate::page::{Chrome, html_status, message, outage, see_other};
use crate::session::{self, Session, User};
use crate::snippets;
use crate::{ClientIssuer, WebState};

const PATH: &str = "/clients";

#[derive(Debug, Clone, Default)]
struct ClientForm {
    issuer: String,
    owner: String,
    name: String,
    jwk: String,
    scopes: Vec<String>,
}

/// A client registered just now, and how to use it.
struct Registered {
    client_id: String,
    issuer_title: String,
    issuer_url: String,
    python: String,
    curl: String,
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage<'a> {
    chrome: Chrome,
    issuers: &'a [ClientIssuer],
    clients: Vec<ClientView>,
    /// The person's organizations (clients belong to one).
    owners: Vec<Owner>,
    form: ClientForm,
    errors: BTreeMap<&'static str, String>,
    registered: Option<Registered>,
}

impl ClientsPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn chosen(&self, scope: &str) -> bool {
        self.form.scopes.iter().any(|s| s == scope)
    }

    fn issuer_title<'b>(&'b self, name: &'b str) -> &'b str {
        self.issuers.iter().find(|i| i.name == name).map(|i| i.label.as_str()).unwrap_or(name)
    }
}

async fn organizations(state: &WebState, user: &User) -> Result<Vec<Owner>, StoreError> {
    Ok(owners::of(state, user).await?.into_iter().filter(|o| o.is_organization).collect())
}

async fn render(
    state: &WebState,
    session: &Session,
    user: &User,
    form: ClientForm,
    errors: BTreeMap<&'static str, String>,
    registered: Option<Registered>,
) -> Response {
    let owners = match organizations(state, user).await {
        Ok(o) => o,
        Err(e) => return outage(&e),
    };
    let mut clients: Vec<ClientView> = match state.store.list_clients().await {
        Ok(all) => all
            .iter()
            .filter(|c| state.client_issuers.iter().any(|i| i.name == c.issuer))
            .filter(|c| c.orgnr_parent.as_deref().is_some_and(|o| owners::includes(&owners, o)))
            .map(ClientView::from)
            .collect(),
        Err(e) => return outage(&e),
    };
    clients.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.client_id.cmp(&a.client_id)));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = ClientsPage {
        chrome: Chrome::new("clients", PATH, Some(session)),
        issuers: &state.client_issuers,
        clients,
        owners,
        form,
        errors,
        registered,
    };
    html_status(status, page.render())
}

/// `GET /clients`.
pub(crate) async fn page(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let (session, user) = match session::logged_in(&state, &headers, PATH).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let issuer = state.client_issuers.first().map(|i| i.name.to_owned()).unwrap_or_default();
    let form = ClientForm { issuer, ..ClientForm::default() };
    render(&state, &session, &user, form, BTreeMap::new(), None).await
}

/// `POST /clients`: registers a client.
pub(crate) async fn create(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let owners::Acting { session, user, form: posted, mut owners } =
        match owners::posted(&state, &headers, &body).await {
            Ok(a) => a,
            Err(answer) => return answer,
        };
    owners.retain(|o| o.is_organization);
    let form = ClientForm {
        issuer: posted.get("issuer").unwrap_or_default().to_owned(),
        owner: posted.get("owner").unwrap_or_default().to_owned(),
        name: posted.get("name").unwrap_or_default().to_owned(),
        jwk: posted.get("jwk").unwrap_or_default().to_owned(),
        scopes: posted.all("scopes").into_iter().map(str::to_owned).collect(),
    };
    match register(&state, &form, &owners).await {
        Ok(done) => {
            tracing::info!(client = %done.client_id, owner = %form.owner, "web: client registered");
            let fresh = ClientForm { issuer: form.issuer, ..ClientForm::default() };
            render(&state, &session, &user, fresh, BTreeMap::new(), Some(done)).await
        }
        Err(Refused::Fields(errors)) => render(&state, &session, &user, form, errors, None).await,
        Err(Refused::Store(e)) => outage(&e),
    }
}

enum Refused {
    Fields(BTreeMap<&'static str, String>),
    Store(StoreError),
}

async fn register(
    state: &WebState,
    form: &ClientForm,
    owners: &[Owner],
) -> Result<Registered, Refused> {
    let mut errors = BTreeMap::new();
    let Some(issuer) = state.client_issuers.iter().find(|i| i.name == form.issuer) else {
        errors.insert("issuer", "Choose HelseID or Maskinporten.".to_owned());
        return Err(Refused::Fields(errors));
    };
    if !owners::includes(owners, &form.owner) {
        errors.insert("owner", "Choose one of the organizations you hold a role in.".into());
    }
    let jwk = match form.jwk.as_str() {
        "" => serde_json::Value::Null,
        text => match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                errors.insert("jwk", format!("This is not JSON: {e}."));
                serde_json::Value::Null
            }
        },
    };
    let request = ClientRequest {
        jwk,
        scopes: form.scopes.clone(),
        issuer: issuer.name.to_owned(),
        name: (!form.name.is_empty()).then(|| form.name.clone()),
        orgnr_parent: Some(form.owner.clone()),
        orgnr_child: None,
        dpop_bound: true,
        multi_tenant: false,
        delegations: Vec::new(),
        redirect_uris: Vec::new(),
    };
    let known = [KnownIssuer { name: issuer.name, scopes: issuer.scopes.clone() }];
    let client = match request.register(&known, state.clock.now()) {
        Ok(c) if errors.is_empty() => c,
        Ok(_) => return Err(Refused::Fields(errors)),
        Err(e) => {
            errors.entry(e.field()).or_insert_with(|| crate::page::sentence(&e.to_string()));
            return Err(Refused::Fields(errors));
        }
    };
    state.store.insert_client(&client).await.map_err(Refused::Store)?;
    Ok(Registered {
        python: snippets::python(state, issuer, &client),
        curl: snippets::curl(state, issuer, &client),
        client_id: client.client_id,
        issuer_title: issuer.title.clone(),
        issuer_url: issuer.url.clone(),
    })
}

/// `POST /clients/{id}/revoke`.
pub(crate) async fn revoke(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let owners::Acting { session, mut owners, .. } =
        match owners::posted(&state, &headers, &body).await {
            Ok(a) => a,
            Err(answer) => return answer,
        };
    owners.retain(|o| o.is_organization);
    let yours = |c: &fjellport_store::StoredClient| {
        state.client_issuers.iter().any(|i| i.name == c.issuer)
            && c.orgnr_parent.as_deref().is_some_and(|o| owners::includes(&owners, o))
    };
    match state.store.get_client(&id).await {
        Ok(c) if yours(&c) => {}
        Ok(_) | Err(StoreError::NotFound { .. }) => {
            return message(
                StatusCode::NOT_FOUND,
                Some(&session),
                "No such client",
                "None of your organizations' clients has this id; nothing was revoked.",
            );
        }
        Err(e) => return outage(&e),
    }
    if let Err(e) = state.store.revoke_client(&id, state.clock.now()).await {
        return outage(&e);
    }
    (state.client_revoked)(&id);
    tracing::info!(client = %id, "web: client revoked");
    see_other(PATH, None)
}
