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
}

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
            claims.insert("helseid://claims/client/claims/orgnr_child".into(), json!(o));
        }
        claims
    }

    fn audience_of<'s>(&self, scope: &'s str) -> Option<&'s str> {
        scope.split_once('/').map(|(audience, _)| audience)
    }
}

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
}
