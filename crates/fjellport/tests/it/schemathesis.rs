//! A schema-driven fuzzer nobody here wrote: schemathesis (PyPI) reads our `/openapi.json`,
//! generates valid and invalid calls to every SyntPop operation, and checks that none answers
//! 5xx and that every answer — status, content type and body — is one the document describes.
//! Runs when `FJELLPORT_TEST_PYTHON` names a Python with `tests/interop/requirements.txt`
//! installed (`.ci/run` sets it up).

use fjellport::config::Config;
use serde_json::json;

use crate::support::{BEFORE_SUNSET, TestServer, config};

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_the_document_does_not_describe() {
    let Some(python) = std::env::var("FJELLPORT_TEST_PYTHON").ok().filter(|p| !p.is_empty()) else {
        eprintln!("skipped: FJELLPORT_TEST_PYTHON is not set (see .ci/run)");
        return;
    };
    let tool = std::path::Path::new(&python).with_file_name("schemathesis");
    let s = TestServer::start(Config { persons: 1000, ..config("sqlite::memory:", BEFORE_SUNSET) })
        .await;
    let (_, key) = s.key(json!({"api": "syntpop", "type": "other", "owner": "fuzz"})).await;
    // Once as a 0.1 caller (no version header) and once as 0.2; both with a valid key, so the
    // fuzzer reaches the handlers rather than the key check.
    for version in [None, Some("0.2")] {
        let mut cmd = tokio::process::Command::new(&tool);
        cmd.args([
            "run",
            &s.url("/openapi.json"),
            "--include-tag",
            "syntpop",
            "--header",
            &format!("X-api-key: {key}"),
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "40",
            "--seed",
            "20261123",
            "--workers",
            "2",
            "--no-color",
        ]);
        if let Some(v) = version {
            cmd.args(["--header", &format!("X-api-version: {v}")]);
        }
        let out = cmd.output().await.expect("run schemathesis");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "schemathesis ({version:?}) failed:\n{stdout}\n{stderr}");
        assert!(stdout.contains("passed"), "{stdout}");
    }
    s.stop().await;
}
