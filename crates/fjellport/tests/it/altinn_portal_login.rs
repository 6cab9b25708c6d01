//! Altinn's legacy redirect (`altinn.login_redirect`): an end-user call without a login is
//! sent to the portal's login page, whose form sets the `.ASPXAUTH` cookie and sends the
//! browser back to the call.

use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config, problem, temp_db};

#[tokio::test]
async fn without_a_login_a_browser_is_sent_to_the_portal_login_and_back() {
    let (_dir, db) = temp_db("portal.db");
    let mut cfg = fjellport::config::Config { persons: 100, ..config(&db, BEFORE_SUNSET) };
    cfg.altinn.login_redirect = true;
    let s = TestServer::start(cfg).await;
    let (_, key) = s.key(json!({"api": "altinn", "type": "other"})).await;
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    let (nin,): (String,) =
        sqlx::query_as("SELECT nin FROM persons WHERE status = 'Resident' ORDER BY seq LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // No login: 302 to the login page, naming the call.
    let call = "/altinn/api/my/messages?$top=5";
    let res = browser.get(s.url(call)).header("ApiKey", &key).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        "/altinn/ui/authentication?goTo=%2Faltinn%2Fapi%2Fmy%2Fmessages%3F%24top%3D5"
    );
    // A wrong token is still 401 (the redirect is for calls without any login).
    let res =
        browser.get(s.url(call)).header("ApiKey", &key).bearer_auth("nope").send().await.unwrap();
    problem(res, 401).await;

    // The page: a form with its own token (a cookie of the page).
    let page = browser.get(s.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let form_cookie =
        page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains("<label for=\"UserName\">Identity number</label>"));
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    let post = |fields: Vec<(&str, &str)>, cookie: Option<&str>| {
        let body =
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let req = browser
            .post(s.url("/altinn/ui/authentication"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        match cookie {
            Some(c) => req.header("cookie", c.to_owned()),
            None => req,
        }
    };
    let go_to = "/altinn/api/my/messages?$top=5";
    let fields = |password: &'static str, token: &str| {
        vec![
            ("csrf", token.to_owned()),
            ("goTo", go_to.to_owned()),
            ("UserName", nin.clone()),
            ("UserPassword", password.to_owned()),
        ]
    };
    // Without the page's cookie (a form from elsewhere): refused.
    let f = fields("Test1234", &csrf);
    let res = post(f.iter().map(|(k, v)| (*k, v.as_str())).collect(), None).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // A wrong password: the page again, 401.
    let f = fields("wrong", &csrf);
    let res = post(f.iter().map(|(k, v)| (*k, v.as_str())).collect(), Some(&form_cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("is wrong"));
    // The right one: the cookie, and back to the call.
    let f = fields("Test1234", &csrf);
    let res = post(f.iter().map(|(k, v)| (*k, v.as_str())).collect(), Some(&form_cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], go_to);
    let login = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(login.starts_with(".ASPXAUTH="), "{login}");
    let res = browser
        .get(s.url(go_to))
        .header("ApiKey", &key)
        .header("cookie", &login)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["_embedded"]["messages"].is_array(), "{body}");

    // goTo is only ever a path of the API.
    let page = browser
        .get(s.url("/altinn/ui/authentication?goTo=https%3A%2F%2Fevil.test%2F"))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("value=\"/altinn/api/my/messages\""));
    s.stop().await;
}

#[tokio::test]
async fn by_default_a_call_without_a_login_is_a_bearer_challenge() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let (_, key) = s.key(json!({"api": "altinn", "type": "other"})).await;
    let res = s.get("/altinn/api/my/messages").header("ApiKey", &key).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    s.stop().await;
}
