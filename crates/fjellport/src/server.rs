//! `serve`: open the store, build every router behind its layers, listen, shut down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use fjellport_auth::dpop::ProofPolicy;
use fjellport_auth::issuer::Issuer;
use fjellport_auth::jose::Alg;
use fjellport_auth::nonce::NonceKey;
use fjellport_auth::replay::ReplayCache;
use fjellport_auth::resource::{BearerGuard, DpopGuard};
use fjellport_auth::secret::{Secret, hash_secret};
use fjellport_clock::SharedClock;
use fjellport_gateway::observe::RequestIds;
use fjellport_gateway::{Gateway, KeyCache, Problem};
use fjellport_population::addresses::AddressBook;
use fjellport_store::{Store, StoreError};
use http::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::admin::{self, AdminToken};
use crate::config::Config;
use crate::issuers::{IssuerName, RunningIssuer};
pub use crate::state::AppState;
use crate::{apis, ops};

/// Live one-time ids remembered per node for replay detection. Ids live for the 65 s proof
/// window, so this admits about 60,000 proofs a second sustained before new ones are refused
/// (fail closed); memory grows with the rate, 20–40 bytes per live id (~150 MB at the bound).
const REPLAY_CAPACITY: usize = 4_000_000;
/// Lifetime of issued access tokens.
const TOKEN_LIFETIME_SECS: i64 = 600;

const ADMIN_TOKEN_SETTING: &str = "admin_token_sha256";

/// Why `serve` could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Config(String),
}

/// A running server (tests start one in-process; `serve` runs one until a signal).
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    /// A freshly generated admin token, when this start created it.
    pub new_admin_token: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, closes the store.
    pub async fn stop(mut self) -> Result<(), ServeError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap_or(Ok(()))
    }

    /// Waits until the server stops by itself (after a signal).
    pub async fn wait(self) -> Result<(), ServeError> {
        self.task.await.unwrap_or(Ok(()))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fjellport",
        description = "A local TEST STAND-IN for Norwegian public-sector integration APIs \
                       (SyntPop, HelseID with DPoP, Altinn 2). It is not operated by, and does \
                       not speak for, Norsk helsenett or Digdir/Altinn. All data is synthetic.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "syntpop", description = "SyntPop API (client base URL http://host:port/syntpop)"),
        (name = "altinn", description = "Altinn-style end-user REST API"),
        (name = "altinn-serviceowner", description = "Altinn-style service-owner REST API"),
        (name = "helseid", description = "Embedded HelseID-like issuer (test stand-in)"),
        (name = "maskinporten", description = "Embedded Maskinporten-like issuer (test stand-in): JWT grants for organizations"),
        (name = "idporten", description = "Embedded ID-porten-like issuer (test stand-in): end users log in at a test login page (authorization code + PKCE)"),
        (name = "admin", description = "Keys and clients (admin token)"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

/// Opens the store, then listens; returns once the server is accepting.
pub async fn start(
    config: Config,
    clock: SharedClock,
    signals: bool,
) -> Result<Running, ServeError> {
    ops::prometheus(); // record from the first request on
    let addresses = crate::population::load_addresses(&config).map_err(ServeError::Config)?;
    let store = fjellport_store::open_serving(&config.database).await?;
    if config.persons > 0 && store.person_count(Some("TestNorge")).await? == 0 {
        let summary = crate::population::generate_into(
            store.as_ref(),
            config.persons,
            config.seed,
            clock.now(),
            false,
            addresses.clone(),
            &|_| {},
        )
        .await
        .map_err(|e| match e {
            crate::population::GenerateError::Store(s) => ServeError::Store(s),
            other => ServeError::Store(StoreError::Internal(other.to_string())),
        })?;
        tracing::info!(
            persons = summary.persons,
            seed = summary.seed,
            seconds = summary.seconds,
            "generated the population"
        );
    }
    let (admin, new_admin_token) = admin_token(&config, store.as_ref()).await?;
    let keys =
        KeyCache::load(store.clone(), config.environment, apis::rate_defaults(&config)).await?;
    let watcher = keys.watch(Duration::from_millis(config.key_poll_millis));
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen { addr: config.listen, source })?;
    let addr = listener.local_addr()?;
    let mut config = config;
    // Without a configured public URL, the external address is the one actually bound (with
    // `--listen 127.0.0.1:0` the port is only known now): issuer URLs and DPoP `htu` use it.
    config.public_url.get_or_insert_with(|| format!("http://{addr}"));
    let key_settings = Arc::new(crate::issuers::key_settings(&config, store.clone()).await?);
    let issuers =
        crate::issuers::open_all(&config, key_settings.as_ref(), clock.now().timestamp()).await?;
    if issuers.iter().any(|i| i.spec.name == IssuerName::Idporten) {
        crate::web::register(store.as_ref(), &config.public_url(), clock.now()).await?;
    }
    // SyntPop 1.0 (the one DPoP-protected API) trusts the HelseID-like issuer's tokens.
    let helseid = issuers
        .iter()
        .find(|i| i.spec.name == IssuerName::Helseid)
        .map(|i| i.issuer.clone())
        .ok_or_else(|| ServeError::Config("the issuer table has no helseid".into()))?;
    let key_watcher = watch_issuers(
        issuers.iter().map(|i| i.issuer.clone()).collect(),
        store.clone(),
        key_settings.clone(),
        clock.clone(),
    );
    // Replicas share only PostgreSQL: there the replay record is shared too.
    let shared_replay: Option<Arc<dyn fjellport_store::ReplayStore>> =
        (store.backend() == fjellport_store::Backend::Postgres).then(|| store.clone() as _);
    let trusted = crate::trusted::load(&config.trusted_issuers).map_err(ServeError::Config)?;
    let external = trusted.iter().map(|(i, _)| i.clone()).collect();
    let trust_watcher =
        crate::trusted::watch(trusted.into_iter().filter_map(|(i, d)| Some((i, d?))).collect());
    let guard =
        DpopGuard::new(helseid, proof_policy(&config), REPLAY_CAPACITY, shared_replay.clone())
            .with_external(external);
    let dpop = Arc::new(if config.dpop.resource_nonce {
        let nonces = NonceKey::open(key_settings.as_ref(), crate::issuers::RESOURCE_NONCES).await?;
        guard.with_nonces(Arc::new(nonces))
    } else {
        guard
    });
    let db_gate = (store.backend() == fjellport_store::Backend::Postgres).then(|| {
        let token_paths = issuers
            .iter()
            .map(|i| format!("/{}{}", i.spec.name.as_str(), i.spec.grant.token_path()));
        Arc::new(crate::db_gate::DbGate::new(token_paths.collect()))
    });
    let gate_watcher = db_gate.as_ref().map(|g| g.watch(store.clone()));
    let metrics_upkeep = Some(ops::metrics_upkeep());
    let syntpop = fjellport_api_syntpop::SyntpopState::new(
        store.clone(),
        clock.clone(),
        addresses.clone(),
        config.syntpop.clone(),
    );
    let index_follower = syntpop.follow_index(Duration::from_millis(config.key_poll_millis));
    let simulator = config
        .simulate_events
        .then(|| simulate(store.clone(), clock.clone(), addresses.clone(), syntpop.index()));
    let state = Arc::new(AppState {
        config,
        store: store.clone(),
        keys,
        clock,
        admin,
        issuers,
        addresses,
        dpop,
        shared_replay,
        clients: Default::default(),
        draining: Default::default(),
        db_gate,
        syntpop,
    });
    let draining = state.draining.clone();
    let delay = Duration::from_secs(state.config.shutdown_delay_secs);
    let limits = crate::listener::ConnectionLimits {
        max_connections: state.config.max_connections,
        header_timeout: Duration::from_secs(state.config.header_timeout_secs),
    };
    let app = app(state);

    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            tokio::select! {
                _ = rx => {},
                _ = wait_for_signal(), if signals => {},
            }
            draining.store(true, std::sync::atomic::Ordering::Relaxed);
            if !delay.is_zero() {
                tracing::info!(?delay, "stopping: not ready, still serving while balancers notice");
                tokio::time::sleep(delay).await;
            }
            tracing::info!("shutting down: finishing in-flight requests");
        };
        let served = crate::listener::serve(listener, app, limits, shutdown).await;
        watcher.abort();
        key_watcher.abort();
        index_follower.abort();
        for task in [simulator, trust_watcher, gate_watcher, metrics_upkeep].into_iter().flatten() {
            task.abort();
        }
        store.close().await;
        served.map_err(ServeError::Io)
    });
    Ok(Running { addr, new_admin_token, shutdown: Some(tx), task })
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// The admin token in force: from config, or the stored one, or a new one (returned to print).
async fn admin_token(
    config: &Config,
    store: &dyn Store,
) -> Result<(AdminToken, Option<String>), StoreError> {
    if let Some(token) = &config.admin_token {
        return Ok((AdminToken { hash: hash_secret(token.expose()) }, None));
    }
    if let Some(hash) = store.get_setting(ADMIN_TOKEN_SETTING).await? {
        return Ok((AdminToken { hash }, None));
    }
    let fresh = Secret::generate("fja_");
    let in_force = store.put_setting_if_absent(ADMIN_TOKEN_SETTING, &fresh.hash()).await?;
    // Another replica may have won the race; then its token is the one.
    let printed = (in_force == fresh.hash()).then(|| fresh.expose().to_owned());
    Ok((AdminToken { hash: in_force }, printed))
}

/// Every route, behind its layers. The order, outermost first:
/// observe (request id, span, problem+json finalizer, metrics) → SOAP faults for errors on SOAP
/// paths → timeout → body limit → routes;
/// each API's router adds its gateway (preflight → version → key/CORS → rate limit) inside.
pub fn app(state: Arc<AppState>) -> Router {
    let (router, doc) = routes(state.clone()).split_for_parts();
    let mut doc = doc;
    doc.servers = Some(vec![
        utoipa::openapi::ServerBuilder::new()
            .url(state.config.public_url())
            .description(Some("Fjellport test stand-in (synthetic data only)"))
            .build(),
    ]);
    // Shared, not owned by the closure below: the router clones its fallback service for
    // every request, and a clone of the templates was a tenth of a `GET /persons/{id}`
    // (profiled).
    let route_case = Arc::new(crate::route_case::RouteCase::new(doc.paths.paths.keys()));
    let router = router.merge(SwaggerUi::new("/docs").url("/openapi.json", doc));
    // The web app: pages for people, outside the OpenAPI document.
    let router = router.merge(fjellport_web::router(crate::web::state(&state)));
    // Altinn's SOAP services: outside the REST gateways (they authenticate by the message's
    // credentials) and outside the OpenAPI document (their contract is their WSDL).
    let soap = fjellport_api_altinn::soap::router(Arc::new(altinn_state(&state)));
    let router = router.nest(fjellport_api_altinn::soap::PREFIX, soap);
    // Altinn's portal login page (for the legacy redirect): for browsers, outside the gateway.
    let portal = fjellport_api_altinn::portal_login::router(Arc::new(altinn_state(&state)));
    let router = router.nest(fjellport_api_altinn::portal_login::PREFIX, portal);

    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let ids = RequestIds::new(&fjellport_auth::secret::random_id("")[..12]);
    let router = match &state.db_gate {
        Some(gate) => {
            router.layer(from_fn_with_state(gate.clone(), crate::db_gate::refuse_while_down))
        }
        None => router,
    };
    let router = router.layer(
        ServiceBuilder::new()
            .layer(from_fn_with_state(ids, fjellport_gateway::observe::finish))
            .layer(axum::middleware::from_fn(fjellport_api_altinn::soap::faults_on_soap_paths))
            .layer(axum::middleware::from_fn(crate::listener::header_limits))
            .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
            .layer(RequestBodyLimitLayer::new(state.config.body_limit_bytes)),
    );
    // Altinn's routes ignore case: the path is put in the documented spelling before routing.
    Router::new().fallback_service(
        ServiceBuilder::new().map_request(move |req| route_case.apply(req)).service(router),
    )
}

/// The routes with their OpenAPI description (the document is generated from these).
pub fn routes(state: Arc<AppState>) -> OpenApiRouter {
    let shared_limits = (state.store.backend() == fjellport_store::Backend::Postgres).then(|| {
        let store: Arc<dyn fjellport_store::ReplayStore> = state.store.clone();
        Arc::new(fjellport_gateway::ratelimit::SharedLimits::new(store))
    });
    let mut router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::router(state.store.clone(), state.draining.clone()))
        .nest("/admin/api", admin::router(admin_state(&state)));
    for running in &state.issuers {
        let prefix = format!("/{}", running.spec.name.as_str());
        router = router.nest(&prefix, fjellport_api_issuer::router(issuer_state(&state, running)));
    }
    for (spec, prefix) in apis::all(&state.config) {
        let api_routes = match spec.api {
            fjellport_auth::apikey::ApiName::Syntpop => {
                fjellport_api_syntpop::router(state.syntpop.clone())
            }
            fjellport_auth::apikey::ApiName::Altinn => {
                fjellport_api_altinn::router(altinn_state(&state))
            }
            fjellport_auth::apikey::ApiName::AltinnServiceowner => {
                fjellport_api_altinn::serviceowner_router(altinn_state(&state))
            }
        };
        let title = spec.title;
        let api_routes = api_routes.fallback(move || async move {
            Problem::not_found(format!("The {title} has no resource at this path."))
        });
        let gateway = Gateway::new(
            spec,
            state.keys.clone(),
            state.clock.clone(),
            Some(state.dpop.clone()),
            &state.config.public_url(),
        );
        // Altinn's organizations present Maskinporten-like tokens.
        let gateway = match state.issuer(IssuerName::Maskinporten) {
            Some(m) => gateway.with_bearer(Arc::new(BearerGuard::new(m.issuer.clone()))),
            None => gateway,
        };
        // Replicas share PostgreSQL, and so their rate-limit counts.
        let gateway = match &shared_limits {
            Some(limits) => gateway.with_shared_limits(limits.clone()),
            None => gateway,
        };
        router = router.nest(prefix, gateway.wrap_api(api_routes));
    }
    router.fallback(|| async { Problem::not_found("No resource at this path.") })
}

/// Altinn's handlers: the store, and end-user logins through the ID-porten-like issuer.
pub(crate) fn altinn_state(state: &AppState) -> fjellport_api_altinn::AltinnState {
    let enduser = state.issuer(IssuerName::Idporten).map(|idporten| {
        Arc::new(fjellport_api_altinn::EndUserAuth {
            issuer: idporten.issuer.clone(),
            test_password: state.config.altinn.test_password.expose().to_owned(),
            secure_cookie: state.config.public_url().starts_with("https://"),
            login_redirect: state.config.altinn.login_redirect,
        })
    });
    fjellport_api_altinn::AltinnState {
        store: state.store.clone(),
        public_url: state.config.public_url(),
        clock: state.clock.clone(),
        enduser,
        cache: Arc::default(),
        catalogue: Arc::new(state.config.altinn.catalogue.clone()),
    }
}

fn admin_state(state: &AppState) -> Arc<admin::AdminState> {
    Arc::new(admin::AdminState {
        token: state.admin.clone(),
        key_store: state.store.clone(),
        client_store: state.store.clone(),
        keys: state.keys.clone(),
        clients: state.clients.clone(),
        clock: state.clock.clone(),
        environment: state.config.environment,
        issuers: crate::issuers::known(),
    })
}

pub(crate) fn issuer_state(
    state: &AppState,
    running: &RunningIssuer,
) -> fjellport_api_issuer::IssuerState {
    fjellport_api_issuer::IssuerState {
        issuer: running.issuer.clone(),
        grant: running.spec.grant,
        profile: running.spec.profile.clone(),
        clock: state.clock.clone(),
        environment: state.config.environment,
        scopes: running.spec.scopes.clone(),
        dpop_algs: Alg::ALL.iter().map(|a| a.as_str()).collect(),
        default_proof_uri: format!("{}{}", state.config.public_url(), running.spec.proof_path),
        store: state.store.clone(),
        nonces: running.nonces.clone(),
        replay: Arc::new(ReplayCache::new(REPLAY_CAPACITY)),
        shared_replay: state.shared_replay.clone(),
        proof_policy: proof_policy(&state.config),
        token_lifetime_secs: TOKEN_LIFETIME_SECS,
        clients: state.clients.clone(),
        test_token_lock: (state.config.test_token_requires_admin
            || !state.config.listen.ip().is_loopback())
        .then(|| state.admin.hash.clone()),
    }
}

/// `--simulate-events`: brings the population's calendar up to the clock's day (a year at a
/// time at most), at start and then every minute. Several replicas may do so at once: a day
/// two of them simulate is refused to the later one (its persons changed meanwhile).
fn simulate(
    store: Arc<dyn Store>,
    clock: SharedClock,
    addresses: Option<Arc<AddressBook>>,
    index: Arc<fjellport_search_index::SearchIndex>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let today = clock.now().date_naive();
            let behind = match crate::advance::population_day(store.as_ref()).await {
                Ok(Some(day)) => (today - day).num_days(),
                Ok(None) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read the population's day");
                    continue;
                }
            };
            if behind <= 0 {
                continue;
            }
            let days = u32::try_from(behind).unwrap_or(u32::MAX).min(crate::advance::MAX_DAYS);
            match crate::advance::advance(store.as_ref(), days, today, addresses.as_deref()).await {
                Ok(s) => {
                    index.catch_up(store.as_ref()).await;
                    tracing::info!(days = s.days, events = s.events, day = %s.day, "life events")
                }
                Err(err) => tracing::warn!(error = %err, "life events failed"),
            }
        }
    })
}

fn proof_policy(config: &Config) -> ProofPolicy {
    ProofPolicy {
        max_age_secs: config.dpop.max_age_secs,
        max_future_secs: config.dpop.max_future_secs,
        ..ProofPolicy::default()
    }
}

/// Follows signing-key rotations made elsewhere (the CLI, another replica) every 2 s, for
/// every issuer, and prunes the shared replay record on PostgreSQL.
fn watch_issuers(
    issuers: Vec<Arc<Issuer>>,
    store: Arc<dyn Store>,
    key_settings: Arc<fjellport_auth::key_wrap::WrappedSettings>,
    clock: SharedClock,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let shared_replay = store.backend() == fjellport_store::Backend::Postgres;
        for round in 0u64.. {
            tick.tick().await;
            // About once a minute, forget replay records whose proofs have expired.
            if shared_replay
                && round % 30 == 29
                && let Err(err) = store.prune_replay(clock.now().timestamp()).await
            {
                tracing::warn!(error = %err, "could not prune the replay record");
            }
            for issuer in &issuers {
                match issuer.refresh(key_settings.as_ref(), clock.now().timestamp()).await {
                    Ok(true) => tracing::info!(issuer = issuer.name, "signing keys changed"),
                    Ok(false) => {}
                    Err(err) => tracing::warn!(error = %err, "could not check the signing keys"),
                }
            }
        }
    })
}
