//! Altinn's message box end to end: a service owner sends correspondence (the CLI), every
//! person who may act for the reportee finds it (and nobody else), reading, confirming,
//! archiving and deleting it change its status, the service owner's feed reports each step,
//! and lists page and filter as Altinn's do.

use serde_json::{Value, json};

use crate::altinn_enduser::{EndUsers, setup, token};
use crate::cli::fjellport;
use crate::support::problem;

/// Sends a correspondence with the CLI into the server's database; returns its message id.
fn send(u: &EndUsers, owner: &str, reportee: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "altinn",
        "send-correspondence",
        "--database",
        u._db.1.as_str(),
        "--service-owner",
        owner,
        "--reportee",
        reportee,
        "--title",
        "Viktig melding",
        "--summary",
        "Les meg",
        "--body",
        "<p>Hei</p>",
    ];
    args.extend(extra);
    let out = fjellport(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["receiptId"].as_i64().map(|n| format!("a{n}")),
        v["messageId"].as_str().map(str::to_owned)
    );
    v["messageId"].as_str().unwrap().to_owned()
}

async fn list(u: &EndUsers, path: &str, token: &str) -> Vec<Value> {
    let v: Value = crate::support::json(u.get(path, token)).await;
    v["_embedded"]["messages"].as_array().cloned().unwrap_or_else(|| panic!("{path}: {v}"))
}

/// The service owner's feed, as `(EventType, CorrespondenceId)`.
async fn feed(u: &EndUsers, org: &str, query: &str) -> Vec<(String, i64)> {
    let (_, key) = u.s.key(json!({"api": "altinn-serviceowner", "type": "other"})).await;
    let minted: Value = crate::support::json(u.s.http.post(u.s.url("/maskinporten/test-token")).json(
        &json!({"claims": {"scope": "altinn:serviceowner/events",
                           "consumer": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")}}}),
    ))
    .await;
    let res =
        u.s.get(&format!("/altinn/api/serviceowner/events/feed{query}"))
            .header("ApiKey", key)
            .bearer_auth(minted["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let v: Value = res.json().await.unwrap();
    v["_embedded"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["EventType"].as_str().unwrap().to_owned(), e["CorrespondenceId"].as_i64().unwrap())
        })
        .collect()
}

const SKD: &str = "974761076";

#[tokio::test]
async fn correspondence_reaches_who_may_act_for_the_reportee_and_each_step_is_in_the_feed() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let holder = token(&u.s, &nin, "altinn:enduser").await;
    let loner = token(&u.s, &u.loner, "altinn:enduser").await;
    let id = send(&u, "SKD", &orgnr, &[]);
    let personal = send(&u, "NAV", &nin, &[]);
    let seq: i64 = id[1..].parse().unwrap();

    // The role holder sees the organization's message by number and by reportee id, and
    // their own in their own box; the loner may not open the organization's box.
    let by_number = list(&u, &format!("/{orgnr}/messages"), &holder).await;
    assert_eq!(by_number.len(), 1, "{by_number:?}");
    let m = &by_number[0];
    assert_eq!(
        (&m["MessageId"], &m["Status"], &m["Type"]),
        (&json!(id), &json!("Ulest"), &json!("Correspondence"))
    );
    assert_eq!((&m["ServiceOwner"], &m["ServiceCode"]), (&json!("Skatteetaten"), &json!("5528")));
    let reportees: Value = crate::support::json(u.get("/reportees", &holder)).await;
    let rid = reportees["_embedded"]["reportees"][1]["ReporteeId"].as_str().unwrap().to_owned();
    assert_eq!(list(&u, &format!("/{rid}/messages"), &holder).await, by_number);
    let own = list(&u, "/my/messages", &holder).await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["MessageId"], personal.as_str());
    problem(u.get(&format!("/{orgnr}/messages"), &loner).send().await.unwrap(), 403).await;
    problem(u.get(&format!("/{orgnr}/messages/{id}"), &loner).send().await.unwrap(), 403).await;
    assert!(list(&u, "/my/messages", &loner).await.is_empty(), "nothing for the loner");
    // Another reportee's message is not found through this box.
    problem(u.get(&format!("/my/messages/{id}"), &holder).send().await.unwrap(), 404).await;

    // markAsRead=false leaves it unread; opening it reads it.
    let peek: Value =
        crate::support::json(u.get(&format!("/{orgnr}/messages/{id}?markAsRead=false"), &holder))
            .await;
    assert_eq!((&peek["Status"], &peek["Body"]), (&json!("Ulest"), &json!("<p>Hei</p>")));
    let opened: Value =
        crate::support::json(u.get(&format!("/{orgnr}/messages/{id}"), &holder)).await;
    assert_eq!(opened["Status"], "Lest");
    assert_eq!(list(&u, &format!("/{orgnr}/messages"), &holder).await[0]["Status"], "Lest");
    // Routes ignore case, as Altinn's do.
    let shouted: Value =
        crate::support::json(u.get(&format!("/{orgnr}/Messages/{id}?markAsRead=false"), &holder))
            .await;
    assert_eq!(shouted["MessageId"], id.as_str());
    let res = u.s.get("/ALTINN/API/METADATA").send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Its metadata link leads to its service's description (no credentials needed).
    let href = opened["_links"]["metadata"]["href"].as_str().unwrap();
    let service: Value = crate::support::json(u.s.http.get(href)).await;
    assert_eq!(service["ServiceType"], "Correspondence");
    assert_eq!(service["ServiceCode"], opened["ServiceCode"]);

    // Deleting puts it in the trash, where it has only a metadata link.
    let res = u.s.http.delete(u.s.url(&format!("/altinn/api/{orgnr}/messages/{id}")));
    let res = res.header("ApiKey", &u.key).bearer_auth(&holder).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(list(&u, &format!("/{orgnr}/messages"), &holder).await.is_empty());
    let trash = list(&u, &format!("/{orgnr}/messages/trashbin"), &holder).await;
    assert_eq!((&trash[0]["MessageId"], &trash[0]["Status"]), (&json!(id), &json!("Slettet")));
    assert!(trash[0]["_links"].get("self").is_none(), "{trash:?}");
    problem(u.get(&format!("/{orgnr}/messages/{id}"), &holder).send().await.unwrap(), 404).await;

    // The service owner's feed: created, read, deleted — its own correspondence only.
    let events = feed(&u, SKD, "").await;
    let mine: Vec<&str> =
        events.iter().filter(|(_, c)| *c == seq).map(|(t, _)| t.as_str()).collect();
    assert_eq!(mine, ["CorrespondenceCreated", "CorrespondenceRead", "CorrespondenceDeleted"]);
    assert!(events.iter().all(|(_, c)| *c == seq), "NAV's letter is not in SKD's feed: {events:?}");
    assert_eq!(feed(&u, "889640782", "").await, [("CorrespondenceCreated".to_owned(), seq + 1)]);
    u.s.stop().await;
}

#[tokio::test]
async fn a_role_that_no_service_of_the_message_names_does_not_see_it() {
    let u = setup().await;
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&u._db.1).await.unwrap();
    // An accountant (REGN) who holds no other role there.
    let (accountant, orgnr): (String, String) = sqlx::query_as(
        "SELECT a.nin, a.orgnr FROM organization_roles a WHERE a.role = 'REGN' AND NOT EXISTS \
         (SELECT 1 FROM organization_roles b WHERE b.nin = a.nin AND b.orgnr = a.orgnr \
          AND b.role <> 'REGN') ORDER BY a.nin LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let t = token(&u.s, &accountant, "altinn:enduser").await;
    let id = send(&u, "SKD", &orgnr, &[]);
    assert!(list(&u, &format!("/{orgnr}/messages"), &t).await.is_empty(), "5528 is not for REGN");
    problem(u.get(&format!("/{orgnr}/messages/{id}"), &t).send().await.unwrap(), 404).await;
    u.s.stop().await;
}

#[tokio::test]
async fn a_correspondence_that_asks_for_confirmation_is_confirmed_before_it_is_archived() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let id = send(&u, "SKD", &nin, &["--confirmation-needed"]);
    let put = |what: &str| {
        u.s.http
            .put(u.s.url(&format!("/altinn/api/my/messages/{id}/{what}")))
            .header("ApiKey", &u.key)
            .bearer_auth(&t)
    };
    problem(put("Archive").send().await.unwrap(), 400).await;
    assert_eq!(put("Confirm").send().await.unwrap().status(), 204);
    problem(put("Confirm").send().await.unwrap(), 400).await;
    let m: Value = crate::support::json(u.get(&format!("/my/messages/{id}"), &t)).await;
    assert_eq!(
        (&m["ConfirmationNeeded"], m["ConfirmedDateTime"].is_string()),
        (&json!(true), true)
    );
    let res = put("Archive").send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers()["location"].to_str().unwrap().ends_with(&format!("/my/messages/{id}")));
    assert_eq!(list(&u, "/my/messages", &t).await[0]["Status"], "Arkivert");
    let kinds: Vec<String> = feed(&u, SKD, "").await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        ["CorrespondenceCreated", "CorrespondenceConfirmed", "CorrespondenceArchived"]
    );
    // Read-only scopes cannot change anything.
    let reader = token(&u.s, &nin, "altinn:instances.read altinn:instances.meta").await;
    let res = u.s.http.delete(u.s.url(&format!("/altinn/api/my/messages/{id}")));
    problem(res.header("ApiKey", &u.key).bearer_auth(&reader).send().await.unwrap(), 401).await;
    assert_eq!(u.get(&format!("/my/messages/{id}"), &reader).send().await.unwrap().status(), 200);
    u.s.stop().await;
}

#[tokio::test]
async fn lists_page_by_fifty_and_filter_with_odata() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let mut ids = Vec::new();
    for i in 0..53 {
        let owner = if i % 10 == 0 { "NAV" } else { "SKD" };
        ids.push(send(&u, owner, &nin, &[]));
    }
    let first: Value = crate::support::json(u.get("/my/messages", &t)).await;
    let page = first["_embedded"]["messages"].as_array().unwrap();
    assert_eq!(page.len(), 50);
    assert_eq!(page[0]["MessageId"], ids[52].as_str(), "newest first");
    let next = first["_links"]["next"]["href"].as_str().unwrap();
    let rest: Value =
        crate::support::json(u.s.http.get(next).header("ApiKey", &u.key).bearer_auth(&t)).await;
    let rest = rest["_embedded"]["messages"].as_array().unwrap();
    assert_eq!(rest.len(), 3);
    assert_eq!(rest[2]["MessageId"], ids[0].as_str());
    assert_eq!(list(&u, "/my/messages?$top=3&$skip=1", &t).await.len(), 3);
    assert_eq!(list(&u, "/my/messages?$top=500", &t).await.len(), 50, "never more than 50");
    let nav = list(
        &u,
        "/my/messages?$filter=ServiceOwner%20eq%20%27Arbeids-%20og%20velferdsetaten%27",
        &t,
    )
    .await;
    assert_eq!(nav.len(), 6, "{nav:?}");
    let unread = list(
        &u,
        "/my/messages?$filter=Status%20eq%20%27Ulest%27%20and%20ServiceCode%20eq%20%275528%27",
        &t,
    )
    .await;
    assert_eq!(unread.len(), 47);
    let future =
        list(&u, "/my/messages?$filter=CreatedDate%20gt%20DateTime%272999-01-01T00:00:00%27", &t)
            .await;
    assert!(future.is_empty());
    assert!(list(&u, "/my/messages?dateFrom=2999-01-01", &t).await.is_empty());
    for bad in [
        "/my/messages?$filter=Status%20eq%20%27Lest%27%20or%20Status%20eq%20%27Ulest%27",
        "/my/messages?$filter=Colour%20eq%20%27red%27",
        "/my/messages?$top=-1",
        "/my/messages?$skip=many",
        "/my/messages?dateFrom=yesterday",
        "/my/messages?$orderby=Subject",
        "/me/messages",
        "/my/messages/x1",
    ] {
        let p = problem(u.get(bad, &t).send().await.unwrap(), 400).await;
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{bad}");
    }
    u.s.stop().await;
}

#[test]
fn sending_refuses_what_altinn_would_not_deliver() {
    let (_dir, db) = crate::support::temp_db("send.db");
    for (args, needle) in [
        (&["--service-owner", "XYZ", "--reportee", "974760673"][..], "unknown service owner"),
        (&["--service-owner", "SKD", "--reportee", "974760674"][..], "not a valid organization"),
        (&["--service-owner", "SKD", "--reportee", "974760673"][..], "no organization has number"),
        (&["--service-owner", "SKD", "--reportee", "12345"][..], "11 digits"),
        (
            &["--service-owner", "SKD", "--reportee", "974760673", "--service-code", "5252"][..],
            "belongs to NAV",
        ),
        (
            &["--service-owner", "SKD", "--reportee", "974760673", "--service-code", "4419"][..],
            "form service",
        ),
    ] {
        let mut all = vec!["altinn", "send-correspondence", "--database", &db, "--title", "T"];
        all.extend(args);
        let out = fjellport(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let line =
            String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or_default().to_owned();
        assert!(line.contains(needle), "{args:?}: {line}");
    }
}

/// Pages are kept in memory, but a message written by another process (the CLI here; another
/// replica alike) shows within two seconds, and one's own changes at once.
#[tokio::test]
async fn a_message_sent_elsewhere_shows_within_two_seconds_and_own_changes_at_once() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    assert!(list(&u, "/my/messages", &t).await.is_empty());
    let id = send(&u, "SKD", &nin, &[]);
    let started = std::time::Instant::now();
    loop {
        if !list(&u, "/my/messages", &t).await.is_empty() {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "not seen within 2 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let res = u.s.http.delete(u.s.url(&format!("/altinn/api/my/messages/{id}")));
    assert_eq!(res.header("ApiKey", &u.key).bearer_auth(&t).send().await.unwrap().status(), 204);
    assert!(list(&u, "/my/messages", &t).await.is_empty(), "own change at once");
    u.s.stop().await;
}

const CATALOGUE: &str = r#"
[[altinn.catalogue.service_owners]]
code = "TST"
orgnr = "983544622"
name = "Testetaten"

[[altinn.catalogue.services]]
owner = "TST"
code = "9001"
edition = 2
name = "Brev fra Testetaten"
kind = "Correspondence"
roles = ["PRIV", "DAGL"]
"#;

/// A configuration file's catalogue replaces the default one: metadata lists it, the CLI sends
/// under it, and a catalogue that breaks a rule stops every command with the reason.
#[tokio::test]
async fn a_configured_catalogue_replaces_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fjellport.toml");
    std::fs::write(&file, CATALOGUE).unwrap();
    let db = format!("sqlite:{}", dir.path().join("c.db").display());
    let figment_config =
        fjellport::config::Config::load(Some(&file), serde_json::json!({})).unwrap();
    let s = crate::support::TestServer::start(fjellport::config::Config {
        persons: 300,
        altinn: figment_config.altinn.clone(),
        ..crate::support::config(&db, crate::support::BEFORE_SUNSET)
    })
    .await;
    let meta: Value = crate::support::json(s.get("/altinn/api/metadata")).await;
    let services = meta["_embedded"]["metadata"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{meta}");
    assert_eq!(
        (&services[0]["ServiceOwnerCode"], &services[0]["ServiceEditionCode"]),
        (&json!("TST"), &json!(2))
    );
    let config = file.to_str().unwrap();
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    let (orgnr,): (String,) =
        sqlx::query_as("SELECT orgnr FROM organizations ORDER BY seq LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    let send = |owner: &str| {
        fjellport(&[
            "altinn",
            "send-correspondence",
            "--config",
            config,
            "--database",
            &db,
            "--service-owner",
            owner,
            "--reportee",
            &orgnr,
            "--title",
            "Hei",
        ])
    };
    let out = send("TST");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sent: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((&sent["serviceCode"], &sent["serviceEdition"]), (&json!("9001"), &json!(2)));
    let out = send("SKD");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the catalogue has TST"));
    std::fs::write(&file, CATALOGUE.replace("\"DAGL\"", "\"BOSS\"")).unwrap();
    let out = fjellport(&["keys", "list", "--config", config, "--database", &db]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("altinn.catalogue: service 9001: unknown role")
    );
    s.stop().await;
}
