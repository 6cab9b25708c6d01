//! The web app's wiring: what its pages read (the population's facts), its registration as a
//! public OpenID Connect client of the ID-porten-like issuer, and the issuer's token endpoint
//! called in the process (the same handler, the same form and JSON a remote client sends).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use chrono::{DateTime, Utc};
use fjellport_store::{Store, StoreError, StoredClient};
use http::header::CONTENT_TYPE;
use tower::ServiceExt;

use crate::issuers::IssuerName;
use crate::state::AppState;

/// The largest token answer read back (a few kB in practice).
const ANSWER_LIMIT: usize = 64 * 1024;

/// Where the issuer sends the browser back after a login.
fn redirect_uri(public_url: &str) -> String {
    format!("{}/login/callback", public_url.trim_end_matches('/'))
}

/// The web app's client id for a public URL: one client per URL, so a database that several
/// servers (or one server under a new address) share keeps an exact redirect URI for each.
fn client_id(public_url: &str) -> String {
    let digest = fjellport_auth::secret::hash_secret(&redirect_uri(public_url));
    format!("fjellport-web-{}", &digest[..12])
}

/// Registers the web app with the ID-porten-like issuer unless it is registered already
/// (another replica may do the same at the same moment).
pub(crate) async fn register(
    store: &dyn Store,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = client_id(public_url);
    match store.get_client(&id).await {
        Ok(_) => return Ok(()),
        Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    let client = StoredClient {
        client_id: id,
        issuer: IssuerName::Idporten.as_str().to_owned(),
        name: "Fjellport's web app".into(),
        jwks: r#"{"keys":[]}"#.into(),
        scopes: vec!["openid".into(), "profile".into()],
        orgnr_parent: None,
        orgnr_child: None,
        dpop_bound: false,
        multi_tenant: false,
        delegations: Vec::new(),
        redirect_uris: vec![redirect_uri(public_url)],
        created_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
        revoked_at: None,
    };
    match store.insert_client(&client).await {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// What the pages need from the server.
pub(crate) fn state(state: &Arc<AppState>) -> fjellport_web::WebState {
    let public_url = state.config.public_url();
    let login = state.issuer(IssuerName::Idporten).map(|running| {
        let issuer_routes: Router =
            fjellport_api_issuer::router(crate::server::issuer_state(state, running))
                .split_for_parts()
                .0;
        fjellport_web::LoginClient {
            client_id: client_id(&public_url),
            issuer_url: running.issuer.url.clone(),
            authorize_path: format!("/{}/authorize", running.spec.name.as_str()),
            redirect_uri: redirect_uri(&public_url),
            exchange: exchange(issuer_routes, running.spec.grant.token_path()),
        }
    });
    let keys = state.keys.clone();
    let keys_changed: fjellport_web::KeysChanged = Arc::new(move || {
        let keys = keys.clone();
        Box::pin(async move {
            if let Err(err) = keys.reload().await {
                tracing::warn!(error = %err, "key cache reload failed; the poller will retry");
            }
        })
    });
    let clients = state.clients.clone();
    let client_revoked = Arc::new(move |id: &str| clients.forget(id));
    let syntpop_routes: Router =
        fjellport_api_syntpop::router(state.syntpop.clone()).split_for_parts().0;
    fjellport_web::WebState {
        syntpop: api_call(syntpop_routes, "syntpop"),
        altinn: state.issuer(IssuerName::Idporten).map(|_| {
            let routes: Router = fjellport_api_altinn::router(crate::server::altinn_state(state))
                .split_for_parts()
                .0;
            api_call(routes, "altinn")
        }),
        client_issuers: client_issuers(state),
        client_revoked,
        public_url: public_url.clone(),
        facts: facts(state),
        issuers: links(state),
        environment: state.config.environment,
        store: state.store.clone(),
        clock: state.clock.clone(),
        login,
        keys_changed,
        secure_cookie: public_url.starts_with("https://"),
    }
}

/// Posts the form to the issuer's token route and reads its JSON answer.
fn exchange(routes: Router, token_path: &'static str) -> fjellport_web::TokenExchange {
    Arc::new(move |form: String| {
        let routes = routes.clone();
        Box::pin(async move {
            let request = http::Request::post(token_path)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .map_err(|e| e.to_string())?;
            let answer = routes.oneshot(request).await.map_err(|e| e.to_string())?;
            let bytes = axum::body::to_bytes(answer.into_body(), ANSWER_LIMIT)
                .await
                .map_err(|e| e.to_string())?;
            serde_json::from_slice(&bytes).map_err(|e| format!("the token answer is not JSON: {e}"))
        })
    })
}

/// Calls an API's handlers in the process as `owner` (the caller the gateway would have
/// established for a key of that owner), and reads the JSON answer.
fn api_call(routes: Router, api: &'static str) -> fjellport_web::ApiCall {
    use fjellport_web::{ApiAnswer, ApiBody};
    Arc::new(move |call: fjellport_web::ApiRequest| {
        let routes = routes.clone();
        Box::pin(async move {
            let (content_type, body) = match call.body {
                ApiBody::None => (None, Body::empty()),
                ApiBody::Json(v) => (Some("application/json"), Body::from(v.to_string())),
                ApiBody::MergePatch(v) => {
                    (Some("application/merge-patch+json"), Body::from(v.to_string()))
                }
                ApiBody::Form(f) => (Some("application/x-www-form-urlencoded"), Body::from(f)),
            };
            let mut request = http::Request::builder().method(call.method).uri(&call.path);
            if let Some(ct) = content_type {
                request = request.header(CONTENT_TYPE, ct);
            }
            let mut request = request.body(body).map_err(|e| e.to_string())?;
            if let Some((pid, acr)) = call.login {
                request.extensions_mut().insert(fjellport_api_altinn::WebLogin { pid, acr });
            }
            request.extensions_mut().insert(fjellport_gateway::Caller {
                api,
                version: "1.0".into(),
                auth: "web",
                key_id: None,
                app_type: None,
                owner: Some(call.owner),
                client_id: None,
                scopes: Vec::new(),
            });
            let answer = routes.oneshot(request).await.map_err(|e| e.to_string())?;
            let status = answer.status().as_u16();
            let bytes = axum::body::to_bytes(answer.into_body(), API_ANSWER_LIMIT)
                .await
                .map_err(|e| e.to_string())?;
            let body = if bytes.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .map_err(|e| format!("the answer is not JSON: {e}"))?
            };
            Ok(ApiAnswer { status, body })
        })
    })
}

/// The largest API answer the pages read (a page of 20 persons, one person in full).
const API_ANSWER_LIMIT: usize = 4 * 1024 * 1024;

/// The population's size and day, read per request.
fn facts(state: &AppState) -> fjellport_web::ReadFacts {
    let (store, clock) = (state.store.clone(), state.clock.clone());
    Arc::new(move || {
        let (store, clock) = (store.clone(), clock.clone());
        Box::pin(async move {
            let persons = store.person_count(Some("TestNorge")).await.map_err(|e| e.to_string())?;
            let reserved = store.person_count(Some("Reserved")).await.map_err(|e| e.to_string())?;
            let day = crate::advance::population_day(store.as_ref())
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or_else(|| clock.now().date_naive());
            Ok(fjellport_web::Facts { persons, reserved, day })
        })
    })
}

/// The issuers whose clients organizations register on the Clients page: those for
/// machines (HelseID's client credentials, Maskinporten's JWT grant), not ID-porten's logins.
fn client_issuers(state: &AppState) -> Vec<fjellport_web::ClientIssuer> {
    use fjellport_api_issuer::Grant;
    state
        .issuers
        .iter()
        .filter(|i| i.spec.grant != Grant::AuthorizationCode)
        .map(|i| fjellport_web::ClientIssuer {
            name: i.spec.name.as_str(),
            title: i.spec.title.to_owned(),
            label: i.spec.title.split("-compatible").next().unwrap_or(i.spec.title).to_owned(),
            url: i.issuer.url.clone(),
            token_url: format!(
                "{}{}",
                i.issuer.url.trim_end_matches('/'),
                i.spec.grant.token_path()
            ),
            scopes: i.spec.scopes.clone(),
            grant_is_jwt_bearer: i.spec.grant == Grant::JwtBearer,
        })
        .collect()
}

/// Each issuer's metadata document, for the home page.
fn links(state: &AppState) -> Vec<fjellport_web::IssuerLink> {
    state
        .issuers
        .iter()
        .map(|i| fjellport_web::IssuerLink {
            discovery: format!("/{}{}", i.spec.name.as_str(), i.spec.grant.discovery_path()),
            label: format!("{} metadata", i.spec.name.as_str()),
            title: i.spec.title.to_owned(),
        })
        .collect()
}
