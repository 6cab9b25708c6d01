//! `informationParts` and `includeHistory`: which parts of a person a read returns, and
//! whether ended items come too (Persontjenesten's rules: the list is required, `All` takes
//! every part; without history, only the current item of each part is returned).

use fjellport_gateway::Problem;
use serde_json::{Map, Value};

use fjellport_gateway::input::{Pairs, invalid};

/// Persontjenesten's 35 information parts (its `InformationPart` enum). Parts this stand-in
/// does not model are accepted and simply absent from the answer.
pub(crate) const PARTS: [&str; 35] = [
    "AddressProtection",
    "CitizenshipRetention",
    "ResidentialAddress",
    "UseOfSamiLanguage",
    "SharedResidence",
    "Death",
    "FalseIdentity",
    "FamilyRelation",
    "Birth",
    "BirthInNorway",
    "ParentalResponsibility",
    "SamiParliamentElectoralRegistryStatus",
    "NorwegianIdentificationNumber",
    "IdentityVerification",
    "ImmigrationToNorway",
    "Gender",
    "ResiduaryEstateContactInformation",
    "IdentificationDocument",
    "Name",
    "ResidencePermit",
    "StayOnSvalbard",
    "PresentAddress",
    "PostalAddress",
    "ForeignPostalAddress",
    "PreferredContactAddress",
    "MaritalStatus",
    "Citizenship",
    "Status",
    "ForeignPersonIdentificationNumber",
    "EmigrationFromNorway",
    "ImmigrationAuthoritiesIdentificationNumber",
    "GuardianshipOrFuturePowerOfAttorney",
    "DeprivedLegalAuthority",
    "CommonContactRegisterInformation",
    "LegalAuthority",
];

/// What a person read returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct View {
    /// JSON member names (camelCase) of the parts asked for; `None` = all.
    members: Option<Vec<String>>,
    pub(crate) history: bool,
}

impl View {
    /// Every part, current items only.
    pub(crate) fn all_current() -> View {
        View { members: None, history: false }
    }

    /// Reads `informationParts` (repeated; comma-separated lists also accepted) and
    /// `includeHistory` from query pairs. `required`: whether `informationParts` must be there.
    pub(crate) fn from_query(query: &Pairs, required: bool) -> Result<View, Problem> {
        let mut names = Vec::new();
        let mut seen = false;
        for (k, v) in query.iter().filter(|(k, _)| k == "informationParts") {
            seen = true;
            for name in v.split(',').map(str::trim) {
                if name == "All" || PARTS.contains(&name) {
                    names.push(name.to_owned());
                } else {
                    return Err(invalid(
                        k,
                        format!(
                            "unknown information part {name:?}; use All or any of: {}",
                            PARTS.join(", ")
                        ),
                    ));
                }
            }
        }
        if required && !seen {
            return Err(invalid(
                "informationParts",
                "informationParts is required: name the parts you need (repeat the parameter), \
                 or informationParts=All",
            ));
        }
        let history = match query.iter().rfind(|(k, _)| k == "includeHistory") {
            None => false,
            Some((_, v)) => match v.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(invalid("includeHistory", "includeHistory must be true or false")),
            },
        };
        let members = (seen && !names.iter().any(|n| n == "All")).then(|| {
            names.iter().map(|n| n[..1].to_ascii_lowercase() + &n[1..]).collect::<Vec<_>>()
        });
        Ok(View { members, history })
    }

    /// What tells this view from another, for keeping what it shows.
    pub(crate) fn key(&self) -> String {
        let parts = self.members.as_ref().map_or_else(|| "All".to_owned(), |m| m.join(","));
        format!("{parts}|{}", self.history)
    }

    /// The stored document as this view shows it.
    pub(crate) fn render(&self, doc: &str) -> Result<Value, Problem> {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(doc) else {
            return Err(Problem::internal("a stored person is not a JSON object"));
        };
        let mut out = Map::with_capacity(map.len());
        for (k, v) in map {
            if k != "id" && self.members.as_ref().is_some_and(|m| !m.contains(&k)) {
                continue;
            }
            let v = match v {
                Value::Array(items) if !self.history => Value::Array(
                    items
                        .into_iter()
                        .filter(|i| i.get("isValid").and_then(Value::as_bool) != Some(false))
                        .collect(),
                ),
                other => other,
            };
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}
