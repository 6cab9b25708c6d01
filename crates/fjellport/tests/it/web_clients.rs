//! The web app's Clients page: an organization's HelseID or Maskinporten client registered
//! with the same rules as the CLI and the admin API (an error beside its field, nothing
//! stored), its Client ID and snippets shown, "Revoke", and CSRF.

use fjellport_auth::jose::{Alg, SigningKey};
use serde_json::Value;

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};
use crate::web_login::{Browser, person_with_a_role};

const SYNTPOP: &str = "nhntsd:syntpop-api/full-access";

async fn clients_in_store(s: &TestServer) -> Vec<Value> {
    let res = s.admin(reqwest::Method::GET, "/clients").send().await.unwrap();
    let all: Vec<Value> = res.json().await.unwrap();
    all.into_iter().filter(|c| c["issuer"] != "idporten").collect()
}

fn error_beside(html: &str, field: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{field}-error\" class=\"error\">"))?;
    let rest = &html[at..];
    Some(rest[rest.find('>')? + 1..].split('<').next()?.to_owned())
}

fn jwk(alg: Alg) -> String {
    Value::Object(SigningKey::generate(alg).unwrap().public_jwk().members).to_string()
}

#[tokio::test]
async fn an_organization_registers_a_helseid_client_sees_its_id_and_snippets_and_revokes_it() {
    let (_dir, db) = temp_db("web-clients.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 200, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (nin, _, orgnr) = person_with_a_role(&db).await;
    let mut b = Browser::new(&s);
    let back = b.log_in("/clients", &nin).await;
    assert_eq!(back.location.as_deref(), Some("/clients"));
    let page = b.get("/clients").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for label in ["Issuer", "Owner", "Client name", "Public key (JWK)"] {
        assert!(page.body.contains(&format!(">{label}</label>")), "no field labelled {label}");
    }
    assert!(page.body.contains("<legend>Scopes</legend>"));
    assert!(page.body.contains(">Generate key pair in the browser</button>"));
    assert!(page.body.contains(&format!("value=\"{orgnr}\"")), "the organization is an owner");
    assert!(!page.body.contains(&format!("value=\"{nin}\"")), "clients are organizations'");
    let csrf = Browser::csrf(&page.body);
    let es256 = jwk(Alg::ES256);
    let form = |edit: &[(&str, &str)]| {
        let mut f: Vec<(String, String)> = [
            ("csrf", csrf.as_str()),
            ("issuer", "helseid"),
            ("owner", orgnr.as_str()),
            ("name", "Journal app"),
            ("jwk", es256.as_str()),
            ("scopes", SYNTPOP),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in edit {
            f.retain(|(name, _)| name != k);
            if !v.is_empty() {
                f.push(((*k).to_owned(), (*v).to_owned()));
            }
        }
        f
    };
    let send = |f: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
    };
    let mut private = SigningKey::generate(Alg::ES256).unwrap().public_jwk().members;
    private.insert("d".into(), Value::String("AAAA".into()));
    let private = Value::Object(private).to_string();
    let rs256 = jwk(Alg::RS256);
    // (fields changed, the field the error is beside, what it says)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("scopes", "")], "scopes", "at least one scope"),
        (
            vec![("scopes", "altinn:serviceowner/rolesandrights")],
            "scopes",
            "not one the helseid issuer grants",
        ),
        (vec![("jwk", "")], "jwk", "public key"),
        (vec![("jwk", "{not json")], "jwk", "not json"),
        (vec![("jwk", private.as_str())], "jwk", "private"),
        (vec![("owner", "974760673")], "owner", "organizations you hold a role in"),
        (vec![("issuer", "idporten")], "issuer", "helseid or maskinporten"),
        (
            vec![("issuer", "maskinporten"), ("scopes", "altinn:serviceowner/rolesandrights")],
            "jwk",
            "rsa",
        ),
    ];
    for (edit, field, says) in &cases {
        let body = send(form(edit));
        let res = b
            .http
            .post(s.url("/clients"))
            .header("cookie", format!("fjellport_session={}", b.cookie.as_ref().unwrap()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{edit:?}");
        let html = res.text().await.unwrap();
        let error = error_beside(&html, field).unwrap_or_else(|| panic!("{edit:?}: {html}"));
        assert!(error.to_lowercase().contains(says), "{edit:?}: {error}");
    }
    assert!(clients_in_store(&s).await.is_empty(), "nothing was stored");
    let no_token: Vec<(String, String)> =
        form(&[]).into_iter().filter(|(k, _)| k != "csrf").collect();
    let pairs: Vec<(&str, &str)> = no_token.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(b.post("/clients", &pairs).await.status, 403);
    assert!(clients_in_store(&s).await.is_empty());

    // Registered: the Client ID, the issuer and the snippets, and the client in the store.
    let f = form(&[]);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let made = b.post("/clients", &pairs).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let stored = clients_in_store(&s).await;
    assert_eq!(stored.len(), 1);
    let client = &stored[0];
    let id = client["client_id"].as_str().unwrap();
    assert_eq!(client["orgnr_parent"], orgnr.as_str());
    assert_eq!(client["client_name"], "Journal app");
    assert_eq!(client["dpop_bound_access_tokens"], true);
    assert!(made.body.contains("<label for=\"client_id\">Client ID</label>"));
    assert!(
        made.body.contains(&format!("id=\"client_id\" class=\"secret\" readonly value=\"{id}\""))
    );
    assert!(made.body.contains(&s.url("/helseid")), "the issuer URL");
    assert!(
        made.body.contains("PrivateKeyJwt(&#34;") && made.body.contains(id),
        "the Python snippet"
    );
    assert!(made.body.contains(&s.url("/helseid/test-token")), "the curl snippet");
    let listed = b.get("/clients").await;
    assert!(listed.body.contains(id));

    // A Maskinporten client for the organization (RSA).
    let f = form(&[
        ("issuer", "maskinporten"),
        ("jwk", &rs256),
        ("scopes", "altinn:serviceowner/rolesandrights"),
    ]);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let made = b.post("/clients", &pairs).await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(made.body.contains("jwt_bearer(assertion=grant)"), "the JWT-grant snippet");

    // Revoke: someone else's client is not found; this one is revoked.
    let body = serde_json::json!({"jwk": serde_json::from_str::<Value>(&jwk(Alg::ES256)).unwrap(),
        "scopes": [SYNTPOP], "orgnr_parent": "974760673"});
    let theirs: Value =
        crate::support::json(s.admin(reqwest::Method::POST, "/clients").json(&body)).await;
    let other = theirs["client_id"].as_str().unwrap();
    let res = b.post(&format!("/clients/{other}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status, 404);
    assert_eq!(b.post(&format!("/clients/{id}/revoke"), &[]).await.status, 403);
    let res = b.post(&format!("/clients/{id}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status, 303);
    let got: Value =
        crate::support::json(s.admin(reqwest::Method::GET, &format!("/clients/{id}"))).await;
    assert!(got["revoked_at"].is_string(), "{got}");
    s.stop().await;
}
