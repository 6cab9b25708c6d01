//! The HTTP side of a SOAP call, without an HTTP library: is the media type this version's,
//! and which action does the request name (SOAP 1.1's `SOAPAction` header, SOAP 1.2's
//! `action` media-type parameter)?

use crate::envelope::Version;

/// What the request's headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framing {
    /// The version the media type names, if it names one.
    pub version: Option<Version>,
    /// The action, unquoted; `None` when the request names none (or an empty one).
    pub action: Option<String>,
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    v.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(v)
}

/// Reads `Content-Type` and (for SOAP 1.1) `SOAPAction`.
pub fn framing(content_type: Option<&str>, soap_action: Option<&str>) -> Framing {
    let mut parts = content_type.unwrap_or_default().split(';');
    let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let version = match media.as_str() {
        "text/xml" => Some(Version::Soap11),
        "application/soap+xml" => Some(Version::Soap12),
        _ => None,
    };
    let param_action = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("action"))
        .map(|(_, v)| unquote(v).to_owned());
    let action = match version {
        Some(Version::Soap12) => param_action,
        _ => soap_action.map(|a| unquote(a).to_owned()),
    };
    Framing { version, action: action.filter(|a| !a.is_empty()) }
}
