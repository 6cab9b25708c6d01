//! An issuer's private keys never print: `{:?}` of an issuer (in a log line, a panic, a
//! `dbg!`) names its keys by `kid` and nothing more.

use fjellport_auth::issuer::{Issuer, KEEP_RETIRED_SECS};
use fjellport_auth::jose::Alg;

#[tokio::test]
async fn debug_of_an_issuer_shows_key_ids_not_pkcs8() {
    let store = fjellport_store::open("sqlite::memory:").await.unwrap();
    for alg in [Alg::ES256, Alg::RS256] {
        let name = if alg == Alg::ES256 { "ec" } else { "rsa" };
        let issuer = Issuer::open(
            store.as_ref(),
            name,
            format!("https://fjellport.example.test/{name}"),
            KEEP_RETIRED_SECS,
            1_800_000_000,
            alg,
        )
        .await
        .unwrap();
        let stored =
            store.get_setting(&format!("issuer.{name}.signing_keys")).await.unwrap().unwrap();
        let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
        let pkcs8 = stored[0]["pkcs8"].as_str().unwrap();
        let shown = format!("{issuer:?}");
        assert!(!shown.contains(&pkcs8[..40]), "{shown}");
        assert!(!shown.contains(&pkcs8[pkcs8.len() - 40..]), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}
