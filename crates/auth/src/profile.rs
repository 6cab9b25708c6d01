//! What makes one embedded issuer's tokens look like the real service it stands in for. The
//! machinery (keys, discovery, the token endpoint, DPoP, clients) is the same for every issuer;
//! a profile says which claims describe the client and which audience a scope names.

use std::fmt::Debug;

use serde_json::{Map, Value, json};

/// The facts about a client that tokens may carry.
#[derive(Debug, Clone, Copy)]
pub struct ClientFacts<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    /// The client's organization; for a multi-tenant client, its supplier's.
    pub orgnr_parent: Option<&'a str>,
    pub orgnr_child: Option<&'a str>,
    /// Names per token the organization it acts for (HelseID multi-tenancy)…
    pub multi_tenant: bool,
    /// …among these, the organizations that delegated to its supplier (empty: any).
    pub delegations: &'a [String],
}

impl<'a> From<&'a fjellport_store::StoredClient> for ClientFacts<'a> {
    fn from(c: &'a fjellport_store::StoredClient) -> Self {
        ClientFacts {
            client_id: &c.client_id,
            name: &c.name,
            orgnr_parent: c.orgnr_parent.as_deref(),
            orgnr_child: c.orgnr_child.as_deref(),
            multi_tenant: c.multi_tenant,
            delegations: &c.delegations,
        }
    }
}

pub trait ClaimProfile: Debug + Send + Sync {
    /// Claims an access token carries about its client (beside `client_id`, which every
    /// profile sets).
    fn client_claims(&self, client: &ClientFacts<'_>) -> Map<String, Value>;

    /// The API (`aud`) a requested scope is for, if it names one.
    fn audience_of<'s>(&self, scope: &'s str) -> Option<&'s str>;

    /// Claims the test-token service puts in a token unless the caller sets them (what a
    /// real token of this issuer always has and its client would not think to ask for).
    fn test_claims(&self) -> Map<String, Value> {
        Map::new()
    }

    /// Claims chosen per request with RFC 9396 `authorization_details` (already parsed JSON;
    /// `None` when the request has none), or why they cannot be granted. Issuers without such
    /// choices refuse every request that makes one.
    fn authorization_details(
        &self,
        client: &ClientFacts<'_>,
        details: Option<&Value>,
    ) -> Result<Map<String, Value>, String> {
        let _ = client;
        match details {
            None => Ok(Map::new()),
            Some(_) => Err("this issuer takes no authorization_details".into()),
        }
    }
}

/// Organization numbers of Enhetsregisteret, as NHN's samples name the system (single-tenant
/// clients naming a child organization)…
pub const ENH_SYSTEM: &str = "urn:oid:2.16.578.1.12.4.1.2.101";
/// …and as other HelseID clients in use name it.
const ENH_SYSTEM_ALT: &str = "urn:oid:2.16.578.1.12.4.1.4.101";
/// Multi-tenant clients: ISO 6523, value `NO:ORGNR:<parent>[:<child>]`.
pub const MULTI_TENANT_SYSTEM: &str = "urn:oid:1.0.6523";

const ORGNR_PARENT: &str = "helseid://claims/client/claims/orgnr_parent";
const ORGNR_CHILD: &str = "helseid://claims/client/claims/orgnr_child";
const ORGNR_SUPPLIER: &str = "helseid://claims/client/claims/orgnr_supplier";
const CLIENT_TENANCY: &str = "helseid://claims/client/client_tenancy";

/// HelseID's machine-to-machine profile: `helseid://claims/client/…` claims, and scopes of the
/// form `<audience>/<name>` (`nhntsd:syntpop-api/full-access` is for `nhntsd:syntpop-api`).
#[derive(Debug, Clone, Copy, Default)]
pub struct HelseId;

impl ClaimProfile for HelseId {
    /// A multi-tenant client's own organization is its supplier's (`orgnr_supplier`); the
    /// parent it acts for comes with each request.
    fn client_claims(&self, client: &ClientFacts<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("helseid://claims/client/client_name".into(), json!(client.name));
        claims.insert("helseid://claims/client/amr".into(), json!("private_key_jwt"));
        // HelseID's tokens also carry the client's authentication method at the top level.
        claims.insert("client_amr".into(), json!("private_key_jwt"));
        claims.insert(
            CLIENT_TENANCY.into(),
            json!(crate::client_registry::tenancy(client.multi_tenant)),
        );
        let own = if client.multi_tenant { ORGNR_SUPPLIER } else { ORGNR_PARENT };
        if let Some(o) = client.orgnr_parent {
            claims.insert(own.into(), json!(o));
        }
        if let Some(o) = client.orgnr_child {
            claims.insert(ORGNR_CHILD.into(), json!(o));
        }
        claims
    }

    fn audience_of<'s>(&self, scope: &'s str) -> Option<&'s str> {
        scope.split_once('/').map(|(audience, _)| audience)
    }

    /// HelseID's `helseid_authorization` (`practitioner_role.organization.identifier`, type
    /// `ENH`): a single-tenant client may name a child organization (system [`ENH_SYSTEM`]; a
    /// client registered with a fixed child only that one); a multi-tenant client must name the
    /// parent it acts for, and may name a child ([`MULTI_TENANT_SYSTEM`],
    /// `NO:ORGNR:<parent>[:<child>]`).
    fn authorization_details(
        &self,
        client: &ClientFacts<'_>,
        details: Option<&Value>,
    ) -> Result<Map<String, Value>, String> {
        match (details, client.multi_tenant) {
            (None, false) => Ok(Map::new()),
            (None, true) => Err(format!(
                "a multi-tenant client names the organization it acts for in \
                 authorization_details (system {MULTI_TENANT_SYSTEM}, value \
                 NO:ORGNR:<parent>[:<child>])"
            )),
            (Some(details), false) => child_claims(client, organization_identifier(details)?),
            (Some(details), true) => tenant_claims(client, organization_identifier(details)?),
        }
    }
}

/// The `(system, value)` of the one organization a `helseid_authorization` names.
fn organization_identifier(details: &Value) -> Result<(&str, &str), String> {
    let entries = match details {
        Value::Array(list) if !list.is_empty() => list.as_slice(),
        Value::Object(_) => std::slice::from_ref(details),
        _ => return Err("authorization_details must be an object or a non-empty list".into()),
    };
    let [entry] = entries else {
        return Err("name one organization per token".into());
    };
    match entry.get("type").and_then(Value::as_str) {
        Some("helseid_authorization") => {}
        Some(other) => return Err(format!("unknown authorization_details type {other:?}")),
        None => return Err("each authorization_details entry needs a type".into()),
    }
    let id = entry
        .pointer("/practitioner_role/organization/identifier")
        .ok_or("helseid_authorization needs practitioner_role.organization.identifier")?;
    if id.get("type").and_then(Value::as_str) != Some("ENH") {
        return Err("the organization identifier's type must be ENH".into());
    }
    let text = |name| id.get(name).and_then(Value::as_str).unwrap_or_default();
    Ok((text("system"), text("value")))
}

/// A single-tenant client's child organization.
fn child_claims(
    client: &ClientFacts<'_>,
    (system, value): (&str, &str),
) -> Result<Map<String, Value>, String> {
    if system != ENH_SYSTEM && system != ENH_SYSTEM_ALT {
        return Err(format!(
            "a single-tenant client names its child organization with system {ENH_SYSTEM} \
             (the {MULTI_TENANT_SYSTEM} form is for multi-tenant clients)"
        ));
    }
    let child = orgnr(value)?;
    if let Some(fixed) = client.orgnr_child
        && fixed != child
    {
        return Err(format!("this client may act for child organization {fixed} only"));
    }
    Ok(Map::from_iter([(ORGNR_CHILD.to_owned(), json!(child))]))
}

/// The organization a multi-tenant client acts for (one that delegated to its supplier, when
/// it has delegations), and the child it may name.
fn tenant_claims(
    client: &ClientFacts<'_>,
    (system, value): (&str, &str),
) -> Result<Map<String, Value>, String> {
    if system != MULTI_TENANT_SYSTEM {
        return Err(format!(
            "a multi-tenant client names its organizations with system {MULTI_TENANT_SYSTEM} \
             and value NO:ORGNR:<parent>[:<child>]"
        ));
    }
    let numbers = value
        .strip_prefix("NO:ORGNR:")
        .ok_or_else(|| format!("{value:?} does not have the form NO:ORGNR:<parent>[:<child>]"))?;
    let (parent, child) = numbers.split_once(':').unwrap_or((numbers, ""));
    let parent = orgnr(parent)?;
    if !client.delegations.is_empty() && !client.delegations.contains(&parent) {
        return Err(format!(
            "organization {parent} has not delegated to this client's supplier (its \
             delegations: {})",
            client.delegations.join(", ")
        ));
    }
    let mut claims = Map::from_iter([(ORGNR_PARENT.to_owned(), json!(parent))]);
    if !child.is_empty() {
        claims.insert(ORGNR_CHILD.into(), json!(orgnr(child)?));
    }
    Ok(claims)
}

/// A valid organization number, or why not.
fn orgnr(text: &str) -> Result<String, String> {
    text.parse::<fjellport_nin::orgnr::OrgNumber>()
        .map(|n| n.to_string())
        .map_err(|_| format!("{text:?} is not a valid 9-digit organization number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SINGLE: ClientFacts<'static> = ClientFacts {
        client_id: "c1",
        name: "Legekontoret",
        orgnr_parent: Some("974760673"),
        orgnr_child: None,
        multi_tenant: false,
        delegations: &[],
    };
    const MULTI: ClientFacts<'static> = ClientFacts { multi_tenant: true, ..SINGLE };

    fn identifier(system: &str, value: &str) -> Value {
        json!({"type": "helseid_authorization", "practitioner_role": {"organization":
            {"identifier": {"system": system, "type": "ENH", "value": value}}}})
    }

    fn child(orgnr: &str) -> Value {
        identifier(ENH_SYSTEM, orgnr)
    }

    fn grant(client: &ClientFacts<'_>, details: &Value) -> Result<Map<String, Value>, String> {
        HelseId.authorization_details(client, Some(details))
    }

    #[test]
    fn helseid_names_the_audience_before_the_slash_and_carries_its_client_claims() {
        assert_eq!(
            HelseId.audience_of("nhntsd:syntpop-api/full-access"),
            Some("nhntsd:syntpop-api")
        );
        assert_eq!(HelseId.audience_of("openid"), None);
        let claims = HelseId.client_claims(&SINGLE);
        assert_eq!(claims["helseid://claims/client/client_name"], "Legekontoret");
        assert_eq!(claims["helseid://claims/client/amr"], "private_key_jwt");
        assert_eq!(claims["client_amr"], "private_key_jwt");
        assert_eq!(claims[ORGNR_PARENT], "974760673");
        assert_eq!(claims[CLIENT_TENANCY], "single-tenant");
        assert!(!claims.contains_key(ORGNR_CHILD) && !claims.contains_key(ORGNR_SUPPLIER));
        // A multi-tenant client's own organization is the supplier's.
        let claims = HelseId.client_claims(&MULTI);
        assert_eq!(claims[ORGNR_SUPPLIER], "974760673");
        assert_eq!(claims[CLIENT_TENANCY], "multi-tenant");
        assert!(!claims.contains_key(ORGNR_PARENT));
    }

    #[test]
    fn a_single_tenant_client_names_at_most_one_valid_child_organization() {
        let claims = grant(&SINGLE, &json!([child("983544622")])).unwrap();
        assert_eq!(claims[ORGNR_CHILD], "983544622");
        // A single object is a list of one; the other ENH system name is taken too.
        assert!(grant(&SINGLE, &child("983544622")).is_ok());
        let alt = identifier("urn:oid:2.16.578.1.12.4.1.4.101", "983544622");
        assert!(grant(&SINGLE, &alt).is_ok());
        assert_eq!(HelseId.authorization_details(&SINGLE, None), Ok(Map::new()));
        let refused = [
            (json!([]), "non-empty"),
            (json!([{"type": "other"}]), "unknown"),
            (json!([{"practitioner_role": {}}]), "needs a type"),
            (json!([{"type": "helseid_authorization"}]), "practitioner_role"),
            (child("974760674"), "not a valid"),
            (json!([child("983544622"), child("983544622")]), "one organization"),
            (identifier("x", "983544622"), "single-tenant"),
            (identifier(MULTI_TENANT_SYSTEM, "NO:ORGNR:983544622"), "single-tenant"),
        ];
        for (details, needle) in refused {
            let err = grant(&SINGLE, &details).unwrap_err();
            assert!(err.contains(needle), "{details}: {err}");
        }
        let fixed = ClientFacts { orgnr_child: Some("983544622"), ..SINGLE };
        assert!(grant(&fixed, &child("983544622")).is_ok());
        let err = grant(&fixed, &child("974760673")).unwrap_err();
        assert!(err.contains("983544622 only"), "{err}");
    }

    #[test]
    fn a_multi_tenant_client_must_name_its_parent_and_may_name_a_child() {
        let both = grant(&MULTI, &identifier(MULTI_TENANT_SYSTEM, "NO:ORGNR:983544622:974760673"));
        let both = both.unwrap();
        assert_eq!(
            (&both[ORGNR_PARENT], &both[ORGNR_CHILD]),
            (&json!("983544622"), &json!("974760673"))
        );
        // NHN's samples end a parent without child with a colon; without one is taken too.
        for value in ["NO:ORGNR:983544622:", "NO:ORGNR:983544622"] {
            let parent = grant(&MULTI, &identifier(MULTI_TENANT_SYSTEM, value)).unwrap();
            assert_eq!(parent[ORGNR_PARENT], "983544622");
            assert!(!parent.contains_key(ORGNR_CHILD), "{value}");
        }
        let err = HelseId.authorization_details(&MULTI, None).unwrap_err();
        assert!(err.contains("multi-tenant client names the organization"), "{err}");
        for (value, needle) in [
            ("983544622", "NO:ORGNR"),
            ("NO:ORGNR:983544623", "not a valid"),
            ("NO:ORGNR:983544622:12", "not a valid"),
            ("NO:ORGNR:", "not a valid"),
        ] {
            let err = grant(&MULTI, &identifier(MULTI_TENANT_SYSTEM, value)).unwrap_err();
            assert!(err.contains(needle), "{value}: {err}");
        }
        let err = grant(&MULTI, &child("983544622")).unwrap_err();
        assert!(err.contains(MULTI_TENANT_SYSTEM), "{err}");
        // With delegations, only the organizations that delegated.
        let delegated = ["983544622".to_owned()];
        let strict = ClientFacts { delegations: &delegated, ..MULTI };
        assert!(grant(&strict, &identifier(MULTI_TENANT_SYSTEM, "NO:ORGNR:983544622:")).is_ok());
        let err =
            grant(&strict, &identifier(MULTI_TENANT_SYSTEM, "NO:ORGNR:313231593:")).unwrap_err();
        assert!(err.contains("313231593 has not delegated"), "{err}");
    }

    #[test]
    fn profiles_without_per_token_choices_refuse_authorization_details() {
        #[derive(Debug)]
        struct Plain;
        impl ClaimProfile for Plain {
            fn client_claims(&self, _: &ClientFacts<'_>) -> Map<String, Value> {
                Map::new()
            }
            fn audience_of<'s>(&self, _: &'s str) -> Option<&'s str> {
                None
            }
        }
        assert!(Plain.authorization_details(&SINGLE, Some(&child("983544622"))).is_err());
        assert_eq!(Plain.authorization_details(&SINGLE, None), Ok(Map::new()));
    }
}

/// Maskinporten's tokens: the client's organization as `consumer` (ISO 6523, `0192:<orgnr>`),
/// `client_amr` `private_key_jwt`, `token_type` `Bearer`; acting for another organization
/// (`consumer_org`), that one is the consumer and the client's own the `supplier`. Scopes name
/// no audience (a token's `aud` is the `resource` asked for, if any).
#[derive(Debug, Clone, Copy, Default)]
pub struct Maskinporten;

/// An organization as Maskinporten names it in `consumer` and `supplier`.
pub fn iso6523(orgnr: &str) -> Value {
    json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{orgnr}")})
}

impl ClaimProfile for Maskinporten {
    fn client_claims(&self, client: &ClientFacts<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("client_amr".into(), json!("private_key_jwt"));
        claims.insert("token_type".into(), json!("Bearer"));
        if let Some(o) = client.orgnr_parent {
            claims.insert("consumer".into(), iso6523(o));
        }
        claims
    }

    fn audience_of<'s>(&self, _scope: &'s str) -> Option<&'s str> {
        None
    }
}

/// ID-porten's end-user tokens: the person (`pid`, a pairwise `sub`) and how they logged in
/// (`acr`, `amr`) come from the login, not the client; the client is named by `client_id` and
/// `client_amr`. Scopes name no audience.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdPorten;

impl ClaimProfile for IdPorten {
    fn client_claims(&self, _client: &ClientFacts<'_>) -> Map<String, Value> {
        Map::from_iter([("token_type".to_owned(), json!("Bearer"))])
    }

    fn audience_of<'s>(&self, _scope: &'s str) -> Option<&'s str> {
        None
    }

    /// A test token is a login at the substantial level unless the caller says otherwise.
    fn test_claims(&self) -> Map<String, Value> {
        Map::from_iter([
            ("acr".to_owned(), json!(crate::authorize::LEVELS[0])),
            ("amr".to_owned(), json!(["TestID"])),
        ])
    }
}
