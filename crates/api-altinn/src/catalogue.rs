//! The service catalogue: the service owners (public agencies) and their services, with the
//! roles that give access to each. Altinn's own catalogue is not public data; the default set
//! is synthetic but shaped like it — the three owners of the contract (Skatteetaten, NAV,
//! Brønnøysundregistrene, with their real organization numbers) and a few form and
//! correspondence services each, with this stand-in's own service codes. A configuration file
//! may replace it (`[altinn.catalogue]`); [`Catalogue::check`] says what is wrong with one.

use serde::{Deserialize, Serialize};

/// A public agency that owns services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceOwner {
    /// Altinn's three-letter owner code.
    pub code: String,
    pub orgnr: String,
    pub name: String,
}

/// What a service does: users submit forms to it, or it sends them correspondence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The owner's code.
    pub owner: String,
    pub code: String,
    pub edition: u32,
    pub name: String,
    pub kind: ServiceType,
    /// Roles (Enhetsregister codes, and PRIV for a person's own affairs) that give access.
    pub roles: Vec<String>,
    /// The forms a form service takes, by data format, each with its schema; none: any
    /// well-formed form data is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forms: Vec<FormSchema>,
}

/// One form a service takes (`DataFormatId` and `DataFormatVersion`, as Altinn's Seres
/// formats are numbered) and the XML Schema its form data must meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSchema {
    pub data_format_id: String,
    pub data_format_version: String,
    /// The form's name (FormsMetaData's FormName).
    #[serde(default)]
    pub name: String,
    /// The schema itself…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xsd: Option<String>,
    /// …or a file holding it, read when the configuration loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xsd_file: Option<String>,
}

impl Service {
    /// Whether `role` gives access to the service.
    pub fn takes(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Every owner and service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub service_owners: Vec<ServiceOwner>,
    pub services: Vec<Service>,
}

fn owner(code: &str, orgnr: &str, name: &str) -> ServiceOwner {
    ServiceOwner { code: code.into(), orgnr: orgnr.into(), name: name.into() }
}

fn service(
    owner: &str,
    code: &str,
    edition: u32,
    name: &str,
    kind: ServiceType,
    roles: &[&str],
) -> Service {
    Service {
        owner: owner.into(),
        code: code.into(),
        edition,
        name: name.into(),
        kind,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        forms: Vec::new(),
    }
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue {
            service_owners: vec![
                owner("SKD", "974761076", "Skatteetaten"),
                owner("NAV", "889640782", "Arbeids- og velferdsetaten"),
                owner("BRG", "974760673", "Brønnøysundregistrene"),
            ],
            services: vec![
                service(
                    "SKD",
                    "4936",
                    1,
                    "Skattemelding for personer",
                    ServiceType::FormTask,
                    &["PRIV"],
                ),
                service(
                    "SKD",
                    "4419",
                    1,
                    "Mva-melding",
                    ServiceType::FormTask,
                    &["DAGL", "REGN", "INNH"],
                ),
                service(
                    "SKD",
                    "5528",
                    1,
                    "Melding fra Skatteetaten",
                    ServiceType::Correspondence,
                    &["PRIV", "DAGL", "INNH"],
                ),
                service(
                    "NAV",
                    "5562",
                    1,
                    "A-melding",
                    ServiceType::FormTask,
                    &["DAGL", "REGN", "INNH"],
                ),
                service(
                    "NAV",
                    "5252",
                    1,
                    "Brev fra NAV",
                    ServiceType::Correspondence,
                    &["PRIV", "DAGL"],
                ),
                service(
                    "BRG",
                    "4640",
                    1,
                    "Melding om endring i Enhetsregisteret",
                    ServiceType::FormTask,
                    &["DAGL", "LEDE", "INNH"],
                ),
                service(
                    "BRG",
                    "5621",
                    1,
                    "Varsel fra Brønnøysundregistrene",
                    ServiceType::Correspondence,
                    &["DAGL", "LEDE", "INNH"],
                ),
            ],
        }
    }
}

/// Role codes a service may name.
const ROLE_CODES: [&str; 9] =
    ["PRIV", "DAGL", "LEDE", "MEDL", "REGN", "REVI", "INNH", "DTPR", "DTSO"];

impl Catalogue {
    /// The owner with code `code`.
    pub fn owner(&self, code: &str) -> Option<&ServiceOwner> {
        self.service_owners.iter().find(|o| o.code == code)
    }

    /// The owner that is organization `orgnr`.
    pub fn owner_by_orgnr(&self, orgnr: &str) -> Option<&ServiceOwner> {
        self.service_owners.iter().find(|o| o.orgnr == orgnr)
    }

    /// The service `code` (of `edition`, or its first edition), or why there is none.
    pub fn service(&self, code: &str, edition: Option<u32>) -> Result<&Service, String> {
        self.services
            .iter()
            .find(|s| s.code == code && edition.is_none_or(|e| s.edition == e))
            .ok_or_else(|| match edition {
                Some(e) => format!("no service {code} edition {e} in the catalogue (GET metadata)"),
                None => format!("no service {code} in the catalogue (GET metadata)"),
            })
    }

    /// What is wrong with the catalogue, if anything: owners with invalid or repeated
    /// numbers or codes, services of unknown owners, repeated, or naming unknown roles.
    /// Reads the schema files the forms name (`xsd_file`) into the forms, so the catalogue in
    /// memory holds every schema; a file that cannot be read is the error.
    pub fn load_schemas(&mut self) -> Result<(), String> {
        for svc in &mut self.services {
            for form in &mut svc.forms {
                if let Some(path) = form.xsd_file.take() {
                    if form.xsd.is_some() {
                        return Err(format!(
                            "service {} form {}: give xsd or xsd_file, not both",
                            svc.code, form.data_format_id
                        ));
                    }
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        format!("service {} form {}: {path}: {e}", svc.code, form.data_format_id)
                    })?;
                    form.xsd = Some(text);
                }
            }
        }
        Ok(())
    }

    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for o in &self.service_owners {
            if o.code.is_empty() || !seen.insert(o.code.clone()) {
                return Err(format!("service owner code {:?} is empty or repeated", o.code));
            }
            if o.orgnr.parse::<fjellport_nin::orgnr::OrgNumber>().is_err() {
                return Err(format!(
                    "service owner {}: {:?} is not a valid organization number",
                    o.code, o.orgnr
                ));
            }
            if o.name.trim().is_empty() {
                return Err(format!("service owner {} has no name", o.code));
            }
        }
        let mut services = std::collections::BTreeSet::new();
        for s in &self.services {
            if self.owner(&s.owner).is_none() {
                return Err(format!("service {}: no service owner {:?}", s.code, s.owner));
            }
            if s.code.is_empty() || !s.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("service code {:?} is not digits", s.code));
            }
            if !services.insert((s.code.clone(), s.edition)) {
                return Err(format!("service {} edition {} is listed twice", s.code, s.edition));
            }
            if s.roles.is_empty() {
                return Err(format!("service {} names no role that gives it", s.code));
            }
            if let Some(bad) = s.roles.iter().find(|r| !ROLE_CODES.contains(&r.as_str())) {
                return Err(format!(
                    "service {}: unknown role {bad:?} (use {})",
                    s.code,
                    ROLE_CODES.join(", ")
                ));
            }
            if !s.forms.is_empty() && s.kind != ServiceType::FormTask {
                return Err(format!("service {}: only form services take forms", s.code));
            }
            let mut formats = std::collections::BTreeSet::new();
            for f in &s.forms {
                if !formats.insert((&f.data_format_id, &f.data_format_version)) {
                    return Err(format!(
                        "service {}: data format {} version {} is listed twice",
                        s.code, f.data_format_id, f.data_format_version
                    ));
                }
                if let Some(xsd) = &f.xsd {
                    crate::form_schemas::parse(xsd).map_err(|why| {
                        format!("service {} form {}: the XSD: {why}", s.code, f.data_format_id)
                    })?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_catalogue_checks_and_a_broken_one_says_why() {
        let c = Catalogue::default();
        assert_eq!(c.check(), Ok(()));
        assert_eq!(c.owner("SKD").map(|o| o.orgnr.as_str()), Some("974761076"));
        assert!(c.service("5528", Some(2)).unwrap_err().contains("edition 2"));
        let mut broken = c.clone();
        broken.services[0].owner = "XYZ".into();
        assert!(broken.check().unwrap_err().contains("no service owner"));
        let mut broken = c.clone();
        broken.services[0].roles = vec!["BOSS".into()];
        assert!(broken.check().unwrap_err().contains("unknown role"));
        let mut broken = c.clone();
        broken.service_owners[0].orgnr = "974761077".into();
        assert!(broken.check().unwrap_err().contains("not a valid organization number"));
        let mut broken = c;
        let twice = broken.services[0].clone();
        broken.services.push(twice);
        assert!(broken.check().unwrap_err().contains("twice"));
    }
}
