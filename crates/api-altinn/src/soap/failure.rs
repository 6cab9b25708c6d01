//! How a SOAP call fails: Altinn's own `AltinnFault` (an ErrorID and its messages, in the
//! fault's detail, as Altinn's typed faults carry it), or a plain SOAP fault for envelopes
//! that are not even a call. Both leave as HTTP 500, as WCF answers faults.

use fjellport_soap::write::Xml;
use fjellport_soap::{Fault, FaultCode};

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `AltinnFault` with this ErrorID.
    Altinn { id: u32, message: String },
    /// A SOAP fault without Altinn's detail (malformed envelope, unknown operation, …).
    Soap(Fault),
}

/// Altinn's ErrorIDs this stand-in answers with.
pub(crate) mod ids {
    /// General: a parameter missing, the system may not act for the reportee.
    pub(crate) const GENERAL: u32 = 0;
    /// The system may not call this service.
    pub(crate) const NOT_ALLOWED: u32 = 5;
    /// Wrong or missing system name/password, or user password/pin.
    pub(crate) const WRONG_CREDENTIALS: u32 = 989;
    pub(crate) const NOT_AUTHORIZED_FOR_REPORTEE: u32 = 30001;
    pub(crate) const NOT_A_VALID_SERVICE: u32 = 30003;
    pub(crate) const LANGUAGE_CODE_MISSING: u32 = 40001;
    pub(crate) const MESSAGE_BODY_MISSING: u32 = 40002;
    pub(crate) const MESSAGE_TITLE_MISSING: u32 = 40003;
    pub(crate) const MESSAGE_SUMMARY_MISSING: u32 = 40004;
    pub(crate) const EXTERNAL_REFERENCE_MISSING: u32 = 40005;
    pub(crate) const SERVICE_CODE_MISSING: u32 = 40006;
    pub(crate) const REPORTEE_MISSING: u32 = 40007;
    pub(crate) const SYSTEM_USER_CODE_MISSING: u32 = 40008;
    pub(crate) const CORRESPONDENCE_CANNOT_BE_DELETED: u32 = 40009;
    pub(crate) const INVALID_SSN: u32 = 40016;
    pub(crate) const INVALID_ORG_NUMBER: u32 = 50008;
}

impl Failure {
    pub(crate) fn altinn(id: u32, message: impl Into<String>) -> Failure {
        Failure::Altinn { id, message: message.into() }
    }

    /// Altinn's answer to wrong credentials, word for word.
    pub(crate) fn credentials() -> Failure {
        Failure::altinn(ids::WRONG_CREDENTIALS, "Incorrect username/password/pin given for user")
    }

    /// Altinn's known limitation: correspondence to an organization is not deleted over SOAP.
    pub(crate) fn cannot_delete() -> Failure {
        Failure::altinn(
            ids::CORRESPONDENCE_CANNOT_BE_DELETED,
            "CorrespondenceCanNotBeDeleted: correspondence to an organization cannot be deleted \
             over SOAP (use the REST API's DELETE)",
        )
    }

    pub(crate) fn client(reason: impl Into<String>) -> Failure {
        Failure::Soap(Fault::client(reason))
    }

    /// The fault to send.
    pub(crate) fn fault(&self) -> Fault {
        match self {
            Failure::Soap(f) => f.clone(),
            Failure::Altinn { id, message } => {
                let mut x = Xml::new();
                x.open(
                    "AltinnFault",
                    &[("xmlns", super::ns::FAULT), ("xmlns:i", fjellport_soap::element::XSI)],
                );
                x.leaf("AltinnErrorMessage", message);
                x.leaf("AltinnExtendedErrorMessage", "No information available");
                x.leaf("AltinnLocalizedErrorMessage", message);
                x.leaf("ErrorGuid", &guid());
                x.leaf("ErrorID", &id.to_string());
                x.leaf("UserGuid", "-no value-");
                x.empty("UserId");
                Fault { code: FaultCode::Client, reason: message.clone(), detail: Some(x.finish()) }
            }
        }
    }
}

impl From<fjellport_store::StoreError> for Failure {
    fn from(e: fjellport_store::StoreError) -> Failure {
        tracing::error!(error = %e, "store failure in a SOAP call");
        Failure::Soap(Fault::server("The database failed; see the server log."))
    }
}

impl From<fjellport_gateway::Problem> for Failure {
    /// The REST rules' answers, as Altinn's SOAP services give them.
    fn from(p: fjellport_gateway::Problem) -> Failure {
        let text = if p.detail.is_empty() { p.title.clone() } else { p.detail.clone() };
        match p.status.as_u16() {
            401 => Failure::credentials(),
            403 => Failure::altinn(ids::NOT_AUTHORIZED_FOR_REPORTEE, text),
            s if s >= 500 => Failure::Soap(Fault::server(text)),
            _ => Failure::altinn(ids::GENERAL, text),
        }
    }
}

/// A random GUID in its usual text form, for `ErrorGuid`.
fn guid() -> String {
    let b = fjellport_auth::secret::random_bytes::<16>();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
