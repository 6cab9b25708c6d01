//! The store's behaviour, asserted identically on every backend available.

use std::sync::Arc;

mod login;
mod messages;

use chrono::{DateTime, TimeZone, Utc};
use fjellport_store::{Backend, PersonRow, Store, StoreError, StoredKey, open, testing};

/// Every backend this machine can run: SQLite file and memory, and PostgreSQL when configured.
pub(crate) async fn backends() -> Vec<(String, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.db");
    out.push(("sqlite-file".into(), open(file.to_str().unwrap()).await.unwrap(), Some(dir)));
    out.push(("sqlite-memory".into(), open("sqlite::memory:").await.unwrap(), None));
    if let Some(url) = testing::fresh_postgres_url().await {
        out.push(("postgres".into(), open(&url).await.unwrap(), None));
    }
    out
}

pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

fn key(id: &str, hash: &str) -> StoredKey {
    StoredKey {
        id: id.into(),
        api: "syntpop".into(),
        app_type: "browser".into(),
        secret_hash: hash.into(),
        secret_hint: "fjp_abcd".into(),
        origins: vec!["https://app.example.test".into(), "http://localhost:3000".into()],
        owner: "team-a".into(),
        rate_limit: Some(50),
        created_at: at(1_800_000_000),
        expires_at: Some(at(1_900_000_000)),
        revoked_at: None,
        last_used_at: None,
    }
}

#[tokio::test]
async fn a_keys_last_use_only_moves_forward_and_is_not_a_change() {
    for (name, store, _dir) in backends().await {
        store.insert_key(&key("key_u", "hash_u")).await.unwrap();
        let revision = store.keys_revision().await.unwrap();
        store.note_key_uses(&[("key_u".into(), at(1_800_000_100))]).await.unwrap();
        store.note_key_uses(&[("key_u".into(), at(1_800_000_050))]).await.unwrap();
        store.note_key_uses(&[("key_missing".into(), at(1_800_000_200))]).await.unwrap();
        let got = store.get_key("key_u").await.unwrap();
        assert_eq!(got.last_used_at, Some(at(1_800_000_100)), "{name}: an earlier use is ignored");
        assert_eq!(store.keys_revision().await.unwrap(), revision, "{name}: no reload for a use");
    }
}

#[tokio::test]
async fn keys_round_trip_and_bump_the_revision() {
    for (name, store, _dir) in backends().await {
        let r0 = store.keys_revision().await.unwrap();
        let k = key("key_1", "hash1");
        store.insert_key(&k).await.unwrap();
        assert_eq!(store.get_key("key_1").await.unwrap(), k, "{name}");
        let r1 = store.keys_revision().await.unwrap();
        assert!(r1 > r0, "{name}: revision must grow on insert");

        let mut other = key("key_2", "hash2");
        other.app_type = "other".into();
        other.origins.clear();
        other.rate_limit = None;
        other.expires_at = None;
        other.created_at = at(1_800_000_001);
        store.insert_key(&other).await.unwrap();
        let all = store.list_keys().await.unwrap();
        assert_eq!(all, vec![k.clone(), other], "{name}: list in creation order");
    }
}

#[tokio::test]
async fn revoking_is_recorded_once_and_bumps_the_revision() {
    for (name, store, _dir) in backends().await {
        store.insert_key(&key("key_r", "hash_r")).await.unwrap();
        let before = store.keys_revision().await.unwrap();
        let revoked = store.revoke_key("key_r", at(1_850_000_000)).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(at(1_850_000_000)), "{name}");
        assert!(!revoked.is_active(at(1_850_000_001)));
        assert!(store.keys_revision().await.unwrap() > before, "{name}");
        let again = store.revoke_key("key_r", at(1_860_000_000)).await.unwrap();
        assert_eq!(again.revoked_at, Some(at(1_850_000_000)), "{name}: first instant kept");
    }
}

#[tokio::test]
async fn missing_and_duplicate_keys_are_reported_as_such() {
    for (name, store, _dir) in backends().await {
        assert!(matches!(store.get_key("nope").await, Err(StoreError::NotFound { .. })), "{name}");
        assert!(
            matches!(store.revoke_key("nope", at(0)).await, Err(StoreError::NotFound { .. })),
            "{name}"
        );
        store.insert_key(&key("key_d", "hash_d")).await.unwrap();
        let before = store.keys_revision().await.unwrap();
        let dup = store.insert_key(&key("key_e", "hash_d")).await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{name}: {dup:?}");
        assert_eq!(store.keys_revision().await.unwrap(), before, "{name}: no partial write");
        assert_eq!(store.list_keys().await.unwrap().len(), 1, "{name}");
    }
}

#[tokio::test]
async fn settings_keep_the_first_value() {
    for (name, store, _dir) in backends().await {
        assert_eq!(store.get_setting("admin").await.unwrap(), None, "{name}");
        assert_eq!(store.put_setting_if_absent("admin", "a").await.unwrap(), "a");
        assert_eq!(store.put_setting_if_absent("admin", "b").await.unwrap(), "a");
        assert_eq!(store.get_setting("admin").await.unwrap().as_deref(), Some("a"));
        store.set_setting("admin", "c").await.unwrap();
        store.set_setting("fresh", "d").await.unwrap();
        assert_eq!(store.get_setting("admin").await.unwrap().as_deref(), Some("c"), "{name}");
        assert_eq!(store.get_setting("fresh").await.unwrap().as_deref(), Some("d"), "{name}");
        store.ping().await.unwrap();
    }
}

#[tokio::test]
async fn a_sqlite_file_keeps_its_data_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keep.db");
    let url = format!("sqlite:{}", path.display());
    {
        let store = open(&url).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        store.insert_key(&key("key_k", "hash_k")).await.unwrap();
        store.close().await;
    }
    let store = open(&url).await.unwrap();
    assert_eq!(store.get_key("key_k").await.unwrap().owner, "team-a");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let err = open(path.to_str().unwrap()).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
}

#[tokio::test]
async fn a_database_newer_than_the_binary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let url = format!("sqlite:{}", path.display());
    open(&url).await.unwrap().close().await;
    // Pretend a newer fjellport applied migration 999.
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (999, 'future', 1, x'00', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let err = open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::SchemaTooNew { found: 999, .. }), "{err:?}");
    assert!(err.to_string().contains("newer than this fjellport binary"));
}

#[tokio::test]
async fn unusable_urls_fail_with_a_reason() {
    let err = open("mysql://localhost/db").await.unwrap_err();
    assert!(err.is_usage(), "{err:?}");
    let err = open("postgres://nobody:secret@127.0.0.1:1/none").await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("secret"), "password leaked: {err}");
    let err = open("/nonexistent-dir/sub/x.db").await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

pub(crate) fn client(id: &str) -> fjellport_store::StoredClient {
    fjellport_store::StoredClient {
        client_id: id.into(),
        issuer: "helseid".into(),
        name: "Test client".into(),
        jwks: r#"{"keys":[]}"#.into(),
        scopes: vec!["nhntsd:syntpop-api/full-access".into()],
        orgnr_parent: Some("999888777".into()),
        orgnr_child: None,
        dpop_bound: true,
        multi_tenant: false,
        delegations: Vec::new(),
        redirect_uris: Vec::new(),
        created_at: at(1_800_000_000),
        revoked_at: None,
    }
}

#[tokio::test]
async fn clients_round_trip_and_duplicates_conflict() {
    for (name, store, _dir) in backends().await {
        let c = client("cl_1");
        store.insert_client(&c).await.unwrap();
        assert_eq!(store.get_client("cl_1").await.unwrap(), c, "{name}");
        let multi = fjellport_store::StoredClient {
            multi_tenant: true,
            delegations: vec!["983544622".into(), "313231593".into()],
            ..client("cl_m")
        };
        store.insert_client(&multi).await.unwrap();
        assert_eq!(store.get_client("cl_m").await.unwrap(), multi, "{name}");
        assert_eq!(store.list_clients().await.unwrap(), vec![c.clone(), multi.clone()], "{name}");
        assert!(matches!(store.insert_client(&c).await, Err(StoreError::Conflict(_))), "{name}");
        assert!(matches!(store.get_client("nope").await, Err(StoreError::NotFound { .. })));
    }
}

#[tokio::test]
async fn a_revoked_client_keeps_its_first_revocation_time() {
    for (name, store, _dir) in backends().await {
        store.insert_client(&client("cl_1")).await.unwrap();
        store.insert_client(&client("cl_2")).await.unwrap();
        let revoked = store.revoke_client("cl_1", at(1_800_000_100)).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(at(1_800_000_100)), "{name}");
        let again = store.revoke_client("cl_1", at(1_800_000_200)).await.unwrap();
        assert_eq!(again.revoked_at, Some(at(1_800_000_100)), "{name}: the first time stays");
        assert_eq!(store.get_client("cl_2").await.unwrap().revoked_at, None, "{name}");
        let missing = store.revoke_client("nope", at(1_800_000_100)).await;
        assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{name}");
    }
}

pub(crate) fn person(n: usize, origin: &str) -> fjellport_store::PersonRow {
    fjellport_store::PersonRow {
        id: format!("id{n}"),
        nin: format!("{n:011}"),
        origin: origin.into(),
        owner: (origin == "Reserved").then(|| "team".into()),
        given_name: "Vakker".into(),
        family_name: "Blomst".into(),
        birth_date: "1980-01-01".into(),
        gender: "Female".into(),
        status: "Resident".into(),
        municipality: Some("0301".into()),
        postal_code: Some("0150".into()),
        nin_type: "NationalIdentityNumber".into(),
        marital_status: "Unmarried".into(),
        citizenship: Some("NOR".into()),
        confidentiality: Some("Unclassified".into()),
        has_spouse: false,
        children: (n % 3) as i64,
        has_parents: n.is_multiple_of(2),
        hpr_number: None,
        hpr_doc: None,
        is_gp: false,
        gp_hpr: None,
        gp_since: None,
        doc: format!("{{\"id\":\"id{n}\"}}"),
    }
}

#[tokio::test]
async fn persons_are_replaced_whole_keep_reserved_ones_and_export_in_order() {
    for (name, store, _dir) in backends().await {
        testing::replace_persons(store.as_ref(), "Reserved", &[person(1, "Reserved")])
            .await
            .unwrap();
        let generated: Vec<_> = (10..1010).map(|n| person(n, "TestNorge")).collect();
        testing::replace_persons(store.as_ref(), "TestNorge", &generated).await.unwrap();
        assert_eq!(store.person_count(None).await.unwrap(), 1001, "{name}");
        assert_eq!(store.person_count(Some("TestNorge")).await.unwrap(), 1000, "{name}");
        let again: Vec<_> = (2000..2500).map(|n| person(n, "TestNorge")).collect();
        testing::replace_persons(store.as_ref(), "TestNorge", &again).await.unwrap();
        assert_eq!(store.person_count(Some("Reserved")).await.unwrap(), 1, "{name}: reserved kept");
        let mut docs = Vec::new();
        let n = store
            .export_persons(&mut |d| {
                docs.push(d.to_owned());
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(n, 501, "{name}");
        assert_eq!(docs[0], "{\"id\":\"id1\"}", "{name}: load order");
        assert_eq!(docs[1], "{\"id\":\"id2000\"}", "{name}");
        // A failing load changes nothing (duplicate numbers inside one batch).
        let broken = vec![person(7, "TestNorge"), person(7, "TestNorge")];
        assert!(
            testing::replace_persons(store.as_ref(), "TestNorge", &broken).await.is_err(),
            "{name}"
        );
        assert_eq!(
            store.person_count(Some("TestNorge")).await.unwrap(),
            500,
            "{name}: all or nothing"
        );
    }
}

#[tokio::test]
async fn a_bulk_load_rebuilds_the_search_indexes_and_a_dropped_load_changes_nothing() {
    use fjellport_store::Backend;
    for (name, store, dir) in backends().await {
        let mut load = store.load_persons("TestNorge").await.unwrap();
        load.add((1..=50).map(|n| person(n, "TestNorge")).collect()).await.unwrap();
        load.set_setting("population_day", "2026-09-01").await.unwrap();
        if name != "sqlite-memory" {
            // (An in-memory database has one connection, and the load holds it.)
            let seen = store.get_setting("population_day").await.unwrap();
            assert_eq!(seen, None, "{name}: not before the persons");
        }
        load.commit().await.unwrap();
        let day = store.get_setting("population_day").await.unwrap();
        assert_eq!(day.as_deref(), Some("2026-09-01"), "{name}: with the persons");
        // A load that is dropped before commit leaves persons, settings and indexes as they were.
        {
            let mut load = store.load_persons("TestNorge").await.unwrap();
            load.add(vec![person(999, "TestNorge")]).await.unwrap();
            load.set_setting("population_day", "2030-01-01").await.unwrap();
        }
        assert_eq!(store.person_count(Some("TestNorge")).await.unwrap(), 50, "{name}");
        let day = store.get_setting("population_day").await.unwrap();
        assert_eq!(day.as_deref(), Some("2026-09-01"), "{name}: the dropped load's day is gone");
        // The indexes exist again (checked in the catalog of a file database or PostgreSQL).
        if store.backend() == Backend::Sqlite
            && let Some(dir) = &dir
        {
            use sqlx::Connection;
            let url = format!("sqlite:{}", dir.path().join("t.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' AND sql IS NOT NULL",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(n, 13, "{name}: the thirteen search indexes");
        }
    }
}

#[tokio::test]
async fn the_shared_replay_record_lets_each_key_through_once_until_it_expires() {
    for (name, store, _dir) in backends().await {
        assert!(store.first_use("k1", 160, 100).await.unwrap(), "{name}");
        assert!(!store.first_use("k1", 170, 110).await.unwrap(), "{name}: replay");
        assert!(store.first_use("k2", 160, 110).await.unwrap(), "{name}");
        assert!(store.first_use("k1", 260, 200).await.unwrap(), "{name}: expired, usable again");
        assert!(!store.first_use("k1", 270, 210).await.unwrap(), "{name}");
        assert_eq!(store.prune_replay(205).await.unwrap(), 1, "{name}: k2 expired, k1 not yet");
    }
}

#[tokio::test]
async fn rate_windows_count_each_callers_requests_per_second_and_are_forgotten() {
    for (name, store, _dir) in backends().await {
        for expected in 1..=3 {
            assert_eq!(store.count_requests("syntpop/key:a", 1000, 1).await.unwrap(), expected);
        }
        assert_eq!(store.count_requests("syntpop/key:b", 1000, 1).await.unwrap(), 1, "{name}");
        assert_eq!(store.count_requests("syntpop/key:a", 1001, 1).await.unwrap(), 1, "{name}");
        assert_eq!(store.prune_rate_windows(1001).await.unwrap(), 2, "{name}: second 1000's");
        assert_eq!(store.count_requests("syntpop/key:a", 1001, 1).await.unwrap(), 2, "{name}");
    }
}

#[tokio::test]
async fn searches_filter_page_by_keyset_and_shuffle_reproducibly() {
    use fjellport_store::{PersonFilter, PersonPage, shuffle_rank};
    for (name, store, _dir) in backends().await {
        let rows: Vec<_> = (1..=30).map(|n| person(n, "TestNorge")).collect();
        testing::replace_persons(store.as_ref(), "TestNorge", &rows).await.unwrap();
        let mut mine = person(100, "Reserved");
        mine.owner = Some("team".into());
        let mut theirs = person(101, "Reserved");
        theirs.owner = Some("other".into());
        store.insert_reserved("team", vec![mine], 1).await.unwrap();
        store.insert_reserved("other", vec![theirs], 1).await.unwrap();
        let team = PersonFilter { visible_to: Some("team".into()), ..Default::default() };
        assert_eq!(store.count_persons(&team).await.unwrap(), 31, "{name}: not the other's");
        let two_kids = PersonFilter { children_from: Some(2), ..team.clone() };
        // n % 3 == 2 for n in 1..=30 (10 persons) plus none of the reserved (100 % 3 == 1).
        assert_eq!(store.count_persons(&two_kids).await.unwrap(), 10, "{name}");
        // Keyset pages of 7 cover the 31 exactly once, in load order.
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = PersonPage { filter: team.clone(), after, limit: 7, ..Default::default() };
            let got = store.search_persons(&page).await.unwrap().hits;
            if got.is_empty() {
                break;
            }
            after = got.last().map(|(rank, p)| (*rank, p.seq));
            seen.extend(got.into_iter().map(|(_, p)| p.seq));
        }
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(seen, sorted, "{name}");
        assert_eq!(seen.len(), 31, "{name}");
        // A seeded shuffle: same seed, same order; ranks are what shuffle_rank says.
        let shuffled = |seed| PersonPage {
            filter: team.clone(),
            limit: 100,
            shuffle_seed: Some(seed),
            ..Default::default()
        };
        let a = store.search_persons(&shuffled(42)).await.unwrap().hits;
        let b = store.search_persons(&shuffled(42)).await.unwrap().hits;
        let c = store.search_persons(&shuffled(43)).await.unwrap().hits;
        assert_eq!(a, b, "{name}");
        assert_ne!(a, c, "{name}");
        assert!(a.iter().all(|(rank, p)| *rank == shuffle_rank(p.seq, 42)), "{name}");
        assert!(a.windows(2).all(|w| w[0].0 <= w[1].0), "{name}");
    }
}

#[tokio::test]
async fn reserved_numbers_are_never_reused_and_edits_check_the_version() {
    use fjellport_store::{PersonKey, PersonKeys};
    for (name, store, _dir) in backends().await {
        let mut p = person(7, "Reserved");
        p.owner = Some("team".into());
        store.insert_reserved("team", vec![p.clone()], 1).await.unwrap();
        let again = store.insert_reserved("team", vec![p.clone()], 2).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{name}");
        let stored = store.person(PersonKey::Nin(&p.nin)).await.unwrap().unwrap();
        assert_eq!(stored.version, 1, "{name}");
        let mut edited = stored.row.clone();
        edited.given_name = "Ny".into();
        store.update_persons(vec![(edited.clone(), 1)]).await.unwrap();
        let stale = store.update_persons(vec![(edited, 1)]).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{name}: stale version");
        let now = store.person(PersonKey::Id(&p.id)).await.unwrap().unwrap();
        assert_eq!((now.version, now.row.given_name.as_str()), (2, "Ny"), "{name}");
        assert!(!store.delete_person(&p.id, "someone-else", vec![]).await.unwrap(), "{name}");
        assert!(store.delete_person(&p.id, "team", vec![]).await.unwrap(), "{name}");
        let found = store.persons(PersonKeys::Ids(std::slice::from_ref(&p.id))).await.unwrap();
        assert!(found.is_empty(), "{name}");
        // Released, the number stays taken.
        assert_eq!(
            store.taken_nins(std::slice::from_ref(&p.nin)).await.unwrap(),
            vec![p.nin.clone()]
        );
        let reuse = store.insert_reserved("team", vec![p.clone()], 3).await;
        assert!(matches!(reuse, Err(StoreError::Conflict(_))), "{name}: never reissued");
    }
}

#[tokio::test]
async fn persons_stored_before_the_search_facts_get_them_at_the_next_open() {
    use fjellport_store::{PersonFilter, PersonRow};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.db");
    let url = file.to_str().unwrap().to_owned();
    let persons = fjellport_population::generate(&fjellport_population::Options {
        seed: 3,
        persons: 300,
        today: fjellport_nin::Date { year: 2026, month: 9, day: 1 },
        addresses: None,
    })
    .unwrap();
    let truth: Vec<PersonRow> =
        persons.iter().map(|p| PersonRow::of(p, "TestNorge", None)).collect();
    let married = truth.iter().filter(|r| r.marital_status == "Married").count() as i64;
    assert!(married > 0);
    {
        // As a database from before migration 5 looks: documents, but default facts.
        let store = open(&url).await.unwrap();
        let blank: Vec<PersonRow> = truth
            .iter()
            .map(|r| PersonRow {
                marital_status: "Unspecified".into(),
                has_spouse: false,
                children: 0,
                has_parents: false,
                citizenship: None,
                ..r.clone()
            })
            .collect();
        testing::replace_persons(store.as_ref(), "TestNorge", &blank).await.unwrap();
        store.set_setting("persons_reindex", "1").await.unwrap();
        store.close().await;
    }
    let store = open(&url).await.unwrap();
    let filter = PersonFilter { marital_statuses: vec!["Married".into()], ..Default::default() };
    assert_eq!(store.count_persons(&filter).await.unwrap(), married);
    let with_spouse = truth.iter().filter(|r| r.has_spouse).count() as i64;
    let filter = PersonFilter { has_spouse: Some(true), ..Default::default() };
    assert_eq!(store.count_persons(&filter).await.unwrap(), with_spouse);
    assert_eq!(store.get_setting("persons_reindex").await.unwrap(), None, "done once");
}

#[tokio::test]
async fn every_person_column_is_written_and_read_back_by_its_own_name() {
    // Every member set to a value no other member has: a column read under another's name, or
    // written in another's place, shows up as a difference.
    let full = PersonRow {
        id: "id-full".into(),
        nin: "01010012345".into(),
        origin: "Reserved".into(),
        owner: Some("owner-x".into()),
        given_name: "Given".into(),
        family_name: "Family".into(),
        birth_date: "1970-02-03".into(),
        gender: "Male".into(),
        status: "Emigrated".into(),
        municipality: Some("4601".into()),
        postal_code: Some("5003".into()),
        nin_type: "DNumber".into(),
        marital_status: "Divorced".into(),
        citizenship: Some("SWE".into()),
        confidentiality: Some("Confidential".into()),
        has_spouse: true,
        children: 7,
        has_parents: true,
        hpr_number: Some("9144899".into()),
        hpr_doc: Some("{\"hprNumber\":\"9144899\"}".into()),
        is_gp: true,
        gp_hpr: Some("9144900".into()),
        gp_since: Some("2020-01-01".into()),
        doc: "{\"id\":\"id-full\",\"note\":\"æøå \\\"quoted\\\", comma\"}".into(),
    };
    for (name, store, _dir) in backends().await {
        // Through the bulk path (COPY on PostgreSQL) and the single insert of a reservation.
        testing::replace_persons(
            store.as_ref(),
            "TestNorge",
            &[PersonRow { origin: "TestNorge".into(), owner: None, ..full.clone() }],
        )
        .await
        .unwrap();
        let mine = PersonRow {
            id: "id-mine".into(),
            nin: "01010054321".into(),
            hpr_number: Some("9144901".into()),
            ..full.clone()
        };
        store.insert_reserved("owner-x", vec![mine.clone()], 0).await.unwrap();
        let read = store.person(fjellport_store::PersonKey::Id("id-full")).await.unwrap().unwrap();
        assert_eq!(
            read.row,
            PersonRow { origin: "TestNorge".into(), owner: None, ..full.clone() },
            "{name}"
        );
        assert_eq!(read.version, 1, "{name}");
        let read = store.person(fjellport_store::PersonKey::Id("id-mine")).await.unwrap().unwrap();
        assert_eq!(read.row, mine, "{name}");
    }
}

#[tokio::test]
async fn roles_are_found_by_person_and_organizations_by_number() {
    use fjellport_store::OrganizationRow;
    for (name, store, _dir) in backends().await {
        let org = |orgnr: &str, roles: &[(&str, &str)]| OrganizationRow {
            orgnr: orgnr.into(),
            name: format!("Org {orgnr}"),
            form: "AS".into(),
            industry: "62.010".into(),
            municipality: "0301".into(),
            roles: roles.iter().map(|(n, r)| ((*n).into(), (*r).into())).collect(),
            doc: "{}".into(),
        };
        let mut load = store.load_persons("TestNorge").await.unwrap();
        load.add(vec![person(1, "TestNorge")]).await.unwrap();
        load.add_organizations(vec![
            org("311111111", &[("00000000001", "DAGL"), ("00000000001", "LEDE")]),
            org("322222222", &[("00000000001", "MEDL"), ("00000000002", "DAGL")]),
        ])
        .await
        .unwrap();
        load.commit().await.unwrap();
        let held = store.roles_of("00000000001").await.unwrap();
        let seen: Vec<(&str, &str)> =
            held.iter().map(|h| (h.organization.orgnr.as_str(), h.role.as_str())).collect();
        assert_eq!(
            seen,
            [("311111111", "DAGL"), ("311111111", "LEDE"), ("322222222", "MEDL")],
            "{name}"
        );
        assert_eq!(held[0].organization.name, "Org 311111111", "{name}");
        assert!(store.roles_of("00000000009").await.unwrap().is_empty(), "{name}");
        let o = store.organization("322222222").await.unwrap().unwrap();
        assert_eq!((o.name.as_str(), o.form.as_str()), ("Org 322222222", "AS"), "{name}");
        assert_eq!((held[0].organization.seq, o.seq), (1, 2), "{name}: load order");
        assert_eq!(store.organization("399999999").await.unwrap(), None, "{name}");
        assert_eq!(store.organization_doc("322222222").await.unwrap().as_deref(), Some("{}"));
        assert_eq!(store.organization_doc("399999999").await.unwrap(), None, "{name}");
        let holders = store.role_holders("322222222").await.unwrap();
        let want =
            [("00000000001".to_owned(), "MEDL".to_owned()), ("00000000002".into(), "DAGL".into())];
        assert_eq!(holders, want, "{name}");
    }
}
