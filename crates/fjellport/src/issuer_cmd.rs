//! `fjellport issuer`: the embedded token issuers' signing keys.

use clap::Subcommand;

use crate::cli::{CliError, io};
use crate::config::Config;
use crate::issuers::IssuerName;
use crate::output;

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

/// `--alg`: the issuer's signing algorithms, listed in `--help` and parsed by their one parser.
fn signing_alg() -> impl clap::builder::TypedValueParser<Value = fjellport_auth::issuer::SigningAlg>
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(fjellport_auth::issuer::SigningAlg::names())
        .try_map(|name| name.parse::<fjellport_auth::issuer::SigningAlg>())
}

pub(crate) async fn run(
    cmd: IssuerCommand,
    config: Config,
    clock: fjellport_clock::SharedClock,
    json: bool,
) -> Result<(), CliError> {
    let IssuerCommand::RotateKey { issuer, alg } = cmd;

    let store = fjellport_store::open(&config.database).await?;
    let settings = crate::issuers::key_settings(&config, store.clone()).await?;
    let rotation = fjellport_auth::issuer::Issuer::rotate(
        &settings,
        issuer.as_str(),
        fjellport_auth::issuer::KEEP_RETIRED_SECS,
        clock.now().timestamp(),
        alg.map(fjellport_auth::issuer::SigningAlg::alg),
    )
    .await;
    store.close().await;
    output::print(&rotation?, json).map_err(io)
}
