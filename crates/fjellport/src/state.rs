//! What the handlers of a running server share.

use std::sync::Arc;

use fjellport_auth::resource::DpopGuard;
use fjellport_clock::SharedClock;
use fjellport_gateway::KeyCache;
use fjellport_population::addresses::AddressBook;
use fjellport_store::Store;

use crate::admin::AdminToken;
use crate::config::Config;
use crate::issuers::{IssuerName, RunningIssuer};

#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub keys: KeyCache,
    pub clock: SharedClock,
    pub(crate) admin: AdminToken,
    /// Every embedded issuer, in the order of [`crate::issuers::all`].
    pub issuers: Vec<RunningIssuer>,
    /// Real street addresses for new homes (reserved persons), from `addresses_file`.
    pub addresses: Option<Arc<AddressBook>>,
    /// Checks DPoP-bound tokens on the APIs that take them.
    pub dpop: Arc<DpopGuard>,
    /// The replay record replicas share (PostgreSQL only).
    pub shared_replay: Option<Arc<dyn fjellport_store::ReplayStore>>,
    /// Clients the token endpoints read in the last second (the admin API drops revoked ones).
    pub clients: Arc<fjellport_api_issuer::token::ClientCache>,
    /// Set when a signal asks the server to stop: `/readyz` then answers 503 so a load
    /// balancer stops sending before the server stops accepting (`shutdown_delay_secs`).
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// Refuses requests at once while PostgreSQL does not answer (none on SQLite).
    pub db_gate: Option<Arc<crate::db_gate::DbGate>>,
    /// SyntPop's handlers' state (its Test-Norge cache): one for the API and the web app.
    pub syntpop: fjellport_api_syntpop::SyntpopState,
}

impl AppState {
    /// The running issuer called `name`, if this server runs it.
    pub fn issuer(&self, name: IssuerName) -> Option<&RunningIssuer> {
        self.issuers.iter().find(|i| i.spec.name == name)
    }
}
