//! Altinn message-list `$filter` expressions from hostile input: the OData parser answers with
//! conditions or a reason, never a panic, and the authorize-request rules of the ID-porten-like
//! issuer take the same bytes as query parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = fjellport_api_altinn::odata::parse(text);
    }
    let params: std::collections::BTreeMap<String, String> =
        url::form_urlencoded::parse(data).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let _ = fjellport_auth::authorize::AuthorizeRequest::check(&params, None, "idporten");
    if let (Some(challenge), Some(verifier)) = (params.get("c"), params.get("v")) {
        let _ = fjellport_auth::authorize::check_pkce(challenge, Some(verifier));
    }
});
