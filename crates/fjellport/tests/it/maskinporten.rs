//! The Maskinporten-like issuer at `/maskinporten`: JWT grants (RFC 7523 §2.1) as Maskinporten
//! documents them, organization clients, delegation by `consumer_org`, and its metadata.

use fjellport_auth::jose::{Alg, SigningKey};
use fjellport_auth::secret::random_id;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, json, now};

const SCOPE: &str = "altinn:serviceowner/rolesandrights";
const ORG: &str = "974760673";
/// An organization that delegated to [`ORG`].
const DELEGATING: &str = "889640782";

struct OrgClient {
    key: SigningKey,
    client_id: String,
}

async fn register(s: &TestServer) -> OrgClient {
    let key = SigningKey::generate(Alg::RS256).unwrap();
    let mut jwk = key.public_jwk().members;
    jwk.insert("kid".into(), json!(key.kid()));
    let body = json!({"jwk": Value::Object(jwk), "scopes": [SCOPE], "issuer": "maskinporten",
                      "orgnr_parent": ORG, "delegations": [DELEGATING]});
    let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["dpop_bound_access_tokens"], false, "Maskinporten tokens are Bearer: {v}");
    OrgClient { key, client_id: v["client_id"].as_str().unwrap().to_owned() }
}

fn issuer(s: &TestServer) -> String {
    s.url("/maskinporten/")
}

/// A grant with the required claims, changed by `edit`.
fn grant(s: &TestServer, c: &OrgClient, edit: impl FnOnce(&mut Value, &mut Value)) -> String {
    let mut header = json!({"alg": "RS256", "kid": c.key.kid()});
    let mut claims = json!({"aud": issuer(s), "iss": c.client_id, "scope": SCOPE, "iat": now(),
                            "exp": now() + 100, "jti": random_id("g_")});
    edit(&mut header, &mut claims);
    c.key.sign(&header, &claims).unwrap()
}

/// A form POST to the token endpoint.
async fn post(s: &TestServer, form: &[(&str, &str)]) -> reqwest::Response {
    let body: String =
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    s.http
        .post(s.url("/maskinporten/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn token(s: &TestServer, assertion: &str) -> reqwest::Response {
    let grant_type = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    post(s, &[("grant_type", grant_type), ("assertion", assertion)]).await
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&fjellport_auth::jose::b64d(payload).unwrap()).unwrap()
}

async fn refused(res: reqwest::Response, error: &str, says: &str) {
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"], error, "{v}");
    let why = v["error_description"].as_str().unwrap();
    assert!(why.contains(says), "{why:?} should say {says:?}");
}

#[tokio::test]
async fn a_jwt_grant_gets_a_bearer_token_naming_the_organization() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let meta: Value = json(s.get("/maskinporten/.well-known/oauth-authorization-server")).await;
    assert_eq!(meta["issuer"], issuer(&s));
    assert_eq!(meta["token_endpoint"], s.url("/maskinporten/token"));
    assert_eq!(
        meta["grant_types_supported"],
        json!(["urn:ietf:params:oauth:grant-type:jwt-bearer"])
    );
    assert_eq!(
        meta["token_endpoint_auth_signing_alg_values_supported"],
        json!(["RS256", "RS384", "RS512"])
    );
    let jwks: Value = json(s.get("/maskinporten/jwk")).await;
    assert_eq!(jwks["keys"][0]["alg"], "RS256", "Maskinporten signs RS256: {jwks}");

    let c = register(&s).await;
    let res = token(&s, &grant(&s, &c, |_, _| {})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], SCOPE);
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    let header: Value = serde_json::from_slice(
        &fjellport_auth::jose::b64d(
            body["access_token"].as_str().unwrap().split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["iss"], issuer(&s));
    assert_eq!(claims["client_id"], c.client_id);
    assert_eq!(claims["client_amr"], "private_key_jwt");
    assert_eq!(claims["token_type"], "Bearer");
    assert_eq!(claims["scope"], SCOPE);
    assert_eq!(
        claims["consumer"],
        json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{ORG}")})
    );
    assert!(claims.get("supplier").is_none() && claims.get("aud").is_none(), "{claims}");
    for c in ["exp", "iat", "jti"] {
        assert!(claims.get(c).is_some(), "{c}: {claims}");
    }

    // Acting for an organization that delegated: it is the consumer, the client's the supplier.
    let res = token(
        &s,
        &grant(&s, &c, |_, cl| {
            cl["consumer_org"] = json!(DELEGATING);
            cl["resource"] = json!(["https://tt02.altinn.no/"]);
        }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let claims = claims_of(res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap());
    assert_eq!(claims["consumer"]["ID"], format!("0192:{DELEGATING}"));
    assert_eq!(claims["supplier"]["ID"], format!("0192:{ORG}"));
    assert_eq!(claims["aud"], "https://tt02.altinn.no/");
    s.stop().await;
}

/// A change to a grant's header and claims.
type Edit = Box<dyn FnOnce(&mut Value, &mut Value)>;

#[tokio::test]
async fn each_rule_of_the_grant_is_refused_with_its_own_description() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = register(&s).await;
    let me = issuer(&s);
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|_, cl| cl["aud"] = json!("https://maskinporten.no/")),
            "invalid_grant",
            "Invalid JWT claim aud",
        ),
        (
            Box::new(move |_, cl| cl["aud"] = json!([me, "x"])),
            "invalid_grant",
            "Invalid JWT claim aud",
        ),
        (Box::new(|_, cl| cl["iat"] = json!(now() - 30)), "invalid_grant", "iat"),
        (Box::new(|_, cl| cl["iat"] = json!(now() + 30)), "invalid_grant", "iat"),
        (Box::new(|_, cl| cl["exp"] = json!(now() + 200)), "invalid_grant", "at most 120 seconds"),
        (Box::new(|_, cl| cl["exp"] = json!(now() - 1)), "invalid_grant", "exp"),
        (
            Box::new(|_, cl| drop(cl.as_object_mut().unwrap().remove("scope"))),
            "invalid_grant",
            "Missing claim scope",
        ),
        (
            Box::new(|_, cl| cl["scope"] = json!("altinn:serviceowner/reportees")),
            "invalid_scope",
            "altinn:serviceowner/reportees",
        ),
        (Box::new(|_, cl| cl["sub"] = json!("someone")), "invalid_grant", "Unknown claim \"sub\""),
        (Box::new(|_, cl| cl["iss"] = json!("no-such-client")), "invalid_grant", "Unknown client"),
        (
            Box::new(|_, cl| cl["consumer_org"] = json!("123456789")),
            "invalid_grant",
            "consumer_org",
        ),
        (
            Box::new(|_, cl| cl["consumer_org"] = json!("974761076")),
            "invalid_grant",
            "has not delegated",
        ),
        (
            Box::new(|h, _| h["kid"] = json!("not-a-registered-key")),
            "invalid_grant",
            "no registered key",
        ),
        (
            Box::new(|h, _| {
                h.as_object_mut().unwrap().remove("kid");
            }),
            "invalid_grant",
            "kid",
        ),
        (Box::new(|h, _| h["alg"] = json!("ES256")), "invalid_grant", "RS256, RS384 or RS512"),
    ];
    for (edit, error, says) in cases {
        let assertion = grant(&s, &c, edit);
        refused(token(&s, &assertion).await, error, says).await;
    }
    // Single use: the same grant twice.
    let once = grant(&s, &c, |_, _| {});
    assert_eq!(token(&s, &once).await.status(), 200);
    refused(token(&s, &once).await, "invalid_grant", "used before").await;
    // The wrong grant type, a missing assertion, a signature that does not verify.
    let res = post(&s, &[("grant_type", "client_credentials")]).await;
    refused(res, "unsupported_grant_type", "jwt-bearer").await;
    let res = post(&s, &[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")]).await;
    refused(res, "invalid_request", "assertion").await;
    let good = grant(&s, &c, |_, _| {});
    let (head, _) = good.rsplit_once('.').unwrap();
    let other = SigningKey::generate(Alg::RS256).unwrap();
    let forged =
        other.sign(&json!({"alg": "RS256", "kid": c.key.kid()}), &claims_of(&good)).unwrap();
    let tampered = format!("{head}.{}", forged.rsplit_once('.').unwrap().1);
    refused(token(&s, &tampered).await, "invalid_grant", "signature").await;
    s.stop().await;
}

#[tokio::test]
async fn maskinporten_clients_are_organizations_with_rsa_keys() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let ec = fjellport_auth::jose::EcSigningKey::generate().unwrap();
    let rsa = SigningKey::generate(Alg::RS256).unwrap();
    for (body, says) in [
        (
            json!({"jwk": Value::Object(rsa.public_jwk().members), "scopes": [SCOPE], "issuer": "maskinporten"}),
            "orgnr_parent",
        ),
        (
            json!({"jwk": Value::Object(ec.public_jwk().members), "scopes": [SCOPE], "issuer": "maskinporten", "orgnr_parent": ORG}),
            "RSA",
        ),
    ] {
        let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
        let p = crate::support::problem(res, 400).await;
        assert!(p["detail"].as_str().unwrap().contains(says), "{p}");
    }
    s.stop().await;
}
