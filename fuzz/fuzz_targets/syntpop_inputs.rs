//! SyntPop's parsers of untrusted input — search bodies, person-read query strings and
//! reservation templates (with the reservation they make) — must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (selector, rest) = data.split_first().unwrap_or((&0, &[]));
    match selector % 3 {
        0 => {
            let _ = fjellport_api_syntpop::fuzzing::search_body(rest);
        }
        1 => {
            let _ = fjellport_api_syntpop::fuzzing::view_query(rest);
        }
        _ => {
            let _ = fjellport_api_syntpop::fuzzing::reservation(rest);
        }
    }
});
