//! The SyntPop API through the real gateway, in every version: reads, search, reservations.

use fjellport_auth::forge::{ProofFor, proof};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    AFTER_SUNSET, BEFORE_SUNSET, Client, TestServer, client, config, now, problem, temp_db,
};

const PERSONS: usize = 1500;

async fn server(clock: &str) -> TestServer {
    TestServer::start(fjellport::config::Config {
        persons: PERSONS,
        ..config("sqlite::memory:", clock)
    })
    .await
}

/// How a call authenticates: each SyntPop version's way.
enum Auth<'a> {
    V01(&'a str),
    V02(&'a str),
    /// The client, and the instant its proofs say they were made (the server's frozen clock).
    V10(&'a Client, i64),
}

fn call(s: &TestServer, auth: &Auth<'_>, method: Method, path: &str) -> reqwest::RequestBuilder {
    let url = s.url(&format!("/syntpop/api{path}"));
    let req = s.http.request(method.clone(), &url);
    match auth {
        Auth::V01(key) => req.header("X-api-key", *key),
        Auth::V02(key) => req.header("X-api-version", "0.2").header("X-api-key", *key),
        Auth::V10(c, at) => {
            let htu = url.split('?').next().unwrap_or(&url).to_owned();
            let target = ProofFor {
                method: method.as_str(),
                uri: &htu,
                access_token: Some(&c.token),
                nonce: None,
                now: *at,
            };
            req.header("X-api-version", "1.0")
                .header("Authorization", format!("DPoP {}", c.token))
                .header("DPoP", proof(&c.key, &target, None).unwrap())
        }
    }
}

async fn ok(req: reqwest::RequestBuilder) -> Value {
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn search(s: &TestServer, auth: &Auth<'_>, body: Value) -> reqwest::RequestBuilder {
    call(s, auth, Method::POST, "/search").json(&body)
}

async fn count(s: &TestServer, auth: &Auth<'_>, body: Value) -> i64 {
    ok(call(s, auth, Method::POST, "/search/match-count").json(&body)).await["matchCount"]
        .as_i64()
        .unwrap()
}

fn form(req: reqwest::RequestBuilder, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let body: String =
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    req.header("content-type", "application/x-www-form-urlencoded").body(body)
}

#[tokio::test]
async fn every_version_reads_the_same_person_and_only_0x_is_marked_deprecated() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let c = client(&s, json!({"client_id": "reader"})).await;
    let first = ok(search(&s, &Auth::V01(&key), json!({"limit": 2, "fields": "summary"}))).await;
    assert_eq!(first["totalCount"], PERSONS);
    let (id, nin) =
        (first["results"][0]["id"].as_str().unwrap(), first["results"][0]["nin"].as_str().unwrap());
    let other = first["results"][1]["nin"].as_str().unwrap();
    for auth in [Auth::V01(&key), Auth::V02(&key), Auth::V10(&c, now())] {
        let res = call(&s, &auth, Method::GET, &format!("/persons/{id}?informationParts=All"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let deprecated = !matches!(auth, Auth::V10(..));
        assert_eq!(res.headers().contains_key("deprecation"), deprecated);
        assert_eq!(res.headers().contains_key("sunset"), deprecated);
        let by_id: Value = res.json().await.unwrap();
        assert_eq!(by_id["id"], id);
        assert_eq!(by_id["norwegianIdentificationNumber"][0]["identificationNumber"], nin);
        let by_nin = ok(form(
            call(&s, &auth, Method::POST, "/persons/get-by-nin?informationParts=All"),
            &[("nin", nin)],
        ))
        .await;
        assert_eq!(by_nin, by_id, "the same person either way");
        let bulk = ok(form(
            call(&s, &auth, Method::POST, "/persons/bulk-by-nin?informationParts=Name"),
            &[("nins", other), ("nins", nin), ("nins", "31739556891")],
        ))
        .await;
        let names: Vec<&str> =
            bulk["persons"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(names.len(), 2, "{bulk}");
        assert_eq!(names[1], id, "in the order asked");
        assert_eq!(bulk["notFound"], json!(["31739556891"]), "unknown numbers are listed");
        assert!(bulk["persons"][0].get("birth").is_none(), "only the parts asked for");
        let by_ids = ok(form(
            call(&s, &auth, Method::POST, "/persons/bulk-by-id?informationParts=Gender"),
            &[("personIds", id), ("personIds", "no-such-id")],
        ))
        .await;
        assert_eq!(by_ids["persons"][0]["id"], id);
        assert_eq!(by_ids["notFound"], json!(["no-such-id"]));
    }
    s.stop().await;
}

#[tokio::test]
async fn after_the_sunset_persons_are_read_in_1_0_only() {
    let s = server(AFTER_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let c = client(&s, json!({})).await;
    let after = crate::support::instant(AFTER_SUNSET).timestamp();
    let page = ok(search(&s, &Auth::V10(&c, after), json!({"limit": 1, "fields": "ids"}))).await;
    let id = page["results"][0]["id"].as_str().unwrap();
    let path = format!("/persons/{id}?informationParts=Name");
    for auth in [Auth::V01(&key), Auth::V02(&key)] {
        let p = problem(call(&s, &auth, Method::GET, &path).send().await.unwrap(), 410).await;
        assert_eq!(p["successorVersion"], "1.0");
        let p = problem(search(&s, &auth, json!({})).send().await.unwrap(), 410).await;
        assert_eq!(p["successorVersion"], "1.0");
    }
    ok(call(&s, &Auth::V10(&c, after), Method::GET, &path)).await;
    s.stop().await;
}

#[tokio::test]
async fn information_parts_and_history_shape_the_person() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V02(&key);
    // Divorced persons have an ended marriage in their history.
    let page = ok(search(&s, &auth, json!({"maritalStatus": ["Divorced"], "limit": 1}))).await;
    let id = page["results"][0]["id"].as_str().unwrap().to_owned();
    let get = |q: &str| call(&s, &auth, Method::GET, &format!("/persons/{id}?{q}"));
    let current = ok(get("informationParts=MaritalStatus&informationParts=Name")).await;
    let keys: Vec<&String> = current.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name", "maritalStatus"], "{current}");
    let statuses = current["maritalStatus"].as_array().unwrap();
    assert_eq!(statuses.len(), 1, "current items only: {current}");
    assert_eq!(statuses[0]["status"], "Divorced");
    assert_eq!(statuses[0]["isValid"], true);
    let history = ok(get("informationParts=MaritalStatus&includeHistory=true")).await;
    let all = history["maritalStatus"].as_array().unwrap();
    assert!(all.len() >= 3, "unmarried, married, divorced: {history}");
    assert!(all.iter().filter(|m| m["isValid"] == false).all(|m| m["validTo"].is_string()));
    // Comma lists work like repeated parameters; parts this stand-in does not model are empty.
    let csv = ok(get("informationParts=Name,Birth,SharedResidence")).await;
    assert!(csv["name"].is_array() && csv["birth"].is_array() && csv.get("gender").is_none());
    s.stop().await;
}

#[tokio::test]
async fn bad_inputs_are_problems_naming_the_member() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V01(&key);
    let page = ok(search(&s, &auth, json!({"limit": 1}))).await;
    let id = page["results"][0]["id"].as_str().unwrap().to_owned();
    let hundred_and_one: Vec<(&str, String)> =
        (0..101).map(|i| ("personIds", format!("id{i}"))).collect();
    let many: Vec<(&str, &str)> = hundred_and_one.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (call(&s, &auth, Method::GET, &format!("/persons/{id}")), 400, "informationParts"),
        (
            call(&s, &auth, Method::GET, &format!("/persons/{id}?informationParts=Shoe")),
            400,
            "informationParts",
        ),
        (
            call(
                &s,
                &auth,
                Method::GET,
                &format!("/persons/{id}?informationParts=All&includeHistory=yes"),
            ),
            400,
            "includeHistory",
        ),
        (
            call(
                &s,
                &auth,
                Method::GET,
                &format!("/persons/{id}?informationParts=All&informationPart=Name"),
            ),
            400,
            "informationPart",
        ),
        (call(&s, &auth, Method::GET, "/persons/12345678901?informationParts=All"), 404, ""),
        (
            form(
                call(&s, &auth, Method::POST, "/persons/get-by-nin?informationParts=All"),
                &[("nin", "12345678901")],
            ),
            400,
            "nin",
        ),
        (
            form(call(&s, &auth, Method::POST, "/persons/get-by-nin?informationParts=All"), &[]),
            400,
            "nin",
        ),
        (
            call(&s, &auth, Method::POST, "/persons/get-by-nin?informationParts=All")
                .json(&json!({"nin": "31739556891"})),
            415,
            "",
        ),
        (
            form(call(&s, &auth, Method::POST, "/persons/bulk-by-id?informationParts=All"), &many),
            400,
            "personIds",
        ),
        (
            form(
                call(&s, &auth, Method::POST, "/persons/bulk-by-nin?informationParts=All"),
                &[("nins", "31739556892")],
            ),
            400,
            "nins",
        ),
        (search(&s, &auth, json!({"gendr": "Female"})), 400, "gendr"),
        (search(&s, &auth, json!({"gender": "female"})), 400, "gender"),
        (search(&s, &auth, json!({"ageFrom": 50, "ageTo": 40})), 400, "ageFrom"),
        (
            search(&s, &auth, json!({"birthDateFrom": "2000-01-01", "birthDateTo": "1999-01-01"})),
            400,
            "birthDateFrom",
        ),
        (search(&s, &auth, json!({"birthDateFrom": "2000-02-30"})), 400, "birthDateFrom"),
        (search(&s, &auth, json!({"limit": 0})), 400, "limit"),
        (search(&s, &auth, json!({"limit": 1001})), 400, "limit"),
        (search(&s, &auth, json!({"cursor": "not-a-cursor"})), 400, "cursor"),
        (search(&s, &auth, json!({"seed": 3})), 400, "seed"),
        (search(&s, &auth, json!({"municipalityNumber": "46"})), 400, "municipalityNumber"),
        (search(&s, &auth, json!({"status": ["Alive"]})), 400, "status"),
        (search(&s, &auth, json!({"isGeneralPractitioner": "yes"})), 400, "isGeneralPractitioner"),
        (search(&s, &auth, json!({"hasChildren": false, "childrenFrom": 1})), 400, "hasChildren"),
        (
            call(&s, &auth, Method::POST, "/search")
                .header("content-type", "application/json")
                .body("{\"gender\":"),
            400,
            "",
        ),
        (call(&s, &auth, Method::POST, "/search").json(&json!([1, 2])), 400, ""),
        (
            call(&s, &auth, Method::POST, "/search")
                .body("{}")
                .header("content-type", "text/plain"),
            415,
            "",
        ),
        (
            call(&s, &auth, Method::POST, "/reserved-persons").json(&json!({"children": 11})),
            400,
            "children",
        ),
        (
            call(&s, &auth, Method::POST, "/reserved-persons")
                .json(&json!({"maritalStatus": "Divorced", "withSpouse": true})),
            400,
            "withSpouse",
        ),
        (
            call(&s, &auth, Method::POST, "/reserved-persons")
                .json(&json!({"municipalityNumber": "9999"})),
            400,
            "municipalityNumber",
        ),
        (
            call(&s, &auth, Method::POST, "/reserved-persons")
                .json(&json!({"birth": {"birthDate": "2020-01-01"}, "children": 1})),
            400,
            "children",
        ),
        (
            call(&s, &auth, Method::POST, "/reserved-persons")
                .json(&json!({"name": {"givenName": ""}})),
            400,
            "name.givenName",
        ),
    ];
    for (req, status, member) in cases {
        let p = problem(req.send().await.unwrap(), status).await;
        if !member.is_empty() {
            assert_eq!(p["member"], member, "{p}");
        }
    }
    // Nothing was written by any of them.
    let mine = ok(call(&s, &auth, Method::GET, "/reserved-persons")).await;
    assert_eq!(mine["totalCount"], 0);
    s.stop().await;
}

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

#[tokio::test]
async fn reserved_persons_are_made_to_order_and_belong_to_their_owner() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key_a) = s.key(json!({"api": "syntpop", "type": "other", "owner": "999888771"})).await;
    let (_, key_b) = s.key(json!({"api": "syntpop", "type": "other", "owner": "team-b"})).await;
    let (a, b) = (Auth::V02(&key_a), Auth::V01(&key_b));
    let template = json!({
        "name": {"givenName": "Kari", "familyName": "Nordmann"},
        "gender": "Female",
        "birth": {"birthDate": "1980-05-17"},
        "municipalityNumber": "4601",
        "withSpouse": true,
        "children": 2
    });
    let res = call(&s, &a, Method::POST, "/reserved-persons").json(&template).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let kari: Value = res.json().await.unwrap();
    let id = kari["id"].as_str().unwrap();
    assert_eq!(location, format!("/syntpop/api/persons/{id}"));
    let nin = kari["norwegianIdentificationNumber"][0]["identificationNumber"].as_str().unwrap();
    assert_eq!(&nin[..6], "177080", "born 17.05.1980, month 05 + 65: {nin}");
    assert_eq!(kari["name"][0]["givenName"], "Kari");
    assert_eq!(kari["name"][0]["source"], "SyntPop", "reserved persons are SyntPop's record");
    assert_eq!(kari["residentialAddress"][0]["streetAddress"]["municipalityNumber"], "4601");
    assert_eq!(kari["maritalStatus"][0]["status"], "Married");
    let relations = kari["familyRelation"].as_array().unwrap();
    assert_eq!(relations.len(), 3, "spouse and two children: {kari}");
    // The owner reads it (at its Location); another owner cannot see it at all.
    let read = ok(call(&s, &a, Method::GET, &format!("/persons/{id}?informationParts=All"))).await;
    assert_eq!(read, kari);
    problem(
        call(&s, &b, Method::GET, &format!("/persons/{id}?informationParts=All"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let by_b = ok(form(
        call(&s, &b, Method::POST, "/persons/bulk-by-nin?informationParts=Name"),
        &[("nins", nin)],
    ))
    .await;
    assert_eq!(by_b["notFound"], json!([nin]));
    assert_eq!(count(&s, &b, json!({"origin": "Reserved"})).await, 0);
    assert_eq!(count(&s, &a, json!({"origin": "Reserved"})).await, 4);
    // The spouse is married to Kari, on both sides; the children have two parents.
    let mine = ok(call(&s, &a, Method::GET, "/reserved-persons?limit=10")).await;
    assert_eq!(mine["totalCount"], 4);
    let results = mine["results"].as_array().unwrap();
    let spouse = results.iter().find(|p| p["id"] != id && p["hasSpouse"] == true).unwrap();
    assert_eq!(spouse["maritalStatus"], "Married");
    let kids = results.iter().filter(|p| p["hasParents"] == true).count();
    assert_eq!(kids, 2);
    // Version 1.0 with orgnr_parent 999888771 is the same owner as the 0.2 key of that owner.
    let c = client(&s, json!({"helseid://claims/client/claims/orgnr_parent": "999888771"})).await;
    let via_token = ok(call(&s, &Auth::V10(&c, now()), Method::GET, "/reserved-persons")).await;
    assert_eq!(via_token["totalCount"], 4);
    // Release: others get 404, Test-Norge persons are read-only, the owner succeeds.
    problem(
        call(&s, &b, Method::DELETE, &format!("/reserved-persons/{id}")).send().await.unwrap(),
        404,
    )
    .await;
    let test_norge = ok(search(&s, &a, json!({"origin": "TestNorge", "limit": 1}))).await;
    let tn = test_norge["results"][0]["id"].as_str().unwrap();
    let p = problem(
        call(&s, &a, Method::DELETE, &format!("/reserved-persons/{tn}")).send().await.unwrap(),
        403,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("events"), "{p}");
    let res =
        call(&s, &a, Method::DELETE, &format!("/reserved-persons/{id}")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    problem(
        call(&s, &a, Method::GET, &format!("/persons/{id}?informationParts=All"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // The relatives keep their history, with the links to Kari ended.
    let spouse_id = spouse["id"].as_str().unwrap();
    let after = ok(call(
        &s,
        &a,
        Method::GET,
        &format!("/persons/{spouse_id}?informationParts=FamilyRelation&includeHistory=true"),
    ))
    .await;
    let to_kari: Vec<&Value> = after["familyRelation"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relatedPerson"] == nin)
        .collect();
    assert_eq!(to_kari.len(), 1);
    assert_eq!(to_kari[0]["isValid"], false);
    assert_eq!(count(&s, &a, json!({"origin": "Reserved"})).await, 3);
    s.stop().await;
}

/// Reserves a person from `template`; returns (id, nin).
async fn reserve(s: &TestServer, auth: &Auth<'_>, template: Value) -> (String, String) {
    let p = ok(call(s, auth, Method::POST, "/reserved-persons").json(&template)).await;
    let nin = p["norwegianIdentificationNumber"][0]["identificationNumber"].as_str().unwrap();
    (p["id"].as_str().unwrap().to_owned(), nin.to_owned())
}

fn patch(s: &TestServer, auth: &Auth<'_>, id: &str, body: Value) -> reqwest::RequestBuilder {
    call(s, auth, Method::PATCH, &format!("/reserved-persons/{id}"))
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
}

async fn read(s: &TestServer, auth: &Auth<'_>, id: &str, history: bool) -> Value {
    ok(call(
        s,
        auth,
        Method::GET,
        &format!("/persons/{id}?informationParts=All&includeHistory={history}"),
    ))
    .await
}

#[tokio::test]
async fn edits_keep_history_update_searches_and_keep_families_consistent() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V02(&key);
    let (a, a_nin) = reserve(
        &s,
        &auth,
        json!({"gender": "Female", "ageFrom": 30, "ageTo": 50, "municipalityNumber": "4601"}),
    )
    .await;
    // (Both start in Bergen, so the Oslo count below is a's move alone.)
    let (b, b_nin) = reserve(
        &s,
        &auth,
        json!({"gender": "Male", "ageFrom": 30, "ageTo": 50, "municipalityNumber": "4601"}),
    )
    .await;
    // A new name and address: the old ones stay in the history, ended today.
    let edited = ok(patch(&s, &auth, &a, json!({
        "name": {"givenName": "Ingrid", "middleName": "Marie"},
        "residentialAddress": {"streetAddress": {
            "addressName": "Storgata", "addressNumber": {"houseNumber": "1", "houseLetter": "B"},
            "city": {"cityName": "OSLO", "postalCode": "0155"}, "municipalityNumber": "0301"}}
    })))
    .await;
    assert_eq!(edited["name"][0]["givenName"], "Ingrid");
    assert_eq!(edited["name"][0]["middleName"], "Marie");
    assert_eq!(edited["name"][0]["source"], "SyntPop");
    let street = &edited["residentialAddress"][0]["streetAddress"];
    assert_eq!(street["municipalityName"], "Oslo", "{street}");
    assert_eq!(street["addressNumber"]["houseLetter"], "B");
    let history = read(&s, &auth, &a, true).await;
    let names = history["name"].as_array().unwrap();
    assert_eq!(names.len(), 2);
    assert_eq!(names[0]["isValid"], false);
    assert_eq!(names[0]["validTo"], "2026-09-01T00:00:00");
    let found =
        ok(search(&s, &auth, json!({"origin": "Reserved", "municipalityNumber": "0301"}))).await;
    assert_eq!(found["totalCount"], 1, "the search columns follow the edit");
    assert_eq!(found["results"][0]["givenName"], "Ingrid");
    // Marrying b is recorded on both sides.
    ok(patch(
        &s,
        &auth,
        &a,
        json!({"maritalStatus": {"status": "Married", "relatedByMaritalStatus": b_nin}}),
    ))
    .await;
    let bride = read(&s, &auth, &a, false).await;
    let groom = read(&s, &auth, &b, false).await;
    assert_eq!(groom["maritalStatus"][0]["status"], "Married");
    assert_eq!(groom["maritalStatus"][0]["relatedByMaritalStatus"], a_nin.as_str());
    assert_eq!(bride["familyRelation"][0]["relatedPerson"], b_nin.as_str());
    assert_eq!(groom["familyRelation"][0]["relatedPerson"], a_nin.as_str());
    assert_eq!(count(&s, &auth, json!({"origin": "Reserved", "hasSpouse": true})).await, 2);
    // A widow only once the spouse has died; the death makes b a widower.
    let p = problem(
        patch(&s, &auth, &a, json!({"maritalStatus": {"status": "WidowOrWidower"}}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(p["member"], "maritalStatus.status");
    ok(patch(&s, &auth, &a, json!({"death": {"deceasedDate": "2026-08-01"}}))).await;
    let dead = read(&s, &auth, &a, false).await;
    assert_eq!(dead["status"][0]["status"], "Deceased");
    assert_eq!(dead["death"]["deceasedDate"], "2026-08-01T00:00:00");
    assert!(
        dead.get("residentialAddress").is_none_or(|a| a.as_array().unwrap().is_empty()),
        "{dead}"
    );
    let widower = read(&s, &auth, &b, false).await;
    assert_eq!(widower["maritalStatus"][0]["status"], "WidowOrWidower");
    assert!(
        widower.get("familyRelation").is_none_or(|r| r.as_array().unwrap().is_empty()),
        "{widower}"
    );
    assert_eq!(count(&s, &auth, json!({"origin": "Reserved", "isDeceased": true})).await, 1);
    s.stop().await;
}

#[tokio::test]
async fn edits_that_cannot_be_made_are_refused_and_change_nothing() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let (_, other_key) =
        s.key(json!({"api": "syntpop", "type": "other", "owner": "someone-else"})).await;
    let auth = Auth::V01(&key);
    let (a, _) = reserve(&s, &auth, json!({"ageFrom": 30, "ageTo": 50, "withSpouse": true})).await;
    let (single, _) = reserve(&s, &auth, json!({"ageFrom": 30, "ageTo": 50})).await;
    let tn = ok(search(&s, &auth, json!({"origin": "TestNorge", "ageFrom": 30, "limit": 1}))).await;
    let (tn_id, tn_nin) =
        (tn["results"][0]["id"].as_str().unwrap(), tn["results"][0]["nin"].as_str().unwrap());
    let before = read(&s, &auth, &a, true).await;
    let cases = [
        (patch(&s, &auth, &a, json!({"shoeSize": 42})), 400, "shoeSize"),
        (patch(&s, &auth, &a, json!({"name": {"givenName": ""}})), 400, "name.givenName"),
        (patch(&s, &auth, &a, json!({"name": {"nickname": "x"}})), 400, "name"),
        (patch(&s, &auth, &a, json!({"name": {"isValid": false}})), 400, "name"),
        (patch(&s, &auth, &a, json!({"status": {"status": "Deceased"}})), 400, "status.status"),
        (patch(&s, &auth, &a, json!({"status": {"status": "Sleeping"}})), 400, "status.status"),
        (
            patch(&s, &auth, &a, json!({"maritalStatus": {"status": "Unmarried"}})),
            400,
            "maritalStatus.status",
        ),
        (
            patch(
                &s,
                &auth,
                &single,
                json!({"maritalStatus": {"status": "Married", "relatedByMaritalStatus": tn_nin}}),
            ),
            400,
            "maritalStatus.relatedByMaritalStatus",
        ),
        (
            patch(
                &s,
                &auth,
                &a,
                json!({"residentialAddress": {"streetAddress": {"municipalityNumber": "9999"}}}),
            ),
            400,
            "residentialAddress.streetAddress.municipalityNumber",
        ),
        (
            patch(
                &s,
                &auth,
                &a,
                json!({"residentialAddress": {"streetAddress": {"adressName": "x"}}}),
            ),
            400,
            "residentialAddress",
        ),
        (
            patch(&s, &auth, &a, json!({"death": {"deceasedDate": "2030-01-01"}})),
            400,
            "death.deceasedDate",
        ),
        (
            patch(
                &s,
                &auth,
                &a,
                json!({"commonContactRegisterInformation": {"reservation": "Maybe"}}),
            ),
            400,
            "commonContactRegisterInformation.reservation",
        ),
        (
            call(&s, &auth, Method::PATCH, &format!("/reserved-persons/{a}"))
                .body("{}")
                .header("content-type", "text/plain"),
            415,
            "",
        ),
        (patch(&s, &auth, tn_id, json!({"name": {"givenName": "X"}})), 403, ""),
        (patch(&s, &Auth::V01(&other_key), &a, json!({"name": {"givenName": "X"}})), 404, ""),
    ];
    for (req, status, member) in cases {
        let p = problem(req.send().await.unwrap(), status).await;
        if !member.is_empty() {
            assert_eq!(p["member"], member, "{p}");
        }
    }
    assert_eq!(read(&s, &auth, &a, true).await, before, "nothing was written");
    s.stop().await;
}

#[tokio::test]
async fn every_call_works_in_every_version() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let c = client(&s, json!({"client_id": "every-call"})).await;
    for auth in [Auth::V01(&key), Auth::V02(&key), Auth::V10(&c, now())] {
        let (id, nin) =
            reserve(&s, &auth, json!({"ageFrom": 40, "ageTo": 60, "children": 1})).await;
        let found = ok(search(&s, &auth, json!({"origin": "Reserved", "fields": "ids"}))).await;
        assert_eq!(found["totalCount"], 2, "the person and the child");
        assert_eq!(count(&s, &auth, json!({"origin": "Reserved", "hasChildren": true})).await, 1);
        let edited = ok(patch(&s, &auth, &id, json!({"name": {"familyName": "Testesen"}}))).await;
        assert_eq!(edited["name"][0]["familyName"], "Testesen");
        let by_nin = ok(form(
            call(&s, &auth, Method::POST, "/persons/get-by-nin?informationParts=Name"),
            &[("nin", &nin)],
        ))
        .await;
        assert_eq!(by_nin["id"], id.as_str());
        let mine = ok(call(&s, &auth, Method::GET, "/reserved-persons?fields=ids")).await;
        assert_eq!(mine["totalCount"], 2);
        let res = call(&s, &auth, Method::DELETE, &format!("/reserved-persons/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let child = ok(call(&s, &auth, Method::GET, "/reserved-persons?fields=ids")).await;
        let child_id = child["results"][0]["id"].as_str().unwrap().to_owned();
        let res = call(&s, &auth, Method::DELETE, &format!("/reserved-persons/{child_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
    }
    s.stop().await;
}

#[tokio::test]
async fn gps_their_patients_and_health_personnel_can_be_found_and_read() {
    let s = server(BEFORE_SUNSET).await;
    let (_, key) = s.other_key("syntpop").await;
    let auth = Auth::V02(&key);
    let gps = ok(search(&s, &auth, json!({"isGeneralPractitioner": true}))).await;
    assert_eq!(gps["totalCount"], 2, "1,500 persons: two GPs");
    let gp = &gps["results"][0];
    let hpr = gp["hprNumber"].as_str().unwrap();
    let record = ok(call(&s, &auth, Method::GET, &format!("/hpr/{hpr}"))).await;
    assert_eq!(record["nin"], gp["nin"]);
    assert_eq!(record["authorizations"][0]["category"], "LE");
    assert_eq!(record["specialities"], json!(["Allmennmedisin"]));
    // The GP's list, paged, and each patient's GP is this GP.
    let mut patients = 0;
    let mut cursor = String::new();
    loop {
        let path = format!("/flr/doctors/{hpr}/patients?limit=200&cursor={cursor}");
        let path =
            if cursor.is_empty() { format!("/flr/doctors/{hpr}/patients?limit=200") } else { path };
        let page = ok(call(&s, &auth, Method::GET, &path)).await;
        for p in page["results"].as_array().unwrap() {
            assert_eq!(p["generalPractitionerHprNumber"], hpr);
            patients += 1;
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert!(patients > 300, "a realistic list: {patients}");
    let one =
        ok(call(&s, &auth, Method::GET, &format!("/flr/doctors/{hpr}/patients?limit=1"))).await;
    let patient_nin = one["results"][0]["nin"].as_str().unwrap();
    let theirs =
        ok(form(call(&s, &auth, Method::POST, "/flr/patient"), &[("nin", patient_nin)])).await;
    assert_eq!(theirs["gpHprNr"], json!([hpr]));
    assert_eq!(theirs["generalPractitioner"]["familyName"], gp["familyName"]);
    assert!(theirs["onListSince"].is_string());
    // Residents mostly have a GP; health personnel are found by the flag.
    let residents = count(&s, &auth, json!({"status": ["Resident"]})).await;
    let listed =
        count(&s, &auth, json!({"status": ["Resident"], "hasGeneralPractitioner": true})).await;
    assert!(listed * 100 >= residents * 93, "{listed} of {residents}");
    let personnel = ok(search(
        &s,
        &auth,
        json!({"isHealthPersonnel": true, "isGeneralPractitioner": false, "limit": 1}),
    ))
    .await;
    assert!(personnel["totalCount"].as_i64().unwrap() > 20, "{personnel}");
    // Not found, and bad numbers.
    problem(call(&s, &auth, Method::GET, "/hpr/123").send().await.unwrap(), 404).await;
    let p = problem(call(&s, &auth, Method::GET, "/hpr/12x").send().await.unwrap(), 400).await;
    assert_eq!(p["member"], "hprNumber");
    let nurse = personnel["results"][0]["hprNumber"].as_str().unwrap();
    problem(
        call(&s, &auth, Method::GET, &format!("/flr/doctors/{nurse}/patients"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // A reserved person has no GP (reserved persons are not in the registers).
    let (_, nin) = reserve(&s, &auth, json!({})).await;
    let none = ok(form(call(&s, &auth, Method::POST, "/flr/patient"), &[("nin", &nin)])).await;
    assert_eq!(none["gpHprNr"], json!([]));
    s.stop().await;
}

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
