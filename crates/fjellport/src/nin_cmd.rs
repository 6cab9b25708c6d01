//! `fjellport nin check|generate`: identity numbers from the command line.

use chrono::{DateTime, Datelike, Utc};
use clap::{Args, Subcommand};
use fjellport_nin::alloc::{Allocator, Request};
use fjellport_nin::{Date, Kind, Nin, NinInfo, Rule, Sex, Synthetic, days_in_month};
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::cli::CliError;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum NinCommand {
    /// Validate and classify numbers: one JSON object per number (valid, kind, synthetic
    /// group, birth date, sex, rule, reason).
    Check {
        /// The numbers (11 digits each).
        #[arg(required = true, value_name = "NIN")]
        numbers: Vec<String>,
    },
    /// Generate valid, unique numbers (synthetic Test-Norge ones unless told otherwise).
    Generate(GenerateArgs),
}

/// `--kind`, as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Fnr,
    Dnr,
    Hnr,
}

impl KindArg {
    fn kind(self) -> Kind {
        match self {
            KindArg::Fnr => Kind::Fnr,
            KindArg::Dnr => Kind::DNumber,
            KindArg::Hnr => Kind::HNumber,
        }
    }
}

/// `--synthetic`, as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SyntheticArg {
    Testnorge,
    Reserved,
    None,
}

impl SyntheticArg {
    fn synthetic(self) -> Option<Synthetic> {
        match self {
            SyntheticArg::Testnorge => Some(Synthetic::TestNorge),
            SyntheticArg::Reserved => Some(Synthetic::Reserved),
            SyntheticArg::None => None,
        }
    }
}

/// `--sex`: f or m.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SexArg {
    F,
    M,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// fnr (fødselsnummer), dnr (D-number) or hnr (H-number).
    #[arg(long, value_enum, default_value_t = KindArg::Fnr)]
    pub kind: KindArg,
    /// testnorge (month + 80), reserved (NHN, month + 65) or none (looks like a real number).
    #[arg(long, value_enum, default_value_t = SyntheticArg::Testnorge)]
    pub synthetic: SyntheticArg,
    /// Birth date (YYYY-MM-DD); random within the last 100 years when absent.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub born: Option<String>,
    /// f or m; random when absent.
    #[arg(long, value_enum)]
    pub sex: Option<SexArg>,
    /// How many numbers (1–100000).
    #[arg(short = 'n', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub count: u32,
    /// Seed for the random choices, for reproducible output.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// One number as the CLI reports it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    nin: String,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    synthetic_group: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    birth_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sex: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    birth_date_certain: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sex_certain: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_code: Option<&'static str>,
}

impl Report {
    fn valid(nin: &str, info: &NinInfo) -> Report {
        Report {
            nin: nin.to_owned(),
            valid: true,
            kind: Some(info.kind.as_str()),
            synthetic_group: Some(info.synthetic.map_or("none", Synthetic::as_str)),
            birth_date: info.birth_date.map(|d| d.to_string()),
            sex: info.sex.map(|s| match s {
                Sex::Female => "female",
                Sex::Male => "male",
            }),
            rule: Some(match info.rule {
                Rule::Classic => "classic",
                Rule::From2032 => "2032",
            }),
            birth_date_certain: Some(info.birth_date_certain),
            sex_certain: Some(info.sex_certain),
            reason: None,
            reason_code: None,
        }
    }
}

pub(crate) fn run(cmd: NinCommand, now: DateTime<Utc>, json: bool) -> Result<(), CliError> {
    let reports = match cmd {
        NinCommand::Check { numbers } => numbers
            .iter()
            .map(|n| match Nin::parse(n.trim()) {
                Ok((_, info)) => Report::valid(n.trim(), &info),
                Err(e) => Report {
                    nin: n.clone(),
                    valid: false,
                    kind: None,
                    synthetic_group: None,
                    birth_date: None,
                    sex: None,
                    rule: None,
                    birth_date_certain: None,
                    sex_certain: None,
                    reason: Some(e.to_string()),
                    reason_code: Some(e.code()),
                },
            })
            .collect(),
        NinCommand::Generate(args) => generate(&args, now)?,
    };
    for report in &reports {
        output::print(report, json).map_err(|e| CliError::Runtime(format!("cannot write: {e}")))?;
    }
    Ok(())
}

fn generate(args: &GenerateArgs, now: DateTime<Utc>) -> Result<Vec<Report>, CliError> {
    let kind = args.kind.kind();
    let synthetic = args.synthetic.synthetic();
    if kind == Kind::HNumber && synthetic.is_some() {
        return Err(CliError::Usage(
            "H-numbers have no synthetic form (month + 40 cannot take + 65 or + 80): use \
             --synthetic none with --kind hnr"
                .into(),
        ));
    }
    let born = match &args.born {
        Some(text) => Some(Date::parse(text).ok_or_else(|| {
            CliError::Usage(format!("--born {text:?} is not a real date (YYYY-MM-DD)"))
        })?),
        None => None,
    };
    let rule = if now.year() >= 2032 { Rule::From2032 } else { Rule::Classic };
    let mut rng = match args.seed {
        Some(seed) => rand_chacha::ChaCha8Rng::seed_from_u64(seed),
        None => rand_chacha::ChaCha8Rng::from_rng(&mut rand::rng()),
    };
    let today_year = crate::population::calendar_day(now).map_err(CliError::Usage)?.year;
    let mut alloc = Allocator::new();
    let mut out = Vec::with_capacity(args.count as usize);
    for _ in 0..args.count {
        let birth_date = match born {
            Some(d) => d,
            None => {
                let year = rng.random_range(today_year.saturating_sub(100)..=today_year.min(2039));
                let month = rng.random_range(1..=12u8);
                // A real date by construction: the day is drawn from the month's own length.
                Date { year, month, day: rng.random_range(1..=days_in_month(year, month)) }
            }
        };
        let sex = match args.sex {
            Some(SexArg::F) => Sex::Female,
            Some(SexArg::M) => Sex::Male,
            None if rng.random_bool(0.5) => Sex::Female,
            None => Sex::Male,
        };
        let nin = alloc
            .allocate(Request { birth_date, sex, kind, synthetic, rule })
            .map_err(|e| CliError::Usage(format!("cannot generate for {birth_date}: {e}")))?;
        out.push(Report::valid(&nin.to_string(), &nin.info()));
    }
    Ok(out)
}
