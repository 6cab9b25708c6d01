//! SOAP envelopes: what Altinn's SOAP services (and any other SOAP surface) share.
//!
//! - [`envelope::parse`] reads an envelope in one streaming pass with quick-xml's `NsReader`
//!   into a small element tree, namespace-aware (prefixes are whatever the client chose), with
//!   limits on depth and element count, and refuses DTDs, so neither external entities nor
//!   entity expansion ("billion laughs") can happen;
//! - [`fault`] writes SOAP 1.1 and 1.2 faults;
//! - [`write::Xml`] writes answers with escaping done once, in one place.

pub mod element;
pub mod envelope;
pub mod fault;
pub mod http;
pub mod write;

pub use element::Element;
pub use envelope::{Envelope, Limits, Version};
pub use fault::{Fault, FaultCode};
