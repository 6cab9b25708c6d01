//! The authorization administration (`AdministrationExternal`, WS binding: SOAP 1.2, the
//! service owner's system in a WS-Security `UsernameToken`): whom a person may act for
//! (`GetReportees`) and which roles a person holds where (`GetRoles`) — from the same
//! registers and rules as the REST service-owner look-ups, so both answer alike. As there, a
//! service owner is told only the roles that matter for its own services.

use fjellport_nin::Nin;
use fjellport_soap::write::Xml;
use fjellport_store::{PersonKey, StoredPerson};

use super::agency::reportee_number;
use super::failure::{Failure, ids};
use super::login::{self, Place};
use super::{Call, ns, xs_boolean};
use crate::parties::{Party, Reportee, reportees_of};
use crate::roles::{definition, owner_roles};

/// Organization forms that are sub-units, listed only when `RetrieveSubEnitiy` asks.
const SUB_UNITS: [&str; 2] = ["BEDR", "AAFY"];
/// Most reportees one answer holds unless `maximumReporteeCount` says fewer.
const MAX_REPORTEES: usize = 1_000;

/// The person an identity number names, with Altinn's error for one that is not valid.
async fn person(call: &Call<'_>, field: &str, text: Option<&str>) -> Result<StoredPerson, Failure> {
    let nin = text.ok_or_else(|| Failure::altinn(ids::GENERAL, format!("{field} is required")))?;
    nin.parse::<Nin>().map_err(|e| {
        Failure::altinn(
            ids::INVALID_SSN,
            format!("{field} {nin} is not a valid identity number: {e}"),
        )
    })?;
    call.s.store.person(PersonKey::Nin(nin)).await?.ok_or_else(|| {
        Failure::altinn(ids::INVALID_SSN, format!("No person has the identity number {nin}"))
    })
}

/// A boolean parameter (absent: false).
fn flag(text: Option<&str>, name: &str) -> Result<bool, Failure> {
    Ok(xs_boolean(text, name)?.unwrap_or(false))
}

pub(super) async fn reportees(call: &Call<'_>) -> Result<String, Failure> {
    login::service_owner(call, Place::UsernameToken).await?;
    let p = person(call, "userSSN", call.param("userSSN")).await?;
    // Every organization of the synthetic register is active: the flag changes nothing.
    flag(call.param("retrieveInActiveReportee"), "retrieveInActiveReportee")?;
    let sub_units = flag(call.param("RetrieveSubEnitiy"), "RetrieveSubEnitiy")?;
    let max = match call.param("maximumReporteeCount") {
        None => MAX_REPORTEES,
        Some(t) => t.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Failure::altinn(
                ids::GENERAL,
                format!("maximumReporteeCount is a positive number: {t:?}"),
            )
        })?,
    };
    let mut x = Xml::new();
    x.open("GetReporteesResponse", &[("xmlns", call.svc.ns)]);
    x.open(
        "GetReporteesResult",
        &[("xmlns:a", ns::ADMINISTRATION_DATA), ("xmlns:i", fjellport_soap::element::XSI)],
    );
    let listed = reportees_of(call.s.store.as_ref(), &p).await?;
    let kept = listed.iter().filter(|r| match &r.party {
        Party::Organization(o) => sub_units || !SUB_UNITS.contains(&o.form.as_str()),
        Party::Person { .. } => true,
    });
    for r in kept.take(max) {
        x.open("a:ExternalReporteeBE", &[]);
        x.leaf("a:Name", &r.name);
        let (org, ssn, kind) = match &r.party {
            Party::Organization(o) => (Some(o.orgnr.as_str()), None, "Organization"),
            Party::Person { nin, .. } => (None, Some(nin.as_str()), "Person"),
        };
        x.leaf_or_nil("a:OrganizationNumber", org);
        x.leaf("a:ReporteeType", kind);
        x.leaf_or_nil("a:SSN", ssn);
        x.close();
    }
    Ok(x.finish())
}

pub(super) async fn roles(call: &Call<'_>) -> Result<String, Failure> {
    let system = login::service_owner(call, Place::UsernameToken).await?;
    let search = call
        .body()
        .child(call.svc.ns, "roleSearchBE")
        .ok_or_else(|| Failure::altinn(ids::GENERAL, "roleSearchBE is required"))?;
    let text = |name| search.text_of(ns::ADMINISTRATION_DATA, name);
    if let Some(language) = text("LanguageID")
        && !["0", "1044", "2068", "1033"].contains(&language)
    {
        return Err(Failure::altinn(
            ids::GENERAL,
            format!("LanguageID {language:?} is not 1044, 2068, 1033 or 0 (the default)"),
        ));
    }
    let offered_by = text("OfferedByParty").map(reportee_number).transpose()?;
    let code_filter = text("RoleCodeFilter");
    let mut found: Vec<(&Reportee, String)> = Vec::new();
    let listed: Vec<Reportee>;
    let covered_by = match (text("CoveredByUser"), text("CoveredByParty")) {
        (Some(_), Some(_)) => {
            return Err(Failure::altinn(
                ids::GENERAL,
                "Set one of CoveredByUser and CoveredByParty, not both",
            ));
        }
        (None, None) => {
            return Err(Failure::altinn(
                ids::GENERAL,
                "CoveredByUser (an identity number) or CoveredByParty (an organization number) \
                 is required",
            ));
        }
        (None, Some(party)) => {
            // Organizations hold no roles at one another in the synthetic registers (no
            // accountant or auditor firms): a valid, known organization has none.
            let orgnr = reportee_number(party)?;
            if call.s.store.organization(&orgnr).await?.is_none() {
                return Err(Failure::altinn(
                    ids::INVALID_ORG_NUMBER,
                    format!("No organization has the number {orgnr}"),
                ));
            }
            orgnr
        }
        (Some(user), None) => {
            let p = person(call, "CoveredByUser", Some(user)).await?;
            listed = reportees_of(call.s.store.as_ref(), &p).await?;
            for r in &listed {
                if offered_by.as_deref().is_some_and(|o| o != r.number()) {
                    continue;
                }
                for role in owner_roles(&call.s.catalogue, r, &system.owner) {
                    if code_filter.is_none_or(|c| c.eq_ignore_ascii_case(&role)) {
                        found.push((r, role));
                    }
                }
            }
            p.row.nin.clone()
        }
    };
    let mut x = Xml::new();
    x.open("GetRolesResponse", &[("xmlns", call.svc.ns)]);
    x.open(
        "GetRolesResult",
        &[("xmlns:a", ns::ADMINISTRATION_DATA), ("xmlns:i", fjellport_soap::element::XSI)],
    );
    for (r, role) in found {
        let Some(d) = definition(&role) else { continue };
        x.open("a:ExternalRoleBE", &[]);
        x.leaf("a:CoveredBy", &covered_by);
        x.nil("a:DelegatedBy"); // the registers' roles are nobody's delegation
        x.leaf("a:OfferedBy", r.number());
        x.leaf("a:RoleCode", d.0);
        x.leaf("a:RoleName", d.3);
        x.leaf("a:RoleTypeSource", d.2);
        x.close();
    }
    Ok(x.finish())
}
