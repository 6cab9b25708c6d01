//! The web app's home page: what a newcomer who opens the server in a browser gets.

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};

/// Every `href="…"` on a page.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"").skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_home_page_says_what_this_is_and_every_link_on_it_works() {
    let (_dir, db) = temp_db("home.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 40, ..config(&db, BEFORE_SUNSET) })
            .await;
    let res = s.get("/").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let html = res.text().await.unwrap();

    // A stand-in, said plainly; the population's size and day from the store.
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("name=\"viewport\""), "works on a phone");
    assert!(html.contains("Test stand-in"), "{html}");
    assert!(html.contains("not NHN's, Digdir's or Altinn's"));
    assert!(html.contains("40 Test-Norge persons and 0 reserved persons"), "{html}");
    assert!(html.contains("<time datetime=\"2026-09-01\">"), "the clock's day: {html}");

    // Links: Home, the API documentation, the OpenAPI document, every issuer's discovery
    // document and the stylesheet; each answers 200 with what it claims to be.
    let found = links(&html);
    for want in [
        "/",
        "/docs/",
        "/openapi.json",
        "/helseid/.well-known/openid-configuration",
        "/idporten/.well-known/openid-configuration",
        "/maskinporten/.well-known/oauth-authorization-server",
    ] {
        assert!(found.iter().any(|l| l == want), "no link to {want}: {found:?}");
    }
    for link in &found {
        let target = if link.starts_with('#') { "/".to_owned() } else { link.clone() };
        let res = s.get(&target).send().await.unwrap();
        assert_eq!(res.status(), 200, "{link}");
        if link.ends_with(".css") {
            assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
        }
    }

    // Each issuer's link says whose metadata it is.
    for name in ["helseid", "idporten", "maskinporten"] {
        assert!(html.contains(&format!(">{name} metadata</a>")), "{name}: {html}");
    }

    // The population's day follows `population advance`.
    let out = crate::cli::fjellport(&[
        "--clock",
        BEFORE_SUNSET,
        "population",
        "advance",
        "--days",
        "3",
        "--database",
        &db,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = s.get("/").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<time datetime=\"2026-09-04\">"), "{html}");
    s.stop().await;
}
