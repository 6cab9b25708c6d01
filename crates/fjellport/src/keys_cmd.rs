//! `fjellport keys`: API keys, created, listed and revoked in the database a server reads
//! (a running server follows within about a second).

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use fjellport_auth::apikey::{ApiName, AppType, KeyRequest, KeyView};

use crate::cli::{CliError, io};
use crate::config::Config;
use crate::output;

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

#[derive(Debug, Args)]
pub struct CreateKeyArgs {
    /// The API the key is for.
    #[arg(long, value_parser = api_names())]
    pub api: String,
    /// browser (used from web pages on --origin) or other (backends, desktop, mobile).
    #[arg(long = "type", value_parser = app_types())]
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

/// `--api`: the APIs keys are issued for, from their one list.
fn api_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(ApiName::ALL.map(ApiName::as_str))
}

/// `--type`: the application types, from their one list.
fn app_types() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(AppType::ALL.map(AppType::as_str))
}

pub(crate) async fn run(
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
