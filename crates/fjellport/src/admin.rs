//! The admin API (`/admin/api/…`): keys today; clients and population join it. Protected by the
//! admin token (`Authorization: Bearer …`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use fjellport_api_issuer::token::ClientCache;
use fjellport_auth::Environment;
use fjellport_auth::apikey::{KeyRequest, KeyView};
use fjellport_auth::client_registry::{ClientRequest, ClientView, is_multi_tenant, tenancy};
use fjellport_clock::SharedClock;
use fjellport_gateway::extract::{Json, Path};
use fjellport_gateway::{KeyCache, Problem};
use fjellport_store::{ClientStore, KeyStore};
use http::header::{AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The hash of the admin token in force.
#[derive(Debug, Clone)]
pub(crate) struct AdminToken {
    pub(crate) hash: String,
}

/// What the admin API uses, and nothing more: the key and client stores, the caches it keeps
/// current, the clock, and the names of the issuers clients may be registered for.
pub(crate) struct AdminState {
    pub(crate) token: AdminToken,
    pub(crate) key_store: Arc<dyn KeyStore>,
    pub(crate) client_store: Arc<dyn ClientStore>,
    /// Refreshed after every key change, so the change counts from the next request.
    pub(crate) keys: KeyCache,
    /// Forgets a revoked client, so its revocation counts from the next token request.
    pub(crate) clients: Arc<ClientCache>,
    pub(crate) clock: SharedClock,
    pub(crate) environment: Environment,
    pub(crate) issuers: Vec<fjellport_auth::client_registry::KnownIssuer>,
}

impl std::fmt::Debug for AdminState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminState").field("issuers", &self.issuers).finish_non_exhaustive()
    }
}

pub(crate) fn router(state: Arc<AdminState>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_key, list_keys))
        .routes(routes!(get_key, revoke_key))
        .routes(routes!(create_client, list_clients))
        .routes(routes!(get_client, revoke_client))
        .layer(from_fn_with_state(state.clone(), require_admin))
        .with_state(state)
}

async fn require_admin(State(state): State<Arc<AdminState>>, req: Request, next: Next) -> Response {
    let presented = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    if fjellport_auth::secret::bearer_matches(presented, &state.token.hash) {
        return next.run(req).await;
    }
    Problem::new(StatusCode::UNAUTHORIZED, "admin-token-required", "Admin token required")
        .detail(
            "Send Authorization: Bearer <admin token> (printed at first start, or admin_token \
                 in the config).",
        )
        .header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"fjellport-admin\""))
        .into_response()
}

/// What a list may answer besides its success.
struct ListProblems;

impl utoipa::IntoResponses for ListProblems {
    fn responses()
    -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        fjellport_gateway::problem::problem_responses(&[("401", "No or wrong admin token")])
    }
}

/// What a read or a revocation may answer besides its success, all problem+json.
struct ReadProblems;

impl utoipa::IntoResponses for ReadProblems {
    fn responses()
    -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        fjellport_gateway::problem::problem_responses(&[
            ("401", "No or wrong admin token"),
            ("404", "No such key or client"),
        ])
    }
}

/// What a creation may answer besides its success, all problem+json.
struct WriteProblems;

impl utoipa::IntoResponses for WriteProblems {
    fn responses()
    -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        fjellport_gateway::problem::problem_responses(&[
            (
                "400",
                "A rule is broken, or the body is not the JSON described (`detail` says which)",
            ),
            ("401", "No or wrong admin token"),
            ("413", "Body over body_limit_bytes"),
            ("415", "Content-Type is not application/json"),
        ])
    }
}

/// A key to create; the same rules as `fjellport keys create`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateKey {
    /// The API the key is for.
    #[schema(pattern = "^(syntpop|altinn|altinn-serviceowner)$", example = "syntpop")]
    api: String,
    /// `browser` (bound to `origins`) or `other` (backends and scripts).
    #[serde(rename = "type")]
    #[schema(pattern = "^(browser|other)$", example = "other")]
    app_type: String,
    /// A browser key's origins (`scheme://host[:port]`, no path); none for `other`.
    #[serde(default)]
    #[schema(example = json!([]))]
    origins: Vec<String>,
    /// Who the key belongs to (reserved persons are the owner's); default `default`.
    #[schema(min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    owner: Option<String>,
    /// When the key stops working; must lie in the future.
    expires_at: Option<DateTime<Utc>>,
    /// Requests per second (default: the API's `rate_limit`, else none).
    #[schema(minimum = 1)]
    rate_limit: Option<u32>,
}

/// Creates a key; the answer holds its secret, shown this once.
#[utoipa::path(post, path = "/keys", tag = "admin", request_body = CreateKey, responses(
    (status = 201, description = "Created; `secret` is shown only now", body = KeyView),
    WriteProblems))]
async fn create_key(
    State(state): State<Arc<AdminState>>,
    Json(body): Json<CreateKey>,
) -> Result<Response, Problem> {
    let now = state.clock.now();
    let request = KeyRequest {
        api: body.api,
        app_type: body.app_type,
        origins: body.origins,
        owner: body.owner,
        expires_at: body.expires_at,
        rate_limit: body.rate_limit,
    };
    let (key, secret) = request
        .issue(state.environment, now)
        .map_err(|e| Problem::bad_request("invalid-key-request", e.to_string()))?;
    state.key_store.insert_key(&key).await?;
    refresh(&state.keys).await;
    let location = HeaderValue::from_str(&format!("/admin/api/keys/{}", key.id))
        .map_err(|_| Problem::internal("unrepresentable key id"))?;
    let view = KeyView::new(&key, now).with_secret(&secret);
    Ok((StatusCode::CREATED, [(LOCATION, location)], axum::Json(view)).into_response())
}

/// Lists every key (never their secrets).
#[utoipa::path(get, path = "/keys", tag = "admin", responses(
    (status = 200, description = "All keys", body = Vec<KeyView>), ListProblems))]
async fn list_keys(
    State(state): State<Arc<AdminState>>,
) -> Result<axum::Json<Vec<KeyView>>, Problem> {
    let now = state.clock.now();
    let keys = state.key_store.list_keys().await?;
    Ok(axum::Json(keys.iter().map(|k| KeyView::new(k, now)).collect()))
}

/// One key.
#[utoipa::path(get, path = "/keys/{id}", tag = "admin", params(("id" = String, Path)), responses(
    (status = 200, description = "The key", body = KeyView), ReadProblems))]
async fn get_key(
    State(state): State<Arc<AdminState>>,
    Path(id): Path<String>,
) -> Result<axum::Json<KeyView>, Problem> {
    let key = state.key_store.get_key(&id).await?;
    Ok(axum::Json(KeyView::new(&key, state.clock.now())))
}

/// Revokes a key, effective on the next request.
#[utoipa::path(delete, path = "/keys/{id}", tag = "admin", params(("id" = String, Path)), responses(
    (status = 200, description = "The revoked key", body = KeyView), ReadProblems))]
async fn revoke_key(
    State(state): State<Arc<AdminState>>,
    Path(id): Path<String>,
) -> Result<axum::Json<KeyView>, Problem> {
    let now = state.clock.now();
    let key = state.key_store.revoke_key(&id, now).await?;
    refresh(&state.keys).await;
    Ok(axum::Json(KeyView::new(&key, now)))
}

/// After a change made here, the hot path sees it before the answer leaves.
async fn refresh(keys: &KeyCache) {
    if let Err(err) = keys.reload().await {
        tracing::warn!(error = %err, "key cache reload failed; the poller will retry");
    }
}

/// A client to register; the same rules as `fjellport clients create`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) struct CreateClient {
    /// The client's public key (JWK) or keys (JWKS); absent for a public ID-porten client.
    #[schema(value_type = Option<Object>)]
    jwk: Option<serde_json::Value>,
    /// Scopes the issuer grants (its discovery document's `scopes_supported`).
    #[schema(min_items = 1, example = json!(["nhntsd:syntpop-api/full-access"]))]
    scopes: Vec<String>,
    /// One of the issuers this server runs: `helseid` (default), `maskinporten`, `idporten`.
    #[schema(pattern = "^(helseid|maskinporten|idporten)$")]
    issuer: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    client_name: Option<String>,
    /// A 9-digit organization number (mod 11).
    #[schema(pattern = "^[0-9]{9}$", example = "999888771")]
    orgnr_parent: Option<String>,
    #[schema(pattern = "^[0-9]{9}$")]
    orgnr_child: Option<String>,
    /// Whether tokens must be DPoP-bound (default true).
    dpop_bound_access_tokens: Option<bool>,
    /// `single-tenant` (default) or `multi-tenant` (HelseID: the client names the organization
    /// it acts for per token; `orgnr_parent` is then the supplier's own).
    #[schema(pattern = "^(single-tenant|multi-tenant)$")]
    client_tenancy: Option<String>,
    /// For a multi-tenant client: the organizations that delegated to its supplier (the parents
    /// it may name); absent or empty: any.
    delegations: Option<Vec<String>>,
    /// For an `idporten` client: the exact redirect URIs its logins may return to.
    redirect_uris: Option<Vec<String>>,
}

/// Registers a client (private_key_jwt: only public keys are kept).
#[utoipa::path(post, path = "/clients", tag = "admin", request_body = CreateClient, responses(
    (status = 201, description = "Registered", body = ClientView), WriteProblems))]
async fn create_client(
    State(state): State<Arc<AdminState>>,
    Json(body): Json<CreateClient>,
) -> Result<Response, Problem> {
    let asked = body.client_tenancy.as_deref().unwrap_or(tenancy(false));
    let multi_tenant = is_multi_tenant(asked).ok_or_else(|| {
        Problem::bad_request(
            "invalid-client-request",
            format!("client_tenancy {asked:?} is neither single-tenant nor multi-tenant"),
        )
    })?;
    let request = ClientRequest {
        multi_tenant,
        delegations: body.delegations.unwrap_or_default(),
        jwk: body.jwk.unwrap_or(serde_json::Value::Null),
        redirect_uris: body.redirect_uris.unwrap_or_default(),
        scopes: body.scopes,
        issuer: body.issuer.unwrap_or_else(|| "helseid".into()),
        name: body.client_name,
        orgnr_parent: body.orgnr_parent,
        orgnr_child: body.orgnr_child,
        dpop_bound: body.dpop_bound_access_tokens.unwrap_or(true),
    };
    let client = request
        .register(&state.issuers, state.clock.now())
        .map_err(|e| Problem::bad_request("invalid-client-request", e.to_string()))?;
    state.client_store.insert_client(&client).await?;
    let location = HeaderValue::from_str(&format!("/admin/api/clients/{}", client.client_id))
        .map_err(|_| Problem::internal("unrepresentable client id"))?;
    Ok((StatusCode::CREATED, [(LOCATION, location)], axum::Json(ClientView::from(&client)))
        .into_response())
}

/// Lists every client.
#[utoipa::path(get, path = "/clients", tag = "admin", responses(
    (status = 200, description = "All clients", body = Vec<ClientView>), ListProblems))]
async fn list_clients(
    State(state): State<Arc<AdminState>>,
) -> Result<axum::Json<Vec<ClientView>>, Problem> {
    Ok(axum::Json(state.client_store.list_clients().await?.iter().map(ClientView::from).collect()))
}

/// One client.
#[utoipa::path(get, path = "/clients/{client_id}", tag = "admin", params(("client_id" = String, Path)), responses(
    (status = 200, description = "The client", body = ClientView), ReadProblems))]
async fn get_client(
    State(state): State<Arc<AdminState>>,
    Path(client_id): Path<String>,
) -> Result<axum::Json<ClientView>, Problem> {
    Ok(axum::Json(ClientView::from(&state.client_store.get_client(&client_id).await?)))
}

/// Revokes a client: its next token request fails with `invalid_client` (tokens it holds stay
/// valid until they expire). Other replicas follow within 2 s.
#[utoipa::path(delete, path = "/clients/{client_id}", tag = "admin", params(("client_id" = String, Path)), responses(
    (status = 200, description = "The revoked client", body = ClientView), ReadProblems))]
async fn revoke_client(
    State(state): State<Arc<AdminState>>,
    Path(client_id): Path<String>,
) -> Result<axum::Json<ClientView>, Problem> {
    let client = state.client_store.revoke_client(&client_id, state.clock.now()).await?;
    state.clients.forget(&client_id);
    Ok(axum::Json(ClientView::from(&client)))
}
