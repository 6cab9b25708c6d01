//! The self-service web app at `/`: what Fjellport is and where everything lives, for a
//! newcomer who opens the server in a browser. Pages are rendered on the server and work
//! without JavaScript; the stylesheet is served from the binary (no CDN, no build step).
//!
//! The app holds no rules of its own: what it shows comes from the server's wiring
//! ([`Facts`], read per request), the same store and domain functions the APIs use.

mod assets;
mod home;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;

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

/// Reads the [`Facts`]; an error is shown as "not available" (the page still renders).
pub type ReadFacts =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Facts, String>> + Send>> + Send + Sync>;

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

/// Everything the pages need.
#[derive(Clone)]
pub struct WebState {
    pub facts: ReadFacts,
    pub issuers: Vec<IssuerLink>,
    /// `test` or `production` (the home page says which).
    pub environment: String,
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
        .route(assets::STYLESHEET, get(assets::stylesheet))
        .with_state(Arc::new(state))
}
