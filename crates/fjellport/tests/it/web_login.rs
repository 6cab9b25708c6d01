//! Logging in to the web app: an OpenID Connect login through the ID-porten-like issuer's
//! test login page (authorization code with PKCE, `state`, `nonce`), kept in an `HttpOnly`,
//! `SameSite=Lax` cookie, ended by "Log out"; over HTTP, as a browser without JavaScript
//! does it (each redirect looked at).

use std::collections::BTreeMap;

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};

/// A browser that follows no redirect and keeps the web app's session cookie.
pub(crate) struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
}

/// What an answer said, with its `Location` and the session cookie it set (if any).
pub(crate) struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub body: String,
}

impl Browser {
    pub(crate) fn new(s: &TestServer) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build();
        Browser { http: http.unwrap(), base: s.base.clone(), cookie: None }
    }

    fn url(&self, to: &str) -> String {
        if to.starts_with("http") { to.to_owned() } else { format!("{}{to}", self.base) }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let req = match &self.cookie {
            Some(c) => req.header("cookie", format!("fjellport_session={c}")),
            None => req,
        };
        let res = req.send().await.unwrap();
        let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        let (location, set_cookie) = (header("location"), header("set-cookie"));
        if let Some(sc) = &set_cookie {
            let value = sc.split(';').next().unwrap().trim_start_matches("fjellport_session=");
            self.cookie = (!value.is_empty()).then(|| value.to_owned());
        }
        Answer {
            status: res.status().as_u16(),
            location,
            set_cookie,
            body: res.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, to: &str) -> Answer {
        let req = self.http.get(self.url(to));
        self.send(req).await
    }

    pub(crate) async fn post(&mut self, to: &str, form: &[(&str, &str)]) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let req = self
            .http
            .post(self.url(to))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// Logs `nin` in from `start` (a page that sends anonymous visitors to the login);
    /// returns where the login ended (the page it came back to).
    pub(crate) async fn log_in(&mut self, start: &str, nin: &str) -> Answer {
        let mut at = self.get(start).await;
        // Anonymous: the page → /login → the issuer's login page.
        while at.status == 303 && !at.location.as_deref().unwrap().contains("/authorize") {
            let to = at.location.clone().unwrap();
            at = self.get(&to).await;
        }
        let authorize = at.location.clone().expect("sent to the issuer");
        let page = self.get(&authorize).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let mut form: Vec<(String, String)> = query(&authorize).into_iter().collect();
        form.extend(
            [("pid", nin), ("level", "idporten-loa-substantial"), ("action", "login")]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let back = self.post(authorize.split('?').next().unwrap(), &pairs).await;
        assert_eq!(back.status, 303, "{}", back.body);
        let callback = back.location.unwrap();
        assert!(callback.contains("/login/callback?"), "{callback}");
        self.get(&callback).await
    }

    /// The page's CSRF token (every form of a session carries the same).
    pub(crate) fn csrf(html: &str) -> String {
        let at = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF token");
        html[at + 19..].split('"').next().unwrap().to_owned()
    }
}

/// A URL's query parameters.
pub(crate) fn query(url: &str) -> BTreeMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// A resident Test-Norge person who holds a role in an organization: `(nin, name, orgnr)`.
pub(crate) async fn person_with_a_role(db: &str) -> (String, String, String) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(db).await.unwrap();
    let row: (String, String, String, String) = sqlx::query_as(
        "SELECT p.nin, p.given_name, p.family_name, r.orgnr FROM persons p \
         JOIN organization_roles r ON r.nin = p.nin \
         WHERE p.status = 'Resident' AND p.origin = 'TestNorge' ORDER BY p.seq LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    (row.0, format!("{} {}", row.1, row.2), row.3)
}

#[tokio::test]
async fn an_anonymous_visit_to_keys_lands_on_the_login_and_comes_back_logged_in() {
    let (_dir, db) = temp_db("web-login.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 200, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (nin, name, _) = person_with_a_role(&db).await;
    let mut b = Browser::new(&s);

    let keys = b.get("/keys").await;
    assert_eq!(keys.status, 303);
    assert_eq!(keys.location.as_deref(), Some("/login?next=%2Fkeys"));
    // Every page but Home sends an anonymous visitor to the login, and back afterwards.
    for (page, next) in [
        ("/clients", "%2Fclients"),
        ("/persons?gender=Female&search=1", "%2Fpersons%3Fgender%3DFemale%26search%3D1"),
        ("/persons/reserve", "%2Fpersons%2Freserve"),
        ("/events", "%2Fevents"),
        ("/altinn", "%2Faltinn"),
        ("/logout", ""),
    ] {
        let res = b.get(page).await;
        assert_eq!(res.status, 303, "{page}");
        let want = if next.is_empty() { "/".to_owned() } else { format!("/login?next={next}") };
        assert_eq!(res.location.as_deref(), Some(want.as_str()), "{page}");
    }
    for form in ["/keys", "/clients", "/persons/reserve", "/logout"] {
        assert_eq!(b.post(form, &[("csrf", "x")]).await.status, 403, "{form}: no session");
    }

    let start = b.get("/login?next=%2Fkeys").await;
    assert_eq!(start.status, 303);
    let cookie = start.set_cookie.clone().unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=600"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
    let authorize = start.location.clone().unwrap();
    let q = query(&authorize);
    assert!(authorize.starts_with("/idporten/authorize?"), "{authorize}");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], s.url("/login/callback"));
    assert!(q["scope"].split(' ').any(|sc| sc == "openid"));
    assert!(q["state"].len() >= 32 && q["nonce"].len() >= 32, "unguessable: {q:?}");
    let page = b.get(&authorize).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Log in to Fjellport&#39;s web app"), "{}", page.body);

    // The whole round trip, back to /keys.
    let mut b = Browser::new(&s);
    let back = b.log_in("/keys", &nin).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location.as_deref(), Some("/keys"));
    let session = b.cookie.clone().unwrap();
    assert!(back.set_cookie.unwrap().contains("Max-Age=7200"));
    let keys = b.get("/keys").await;
    assert_eq!(keys.status, 200, "{}", keys.body);
    assert!(keys.body.contains(&format!("Logged in as {name}")), "{}", keys.body);
    assert!(keys.body.contains("<a href=\"/logout\">Log out</a>"));
    let confirm = b.get("/logout").await;
    assert_eq!(confirm.status, 200, "a link alone does not log out");
    assert!(confirm.body.contains(">Log out</button>"));
    assert!(!keys.body.contains(">Log in</a>"));
    let home = b.get("/").await;
    assert!(home.body.contains(&format!("Logged in as {name}")));

    // A second server on the same database (a replica) knows the session.
    let replica = TestServer::start(config(&db, BEFORE_SUNSET)).await;
    let mut other = Browser::new(&replica);
    other.cookie = Some(session.clone());
    assert_eq!(other.get("/keys").await.status, 200, "sessions live in the store");

    // Logging out needs the form's token; then the session is over everywhere.
    let csrf = Browser::csrf(&keys.body);
    let refused = b.post("/logout", &[]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(b.get("/keys").await.status, 200, "still logged in");
    let out = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/"));
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
    let mut stale = Browser::new(&s);
    stale.cookie = Some(session.clone());
    assert_eq!(stale.get("/keys").await.status, 303, "the old cookie no longer logs in");
    other.cookie = Some(session);
    assert_eq!(other.get("/keys").await.status, 303, "nor on the replica");
    replica.stop().await;
    s.stop().await;
}

#[tokio::test]
async fn a_callback_that_is_not_this_browsers_login_logs_no_one_in() {
    let (_dir, db) = temp_db("web-callback.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 100, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (nin, _, _) = person_with_a_role(&db).await;

    // Another state than the one this browser's login sent.
    let mut b = Browser::new(&s);
    let start = b.get("/login").await;
    let state = query(start.location.as_deref().unwrap())["state"].clone();
    let forged = b.get("/login/callback?code=abc&state=not-the-state").await;
    assert_eq!(forged.status, 400);
    assert!(forged.body.contains("state differs"), "{}", forged.body);
    assert_eq!(
        b.get(&format!("/login/callback?code=abc&state={state}")).await.status,
        400,
        "that login is over after a wrong answer"
    );

    // No login under way in this browser (a code sent to someone else's browser).
    let mut victim = Browser::new(&s);
    let back = victim.log_in("/keys", &nin).await;
    assert_eq!(back.status, 303);
    let mut attacker = Browser::new(&s);
    let start = attacker.get("/login").await;
    let callback = format!(
        "/login/callback?code=x&state={}",
        query(start.location.as_deref().unwrap())["state"]
    );
    let spent = attacker.get(&callback).await;
    assert_eq!(spent.status, 400, "an unknown code: {}", spent.body);
    assert!(spent.body.contains("invalid_grant"), "{}", spent.body);
    assert_eq!(attacker.get("/keys").await.status, 303, "not logged in");

    // An error from the issuer (the person pressed Cancel) is shown, not followed.
    let mut c = Browser::new(&s);
    let start = c.get("/login").await;
    let state = query(start.location.as_deref().unwrap())["state"].clone();
    let cancelled = c
        .get(&format!(
            "/login/callback?error=access_denied&error_description=cancelled&state={state}"
        ))
        .await;
    assert_eq!(cancelled.status, 400);
    assert!(cancelled.body.contains("access_denied"), "{}", cancelled.body);

    // `next` is only ever a path here.
    let mut d = Browser::new(&s);
    let start = d.get("/login?next=https%3A%2F%2Fevil.test%2F").await;
    assert_eq!(start.status, 303);
    let back = d.log_in("/login?next=%2F%2Fevil.test", &nin).await;
    assert_eq!(back.location.as_deref(), Some("/"), "an outside next is dropped");
    s.stop().await;
}

#[tokio::test]
async fn behind_an_https_public_url_the_session_cookie_is_secure() {
    let s = TestServer::start(fjellport::config::Config {
        public_url: Some("https://fjellport.example.test".into()),
        ..config("sqlite::memory:", BEFORE_SUNSET)
    })
    .await;
    let mut b = Browser::new(&s);
    let start = b.get("/login").await;
    assert_eq!(start.status, 303);
    let cookie = start.set_cookie.unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let q = query(start.location.as_deref().unwrap());
    assert_eq!(q["redirect_uri"], "https://fjellport.example.test/login/callback");
    s.stop().await;
}
