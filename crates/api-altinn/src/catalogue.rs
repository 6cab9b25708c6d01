//! The service catalogue: the service owners (public agencies) and their services, with the
//! roles that give access to each. Altinn's own catalogue is not public data; this default set
//! is synthetic but shaped like it — the three owners of the contract (Skatteetaten, NAV,
//! Brønnøysundregistrene, with their real organization numbers) and a few form and
//! correspondence services each. Service codes and editions are this stand-in's own.

/// A public agency that owns services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOwner {
    /// Altinn's three-letter owner code.
    pub code: &'static str,
    pub orgnr: &'static str,
    pub name: &'static str,
}

/// What a service does: users submit forms to it, or it sends them correspondence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    FormTask,
    Correspondence,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::FormTask => "FormTask",
            ServiceType::Correspondence => "Correspondence",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub owner: &'static str,
    pub code: &'static str,
    pub edition: u32,
    pub name: &'static str,
    pub kind: ServiceType,
    /// Roles (Enhetsregister codes, and PRIV for a person's own affairs) that give access.
    pub roles: &'static [&'static str],
}

pub const OWNERS: [ServiceOwner; 3] = [
    ServiceOwner { code: "SKD", orgnr: "974761076", name: "Skatteetaten" },
    ServiceOwner { code: "NAV", orgnr: "889640782", name: "Arbeids- og velferdsetaten" },
    ServiceOwner { code: "BRG", orgnr: "974760673", name: "Brønnøysundregistrene" },
];

pub const SERVICES: [Service; 7] = [
    Service {
        owner: "SKD",
        code: "4936",
        edition: 1,
        name: "Skattemelding for personer",
        kind: ServiceType::FormTask,
        roles: &["PRIV"],
    },
    Service {
        owner: "SKD",
        code: "4419",
        edition: 1,
        name: "Mva-melding",
        kind: ServiceType::FormTask,
        roles: &["DAGL", "REGN", "INNH"],
    },
    Service {
        owner: "SKD",
        code: "5528",
        edition: 1,
        name: "Melding fra Skatteetaten",
        kind: ServiceType::Correspondence,
        roles: &["PRIV", "DAGL", "INNH"],
    },
    Service {
        owner: "NAV",
        code: "5562",
        edition: 1,
        name: "A-melding",
        kind: ServiceType::FormTask,
        roles: &["DAGL", "REGN", "INNH"],
    },
    Service {
        owner: "NAV",
        code: "5252",
        edition: 1,
        name: "Brev fra NAV",
        kind: ServiceType::Correspondence,
        roles: &["PRIV", "DAGL"],
    },
    Service {
        owner: "BRG",
        code: "4640",
        edition: 1,
        name: "Melding om endring i Enhetsregisteret",
        kind: ServiceType::FormTask,
        roles: &["DAGL", "LEDE", "INNH"],
    },
    Service {
        owner: "BRG",
        code: "5621",
        edition: 1,
        name: "Varsel fra Brønnøysundregistrene",
        kind: ServiceType::Correspondence,
        roles: &["DAGL", "LEDE", "INNH"],
    },
];

/// The owner of code `code`.
pub fn owner(code: &str) -> Option<&'static ServiceOwner> {
    OWNERS.iter().find(|o| o.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_has_its_owner_and_owners_have_valid_numbers() {
        for s in &SERVICES {
            assert!(owner(s.owner).is_some(), "{s:?}");
            assert!(!s.roles.is_empty(), "{s:?}");
        }
        for o in &OWNERS {
            assert!(o.orgnr.parse::<fjellport_nin::orgnr::OrgNumber>().is_ok(), "{o:?}");
        }
    }
}
