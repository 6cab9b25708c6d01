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
    pub orgnr_parent: Option<&'a str>,
    pub orgnr_child: Option<&'a str>,
}

pub trait ClaimProfile: Debug + Send + Sync {
    /// Claims an access token carries about its client (beside `client_id`, which every
    /// profile sets).
    fn client_claims(&self, client: &ClientFacts<'_>) -> Map<String, Value>;

    /// The API (`aud`) a requested scope is for, if it names one.
    fn audience_of<'s>(&self, scope: &'s str) -> Option<&'s str>;

    /// Claims chosen per request with RFC 9396 `authorization_details` (already parsed JSON),
    /// or why they cannot be granted. Issuers without such choices refuse every request for them.
    fn authorization_details(
        &self,
        client: &ClientFacts<'_>,
        details: &Value,
    ) -> Result<Map<String, Value>, String> {
        let _ = (client, details);
        Err("this issuer takes no authorization_details".into())
    }
}

/// HelseID's identifier system for organization numbers (Enhetsregisteret).
pub const ENH_SYSTEM: &str = "urn:oid:2.16.578.1.12.4.1.2.101";

/// HelseID's machine-to-machine profile: `helseid://claims/client/…` claims, and scopes of the
/// form `<audience>/<name>` (`nhntsd:syntpop-api/full-access` is for `nhntsd:syntpop-api`).
#[derive(Debug, Clone, Copy, Default)]
pub struct HelseId;

impl ClaimProfile for HelseId {
    fn client_claims(&self, client: &ClientFacts<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("helseid://claims/client/client_name".into(), json!(client.name));
        claims.insert("helseid://claims/client/amr".into(), json!("private_key_jwt"));
        if let Some(o) = client.orgnr_parent {
            claims.insert("helseid://claims/client/claims/orgnr_parent".into(), json!(o));
        }
        if let Some(o) = client.orgnr_child {
            claims.insert(ORGNR_CHILD.into(), json!(o));
        }
        claims
    }

    fn audience_of<'s>(&self, scope: &'s str) -> Option<&'s str> {
        scope.split_once('/').map(|(audience, _)| audience)
    }

    /// HelseID's `helseid_authorization`: a client serving several organizations names, per
    /// token, the child organization it acts for
    /// (`practitioner_role.organization.identifier`, system [`ENH_SYSTEM`], type `ENH`). A
    /// client registered with a fixed child organization may only name that one.
    fn authorization_details(
        &self,
        client: &ClientFacts<'_>,
        details: &Value,
    ) -> Result<Map<String, Value>, String> {
        let entries = match details {
            Value::Array(list) if !list.is_empty() => list.as_slice(),
            Value::Object(_) => std::slice::from_ref(details),
            _ => return Err("authorization_details must be an object or a non-empty list".into()),
        };
        let mut claims = Map::new();
        for entry in entries {
            match entry.get("type").and_then(Value::as_str) {
                Some("helseid_authorization") => {}
                Some(other) => return Err(format!("unknown authorization_details type {other:?}")),
                None => return Err("each authorization_details entry needs a type".into()),
            }
            let id = entry
                .pointer("/practitioner_role/organization/identifier")
                .ok_or("helseid_authorization needs practitioner_role.organization.identifier")?;
            if id.get("system").and_then(Value::as_str) != Some(ENH_SYSTEM)
                || id.get("type").and_then(Value::as_str) != Some("ENH")
            {
                return Err(format!(
                    "the organization identifier must have system {ENH_SYSTEM} and type ENH"
                ));
            }
            let value = id.get("value").and_then(Value::as_str).unwrap_or_default();
            let orgnr: fjellport_nin::orgnr::OrgNumber = value
                .parse()
                .map_err(|_| format!("{value:?} is not a valid 9-digit organization number"))?;
            let orgnr = orgnr.to_string();
            if client.orgnr_child.is_some_and(|fixed| fixed != orgnr) {
                return Err(format!(
                    "this client may act for child organization {} only",
                    client.orgnr_child.unwrap_or_default()
                ));
            }
            if claims.insert(ORGNR_CHILD.into(), json!(orgnr)).is_some() {
                return Err("name one child organization per token".into());
            }
        }
        Ok(claims)
    }
}

const ORGNR_CHILD: &str = "helseid://claims/client/claims/orgnr_child";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helseid_names_the_audience_before_the_slash_and_carries_its_client_claims() {
        assert_eq!(
            HelseId.audience_of("nhntsd:syntpop-api/full-access"),
            Some("nhntsd:syntpop-api")
        );
        assert_eq!(HelseId.audience_of("openid"), None);
        let facts = ClientFacts {
            client_id: "c1",
            name: "Legekontoret",
            orgnr_parent: Some("974760673"),
            orgnr_child: None,
        };
        let claims = HelseId.client_claims(&facts);
        assert_eq!(claims["helseid://claims/client/client_name"], "Legekontoret");
        assert_eq!(claims["helseid://claims/client/amr"], "private_key_jwt");
        assert_eq!(claims["helseid://claims/client/claims/orgnr_parent"], "974760673");
        assert!(!claims.contains_key("helseid://claims/client/claims/orgnr_child"));
    }

    fn child(orgnr: &str) -> Value {
        json!({"type": "helseid_authorization", "practitioner_role": {"organization":
            {"identifier": {"system": ENH_SYSTEM, "type": "ENH", "value": orgnr}}}})
    }

    #[test]
    fn helseid_authorization_details_name_one_valid_child_organization() {
        let open = ClientFacts { client_id: "c", name: "n", orgnr_parent: None, orgnr_child: None };
        let claims = HelseId.authorization_details(&open, &json!([child("974760673")])).unwrap();
        assert_eq!(claims[ORGNR_CHILD], "974760673");
        // A single object is taken as a list of one.
        assert!(HelseId.authorization_details(&open, &child("974760673")).is_ok());
        let refused = [
            (json!([]), "non-empty"),
            (json!([{"type": "other"}]), "unknown"),
            (json!([{"practitioner_role": {}}]), "needs a type"),
            (json!([{"type": "helseid_authorization"}]), "practitioner_role"),
            (child("974760674"), "not a valid"),
            (json!([child("974760673"), child("974760673")]), "one child"),
        ];
        for (details, needle) in refused {
            let err = HelseId.authorization_details(&open, &details).unwrap_err();
            assert!(err.contains(needle), "{details}: {err}");
        }
        let mut wrong_system = child("974760673");
        wrong_system["practitioner_role"]["organization"]["identifier"]["system"] = json!("x");
        assert!(HelseId.authorization_details(&open, &wrong_system).is_err());
        let fixed = ClientFacts { orgnr_child: Some("974760673"), ..open };
        assert!(HelseId.authorization_details(&fixed, &child("974760673")).is_ok());
        let err = HelseId.authorization_details(&fixed, &child("983544622")).unwrap_err();
        assert!(err.contains("974760673 only"), "{err}");
        // Other profiles take none.
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
        assert!(Plain.authorization_details(&open, &child("974760673")).is_err());
    }
}
