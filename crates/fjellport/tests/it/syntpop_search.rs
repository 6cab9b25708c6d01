//! SyntPop search through the gateway: filters, paging, samples and kept answers.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, problem};
use crate::syntpop::{Auth, PERSONS, call, count, ok, search, server};

#[tokio::test]
async fn search_filters_select_what_they_say_and_agree_with_match_count() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V01(&key);
    let filters = [
        json!({"gender": "Female", "ageFrom": 70, "maritalStatus": ["Married", "WidowOrWidower"]}),
        json!({"identificationNumberType": "DNumber"}),
        json!({"isDeceased": true}),
        json!({"hasParents": true, "ageTo": 17}),
        json!({"hasSpouse": true, "hasChildren": true}),
        json!({"childrenFrom": 2, "childrenTo": 2}),
        json!({"birthDateFrom": "1960-01-01", "birthDateTo": "1969-12-31", "gender": "Male"}),
        json!({"status": ["Emigrated"]}),
    ];
    for filter in filters {
        let mut body = filter.clone();
        body["limit"] = json!(1000);
        let page = ok(search(&s, &auth, body)).await;
        let results = page["results"].as_array().unwrap();
        assert!(!results.is_empty(), "a population of {PERSONS} has some: {filter}");
        assert_eq!(page["totalCount"], results.len(), "{filter}");
        assert_eq!(count(&s, &auth, filter.clone()).await, results.len() as i64, "{filter}");
        for p in results {
            let f = &filter;
            let age = p["age"].as_i64().unwrap();
            if let Some(g) = f.get("gender") {
                assert_eq!(&p["gender"], g, "{p}");
            }
            if let Some(a) = f.get("ageFrom") {
                assert!(age >= a.as_i64().unwrap(), "{p}");
            }
            if let Some(a) = f.get("ageTo") {
                assert!(age <= a.as_i64().unwrap(), "{p}");
            }
            if let Some(list) = f.get("maritalStatus") {
                assert!(list.as_array().unwrap().contains(&p["maritalStatus"]), "{p}");
            }
            if let Some(list) = f.get("status") {
                assert!(list.as_array().unwrap().contains(&p["status"]), "{p}");
            }
            if f.get("identificationNumberType").is_some() {
                assert_eq!(p["identificationNumberType"], "DNumber");
                let day: u32 = p["nin"].as_str().unwrap()[..2].parse().unwrap();
                assert!(day > 40, "a D-number: {p}");
                assert_ne!(p["citizenship"], "NOR", "{p}");
            }
            if f.get("isDeceased").is_some() {
                assert_eq!(p["status"], "Deceased");
            }
            if f.get("hasParents").is_some() {
                assert_eq!(p["hasParents"], true);
            }
            if f.get("hasSpouse").is_some() {
                assert!(p["hasSpouse"] == true && p["children"].as_i64().unwrap() > 0, "{p}");
            }
            if f.get("childrenFrom").is_some() {
                assert_eq!(p["children"], 2);
            }
            if let Some(from) = f.get("birthDateFrom") {
                let b = p["birthDate"].as_str().unwrap();
                assert!(b >= from.as_str().unwrap() && b <= f["birthDateTo"].as_str().unwrap());
            }
        }
    }
    // Filters narrow: the sum of the two genders is everyone.
    let women = count(&s, &auth, json!({"gender": "Female"})).await;
    let men = count(&s, &auth, json!({"gender": "Male"})).await;
    assert_eq!(women + men, PERSONS as i64);
    // A full result is the person itself, with the parts asked for in the query.
    let full = ok(call(&s, &auth, Method::POST, "/search?informationParts=Birth")
        .json(&json!({"limit": 3, "fields": "full", "ageTo": 10})))
    .await;
    for p in full["results"].as_array().unwrap() {
        assert!(p["birth"][0]["birthDate"].as_str().unwrap() >= "2015-09-01", "{p}");
        assert!(p.get("name").is_none());
    }
    s.stop().await;
}

#[tokio::test]
async fn paging_covers_every_match_once_even_while_persons_are_reserved() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V01(&key);
    let filter = json!({"gender": "Female", "ageFrom": 18});
    let total = count(&s, &auth, filter.clone()).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = Value::Null;
    let mut pages = 0;
    loop {
        let mut body = filter.clone();
        body["limit"] = json!(97);
        body["fields"] = json!("ids");
        if !cursor.is_null() {
            body["cursor"] = cursor.clone();
        }
        let page = ok(search(&s, &auth, body)).await;
        for r in page["results"].as_array().unwrap() {
            assert!(seen.insert(r["id"].as_str().unwrap().to_owned()), "no person twice");
        }
        pages += 1;
        // Someone reserves an adult woman between our pages: she lands after the cursor.
        ok(call(&s, &auth, Method::POST, "/reserved-persons")
            .json(&json!({"gender": "Female", "ageFrom": 30, "ageTo": 40})))
        .await;
        cursor = page["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert!(pages > 3);
    // Every match that existed at the start was seen, and the new ones too (they sort last).
    assert_eq!(seen.len() as i64, total + pages - 1, "pages {pages}");
    // A cursor continues only the search it came from.
    let first = ok(search(&s, &auth, json!({"gender": "Female", "limit": 5}))).await;
    let p = problem(
        search(&s, &auth, json!({"gender": "Male", "cursor": first["nextCursor"]}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(p["member"], "cursor");
    s.stop().await;
}

#[tokio::test]
async fn a_random_sample_repeats_with_its_seed() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V01(&key);
    let sample = |seed: i64| {
        search(&s, &auth, json!({"random": true, "seed": seed, "limit": 20, "fields": "ids"}))
    };
    let a = ok(sample(7)).await;
    let b = ok(sample(7)).await;
    let c = ok(sample(8)).await;
    assert_eq!(a["results"], b["results"]);
    assert_ne!(a["results"], c["results"]);
    assert_eq!(a["seed"], 7);
    let in_order = ok(search(&s, &auth, json!({"limit": 20, "fields": "ids"}))).await;
    assert_ne!(a["results"], in_order["results"], "shuffled, not load order");
    // The next page of a sample continues it without repeats.
    let mut body = json!({"random": true, "seed": 7, "limit": 20, "fields": "ids"});
    body["cursor"] = a["nextCursor"].clone();
    let next = ok(search(&s, &auth, body)).await;
    for r in next["results"].as_array().unwrap() {
        assert!(!a["results"].as_array().unwrap().contains(r));
    }
    // Without a seed, one is drawn and reported.
    let drawn = ok(search(&s, &auth, json!({"random": true, "limit": 20, "fields": "ids"}))).await;
    let again = ok(sample(drawn["seed"].as_i64().unwrap())).await;
    assert_eq!(again["results"], drawn["results"]);
    s.stop().await;
}

#[tokio::test]
async fn a_search_asked_again_sees_every_change_made_since() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V02(&key);
    let ask = json!({"gender": "Female", "ageFrom": 30, "ageTo": 40, "limit": 5});
    let first = ok(search(&s, &auth, ask.clone())).await;
    assert_eq!(
        ok(search(&s, &auth, ask.clone())).await,
        first,
        "the same question, the same answer"
    );
    // The caller's own new person matches: it counts at once, and sorts after the others.
    ok(call(&s, &auth, Method::POST, "/reserved-persons")
        .json(&json!({"gender": "Female", "ageFrom": 30, "ageTo": 40})))
    .await;
    let again = ok(search(&s, &auth, ask.clone())).await;
    assert_eq!(again["totalCount"], first["totalCount"].as_i64().unwrap() + 1, "{again}");
    assert_eq!(again["results"], first["results"]);
    // Another caller's answer is its own: without the reserved person.
    let (_, other) = s.key(json!({"api": "syntpop", "type": "other", "owner": "team-c"})).await;
    let theirs = ok(search(&s, &Auth::V02(&other), ask)).await;
    assert_eq!(theirs["totalCount"], first["totalCount"]);
    s.stop().await;
}

/// A page and its summaries are written in one fixed shape (clients read members by name, but
/// snapshot tests and generated clients compare the whole): the members in the documented
/// order, nulls written out, and each summary the person that its id reads.
#[tokio::test]
async fn a_page_of_summaries_has_the_documented_members_in_order() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V01(&key);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let page = ok(search(&s, &auth, json!({"limit": 3}))).await;
    assert_eq!(keys(&page), ["totalCount", "results", "nextCursor"]);
    assert!(page["nextCursor"].is_string());
    let summary = [
        "id",
        "nin",
        "identificationNumberType",
        "origin",
        "givenName",
        "familyName",
        "birthDate",
        "age",
        "gender",
        "status",
        "maritalStatus",
        "municipalityNumber",
        "postalCode",
        "citizenship",
        "addressConfidentiality",
        "hasSpouse",
        "children",
        "hasParents",
        "hprNumber",
        "isGeneralPractitioner",
        "generalPractitionerHprNumber",
    ];
    for p in page["results"].as_array().unwrap() {
        assert_eq!(keys(p), summary, "{p}");
        let id = p["id"].as_str().unwrap();
        let doc =
            ok(call(&s, &auth, Method::GET, &format!("/persons/{id}?informationParts=All"))).await;
        assert_eq!(doc["norwegianIdentificationNumber"][0]["identificationNumber"], p["nin"]);
        assert_eq!(p["origin"], "TestNorge");
        assert!(p["age"].is_i64() && p["hasSpouse"].is_boolean() && p["children"].is_i64());
    }
    let ids =
        ok(search(&s, &auth, json!({"limit": 2, "fields": "ids", "random": true, "seed": 5})))
            .await;
    assert_eq!(keys(&ids), ["totalCount", "results", "nextCursor", "seed"]);
    assert_eq!(ids["seed"], 5);
    for p in ids["results"].as_array().unwrap() {
        assert_eq!(keys(p), ["id"]);
    }
    let last = ok(search(&s, &auth, json!({"limit": 1000, "isDeceased": true}))).await;
    assert!(last["totalCount"].as_u64().unwrap() < 1000);
    assert_eq!(last["nextCursor"], Value::Null, "the last page says there is no next");
}
