//! The web pages in a real browser: Debian's Chromium driven by playwright-core, with axe-core
//! (`tests/browser/pages.cjs`). `.ci/run` installs both and sets FJELLPORT_TEST_NODE_MODULES;
//! under `CI=true` a missing prerequisite fails.

use crate::support::{BEFORE_SUNSET, TestServer, config};

#[tokio::test]
async fn every_page_passes_axe_fits_a_phone_and_starts_with_the_skip_link() {
    let Some(modules) = fjellport_store::testing::prerequisite(
        "FJELLPORT_TEST_NODE_MODULES",
        "the browser tests (node_modules with playwright-core and axe-core)",
    ) else {
        return;
    };
    let s = TestServer::start(fjellport::config::Config {
        persons: 20,
        ..config("sqlite::memory:", BEFORE_SUNSET)
    })
    .await;
    // FJELLPORT_SCREENSHOTS=docs/screenshots keeps the pictures (the README shows them).
    let shots = std::env::var("FJELLPORT_SCREENSHOTS").unwrap_or_default();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/pages.cjs");
    let out = tokio::process::Command::new("node")
        .args([script, &s.base, &shots])
        .env("NODE_PATH", &modules)
        .output()
        .await
        .expect("run node (apt-get install nodejs)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("checked / at 375 px"), "{stdout}");
    s.stop().await;
}
