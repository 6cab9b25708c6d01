//! SOAP faults: one description, written as SOAP 1.1 (`faultcode`/`faultstring`/`detail`) or
//! SOAP 1.2 (`Code`/`Reason`/`Detail`), in an envelope of its own.

use crate::envelope::Version;
use crate::write::Xml;

/// Who is at fault, in SOAP 1.1 terms (1.2 says `Sender` for `Client` and `Receiver` for
/// `Server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    Client,
    Server,
    VersionMismatch,
    MustUnderstand,
}

impl FaultCode {
    fn local(self, version: Version) -> &'static str {
        match (self, version) {
            (FaultCode::Client, Version::Soap11) => "Client",
            (FaultCode::Client, Version::Soap12) => "Sender",
            (FaultCode::Server, Version::Soap11) => "Server",
            (FaultCode::Server, Version::Soap12) => "Receiver",
            (FaultCode::VersionMismatch, _) => "VersionMismatch",
            (FaultCode::MustUnderstand, _) => "MustUnderstand",
        }
    }
}

/// A fault to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    /// The `faultstring` / `Reason` text.
    pub reason: String,
    /// Markup for `detail` / `Detail` (an application's fault element), already written.
    pub detail: Option<String>,
}

impl Fault {
    pub fn client(reason: impl Into<String>) -> Fault {
        Fault { code: FaultCode::Client, reason: reason.into(), detail: None }
    }

    pub fn server(reason: impl Into<String>) -> Fault {
        Fault { code: FaultCode::Server, reason: reason.into(), detail: None }
    }

    pub fn with_detail(mut self, markup: String) -> Fault {
        self.detail = Some(markup);
        self
    }

    /// The whole envelope, in `version`.
    pub fn envelope(&self, version: Version) -> String {
        let mut x = Xml::new();
        x.open("s:Envelope", &[("xmlns:s", version.ns())]).open("s:Body", &[]).open("s:Fault", &[]);
        let code = format!("s:{}", self.code.local(version));
        match version {
            Version::Soap11 => {
                x.leaf("faultcode", &code);
                x.open("faultstring", &[("xml:lang", "en-US")]).text(&self.reason).close();
                if let Some(d) = &self.detail {
                    x.open("detail", &[]).raw(d).close();
                }
            }
            Version::Soap12 => {
                x.open("s:Code", &[]).leaf("s:Value", &code).close();
                x.open("s:Reason", &[]);
                x.open("s:Text", &[("xml:lang", "en-US")]).text(&self.reason).close();
                x.close();
                if let Some(d) = &self.detail {
                    x.open("s:Detail", &[]).raw(d).close();
                }
            }
        }
        x.finish()
    }
}
