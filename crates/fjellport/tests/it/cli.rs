//! The binary's contract: JSON on stdout when piped, one stderr line and exit 2 for bad input,
//! exit 1 for runtime failures, config layering, graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Runs the real binary with a clean `FJELLPORT_*` environment in a scratch directory.
pub fn fjellport(args: &[&str]) -> Output {
    fjellport_in(&std::env::temp_dir(), args, &[])
}

pub fn fjellport_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fjellport"));
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    without_our_env(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run fjellport")
}

/// Takes this process's `FJELLPORT_*` variables (test settings among them) out of a child's
/// environment: the binary refuses configuration keys it does not know.
pub fn without_our_env(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FJELLPORT_")) {
        cmd.env_remove(k);
    }
    cmd
}

fn first_stderr_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or_default().to_owned()
}

#[test]
fn keys_create_prints_json_with_the_secret_once_and_list_never_does() {
    let (_dir, db) = crate::support::temp_db("k.db");
    let out = fjellport(&[
        "keys",
        "create",
        "--api",
        "altinn",
        "--type",
        "browser",
        "--origin",
        "https://app.example.test",
        "--origin",
        "http://localhost:3000",
        "--owner",
        "team-q",
        "--expires",
        "2030-01-01T00:00:00Z",
        "--rate-limit",
        "10",
        "--database",
        &db,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("fjp_"));
    assert_eq!(created["origins"].as_array().unwrap().len(), 2);
    assert_eq!(created["rateLimit"], 10);
    let list = fjellport(&["keys", "list", "--database", &db]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(!text.contains(secret), "the secret is shown only at creation");
    let keys: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys[0]["owner"], "team-q");
}

#[test]
fn bad_input_names_the_problem_on_the_first_line_and_exits_2() {
    let (dir, db) = crate::support::temp_db("bad.db");
    let cases: &[(&[&str], &str)] = &[
        (&["keys", "create", "--api", "nope", "--type", "other"], "--api"),
        (&["keys", "create", "--api", "syntpop", "--type", "web"], "--type"),
        (
            &[
                "keys",
                "create",
                "--api",
                "syntpop",
                "--type",
                "browser",
                "--origin",
                "https://a.test/x",
            ],
            "origin",
        ),
        (&["keys", "create", "--api", "syntpop", "--type", "browser"], "origin"),
        (
            &["keys", "create", "--api", "syntpop", "--type", "other", "--rate-limit", "0"],
            "rate limit",
        ),
        (
            &["keys", "create", "--api", "syntpop", "--type", "other", "--expires", "tomorrow"],
            "--expires",
        ),
        (&["keys", "revoke", "key_doesnotexist"], "no API key"),
        (&["keys", "list", "--frobnicate"], "--frobnicate"),
        (&["keys", "list", "--database", "mysql://x/y"], "database URL"),
        (&["keys", "list", "--config", "/nonexistent/fjellport.toml"], "does not exist"),
        (&["serve", "--listen", "not-an-address"], "--listen"),
        // Issuers this server does not run: no client can be registered for them.
        (
            &["clients", "create", "--jwk-file", "k.json", "--scope", "s", "--issuer", "keycloak"],
            "'keycloak' for '--issuer",
        ),
        // A login client needs a redirect URI; a machine client needs a key.
        (
            &["clients", "create", "--scope", "altinn:enduser", "--issuer", "idporten"],
            "redirect URI",
        ),
        (&["clients", "create", "--scope", "s", "--issuer", "helseid"], "--jwk-file"),
        (&["issuer", "rotate-key", "--issuer", "keycloak"], "'keycloak' for '--issuer"),
        (&["issuer", "rotate-key", "--alg", "HS256"], "'HS256' for '--alg"),
    ];
    for (args, needle) in cases {
        let mut full: Vec<&str> = args.to_vec();
        if !args.contains(&"--database") {
            full.extend(["--database", &db]);
        }
        let out = fjellport(&full);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = first_stderr_line(&out);
        assert!(line.starts_with("error:"), "{args:?}: {line}");
        assert!(line.contains(needle), "{args:?}: {line:?} should name {needle:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
    // A scope the issuer does not grant: refused before anything is stored.
    let key = fjellport_auth::jose::EcSigningKey::generate().unwrap();
    let jwk = serde_json::Value::Object(key.public_jwk().members).to_string();
    std::fs::write(dir.path().join("k.json"), jwk).unwrap();
    let out = fjellport_in(
        dir.path(),
        &["clients", "create", "--jwk-file", "k.json", "--scope", "admin", "--database", &db],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let line = first_stderr_line(&out);
    assert!(line.contains("scope \"admin\" is not one the helseid issuer grants"), "{line}");
    // Bad values in the environment layer are named too.
    for (var, value, needle) in [
        ("FJELLPORT_DPOP__MAX_AGE_SECS", "0", "dpop.max_age_secs"),
        ("FJELLPORT_DPOP__MAX_FUTURE_SECS", "999", "dpop.max_future_secs"),
        ("FJELLPORT_ISSUER_SIGNING_ALG", "HS512", "\"HS512\" is not one of ES256, RS256, PS256"),
    ] {
        let out = fjellport_in(dir.path(), &["keys", "list", "--database", &db], &[(var, value)]);
        assert_eq!(out.status.code(), Some(2), "{var}");
        assert!(first_stderr_line(&out).contains(needle), "{}", first_stderr_line(&out));
    }
    // A trusted issuer needs exactly one source of keys; a JWKS file must be readable.
    for (toml, needle) in [
        ("[[trusted_issuers]]\nissuer = \"https://i.test\"\n", "either jwks_file or discovery_url"),
        (
            "[[trusted_issuers]]\nissuer = \"ftp://i.test\"\njwks_file = \"x.json\"\n",
            "not an http(s) URL",
        ),
        ("issuer_signing_alg = \"HS256\"\n", "\"HS256\" is not one of ES256, RS256, PS256"),
    ] {
        let file = dir.path().join("trust.toml");
        std::fs::write(&file, toml).unwrap();
        let out =
            fjellport(&["keys", "list", "--config", file.to_str().unwrap(), "--database", &db]);
        assert_eq!(out.status.code(), Some(2), "{toml}");
        assert!(first_stderr_line(&out).contains(needle), "{}", first_stderr_line(&out));
    }
    let keys = fjellport(&["keys", "list", "--database", &db]);
    assert_eq!(String::from_utf8_lossy(&keys.stdout).trim(), "[]", "nothing was written");
}

#[test]
fn runtime_failures_are_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![7u8; 4096]).unwrap();
    let pg = "postgres://nobody:hunter2@127.0.0.1:1/none";
    for (db, needle) in [(junk.to_str().unwrap(), "corrupt"), (pg, "cannot reach PostgreSQL")] {
        let out = fjellport(&["keys", "list", "--database", db]);
        assert_eq!(out.status.code(), Some(1), "{db}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!stderr.contains("hunter2"), "password leaked: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn config_layers_file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("file.db");
    let from_env = dir.path().join("env.db");
    let from_flag = dir.path().join("flag.db");
    std::fs::write(
        dir.path().join("fjellport.toml"),
        format!("database = \"sqlite:{}\"\n", from_file.display()),
    )
    .unwrap();
    let create = ["keys", "create", "--api", "syntpop", "--type", "other"];
    assert!(fjellport_in(dir.path(), &create, &[]).status.success());
    assert!(from_file.exists(), "fjellport.toml in the working directory is read");
    let env_db = format!("sqlite:{}", from_env.display());
    // FJELLPORT_LOG is the log filter, not a config key: it must not upset the config.
    let env = [("FJELLPORT_DATABASE", env_db.as_str()), ("FJELLPORT_LOG", "warn")];
    assert!(fjellport_in(dir.path(), &create, &env).status.success());
    assert!(from_env.exists(), "FJELLPORT_DATABASE beats the file");
    let flag_db = format!("sqlite:{}", from_flag.display());
    let mut with_flag = create.to_vec();
    with_flag.extend(["--database", &flag_db]);
    assert!(fjellport_in(dir.path(), &with_flag, &env).status.success());
    assert!(from_flag.exists(), "--database beats the environment");

    // A user's own FJELLPORT_* variables are none of ours: one warning line each, and on.
    let theirs = [("FJELLPORT_BIN", "/opt/x/fjellport"), ("FJELLPORT_REPO", "/src/fjellport")];
    let out = fjellport_in(dir.path(), &with_flag, &theirs);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(warnings[0].contains("FJELLPORT_BIN") && warnings[1].contains("FJELLPORT_REPO"));
    // A misspelt setting inside a known section is still refused.
    let out = fjellport_in(dir.path(), &with_flag, &[("FJELLPORT_DPOP__MAX_AEG_SECS", "5")]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));

    std::fs::write(dir.path().join("fjellport.toml"), "databse = \"typo\"\n").unwrap();
    let out = fjellport_in(dir.path(), &["keys", "list"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(first_stderr_line(&out).contains("databse"), "{}", first_stderr_line(&out));
}

#[test]
fn serve_answers_then_stops_cleanly_on_sigterm() {
    let (dir, db) = crate::support::temp_db("serve.db");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fjellport"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FJELLPORT_")) {
        cmd.env_remove(k);
    }
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut saw_token = false;
    for _ in 0..20 {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        saw_token |= line.contains("admin token");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let addr = addr.expect("the listening line");
    assert!(saw_token, "a fresh database prints the admin token once");
    let ready = reqwest::blocking_get(&format!("http://{addr}/readyz"));
    assert_eq!(ready, 200);
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    // The database is whole afterwards.
    let out = fjellport(&["keys", "list", "--database", &db]);
    assert!(out.status.success());
}

/// A tiny blocking GET for the one test that runs outside tokio.
mod reqwest {
    pub fn blocking_get(url: &str) -> u16 {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { ::reqwest::get(url).await.map(|r| r.status().as_u16()).unwrap_or(0) })
    }
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn nin_check_reports_each_number_with_its_reason() {
    // 28894698995: Test-Norge example (FHIDev/Fhi.NINCheck); 30108299939: Skatteetaten's 2032
    // example; 12345678901: wrong K1.
    let out = fjellport(&["nin", "check", "28894698995", "30108299939", "12345678901", "0111"]);
    assert!(out.status.success());
    let reports = json_lines(&out);
    assert_eq!(reports.len(), 4);
    assert_eq!(reports[0]["valid"], true);
    assert_eq!(reports[0]["syntheticGroup"], "testnorge");
    assert_eq!(reports[0]["birthDate"], "1946-09-28");
    assert_eq!(reports[0]["sex"], "male");
    assert_eq!(reports[1]["rule"], "2032");
    assert_eq!(reports[1]["sexCertain"], false);
    assert_eq!(reports[2]["valid"], false);
    assert_eq!(reports[2]["reasonCode"], "check-digit-1");
    assert_eq!(reports[3]["reasonCode"], "length");
    let out = fjellport(&["nin", "check"]);
    assert_eq!(out.status.code(), Some(2), "no number is a usage error");
}

#[test]
fn nin_generate_gives_unique_valid_reproducible_numbers() {
    let args = [
        "nin",
        "generate",
        "-n",
        "200",
        "--seed",
        "42",
        "--kind",
        "dnr",
        "--synthetic",
        "reserved",
    ];
    let first = json_lines(&fjellport(&args));
    let again = json_lines(&fjellport(&args));
    assert_eq!(first, again, "the same seed gives the same numbers");
    let mut seen = std::collections::BTreeSet::new();
    for r in &first {
        let nin = r["nin"].as_str().unwrap();
        assert!(seen.insert(nin.to_owned()), "duplicate {nin}");
        assert_eq!(r["kind"], "dnr");
        assert_eq!(r["syntheticGroup"], "reserved");
        let check = json_lines(&fjellport(&["nin", "check", nin]));
        assert_eq!(check[0]["valid"], true, "{nin}");
    }
    let born = json_lines(&fjellport(&[
        "nin",
        "generate",
        "--born",
        "2000-02-29",
        "--sex",
        "f",
        "-n",
        "5",
    ]));
    for r in born {
        assert_eq!(
            (r["birthDate"].as_str(), r["sex"].as_str()),
            (Some("2000-02-29"), Some("female"))
        );
    }
    // From 2032 (by the clock) numbers follow the new rule: Skatteetaten's two examples.
    let out = fjellport(&[
        "--clock",
        "2032-02-01T00:00:00Z",
        "nin",
        "generate",
        "--born",
        "1982-10-30",
        "--synthetic",
        "none",
        "-n",
        "2",
    ]);
    let nins: Vec<String> =
        json_lines(&out).iter().map(|r| r["nin"].as_str().unwrap().to_owned()).collect();
    assert_eq!(nins, ["30108299920", "30108299939"]);
    for bad in [
        vec!["nin", "generate", "--kind", "hnr"],
        vec!["nin", "generate", "--born", "2023-02-29"],
        vec!["nin", "generate", "-n", "0"],
        vec!["nin", "generate", "--born", "1800-01-01"],
    ] {
        let out = fjellport(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(first_stderr_line(&out).starts_with("error:"), "{bad:?}");
    }
}
