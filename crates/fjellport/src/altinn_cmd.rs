//! `fjellport altinn send-correspondence`: a service owner's message into a reportee's
//! message box, in the database a server reads (it shows up there at once, on every replica).

use clap::{Args, Subcommand};
use fjellport_api_altinn::correspondence::{Outgoing, SendError, send};
use serde::Serialize;

use crate::cli::{CliError, io};
use crate::config::Config;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum AltinnCommand {
    /// Send a correspondence from a service owner to a person or an organization.
    SendCorrespondence(SendArgs),
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The service owner's code: SKD, NAV or BRG by default (the configured catalogue's;
    /// GET /altinn/api/metadata lists them).
    #[arg(long, value_name = "CODE")]
    pub service_owner: String,
    /// The recipient: an identity number (11 digits) or an organization number (9).
    #[arg(long, value_name = "NIN|ORGNR")]
    pub reportee: String,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub summary: String,
    /// The message body (HTML).
    #[arg(long, default_value = "")]
    pub body: String,
    /// One of the owner's correspondence services (default: its first).
    #[arg(long, value_name = "CODE")]
    pub service_code: Option<String>,
    #[arg(long, value_name = "EDITION")]
    pub service_edition: Option<u32>,
    /// The recipient must confirm it (PUT …/Confirm).
    #[arg(long)]
    pub confirmation_needed: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Sent {
    message_id: String,
    /// This stand-in numbers a sending's receipt like its message.
    receipt_id: i64,
    reportee: String,
    service_code: String,
    service_edition: i64,
}

pub(crate) async fn run(
    cmd: AltinnCommand,
    config: Config,
    clock: fjellport_clock::SharedClock,
    json: bool,
) -> Result<(), CliError> {
    let AltinnCommand::SendCorrespondence(args) = cmd;
    let out = Outgoing {
        service_owner: args.service_owner.to_ascii_uppercase(),
        reportee: args.reportee,
        title: args.title,
        summary: args.summary,
        body: args.body,
        service_code: args.service_code,
        service_edition: args.service_edition,
        confirmation_needed: args.confirmation_needed,
    };
    let store = fjellport_store::open(&config.database).await?;
    let catalogue = &config.altinn.catalogue;
    let result = send(store.as_ref(), catalogue, &out, clock.now().timestamp()).await;
    store.close().await;
    let m = result.map_err(|e| match e {
        SendError::Invalid(why) => CliError::Usage(why),
        SendError::Store(e) => CliError::from(e),
    })?;
    let sent = Sent {
        message_id: format!("a{}", m.seq),
        receipt_id: m.seq,
        reportee: m.reportee,
        service_code: m.service_code,
        service_edition: m.service_edition,
    };
    output::print(&sent, json).map_err(io)
}
