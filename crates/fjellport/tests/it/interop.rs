//! Interoperability with a client nobody here wrote: Python's requests-oauth2client (PyPI) gets a
//! token from the running server — nonce dance included — calls a DPoP-protected route, and its
//! replayed, re-bound and downgraded requests all fail. Runs when `FJELLPORT_TEST_PYTHON` names
//! a Python with `tests/interop/requirements.txt` installed (`.ci/run` sets it up).

use crate::support::{ADMIN_TOKEN, TestServer, config};

#[tokio::test]
async fn requests_oauth2client_gets_a_dpop_token_and_cannot_misuse_it() {
    let Some(python) = fjellport_store::testing::prerequisite(
        "FJELLPORT_TEST_PYTHON",
        "the tests with third-party Python clients",
    ) else {
        return;
    };
    // The third-party client signs with the wall clock, so the server must use it too.
    let mut cfg = config("sqlite::memory:", "2026-01-01T00:00:00Z");
    cfg.clock = None;
    let s = TestServer::start(cfg).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/helseid_dpop.py");
    let out = tokio::process::Command::new(&python)
        .args([script, &s.base, ADMIN_TOKEN])
        .output()
        .await
        .expect("run the interop client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "interop failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("interop: all checks passed"), "{stdout}");
    s.stop().await;
}

/// The README's 1.0 example script works as printed: token, search, reservation, read.
#[tokio::test]
async fn the_readme_syntpop_1_0_script_runs() {
    let Some(python) = fjellport_store::testing::prerequisite(
        "FJELLPORT_TEST_PYTHON",
        "the tests with third-party Python clients",
    ) else {
        return;
    };
    let mut cfg = config("sqlite::memory:", "2026-01-01T00:00:00Z");
    cfg.clock = None;
    cfg.persons = 500;
    let s = TestServer::start(cfg).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/syntpop_v1.py");
    let out = tokio::process::Command::new(&python)
        .args([script, &s.base, ADMIN_TOKEN])
        .output()
        .await
        .expect("run the script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "script failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("reserved:") && stdout.contains("- Married"), "{stdout}");
    assert!(stdout.contains("syntpop 1.0: done"), "{stdout}");
    s.stop().await;
}

/// Maskinporten's JWT-bearer grant performed by requests-oauth2client (with jwskate signing):
/// metadata, token, verification with the published keys, replay and audience refusals.
#[tokio::test]
async fn requests_oauth2client_gets_a_maskinporten_token_with_a_jwt_grant() {
    let Some(python) = fjellport_store::testing::prerequisite(
        "FJELLPORT_TEST_PYTHON",
        "the tests with third-party Python clients",
    ) else {
        return;
    };
    // The client signs with the wall clock, and Maskinporten allows iat only 10 s off.
    let mut cfg = config("sqlite::memory:", "2026-01-01T00:00:00Z");
    cfg.clock = None;
    let s = TestServer::start(cfg).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/maskinporten_grant.py");
    let out = tokio::process::Command::new(&python)
        .args([script, &s.base, ADMIN_TOKEN])
        .output()
        .await
        .expect("run the interop client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "interop failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("interop: all checks passed"), "{stdout}");
    s.stop().await;
}
