//! Identity numbers and organization numbers: any input gives an answer, never a panic, and a
//! valid number prints back as itself with the same facts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((nin, info)) = fjellport_nin::Nin::parse(text) {
        assert_eq!(nin.to_string(), text);
        assert_eq!(nin.info(), info);
    }
    let _ = text.parse::<fjellport_nin::orgnr::OrgNumber>();
});
