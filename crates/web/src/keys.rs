//! `/keys`: the API keys of the logged-in person and of the organizations they act for; a
//! form that orders a new one with the same rules as `fjellport keys create` and the admin
//! API ([`KeyRequest::issue`]), its secret shown once; and "Revoke".

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use fjellport_auth::apikey::{ApiName, AppType, KeyRequest, KeyView};
use fjellport_store::StoreError;
use http::{HeaderMap, StatusCode};

use crate::WebState;
use crate::owners::{self, Owner};
use crate::page::{Chrome, html_status, message, outage, see_other};
use crate::session::{self, Session, User};

const PATH: &str = "/keys";

/// What the form holds (typed in, or chosen).
#[derive(Debug, Clone, Default)]
struct KeyForm {
    api: String,
    app_type: String,
    origins: String,
    expires: String,
    rate_limit: String,
    owner: String,
    declared: bool,
}

/// A key created just now: its secret, shown this once.
struct Created {
    id: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyView>,
    owners: Vec<Owner>,
    form: KeyForm,
    errors: BTreeMap<&'static str, String>,
    created: Option<Created>,
    /// `(value, label)` of the API and application-type choices.
    apis: Vec<(&'static str, &'static str)>,
    types: Vec<(&'static str, &'static str)>,
}

impl KeysPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// The owner's label, for the list.
    fn owner_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.owners.iter().find(|o| o.id == id).map(|o| o.label.as_str()).unwrap_or(id)
    }
}

fn type_label(t: AppType) -> &'static str {
    match t {
        AppType::Browser => "Nettleserapplikasjon (browser)",
        AppType::Other => "Annet (other)",
    }
}

async fn render(
    state: &WebState,
    session: &Session,
    user: &User,
    form: KeyForm,
    errors: BTreeMap<&'static str, String>,
    created: Option<Created>,
) -> Response {
    let owners = match owners::of(state, user).await {
        Ok(o) => o,
        Err(e) => return outage(&e),
    };
    let now = state.clock.now();
    let mut keys: Vec<KeyView> = match state.store.list_keys().await {
        Ok(keys) => keys
            .iter()
            .filter(|k| owners::includes(&owners, &k.owner))
            .map(|k| KeyView::new(k, now))
            .collect(),
        Err(e) => return outage(&e),
    };
    keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = KeysPage {
        chrome: Chrome::new("keys", PATH, Some(session)),
        keys,
        owners,
        form,
        errors,
        created,
        apis: ApiName::ALL.iter().map(|a| (a.as_str(), a.title())).collect(),
        types: AppType::ALL.iter().map(|t| (t.as_str(), type_label(*t))).collect(),
    };
    html_status(status, page.render())
}

/// `GET /keys`.
pub(crate) async fn page(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let (session, user) = match session::logged_in(&state, &headers, PATH).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let form = KeyForm { api: "syntpop".into(), app_type: "other".into(), ..KeyForm::default() };
    render(&state, &session, &user, form, BTreeMap::new(), None).await
}

/// `POST /keys`: orders a key.
pub(crate) async fn create(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let owners::Acting { session, user, form: posted, owners } =
        match owners::posted(&state, &headers, &body).await {
            Ok(a) => a,
            Err(answer) => return answer,
        };
    let form = KeyForm {
        api: posted.get("api").unwrap_or_default().to_owned(),
        app_type: posted.get("type").unwrap_or_default().to_owned(),
        origins: posted.get("origins").unwrap_or_default().to_owned(),
        expires: posted.get("expires").unwrap_or_default().to_owned(),
        rate_limit: posted.get("rate_limit").unwrap_or_default().to_owned(),
        owner: posted.get("owner").unwrap_or_default().to_owned(),
        declared: posted.get("self_declaration").is_some(),
    };
    match order(&state, &form, &owners).await {
        Ok(created) => {
            state.refresh_keys().await;
            tracing::info!(key = %created.id, owner = %form.owner, "web: API key created");
            let fresh = KeyForm { api: form.api, app_type: form.app_type, ..KeyForm::default() };
            render(&state, &session, &user, fresh, BTreeMap::new(), Some(created)).await
        }
        Err(Refused::Fields(errors)) => render(&state, &session, &user, form, errors, None).await,
        Err(Refused::Store(e)) => outage(&e),
    }
}

enum Refused {
    /// Field → what is wrong with it.
    Fields(BTreeMap<&'static str, String>),
    Store(StoreError),
}

/// Checks the form (the owner must be the person or one of their organizations; Altinn keys
/// need the self-declaration; the rest is [`KeyRequest::issue`]) and stores the key.
async fn order(state: &WebState, form: &KeyForm, owners: &[Owner]) -> Result<Created, Refused> {
    let mut errors = BTreeMap::new();
    if !owners::includes(owners, &form.owner) {
        errors.insert("owner", "Choose yourself or one of the organizations you act for.".into());
    }
    if let Ok(api) = form.api.parse::<ApiName>()
        && api.needs_self_declaration()
        && !form.declared
    {
        errors.insert(
            "self_declaration",
            "An Altinn key is ordered with the self-declaration: tick it to confirm.".into(),
        );
    }
    let expires_at = match form.expires.as_str() {
        "" => None,
        day => match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            // The key works through the whole of that day (UTC).
            Ok(d) => {
                d.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default()).and_utc().into()
            }
            Err(_) => {
                errors.insert("expires", format!("{day:?} is not a date (YYYY-MM-DD)."));
                None
            }
        },
    };
    let rate_limit = match form.rate_limit.as_str() {
        "" => None,
        n => match n.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.insert(
                    "rate_limit",
                    format!("{n:?} is not a whole number of requests per second."),
                );
                None
            }
        },
    };
    let request = KeyRequest {
        api: form.api.clone(),
        app_type: form.app_type.clone(),
        origins: form
            .origins
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        owner: Some(form.owner.clone()),
        expires_at,
        rate_limit,
    };
    let issued = request.issue(state.environment, state.clock.now());
    let (key, secret) = match issued {
        Ok(minted) if errors.is_empty() => minted,
        Ok(_) => return Err(Refused::Fields(errors)),
        Err(e) => {
            errors.entry(e.field()).or_insert_with(|| crate::page::sentence(&e.to_string()));
            return Err(Refused::Fields(errors));
        }
    };
    state.store.insert_key(&key).await.map_err(Refused::Store)?;
    Ok(Created { id: key.id, secret: secret.expose().to_owned() })
}

/// `POST /keys/{id}/revoke`.
pub(crate) async fn revoke(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let owners::Acting { session, owners, .. } = match owners::posted(&state, &headers, &body).await
    {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let not_yours = || {
        message(
            StatusCode::NOT_FOUND,
            Some(&session),
            "No such key",
            "None of your keys (or your organizations') has this id; nothing was revoked.",
        )
    };
    match state.store.get_key(&id).await {
        Ok(key) if owners::includes(&owners, &key.owner) => {}
        Ok(_) | Err(StoreError::NotFound { .. }) => return not_yours(),
        Err(e) => return outage(&e),
    }
    if let Err(e) = state.store.revoke_key(&id, state.clock.now()).await {
        return outage(&e);
    }
    state.refresh_keys().await;
    tracing::info!(key = %id, "web: API key revoked");
    see_other(PATH, None)
}
