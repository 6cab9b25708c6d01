//! The web app's Events page: the Test-Norge feed newest first, by type, paged backwards.

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};
use crate::web_login::{Browser, person_with_a_role};

/// The sequence numbers in the page's table, in order.
fn sequence_numbers(html: &str) -> Vec<i64> {
    html.split("<tr><td>").skip(1).map(|r| r.split('<').next().unwrap().parse().unwrap()).collect()
}

#[tokio::test]
async fn the_feed_is_shown_newest_first_by_type_and_pages_back_to_the_first_event() {
    let (_dir, db) = temp_db("web-events.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 400, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (nin, _, _) = person_with_a_role(&db).await;
    let mut b = Browser::new(&s);
    b.log_in("/events", &nin).await;
    let empty = b.get("/events").await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("No events yet"), "{}", empty.body);

    let out = crate::cli::fjellport(&[
        "--clock",
        BEFORE_SUNSET,
        "population",
        "advance",
        "--days",
        "366",
        "--database",
        &db,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = b.get("/events").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let seqs = sequence_numbers(&page.body);
    assert!(!seqs.is_empty(), "{}", page.body);
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first: {seqs:?}");
    assert!(page.body.contains("<label for=\"eventTypes\">Event type</label>"));

    // Back through every page to the first event, none twice, none missed.
    let mut all = seqs.clone();
    let mut at = page.body;
    while let Some(link) = at
        .split("href=\"/events?")
        .nth(1)
        .map(|r| r.split('"').next().unwrap().replace("&amp;", "&"))
    {
        let older = b.get(&format!("/events?{link}")).await;
        assert_eq!(older.status, 200);
        all.extend(sequence_numbers(&older.body));
        at = older.body;
    }
    let newest = all[0];
    assert!(newest > 50, "more events than a page: {newest}");
    assert_eq!(all, (1..=newest).rev().collect::<Vec<_>>(), "every event once, newest first");

    // By type: only that type.
    let moves = b.get("/events?eventTypes=ChangeInResidentialAddress").await;
    assert_eq!(moves.status, 200);
    assert!(moves.body.contains("<td>ChangeInResidentialAddress</td>"), "{}", moves.body);
    assert!(!moves.body.contains("<td>PersonIsCreated</td>"));
    let bad = b.get("/events?eventTypes=Nope").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("unknown event type"), "{}", bad.body);
    s.stop().await;
}
