//! The self-service web app at `/`: a home page for newcomers, logging in as a synthetic
//! person through the ID-porten-like issuer, and the pages where they order API keys. Pages
//! are rendered on the server and work without JavaScript (the little there is copies
//! secrets and makes key pairs in the browser); assets are served from the binary.
//!
//! The app holds no rules of its own: it calls the same store and domain functions as the
//! APIs and the CLI ([`fjellport_auth::apikey::KeyRequest::issue`], …).

mod altinn;
mod api;
mod assets;
mod clients;
mod events;
mod home;
mod keys;
mod login;
mod owners;
mod page;
mod person;
mod persons;
mod reserve;
mod session;
mod snippets;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use fjellport_auth::Environment;
use fjellport_clock::SharedClock;
use fjellport_store::Store;

/// What the home page tells about the running server, read for every request.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Test-Norge persons.
    pub persons: i64,
    /// Reserved persons (every owner's).
    pub reserved: i64,
    /// The population's own calendar day (moved by `population advance`).
    pub day: chrono::NaiveDate,
}

/// A boxed future, for the hooks the server wires in.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Reads the [`Facts`]; an error is shown as "not available" (the page still renders).
pub type ReadFacts = Arc<dyn Fn() -> BoxFuture<Result<Facts, String>> + Send + Sync>;

/// Posts a form (`application/x-www-form-urlencoded`) to the issuer's token endpoint and
/// returns its JSON answer, success or RFC 6749 error alike; `Err` when there was no answer.
pub type TokenExchange =
    Arc<dyn Fn(String) -> BoxFuture<Result<serde_json::Value, String>> + Send + Sync>;

/// Tells the server that keys changed, so this replica's key cache sees it at once (the
/// others poll the store).
pub type KeysChanged = Arc<dyn Fn() -> BoxFuture<()> + Send + Sync>;

/// A call to one of the server's APIs, made in the process as the logged-in person's owner
/// (the same handlers, the same validation and answers an API client gets).
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: http::Method,
    /// Under the API's base (`/search`, `/persons/{id}?informationParts=All`).
    pub path: String,
    /// Who acts: a person's identity number or an organization's number.
    pub owner: String,
    /// The logged-in person and the level their login reached (`acr`), for APIs that act
    /// for an end user (Altinn).
    pub login: Option<(String, String)>,
    pub body: ApiBody,
}

#[derive(Debug, Clone)]
pub enum ApiBody {
    None,
    Json(serde_json::Value),
    /// `application/merge-patch+json`.
    MergePatch(serde_json::Value),
    /// `application/x-www-form-urlencoded`.
    Form(String),
}

/// An API's answer: its status and JSON body (a problem document when it refused).
#[derive(Debug, Clone)]
pub struct ApiAnswer {
    pub status: u16,
    pub body: serde_json::Value,
}

/// Calls an API in the process; `Err` when there was no answer to read.
pub type ApiCall = Arc<dyn Fn(ApiRequest) -> BoxFuture<Result<ApiAnswer, String>> + Send + Sync>;

/// The web app as an OpenID Connect client of the ID-porten-like issuer.
#[derive(Clone)]
pub struct LoginClient {
    /// A public client registered with exactly [`LoginClient::redirect_uri`].
    pub client_id: String,
    /// The issuer identifier (the ID token's `iss`, the callback's `iss`).
    pub issuer_url: String,
    /// Where the browser logs in (`/idporten/authorize`).
    pub authorize_path: String,
    /// `<public URL>/login/callback`.
    pub redirect_uri: String,
    pub exchange: TokenExchange,
}

/// One embedded issuer, for the links to its discovery document.
#[derive(Debug, Clone)]
pub struct IssuerLink {
    /// Its metadata document's path (`/helseid/.well-known/openid-configuration`, …).
    pub discovery: String,
    /// The link's text, naming the issuer (links must tell apart without their context).
    pub label: String,
    /// What it stands in for, e.g. "HelseID (HelseID-compatible issuer)".
    pub title: String,
}

/// The name the browser gives the private key it makes (the snippets open it).
pub const KEY_FILE: &str = "fjellport-client-key.json";

/// An issuer clients are registered for on the Clients page (HelseID, Maskinporten).
#[derive(Debug, Clone)]
pub struct ClientIssuer {
    /// Its name in the issuer table (`helseid`, `maskinporten`).
    pub name: &'static str,
    /// How the form names it.
    pub title: String,
    /// Its short name (`HelseID`, `Maskinporten`), beside its scopes and in the list.
    pub label: String,
    /// The issuer identifier (the client assertion's or grant's `aud`).
    pub url: String,
    pub token_url: String,
    /// The scopes it grants.
    pub scopes: Vec<&'static str>,
    /// Maskinporten's JWT grant (RSA keys, Bearer tokens) rather than HelseID's
    /// client credentials with DPoP.
    pub grant_is_jwt_bearer: bool,
}

/// Everything the pages need.
#[derive(Clone)]
pub struct WebState {
    pub facts: ReadFacts,
    pub issuers: Vec<IssuerLink>,
    /// Test or production: the home page says which, and keys follow its rules.
    pub environment: Environment,
    pub store: Arc<dyn Store>,
    pub clock: SharedClock,
    /// `None` when the server has no ID-porten-like issuer (no one can log in).
    pub login: Option<LoginClient>,
    pub keys_changed: KeysChanged,
    /// Issuers whose clients the Clients page registers.
    pub client_issuers: Vec<ClientIssuer>,
    /// Tells the server a client was revoked (this replica forgets it at once; the others
    /// within a second).
    pub client_revoked: Arc<dyn Fn(&str) + Send + Sync>,
    /// The server's external base URL (for the snippets).
    pub public_url: String,
    /// SyntPop's handlers, for the Persons and Events pages.
    pub syntpop: ApiCall,
    /// Altinn's end-user handlers, for the message box (`None` without the ID-porten issuer).
    pub altinn: Option<ApiCall>,
    /// Mark the session cookie `Secure` (the public URL is https).
    pub secure_cookie: bool,
}

impl WebState {
    pub(crate) async fn refresh_keys(&self) {
        (self.keys_changed)().await;
    }
}

impl std::fmt::Debug for LoginClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginClient")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState").field("issuers", &self.issuers).finish_non_exhaustive()
    }
}

/// The web app's routes, to be merged at the root of the server.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(login::start))
        .route("/login/callback", get(login::callback))
        .route("/logout", get(login::confirm).post(login::logout))
        .route("/keys", get(keys::page).post(keys::create))
        .route("/keys/{id}/revoke", post(keys::revoke))
        .route("/clients", get(clients::page).post(clients::create))
        .route("/clients/{id}/revoke", post(clients::revoke))
        .route("/events", get(events::page))
        .route("/altinn", get(altinn::page))
        .route("/altinn/messages/{who}/{id}", get(altinn::open))
        .route("/altinn/messages/{who}/{id}/{action}", post(altinn::act))
        .route("/persons", get(persons::page))
        .route("/persons/reserve", get(reserve::page).post(reserve::reserve))
        .route("/persons/{id}", get(person::page))
        .route("/persons/{id}/edit", post(person::edit))
        .route("/persons/{id}/release", post(person::release))
        .route(assets::STYLESHEET, get(assets::stylesheet))
        .route(assets::SCRIPT, get(assets::script))
        .with_state(Arc::new(state))
}
