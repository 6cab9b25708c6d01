//! The web pages in a real browser: Debian's Chromium driven by playwright-core, with axe-core
//! (`tests/browser/*.cjs`). `.ci/run` installs both and sets FJELLPORT_TEST_NODE_MODULES;
//! under `CI=true` a missing prerequisite fails.

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};
use crate::web_login::person_with_a_role;

/// Runs `tests/browser/<script>` with `args` against a fresh server; returns its output.
async fn run(script: &str, extra: &[&str]) -> Option<String> {
    let modules = fjellport_store::testing::prerequisite(
        "FJELLPORT_TEST_NODE_MODULES",
        "the browser tests (node_modules with playwright-core and axe-core)",
    )?;
    let (_dir, db) = temp_db("browser.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 200, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (nin, _, _) = person_with_a_role(&db).await;
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
    s.stop().await;
    Some(stdout)
}

#[tokio::test]
async fn every_page_passes_axe_fits_a_phone_and_starts_with_the_skip_link() {
    // FJELLPORT_SCREENSHOTS=docs/screenshots keeps the pictures (the README shows them).
    let shots = std::env::var("FJELLPORT_SCREENSHOTS").unwrap_or_default();
    let Some(stdout) = run("pages.cjs", &[&shots]).await else { return };
    for page in ["/", "/keys"] {
        assert!(stdout.contains(&format!("checked {page} at 375 px")), "{stdout}");
    }
}

#[tokio::test]
async fn a_person_logs_in_orders_a_browser_key_uses_it_from_its_origin_and_revokes_it() {
    let Some(stdout) = run("flows.cjs", &[]).await else { return };
    assert!(stdout.contains("ok: logged out"), "{stdout}");
}
