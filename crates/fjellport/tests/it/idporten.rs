//! The ID-porten-like issuer at `/idporten`: the test login page (authorization code with
//! PKCE), the code's single use, the tokens it gives and every refusal, through HTTP as a
//! browser and a client would do it.

use std::collections::BTreeMap;

use fjellport_auth::jose::{Alg, Jws, PublicJwk, SigningKey, sha256_b64};
use fjellport_auth::secret::random_id;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config, now, temp_db};

const REDIRECT: &str = "http://localhost:3000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more";

struct Login {
    s: TestServer,
    /// Follows no redirect: the tests look at each.
    browser: reqwest::Client,
    client_id: String,
    /// `(nin, given name, family name)` of a living person and the number of a deceased one.
    person: (String, String, String),
    deceased: String,
    _db: (tempfile::TempDir, String),
}

async fn setup() -> Login {
    let (dir, db) = temp_db("idp.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 300, ..config(&db, BEFORE_SUNSET) })
            .await;
    let client_id = register(&s, json!({})).await;
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    let person: (String, String, String) = sqlx::query_as(
        "SELECT nin, given_name, family_name FROM persons WHERE status = 'Resident' \
         ORDER BY seq LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let (deceased,): (String,) =
        sqlx::query_as("SELECT nin FROM persons WHERE status = 'Deceased' ORDER BY seq LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build();
    Login { s, browser: browser.unwrap(), client_id, person, deceased, _db: (dir, db) }
}

/// Registers an ID-porten client (public unless `extra` has a `jwk`); returns its id.
async fn register(s: &TestServer, extra: Value) -> String {
    let mut body = json!({"issuer": "idporten", "scopes": ["altinn:enduser", "profile"],
                          "redirect_uris": [REDIRECT], "client_name": "Skatteappen"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let v: Value = res.json().await.unwrap();
    v["client_id"].as_str().unwrap().to_owned()
}

/// A good authorization request for `client_id`, changed by `edit` (an empty value drops
/// the parameter).
fn request(client_id: &str, edit: &[(&str, &str)]) -> BTreeMap<String, String> {
    let challenge = sha256_b64(VERIFIER.as_bytes());
    let mut p: BTreeMap<String, String> = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "openid altinn:enduser"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("state", "state-123"),
        ("nonce", "nonce-456"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in edit {
        if v.is_empty() {
            p.remove(*k);
        } else {
            p.insert((*k).to_owned(), (*v).to_owned());
        }
    }
    p
}

fn encode(p: &BTreeMap<String, String>) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(p).finish()
}

impl Login {
    async fn page(&self, p: &BTreeMap<String, String>) -> (u16, String, Option<String>) {
        let url = format!("{}?{}", self.s.url("/idporten/authorize"), encode(p));
        let res = self.browser.get(url).send().await.unwrap();
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        (res.status().as_u16(), res.text().await.unwrap(), location)
    }

    /// Submits the login form (the request plus `form`); returns status, body and Location.
    async fn submit(
        &self,
        p: &BTreeMap<String, String>,
        form: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let mut all = p.clone();
        for (k, v) in form {
            all.insert((*k).to_owned(), (*v).to_owned());
        }
        let res = self
            .browser
            .post(self.s.url("/idporten/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&all))
            .send()
            .await
            .unwrap();
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        (res.status().as_u16(), res.text().await.unwrap(), location)
    }

    /// Logs the person in for `client_id`; returns the code.
    async fn code(&self, client_id: &str) -> String {
        let p = request(client_id, &[]);
        let form = [("pid", self.person.0.as_str()), ("level", LOA3), ("action", "login")];
        let (status, body, location) = self.submit(&p, &form).await;
        assert_eq!(status, 303, "{body}");
        query(&location.unwrap())["code"].clone()
    }

    async fn redeem(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let res = self
            .s
            .http
            .post(self.s.url("/idporten/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }
}

const LOA3: &str = "idporten-loa-substantial";
const LOA4: &str = "idporten-loa-high";

fn query(location: &str) -> BTreeMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// A token's claims, after checking its signature against the issuer's published keys.
async fn verified(s: &TestServer, token: &str) -> Value {
    let jwks: Value = crate::support::json(s.get("/idporten/jwks.json")).await;
    let jws = Jws::parse(token).unwrap();
    let kid = jws.header["kid"].as_str().unwrap();
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap();
    assert_eq!(jws.header["alg"], "RS256", "ID-porten signs RS256");
    jws.verify(Alg::RS256, &PublicJwk::from_value(jwk).unwrap()).unwrap();
    Value::Object(jws.payload.clone())
}

#[tokio::test]
async fn a_tester_logs_a_synthetic_person_in_and_the_client_gets_tokens_naming_them() {
    let l = setup().await;
    let (nin, given, family) = l.person.clone();
    let p = request(&l.client_id, &[]);
    let (status, html, _) = l.page(&p).await;
    assert_eq!(status, 200);
    for label in ["Identity number", "Level", "Log in", "Name", "Skatteappen", LOA3, LOA4] {
        assert!(html.contains(label), "the page shows {label}: {html}");
    }
    // The name search lists the person, with a link that fills in the number.
    let mut search = p.clone();
    search.insert("name".into(), format!("{} {}", given.to_lowercase(), family.to_uppercase()));
    let (status, html, _) = l.page(&search).await;
    assert_eq!(status, 200);
    assert!(html.contains(&nin) && html.contains(&format!("{given} {family}")), "{html}");
    assert!(html.contains(&format!("pid={nin}")), "a link fills in the number: {html}");
    let mut chosen = p.clone();
    chosen.insert("pid".into(), nin.clone());
    let (_, html, _) = l.page(&chosen).await;
    assert!(html.contains(&format!("value=\"{nin}\"")), "the number is filled in");

    let form = [("pid", nin.as_str()), ("level", LOA4), ("action", "login")];
    let (status, _, location) = l.submit(&p, &form).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    let back = query(&location);
    assert_eq!(back["state"], "state-123");
    assert_eq!(back["iss"], l.s.url("/idporten"), "RFC 9207 iss");
    let code = back["code"].clone();

    let redeem = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", l.client_id.as_str()),
    ];
    let (status, tokens) = l.redeem(&redeem).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid altinn:enduser");
    let access = verified(&l.s, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(access["iss"], l.s.url("/idporten"));
    assert_eq!(access["pid"], nin.as_str());
    assert_eq!(access["acr"], LOA4);
    assert_eq!(access["amr"], json!(["TestID"]));
    assert_eq!(access["client_id"], l.client_id.as_str());
    assert_eq!(access["client_amr"], "none", "a public client");
    assert_eq!(access["scope"], "openid altinn:enduser");
    for claim in ["sub", "exp", "iat", "jti"] {
        assert!(access.get(claim).is_some(), "{claim}: {access}");
    }
    let id = verified(&l.s, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(id["aud"], l.client_id.as_str());
    assert_eq!(id["nonce"], "nonce-456");
    assert_eq!((&id["pid"], &id["sub"]), (&access["pid"], &access["sub"]));
    assert!(!id["sub"].as_str().unwrap().contains(&nin), "sub is pairwise, not the number");

    // The code is single-use.
    let (status, again) = l.redeem(&redeem).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")), "{again}");
    // The access token tells userinfo who it is.
    let info = crate::support::json(
        l.s.get("/idporten/userinfo").bearer_auth(tokens["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!((&info["pid"], &info["sub"]), (&json!(nin), &access["sub"]));
    let res = l.s.get("/idporten/userinfo").bearer_auth("nope").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    l.s.stop().await;
}

#[tokio::test]
async fn an_untrusted_request_gets_a_page_and_other_mistakes_go_back_to_the_client() {
    let l = setup().await;
    // Unknown client, or a redirect URI it did not register: an error page, no redirect.
    for p in [
        request("no-such-client", &[]),
        request(&l.client_id, &[("redirect_uri", "http://localhost:3000/callback/")]),
        request(&l.client_id, &[("redirect_uri", "http://evil.test/callback")]),
        request(&l.client_id, &[("redirect_uri", "")]),
    ] {
        let (status, html, location) = l.page(&p).await;
        assert_eq!((status, location), (400, None), "{p:?}");
        assert!(html.contains("Cannot log in"), "{html}");
    }
    let twice = format!("{}&client_id=other", encode(&request(&l.client_id, &[])));
    let res = l.browser.get(format!("{}?{twice}", l.s.url("/idporten/authorize")));
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("client_id appears twice"));
    // The rest goes back to the client as RFC 6749 §4.1.2.1 errors, with the state.
    for (edit, error) in [
        (&[("code_challenge_method", "plain")][..], "invalid_request"),
        (&[("code_challenge", "")][..], "invalid_request"),
        (&[("response_type", "token")][..], "unsupported_response_type"),
        (&[("scope", "openid altinn:serviceowner")][..], "invalid_scope"),
        (&[("scope", "altinn:enduser")][..], "invalid_scope"),
        (&[("acr_values", "Level3")][..], "invalid_request"),
    ] {
        let (status, _, location) = l.page(&request(&l.client_id, edit)).await;
        assert_eq!(status, 303, "{edit:?}");
        let back = query(&location.unwrap());
        assert_eq!(back["error"], error, "{edit:?}: {back:?}");
        assert!(!back["error_description"].is_empty());
        assert_eq!(back["state"], "state-123");
    }
    // Cancel: access_denied.
    let (status, _, location) =
        l.submit(&request(&l.client_id, &[]), &[("action", "cancel")]).await;
    assert_eq!(status, 303);
    assert_eq!(query(&location.unwrap())["error"], "access_denied");
    l.s.stop().await;
}

#[tokio::test]
async fn the_login_form_says_what_is_wrong_and_issues_no_code() {
    let l = setup().await;
    let p = request(&l.client_id, &[]);
    let high = request(&l.client_id, &[("acr_values", LOA4)]);
    let nin = l.person.0.clone();
    type Case<'a> = (&'a BTreeMap<String, String>, [(&'a str, &'a str); 3], &'a str);
    let cases: [Case<'_>; 5] = [
        (&p, [("pid", "12345"), ("level", LOA3), ("action", "login")], "11 digits"),
        (&p, [("pid", "01010100000"), ("level", LOA3), ("action", "login")], "no synthetic person"),
        (&p, [("pid", &l.deceased), ("level", LOA3), ("action", "login")], "deceased"),
        (
            &high,
            [("pid", &nin), ("level", LOA3), ("action", "login")],
            "at least idporten-loa-high",
        ),
        (&p, [("pid", &nin), ("level", "Level4"), ("action", "login")], "choose a level"),
    ];
    for (req, form, needle) in cases {
        let (status, html, location) = l.submit(req, &form).await;
        assert_eq!((status, location), (400, None), "{form:?}");
        assert!(html.contains(needle), "{needle}: {html}");
        assert!(html.contains("Identity number"), "the form is shown again");
    }
    // With acr_values high, the lower level cannot be picked.
    let (_, html, _) = l.page(&high).await;
    let radio = html.lines().find(|l| l.contains(&format!("value=\"{LOA3}\""))).unwrap();
    assert!(radio.contains("disabled"), "{radio}");
    l.s.stop().await;
}

#[tokio::test]
async fn the_token_endpoint_redeems_a_code_only_with_its_verifier_client_and_redirect_uri() {
    let l = setup().await;
    let good = |code: &str| -> Vec<(String, String)> {
        [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", l.client_id.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    };
    let edited = |code: &str, name: &str, value: &str| {
        let mut form = good(code);
        form.retain(|(k, _)| k != name);
        if !value.is_empty() {
            form.push((name.to_owned(), value.to_owned()));
        }
        form
    };
    let other = register(&l.s, json!({})).await;
    let wrong_verifier = "x".repeat(50);
    for (name, value, error) in [
        ("code_verifier", wrong_verifier.as_str(), "invalid_grant"),
        ("code_verifier", "", "invalid_grant"),
        ("redirect_uri", "http://localhost:3000/other", "invalid_grant"),
        ("client_id", other.as_str(), "invalid_grant"),
        ("client_id", "", "invalid_client"),
        ("grant_type", "client_credentials", "unsupported_grant_type"),
        ("code", "made-up", "invalid_grant"),
    ] {
        let code = l.code(&l.client_id).await;
        let form = edited(&code, name, value);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, body) = l.redeem(&pairs).await;
        assert_eq!(body["error"], error, "{name}={value}: {body}");
        assert_eq!(status, if error == "invalid_client" { 401 } else { 400 }, "{body}");
        if error == "invalid_grant" && name != "code" {
            // A failed redemption spends the code.
            let form = good(&code);
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(l.redeem(&pairs).await.1["error"], "invalid_grant", "{name}");
        }
    }
    // A client secret is not a thing here.
    let code = l.code(&l.client_id).await;
    let form = encode(&good(&code).into_iter().collect());
    let res = l.s.http.post(l.s.url("/idporten/token")).basic_auth(&l.client_id, Some("secret"));
    let res = res.header("content-type", "application/x-www-form-urlencoded").body(form);
    let body: Value = res.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    l.s.stop().await;
}

#[tokio::test]
async fn a_confidential_client_redeems_with_private_key_jwt_and_only_so() {
    let l = setup().await;
    let key = SigningKey::generate(Alg::ES256).unwrap();
    let mut jwk = key.public_jwk().members;
    jwk.insert("kid".into(), json!(key.kid()));
    let client_id = register(&l.s, json!({"jwk": Value::Object(jwk)})).await;
    let assertion = || {
        let claims = json!({"iss": client_id, "sub": client_id, "aud": l.s.url("/idporten"),
                            "iat": now(), "exp": now() + 30, "jti": random_id("a_")});
        key.sign(&json!({"alg": "ES256", "kid": key.kid()}), &claims).unwrap()
    };
    let code = l.code(&client_id).await;
    let base = [
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", client_id.as_str()),
    ];
    // Without its assertion it is refused, and the code is not spent by that.
    let mut form = base.to_vec();
    form.push(("code", &code));
    let (status, body) = l.redeem(&form).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    let signed = assertion();
    form.extend([
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", signed.as_str()),
    ]);
    let (status, body) = l.redeem(&form).await;
    assert_eq!(status, 200, "{body}");
    let access = verified(&l.s, body["access_token"].as_str().unwrap()).await;
    assert_eq!(access["client_amr"], "private_key_jwt");
    l.s.stop().await;
}

#[tokio::test]
async fn clients_of_the_login_issuer_need_exact_safe_redirect_uris() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    for (uris, needle) in [
        (json!([]), "at least one redirect URI"),
        (json!(["http://app.test/cb"]), "must be https"),
        (json!(["https://app.test/cb#x"]), "fragment"),
        (json!(["/cb"]), "absolute"),
    ] {
        let body =
            json!({"issuer": "idporten", "scopes": ["altinn:enduser"], "redirect_uris": uris});
        let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
        let v = crate::support::problem(res, 400).await;
        assert!(v["detail"].as_str().unwrap().contains(needle), "{uris}: {v}");
    }
    // Machine clients have none, and need a key.
    let key = SigningKey::generate(Alg::ES256).unwrap();
    let body = json!({"issuer": "helseid", "scopes": ["nhntsd:syntpop-api/full-access"],
                      "jwk": Value::Object(key.public_jwk().members),
                      "redirect_uris": ["https://app.test/cb"]});
    let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
    let v = crate::support::problem(res, 400).await;
    assert!(v["detail"].as_str().unwrap().contains("only ID-porten"), "{v}");
    let body = json!({"issuer": "helseid", "scopes": ["nhntsd:syntpop-api/full-access"]});
    let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
    let v = crate::support::problem(res, 400).await;
    assert!(v["detail"].as_str().unwrap().contains("public key"), "{v}");
    s.stop().await;
}
