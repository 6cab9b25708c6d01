//! What the ID-porten-like issuer's login keeps: clients' redirect URIs, authorization codes
//! (once, until they expire), and the login page's search by name.

use fjellport_store::{PersonRow, testing};

use crate::{backends, client, person};

#[tokio::test]
async fn a_client_keeps_its_redirect_uris() {
    for (name, store, _dir) in backends().await {
        let c = fjellport_store::StoredClient {
            issuer: "idporten".into(),
            redirect_uris: vec!["http://localhost:3000/cb".into(), "https://app.test/cb".into()],
            ..client("cl_web")
        };
        store.insert_client(&c).await.unwrap();
        assert_eq!(store.get_client("cl_web").await.unwrap(), c, "{name}");
        assert!(c.is_public(), "{name}: no keys is a public client");
    }
}

#[tokio::test]
async fn a_code_is_redeemed_once_and_not_after_it_expires() {
    for (name, store, _dir) in backends().await {
        store.put_code("h1", "{\"pid\":\"1\"}", 160, 100).await.unwrap();
        store.put_code("h2", "{\"pid\":\"2\"}", 120, 100).await.unwrap();
        assert_eq!(store.take_code("h1", 110).await.unwrap().as_deref(), Some("{\"pid\":\"1\"}"));
        assert_eq!(store.take_code("h1", 111).await.unwrap(), None, "{name}: spent");
        assert_eq!(store.take_code("h2", 121).await.unwrap(), None, "{name}: expired");
        assert_eq!(store.take_code("nope", 100).await.unwrap(), None, "{name}");
        // Expired codes are swept when new ones are kept.
        store.put_code("h3", "{}", 300, 200).await.unwrap();
        store.put_code("h4", "{}", 130, 100).await.unwrap();
        store.put_code("h5", "{}", 400, 250).await.unwrap();
        assert_eq!(store.take_code("h4", 120).await.unwrap(), None, "{name}: swept at 250");
        assert!(store.put_code("h5", "{}", 400, 250).await.is_err(), "{name}: a code is unique");
    }
}

#[tokio::test]
async fn a_web_session_is_read_replaced_and_ended_and_not_read_after_it_expires() {
    for (name, store, _dir) in backends().await {
        store.put_session("s1", "{\"pid\":\"1\"}", 160, 100).await.unwrap();
        assert_eq!(store.session("s1", 150).await.unwrap().as_deref(), Some("{\"pid\":\"1\"}"));
        assert_eq!(store.session("s1", 150).await.unwrap().as_deref(), Some("{\"pid\":\"1\"}"));
        store.put_session("s1", "{\"pid\":\"2\"}", 200, 150).await.unwrap();
        assert_eq!(store.session("s1", 180).await.unwrap().as_deref(), Some("{\"pid\":\"2\"}"));
        assert_eq!(store.session("s1", 201).await.unwrap(), None, "{name}: expired");
        assert!(store.delete_session("s1").await.unwrap(), "{name}");
        assert!(!store.delete_session("s1").await.unwrap(), "{name}: ended once");
        assert_eq!(store.session("s1", 150).await.unwrap(), None, "{name}: logged out");
    }
}

fn named(n: usize, origin: &str, given: &str, family: &str) -> PersonRow {
    PersonRow { given_name: given.into(), family_name: family.into(), ..person(n, origin) }
}

#[tokio::test]
async fn the_login_search_finds_test_norge_persons_by_family_name_and_given_prefix() {
    for (name, store, _dir) in backends().await {
        let rows = [
            named(1, "TestNorge", "Kari", "Nordmann"),
            named(2, "TestNorge", "Karin", "Nordmann"),
            named(3, "TestNorge", "Ola", "Nordmann"),
            named(4, "TestNorge", "Kari", "Nordmannsen"),
            named(5, "TestNorge", "Anne", "Hansen"),
        ];
        testing::replace_persons(store.as_ref(), "TestNorge", &rows).await.unwrap();
        let reserved = [named(6, "Reserved", "Kari", "Nordmann")];
        store.insert_reserved("team", reserved.to_vec(), 1).await.unwrap();
        let given = |found: Vec<fjellport_store::StoredPerson>| -> Vec<String> {
            found.into_iter().map(|p| p.row.given_name).collect()
        };
        let all = store.persons_named("Nordmann", None, 10).await.unwrap();
        assert_eq!(given(all), ["Kari", "Karin", "Ola"], "{name}: exact family, no reserved");
        let kar = store.persons_named("Nordmann", Some("Kar"), 10).await.unwrap();
        assert_eq!(given(kar), ["Kari", "Karin"], "{name}");
        let one = store.persons_named("Nordmann", Some("Kari"), 1).await.unwrap();
        assert_eq!(given(one), ["Kari"], "{name}: limit");
        assert!(store.persons_named("Nord", None, 10).await.unwrap().is_empty(), "{name}");
    }
}
