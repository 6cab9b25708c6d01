//! Altinn's SOAP services under `/altinn/soap/…`, over the same store and rules as the REST
//! API: what one writes, the other reads. Basic binding (SOAP 1.1, `text/xml`, credentials as
//! the first body elements) except the authorization administration service (SOAP 1.2, WS
//! binding). Each service has a committed WSDL at `…svc?wsdl` (and `?singleWsdl`).
//!
//! A call goes: media type → envelope (parsed for the endpoint's SOAP version; the other
//! version is `VersionMismatch`) → operation by the body's element, checked against
//! `SOAPAction` when one is sent → the operation, which authenticates by the message's
//! credentials (never the REST API-key step) → an answer or a fault, always XML.

mod administration;
mod agency;
mod element_list;
mod enduser_box;
mod failure;
mod intermediary;
mod login;
mod ns;
mod receipt;
pub mod systems;
mod wsdl;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fjellport_soap::http::framing;
use fjellport_soap::{Element, Envelope, Fault, FaultCode, Limits, Version, envelope};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};

use failure::{Failure, ids};

use crate::AltinnState;

/// Where the SOAP services are mounted.
pub const PREFIX: &str = "/altinn/soap";

/// One SOAP service: its path under [`PREFIX`], contract name and namespace, SOAP version,
/// WSDL, and operations (name, and the body element that calls it).
#[derive(Debug)]
pub struct Service {
    pub path: &'static str,
    pub name: &'static str,
    pub ns: &'static str,
    pub version: Version,
    pub wsdl: &'static str,
    pub operations: &'static [(&'static str, &'static str)],
    /// Header blocks it processes, `(ns, name)`: one of them marked `mustUnderstand` is
    /// fine, any other is a `MustUnderstand` fault.
    pub understands: &'static [(&'static str, &'static str)],
}

impl Service {
    /// WCF's action for an operation: `{ns}/I{Service}/{Operation}`.
    pub fn action(&self, operation: &str) -> String {
        format!("{}/I{}/{operation}", self.ns, self.name)
    }
}

/// Every SOAP service served.
pub static SERVICES: &[Service] = &[
    Service {
        path: "ServiceEngineExternal/CorrespondenceAgencyExternalBasic.svc",
        name: "CorrespondenceAgencyExternalBasic",
        ns: ns::CORRESPONDENCE,
        version: Version::Soap11,
        wsdl: include_str!("../../wsdl/CorrespondenceAgencyExternalBasic.wsdl"),
        operations: &[
            ("InsertCorrespondenceBasicV2", "InsertCorrespondenceBasicV2"),
            ("GetCorrespondenceStatusDetailsBasicV3", "GetCorrespondenceStatusDetailsBasicV3"),
            ("GetCorrespondenceStatusHistoryBasic", "CorrespondenceStatusHistoryRequest"),
        ],
        understands: &[],
    },
    Service {
        path: "ServiceEngineExternal/CorrespondenceExternalBasic.svc",
        name: "CorrespondenceExternalBasic",
        ns: ns::CORRESPONDENCE,
        version: Version::Soap11,
        wsdl: include_str!("../../wsdl/CorrespondenceExternalBasic.wsdl"),
        operations: &[
            (
                "GetCorrespondenceForEndUserSystemBasicV2",
                "GetCorrespondenceForEndUserSystemBasicV2",
            ),
            ("SaveCorrespondenceConfirmationBasic", "SaveCorrespondenceConfirmationBasic"),
            ("DeleteCorrespondenceBasic", "DeleteCorrespondenceBasic"),
        ],
        understands: &[],
    },
    Service {
        path: "ServiceEngineExternal/ReporteeElementListExternalBasic.svc",
        name: "ReporteeElementListExternalBasic",
        ns: ns::REPORTEE_ELEMENT_LIST,
        version: Version::Soap11,
        wsdl: include_str!("../../wsdl/ReporteeElementListExternalBasic.wsdl"),
        operations: &[
            ("GetReporteeElementListBasicV2", "GetReporteeElementListBasicV2"),
            ("DeleteReporteeElementBasic", "DeleteReporteeElementBasic"),
        ],
        understands: &[],
    },
    Service {
        path: "IntermediaryExternal/IntermediaryInboundBasic.svc",
        name: "IntermediaryInboundBasic",
        ns: ns::INTERMEDIARY,
        version: Version::Soap11,
        wsdl: include_str!("../../wsdl/IntermediaryInboundBasic.wsdl"),
        operations: &[
            ("SubmitFormTaskBasic", "SubmitFormTaskBasic"),
            ("GetAltinnSubmissionStatusBasic", "GetAltinnSubmissionStatusBasic"),
        ],
        understands: &[],
    },
    Service {
        path: "AuthorizationExternal/AdministrationExternal.svc",
        name: "AdministrationExternal",
        ns: ns::ADMINISTRATION,
        version: Version::Soap12,
        wsdl: include_str!("../../wsdl/AdministrationExternal.wsdl"),
        operations: &[("GetReportees", "GetReportees"), ("GetRoles", "GetRoles")],
        understands: &[
            (ns::WSSE, "Security"),
            (ns::WSA, "Action"),
            (ns::WSA, "To"),
            (ns::WSA, "MessageID"),
            (ns::WSA, "ReplyTo"),
        ],
    },
];

/// One call being answered.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub s: &'a AltinnState,
    pub svc: &'static Service,
    pub operation: &'static str,
    pub envelope: Envelope,
}

impl Call<'_> {
    pub(crate) fn body(&self) -> &Element {
        &self.envelope.body
    }

    /// The trimmed text of the operation's parameter `name` (in the service's namespace).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.envelope.body.text_of(self.svc.ns, name)
    }

    /// A required element id parameter (`correspondenceID`, `reporteeElementID`): a positive
    /// whole number.
    pub(crate) fn element_id(&self, name: &str) -> Result<i64, Failure> {
        let text = self
            .param(name)
            .ok_or_else(|| Failure::altinn(ids::GENERAL, format!("{name} is required")))?;
        text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Failure::altinn(ids::GENERAL, format!("{name} must be a positive number, not {text:?}"))
        })
    }
}

/// An `xsd:dateTime` child of `e` as Unix seconds: without an offset it is UTC; with one
/// (RFC 3339) it is converted.
pub(crate) fn instant(e: &Element, namespace: &str, name: &str) -> Result<Option<i64>, Failure> {
    let Some(text) = e.text_of(namespace, name) else { return Ok(None) };
    crate::odata::instant(text.trim_end_matches('Z')).map(Some).or_else(|_| {
        chrono::DateTime::parse_from_rfc3339(text).map(|t| Some(t.timestamp())).map_err(|_| {
            Failure::altinn(ids::GENERAL, format!("{name} is not a date and time: {text:?}"))
        })
    })
}

/// An `xs:boolean` parameter (`true`/`1`, `false`/`0`); `None` when absent.
pub(crate) fn xs_boolean(text: Option<&str>, name: &str) -> Result<Option<bool>, Failure> {
    match text {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(v) => {
            Err(Failure::altinn(ids::GENERAL, format!("{name} is true or false, not {v:?}")))
        }
    }
}

/// The SOAP routes (mount at [`PREFIX`]).
pub fn router(state: Arc<AltinnState>) -> Router {
    let mut router = Router::new();
    for svc in SERVICES {
        let path = format!("/{}", svc.path);
        router = router.route(
            &path,
            get(move |State(s): State<Arc<AltinnState>>, RawQuery(q): RawQuery| async move {
                wsdl::describe(&s, svc, q.as_deref())
            })
            .post(move |State(s): State<Arc<AltinnState>>, headers: HeaderMap, body: Bytes| async move {
                answer(&s, svc, &headers, &body).await
            }),
        );
    }
    router.with_state(state)
}

fn xml_response(status: StatusCode, version: Version, body: String) -> Response {
    let ct = format!("{}; charset=utf-8", version.media_type());
    let ct = HeaderValue::from_str(&ct).unwrap_or(HeaderValue::from_static("text/xml"));
    (status, [(CONTENT_TYPE, ct)], body).into_response()
}

/// A fault as it leaves: HTTP 500 (as WCF sends faults), or `status` for a request that never
/// reached SOAP (the wrong media type).
fn fault_response(status: StatusCode, version: Version, fault: &Fault) -> Response {
    xml_response(status, version, fault.envelope(version))
}

async fn answer(
    s: &AltinnState,
    svc: &'static Service,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let version = svc.version;
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let framed = framing(header(CONTENT_TYPE.as_str()), header("soapaction"));
    match framed.version {
        None => {
            let fault = Fault::client(format!(
                "Send the envelope as {} ({version}); the request's media type is {:?}.",
                version.media_type(),
                header(CONTENT_TYPE.as_str()).unwrap_or("missing")
            ));
            return fault_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, version, &fault);
        }
        Some(v) if v != version => {
            let fault = Fault {
                code: FaultCode::VersionMismatch,
                reason: format!(
                    "This endpoint speaks {version} ({}), not {v}.",
                    version.media_type()
                ),
                detail: None,
            };
            return fault_response(StatusCode::INTERNAL_SERVER_ERROR, version, &fault);
        }
        Some(_) => {}
    }
    let envelope = match envelope::parse(body, version, &Limits::default()) {
        Ok(e) => e,
        Err(e) => {
            let code = match e {
                envelope::EnvelopeError::VersionMismatch { .. } => FaultCode::VersionMismatch,
                _ => FaultCode::Client,
            };
            let fault =
                Fault { code, reason: format!("The request is not accepted: {e}."), detail: None };
            return fault_response(StatusCode::INTERNAL_SERVER_ERROR, version, &fault);
        }
    };
    let result = match operation(svc, &envelope, framed.action.as_deref()) {
        Ok(operation) => {
            let call = Call { s, svc, operation, envelope };
            dispatch(&call).await
        }
        Err(f) => Err(f),
    };
    match result {
        Ok(inner) => {
            let mut out = String::with_capacity(inner.len() + 160);
            out.push_str("<s:Envelope xmlns:s=\"");
            out.push_str(version.ns());
            out.push_str("\"><s:Body>");
            out.push_str(&inner);
            out.push_str("</s:Body></s:Envelope>");
            xml_response(StatusCode::OK, version, out)
        }
        Err(failure) => {
            fault_response(StatusCode::INTERNAL_SERVER_ERROR, version, &failure.fault())
        }
    }
}

/// The operation the envelope calls, checked against the action the request names.
fn operation(
    svc: &'static Service,
    envelope: &Envelope,
    action: Option<&str>,
) -> Result<&'static str, Failure> {
    let body = &envelope.body;
    let found =
        svc.operations.iter().find(|(_, element)| body.is(svc.ns, element)).map(|(op, _)| *op);
    let Some(op) = found else {
        let known: Vec<&str> = svc.operations.iter().map(|(op, _)| *op).collect();
        return Err(Failure::client(format!(
            "{} is no operation of {}: it has {} (in namespace {})",
            body.qualified(),
            svc.name,
            known.join(", "),
            svc.ns
        )));
    };
    let expected = svc.action(op);
    if let Some(action) = action
        && action != expected
    {
        return Err(Failure::client(format!(
            "The action {action:?} does not match the body's operation {op}: send {expected:?}"
        )));
    }
    // WS-Addressing's action, when sent, must be the operation's too.
    if let Some(a) = envelope.header_block(ns::WSA, "Action").map(|a| a.text.trim())
        && a != expected
    {
        return Err(Failure::client(format!(
            "The wsa:Action {a:?} does not match the body's operation {op}: send {expected:?}"
        )));
    }
    if let Some(h) = envelope.not_understood(svc.understands) {
        return Err(Failure::Soap(Fault {
            code: FaultCode::MustUnderstand,
            reason: format!("The header block {} is not understood here.", h.qualified()),
            detail: None,
        }));
    }
    Ok(op)
}

async fn dispatch(call: &Call<'_>) -> Result<String, Failure> {
    match call.operation {
        "InsertCorrespondenceBasicV2" => agency::insert(call).await,
        "GetCorrespondenceStatusDetailsBasicV3" => agency::status_details(call).await,
        "GetCorrespondenceStatusHistoryBasic" => agency::status_history(call).await,
        "GetCorrespondenceForEndUserSystemBasicV2" => enduser_box::get(call).await,
        "SaveCorrespondenceConfirmationBasic" => enduser_box::confirm(call).await,
        "DeleteCorrespondenceBasic" => enduser_box::delete(call).await,
        "GetReporteeElementListBasicV2" => element_list::list(call).await,
        "DeleteReporteeElementBasic" => element_list::delete(call).await,
        "SubmitFormTaskBasic" => intermediary::submit(call).await,
        "GetAltinnSubmissionStatusBasic" => intermediary::status(call).await,
        "GetReportees" => administration::reportees(call).await,
        "GetRoles" => administration::roles(call).await,
        other => Err(Failure::Soap(Fault::server(format!("{other} is not implemented")))),
    }
}

/// Errors on SOAP paths that arose outside the services (a body over the size limit, a
/// timeout, an unknown `.svc`, a method other than GET and POST) leave as SOAP faults too, in
/// the version of the service the path names: a SOAP client parses every answer as XML.
pub async fn faults_on_soap_paths(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with(PREFIX) {
        return next.run(req).await; // every other path: nothing copied, nothing checked
    }
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let rest = &path[PREFIX.len()..];
    let status = res.status();
    let is_xml = res.headers().get(CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"text/xml") || v.starts_with(b"application/soap+xml")
    });
    if !(status.is_client_error() || status.is_server_error()) || is_xml {
        return res;
    }
    let version = SERVICES
        .iter()
        .find(|s| rest.trim_start_matches('/').eq_ignore_ascii_case(s.path))
        .map_or(Version::Soap11, |s| s.version);
    let reason = match status {
        StatusCode::NOT_FOUND => format!(
            "No SOAP service at {path}: the services are {}",
            SERVICES.iter().map(|s| format!("{PREFIX}/{}", s.path)).collect::<Vec<_>>().join(", ")
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            "POST the envelope; GET ?wsdl for the service description".to_owned()
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "The message is larger than the server accepts (config: body_limit_bytes)".to_owned()
        }
        StatusCode::REQUEST_TIMEOUT => "The call took longer than the server allows".to_owned(),
        s => format!("The call failed ({s})"),
    };
    let fault =
        if status.is_server_error() { Fault::server(reason) } else { Fault::client(reason) };
    let code = if status == StatusCode::NOT_FOUND { StatusCode::NOT_FOUND } else { status };
    let mut out = fault_response(code, version, &fault);
    if let Some(id) = res.headers().get("x-request-id") {
        out.headers_mut().insert("x-request-id", id.clone());
    }
    out
}
