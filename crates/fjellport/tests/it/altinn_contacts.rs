//! An organization's notification addresses in Altinn's profile
//! (`{orgNo}/profile/contactinformation`): listed, added (an e-mail address or a mobile number,
//! undeliverable), read, deleted, with Altinn's reason phrases, by key roles only.

use serde_json::{Value, json};

use crate::altinn_enduser::{setup, token};
use crate::support::{problem, status_line};

#[tokio::test]
async fn a_key_role_holder_adds_reads_and_deletes_an_organizations_notification_addresses() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let path = format!("/{orgnr}/profile/contactinformation");
    let list: Value = crate::support::json(u.get(&path, &t)).await;
    assert_eq!(list, json!([]), "none yet");

    // Added: Altinn's own reason phrase.
    let auth = format!("Bearer {t}");
    let headers = [
        ("ApiKey", u.key.as_str()),
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let line = status_line(
        &u.s,
        "POST",
        &format!("/altinn/api{path}"),
        &headers,
        r#"{"Email":"post@firma.test"}"#,
    )
    .await;
    assert_eq!(line, "HTTP/1.1 204 Contact Information Created");
    let post = |body: Value| {
        u.s.http
            .post(u.s.url(&format!("/altinn/api{path}")))
            .header("ApiKey", &u.key)
            .bearer_auth(&t)
            .json(&body)
    };
    assert_eq!(post(json!({"MobileNumber": "+4701234567"})).send().await.unwrap().status(), 204);
    let list: Value = crate::support::json(u.get(&path, &t)).await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["Email"], "post@firma.test");
    assert_eq!(items[1]["MobileNumber"], "+4701234567");
    assert!(items[0]["Name"].as_str().is_some_and(|n| !n.is_empty()), "who registered it");
    let id = items[0]["Id"].as_i64().unwrap();
    let one: Value = crate::support::json(u.get(&format!("{path}/{id}"), &t)).await;
    assert_eq!(one, items[0]);
    let profile: Value = crate::support::json(u.get(&format!("/{orgnr}/profile"), &t)).await;
    assert_eq!(profile["Email"], "post@firma.test");
    assert_eq!(profile["MobileNumber"], "+4701234567");
    assert!(profile["_links"]["contactinformation"]["href"].as_str().unwrap().ends_with(&path));

    // Every bad input: 400 naming the member, nothing stored.
    for (body, member) in [
        (json!({"Email": "a@x.test", "MobileNumber": "+4701234567"}), "Email"),
        (json!({}), "Email"),
        (json!({"Email": "someone@example.com"}), "Email"),
        (json!({"Email": "not an address"}), "Email"),
        (json!({"MobileNumber": "+4791234567"}), "MobileNumber"),
        (json!({"Phone": "+4701234567"}), "Phone"),
    ] {
        let p = problem(post(body.clone()).send().await.unwrap(), 400).await;
        assert_eq!(p["member"], member, "{body}: {p}");
    }
    assert_eq!(crate::support::json(u.get(&path, &t)).await.as_array().unwrap().len(), 2);

    // Deleted, with its reason phrase; then gone.
    let line =
        status_line(&u.s, "DELETE", &format!("/altinn/api{path}/{id}"), &headers[..2], "").await;
    assert_eq!(line, "HTTP/1.1 204 Contact Information Deleted");
    problem(u.get(&format!("{path}/{id}"), &t).send().await.unwrap(), 404).await;
    let again =
        u.s.http
            .delete(u.s.url(&format!("/altinn/api{path}/{id}")))
            .header("ApiKey", &u.key)
            .bearer_auth(&t);
    problem(again.send().await.unwrap(), 404).await;
    problem(u.get(&format!("{path}/abc"), &t).send().await.unwrap(), 400).await;

    // Someone without a role there: 403, for reading and writing.
    let other = token(&u.s, &u.loner, "altinn:enduser").await;
    problem(u.get(&path, &other).send().await.unwrap(), 403).await;
    let res =
        u.s.http
            .post(u.s.url(&format!("/altinn/api{path}")))
            .header("ApiKey", &u.key)
            .bearer_auth(&other)
            .json(&json!({"Email": "x@y.test"}))
            .send()
            .await
            .unwrap();
    problem(res, 403).await;
    // A token without the profile scopes or altinn:enduser.
    let narrow = token(&u.s, &nin, "altinn:instances.read").await;
    problem(u.get(&path, &narrow).send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn only_a_key_role_changes_them_and_a_persons_own_profile_has_none() {
    let u = setup().await;
    let db = u._db.1.clone();
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    let minor: Option<(String, String)> = sqlx::query_as(
        "SELECT r.nin, MIN(r.orgnr) FROM organization_roles r JOIN persons p ON p.nin = r.nin \
         WHERE p.status = 'Resident' GROUP BY r.nin \
         HAVING COUNT(*) = 1 AND MIN(r.role) NOT IN ('DAGL', 'LEDE', 'INNH', 'DTPR', 'DTSO') \
         ORDER BY r.nin LIMIT 1",
    )
    .fetch_optional(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let (nin, orgnr) = minor.expect("a person with a role that is not a key role");
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let path = format!("/altinn/api/{orgnr}/profile/contactinformation");
    let list: Value =
        crate::support::json(u.s.get(&path).header("ApiKey", &u.key).bearer_auth(&t)).await;
    assert_eq!(list, json!([]), "reading is for anyone who may act for it");
    let res =
        u.s.http
            .post(u.s.url(&path))
            .header("ApiKey", &u.key)
            .bearer_auth(&t)
            .json(&json!({"Email": "x@y.test"}))
            .send()
            .await
            .unwrap();
    let p = problem(res, 403).await;
    assert!(p["detail"].as_str().unwrap().contains("key role"), "{p}");
    // A person's own number is not an organization.
    let (holder, _) = u.holder.clone();
    let own = token(&u.s, &holder, "altinn:enduser").await;
    let res =
        u.s.get(&format!("/altinn/api/{holder}/profile/contactinformation"))
            .header("ApiKey", &u.key)
            .bearer_auth(&own);
    problem(res.send().await.unwrap(), 400).await;
}
