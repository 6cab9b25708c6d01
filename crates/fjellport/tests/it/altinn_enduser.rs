//! Altinn's end-user side: who is logged in (an ID-porten token, or the password login's
//! `.ASPXAUTH` cookie, beside the key), whom they may act for (themselves and the organizations
//! where they hold an Enhetsregister role), and their profile.

use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config, problem, temp_db};

pub(crate) struct EndUsers {
    pub s: TestServer,
    pub key: String,
    /// A person with exactly one role there, a key role (DAGL or INNH), and that organization's
    /// number.
    pub holder: (String, String),
    /// A living person without any role.
    pub loner: String,
    /// The database (kept while the server runs) and its URL.
    pub _db: (tempfile::TempDir, String),
}

pub(crate) async fn setup() -> EndUsers {
    let (dir, db) = temp_db("enduser.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 600, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (_, key) = s.key(json!({"api": "altinn", "type": "other"})).await;
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    let holder: (String, String) = sqlx::query_as(
        "SELECT r.nin, MIN(r.orgnr) FROM organization_roles r JOIN persons p ON p.nin = r.nin \
         WHERE p.status = 'Resident' GROUP BY r.nin \
         HAVING COUNT(*) = 1 AND MIN(r.role) IN ('DAGL', 'INNH') ORDER BY r.nin LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let (loner,): (String,) = sqlx::query_as(
        "SELECT nin FROM persons WHERE status = 'Resident' AND birth_date < '2000-01-01' AND \
         nin NOT IN (SELECT nin FROM organization_roles) ORDER BY seq LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    EndUsers { s, key, holder, loner, _db: (dir, db) }
}

/// An ID-porten-like token for the person `pid` with `scope`.
pub(crate) async fn token(s: &TestServer, pid: &str, scope: &str) -> String {
    let res: Value = crate::support::json(
        s.http
            .post(s.url("/idporten/test-token"))
            .json(&json!({"claims": {"pid": pid, "scope": scope}})),
    )
    .await;
    assert_eq!(res["token_type"], "Bearer", "{res}");
    res["access_token"].as_str().unwrap().to_owned()
}

impl EndUsers {
    pub(crate) fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.s.get(&format!("/altinn/api{path}")).header("ApiKey", &self.key).bearer_auth(token)
    }
}

#[tokio::test]
async fn a_person_acts_for_themselves_and_the_organizations_where_they_hold_a_role() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get("/reportees", &t)).await;
    let reportees = list["_embedded"]["reportees"].as_array().unwrap();
    assert_eq!(reportees.len(), 2, "{list}");
    let (me, org) = (&reportees[0], &reportees[1]);
    assert_eq!((&me["Type"], &me["SocialSecurityNumber"]), (&json!("Person"), &json!(nin)));
    assert_eq!(org["OrganizationNumber"], orgnr.as_str());
    for r in reportees {
        let id = r["ReporteeId"].as_str().unwrap();
        assert!(id.starts_with('r') && id[1..].parse::<u64>().is_ok(), "{r}");
        assert!(
            r["_links"]["messages"]["href"].as_str().unwrap().ends_with(&format!("/{id}/messages"))
        );
        let one: Value = crate::support::json(u.get(&format!("/reportees/{id}"), &t)).await;
        assert_eq!(&one["ReporteeId"], &r["ReporteeId"]);
    }
    // The same ids on the next call (stable), and the organization by number.
    let again: Value = crate::support::json(u.get("/reportees", &t)).await;
    assert_eq!(again, list);
    let one: Value = crate::support::json(u.get(&format!("/organizations/{orgnr}"), &t)).await;
    assert_eq!(one["OrganizationNumber"], orgnr.as_str());
    let orgs: Value = crate::support::json(u.get("/organizations", &t)).await;
    assert_eq!(orgs["_embedded"]["organizations"].as_array().unwrap().len(), 1, "{orgs}");
    // A service for private persons only: just the person.
    let private: Value = crate::support::json(u.get("/reportees?serviceCode=4936", &t)).await;
    assert_eq!(private["_embedded"]["reportees"].as_array().unwrap().len(), 1, "{private}");

    // Someone without roles has only themselves, and may not act for the organization.
    let other = token(&u.s, &u.loner, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get("/reportees", &other)).await;
    assert_eq!(list["_embedded"]["reportees"].as_array().unwrap().len(), 1, "{list}");
    let res = u.get(&format!("/organizations/{orgnr}"), &other).send().await.unwrap();
    problem(res, 403).await;
    let res = u.get(&format!("/reportees/{}", org["ReporteeId"].as_str().unwrap()), &other);
    problem(res.send().await.unwrap(), 403).await;
    for (path, status) in [
        ("/reportees/nobody", 400),
        ("/reportees/974760674", 400),
        ("/organizations/12345", 400),
        ("/reportees?serviceCode=9999", 400),
        ("/reportees?frobnicate=1", 400),
    ] {
        problem(u.get(path, &t).send().await.unwrap(), status).await;
    }
    u.s.stop().await;
}

#[tokio::test]
async fn without_a_login_the_call_is_401_with_a_bearer_challenge() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let res = u.s.get("/altinn/api/reportees").header("ApiKey", &u.key).send().await.unwrap();
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let p = problem(res, 401).await;
    assert!(p["detail"].as_str().unwrap().contains("authenticatewithpassword"), "{p}");
    // Tokens this API does not take: another issuer's, a made-up one, one without a person.
    let maskinporten: Value = crate::support::json(
        u.s.http.post(u.s.url("/maskinporten/test-token")).json(&json!({"claims": {}})),
    )
    .await;
    let foreign = maskinporten["access_token"].as_str().unwrap();
    let nobody: Value = crate::support::json(
        u.s.http
            .post(u.s.url("/idporten/test-token"))
            .json(&json!({"claims": {"scope": "altinn:enduser"}})),
    )
    .await;
    for bad in [foreign, "not-a-token", nobody["access_token"].as_str().unwrap()] {
        problem(u.get("/reportees", bad).send().await.unwrap(), 401).await;
    }
    // A token whose scopes do not cover the call: Altinn's "Missing required scope".
    let narrow = token(&u.s, &nin, "altinn:instances.read").await;
    let p = problem(u.get("/reportees", &narrow).send().await.unwrap(), 401).await;
    assert!(p["detail"].as_str().unwrap().contains("Missing required scope"), "{p}");
    let scoped = token(&u.s, &nin, "altinn:reportees").await;
    assert_eq!(u.get("/reportees", &scoped).send().await.unwrap().status(), 200);
    // The key is still needed first.
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let res = u.s.get("/altinn/api/reportees").bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.status(), 400);
    u.s.stop().await;
}

#[tokio::test]
async fn a_password_login_sets_a_cookie_that_later_calls_carry() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let login = |name: &str, password: &str| {
        u.s.http
            .post(u.s.url("/altinn/api/authentication/authenticatewithpassword"))
            .header("ApiKey", &u.key)
            .header("content-type", "application/hal+json")
            .json(&json!({"UserName": name, "UserPassword": password}))
    };
    let res = login(&nin, "Test1234").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.starts_with(".ASPXAUTH=") && set.contains("HttpOnly"), "{set}");
    let cookie = set.split(';').next().unwrap().to_owned();
    let profile =
        u.s.get("/altinn/api/my/profile").header("ApiKey", &u.key).header("cookie", &cookie);
    let profile: Value = crate::support::json(profile).await;
    assert!(profile["Name"].as_str().unwrap().chars().all(|c| !c.is_lowercase()), "{profile}");
    let email = profile["ContactInformation"]["Email"].as_str().unwrap_or("x@y.test");
    assert!(email.ends_with(".test"), "synthetic addresses stay undeliverable: {profile}");
    let list = u.s.get("/altinn/api/reportees").header("ApiKey", &u.key).header("cookie", &cookie);
    let list: Value = crate::support::json(list).await;
    assert_eq!(list["_embedded"]["reportees"][0]["SocialSecurityNumber"], nin.as_str());
    // The cookie's value is not a Bearer token.
    let value = cookie.trim_start_matches(".ASPXAUTH=");
    problem(u.get("/reportees", value).send().await.unwrap(), 401).await;
    // Wrong password, unknown person, a body that is not Altinn's: refused, no cookie.
    for (name, password, status) in
        [(nin.as_str(), "wrong", 401), ("01010100000", "Test1234", 401), ("abc", "Test1234", 401)]
    {
        let res = login(name, password).send().await.unwrap();
        assert!(res.headers().get("set-cookie").is_none());
        problem(res, status).await;
    }
    let res =
        u.s.http
            .post(u.s.url("/altinn/api/authentication/authenticatewithpassword"))
            .header("ApiKey", &u.key)
            .json(&json!({"UserName": nin, "Password": "Test1234"}))
            .send()
            .await
            .unwrap();
    problem(res, 400).await;
    u.s.stop().await;
}

#[tokio::test]
async fn reportee_conversion_finds_an_id_by_number_and_name() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get("/reportees", &t)).await;
    let (me, org) = (&list["_embedded"]["reportees"][0], &list["_embedded"]["reportees"][1]);
    let convert = |body: Value| {
        u.s.http
            .post(u.s.url("/altinn/api/reportees/ReporteeConversion"))
            .header("ApiKey", &u.key)
            .bearer_auth(&t)
            .json(&body)
    };
    let family = me["Name"].as_str().unwrap().rsplit(' ').next().unwrap().to_lowercase();
    let found: Value = convert(json!({"SocialSecurityNumber": nin, "LastName": family}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["ReporteeId"], me["ReporteeId"]);
    let name = org["Name"].as_str().unwrap();
    let found: Value =
        crate::support::json(convert(json!({"OrganizationNumber": orgnr, "Name": name}))).await;
    assert_eq!(found["ReporteeId"], org["ReporteeId"]);
    for (body, status) in [
        (json!({"SocialSecurityNumber": nin, "LastName": "Zzzzz"}), 403),
        (json!({"OrganizationNumber": "974761076", "Name": "Skatteetaten"}), 403),
        (json!({"SocialSecurityNumber": nin}), 400),
        (
            json!({"SocialSecurityNumber": nin, "LastName": family, "OrganizationNumber": orgnr, "Name": name}),
            400,
        ),
    ] {
        problem(convert(body.clone()).send().await.unwrap(), status).await;
    }
    u.s.stop().await;
}

#[tokio::test]
async fn an_organizations_profile_comes_from_the_register_for_those_who_act_for_it() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get("/organizations", &t)).await;
    let name = list["_embedded"]["organizations"][0]["Name"].clone();
    let profile: Value = crate::support::json(u.get(&format!("/{orgnr}/profile"), &t)).await;
    assert_eq!(profile["Entity"], name, "{profile}");
    assert!(profile["BusinessPostCode"].as_str().is_some_and(|p| p.len() == 4), "{profile}");
    let other = token(&u.s, &u.loner, "altinn:enduser").await;
    problem(u.get(&format!("/{orgnr}/profile"), &other).send().await.unwrap(), 403).await;
    problem(u.get("/1234/profile", &t).send().await.unwrap(), 400).await;
    u.s.stop().await;
}
