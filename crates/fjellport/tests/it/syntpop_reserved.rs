//! SyntPop reserved persons: made to order, owned, edited with history.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, client, now, problem};
use crate::syntpop::{Auth, call, count, form, ok, patch, read, reserve, search, server};

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
