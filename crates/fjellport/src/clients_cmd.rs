//! `fjellport clients`: OAuth clients of the embedded issuers (private_key_jwt), registered,
//! listed and revoked in the database a server reads.

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::cli::{CliError, io};
use crate::config::Config;
use crate::issuers::IssuerName;
use crate::output;

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
    /// File with the client's public JWK (or a JWKS). Required, except for a public
    /// ID-porten client (one that has no key and relies on PKCE, such as a browser app).
    #[arg(long, value_name = "PUBLIC.json")]
    pub jwk_file: Option<std::path::PathBuf>,
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
    /// An organization that delegated to the client's: with --multi-tenant (HelseID), a parent
    /// the client may name (without any, every organization is accepted); for --issuer
    /// maskinporten, one it may act for with consumer_org. Repeat for several.
    #[arg(long = "delegation", value_name = "ORGNR")]
    pub delegations: Vec<String>,
    /// For --issuer idporten: a redirect URI its logins may return to (exactly; https, or
    /// http on localhost). Repeat for several.
    #[arg(long = "redirect-uri", value_name = "URL")]
    pub redirect_uris: Vec<String>,
}

fn read_jwk(file: &std::path::Path) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read --jwk-file {}: {e}", file.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("--jwk-file {} is not JSON: {e}", file.display())))
}

pub(crate) async fn run(
    cmd: ClientsCommand,
    config: Config,
    clock: fjellport_clock::SharedClock,
    json: bool,
) -> Result<(), CliError> {
    use fjellport_auth::client_registry::{ClientRequest, ClientView};
    // Read and check the input before touching the database.
    let request = match &cmd {
        ClientsCommand::Create(args) => {
            let jwk = match &args.jwk_file {
                Some(file) => read_jwk(file)?,
                None if args.issuer == IssuerName::Idporten => Value::Null,
                None => {
                    return Err(CliError::Usage(format!(
                        "give the client's public key with --jwk-file (only ID-porten clients \
                         may be public); issuer {}",
                        args.issuer.as_str()
                    )));
                }
            };
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
                redirect_uris: args.redirect_uris.clone(),
            })
        }
        ClientsCommand::List | ClientsCommand::Revoke { .. } => None,
    };
    let client = request
        .map(|r| {
            r.register(&crate::issuers::known(), clock.now())
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
