//! Reading a SOAP envelope: one streaming, namespace-aware pass (quick-xml `NsReader`) into an
//! [`Element`] tree for the header blocks and the body's operation element.
//!
//! What is refused, and why: a DTD (`<!DOCTYPE`) of any kind, since SOAP forbids it (SOAP 1.1
//! §3, SOAP 1.2 part 1 §5) and it is the door to external entities (XXE) and entity expansion
//! (billion laughs); any entity reference other than XML's five and character references; an
//! undeclared prefix; mismatched end tags; an encoding other than UTF-8; nesting deeper than
//! [`Limits::max_depth`] or more than [`Limits::max_elements`] elements. The byte size is the
//! HTTP layer's to bound before the body is read.

use std::fmt;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::element::{Attribute, Element};

/// SOAP 1.1 (`text/xml`, `SOAPAction` header) or SOAP 1.2 (`application/soap+xml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Soap11,
    Soap12,
}

pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

impl Version {
    /// The envelope namespace.
    pub fn ns(self) -> &'static str {
        match self {
            Version::Soap11 => SOAP11_NS,
            Version::Soap12 => SOAP12_NS,
        }
    }

    /// The media type of requests and answers.
    pub fn media_type(self) -> &'static str {
        match self {
            Version::Soap11 => "text/xml",
            Version::Soap12 => "application/soap+xml",
        }
    }

    fn of_ns(ns: &str) -> Option<Version> {
        match ns {
            SOAP11_NS => Some(Version::Soap11),
            SOAP12_NS => Some(Version::Soap12),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::Soap11 => "SOAP 1.1",
            Version::Soap12 => "SOAP 1.2",
        })
    }
}

/// Bounds on what one envelope may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_elements: usize,
}

impl Default for Limits {
    /// Deep enough for any Altinn data contract, wide enough for 10,000 references in one
    /// status-history request.
    fn default() -> Self {
        Limits { max_depth: 48, max_elements: 100_000 }
    }
}

/// A parsed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub version: Version,
    /// The header blocks, in order (empty without a `Header`).
    pub header: Vec<Element>,
    /// The body's one element: the operation (or a fault).
    pub body: Element,
}

impl Envelope {
    /// The header block `{ns}name`.
    pub fn header_block(&self, ns: &str, name: &str) -> Option<&Element> {
        self.header.iter().find(|h| h.is(ns, name))
    }

    /// The first header block that demands to be understood (`mustUnderstand` true) and is
    /// not among `understood` (`(ns, name)` pairs): the receiver must fault on it.
    pub fn not_understood(&self, understood: &[(&str, &str)]) -> Option<&Element> {
        let ns = self.version.ns();
        self.header.iter().find(|h| {
            matches!(h.attribute(Some(ns), "mustUnderstand"), Some("1" | "true"))
                && !understood.iter().any(|(n, name)| h.is(n, name))
        })
    }
}

/// Why an envelope was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeError {
    /// Not well-formed XML, or well-formed but not a SOAP envelope.
    Malformed(String),
    /// An `Envelope` in a namespace that is not this SOAP version's (`found` is the other
    /// version when it is one).
    VersionMismatch { found: Option<Version>, ns: String },
    /// Past a [`Limits`] bound.
    TooComplex(String),
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvelopeError::Malformed(why) | EnvelopeError::TooComplex(why) => f.write_str(why),
            EnvelopeError::VersionMismatch { found: Some(v), .. } => {
                write!(f, "the envelope is {v}, which this endpoint does not speak")
            }
            EnvelopeError::VersionMismatch { ns, .. } => {
                write!(f, "the envelope's namespace {ns:?} is no SOAP version")
            }
        }
    }
}

impl std::error::Error for EnvelopeError {}

fn malformed(why: impl Into<String>) -> EnvelopeError {
    EnvelopeError::Malformed(why.into())
}

/// Reads any XML document into its root element, with the rules of this module.
pub fn parse_document(xml: &[u8], limits: &Limits) -> Result<Element, EnvelopeError> {
    let mut reader = NsReader::from_reader(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let at = reader.buffer_position();
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| malformed(format!("not well-formed XML at byte {at}: {e}")))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(malformed(format!("content after the root element at byte {at}")));
                }
                elements += 1;
                if elements > limits.max_elements {
                    return Err(EnvelopeError::TooComplex(format!(
                        "more than {} elements",
                        limits.max_elements
                    )));
                }
                if stack.len() >= limits.max_depth {
                    return Err(EnvelopeError::TooComplex(format!(
                        "elements nested deeper than {}",
                        limits.max_depth
                    )));
                }
                let ns = namespace(resolved, at)?;
                let element = open(&reader, &start, ns, at)?;
                stack.push(element);
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| malformed("an end tag without a start"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let text =
                    t.decode().map_err(|e| malformed(format!("bad text at byte {at}: {e}")))?;
                match stack.last_mut() {
                    Some(e) => e.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(malformed(format!("text outside the root at byte {at}"))),
                }
            }
            Event::CData(c) => {
                let text =
                    c.decode().map_err(|e| malformed(format!("bad CDATA at byte {at}: {e}")))?;
                stack
                    .last_mut()
                    .ok_or_else(|| malformed(format!("CDATA outside the root at byte {at}")))?
                    .text
                    .push_str(&text);
            }
            Event::GeneralRef(r) => {
                let name = r
                    .decode()
                    .map_err(|e| malformed(format!("bad reference at byte {at}: {e}")))?;
                let c = match name.as_ref() {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "apos" => '\'',
                    "quot" => '"',
                    _ => r.resolve_char_ref().ok().flatten().ok_or_else(|| {
                        malformed(format!(
                            "unknown entity &{name}; at byte {at} (no DTD, so only XML's five \
                             and character references)"
                        ))
                    })?,
                };
                stack
                    .last_mut()
                    .ok_or_else(|| malformed(format!("a reference outside the root at byte {at}")))?
                    .text
                    .push(c);
            }
            Event::DocType(_) => {
                return Err(malformed(
                    "a DOCTYPE is not allowed in a SOAP message (no DTDs, no entities)",
                ));
            }
            Event::Decl(d) => {
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(|e| malformed(format!("bad declaration: {e}")))?;
                    if !enc.eq_ignore_ascii_case(b"utf-8") {
                        return Err(malformed(format!(
                            "the encoding {:?} is not supported: send UTF-8",
                            String::from_utf8_lossy(&enc)
                        )));
                    }
                }
            }
            Event::Eof => break,
            Event::Empty(_) | Event::Comment(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed("the document ends before its elements are closed"));
    }
    root.ok_or_else(|| malformed("the body is empty: no XML element"))
}

fn namespace(resolved: ResolveResult<'_>, at: u64) -> Result<Option<String>, EnvelopeError> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(Some(String::from_utf8_lossy(ns.as_ref()).into_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(malformed(format!(
            "the prefix {:?} at byte {at} is not declared",
            String::from_utf8_lossy(&prefix)
        ))),
    }
}

fn open(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    ns: Option<String>,
    at: u64,
) -> Result<Element, EnvelopeError> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for a in start.attributes().with_checks(true) {
        let a = a.map_err(|e| malformed(format!("a malformed attribute at byte {at}: {e}")))?;
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let (resolved, local) = reader.resolve_attribute(a.key);
        let ns = namespace(resolved, at)?;
        let value = a
            .unescape_value()
            .map_err(|e| malformed(format!("a malformed attribute value at byte {at}: {e}")))?;
        attributes.push(Attribute {
            ns,
            name: String::from_utf8_lossy(local.as_ref()).into_owned(),
            value: value.into_owned(),
        });
    }
    Ok(Element { ns, name, attributes, ..Element::default() })
}

/// Reads an envelope that must be `version`'s.
pub fn parse(xml: &[u8], version: Version, limits: &Limits) -> Result<Envelope, EnvelopeError> {
    let root = parse_document(xml, limits)?;
    if root.name != "Envelope" {
        return Err(malformed(format!(
            "the document is {}, not a SOAP Envelope",
            root.qualified()
        )));
    }
    let ns = root.ns.clone().unwrap_or_default();
    if ns != version.ns() {
        return Err(EnvelopeError::VersionMismatch { found: Version::of_ns(&ns), ns });
    }
    let soap = version.ns();
    let mut header = Vec::new();
    let mut body = None;
    for (i, part) in root.children.into_iter().enumerate() {
        match (part.ns.as_deref() == Some(soap), part.name.as_str()) {
            (true, "Header") if i == 0 => header = part.children,
            (true, "Body") if body.is_none() => body = Some(part),
            _ => {
                return Err(malformed(format!(
                    "the Envelope holds {}: only a Header (first) and one Body may be there",
                    part.qualified()
                )));
            }
        }
    }
    let body = body.ok_or_else(|| malformed("the Envelope has no Body"))?;
    let mut parts = body.children.into_iter();
    let operation = parts.next().ok_or_else(|| malformed("the Body holds no element"))?;
    if let Some(extra) = parts.next() {
        return Err(malformed(format!(
            "the Body holds {} after {}: send one operation per message",
            extra.qualified(),
            operation.qualified()
        )));
    }
    Ok(Envelope { version, header, body: operation })
}

#[cfg(test)]
mod tests;
