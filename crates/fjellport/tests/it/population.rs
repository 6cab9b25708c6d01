//! The population through the CLI and `serve`: generation, refusal to overwrite, exports that
//! are byte-identical across runs and databases.

use crate::cli::fjellport;
use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};

fn export(db: &str) -> Vec<u8> {
    let out = fjellport(&["population", "export", "--database", db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn export_as(db: &str, what: &str, format: &str) -> String {
    let out =
        fjellport(&["population", "export", "--what", what, "--format", format, "--database", db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn generate(db: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--clock",
        BEFORE_SUNSET,
        "population",
        "generate",
        "--persons",
        "300",
        "--seed",
        "5",
        "--database",
        db,
    ];
    args.extend_from_slice(extra);
    fjellport(&args)
}

#[test]
fn generate_refuses_to_overwrite_without_replace_and_exports_every_person() {
    let (_dir, db) = temp_db("pop.db");
    let out = generate(&db, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["persons"], 300);
    let organizations = summary["organizations"].as_u64().unwrap();
    assert!(organizations > 5, "{summary}");
    let exported = export_as(&db, "organizations", "jsonl");
    assert_eq!(exported.lines().count() as u64, organizations);
    let csv = export_as(&db, "organizations", "csv");
    assert!(csv.starts_with("organizationNumber,name,"));
    assert_eq!(csv.lines().count() as u64, organizations + 1);
    let first = export(&db);
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&first).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 300);
    assert!(
        lines
            .iter()
            .all(|p| p["norwegianIdentificationNumber"][0]["identificationNumber"].is_string())
    );

    let again = generate(&db, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--replace"));
    assert_eq!(export(&db), first, "nothing changed");
    let replaced = generate(&db, &["--replace"]);
    assert!(replaced.status.success());
    assert_eq!(export(&db), first, "the same seed, size and clock give the same persons");

    for bad in [["--persons", "0"], ["--persons", "3000000"], ["--persons", "many"]] {
        let out = fjellport(&["population", "generate", bad[0], bad[1], "--database", &db]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn exports_are_byte_identical_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let a = format!("sqlite:{}", dir.path().join("a.db").display());
    assert!(generate(&a, &[]).status.success());
    let reference = export(&a);
    let b = format!("sqlite:{}", dir.path().join("b.db").display());
    assert!(generate(&b, &[]).status.success());
    assert_eq!(export(&b), reference, "two SQLite files");
    let Some(pg) = tokio::runtime::Runtime::new().unwrap().block_on(crate::support::postgres())
    else {
        return;
    };
    assert!(generate(&pg, &[]).status.success());
    assert_eq!(export(&pg), reference, "SQLite and PostgreSQL");
    assert_eq!(
        export_as(&pg, "organizations", "jsonl"),
        export_as(&a, "organizations", "jsonl"),
        "organizations too"
    );
}

#[tokio::test]
async fn serve_generates_the_population_on_an_empty_database_once() {
    let (_dir, db) = temp_db("serve.db");
    let mut cfg = config(&db, BEFORE_SUNSET);
    cfg.persons = 250;
    cfg.seed = 9;
    let s = TestServer::start(cfg.clone()).await;
    assert_eq!(s.get("/readyz").send().await.unwrap().status(), 200);
    s.stop().await;
    let first = export(&db);
    assert_eq!(String::from_utf8_lossy(&first).lines().count(), 250);
    // A restart keeps the population: nothing is regenerated.
    cfg.seed = 10;
    let s = TestServer::start(cfg).await;
    s.stop().await;
    assert_eq!(export(&db), first);
}

fn advance(db: &str, days: &str) -> serde_json::Value {
    let out = fjellport(&[
        "--clock",
        BEFORE_SUNSET,
        "population",
        "advance",
        "--days",
        days,
        "--database",
        db,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn advancing_gives_the_same_life_events_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let a = format!("sqlite:{}", dir.path().join("a.db").display());
    let gen3000 = |db: &str| {
        fjellport(&[
            "--clock",
            BEFORE_SUNSET,
            "population",
            "generate",
            "--persons",
            "3000",
            "--seed",
            "5",
            "--database",
            db,
        ])
    };
    assert!(gen3000(&a).status.success());
    let summary = advance(&a, "90");
    assert_eq!(summary["days"], 90);
    assert_eq!(summary["day"], "2026-11-30", "the population's own calendar moved on");
    assert!(summary["events"].as_u64().unwrap() > 50, "{summary}");
    assert!(summary["births"].as_u64().unwrap() > 0 && summary["moves"].as_u64().unwrap() > 0);
    let reference = export(&a);
    let persons = String::from_utf8_lossy(&reference).lines().count();
    assert!(persons > 3000, "births add persons");
    let events = export_as(&a, "events", "jsonl");
    assert_eq!(events.lines().count() as u64, summary["events"].as_u64().unwrap());
    let csv = export_as(&a, "events", "csv");
    assert_eq!(csv.lines().next(), Some("sequenceNumber,personId,nin,eventType,occurredOn"));
    assert_eq!(csv.lines().count(), events.lines().count() + 1);
    let people = export_as(&a, "persons", "csv");
    assert_eq!(people.lines().count(), persons + 1, "a header and a row per person");
    let Some(pg) = tokio::runtime::Runtime::new().unwrap().block_on(crate::support::postgres())
    else {
        return;
    };
    assert!(gen3000(&pg).status.success());
    assert_eq!(advance(&pg, "90"), summary);
    assert_eq!(export(&pg), reference, "SQLite and PostgreSQL advance alike");
    assert_eq!(export_as(&pg, "events", "jsonl"), events, "and tell it alike");
    // Bad input: no population, or a silly number of days.
    let empty = format!("sqlite:{}", dir.path().join("empty.db").display());
    let out = fjellport(&["population", "advance", "--days", "3", "--database", &empty]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("population generate"));
    for days in ["0", "400", "soon"] {
        let out = fjellport(&["population", "advance", "--days", days, "--database", &a]);
        assert_eq!(out.status.code(), Some(2), "{days}");
    }
}

#[test]
fn a_kartverket_address_file_gives_real_streets_where_it_covers_and_a_bad_one_changes_nothing() {
    let (dir, db) = temp_db("pop.db");
    // Kartverket's layout (extra columns, `;`, a BOM); Oslo only, so other municipalities keep
    // synthetic streets.
    let csv = dir.path().join("adresser.csv");
    let mut text = String::from(
        "\u{feff}lokalid;kommunenummer;kommunenavn;adressetype;adressenavn;nummer;bokstav;\
         postnummer;poststed;nord;øst\n",
    );
    for (i, street) in ["Karl Johans gate", "Storgata", "Thorvald Meyers gate"].iter().enumerate() {
        for n in 1..=4 {
            text.push_str(&format!(
                "{i}{n};0301;OSLO;vegadresse;{street};{n};;01{i}{n};Oslo;6643000;597000\n"
            ));
        }
    }
    text.push_str("99;0301;OSLO;matrikkeladresse;;;;0150;OSLO;0;0\n");
    std::fs::write(&csv, &text).unwrap();
    let out = generate(&db, &["--addresses", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (mut oslo, mut elsewhere) = (0, 0);
    for line in String::from_utf8(export(&db)).unwrap().lines() {
        let p: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(a) = p["residentialAddress"].as_array().and_then(|a| a.first()) else {
            continue;
        };
        let s = &a["streetAddress"];
        let street = s["addressName"].as_str().unwrap();
        if s["municipalityNumber"] == "0301" {
            oslo += 1;
            assert!(text.contains(&format!(";{street};")), "{street} is not from the file");
            let code = s["city"]["postalCode"].as_str().unwrap();
            assert!(code.starts_with("01"), "{code}");
            assert_eq!(s["city"]["cityName"], "OSLO");
        } else {
            elsewhere += 1;
            assert!(!text.contains(street), "{street} outside Oslo");
        }
    }
    assert!(oslo > 5 && elsewhere > 100, "Oslo {oslo}, elsewhere {elsewhere}");

    // Not the address CSV, a missing file, a malformed row: one line each, exit 2, and the
    // database keeps what it had.
    let before = export(&db);
    let wrong = dir.path().join("wrong.csv");
    std::fs::write(&wrong, "kommunenummer,adressenavn\n0301,Gata\n").unwrap();
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, text.replace("Storgata;2;", "Storgata;to;")).unwrap();
    let missing = dir.path().join("missing.csv");
    for (file, says) in [(&wrong, "no column"), (&missing, "cannot open"), (&broken, "line 7")] {
        let out = generate(&db, &["--replace", "--addresses", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.trim().lines().count() == 1, "{err}");
    }
    assert_eq!(export(&db), before);
}

#[tokio::test]
async fn the_summary_tells_size_and_speed_and_reserved_persons_go_only_when_asked() {
    let (dir, db) = temp_db("pop.db");
    let out = generate(&db, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bytes = summary["databaseBytes"].as_u64().unwrap();
    let file = std::fs::metadata(dir.path().join("pop.db")).unwrap().len();
    // The closed database is exactly the pages the summary counted.
    assert_eq!(bytes, file, "{summary}");
    assert_eq!(summary["bytesPerPerson"].as_u64().unwrap(), bytes / 300);
    assert!(summary["personsPerSecond"].as_u64().unwrap() > 0);
    assert_eq!(summary["events"], 0);
    assert_eq!(summary["releasedReserved"], 0);

    // One reserved person, made through the API.
    let s = TestServer::start(config(&db, BEFORE_SUNSET)).await;
    let (_, key) = s.other_key("syntpop").await;
    let made = s
        .http
        .post(s.url("/syntpop/api/reserved-persons"))
        .header("X-api-key", &key)
        .header("X-api-version", "0.2")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    s.stop().await;
    let persons = |db: &str| export(db).split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
    assert_eq!(persons(&db), 301);
    let kept = generate(&db, &["--replace"]);
    assert!(kept.status.success());
    assert_eq!(persons(&db), 301, "reserved persons are kept");
    let released = generate(&db, &["--replace", "--release-reserved"]);
    assert!(released.status.success(), "{}", String::from_utf8_lossy(&released.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&released.stdout).unwrap();
    assert_eq!(summary["releasedReserved"], 1);
    assert_eq!(persons(&db), 300);
    let alone = generate(&db, &["--release-reserved"]);
    assert_eq!(alone.status.code(), Some(2), "--release-reserved needs --replace");

    // A database that cannot be written: one line, a failure exit, nothing changed.
    let before = export(&db);
    let read_only = format!("{db}?mode=ro");
    let out = generate(&read_only, &["--replace"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("read"), "{err}");
    assert_eq!(export(&db), before);
}

/// A disk that fills up mid-load (here: a file-size limit of 3 MB on the process, with the
/// signal it raises ignored, so writes fail as on a full disk): one line, a failure exit, and
/// the population the database held before.
#[test]
fn a_disk_that_fills_up_mid_load_changes_nothing() {
    let (_dir, db) = temp_db("pop.db");
    assert!(generate(&db, &[]).status.success());
    let before = export(&db);
    let out = crate::cli::without_our_env(&mut std::process::Command::new("bash"))
        .arg("-c")
        .arg(r#"trap "" XFSZ; ulimit -f 3000; exec "$0" population generate --persons 20000 --replace --database "$1""#)
        .arg(env!("CARGO_BIN_EXE_fjellport"))
        .arg(&db)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(export(&db), before);
}

/// A name that a spreadsheet would run as a formula is refused by the API; one that is stored
/// anyway (written before that rule, or by a team's own tool into the database) is exported as
/// text (OWASP's CSV-injection rule), and the same name stays as it is in JSON.
#[tokio::test]
async fn csv_exports_neutralise_formulas_in_what_testers_wrote() {
    let (s, db, _dir) = TestServer::on_file("csv.db").await;
    let (_, key) = s.key(serde_json::json!({"api": "syntpop", "type": "other"})).await;
    let formula = "=HYPERLINK(\"http://evil.test\",\"Kari\")";
    let res = s
        .http
        .post(s.url("/syntpop/api/reserved-persons"))
        .header("X-api-version", "0.2")
        .header("X-api-key", &key)
        .json(&serde_json::json!({"name": {"givenName": formula, "familyName": "Nordmann"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the register's rules refuse it");
    s.stop().await;
    let today = fjellport_nin::Date { year: 2026, month: 9, day: 1 };
    let opts = fjellport_population::Options { seed: 3, persons: 1, today, addresses: None };
    let mut person = fjellport_population::generate(&opts).unwrap().remove(0);
    person.name[0].given_name = formula.to_owned();
    let store = fjellport_store::open(&db).await.unwrap();
    let row = fjellport_store::PersonRow::of(&person, "Reserved", Some("team"));
    store.insert_reserved("team", vec![row], 0).await.unwrap();
    store.close().await;
    let csv = export_as(&db, "persons", "csv");
    let line = csv.lines().find(|l| l.contains("HYPERLINK")).expect("the reserved person");
    assert!(line.contains("\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"Kari\"\")\""), "{line}");
    assert!(!line.contains(",=HYPERLINK"), "{line}");
    let jsonl = export_as(&db, "persons", "jsonl");
    assert!(jsonl.contains("\"=HYPERLINK(\\\"http://evil.test\\\",\\\"Kari\\\")\""));
}

/// The database holds the issuers' private signing keys: a new SQLite file, and the WAL and
/// shared-memory files beside it, are readable by their owner only.
#[cfg(unix)]
#[tokio::test]
async fn new_database_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, db) = temp_db("private.db");
    let out = generate(&db, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = TestServer::start(config(&db, BEFORE_SUNSET)).await;
    let (_, _key) = s.key(serde_json::json!({"api": "syntpop", "type": "other"})).await;
    for name in ["private.db", "private.db-wal", "private.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
    s.stop().await;
}
