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
        &json!({"claims": {"scope": "altinn:serviceowner/reportees",
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
    let body: Value = get(&format!("?subject={orgnr}")).send().await.unwrap().json().await.unwrap();
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
    let own = list(
        get(&format!("?subject={nin}&serviceCode=4936"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["Type"], "Person");
    let vat = list(
        get(&format!("?subject={nin}&serviceCode=4419&serviceEdition=1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
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
