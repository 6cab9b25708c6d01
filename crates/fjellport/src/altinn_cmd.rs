//! `fjellport altinn send-correspondence`: a service owner's message into a reportee's
//! message box, in the database a server reads (it shows up there at once, on every replica).
//! `fjellport altinn systems create|list`: the systems that log in to Altinn's SOAP services.

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
    /// Systems that log in to the SOAP services (systemUserName + systemPassword).
    #[command(subcommand)]
    Systems(SystemsCommand),
}

#[derive(Debug, Subcommand)]
pub enum SystemsCommand {
    /// Register a system; prints {systemUserName, systemPassword, systemUserCode} (the
    /// password only now: it is stored hashed).
    Create(SystemArgs),
    /// The registered systems (no passwords).
    List,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false, id = "system_for")]
pub struct SystemFor {
    /// A service owner's system (sends correspondence): the owner's code, e.g. SKD.
    #[arg(long, value_name = "CODE", group = "system_for")]
    pub service_owner: Option<String>,
    /// An end-user system (a vendor's product acting for users): its name.
    #[arg(long, value_name = "NAME", group = "system_for")]
    pub end_user_system: Option<String>,
}

#[derive(Debug, Args)]
pub struct SystemArgs {
    #[command(flatten)]
    pub system_for: SystemFor,
    /// The system's name in its SystemUserCode (<CODE>_<NAME>); default SYSTEM for a service
    /// owner, the end-user system's name otherwise.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedSystemOut {
    system_user_name: String,
    system_password: String,
    system_user_code: String,
    kind: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SystemOut {
    system_user_name: String,
    system_user_code: String,
    kind: String,
    owner: String,
    created_at: String,
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
    let args = match cmd {
        AltinnCommand::SendCorrespondence(args) => args,
        AltinnCommand::Systems(cmd) => return systems(cmd, config, clock, json).await,
    };
    let out = Outgoing {
        service_owner: args.service_owner.to_ascii_uppercase(),
        reportee: args.reportee,
        title: args.title,
        summary: args.summary,
        body: args.body,
        service_code: args.service_code,
        service_edition: args.service_edition,
        confirmation_needed: args.confirmation_needed,
        senders_reference: None,
        visible_at: None,
        extra: Default::default(),
    };
    let store = fjellport_store::open(&config.database).await?;
    let catalogue = &config.altinn.catalogue;
    let result = send(store.as_ref(), catalogue, &out, clock.now().timestamp(), None).await;
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

async fn systems(
    cmd: SystemsCommand,
    config: Config,
    clock: fjellport_clock::SharedClock,
    json: bool,
) -> Result<(), CliError> {
    use fjellport_api_altinn::soap::systems::{SystemFor as For, create};
    let store = fjellport_store::open(&config.database).await?;
    let result = match cmd {
        SystemsCommand::Create(args) => {
            let (who, default_name) =
                match (args.system_for.service_owner, args.system_for.end_user_system) {
                    (Some(code), _) => (For::ServiceOwner(code), "SYSTEM".to_owned()),
                    (None, Some(name)) => (For::EndUserSystem(name.clone()), name),
                    (None, None) => {
                        store.close().await;
                        return Err(CliError::Usage(
                            "give --service-owner or --end-user-system".into(),
                        ));
                    }
                };
            let name = args.name.unwrap_or(default_name);
            let now = clock.now().timestamp();
            match create(store.as_ref(), &config.altinn.catalogue, &who, &name, now).await {
                Ok(c) => {
                    let out = CreatedSystemOut {
                        system_user_name: c.system.user_name,
                        system_password: c.password.expose().to_owned(),
                        system_user_code: c.system.system_user_code,
                        kind: c.system.kind,
                    };
                    Ok(output::print(&out, json).map_err(io))
                }
                Err(why) => Err(CliError::Usage(why)),
            }
        }
        SystemsCommand::List => match store.systems().await {
            Ok(list) => {
                let out: Vec<SystemOut> = list
                    .into_iter()
                    .map(|s| SystemOut {
                        system_user_name: s.user_name,
                        system_user_code: s.system_user_code,
                        kind: s.kind,
                        owner: s.owner,
                        created_at: chrono::DateTime::from_timestamp(s.created_at, 0)
                            .map(|t| t.to_rfc3339())
                            .unwrap_or_default(),
                    })
                    .collect();
                Ok(output::print(&out, json).map_err(io))
            }
            Err(e) => Err(CliError::from(e)),
        },
    };
    store.close().await;
    result?
}
