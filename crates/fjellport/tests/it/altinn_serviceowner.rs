//! The service-owner API's look-ups over the synthetic population and its Enhetsregister.

use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config, problem, temp_db};

/// A server on a file with a small population, a service owner's key and token, and one person
/// who holds a role in an organization (with that organization's number).
async fn setup() -> (TestServer, String, String, (String, String), (tempfile::TempDir, String)) {
    let (dir, db) = temp_db("so.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 600, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (_, key) = s.key(json!({"api": "altinn-serviceowner", "type": "other"})).await;
    let token: Value = crate::support::json(s.http.post(s.url("/maskinporten/test-token")).json(
        &json!({"claims": {"scope": "altinn:serviceowner/reportees altinn:serviceowner/organizations",
                           "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:974761076"}}}),
    ))
    .await;
    let token = token["access_token"].as_str().unwrap().to_owned();
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    // A person with exactly one role (so a service filter's answer is known).
    let held: (String, String) = sqlx::query_as(
        "SELECT nin, MIN(orgnr) FROM organization_roles GROUP BY nin HAVING COUNT(*) = 1 \
         ORDER BY nin LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    (s, key, token, held, (dir, db))
}

#[tokio::test]
async fn reportees_of_a_person_are_the_person_and_the_organizations_of_their_roles() {
    let (s, key, token, (nin, orgnr), (_dir, db)) = setup().await;
    let get = |query: &str| {
        s.get(&format!("/altinn/api/serviceowner/reportees{query}"))
            .header("ApiKey", &key)
            .header("Authorization", format!("Bearer {token}"))
    };
    let res = get(&format!("?subject={nin}&ForceEIAuthentication"))
        .header("Accept", "application/hal+json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/hal+json");
    let body: Value = res.json().await.unwrap();
    let list = body["_embedded"]["reportees"].as_array().unwrap();
    assert_eq!(list[0]["Type"], "Person");
    assert_eq!(list[0]["SocialSecurityNumber"], nin);
    let name = list[0]["Name"].as_str().unwrap();
    assert!(!name.is_empty() && name == name.to_uppercase(), "{name}");
    let org = list.iter().find(|r| r["OrganizationNumber"] == orgnr.as_str()).expect("the org");
    assert!(["Enterprise", "Business"].contains(&org["Type"].as_str().unwrap()), "{org}");
    assert!(org.get("ReporteeId").is_none() && org.get("_links").is_none(), "no ids, no links");
    assert!(body["_links"]["self"]["href"].as_str().unwrap().contains("reportees?subject="));

    // The organization as subject is its own reportee.
    let body: Value = crate::support::json(get(&format!("?subject={orgnr}"))).await;
    assert_eq!(body["_embedded"]["reportees"][0]["OrganizationNumber"], orgnr.as_str());

    // Wrong input names the parameter; unknown numbers are 404.
    for (query, status, member) in [
        ("", 400, "subject"),
        ("?subject=12345", 400, "subject"),
        ("?subject=01010012345", 400, "subject"),
        ("?subject=123456789", 400, "subject"),
        (&*format!("?subject={nin}&serviceCode=4751"), 400, "serviceCode"),
        (&*format!("?subject={nin}&colour=red"), 400, "colour"),
    ] {
        let p = problem(get(query).send().await.unwrap(), status).await;
        assert_eq!(p["member"], member, "{query}: {p}");
    }
    problem(get("?subject=974761076").send().await.unwrap(), 404).await;

    // Narrowed to a service of the calling owner (Skatteetaten): the person for a PRIV service,
    // the organizations where the person holds one of the service's roles otherwise.
    let role: String = {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        let r = sqlx::query_scalar("SELECT role FROM organization_roles WHERE nin = ?")
            .bind(&nin)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        r
    };
    let list = |body: Value| body["_embedded"]["reportees"].as_array().unwrap().clone();
    let own = list(crate::support::json(get(&format!("?subject={nin}&serviceCode=4936"))).await);
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["Type"], "Person");
    let vat = list(
        crate::support::json(get(&format!("?subject={nin}&serviceCode=4419&serviceEdition=1")))
            .await,
    );
    assert!(vat.iter().all(|r| r["Type"] != "Person"), "no PRIV: {vat:?}");
    let expected = usize::from(["DAGL", "REGN", "INNH"].contains(&role.as_str()));
    assert_eq!(vat.len(), expected, "role {role}: {vat:?}");
    // Another owner's service is not Skatteetaten's to ask about; bad filters name themselves.
    problem(get(&format!("?subject={nin}&serviceCode=5562")).send().await.unwrap(), 403).await;
    for (query, member) in [
        (format!("?subject={nin}&serviceCode=4419&serviceEdition=one"), "serviceEdition"),
        (format!("?subject={nin}&serviceEdition=1"), "serviceEdition"),
        (format!("?subject={nin}&roleDefinitionId=11"), "roleDefinitionId"),
    ] {
        let p = problem(get(&query).send().await.unwrap(), 400).await;
        assert_eq!(p["member"], member, "{query}: {p}");
    }
    // Without the organization's token: 401, as for every service-owner call.
    let res = s
        .get(&format!("/altinn/api/serviceowner/reportees?subject={nin}"))
        .header("ApiKey", &key)
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
    s.stop().await;
}

#[tokio::test]
async fn recipients_are_validated_by_altinns_rules_against_the_population() {
    let (s, key, _, (_, orgnr), (_dir, db)) = setup().await;
    // The calling owner's token needs the notifications scope family only.
    let token: Value = crate::support::json(s.http.post(s.url("/maskinporten/test-token")).json(
        &json!({"claims": {"scope": "altinn:serviceowner/notifications.read",
                           "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:974761076"}}}),
    ))
    .await;
    let token = token["access_token"].as_str().unwrap().to_owned();
    let validate = |query: String| {
        s.get(&format!("/altinn/api/serviceowner/notifications/validaterecipient{query}"))
            .header("ApiKey", &key)
            .header("Authorization", format!("Bearer {token}"))
    };
    let answer = |v: &Value| {
        (
            v["inboxAccessible"].as_bool().unwrap(),
            v["canReceiveNotificationBySms"].as_bool().unwrap(),
            v["canReceiveNotificationByEmail"].as_bool().unwrap(),
        )
    };
    let (resident, family, deceased, deceased_family): (String, String, String, String) = {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        let (r, f): (String, String) = sqlx::query_as(
            "SELECT nin, family_name FROM persons WHERE status = 'Resident' ORDER BY seq LIMIT 1",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let (d, df): (String, String) = sqlx::query_as(
            "SELECT nin, family_name FROM persons WHERE status = 'Deceased' ORDER BY seq LIMIT 1",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        (r, f, d, df)
    };
    // What the contact register says of the resident, read through SyntPop's own API.
    let (_, syntpop_key) = s.key(json!({"api": "syntpop", "type": "other"})).await;
    let person: Value = crate::support::json(
        s.http
            .post(s.url(
                "/syntpop/api/persons/get-by-nin?informationParts=CommonContactRegisterInformation",
            ))
            .header("X-api-key", &syntpop_key)
            .header("X-api-version", "0.2")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("nin={resident}")),
    )
    .await;
    let krr = &person["commonContactRegisterInformation"];
    let reserved = krr["reservation"] == "Yes";
    let active = krr["status"] == "Active";
    let phone = krr["contactInformation"]["phoneNumber"].as_str().is_some_and(|p| !p.is_empty());
    let email = krr["contactInformation"]["email"].as_str().is_some_and(|e| !e.is_empty());
    let want = (!reserved, !reserved && active && phone, !reserved && active && email);

    let four: String = family.chars().take(4).collect::<String>().to_uppercase();
    for last in [family.clone(), four, format!("{}zzz", family.chars().take(4).collect::<String>())]
    {
        let v: Value = crate::support::json(validate(format!(
            "?socialSecurityNumber={resident}&lastName={last}"
        )))
        .await;
        assert_eq!(answer(&v), want, "{last}: {v} (register: {krr})");
    }
    let wrong: Value =
        crate::support::json(validate(format!("?socialSecurityNumber={resident}&lastName=Qqqqq")))
            .await;
    assert_eq!(answer(&wrong), (false, false, false), "another last name");
    let dead: Value =
        validate(format!("?socialSecurityNumber={deceased}&lastName={deceased_family}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(answer(&dead), (false, false, false), "deceased");
    // Organizations: reachable when in the register; no official contacts to notify.
    let org: Value = crate::support::json(validate(format!("?organizationNumber={orgnr}"))).await;
    assert_eq!(answer(&org), (true, false, false), "{org}");
    let none: Value = crate::support::json(validate("?organizationNumber=974761076".into())).await;
    assert_eq!(answer(&none), (false, false, false), "not in the synthetic register");
    for (query, member) in [
        (
            format!("?organizationNumber={orgnr}&socialSecurityNumber={resident}&lastName=X"),
            "organizationNumber",
        ),
        (String::new(), "socialSecurityNumber"),
        (format!("?socialSecurityNumber={resident}"), "lastName"),
        ("?socialSecurityNumber=12345678901&lastName=X".into(), "socialSecurityNumber"),
        ("?organizationNumber=123".into(), "organizationNumber"),
        (format!("?organizationNumber={orgnr}&serviceCode=5528"), "serviceEditionCode"),
    ] {
        let p = problem(validate(query.clone()).send().await.unwrap(), 400).await;
        assert_eq!(p["member"], member, "{query}: {p}");
    }
    s.stop().await;
}

#[tokio::test]
async fn an_organization_and_its_personal_contacts_come_from_the_register_and_krr() {
    let (s, key, token, (nin, orgnr), _db) = setup().await;
    let get = |path: String| {
        s.get(&format!("/altinn/api/serviceowner/organizations/{path}"))
            .header("ApiKey", &key)
            .header("Authorization", format!("Bearer {token}"))
    };
    let org: Value = crate::support::json(get(orgnr.clone())).await;
    assert_eq!(org["OrganizationNumber"], orgnr.as_str());
    assert!(["Enterprise", "Business"].contains(&org["Type"].as_str().unwrap()), "{org}");
    let contacts_href = org["_links"]["personalcontacts"]["href"].as_str().unwrap();
    assert!(contacts_href.ends_with(&format!("/organizations/{orgnr}/personalcontacts")));

    let res = get(format!("{orgnr}/personalcontacts")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let contacts = body["_embedded"]["personalcontacts"].as_array().unwrap();
    let mine = contacts
        .iter()
        .find(|c| c["SocialSecurityNumber"] == nin.as_str())
        .expect("the role holder");
    assert!(mine["PersonalContactId"].as_str().unwrap().starts_with('r'), "{mine}");
    assert!(mine["Name"].as_str().is_some_and(|n| !n.is_empty()), "{mine}");
    // Synthetic contact data stays undeliverable: .test addresses and the 01 series.
    if let Some(email) = mine["EMailAddress"].as_str() {
        assert!(email.ends_with(".test"), "{email}");
    }
    if let Some(mobile) = mine["MobileNumber"].as_str() {
        assert!(mobile.starts_with("+4701"), "{mobile}");
    }
    let again: Value = crate::support::json(get(format!("{orgnr}/personalcontacts"))).await;
    assert_eq!(again, body, "stable party ids and order");

    // Each contact's roles link; the holder's one role is there.
    let roles_href = mine["_links"]["roles"]["href"].as_str().unwrap();
    let roles: Value = crate::support::json(
        s.http
            .get(roles_href)
            .header("ApiKey", &key)
            .header("Authorization", format!("Bearer {token}")),
    )
    .await;
    let held: Vec<&str> = roles["_embedded"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RoleDefinitionCode"].as_str().unwrap())
        .collect();
    assert_eq!(held.len(), 1, "{roles}");
    let role = held[0].to_owned();
    assert!(roles["_embedded"]["roles"][0]["_links"]["roledefinition"]["href"].is_string());
    problem(get(format!("{orgnr}/personalcontacts/r1/roles")).send().await.unwrap(), 404).await;
    // Filters: by role, by one of the owner's services.
    let by_role: Value =
        crate::support::json(get(format!("{orgnr}/personalcontacts?roleDefinitionCode={role}")))
            .await;
    let listed = by_role["_embedded"]["personalcontacts"].as_array().unwrap();
    assert!(listed.iter().any(|c| c["SocialSecurityNumber"] == nin.as_str()));
    let other = if role == "REVI" { "MEDL" } else { "REVI" };
    let by_other: Value =
        crate::support::json(get(format!("{orgnr}/personalcontacts?roleDefinitionCode={other}")))
            .await;
    let listed = by_other["_embedded"]["personalcontacts"].as_array().unwrap();
    assert!(!listed.iter().any(|c| c["SocialSecurityNumber"] == nin.as_str()), "{other}");
    problem(
        get(format!("{orgnr}/personalcontacts?roleDefinitionCode=NOPE")).send().await.unwrap(),
        400,
    )
    .await;
    problem(get(format!("{orgnr}/personalcontacts?sort=x")).send().await.unwrap(), 400).await;
    // The Mva-melding (Skatteetaten's, DAGL/REGN/INNH and key roles) as the filter.
    let vat: Value = crate::support::json(get(format!(
        "{orgnr}/personalcontacts?serviceCode=4419&serviceEdition=1"
    )))
    .await;
    let gives = ["DAGL", "REGN", "INNH", "LEDE", "DTPR", "DTSO"].contains(&role.as_str());
    let listed = vat["_embedded"]["personalcontacts"].as_array().unwrap();
    assert_eq!(listed.iter().any(|c| c["SocialSecurityNumber"] == nin.as_str()), gives, "{role}");
    // NAV's A-melding is not Skatteetaten's to ask about.
    problem(
        get(format!("{orgnr}/personalcontacts?serviceCode=5562&serviceEdition=1"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;

    problem(get("123".into()).send().await.unwrap(), 400).await;
    problem(get("974761076".into()).send().await.unwrap(), 404).await;
    problem(get("974761076/personalcontacts".into()).send().await.unwrap(), 404).await;
    s.stop().await;
}
