//! The web app's API keys page: ordering a key with the same rules as the CLI and the admin
//! API (an error beside its field, nothing stored), the secret shown once, CORS for a browser
//! key from its origins only, "Revoke" refused at once, and CSRF.

use serde_json::Value;

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};
use crate::web_login::{Browser, person_with_a_role};

const APP: &str = "http://localhost:5173";

async fn keys_in_store(s: &TestServer) -> Vec<Value> {
    let res = s.admin(reqwest::Method::GET, "/keys").send().await.unwrap();
    res.json().await.unwrap()
}

/// The value of the element labelled "Secret" (`<input id="secret" … value="…">`).
fn secret_on(html: &str) -> Option<String> {
    let at = html.find("id=\"secret\"")?;
    let rest = &html[at..];
    let v = rest.find("value=\"")?;
    Some(rest[v + 7..].split('"').next()?.to_owned())
}

/// The error shown beside `field`, if any.
fn error_beside(html: &str, field: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{field}-error\" class=\"error\">"))?;
    let rest = &html[at..];
    Some(rest[rest.find('>')? + 1..].split('<').next()?.to_owned())
}

#[tokio::test]
async fn a_person_orders_a_browser_key_uses_it_from_its_origin_and_revokes_it() {
    let (_dir, db) = temp_db("web-keys.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 200, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (nin, _, orgnr) = person_with_a_role(&db).await;
    let mut b = Browser::new(&s);
    b.log_in("/keys", &nin).await;
    let page = b.get("/keys").await;
    assert_eq!(page.status, 200);
    for label in [
        "API",
        "Application type",
        "Allowed origins",
        "Expires",
        "Rate limit",
        "Owner",
        "Self-declaration",
    ] {
        assert!(page.body.contains(&format!(">{label}</label>")), "no field labelled {label}");
    }
    assert!(
        page.body.contains(&format!("value=\"{orgnr}\"")),
        "the person's organization is an owner"
    );
    assert!(
        page.body.contains("Nettleserapplikasjon (browser)") && page.body.contains("Annet (other)")
    );
    let csrf = Browser::csrf(&page.body);
    let before = keys_in_store(&s).await.len();

    // Each broken rule: 400, the error beside its field, nothing stored.
    let form = |edit: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, String)> = vec![
            ("csrf", csrf.clone()),
            ("api", "syntpop".into()),
            ("type", "browser".into()),
            ("origins", APP.into()),
            ("expires", "".into()),
            ("rate_limit", "".into()),
            ("owner", nin.clone()),
        ];
        for (k, v) in edit {
            f.retain(|(name, _)| name != k);
            f.push((k, (*v).to_owned()));
        }
        f
    };
    // (fields changed, the field the error is beside, what it says)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 7] = [
        (&[("origins", "")], "origins", "needs at least one origin"),
        (&[("origins", "https://app.test/path")], "origins", "origin"),
        (&[("type", "other")], "origins", "only browser keys have origins"),
        (&[("expires", "2020-01-01")], "expires", "not in the future"),
        (&[("expires", "tomorrow")], "expires", "not a date"),
        (&[("rate_limit", "0")], "rate_limit", "at least 1"),
        (&[("owner", "974760673")], "owner", "one of the organizations you act for"),
    ];
    for (edit, field, says) in cases {
        let f = form(edit);
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = b.post("/keys", &pairs).await;
        assert_eq!(res.status, 400, "{edit:?}");
        let error =
            error_beside(&res.body, field).unwrap_or_else(|| panic!("{edit:?}: {}", res.body));
        assert!(error.to_lowercase().contains(says), "{edit:?}: {error}");
        assert!(res.body.contains(&format!("id=\"{field}\"")), "the field is on the page again");
        assert_eq!(secret_on(&res.body), None, "{edit:?}");
    }
    let altinn = form(&[("api", "altinn"), ("type", "other"), ("origins", "")]);
    let pairs: Vec<(&str, &str)> = altinn.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = b.post("/keys", &pairs).await;
    assert_eq!(res.status, 400);
    assert!(error_beside(&res.body, "self_declaration").unwrap().contains("self-declaration"));
    assert_eq!(keys_in_store(&s).await.len(), before, "nothing was stored");

    // Without the form's CSRF token: 403, nothing stored.
    let f = form(&[]);
    let no_token: Vec<(&str, &str)> =
        f.iter().filter(|(k, _)| *k != "csrf").map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post("/keys", &no_token).await.status, 403);
    let mut wrong = no_token.clone();
    wrong.push(("csrf", "forged"));
    assert_eq!(b.post("/keys", &wrong).await.status, 403);
    assert_eq!(keys_in_store(&s).await.len(), before);

    // A good order: the secret once, the key in the list and in the store, owned by the person.
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let made = b.post("/keys", &pairs).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let secret = secret_on(&made.body).expect("the secret is shown");
    assert!(made.body.contains("<label for=\"secret\">Secret</label>"));
    let stored = keys_in_store(&s).await;
    let key = stored.iter().find(|k| k["owner"] == nin.as_str()).expect("stored for the person");
    assert_eq!(key["type"], "browser");
    assert_eq!(key["origins"][0], APP);
    let id = key["id"].as_str().unwrap().to_owned();
    let again = b.get("/keys").await;
    assert!(again.body.contains(&id), "listed");
    assert!(!again.body.contains(&secret), "the secret is never shown twice");

    // CORS: from its origin the key works; from another it is refused.
    let call = |origin: &'static str| {
        s.get("/syntpop/api/ping")
            .header("X-api-key", &secret)
            .header("X-api-version", "0.2")
            .header("Origin", origin)
            .send()
    };
    let res = call(APP).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], APP);
    // The list says when the key was last used (the gateway notes it within a poll).
    let since = std::time::Instant::now();
    let last_used = loop {
        let got: Value =
            crate::support::json(s.admin(reqwest::Method::GET, &format!("/keys/{id}"))).await;
        if let Some(at) = got["lastUsedAt"].as_str() {
            break at.to_owned();
        }
        assert!(since.elapsed() < std::time::Duration::from_secs(3), "no last use noted: {got}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let listed = b.get("/keys").await;
    assert!(listed.body.contains("<th scope=\"col\">Last used</th>"));
    assert!(listed.body.contains(&format!("<td>{last_used}</td>")), "the key's use is shown");
    let res = call("http://localhost:9999").await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(!res.headers().contains_key("access-control-allow-origin"));

    // Someone else's key cannot be revoked from here.
    let (other, _) =
        s.key(serde_json::json!({"api": "syntpop", "type": "other", "owner": "team"})).await;
    let res = b.post(&format!("/keys/{other}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status, 404);
    assert_eq!(b.post(&format!("/keys/{id}/revoke"), &[]).await.status, 403, "no token");
    assert_eq!(call(APP).await.unwrap().status(), 200, "not revoked without the token");
    // Revoke: refused on the next request here, and within 2 s on a replica.
    let replica = TestServer::start(config(&db, BEFORE_SUNSET)).await;
    let on_replica = || {
        replica
            .get("/syntpop/api/ping")
            .header("X-api-key", &secret)
            .header("X-api-version", "0.2")
            .header("Origin", APP)
            .send()
    };
    assert_eq!(on_replica().await.unwrap().status(), 200);
    let res = b.post(&format!("/keys/{id}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/keys"));
    let revoked = std::time::Instant::now();
    assert_eq!(call(APP).await.unwrap().status(), 401, "a revoked key is refused at once");
    while on_replica().await.unwrap().status() != 401 {
        assert!(
            revoked.elapsed() < std::time::Duration::from_secs(2),
            "the replica still takes it"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    replica.stop().await;
    let listed = b.get("/keys").await;
    assert!(listed.body.contains("revoked"), "{}", listed.body);

    // A key for the organization, with an expiry and a rate limit.
    let f = form(&[
        ("type", "other"),
        ("origins", ""),
        ("owner", ""),
        ("expires", "2030-06-30"),
        ("rate_limit", "5"),
    ]);
    let mut pairs: Vec<(&str, &str)> =
        f.iter().filter(|(k, _)| *k != "owner").map(|(k, v)| (*k, v.as_str())).collect();
    pairs.push(("owner", &orgnr));
    let made = b.post("/keys", &pairs).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let stored = keys_in_store(&s).await;
    let key = stored.iter().find(|k| k["owner"] == orgnr.as_str()).unwrap();
    assert_eq!(key["expiresAt"], "2030-06-30T23:59:59Z");
    assert_eq!(key["rateLimit"], 5);
    s.stop().await;
}
