//! The web app's message box: the logged-in person's reportees and their messages through
//! Altinn's own handlers; opening reads, and Confirm, Archive and Delete do what the REST API
//! does (and refuse what it refuses).

use serde_json::Value;

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};
use crate::web_login::{Browser, person_with_a_role};

fn send(db: &str, reportee: &str, title: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "--clock",
        BEFORE_SUNSET,
        "altinn",
        "send-correspondence",
        "--database",
        db,
        "--service-owner",
        "SKD",
        "--reportee",
        reportee,
        "--title",
        title,
        "--summary",
        "Les meg",
        "--body",
        "<p>Hei</p>",
    ];
    args.extend(extra);
    let out = crate::cli::fjellport(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["messageId"].as_str().unwrap().to_owned()
}

/// The reportee ids linked from the box, in order.
fn reportees(html: &str) -> Vec<String> {
    html.split("href=\"/altinn?who=")
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_person_reads_confirms_archives_and_deletes_messages_of_their_reportees() {
    let (_dir, db) = temp_db("web-altinn.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 200, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (nin, _, orgnr) = person_with_a_role(&db).await;
    let mine = send(&db, &nin, "Skattemelding 2026", &[]);
    let theirs = send(&db, &orgnr, "Merverdiavgift", &["--confirmation-needed"]);
    let mut b = Browser::new(&s);
    assert_eq!(b.log_in("/altinn", &nin).await.location.as_deref(), Some("/altinn"));

    let page = b.get("/altinn").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let ids = reportees(&page.body);
    assert_eq!(ids.len(), 2, "the person and the organization: {ids:?}");
    assert!(page.body.contains(&orgnr));
    assert!(page.body.contains("Skattemelding 2026"), "the person's own box first: {}", page.body);
    assert!(page.body.contains("<td>Ulest</td>"));

    // Opening reads it.
    let own = &ids[0];
    let opened = b.get(&format!("/altinn/messages/{own}/{mine}")).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert!(opened.body.contains("<h1>Skattemelding 2026</h1>"));
    assert!(
        opened.body.contains("&#60;p&#62;Hei&#60;/p&#62;"),
        "the body as text, never as HTML: {}",
        opened.body
    );
    let listed = b.get(&format!("/altinn?who={own}")).await;
    assert!(listed.body.contains("<td>Lest</td>"), "{}", listed.body);
    let csrf = Browser::csrf(&opened.body);

    // The organization's message asks for confirmation: archiving first is refused.
    let org = &ids[1];
    let box_page = b.get(&format!("/altinn?who={org}")).await;
    assert!(box_page.body.contains("Merverdiavgift"));
    let message = b.get(&format!("/altinn/messages/{org}/{theirs}")).await;
    assert!(message.body.contains(">Confirm</button>"));
    let at = format!("/altinn/messages/{org}/{theirs}");
    assert_eq!(b.post(&format!("{at}/archive"), &[]).await.status, 403, "no CSRF token");
    let early = b.post(&format!("{at}/archive"), &[("csrf", &csrf)]).await;
    assert_eq!(early.status, 400);
    assert!(early.body.contains("confirm it before archiving"), "{}", early.body);
    assert_eq!(b.post(&format!("{at}/confirm"), &[("csrf", &csrf)]).await.status, 303);
    let archived = b.post(&format!("{at}/archive"), &[("csrf", &csrf)]).await;
    assert_eq!(archived.status, 303);
    let after = b.get(&at).await;
    assert!(after.body.contains("<dd>Arkivert</dd>"), "{}", after.body);
    assert!(!after.body.contains(">Confirm</button>") && !after.body.contains(">Archive</button>"));

    // Delete: gone from the box.
    let deleted =
        b.post(&format!("/altinn/messages/{own}/{mine}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, 303);
    let listed = b.get(&format!("/altinn?who={own}")).await;
    assert!(!listed.body.contains("Skattemelding 2026"), "{}", listed.body);
    assert_eq!(b.get(&format!("/altinn/messages/{own}/{mine}")).await.status, 404);

    // A reportee the person may not act for.
    let foreign = b.get("/altinn?who=r999999").await;
    assert_eq!(foreign.status, 400, "{}", foreign.body);
    assert!(foreign.body.contains("may not act for"), "{}", foreign.body);
    s.stop().await;
}
