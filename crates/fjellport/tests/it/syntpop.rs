//! The SyntPop API through the real gateway, in every version: reads, search, reservations.

use fjellport_auth::forge::{ProofFor, proof};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    AFTER_SUNSET, BEFORE_SUNSET, Client, TestServer, client, config, now, problem,
};

pub(crate) const PERSONS: usize = 1500;

pub(crate) async fn server(clock: &str) -> TestServer {
    TestServer::start(fjellport::config::Config {
        persons: PERSONS,
        ..config("sqlite::memory:", clock)
    })
    .await
}

/// How a call authenticates: each SyntPop version's way.
pub(crate) enum Auth<'a> {
    V01(&'a str),
    V02(&'a str),
    /// The client, and the instant its proofs say they were made (the server's frozen clock).
    V10(&'a Client, i64),
}

pub(crate) fn call(
    s: &TestServer,
    auth: &Auth<'_>,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
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

pub(crate) async fn ok(req: reqwest::RequestBuilder) -> Value {
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn search(s: &TestServer, auth: &Auth<'_>, body: Value) -> reqwest::RequestBuilder {
    call(s, auth, Method::POST, "/search").json(&body)
}

pub(crate) async fn count(s: &TestServer, auth: &Auth<'_>, body: Value) -> i64 {
    ok(call(s, auth, Method::POST, "/search/match-count").json(&body)).await["matchCount"]
        .as_i64()
        .unwrap()
}

pub(crate) fn form(
    req: reqwest::RequestBuilder,
    fields: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let body: String =
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    req.header("content-type", "application/x-www-form-urlencoded").body(body)
}

pub(crate) async fn reserve(s: &TestServer, auth: &Auth<'_>, template: Value) -> (String, String) {
    let p = ok(call(s, auth, Method::POST, "/reserved-persons").json(&template)).await;
    let nin = p["norwegianIdentificationNumber"][0]["identificationNumber"].as_str().unwrap();
    (p["id"].as_str().unwrap().to_owned(), nin.to_owned())
}

pub(crate) fn patch(
    s: &TestServer,
    auth: &Auth<'_>,
    id: &str,
    body: Value,
) -> reqwest::RequestBuilder {
    call(s, auth, Method::PATCH, &format!("/reserved-persons/{id}"))
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
}

pub(crate) async fn read(s: &TestServer, auth: &Auth<'_>, id: &str, history: bool) -> Value {
    ok(call(
        s,
        auth,
        Method::GET,
        &format!("/persons/{id}?informationParts=All&includeHistory={history}"),
    ))
    .await
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
