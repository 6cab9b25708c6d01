//! The command line (DESIGN.md's CLI contract: extend, don't break).

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use fjellport_auth::Environment;
use fjellport_auth::apikey::{KeyRequest, KeyView};
use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::issuers::IssuerName;
use crate::output;
use crate::server;

#[derive(Debug, Parser)]
#[command(
    name = "fjellport",
    version,
    about = "A stateful local stand-in for SyntPop, HelseID (DPoP) and Altinn 2 — for tests and CI.",
    long_about = "A stateful local stand-in for SyntPop, HelseID (DPoP) and Altinn 2 — for tests \
                  and CI. It is a TEST STAND-IN: all data is synthetic, and nothing it says comes \
                  from Norsk helsenett or Altinn.\n\nConfiguration: fjellport.toml (or --config) < \
                  FJELLPORT_* environment < flags."
)]
pub struct Cli {
    /// Database URL: sqlite:PATH (default sqlite:fjellport.db), sqlite::memory:, or postgres://…
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// Configuration file (default: ./fjellport.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Freeze the clock at this instant for every time rule (e.g. 2026-09-01T00:00:00Z).
    #[arg(long, global = true, value_name = "RFC3339")]
    pub clock: Option<DateTime<Utc>>,
    /// Print JSON even on a terminal.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (all APIs, the issuer, the admin API) on one listener.
    Serve(ServeArgs),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// OAuth clients of the embedded issuers (private_key_jwt).
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// The embedded token issuers.
    #[command(subcommand)]
    Issuer(IssuerCommand),
    /// The synthetic population: generate and export.
    #[command(subcommand)]
    Population(PopulationCommand),
    /// Norwegian identity numbers: check and generate.
    #[command(subcommand)]
    Nin(crate::nin_cmd::NinCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// External base URL, when clients reach the server through a proxy.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// test (default: allows localhost origins and test-token services) or production.
    #[arg(long, value_name = "ENV")]
    pub environment: Option<Environment>,
    /// Test-Norge persons to generate when the database has none (default 10000; 0: none).
    #[arg(long, value_name = "N")]
    pub persons: Option<usize>,
    /// Seed of that population.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Give Test-Norge persons life events (births, deaths, moves, …) as the clock's days pass.
    #[arg(long)]
    pub simulate_events: bool,
    /// Kartverket's address CSV: homes get real street addresses from it.
    #[arg(long, value_name = "FILE")]
    pub addresses: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints it as JSON with its secret, which is shown only this once.
    Create(CreateKeyArgs),
    /// List every key (never the secrets).
    List,
    /// Revoke a key; a running server refuses it within about a second.
    Revoke {
        /// The key's id (key_…).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Make a new signing key; the old one stays in JWKS until every token it signed has
    /// expired. Running servers switch within about 2 s.
    RotateKey {
        #[arg(long, value_enum, default_value_t = IssuerName::Helseid)]
        issuer: IssuerName,
        /// Algorithm of the new key (default: that of the current key).
        #[arg(long, value_parser = signing_alg())]
        alg: Option<fjellport_auth::issuer::SigningAlg>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PopulationCommand {
    /// Generate Test-Norge persons into the database (reserved persons are kept).
    Generate {
        /// How many persons (1–2000000).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
        persons: u64,
        /// Seed: the same seed, size and --clock give the same persons.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replace an existing Test-Norge population.
        #[arg(long)]
        replace: bool,
        /// Also release every reserved person, of every owner (kept otherwise; their
        /// numbers are never handed out again).
        #[arg(long, requires = "replace")]
        release_reserved: bool,
        /// Kartverket's address CSV ("Matrikkelen – Adresse", `;`-separated, from Geonorge):
        /// homes get real street addresses from it instead of synthetic street names.
        #[arg(long, value_name = "FILE")]
        addresses: Option<std::path::PathBuf>,
    },
    /// Life events for Test-Norge persons over the next N days of the population's own
    /// calendar (births, deaths, moves, marriages, divorces, emigration), with their events.
    Advance {
        /// How many days (1–366).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// Kartverket's address CSV: households that move get real street addresses from it.
        #[arg(long, value_name = "FILE")]
        addresses: Option<std::path::PathBuf>,
    },
    /// Write the population out in a stable order: one JSON document per line, or CSV.
    Export {
        /// persons (the Person documents), organizations (the Enhetsregister, with roles) or
        /// events (the Test-Norge event feed).
        #[arg(long, default_value = "persons", value_parser = ["persons", "organizations", "events"])]
        what: String,
        /// jsonl, or csv (persons: their main facts; events: every field), with a header row.
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Register a client; prints it as JSON with its client_id.
    Create(CreateClientArgs),
    /// List every client.
    List,
    /// Revoke a client: its next token request fails (a running server follows within 2 s);
    /// tokens it already holds stay valid until they expire.
    Revoke {
        /// The client's client_id.
        client_id: String,
    },
}

#[derive(Debug, Args)]
pub struct CreateClientArgs {
    /// File with the client's public JWK (or a JWKS).
    #[arg(long, value_name = "PUBLIC.json")]
    pub jwk_file: std::path::PathBuf,
    /// An allowed scope, e.g. nhntsd:syntpop-api/full-access; repeat for several.
    #[arg(long = "scope", required = true)]
    pub scopes: Vec<String>,
    /// The issuer the client belongs to.
    #[arg(long, value_enum, default_value_t = IssuerName::Helseid)]
    pub issuer: IssuerName,
    /// The organization number (orgnr_parent claim).
    #[arg(long)]
    pub orgnr: Option<String>,
    /// The sub-unit's organization number (orgnr_child claim).
    #[arg(long)]
    pub orgnr_child: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    /// Issue Bearer tokens instead of DPoP-bound ones.
    #[arg(long)]
    pub no_dpop: bool,
    /// A HelseID multi-tenant client: it names the organization it acts for per token
    /// (authorization_details), and --orgnr is the supplier's own organization.
    #[arg(long)]
    pub multi_tenant: bool,
    /// With --multi-tenant: an organization that delegated to the supplier (a parent the
    /// client may name); repeat for several. Without any, every organization is accepted.
    #[arg(long = "delegation", value_name = "ORGNR")]
    pub delegations: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CreateKeyArgs {
    /// The API the key is for.
    #[arg(long, value_parser = ["syntpop", "altinn", "altinn-serviceowner"])]
    pub api: String,
    /// browser (used from web pages on --origin) or other (backends, desktop, mobile).
    #[arg(long = "type", value_parser = ["browser", "other"])]
    pub app_type: String,
    /// An allowed origin for a browser key (scheme://host[:port]); repeat for several.
    #[arg(long = "origin", value_name = "URL")]
    pub origins: Vec<String>,
    /// Who the key belongs to (reserved persons are owned by it).
    #[arg(long)]
    pub owner: Option<String>,
    /// When the key stops working.
    #[arg(long, value_name = "RFC3339")]
    pub expires: Option<DateTime<Utc>>,
    /// Requests per second for this key (default: the API's configured default, else none).
    #[arg(long, value_name = "PER_SECOND")]
    pub rate_limit: Option<u32>,
}

/// A command's failure: bad input (exit 2) or a runtime failure (exit 1).
#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Runtime(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Runtime(_) => 1,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            CliError::Usage(m) | CliError::Runtime(m) => m,
        }
    }
}

impl From<fjellport_store::StoreError> for CliError {
    fn from(e: fjellport_store::StoreError) -> Self {
        if e.is_usage() { CliError::Usage(e.to_string()) } else { CliError::Runtime(e.to_string()) }
    }
}

/// `--alg`: the issuer's signing algorithms, listed in `--help` and parsed by their one parser.
fn signing_alg() -> impl clap::builder::TypedValueParser<Value = fjellport_auth::issuer::SigningAlg>
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(fjellport_auth::issuer::SigningAlg::names())
        .try_map(|name| name.parse::<fjellport_auth::issuer::SigningAlg>())
}

fn io(e: std::io::Error) -> CliError {
    CliError::Runtime(format!("cannot write output: {e}"))
}

impl Cli {
    /// The configuration this invocation runs with (all layers merged).
    pub fn config(&self) -> Result<Config, CliError> {
        let mut flags = Map::new();
        if let Some(db) = &self.database {
            flags.insert("database".into(), json!(db));
        }
        if let Some(clock) = &self.clock {
            flags.insert("clock".into(), json!(clock));
        }
        if let Command::Serve(args) = &self.command {
            if let Some(listen) = &args.listen {
                flags.insert("listen".into(), json!(listen));
            }
            if let Some(url) = &args.public_url {
                flags.insert("public_url".into(), json!(url));
            }
            if let Some(env) = &args.environment {
                flags.insert("environment".into(), json!(env));
            }
            if let Some(n) = args.persons {
                flags.insert("persons".into(), json!(n));
            }
            if let Some(s) = args.seed {
                flags.insert("seed".into(), json!(s));
            }
            if args.simulate_events {
                flags.insert("simulate_events".into(), json!(true));
            }
        }
        let addresses = match &self.command {
            Command::Serve(args) => args.addresses.as_ref(),
            Command::Population(
                PopulationCommand::Generate { addresses, .. }
                | PopulationCommand::Advance { addresses, .. },
            ) => addresses.as_ref(),
            _ => None,
        };
        if let Some(file) = addresses {
            flags.insert("addresses_file".into(), json!(file));
        }
        Config::load(self.config.as_deref(), Value::Object(flags)).map_err(CliError::Usage)
    }

    pub async fn run(self) -> Result<(), CliError> {
        let config = self.config()?;
        let clock = fjellport_clock::from_option(config.clock);
        match self.command {
            Command::Serve(_) => serve(config, clock).await,
            Command::Keys(cmd) => keys(cmd, config, clock, self.json).await,
            Command::Nin(cmd) => crate::nin_cmd::run(cmd, clock.now(), self.json),
            Command::Clients(cmd) => clients(cmd, config, clock, self.json).await,
            Command::Population(cmd) => population(cmd, config, clock, self.json).await,
            Command::Issuer(IssuerCommand::RotateKey { issuer, alg }) => {
                let store = fjellport_store::open(&config.database).await?;
                let rotation = fjellport_auth::issuer::Issuer::rotate(
                    store.as_ref(),
                    issuer.as_str(),
                    fjellport_auth::issuer::KEEP_RETIRED_SECS,
                    clock.now().timestamp(),
                    alg.map(fjellport_auth::issuer::SigningAlg::alg),
                )
                .await;
                store.close().await;
                output::print(&rotation?, self.json).map_err(io)
            }
        }
    }
}

async fn serve(config: Config, clock: fjellport_clock::SharedClock) -> Result<(), CliError> {
    let database = fjellport_store::redact(&config.database);
    let environment = config.environment;
    let running = server::start(config, clock, true).await.map_err(|e| match e {
        server::ServeError::Store(s) => CliError::from(s),
        server::ServeError::Config(c) => CliError::Usage(c),
        other => CliError::Runtime(other.to_string()),
    })?;
    if let Some(token) = &running.new_admin_token {
        eprintln!("fjellport: admin token (shown once; keep it for /admin/api): {token}");
    }
    eprintln!(
        "fjellport: listening on http://{} (database {database}, environment {environment}) — a \
         test stand-in; docs at /docs",
        running.addr
    );
    running.wait().await.map_err(|e| CliError::Runtime(e.to_string()))
}

async fn keys(
    cmd: KeysCommand,
    config: Config,
    clock: fjellport_clock::SharedClock,
    json: bool,
) -> Result<(), CliError> {
    let store = fjellport_store::open(&config.database).await?;
    let now = clock.now();
    let result = match cmd {
        KeysCommand::Create(args) => {
            let request = KeyRequest {
                api: args.api,
                app_type: args.app_type,
                origins: args.origins,
                owner: args.owner,
                expires_at: args.expires,
                rate_limit: args.rate_limit,
            };
            let (key, secret) = request
                .issue(config.environment, now)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            store.insert_key(&key).await?;
            output::print(&KeyView::new(&key, now).with_secret(&secret), json).map_err(io)
        }
        KeysCommand::List => {
            let keys = store.list_keys().await?;
            let views: Vec<KeyView> = keys.iter().map(|k| KeyView::new(k, now)).collect();
            output::print(&views, json).map_err(io)
        }
        KeysCommand::Revoke { id } => {
            let key = store.revoke_key(&id, now).await.map_err(|e| match e {
                fjellport_store::StoreError::NotFound { .. } => {
                    CliError::Usage(format!("no API key with id {id}"))
                }
                other => other.into(),
            })?;
            output::print(&KeyView::new(&key, now), json).map_err(io)
        }
    };
    store.close().await;
    result
}

async fn clients(
    cmd: ClientsCommand,
    config: Config,
    clock: fjellport_clock::SharedClock,
    json: bool,
) -> Result<(), CliError> {
    use fjellport_auth::client_registry::{ClientRequest, ClientView};
    // Read and check the input before touching the database.
    let request = match &cmd {
        ClientsCommand::Create(args) => {
            let text = std::fs::read_to_string(&args.jwk_file).map_err(|e| {
                CliError::Usage(format!("cannot read --jwk-file {}: {e}", args.jwk_file.display()))
            })?;
            let jwk: Value = serde_json::from_str(&text).map_err(|e| {
                CliError::Usage(format!("--jwk-file {} is not JSON: {e}", args.jwk_file.display()))
            })?;
            Some(ClientRequest {
                jwk,
                scopes: args.scopes.clone(),
                issuer: args.issuer.as_str().to_owned(),
                name: args.name.clone(),
                orgnr_parent: args.orgnr.clone(),
                orgnr_child: args.orgnr_child.clone(),
                dpop_bound: !args.no_dpop,
                multi_tenant: args.multi_tenant,
                delegations: args.delegations.clone(),
            })
        }
        ClientsCommand::List | ClientsCommand::Revoke { .. } => None,
    };
    let client = request
        .map(|r| {
            r.register(&IssuerName::names(), clock.now())
                .map_err(|e| CliError::Usage(e.to_string()))
        })
        .transpose()?;
    let store = fjellport_store::open(&config.database).await?;
    let result = match (client, &cmd) {
        (Some(client), _) => {
            store.insert_client(&client).await?;
            output::print(&ClientView::from(&client), json).map_err(io)
        }
        (None, ClientsCommand::Revoke { client_id }) => {
            match store.revoke_client(client_id, clock.now()).await {
                Ok(client) => output::print(&ClientView::from(&client), json).map_err(io),
                Err(fjellport_store::StoreError::NotFound { .. }) => {
                    Err(CliError::Usage(format!("no client with client_id {client_id}")))
                }
                Err(e) => Err(e.into()),
            }
        }
        (None, _) => {
            let all = store.list_clients().await?;
            output::print(&all.iter().map(ClientView::from).collect::<Vec<_>>(), json).map_err(io)
        }
    };
    store.close().await;
    result
}

async fn population(
    cmd: PopulationCommand,
    config: Config,
    clock: fjellport_clock::SharedClock,
    json: bool,
) -> Result<(), CliError> {
    // The address book first: a bad file stops the command before the database is touched.
    let addresses = match &cmd {
        PopulationCommand::Generate { .. } | PopulationCommand::Advance { .. } => {
            crate::population::load_addresses(&config).map_err(CliError::Usage)?
        }
        PopulationCommand::Export { .. } => None,
    };
    let store = fjellport_store::open(&config.database).await?;
    let result = match cmd {
        PopulationCommand::Generate { persons, seed, replace, release_reserved, .. } => {
            let existing = store.person_count(Some("TestNorge")).await?;
            if existing > 0 && !replace {
                store.close().await;
                return Err(CliError::Usage(format!(
                    "the database already holds {existing} Test-Norge persons: add --replace to \
                     generate a new population (reserved persons are kept)"
                )));
            }
            let total = usize::try_from(persons).unwrap_or(usize::MAX);
            // A progress bar only for people watching a terminal.
            let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
                let bar = indicatif::ProgressBar::new(persons);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{elapsed_precise} [{bar:40}] {pos}/{len} persons ({per_sec})",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let summary = crate::population::generate_into(
                store.as_ref(),
                total,
                seed,
                clock.now(),
                release_reserved,
                addresses,
                &|done| {
                    if let Some(bar) = &bar {
                        bar.set_position(done as u64);
                    }
                },
            )
            .await
            .map_err(|e| CliError::Runtime(e.to_string()))?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            output::print(&summary, json).map_err(io)
        }
        PopulationCommand::Advance { days, .. } => {
            let summary = crate::advance::advance(
                store.as_ref(),
                days,
                clock.now().date_naive(),
                addresses.as_deref(),
            )
            .await
            .map_err(|e| match e {
                crate::advance::AdvanceError::Empty => CliError::Usage(e.to_string()),
                other => CliError::Runtime(other.to_string()),
            })?;
            output::print(&summary, json).map_err(io)
        }
        PopulationCommand::Export { what, format } => {
            crate::export::export(store.as_ref(), &what, &format).await
        }
    };
    store.close().await;
    result
}
