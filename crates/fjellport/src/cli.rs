//! The command line (DESIGN.md's CLI contract: extend, don't break): the global flags, the
//! configuration they layer, and the dispatch to each command family's module (`keys_cmd`,
//! `clients_cmd`, `issuer_cmd`, `population_cmd`, `nin_cmd`); `serve` is here.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use fjellport_auth::Environment;
use serde_json::{Map, Value, json};

use crate::config::Config;
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
    Keys(crate::keys_cmd::KeysCommand),
    /// OAuth clients of the embedded issuers (private_key_jwt).
    #[command(subcommand)]
    Clients(crate::clients_cmd::ClientsCommand),
    /// The embedded token issuers.
    #[command(subcommand)]
    Issuer(crate::issuer_cmd::IssuerCommand),
    /// The synthetic population: generate and export.
    #[command(subcommand)]
    Population(crate::population_cmd::PopulationCommand),
    /// Norwegian identity numbers: check and generate.
    #[command(subcommand)]
    Nin(crate::nin_cmd::NinCommand),
    /// Altinn: send correspondence; register SOAP systems.
    #[command(subcommand)]
    Altinn(crate::altinn_cmd::AltinnCommand),
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

pub(crate) fn io(e: std::io::Error) -> CliError {
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
            Command::Population(cmd) => cmd.addresses(),
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
            Command::Keys(cmd) => crate::keys_cmd::run(cmd, config, clock, self.json).await,
            Command::Nin(cmd) => crate::nin_cmd::run(cmd, clock.now(), self.json),
            Command::Clients(cmd) => crate::clients_cmd::run(cmd, config, clock, self.json).await,
            Command::Population(cmd) => {
                crate::population_cmd::run(cmd, config, clock, self.json).await
            }
            Command::Issuer(cmd) => crate::issuer_cmd::run(cmd, config, clock, self.json).await,
            Command::Altinn(cmd) => crate::altinn_cmd::run(cmd, config, clock, self.json).await,
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
