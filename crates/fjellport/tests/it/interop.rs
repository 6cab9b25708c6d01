//! Interoperability with a client nobody here wrote: Python's requests-oauth2client (PyPI) gets a
//! token from the running server — nonce dance included — calls a DPoP-protected route, and its
//! replayed, re-bound and downgraded requests all fail. Runs when `FJELLPORT_TEST_PYTHON` names
//! a Python with `tests/interop/requirements.txt` installed (`.ci/run` sets it up).

use crate::support::{ADMIN_TOKEN, TestServer, config};

/// Runs `script` (a path from this crate) with the test Python against a server on the wall
/// clock (the clients sign with it) with `persons` persons, and returns its stdout once it
/// succeeded; `None` when the Python clients are not set up (skipped, or failed under CI).
async fn run_python(script: &str, persons: usize) -> Option<String> {
    let python = test_python()?;
    let mut cfg = config("sqlite::memory:", "2026-01-01T00:00:00Z");
    cfg.clock = None;
    cfg.persons = persons;
    let s = TestServer::start(cfg).await;
    let stdout = python_script(&python, script, &[&s.base, ADMIN_TOKEN]).await;
    s.stop().await;
    Some(stdout)
}

/// The Python with the third-party clients; `None` when it is not set up (skipped, or a
/// failure under CI).
pub(crate) fn test_python() -> Option<String> {
    fjellport_store::testing::prerequisite(
        "FJELLPORT_TEST_PYTHON",
        "the tests with third-party Python clients",
    )
}

/// Runs `script` (a path from this crate) with `args`; its stdout once it succeeded.
async fn python_script(python: &str, script: &str, args: &[&str]) -> String {
    let script = format!("{}/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new(python)
        .arg(&script)
        .args(args)
        .output()
        .await
        .expect("run the Python client");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    stdout
}

#[tokio::test]
async fn requests_oauth2client_gets_a_dpop_token_and_cannot_misuse_it() {
    let Some(stdout) = run_python("tests/interop/helseid_dpop.py", 0).await else { return };
    assert!(stdout.contains("interop: all checks passed"), "{stdout}");
}

/// The README's 1.0 example script works as printed: token, search, reservation, read.
#[tokio::test]
async fn the_readme_syntpop_1_0_script_runs() {
    let Some(stdout) = run_python("../../scripts/syntpop_v1.py", 500).await else { return };
    assert!(stdout.contains("reserved:") && stdout.contains("- Married"), "{stdout}");
    assert!(stdout.contains("syntpop 1.0: done"), "{stdout}");
}

/// Maskinporten's JWT-bearer grant performed by requests-oauth2client (with jwskate signing):
/// metadata, token, verification with the published keys, replay and audience refusals.
/// (The client signs with the wall clock, and Maskinporten allows iat only 10 s off.)
#[tokio::test]
async fn requests_oauth2client_gets_a_maskinporten_token_with_a_jwt_grant() {
    let Some(stdout) = run_python("tests/interop/maskinporten_grant.py", 0).await else { return };
    assert!(stdout.contains("interop: all checks passed"), "{stdout}");
}

/// ID-porten's authorization-code flow with PKCE performed by requests-oauth2client, the test
/// login page driven with plain HTTP; the library validates the callback and the ID token.
#[tokio::test]
async fn requests_oauth2client_logs_a_person_in_with_authorization_code_and_pkce() {
    let Some(stdout) = run_python("tests/interop/idporten_login.py", 300).await else { return };
    assert!(stdout.contains("interop: all checks passed"), "{stdout}");
}

/// zeep (PyPI) loads every SOAP service's WSDL (the correspondence agency, the end-user
/// correspondence service, the element list, the intermediary inbound service and the SOAP 1.2
/// authorization administration, with a WS-Security UsernameToken) and calls each operation;
/// its typed AltinnFault carries ErrorID 989 for a wrong password, 40009 for deleting an
/// organization's correspondence and 30003 for a submission to a correspondence service.
#[tokio::test]
async fn zeep_calls_the_correspondence_agency_from_its_wsdl() {
    let Some(python) = test_python() else { return };
    let u = crate::altinn_enduser::setup().await;
    let (user, password) = crate::altinn_soap::system(&u._db.1, &["--service-owner", "SKD"]);
    let (eus, eus_password) = crate::altinn_soap::system(&u._db.1, &["--end-user-system", "Zeep"]);
    let (base, reportee, person) = (&u.s.base, &u.holder.1, &u.holder.0);
    let args = [base, &user, &password, reportee, &eus, &eus_password, person].map(String::as_str);
    let stdout = python_script(&python, "tests/interop/altinn_soap.py", &args).await;
    assert!(stdout.contains("interop: all checks passed"), "{stdout}");
    u.s.stop().await;
}
