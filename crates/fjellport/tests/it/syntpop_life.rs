//! SyntPop populations that change: new loads, life events, and what readers see of them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config, problem, temp_db};
use crate::syntpop::{Auth, call, count, form, ok, patch, reserve, search};

#[tokio::test]
async fn a_new_population_replaces_what_readers_had_cached_within_two_seconds() {
    let (_dir, db) = temp_db("p.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 300, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V01(&key);
    let first = ok(search(&s, &auth, json!({"limit": 1, "fields": "ids"}))).await;
    let id = first["results"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/persons/{id}?informationParts=Name");
    ok(call(&s, &auth, Method::GET, &path)).await; // now cached
    assert_eq!(count(&s, &auth, json!({})).await, 300); // count cached too
    // Another process (here: another store handle) generates a new population into the file.
    let other = fjellport_store::open(&db).await.unwrap();
    fjellport::population::generate_into(
        other.as_ref(),
        200,
        99,
        crate::support::instant(BEFORE_SUNSET),
        false,
        None,
        &|_| {},
    )
    .await
    .unwrap();
    let mut gone = false;
    for _ in 0..30 {
        let res = call(&s, &auth, Method::GET, &path).send().await.unwrap();
        if res.status() == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the cached person is gone within 3 s");
    assert_eq!(count(&s, &auth, json!({})).await, 200);
    s.stop().await;
}

/// A server on a file database of 4,000 Test-Norge persons (so a test can change them from
/// outside), with a 0.2 key: the directory (keep it alive), the URL, the server, the key.
async fn served_population() -> (tempfile::TempDir, String, TestServer, String) {
    let (dir, db) = temp_db("p.db");
    let s = TestServer::start(fjellport::config::Config {
        persons: 4000,
        ..config(&db, BEFORE_SUNSET)
    })
    .await;
    let (_, key) = s.other_key("syntpop").await;
    (dir, db, s, key)
}

#[tokio::test]
async fn the_event_feed_tells_what_life_did_to_test_norge_persons() {
    let (_dir, db, s, key) = served_population().await;
    let auth = Auth::V02(&key);
    problem(call(&s, &auth, Method::GET, "/events/latest").send().await.unwrap(), 404).await;
    // The older persons read (and so kept, as this view shows them) before life goes on: the
    // ones who die must then read as deceased.
    const STATUS: &str = "informationParts=Status&informationParts=Death";
    let mut read_before = std::collections::BTreeSet::new();
    let mut cursor = Value::Null;
    loop {
        let mut body = json!({"birthDateTo": "1955-12-31", "limit": 1000, "fields": "ids"});
        if !cursor.is_null() {
            body["cursor"] = cursor.clone();
        }
        let page = ok(search(&s, &auth, body)).await;
        for r in page["results"].as_array().unwrap() {
            let id = r["id"].as_str().unwrap();
            ok(call(&s, &auth, Method::GET, &format!("/persons/{id}?{STATUS}"))).await;
            read_before.insert(id.to_owned());
        }
        cursor = page["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    let store = fjellport_store::open(&db).await.unwrap();
    let day = crate::support::instant(BEFORE_SUNSET).date_naive();
    let summary = fjellport::advance::advance(store.as_ref(), 120, day, None).await.unwrap();
    assert!(summary.counts.births > 0 && summary.counts.deaths > 0, "{summary:?}");
    let all = ok(call(&s, &auth, Method::GET, "/events?sequenceNumber=1")).await;
    let events = all["results"].as_array().unwrap();
    assert_eq!(events.len() as u64, summary.events);
    let seqs: Vec<i64> =
        events.iter().map(|e| e["sequenceNumber"].as_str().unwrap().parse().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    let latest = ok(call(&s, &auth, Method::GET, "/events/latest")).await;
    assert_eq!(&latest, events.last().unwrap());
    // From a sequence number on, and by type.
    let from = seqs[seqs.len() / 2];
    let tail = ok(call(&s, &auth, Method::GET, &format!("/events?sequenceNumber={from}"))).await;
    assert_eq!(tail["results"].as_array().unwrap().len(), seqs.len() - seqs.len() / 2);
    let births = ok(call(&s, &auth, Method::GET, "/events?eventTypes=PersonIsCreated")).await;
    let births = births["results"].as_array().unwrap();
    assert_eq!(births.len() as u32, summary.counts.births);
    // A newborn is linked to its mother on both sides, and born on the population's day.
    for b in births {
        let child = ok(call(
            &s,
            &auth,
            Method::GET,
            &format!("/persons/{}?informationParts=All", b["personId"].as_str().unwrap()),
        ))
        .await;
        let mother = child["familyRelation"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["relatedPersonsRole"] == "Mother")
            .unwrap();
        let mother_nin = mother["relatedPerson"].as_str().unwrap();
        let m = ok(form(
            call(&s, &auth, Method::POST, "/persons/get-by-nin?informationParts=FamilyRelation"),
            &[("nin", mother_nin)],
        ))
        .await;
        assert!(
            m["familyRelation"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["relatedPerson"] == b["nin"] && r["relatedPersonsRole"] == "Child")
        );
        assert!(child["birth"][0]["birthDate"].as_str().unwrap() > "2026-09-01");
    }
    // The deceased are deceased, off their GP's list, and a spouse they left is widowed.
    let deaths = ok(call(&s, &auth, Method::GET, "/events?eventTypes=PersonIsDeceased")).await;
    let mut died_after_read = 0;
    for d in deaths["results"].as_array().unwrap() {
        let nin = d["nin"].as_str().unwrap();
        let id = d["personId"].as_str().unwrap();
        if read_before.contains(id) {
            // A change made by another process shows within 2 s (the cache looks once a second).
            died_after_read += 1;
            let mut p = Value::Null;
            for _ in 0..30 {
                p = ok(call(&s, &auth, Method::GET, &format!("/persons/{id}?{STATUS}"))).await;
                if p["status"][0]["status"] == "Deceased" {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert_eq!(p["status"][0]["status"], "Deceased", "not the kept answer: {p}");
        }
        let p = ok(form(
            call(
                &s,
                &auth,
                Method::POST,
                "/persons/get-by-nin?informationParts=Status&informationParts=Death",
            ),
            &[("nin", nin)],
        ))
        .await;
        assert_eq!(p["status"][0]["status"], "Deceased");
        assert!(p["death"]["deceasedDate"].is_string());
        let gp = ok(form(call(&s, &auth, Method::POST, "/flr/patient"), &[("nin", nin)])).await;
        assert_eq!(gp["gpHprNr"], json!([]));
    }
    assert!(died_after_read > 0, "some of the older persons read before died");
    assert!(count(&s, &auth, json!({"isDeceased": true})).await > 0);
    // A name change keeps the old name in the history.
    let renamed = ok(call(&s, &auth, Method::GET, "/events?eventTypes=ChangeInName")).await;
    let renamed = renamed["results"].as_array().unwrap();
    assert!(!renamed.is_empty(), "{summary:?}");
    let id = renamed[0]["personId"].as_str().unwrap();
    let p = ok(call(
        &s,
        &auth,
        Method::GET,
        &format!("/persons/{id}?informationParts=Name&includeHistory=true"),
    ))
    .await;
    let names = p["name"].as_array().unwrap();
    assert!(names.len() >= 2 && names[0]["isValid"] == false, "{p}");
    let bad = problem(
        call(&s, &auth, Method::GET, "/events?eventTypes=Haircut").send().await.unwrap(),
        400,
    )
    .await;
    assert_eq!(bad["member"], "eventTypes");
    problem(call(&s, &auth, Method::GET, "/events?sequenceNumber=0").send().await.unwrap(), 400)
        .await;
    s.stop().await;
}

#[tokio::test]
async fn serve_with_simulate_events_catches_the_population_up_with_the_clock() {
    let (_dir, db) = temp_db("sim.db");
    // Generated on 1 September; the server's clock says 31 October.
    let store = fjellport_store::open(&db).await.unwrap();
    fjellport::population::generate_into(
        store.as_ref(),
        3000,
        4,
        crate::support::instant(BEFORE_SUNSET),
        false,
        None,
        &|_| {},
    )
    .await
    .unwrap();
    store.close().await;
    let mut cfg = fjellport::config::Config {
        persons: 3000,
        simulate_events: true,
        ..config(&db, "2026-10-31T12:00:00Z")
    };
    cfg.apis.syntpop.enforce_sunset = false; // the clock is past 0.x's sunset
    let s = TestServer::start(cfg).await;
    let (_, key) = s.key(json!({"api": "syntpop", "type": "other"})).await;
    let mut latest = None;
    // Generous: under a loaded test run the first simulated days can take seconds.
    for _ in 0..300 {
        let res = s
            .get("/syntpop/api/events/latest")
            .header("X-api-key", &key)
            .header("X-api-version", "0.2")
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            latest = Some(res.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(latest.is_some(), "events appear soon after start");
    let store = fjellport_store::open(&db).await.unwrap();
    for _ in 0..300 {
        if fjellport::advance::population_day(store.as_ref()).await.unwrap().map(|d| d.to_string())
            == Some("2026-10-31".into())
        {
            s.stop().await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the population's day did not reach the clock's");
}

/// Search pages of Test-Norge persons are cached, so a change to the population must reach
/// them: after life events, the same search shows the new dead (within the second a server
/// takes to notice), and a fresh reservation shows at once.
#[tokio::test]
async fn search_pages_follow_population_changes_and_new_reservations() {
    let (_dir, db, s, key) = served_population().await;
    let auth = Auth::V02(&key);
    let dead = || async {
        let page = ok(call(&s, &auth, Method::POST, "/search")
            .json(&json!({"isDeceased": true, "fields": "ids", "limit": 1000})))
        .await;
        let ids: Vec<String> = page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        (page["totalCount"].as_i64().unwrap(), ids)
    };
    let before = dead().await;
    assert_eq!(dead().await, before, "the same search, the same page");
    let store = fjellport_store::open(&db).await.unwrap();
    let day = crate::support::instant(BEFORE_SUNSET).date_naive();
    let summary = fjellport::advance::advance(store.as_ref(), 120, day, None).await.unwrap();
    assert!(summary.counts.deaths > 0, "{summary:?}");
    // Seen within 2 s (the server follows the change log; a look in the middle of the advance
    // sees some of its days first).
    let mut after = dead().await;
    for _ in 0..40 {
        if after.0 == before.0 + i64::from(summary.counts.deaths) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = dead().await;
    }
    assert_eq!(after.0, before.0 + i64::from(summary.counts.deaths), "the count moved");
    assert_eq!(after.1.len(), after.0 as usize, "the page holds every dead person");
    assert!(before.1.iter().all(|id| after.1.contains(id)));

    // A reservation is the caller's own and never cached: its death is in the next page at
    // once, in load order after every Test-Norge person.
    let (id, _) = reserve(&s, &auth, json!({"gender": "Male"})).await;
    ok(patch(&s, &auth, &id, json!({"death": {"deceasedDate": "2026-08-01"}}))).await;
    let now = dead().await;
    assert_eq!(now.0, after.0 + 1);
    assert_eq!(now.1.last(), Some(&id));
    s.stop().await;
}
