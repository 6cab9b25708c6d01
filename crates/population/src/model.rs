//! The person model in Persontjenesten's shape (its v2 OpenAPI in NorskHelsenett/HelseID.Samples,
//! `Persontjenesten.Samples/Java/client/api/openapi.yaml`): every information part is a list whose
//! items carry the FREG metadata, so history is real. Field names follow the upstream document,
//! quirks included (`aquiredDate`).

use serde::{Deserialize, Serialize};

/// FREG metadata on every information-part item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// FREG: Ajourholdstidspunkt.
    pub registered_at: String,
    /// FREG: ErGjeldende — the current value.
    pub is_valid: bool,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

impl Meta {
    /// A current item valid from `on`, recorded by `source`.
    pub fn starting(on: fjellport_nin::Date, source: &str) -> Meta {
        Meta {
            registered_at: format!("{on}T12:00:00Z"),
            is_valid: true,
            source: source.to_owned(),
            reason: None,
            valid_from: Some(format!("{on}T00:00:00")),
            valid_to: None,
        }
    }

    /// Ends a current item on `on`: it stays in the history.
    pub fn end(&mut self, on: fjellport_nin::Date) {
        self.is_valid = false;
        self.valid_to = Some(format!("{on}T00:00:00"));
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentificationNumber {
    #[serde(flatten)]
    pub meta: Meta,
    pub identification_number: String,
    /// `NationalIdentityNumber`, `DNumber` or `AlternateIdentificationNumber`.
    pub identification_number_type: String,
    /// `InUse` or `Discontinued`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonName {
    #[serde(flatten)]
    pub meta: Meta,
    pub given_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    pub family_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Birth {
    #[serde(flatten)]
    pub meta: Meta,
    /// Date-time; the time and zone are unknown and to be ignored (upstream's rule).
    pub birth_date: String,
    pub birth_year: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_municipality_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_municipality_name: Option<String>,
    /// ISO 3166 alpha-3.
    pub birth_country: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonGender {
    #[serde(flatten)]
    pub meta: Meta,
    /// `Female` or `Male`.
    pub gender: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonStatus {
    #[serde(flatten)]
    pub meta: Meta,
    /// `Resident`, `Emigrated`, `Deceased`, …
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Death {
    #[serde(flatten)]
    pub meta: Meta,
    pub deceased_date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyRelation {
    #[serde(flatten)]
    pub meta: Meta,
    /// The related person's identity number.
    pub related_person: String,
    /// `Mother`, `Father`, `CoMother`, `Child`, `SpouseOrPartner`, …
    pub related_persons_role: String,
    pub my_role_for_related_person: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaritalStatus {
    #[serde(flatten)]
    pub meta: Meta,
    /// `Unmarried`, `Married`, `WidowOrWidower`, `Divorced`, …
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_by_marital_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentalResponsibility {
    #[serde(flatten)]
    pub meta: Meta,
    /// `Joint`, `Mother`, `Father`, …
    pub responsibility_type: String,
    pub subject_of_responsibility: String,
    pub responsible: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressNumber {
    pub house_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub house_letter: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct City {
    pub city_name: String,
    pub postal_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreetAddress {
    pub municipality_number: String,
    pub municipality_name: String,
    pub county_number: String,
    pub county_name: String,
    pub address_name: String,
    pub address_number: AddressNumber,
    pub city: City,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResidentialAddress {
    #[serde(flatten)]
    pub meta: Meta,
    pub street_address: StreetAddress,
    /// `Unclassified`, `ClientAddress`, `Confidential`, `StrictlyConfidential`.
    pub address_confidentiality: String,
    pub move_date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Citizenship {
    #[serde(flatten)]
    pub meta: Meta,
    /// ISO 3166 alpha-3.
    pub country_code: String,
    /// Upstream's spelling.
    pub aquired_date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResidencePermit {
    #[serde(flatten)]
    pub meta: Meta,
    /// `Temporary`, `Permanent` or `InformationMissing`.
    pub residence_permit_type: String,
    pub stay_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stay_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactInformation {
    pub email: String,
    pub email_last_updated: String,
    /// KRR asks persons to confirm their details at least twice a year: within the last six
    /// months, and never before the last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_last_verified: Option<String>,
    /// `+47` and eight digits in the `01` series, which Nkom keeps out of use ("reserved for
    /// future changes to the numbering plan"): Norway has no range set aside for fiction, and
    /// a test system that sends an SMS to one of these reaches nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_last_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_last_verified: Option<String>,
}

/// Kontakt- og reservasjonsregisteret (KRR).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommonContactRegisterInformation {
    /// `Yes` or `No`.
    pub reservation: String,
    /// `Active`, `Deleted` or `NotRegistered`.
    pub status: String,
    /// `CanBeNotified` or `CanNotBeNotified`.
    pub notification_status: String,
    pub contact_information: ContactInformation,
    pub language: String,
}

/// A person as Persontjenesten serves one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    pub norwegian_identification_number: Vec<IdentificationNumber>,
    pub name: Vec<PersonName>,
    pub birth: Vec<Birth>,
    pub gender: Vec<PersonGender>,
    pub status: Vec<PersonStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub death: Option<Death>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub family_relation: Vec<FamilyRelation>,
    pub marital_status: Vec<MaritalStatus>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub parental_responsibility: Vec<ParentalResponsibility>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub residential_address: Vec<ResidentialAddress>,
    pub citizenship: Vec<Citizenship>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub residence_permit: Vec<ResidencePermit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_contact_register_information: Option<CommonContactRegisterInformation>,
}

/// The current (valid) item of an information part.
pub fn current<T>(items: &[T], meta: impl Fn(&T) -> &Meta) -> Option<&T> {
    items.iter().find(|i| meta(i).is_valid)
}

impl Person {
    pub fn nin(&self) -> &str {
        current(&self.norwegian_identification_number, |i| &i.meta)
            .map_or("", |i| i.identification_number.as_str())
    }

    pub fn current_name(&self) -> Option<&PersonName> {
        current(&self.name, |n| &n.meta)
    }

    /// `YYYY-MM-DD`.
    pub fn birth_date(&self) -> &str {
        self.birth.first().map_or("", |b| &b.birth_date[..10.min(b.birth_date.len())])
    }

    pub fn gender(&self) -> &str {
        current(&self.gender, |g| &g.meta).map_or("", |g| g.gender.as_str())
    }

    pub fn status(&self) -> &str {
        current(&self.status, |s| &s.meta).map_or("", |s| s.status.as_str())
    }

    pub fn address(&self) -> Option<&StreetAddress> {
        current(&self.residential_address, |a| &a.meta).map(|a| &a.street_address)
    }

    /// Marks every item as recorded by `source` (e.g. reserved persons: by SyntPop, not by the
    /// folkeregister).
    pub fn set_source(&mut self, source: &str) {
        let metas = self
            .norwegian_identification_number
            .iter_mut()
            .map(|i| &mut i.meta)
            .chain(self.name.iter_mut().map(|i| &mut i.meta))
            .chain(self.birth.iter_mut().map(|i| &mut i.meta))
            .chain(self.gender.iter_mut().map(|i| &mut i.meta))
            .chain(self.status.iter_mut().map(|i| &mut i.meta))
            .chain(self.death.iter_mut().map(|i| &mut i.meta))
            .chain(self.family_relation.iter_mut().map(|i| &mut i.meta))
            .chain(self.marital_status.iter_mut().map(|i| &mut i.meta))
            .chain(self.parental_responsibility.iter_mut().map(|i| &mut i.meta))
            .chain(self.residential_address.iter_mut().map(|i| &mut i.meta))
            .chain(self.citizenship.iter_mut().map(|i| &mut i.meta))
            .chain(self.residence_permit.iter_mut().map(|i| &mut i.meta));
        for meta in metas {
            meta.source = source.to_owned();
        }
    }

    /// The current residential address's confidentiality.
    pub fn address_confidentiality(&self) -> Option<&str> {
        current(&self.residential_address, |a| &a.meta).map(|a| a.address_confidentiality.as_str())
    }

    /// `NationalIdentityNumber`, `DNumber`, …
    pub fn nin_type(&self) -> &str {
        current(&self.norwegian_identification_number, |i| &i.meta)
            .map_or("", |i| i.identification_number_type.as_str())
    }

    pub fn marital_status(&self) -> &str {
        current(&self.marital_status, |m| &m.meta).map_or("Unspecified", |m| m.status.as_str())
    }

    pub fn citizenship(&self) -> Option<&str> {
        current(&self.citizenship, |c| &c.meta).map(|c| c.country_code.as_str())
    }

    /// Current family relations in which the related person has `role`.
    pub fn related(&self, role: &str) -> impl Iterator<Item = &FamilyRelation> {
        self.family_relation
            .iter()
            .filter(move |r| r.meta.is_valid && r.related_persons_role == role)
    }

    pub fn has_spouse(&self) -> bool {
        self.related("SpouseOrPartner").next().is_some()
    }

    pub fn children(&self) -> usize {
        self.related("Child").count()
    }

    pub fn has_parents(&self) -> bool {
        ["Mother", "Father", "CoMother"].iter().any(|role| self.related(role).next().is_some())
    }
}
