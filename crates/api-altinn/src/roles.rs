//! Roles and rights as Altinn derives them from the registers: every user holds the Basisrolle
//! (ALLEA, 89) and, where they act, the External roles the registers give them — PRIV (82) for
//! their own affairs, the Enhetsregister roles at organizations. A service's rights come from the
//! roles it names in the catalogue; key roles (DAGL, LEDE, INNH, DTPR, DTSO) give every
//! organization service and may be delegated further. Role definition ids other than
//! Altinn's documented ones (PRIV 82, ALLEA 89) are this stand-in's own.

use serde_json::{Value, json};

use crate::catalogue::{Catalogue, Service, ServiceType};
use crate::parties::Reportee;

/// `(code, id, type, name, description)`.
pub(crate) type RoleDefinition = (&'static str, u32, &'static str, &'static str, &'static str);

pub(crate) const DEFINITIONS: [RoleDefinition; 10] = [
    ("ALLEA", 89, "Altinn", "Basisrolle", "Alle brukere av Altinn har denne rollen"),
    ("PRIV", 82, "External", "Privatperson", "Tilgang til egne tjenester (fra Folkeregisteret)"),
    ("DAGL", 151, "External", "Daglig leder", "Fra Enhetsregisteret: nøkkelrolle"),
    ("LEDE", 152, "External", "Styrets leder", "Fra Enhetsregisteret: nøkkelrolle"),
    ("MEDL", 154, "External", "Styremedlem", "Fra Enhetsregisteret"),
    ("REGN", 155, "External", "Regnskapsfører", "Fra Enhetsregisteret: klientrolle"),
    ("REVI", 156, "External", "Revisor", "Fra Enhetsregisteret: klientrolle"),
    ("INNH", 157, "External", "Innehaver", "Fra Enhetsregisteret: nøkkelrolle"),
    (
        "DTPR",
        158,
        "External",
        "Deltaker med proratarisk ansvar",
        "Fra Enhetsregisteret: nøkkelrolle",
    ),
    (
        "DTSO",
        159,
        "External",
        "Deltaker med solidarisk ansvar",
        "Fra Enhetsregisteret: nøkkelrolle",
    ),
];

/// Roles that give every organization service of the organization (Altinn's key roles).
pub(crate) const KEY_ROLES: [&str; 5] = ["DAGL", "LEDE", "INNH", "DTPR", "DTSO"];

fn holds_key_role(reportee: &Reportee) -> bool {
    reportee.is_organization() && reportee.roles.iter().any(|r| KEY_ROLES.contains(&r.as_str()))
}

/// Whether the user sees every message of `reportee`: their own box, or a key role there.
pub(crate) fn sees_all(reportee: &Reportee) -> bool {
    !reportee.is_organization() || holds_key_role(reportee)
}

pub(crate) fn definition(code: &str) -> Option<&'static RoleDefinition> {
    DEFINITIONS.iter().find(|d| d.0 == code)
}

/// A role definition as Altinn shows it, with its link under `base`.
pub(crate) fn definition_json(d: &RoleDefinition, base: &str) -> Value {
    json!({"RoleType": d.2, "RoleDefinitionId": d.1, "RoleName": d.3, "RoleDescription": d.4,
           "RoleDefinitionCode": d.0,
           "_links": {"self": {"href": format!("{base}/{}", d.1)}}})
}

/// The roles the user holds at `reportee`: the Basisrolle, then the register's, each with
/// a link to its definition under `definitions`.
pub(crate) fn held_roles(reportee: &Reportee, definitions: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for code in std::iter::once("ALLEA").chain(reportee.roles.iter().map(String::as_str)) {
        let Some(d) = definition(code) else { continue };
        let mut v = json!({"RoleType": d.2, "RoleDefinitionId": d.1, "RoleName": d.3,
                           "RoleDescription": d.4,
                           "_links": {"roledefinition": {"href": format!("{definitions}/{}", d.1)}}});
        if code != "ALLEA" {
            // Register roles are "delegated" by the register itself, when it was loaded.
            v["RoleId"] = json!(d.1);
            v["Delegator"] =
                json!(if code == "PRIV" { "Folkeregisteret" } else { "Enhetsregisteret" });
            v["DelegatedTime"] = Value::Null;
        }
        out.push(v);
    }
    out
}

/// Whether the user's roles at `reportee` give `svc`: one of the roles it names, or a key role
/// for a service of organizations (one that names more than PRIV).
pub(crate) fn covers(reportee: &Reportee, svc: &Service) -> bool {
    let named = reportee.roles.iter().any(|r| svc.takes(r));
    named || (holds_key_role(reportee) && svc.roles.iter().any(|r| r != "PRIV"))
}

/// The roles that give `svc`, by the rule of [`covers`]: those it names, and the key roles
/// for a service of organizations.
pub(crate) fn roles_giving(svc: &Service) -> Vec<&'static RoleDefinition> {
    let for_organizations = svc.roles.iter().any(|r| r != "PRIV");
    DEFINITIONS
        .iter()
        .filter(|d| svc.takes(d.0) || (for_organizations && KEY_ROLES.contains(&d.0)))
        .collect()
}

/// What a right to a service of `kind` lets one do.
pub(crate) fn actions(kind: ServiceType) -> &'static [&'static str] {
    match kind {
        ServiceType::FormTask => &["Read", "Write", "Sign", "ArchiveRead"],
        ServiceType::Correspondence => &["Read", "ArchiveRead", "ArchiveDelete"],
    }
}

/// The roles the user holds at `reportee` that matter for `owner`'s services: what a service
/// owner is told (REST's and SOAP's look-ups alike).
pub(crate) fn owner_roles(catalogue: &Catalogue, reportee: &Reportee, owner: &str) -> Vec<String> {
    let own: Vec<&Service> = catalogue.services.iter().filter(|svc| svc.owner == owner).collect();
    reportee
        .roles
        .iter()
        .filter(|role| {
            let alone = Reportee { roles: vec![(*role).clone()], ..reportee.clone() };
            own.iter().any(|svc| covers(&alone, svc))
        })
        .cloned()
        .collect()
}

/// The user's rights at `reportee`, for the services `owner` owns (all owners when `None`).
pub(crate) fn rights(
    catalogue: &Catalogue,
    reportee: &Reportee,
    owner: Option<&str>,
) -> Vec<Value> {
    let delegable = holds_key_role(reportee);
    let mut out = Vec::new();
    for (i, svc) in catalogue.services.iter().enumerate() {
        if owner.is_some_and(|o| o != svc.owner) || !covers(reportee, svc) {
            continue;
        }
        for (j, action) in actions(svc.kind).iter().enumerate() {
            out.push(json!({"RightID": (i + 1) * 10 + j, "RightType": "Service",
                            "ServiceCode": svc.code, "ServiceEditionCode": svc.edition,
                            "Action": action, "RightSourceType": "RoleTypeRights",
                            "IsDelegatable": delegable}));
        }
    }
    out
}
