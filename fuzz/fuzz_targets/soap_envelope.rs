//! The SOAP envelope parser on arbitrary bytes, as both versions: an answer, never a panic,
//! and nothing past the limits.
#![no_main]

use fjellport_soap::{Limits, Version, envelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_depth: 16, max_elements: 1_000 };
    for version in [Version::Soap11, Version::Soap12] {
        if let Ok(e) = envelope::parse(data, version, &limits) {
            assert_eq!(e.version, version);
            let _ = e.not_understood(&[]);
        }
    }
});
