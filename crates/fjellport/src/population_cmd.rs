//! `fjellport population`: generate the synthetic population, advance its calendar, export it.

use clap::Subcommand;

use crate::cli::{CliError, io};
use crate::config::Config;
use crate::export::{Export, Format};
use crate::output;

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
        #[arg(long, value_enum, default_value_t = Export::Persons)]
        what: Export,
        /// jsonl, or csv (persons: their main facts; events: every field), with a header row.
        /// CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab
        /// or CR) are written after a ' so they open as text.
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
    },
}

impl PopulationCommand {
    /// The Kartverket address file this command was given, if any.
    pub(crate) fn addresses(&self) -> Option<&std::path::PathBuf> {
        match self {
            PopulationCommand::Generate { addresses, .. }
            | PopulationCommand::Advance { addresses, .. } => addresses.as_ref(),
            PopulationCommand::Export { .. } => None,
        }
    }
}

pub(crate) async fn run(
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
            crate::export::export(store.as_ref(), what, format).await
        }
    };
    store.close().await;
    result
}
