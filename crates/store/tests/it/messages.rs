//! Altinn's message box in the store: messages numbered by the database, pages with
//! conditions, status changes that only apply from the expected status, and an event for
//! every change, on every backend.

use fjellport_store::{
    Comparison, MessageField, MessageQuery, MessageValue, OwnerMessageQuery, StoredMessage,
    StoredSystem,
};

use crate::backends;

fn message(reportee: &str, service: &str, owner: (&str, &str), at: i64) -> StoredMessage {
    StoredMessage {
        seq: 0,
        kind: "Correspondence".into(),
        reportee: reportee.into(),
        service_owner: owner.0.into(),
        service_owner_name: owner.1.into(),
        service_code: service.into(),
        service_edition: 1,
        subject: format!("Melding {at}"),
        status: "Ulest".into(),
        created_at: at,
        last_changed_at: at,
        last_changed_by: owner.1.into(),
        confirmation_needed: false,
        confirmed_at: None,
        doc: "{\"Body\":\"<p>Hei</p>\"}".into(),
        senders_reference: None,
        visible_at: None,
    }
}

const SKD: (&str, &str) = ("SKD", "Skatteetaten");
const NAV: (&str, &str) = ("NAV", "Arbeids- og velferdsetaten");

#[tokio::test]
async fn messages_are_numbered_paged_filtered_changed_and_reported() {
    for (name, store, _dir) in backends().await {
        let mut seqs = Vec::new();
        for (i, (service, owner)) in
            [("5528", SKD), ("5252", NAV), ("5528", SKD), ("5528", SKD)].into_iter().enumerate()
        {
            let m = message("974760673", service, owner, 100 + i as i64);
            let stored = store.insert_message(&m, Some("CorrespondenceCreated")).await.unwrap();
            assert_eq!(StoredMessage { seq: 0, ..stored.clone() }, m, "{name}");
            seqs.push(stored.seq);
        }
        let other = message("01010112345", "5528", SKD, 1);
        store.insert_message(&other, Some("CorrespondenceCreated")).await.unwrap();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{name}: {seqs:?}");
        let page = |q: MessageQuery| {
            let store = store.clone();
            async move {
                let found = store.messages(&q).await.unwrap();
                found.into_iter().map(|m| m.seq).collect::<Vec<i64>>()
            }
        };
        let all = MessageQuery { reportee: "974760673".into(), limit: 50, ..Default::default() };
        let newest_first: Vec<i64> = seqs.iter().rev().copied().collect();
        assert_eq!(page(all.clone()).await, newest_first, "{name}");
        let paged = MessageQuery { skip: 1, limit: 2, ..all.clone() };
        assert_eq!(page(paged).await, newest_first[1..3], "{name}");
        let skd = MessageQuery {
            conditions: vec![
                (
                    MessageField::ServiceOwner,
                    Comparison::Eq,
                    MessageValue::Text("Skatteetaten".into()),
                ),
                (MessageField::Created, Comparison::Gt, MessageValue::Int(100)),
            ],
            ..all.clone()
        };
        assert_eq!(page(skd).await, [seqs[3], seqs[2]], "{name}");
        let nav_only = MessageQuery { service_codes: Some(vec!["5252".into()]), ..all.clone() };
        assert_eq!(page(nav_only).await, [seqs[1]], "{name}");
        let none = MessageQuery { service_codes: Some(Vec::new()), ..all.clone() };
        assert!(page(none).await.is_empty(), "{name}");

        let before = store.messages_revision().await.unwrap();
        // Read once; deleting takes it to the trash; a change from the wrong status is none.
        let read =
            store.change_message(seqs[0], &["Ulest"], "Lest", "Kari", "CorrespondenceRead", 200);
        assert_eq!(read.await.unwrap().unwrap().status, "Lest", "{name}");
        let again =
            store.change_message(seqs[0], &["Ulest"], "Lest", "Kari", "CorrespondenceRead", 201);
        assert!(again.await.unwrap().is_none(), "{name}: read already");
        let deleted = store.change_message(
            seqs[0],
            &["Ulest", "Lest"],
            "Slettet",
            "Kari",
            "CorrespondenceDeleted",
            202,
        );
        assert_eq!(deleted.await.unwrap().unwrap().last_changed_at, 202, "{name}");
        assert_eq!(
            store.messages_revision().await.unwrap(),
            before + 2,
            "{name}: each change counts"
        );
        let trash = MessageQuery { trashed: true, ..all.clone() };
        assert_eq!(page(trash).await, [seqs[0]], "{name}");
        assert!(!page(all.clone()).await.contains(&seqs[0]), "{name}: not in the box");
        let confirmed = store
            .change_message(seqs[2], &["Ulest"], "Ulest", "Kari", "CorrespondenceConfirmed", 203)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(confirmed.confirmed_at, Some(203), "{name}");

        // The feed: each owner sees its own, in order, after an offset.
        let events = store.message_events("SKD", 0, 100).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "CorrespondenceCreated",
                "CorrespondenceCreated",
                "CorrespondenceCreated",
                "CorrespondenceCreated",
                "CorrespondenceRead",
                "CorrespondenceDeleted",
                "CorrespondenceConfirmed"
            ],
            "{name}"
        );
        let later = store.message_events("SKD", events[4].seq, 100).await.unwrap();
        assert_eq!(later.len(), 2, "{name}");
        assert_eq!(store.message_events("NAV", 0, 100).await.unwrap().len(), 1, "{name}");
        assert_eq!(store.message_events("SKD", 0, 2).await.unwrap().len(), 2, "{name}: limit");
        assert_eq!(store.message(seqs[1]).await.unwrap().unwrap().service_owner, "NAV");
        assert_eq!(store.message(999_999).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn a_message_document_is_replaced_only_from_the_expected_status() {
    for (name, store, _dir) in backends().await {
        let m = StoredMessage {
            kind: "FormTask".into(),
            status: "Utfylling".into(),
            ..message("01010112345", "4936", SKD, 10)
        };
        let stored = store.insert_message(&m, None).await.unwrap();
        let signed = store
            .replace_message(stored.seq, &["Utfylling"], "Signering", "{\"forms\":[]}", "Kari", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (signed.status.as_str(), signed.doc.as_str(), signed.last_changed_at),
            ("Signering", "{\"forms\":[]}", 20),
            "{name}"
        );
        let stale =
            store.replace_message(stored.seq, &["Utfylling"], "Signering", "{}", "Kari", 30);
        assert!(stale.await.unwrap().is_none(), "{name}");
        assert!(
            store.replace_message(999, &["Utfylling"], "x", "{}", "K", 1).await.unwrap().is_none()
        );
    }
}

#[tokio::test]
async fn a_service_owner_finds_what_it_sent_by_reference_and_its_history() {
    for (name, store, _dir) in backends().await {
        let mut seqs = Vec::new();
        for (i, (service, owner, reference)) in [
            ("5528", SKD, Some("REF-1")),
            ("5252", NAV, Some("REF-1")),
            ("5528", SKD, Some("REF-2")),
            ("5528", SKD, None),
        ]
        .into_iter()
        .enumerate()
        {
            let m = StoredMessage {
                senders_reference: reference.map(str::to_owned),
                ..message("974760673", service, owner, 100 + i as i64)
            };
            seqs.push(store.insert_message(&m, Some("CorrespondenceCreated")).await.unwrap().seq);
        }
        let skd =
            OwnerMessageQuery { service_owner: "SKD".into(), limit: 100, ..Default::default() };
        let found = |q: OwnerMessageQuery| {
            let store = store.clone();
            async move {
                let m = store.owner_messages(&q).await.unwrap();
                m.into_iter().map(|m| m.seq).collect::<Vec<_>>()
            }
        };
        assert_eq!(found(skd.clone()).await, [seqs[0], seqs[2], seqs[3]], "{name}");
        let by_ref = OwnerMessageQuery { senders_references: vec!["REF-1".into()], ..skd.clone() };
        assert_eq!(found(by_ref).await, [seqs[0]], "{name}: NAV's REF-1 is not SKD's");
        // More references than one statement takes.
        let many: Vec<String> = (0..1_200).map(|i| format!("REF-{i}")).collect();
        let by_many = OwnerMessageQuery { senders_references: many, ..skd.clone() };
        assert_eq!(found(by_many).await, [seqs[0], seqs[2]], "{name}");
        let window = OwnerMessageQuery {
            created_after: Some(100),
            created_before: Some(103),
            service_code: Some("5528".into()),
            ..skd.clone()
        };
        assert_eq!(found(window).await, [seqs[2]], "{name}");
        store
            .change_message(seqs[0], &["Ulest"], "Lest", "Kari", "CorrespondenceRead", 200)
            .await
            .unwrap();
        let history: Vec<(i64, String)> = store
            .events_of_messages(&[seqs[0], seqs[2]])
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.message_seq, e.event_type))
            .collect();
        assert_eq!(
            history,
            [
                (seqs[0], "CorrespondenceCreated".to_owned()),
                (seqs[2], "CorrespondenceCreated".to_owned()),
                (seqs[0], "CorrespondenceRead".to_owned()),
            ],
            "{name}"
        );
    }
}

#[tokio::test]
async fn systems_are_registered_once_and_found_by_user_name() {
    for (name, store, _dir) in backends().await {
        let system = StoredSystem {
            user_name: "SKD_SYSTEM".into(),
            password_hash: "ab".repeat(32),
            kind: "ServiceOwner".into(),
            owner: "SKD".into(),
            system_user_code: "SKD_SYSTEM".into(),
            created_at: 5,
        };
        store.insert_system(&system).await.unwrap();
        assert_eq!(store.system("SKD_SYSTEM").await.unwrap(), Some(system.clone()), "{name}");
        assert_eq!(store.system("skd_system").await.unwrap(), None, "{name}");
        let again = store.insert_system(&system).await.unwrap_err();
        assert!(matches!(again, fjellport_store::StoreError::Conflict(_)), "{name}: {again}");
        assert_eq!(store.systems().await.unwrap(), [system], "{name}");
    }
}

/// Many sendings at once (SQLite stores them in groups, one transaction each): every caller
/// gets its own message back under a number that holds exactly that message, with its one
/// event, and no two share a number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sendings_each_get_their_own_number_and_event() {
    for (name, store, _dir) in backends().await {
        let mut tasks = Vec::new();
        for i in 0..300i64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let m = StoredMessage {
                    senders_reference: Some(format!("REF-{i}")),
                    ..message(if i % 2 == 0 { "974760673" } else { "01010112345" }, "5528", SKD, i)
                };
                let event = (i % 3 != 0).then_some("CorrespondenceCreated");
                let stored = store.insert_message(&m, event).await.unwrap();
                assert_eq!(StoredMessage { seq: 0, ..stored.clone() }, m);
                (stored, event.is_some())
            }));
        }
        let mut seqs = std::collections::BTreeSet::new();
        let mut with_event = Vec::new();
        for t in tasks {
            let (stored, evented) = t.await.unwrap();
            let read = store.message(stored.seq).await.unwrap().unwrap();
            assert_eq!(read, stored, "{name}: message {} holds another's content", stored.seq);
            assert!(seqs.insert(stored.seq), "{name}: {} given twice", stored.seq);
            if evented {
                with_event.push(stored.seq);
            }
        }
        let all: Vec<i64> = seqs.iter().copied().collect();
        let events = store.events_of_messages(&all).await.unwrap();
        let mut evented: Vec<i64> = events.iter().map(|e| e.message_seq).collect();
        evented.sort_unstable();
        with_event.sort_unstable();
        assert_eq!(evented, with_event, "{name}: one event per message that asked for one");
        assert!(store.messages_revision().await.unwrap() >= 1, "{name}");
    }
}

/// A server's SQLite WAL stays bounded under writes without pause: its checkpoints run in a
/// task of their own, and the WAL starts over instead of growing with every message (which
/// it did when they only ran alongside the writer: 1.9 GB after 15 s of sendings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serving_databases_wal_stays_bounded_under_constant_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wal.db");
    let store = fjellport_store::open_serving(&format!("sqlite:{}", path.display())).await.unwrap();
    let body = "x".repeat(10_000);
    let wal = path.with_file_name("wal.db-wal");
    let mut largest = 0;
    for i in 0..2_500i64 {
        let m = StoredMessage {
            doc: format!("{{\"Body\":\"{body}\"}}"),
            ..message("974760673", "5528", SKD, i)
        };
        store.insert_message(&m, Some("CorrespondenceCreated")).await.unwrap();
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    // One message is a row page, three index pages, an event page, two event index pages
    // and the revision page: ~128 KB of WAL, 320 MB for all of them without a start-over.
    assert!(largest < 200 << 20, "the WAL grew to {largest} bytes");
    let count = store
        .messages(&MessageQuery {
            reportee: "974760673".into(),
            limit: 3_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    assert_eq!(count, 2_500);
}

#[tokio::test]
async fn notification_addresses_are_numbered_per_database_listed_per_organization_and_deleted() {
    for (name, store, _dir) in crate::backends().await {
        let address = |orgnr: &str, email: Option<&str>, mobile: Option<&str>| {
            fjellport_store::StoredNotificationAddress {
                id: 0,
                orgnr: orgnr.into(),
                email: email.map(str::to_owned),
                mobile: mobile.map(str::to_owned),
                created_by: "KARI NORDMANN".into(),
                created_at: 1_800_000_000,
            }
        };
        let a = store
            .insert_notification_address(&address("910000001", Some("a@x.test"), None))
            .await
            .unwrap();
        let b = store
            .insert_notification_address(&address("910000001", None, Some("+4701000000")))
            .await
            .unwrap();
        let c = store
            .insert_notification_address(&address("910000002", Some("c@x.test"), None))
            .await
            .unwrap();
        assert!(a.id < b.id && b.id < c.id, "{name}: the database numbers them");
        let listed = store.notification_addresses("910000001").await.unwrap();
        assert_eq!(listed, vec![a.clone(), b.clone()], "{name}");
        assert!(
            !store.delete_notification_address("910000002", a.id).await.unwrap(),
            "{name}: not that organization's"
        );
        assert!(store.delete_notification_address("910000001", a.id).await.unwrap(), "{name}");
        assert_eq!(store.notification_addresses("910000001").await.unwrap(), vec![b], "{name}");
    }
}
