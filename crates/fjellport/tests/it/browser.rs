//! The web pages in a real browser: Debian's Chromium driven by playwright-core, with axe-core
//! (`tests/browser/*.cjs`). `.ci/run` installs both and sets FJELLPORT_TEST_NODE_MODULES;
//! under `CI=true` a missing prerequisite fails.

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};
use crate::web_login::person_with_a_role;

/// Runs `tests/browser/<script>` with `args` against a fresh server, then `after` while the
/// server still runs; returns the script's output.
async fn run<F, Fut>(script: &str, extra: &[&str], after: F) -> Option<String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let modules = fjellport_store::testing::prerequisite(
        "FJELLPORT_TEST_NODE_MODULES",
        "the browser tests (node_modules with playwright-core and axe-core)",
    )?;
    let (_dir, db) = temp_db("browser.db");
    // The wall clock (the page's Python snippet signs with the machine's time), with SyntPop
    // 0.x kept past its sunset (the key flow calls 0.2).
    let mut apis = fjellport::config::Apis::default();
    apis.syntpop.enforce_sunset = false;
    let s = TestServer::start(fjellport::config::Config {
        persons: 200,
        clock: None,
        apis,
        ..config(&db, BEFORE_SUNSET)
    })
    .await;
    let (nin, _, _) = person_with_a_role(&db).await;
    // A month of life events, so the Events page has a feed to show.
    let days = crate::cli::fjellport(&["population", "advance", "--days", "30", "--database", &db]);
    assert!(days.status.success(), "{}", String::from_utf8_lossy(&days.stderr));
    // And a letter in the person's message box.
    let sent = crate::cli::fjellport(&[
        "altinn",
        "send-correspondence",
        "--database",
        &db,
        "--service-owner",
        "SKD",
        "--reportee",
        &nin,
        "--title",
        "Skattemelding",
        "--body",
        "<p>Hei</p>",
    ]);
    assert!(sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
    let script = format!("{}/tests/browser/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut args = vec![script.as_str(), s.base.as_str(), nin.as_str()];
    args.extend(extra);
    let out = tokio::process::Command::new("node")
        .args(&args)
        .env("NODE_PATH", &modules)
        .output()
        .await
        .expect("run node (apt-get install nodejs)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    after().await;
    s.stop().await;
    Some(stdout)
}

#[tokio::test]
async fn every_page_passes_axe_fits_a_phone_and_starts_with_the_skip_link() {
    // FJELLPORT_SCREENSHOTS=docs/screenshots keeps the pictures (the README shows them).
    let shots = std::env::var("FJELLPORT_SCREENSHOTS").unwrap_or_default();
    let Some(stdout) = run("pages.cjs", &[&shots], || async {}).await else { return };
    for page in
        ["/", "/keys", "/clients", "/persons/reserve", "person", "/events", "/altinn", "message"]
    {
        assert!(stdout.contains(&format!("checked {page} at 375 px")), "{stdout}");
    }
}

#[tokio::test]
async fn a_person_orders_keys_and_registers_a_client_whose_snippet_gets_a_dpop_token() {
    let Some(python) = fjellport_store::testing::prerequisite(
        "FJELLPORT_TEST_PYTHON",
        "the browser flow (the page's Python snippet is run with requests-oauth2client)",
    ) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let Some(stdout) = run("flows.cjs", &[dir], || snippet(&python, out.path())).await else {
        return;
    };
    assert!(stdout.contains("ok: logged out"), "{stdout}");
}

/// Runs the Python snippet the Clients page showed, beside the private key the browser saved:
/// it must get a DPoP token for the client and call SyntPop 1.0 with it.
async fn snippet(python: &str, dir: &std::path::Path) {
    let out = tokio::process::Command::new(python)
        .arg("snippet.py")
        .current_dir(dir)
        .output()
        .await
        .expect("run the snippet");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let client_id = std::fs::read_to_string(dir.join("client_id")).unwrap();
    assert!(
        out.status.success() && stdout.starts_with("200 ") && stdout.contains(&client_id),
        "the snippet failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
