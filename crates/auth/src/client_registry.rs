//! Registering OAuth clients: what `fjellport clients create` and `POST /admin/api/clients`
//! check before anything is stored.

use std::fmt;

use chrono::{DateTime, Utc};
use fjellport_nin::orgnr::OrgNumber;
use fjellport_store::StoredClient;
use serde::Serialize;
use serde_json::{Value, json};

use crate::jose::PublicJwk;
use crate::secret::random_bytes;

/// The Maskinporten-like issuer's name: its clients follow Maskinporten's rules.
pub const MASKINPORTEN: &str = "maskinporten";
/// The ID-porten-like issuer's name: its clients log end users in and have redirect URIs.
pub const IDPORTEN: &str = "idporten";

/// An issuer clients may be registered for, and the scopes it grants: a client with a scope
/// no API here knows (`*`, `admin`, a typo) could never get a token that works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownIssuer {
    pub name: &'static str,
    pub scopes: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub struct ClientRequest {
    /// A public JWK, or a JWKS (`{"keys": [...]}`); `null` for a public ID-porten client
    /// (one without a secret, such as a single-page app: it authenticates with PKCE alone).
    pub jwk: Value,
    pub scopes: Vec<String>,
    pub issuer: String,
    pub name: Option<String>,
    pub orgnr_parent: Option<String>,
    pub orgnr_child: Option<String>,
    pub dpop_bound: bool,
    /// HelseID multi-tenancy: the client names the organization it acts for per token, and
    /// `orgnr_parent` is the supplier's own organization.
    pub multi_tenant: bool,
    /// Organizations a multi-tenant client may act for; empty: any.
    pub delegations: Vec<String>,
    /// Where an ID-porten client's logins may return (exact URIs).
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRequestError {
    /// No issuer of that name runs here; `known` are those that do.
    UnknownIssuer {
        name: String,
        known: Vec<String>,
    },
    NoKeys,
    BadKey(String),
    NoScope,
    BadScope(String),
    /// A scope the issuer does not grant; `known` are those it does.
    UnknownScope {
        scope: String,
        issuer: String,
        known: Vec<String>,
    },
    BadOrgNumber(String),
    BadName,
    /// A multi-tenant client needs its supplier's organization and takes no fixed child.
    BadTenancy(&'static str),
    /// A redirect URI that is missing, not allowed for the issuer, or malformed.
    BadRedirect(String),
}

impl fmt::Display for ClientRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientRequestError::UnknownIssuer { name, known } => {
                write!(f, "unknown issuer {name:?}: this server has {}", known.join(", "))
            }
            ClientRequestError::NoKeys => {
                f.write_str("give the client's public key: a JWK, or a JWK set with keys")
            }
            ClientRequestError::BadKey(e) => write!(f, "bad client key: {e}"),
            ClientRequestError::NoScope => f.write_str("give the client at least one scope"),
            ClientRequestError::BadScope(s) => write!(f, "scope {s:?} is not a scope token"),
            ClientRequestError::UnknownScope { scope, issuer, known } => write!(
                f,
                "scope {scope:?} is not one the {issuer} issuer grants; it grants {}",
                known.join(", ")
            ),
            ClientRequestError::BadOrgNumber(n) => {
                write!(f, "{n:?} is not a valid 9-digit organization number")
            }
            ClientRequestError::BadName => {
                f.write_str("the name must be 1 to 200 printable characters")
            }
            ClientRequestError::BadTenancy(why) => f.write_str(why),
            ClientRequestError::BadRedirect(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ClientRequestError {}

impl ClientRequestError {
    /// Which part of the request is wrong, so a form can show the error beside its field:
    /// `issuer`, `jwk`, `scopes`, `owner` (the organizations) or `name`.
    pub fn field(&self) -> &'static str {
        match self {
            ClientRequestError::UnknownIssuer { .. } | ClientRequestError::BadRedirect(_) => {
                "issuer"
            }
            ClientRequestError::NoKeys | ClientRequestError::BadKey(_) => "jwk",
            ClientRequestError::NoScope
            | ClientRequestError::BadScope(_)
            | ClientRequestError::UnknownScope { .. } => "scopes",
            ClientRequestError::BadOrgNumber(_) | ClientRequestError::BadTenancy(_) => "owner",
            ClientRequestError::BadName => "name",
        }
    }
}

/// Most keys one client registers: every token request tries them, and a rotation needs two.
const MAX_KEYS: usize = 10;

impl ClientRequest {
    /// Checks the request and makes the client to store. `issuers` are the issuers this server
    /// runs: a client of any other would be stored for an issuer that never answers.
    pub fn register(
        &self,
        issuers: &[KnownIssuer],
        now: DateTime<Utc>,
    ) -> Result<StoredClient, ClientRequestError> {
        let Some(known) = issuers.iter().find(|i| i.name == self.issuer) else {
            return Err(ClientRequestError::UnknownIssuer {
                name: self.issuer.clone(),
                known: issuers.iter().map(|i| i.name.to_owned()).collect(),
            });
        };
        let idporten = self.issuer == IDPORTEN;
        let keys: Vec<Value> = match self.jwk.get("keys") {
            // A public ID-porten client has no key.
            _ if idporten && self.jwk.is_null() => Vec::new(),
            _ if self.jwk.is_null() => return Err(ClientRequestError::NoKeys),
            Some(Value::Array(list)) => list.clone(),
            Some(_) => return Err(ClientRequestError::BadKey("keys must be a list".into())),
            None => vec![self.jwk.clone()],
        };
        if keys.is_empty() && !(idporten && self.jwk.is_null()) {
            return Err(ClientRequestError::NoKeys);
        }
        if keys.len() > MAX_KEYS {
            return Err(ClientRequestError::BadKey(format!(
                "a client registers at most {MAX_KEYS} keys (a rotation needs two), not {}",
                keys.len()
            )));
        }
        check_redirects(idporten, &self.redirect_uris)?;
        for key in &keys {
            PublicJwk::from_value(key).map_err(|e| ClientRequestError::BadKey(e.to_string()))?;
        }
        if self.scopes.is_empty() {
            return Err(ClientRequestError::NoScope);
        }
        for scope in &self.scopes {
            // RFC 6749 §3.3 scope-token: printable ASCII without space, '"' or '\'.
            let ok = !scope.is_empty()
                && scope.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
            if !ok {
                return Err(ClientRequestError::BadScope(scope.clone()));
            }
            if !known.scopes.contains(&scope.as_str()) {
                return Err(ClientRequestError::UnknownScope {
                    scope: scope.clone(),
                    issuer: self.issuer.clone(),
                    known: known.scopes.iter().map(|s| (*s).to_owned()).collect(),
                });
            }
        }
        // A Maskinporten client is an organization's: it signs its grants RSA, gets Bearer
        // tokens, and may act for the organizations that delegated to it (`consumer_org`).
        let maskinporten = self.issuer == MASKINPORTEN;
        if maskinporten {
            if self.orgnr_parent.is_none() {
                return Err(ClientRequestError::BadTenancy(
                    "a Maskinporten client belongs to an organization: give orgnr_parent (--orgnr)",
                ));
            }
            if self.multi_tenant || self.orgnr_child.is_some() {
                return Err(ClientRequestError::BadTenancy(
                    "Maskinporten clients have no tenancy or child organization: name the \
                     organizations that delegated to the client as delegations",
                ));
            }
            if keys.iter().any(|k| k.get("kty").and_then(Value::as_str) != Some("RSA")) {
                return Err(ClientRequestError::BadKey(
                    "Maskinporten grants are signed RS256, RS384 or RS512: register RSA keys"
                        .into(),
                ));
            }
        } else if !self.multi_tenant && !self.delegations.is_empty() {
            return Err(ClientRequestError::BadTenancy(
                "delegations are for multi-tenant clients (client_tenancy multi-tenant)",
            ));
        }
        let numbers = [&self.orgnr_parent, &self.orgnr_child].into_iter().flatten();
        for n in numbers.chain(&self.delegations) {
            n.parse::<OrgNumber>().map_err(|_| ClientRequestError::BadOrgNumber(n.clone()))?;
        }
        if self.multi_tenant && self.orgnr_parent.is_none() {
            return Err(ClientRequestError::BadTenancy(
                "a multi-tenant client needs orgnr_parent: the supplier's own organization",
            ));
        }
        if self.multi_tenant && self.orgnr_child.is_some() {
            return Err(ClientRequestError::BadTenancy(
                "a multi-tenant client names its child organization per token, not at registration",
            ));
        }
        let name = self.name.clone().unwrap_or_else(|| "Fjellport test client".into());
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(ClientRequestError::BadName);
        }
        Ok(StoredClient {
            client_id: uuid_like(),
            issuer: self.issuer.clone(),
            name,
            jwks: json!({ "keys": keys }).to_string(),
            scopes: self.scopes.clone(),
            orgnr_parent: self.orgnr_parent.clone(),
            orgnr_child: self.orgnr_child.clone(),
            // Maskinporten's tokens are Bearer tokens.
            dpop_bound: self.dpop_bound && !maskinporten && !idporten,
            multi_tenant: self.multi_tenant,
            delegations: self.delegations.clone(),
            redirect_uris: self.redirect_uris.clone(),
            created_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
            revoked_at: None,
        })
    }
}

/// An ID-porten client needs at least one redirect URI, each absolute, without a fragment
/// (RFC 6749 §3.1.2), `https` or `http` on a loopback host (RFC 8252 §7.3); other clients
/// have none.
fn check_redirects(idporten: bool, uris: &[String]) -> Result<(), ClientRequestError> {
    let bad = |why: String| Err(ClientRequestError::BadRedirect(why));
    if !idporten {
        if uris.is_empty() {
            return Ok(());
        }
        return bad("only ID-porten clients (--issuer idporten) have redirect URIs".into());
    }
    if uris.is_empty() {
        return bad("an ID-porten client needs at least one redirect URI (--redirect-uri)".into());
    }
    if uris.len() > 20 {
        return bad("register at most 20 redirect URIs".into());
    }
    for uri in uris {
        let parsed = match url::Url::parse(uri) {
            Ok(u) => u,
            Err(e) => return bad(format!("redirect URI {uri:?} is not an absolute URL: {e}")),
        };
        if parsed.fragment().is_some() {
            return bad(format!("redirect URI {uri:?} must not have a fragment (#…)"));
        }
        let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        match parsed.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return bad(format!(
                    "redirect URI {uri:?} must be https (http only on localhost, 127.0.0.1 or [::1])"
                ));
            }
        }
        if uri.len() > 2000 {
            return bad("a redirect URI may be at most 2000 characters".into());
        }
    }
    Ok(())
}

/// A client as shown to people and scripts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Client)]
pub struct ClientView {
    pub client_id: String,
    pub issuer: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub orgnr_parent: Option<String>,
    pub orgnr_child: Option<String>,
    pub dpop_bound_access_tokens: bool,
    /// `single-tenant` or `multi-tenant`, as HelseID's `client_tenancy` claim says it.
    pub client_tenancy: &'static str,
    /// Organizations a multi-tenant client may act for (empty: any).
    pub delegations: Vec<String>,
    /// Where an ID-porten client's logins may return.
    pub redirect_uris: Vec<String>,
    /// `private_key_jwt`, or `none` for a public ID-porten client (PKCE only).
    pub token_endpoint_auth_method: &'static str,
    pub jwks: Value,
    pub created_at: String,
    /// When the client was revoked; `null` while it may get tokens.
    pub revoked_at: Option<String>,
}

impl From<&StoredClient> for ClientView {
    fn from(c: &StoredClient) -> Self {
        ClientView {
            client_id: c.client_id.clone(),
            issuer: c.issuer.clone(),
            client_name: c.name.clone(),
            scopes: c.scopes.clone(),
            orgnr_parent: c.orgnr_parent.clone(),
            orgnr_child: c.orgnr_child.clone(),
            dpop_bound_access_tokens: c.dpop_bound,
            client_tenancy: tenancy(c.multi_tenant),
            delegations: c.delegations.clone(),
            redirect_uris: c.redirect_uris.clone(),
            token_endpoint_auth_method: if c.is_public() { "none" } else { "private_key_jwt" },
            jwks: serde_json::from_str(&c.jwks).unwrap_or(Value::Null),
            created_at: crate::apikey::rfc3339(c.created_at),
            revoked_at: c.revoked_at.map(crate::apikey::rfc3339),
        }
    }
}

/// HelseID's names for the two kinds of client.
const SINGLE_TENANT: &str = "single-tenant";
const MULTI_TENANT: &str = "multi-tenant";

/// The name HelseID gives a client's kind.
pub fn tenancy(multi_tenant: bool) -> &'static str {
    if multi_tenant { MULTI_TENANT } else { SINGLE_TENANT }
}

/// Whether a kind's name means multi-tenant; `None` for a name HelseID does not use.
pub fn is_multi_tenant(tenancy: &str) -> Option<bool> {
    match tenancy {
        SINGLE_TENANT => Some(false),
        MULTI_TENANT => Some(true),
        _ => None,
    }
}

/// HelseID client ids are GUIDs; ours look alike (random, version-4 layout).
fn uuid_like() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
