//! The issuer's token endpoint: client_credentials + private_key_jwt + DPoP with nonces.

use fjellport_auth::forge::{ProofFor, proof};
use fjellport_auth::jose::EcSigningKey;
use fjellport_auth::secret::random_id;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, now, problem, temp_db};

const SCOPE: &str = "nhntsd:syntpop-api/full-access";

struct Registered {
    key: EcSigningKey,
    client_id: String,
}

async fn register(s: &TestServer, extra: Value) -> Registered {
    let key = EcSigningKey::generate().unwrap();
    let mut body = json!({"jwk": Value::Object(key.public_jwk().members), "scopes": [SCOPE],
                          "orgnr_parent": "974760673"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    Registered { key, client_id: v["client_id"].as_str().unwrap().to_owned() }
}

fn assertion(key: &EcSigningKey, client_id: &str, aud: &str, exp_in: i64) -> String {
    assertion_with(key, client_id, aud, exp_in, json!({}))
}

/// A client assertion with `extra` claims beside the required ones.
fn assertion_with(
    key: &EcSigningKey,
    client_id: &str,
    aud: &str,
    exp_in: i64,
    extra: Value,
) -> String {
    let mut claims = json!({"iss": client_id, "sub": client_id, "aud": aud, "iat": now(),
                            "nbf": now(), "exp": now() + exp_in, "jti": random_id("ca_")});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    // A kid the registered key (which has none) does not carry: the key must still be found.
    key.sign(
        &json!({"alg": "ES256", "typ": "client-authentication+jwt", "kid": key.kid()}),
        &claims,
    )
    .unwrap()
}

/// An RSA public JWK with a modulus of `bits` bits (its value does not matter here) and
/// exponent `e`.
fn rsa_jwk(bits: usize, e: &[u8]) -> Value {
    let mut n = vec![0xc5u8; bits / 8];
    n[0] |= 0x80;
    json!({"kty": "RSA", "n": fjellport_auth::jose::b64e(&n), "e": fjellport_auth::jose::b64e(e)})
}

fn token_url(s: &TestServer) -> String {
    s.url("/helseid/connect/token")
}

async fn post(s: &TestServer, form: &[(&str, &str)], dpop: Option<&str>) -> reqwest::Response {
    let body: String =
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = s
        .http
        .post(token_url(s))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(p) = dpop {
        req = req.header("DPoP", p);
    }
    req.send().await.unwrap()
}

fn token_proof(key: &EcSigningKey, uri: &str, nonce: Option<&str>) -> String {
    proof(key, &ProofFor { method: "POST", uri, access_token: None, nonce, now: now() }, None)
        .unwrap()
}

async fn oauth_error(res: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(res.status().as_u16(), status);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"], error, "{v}");
    assert!(v["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
    v
}

/// The nonce dance, then a token response.
async fn get_token(s: &TestServer, c: &Registered) -> Value {
    let res = token_response(s, c, &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

/// The nonce dance with `extra` form parameters; the answer to the request with the nonce.
async fn token_response(
    s: &TestServer,
    c: &Registered,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    token_response_with(s, c, extra, json!({})).await
}

/// [`token_response`] with `claims` added to the client assertion.
async fn token_response_with(
    s: &TestServer,
    c: &Registered,
    extra: &[(&str, &str)],
    claims: Value,
) -> reqwest::Response {
    let issuer = s.url("/helseid");
    let a = assertion_with(&c.key, &c.client_id, &issuer, 30, claims);
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", a.as_str()),
        ("scope", SCOPE),
    ];
    form.extend_from_slice(extra);
    let first = post(s, &form, Some(&token_proof(&c.key, &token_url(s), None))).await;
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    oauth_error(first, 400, "use_dpop_nonce").await;
    post(s, &form, Some(&token_proof(&c.key, &token_url(s), Some(&nonce)))).await
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&fjellport_auth::jose::b64d(payload).unwrap()).unwrap()
}

/// `GET /syntpop/api/ping` as SyntPop 1.0 with `token` and a fresh proof made with `key`.
async fn ping_v1(s: &TestServer, key: &EcSigningKey, token: &str) -> reqwest::Response {
    let uri = s.url("/syntpop/api/ping");
    let spec =
        ProofFor { method: "GET", uri: &uri, access_token: Some(token), nonce: None, now: now() };
    s.get("/syntpop/api/ping")
        .header("X-api-version", "1.0")
        .header("Authorization", format!("DPoP {token}"))
        .header("DPoP", proof(key, &spec, None).unwrap())
        .send()
        .await
        .unwrap()
}

/// A token request without a nonce: a known, active client is asked for one
/// (`use_dpop_nonce`); a revoked or unknown one is refused first (`invalid_client`).
async fn first_token_answer(s: &TestServer, c: &Registered) -> (u16, Value) {
    let a = assertion(&c.key, &c.client_id, &s.url("/helseid"), 30);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", a.as_str()),
        ("scope", SCOPE),
    ];
    let res = post(s, &form, Some(&token_proof(&c.key, &token_url(s), None))).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn the_nonce_dance_gives_a_bound_token_that_opens_version_1_0() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = register(&s, json!({})).await;
    let t = get_token(&s, &c).await;
    assert_eq!(t["token_type"], "DPoP");
    assert_eq!(t["scope"], SCOPE);
    let token = t["access_token"].as_str().unwrap();
    let res = ping_v1(&s, &c.key, token).await;
    assert_eq!(res.status(), 200);
    let caller: Value = res.json().await.unwrap();
    assert_eq!(caller["clientId"], c.client_id.as_str());
    assert_eq!(caller["owner"], "974760673");
    // The access token's claims follow HelseID's profile.
    let claims = claims_of(token);
    assert_eq!(claims["aud"], "nhntsd:syntpop-api");
    assert_eq!(claims["cnf"]["jkt"], c.key.public_jwk().thumbprint());
    assert_eq!(claims["helseid://claims/client/claims/orgnr_parent"], "974760673");
    assert_eq!(claims["helseid://claims/client/amr"], "private_key_jwt");
    s.stop().await;
}

#[tokio::test]
async fn bad_client_authentication_is_invalid_client() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = register(&s, json!({})).await;
    let issuer = s.url("/helseid");
    let stranger = EcSigningKey::generate().unwrap();
    // Get a nonce once; every attempt below brings a fresh proof with it.
    let first = post(&s, &[("grant_type", "client_credentials")], None).await;
    assert_eq!(first.status(), 401, "no assertion at all");
    let probe = post(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", &assertion(&c.key, &c.client_id, &issuer, 30)),
        ],
        Some(&token_proof(&c.key, &token_url(&s), None)),
    )
    .await;
    let nonce = probe.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let cases = [
        ("signed by another key", assertion(&stranger, &c.client_id, &issuer, 30)),
        ("unknown client", assertion(&c.key, "not-a-client", &issuer, 30)),
        ("wrong audience", assertion(&c.key, &c.client_id, "https://helseid-sts.nhn.no", 30)),
        ("exp more than 60 s ahead", assertion(&c.key, &c.client_id, &issuer, 600)),
        ("expired", assertion(&c.key, &c.client_id, &issuer, -60)),
        ("not a JWT", "abc.def".to_owned()),
        ("a crit extension nobody here understands", {
            let claims = json!({"iss": c.client_id, "sub": c.client_id, "aud": issuer,
                                "iat": now(), "exp": now() + 30, "jti": random_id("ca_"),
                                "exp-unknown": 1});
            let header = json!({"alg": "ES256", "typ": "client-authentication+jwt",
                                "crit": ["exp-unknown"], "exp-unknown": 1});
            c.key.sign(&header, &claims).unwrap()
        }),
    ];
    for (why, a) in cases {
        let res = post(
            &s,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", &a),
            ],
            Some(&token_proof(&c.key, &token_url(&s), Some(&nonce))),
        )
        .await;
        assert_eq!(res.status(), 401, "{why}");
        let e = oauth_error(res, 401, "invalid_client").await;
        if why.contains("crit") {
            assert!(e["error_description"].as_str().unwrap().contains("crit"), "{e}");
        }
    }
    // A used assertion cannot be used again.
    let a = assertion(&c.key, &c.client_id, &issuer, 30);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", a.as_str()),
    ];
    let ok = post(&s, &form, Some(&token_proof(&c.key, &token_url(&s), Some(&nonce)))).await;
    assert_eq!(ok.status(), 200);
    let again = post(&s, &form, Some(&token_proof(&c.key, &token_url(&s), Some(&nonce)))).await;
    oauth_error(again, 401, "invalid_client").await;
    s.stop().await;
}

#[tokio::test]
async fn bad_requests_proofs_and_scopes_get_their_oauth_errors() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = register(&s, json!({})).await;
    let issuer = s.url("/helseid");
    let form = |a: &str, scope: &str| -> Vec<(String, String)> {
        vec![
            ("grant_type".into(), "client_credentials".into()),
            (
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ),
            ("client_assertion".into(), a.into()),
            ("scope".into(), scope.into()),
        ]
    };
    let probe = post(
        &s,
        &as_refs(&form(&assertion(&c.key, &c.client_id, &issuer, 30), SCOPE)),
        Some(&token_proof(&c.key, &token_url(&s), None)),
    )
    .await;
    let nonce = probe.headers()["dpop-nonce"].to_str().unwrap().to_owned();

    let f = form(&assertion(&c.key, &c.client_id, &issuer, 30), SCOPE);
    oauth_error(post(&s, &as_refs(&f), None).await, 400, "invalid_dpop_proof").await;
    let wrong_htu = token_proof(&c.key, &s.url("/helseid/other"), Some(&nonce));
    oauth_error(post(&s, &as_refs(&f), Some(&wrong_htu)).await, 400, "invalid_dpop_proof").await;
    let forged_nonce = token_proof(&c.key, &token_url(&s), Some("not-our-nonce"));
    oauth_error(post(&s, &as_refs(&f), Some(&forged_nonce)).await, 400, "use_dpop_nonce").await;

    let f = form(&assertion(&c.key, &c.client_id, &issuer, 30), "nhntsd:other-api/read");
    let p = token_proof(&c.key, &token_url(&s), Some(&nonce));
    oauth_error(post(&s, &as_refs(&f), Some(&p)).await, 400, "invalid_scope").await;

    let mut f = form(&assertion(&c.key, &c.client_id, &issuer, 30), SCOPE);
    f[0].1 = "password".into();
    let p = token_proof(&c.key, &token_url(&s), Some(&nonce));
    oauth_error(post(&s, &as_refs(&f), Some(&p)).await, 400, "unsupported_grant_type").await;
    let mut f = form(&assertion(&c.key, &c.client_id, &issuer, 30), SCOPE);
    f.push(("scope".into(), SCOPE.into()));
    oauth_error(post(&s, &as_refs(&f), Some(&p)).await, 400, "invalid_request").await;
    let res = s
        .http
        .post(token_url(&s))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    oauth_error(res, 400, "invalid_request").await;
    s.stop().await;
}

#[tokio::test]
async fn clients_are_registered_by_cli_and_admin_api_with_checked_input() {
    let (dir, db) = temp_db("clients.db");
    let key = EcSigningKey::generate().unwrap();
    let jwk_file = dir.path().join("public.json");
    std::fs::write(&jwk_file, serde_json::to_string(&key.public_jwk().members).unwrap()).unwrap();
    let out = crate::cli::fjellport(&[
        "clients",
        "create",
        "--jwk-file",
        jwk_file.to_str().unwrap(),
        "--scope",
        SCOPE,
        "--orgnr",
        "974760673",
        "--name",
        "CI client",
        "--database",
        &db,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["issuer"], "helseid");
    assert_eq!(created["client_tenancy"], "single-tenant");
    assert_eq!(created["dpop_bound_access_tokens"], true);
    let client_id = created["client_id"].as_str().unwrap();

    // The running server knows it at once (clients are read per token request).
    let s = TestServer::start(crate::support::config(&db, BEFORE_SUNSET)).await;
    let listed: Value = crate::support::json(s.admin(reqwest::Method::GET, "/clients")).await;
    assert!(listed.as_array().unwrap().iter().any(|c| c["client_id"] == client_id), "{listed}");
    let t = get_token(&s, &Registered { key, client_id: client_id.to_owned() }).await;
    assert_eq!(t["token_type"], "DPoP");

    let mut private =
        serde_json::to_value(EcSigningKey::generate().unwrap().public_jwk().members).unwrap();
    private["d"] = json!("AAAA");
    for (body, needle) in [
        (json!({"jwk": private, "scopes": [SCOPE]}), "private"),
        (json!({"jwk": {"kty": "EC"}, "scopes": [SCOPE]}), "key"),
        (
            json!({"jwk": Value::Object(EcSigningKey::generate().unwrap().public_jwk().members), "scopes": []}),
            "scope",
        ),
        (
            json!({"jwk": Value::Object(EcSigningKey::generate().unwrap().public_jwk().members), "scopes": [SCOPE], "orgnr_parent": "123456789"}),
            "organization number",
        ),
        (
            json!({"jwk": Value::Object(EcSigningKey::generate().unwrap().public_jwk().members), "scopes": [SCOPE], "issuer": "nope"}),
            "issuer",
        ),
        // RSA keys no verifier can use: e of 1 or even, a modulus too short or too long.
        (json!({"jwk": rsa_jwk(2048, &[1]), "scopes": [SCOPE]}), "exponent"),
        (json!({"jwk": rsa_jwk(2048, &[2]), "scopes": [SCOPE]}), "exponent"),
        (json!({"jwk": rsa_jwk(2048, &[1, 0, 0]), "scopes": [SCOPE]}), "exponent"),
        (json!({"jwk": rsa_jwk(1024, &[1, 0, 1]), "scopes": [SCOPE]}), "2048"),
        (json!({"jwk": rsa_jwk(16392, &[1, 0, 1]), "scopes": [SCOPE]}), "16384"),
        (
            json!({"jwk": {"keys": (0..11).map(|_| Value::Object(EcSigningKey::generate().unwrap().public_jwk().members)).collect::<Vec<_>>()}, "scopes": [SCOPE]}),
            "at most 10 keys",
        ),
    ] {
        let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
        let p = problem(res, 400).await;
        assert!(p["detail"].as_str().unwrap().contains(needle), "{body}: {p}");
    }
    s.stop().await;
    let bad = crate::cli::fjellport(&[
        "clients",
        "create",
        "--jwk-file",
        "/nonexistent.json",
        "--scope",
        SCOPE,
        "--database",
        &db,
    ]);
    assert_eq!(bad.status.code(), Some(2));
    // A multi-tenant client needs the supplier's organization.
    let jwk = jwk_file.to_str().unwrap();
    let args = ["clients", "create", "--jwk-file", jwk, "--scope", SCOPE, "--multi-tenant"];
    let no_supplier = crate::cli::fjellport(&[&args[..], &["--database", &db]].concat());
    assert_eq!(no_supplier.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&no_supplier.stderr);
    assert!(stderr.contains("supplier's own organization"), "{stderr}");
    let with = ["--orgnr", "974760673", "--delegation", "983544622", "--database", &db];
    let multi = crate::cli::fjellport(&[&args[..], &with[..]].concat());
    assert!(multi.status.success(), "{}", String::from_utf8_lossy(&multi.stderr));
    let created: Value = serde_json::from_slice(&multi.stdout).unwrap();
    assert_eq!(created["client_tenancy"], "multi-tenant");
    assert_eq!(created["delegations"], json!(["983544622"]));
}

#[tokio::test]
async fn a_client_names_its_child_organization_per_token_with_authorization_details() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let c = register(&s, json!({})).await;
    let child = |orgnr: &str| {
        json!([{"type": "helseid_authorization", "practitioner_role": {"organization":
            {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.2.101", "type": "ENH",
                            "value": orgnr}}}}])
        .to_string()
    };
    let details = child("983544622");
    let res = token_response(&s, &c, &[("authorization_details", &details)]).await;
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["authorization_details"].to_string(), details, "the grant is echoed");
    let claims = claims_of(t["access_token"].as_str().unwrap());
    assert_eq!(claims["helseid://claims/client/claims/orgnr_child"], "983544622");
    assert_eq!(claims["helseid://claims/client/claims/orgnr_parent"], "974760673");
    // HelseID's own way: the details as a claim of the client assertion (an object, as NHN's
    // samples send it, or JSON text).
    let object: Value = serde_json::from_str(&child("983544622")).unwrap();
    for claim in [object[0].clone(), json!(child("983544622"))] {
        let res = token_response_with(&s, &c, &[], json!({"authorization_details": claim})).await;
        assert_eq!(res.status(), 200);
        let t: Value = res.json().await.unwrap();
        let claims = claims_of(t["access_token"].as_str().unwrap());
        assert_eq!(claims["helseid://claims/client/claims/orgnr_child"], "983544622");
    }
    // Both ways at once is ambiguous.
    let res = token_response_with(
        &s,
        &c,
        &[("authorization_details", &details)],
        json!({"authorization_details": object}),
    )
    .await;
    oauth_error(res, 400, "invalid_authorization_details").await;
    // Without details the token names no child (this client has none registered).
    let plain = get_token(&s, &c).await;
    assert!(plain.get("authorization_details").is_none());
    let claims = claims_of(plain["access_token"].as_str().unwrap());
    assert!(claims.get("helseid://claims/client/claims/orgnr_child").is_none());

    let bad_org = child("983544623");
    for (details, needle) in [
        ("not json", "not JSON"),
        (r#"[{"type": "openid_credential"}]"#, "unknown authorization_details type"),
        (bad_org.as_str(), "organization number"),
    ] {
        let res = token_response(&s, &c, &[("authorization_details", details)]).await;
        let v = oauth_error(res, 400, "invalid_authorization_details").await;
        assert!(v["error_description"].as_str().unwrap().contains(needle), "{details}: {v}");
    }
    // A client registered with a fixed child organization may name only that one.
    let fixed = register(&s, json!({"orgnr_child": "983544622"})).await;
    let other = child("974760673");
    let res = token_response(&s, &fixed, &[("authorization_details", &other)]).await;
    oauth_error(res, 400, "invalid_authorization_details").await;
    s.stop().await;
}

#[tokio::test]
async fn a_multi_tenant_client_acts_for_the_organization_it_names_per_token() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    // The supplier's client: orgnr_parent is the supplier's own organization.
    let supplier = register(&s, json!({"client_tenancy": "multi-tenant"})).await;
    let tenant = |value: &str| {
        json!({"type": "helseid_authorization", "practitioner_role": {"organization":
            {"identifier": {"system": "urn:oid:1.0.6523", "type": "ENH", "value": value}}}})
    };
    let res = token_response_with(
        &s,
        &supplier,
        &[],
        json!({"authorization_details": tenant("NO:ORGNR:983544622:910223488")}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    let token = t["access_token"].as_str().unwrap();
    let claims = claims_of(token);
    assert_eq!(claims["helseid://claims/client/claims/orgnr_parent"], "983544622");
    assert_eq!(claims["helseid://claims/client/claims/orgnr_child"], "910223488");
    assert_eq!(claims["helseid://claims/client/claims/orgnr_supplier"], "974760673");
    assert_eq!(claims["helseid://claims/client/client_tenancy"], "multi-tenant");
    // SyntPop 1.0 sees the tenant as the owner of what the token reserves.
    let caller: Value = ping_v1(&s, &supplier.key, token).await.json().await.unwrap();
    assert_eq!(caller["owner"], "983544622");

    // A multi-tenant client must say whom it acts for, in its own form.
    let res = token_response(&s, &supplier, &[]).await;
    let v = oauth_error(res, 400, "invalid_authorization_details").await;
    assert!(v["error_description"].as_str().unwrap().contains("NO:ORGNR"), "{v}");
    let single_form = json!({"type": "helseid_authorization", "practitioner_role": {"organization":
        {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.2.101", "type": "ENH",
                        "value": "983544622"}}}});
    let res =
        token_response_with(&s, &supplier, &[], json!({"authorization_details": single_form}))
            .await;
    oauth_error(res, 400, "invalid_authorization_details").await;

    // With delegations registered, only the organizations that delegated to the supplier.
    let strict =
        register(&s, json!({"client_tenancy": "multi-tenant", "delegations": ["983544622"]})).await;
    let shown: Value = crate::support::json(
        s.admin(reqwest::Method::GET, &format!("/clients/{}", strict.client_id)),
    )
    .await;
    assert_eq!(shown["delegations"], json!(["983544622"]));
    let ok = json!({"authorization_details": tenant("NO:ORGNR:983544622:")});
    assert_eq!(token_response_with(&s, &strict, &[], ok).await.status(), 200);
    let other = json!({"authorization_details": tenant("NO:ORGNR:313231593:")});
    let res = token_response_with(&s, &strict, &[], other).await;
    let v = oauth_error(res, 400, "invalid_authorization_details").await;
    assert!(v["error_description"].as_str().unwrap().contains("has not delegated"), "{v}");

    // Registration: a tenancy by name; a multi-tenant client takes no fixed child.
    let single = register(&s, json!({})).await;
    let shown: Value = crate::support::json(
        s.admin(reqwest::Method::GET, &format!("/clients/{}", single.client_id)),
    )
    .await;
    assert_eq!(shown["client_tenancy"], "single-tenant");
    let key = EcSigningKey::generate().unwrap();
    for (extra, needle) in [
        (json!({"client_tenancy": "several"}), "client_tenancy"),
        (json!({"client_tenancy": "multi-tenant", "orgnr_child": "910223488"}), "per token"),
        (json!({"delegations": ["983544622"]}), "multi-tenant clients"),
        (json!({"client_tenancy": "multi-tenant", "delegations": ["12"]}), "organization number"),
    ] {
        let mut body = json!({"jwk": Value::Object(key.public_jwk().members.clone()),
                              "scopes": [SCOPE], "orgnr_parent": "974760673"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
        let p = problem(res, 400).await;
        assert!(p["detail"].as_str().unwrap().contains(needle), "{extra}: {p}");
    }
    s.stop().await;
}

#[tokio::test]
async fn a_revoked_client_gets_no_new_tokens_and_keeps_the_ones_it_has() {
    let (s, db, _dir) = TestServer::on_file("revoke.db").await;
    let (a, b) = (register(&s, json!({})).await, register(&s, json!({})).await);
    let held = get_token(&s, &a).await;
    let held = held["access_token"].as_str().unwrap();
    assert_eq!(first_token_answer(&s, &b).await.0, 400, "b is active: asked for a nonce");

    // Through the admin API: refused from the next request on this server.
    let res = s
        .admin(reqwest::Method::DELETE, &format!("/clients/{}", a.client_id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked: Value = res.json().await.unwrap();
    assert!(revoked["revoked_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{revoked}");
    let (status, body) = first_token_answer(&s, &a).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("revoked"), "{body}");
    // The token it already holds stays valid until it expires, as at HelseID.
    assert_eq!(ping_v1(&s, &a.key, held).await.status(), 200);
    let shown: Value =
        crate::support::json(s.admin(reqwest::Method::GET, &format!("/clients/{}", a.client_id)))
            .await;
    assert_eq!(shown["revoked_at"], revoked["revoked_at"]);
    let missing = s.admin(reqwest::Method::DELETE, "/clients/no-such-client").send().await.unwrap();
    problem(missing, 404).await;

    // Through the CLI against the running server's database: followed within 2 s.
    let out = crate::cli::fjellport(&["clients", "revoke", &b.client_id, "--database", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["client_id"], b.client_id.as_str());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let (status, body) = first_token_answer(&s, &b).await;
        if status == 401 {
            assert_eq!(body["error"], "invalid_client");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still served 2 s after the revocation");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.stop().await;
    let unknown = crate::cli::fjellport(&["clients", "revoke", "nope", "--database", &db]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.starts_with("error: no client with client_id nope"), "{stderr}");
}

fn as_refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[tokio::test]
async fn a_token_request_replayed_at_another_replica_fails_on_postgres() {
    let Some(url) = crate::support::postgres().await else { return };
    let mut cfg = crate::support::config(&url, BEFORE_SUNSET);
    cfg.public_url = Some("https://fjellport.example.test".into());
    let a = TestServer::start(cfg.clone()).await;
    let b = TestServer::start(cfg).await;
    let c = register(&a, json!({})).await;
    let issuer = "https://fjellport.example.test/helseid";
    let endpoint = "https://fjellport.example.test/helseid/connect/token";
    let a_form = assertion(&c.key, &c.client_id, issuer, 30);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", a_form.as_str()),
    ];
    let first = post(&a, &form, Some(&token_proof(&c.key, endpoint, None))).await;
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let p = token_proof(&c.key, endpoint, Some(&nonce));
    // Replica B accepts a nonce replica A issued (stateless, shared key) …
    assert_eq!(post(&b, &form, Some(&p)).await.status(), 200);
    // … and the very same request at A is a replay, though A never saw it.
    oauth_error(post(&a, &form, Some(&p)).await, 400, "invalid_dpop_proof").await;
    // A fresh proof with the spent assertion is refused too.
    let fresh = token_proof(&c.key, endpoint, Some(&nonce));
    oauth_error(post(&a, &form, Some(&fresh)).await, 401, "invalid_client").await;
    a.stop().await;
    b.stop().await;
}

/// The form of a client-credentials request with `assertion` and the SyntPop scope.
fn client_credentials(assertion: &str) -> [(&'static str, &str); 4] {
    [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
        ("scope", SCOPE),
    ]
}

/// An Ed25519 key as current JOSE libraries use it, naming its algorithm `alg` in every JWS.
struct Ed25519Client {
    pair: aws_lc_rs::signature::Ed25519KeyPair,
    alg: &'static str,
}

impl Ed25519Client {
    fn new(alg: &'static str) -> Ed25519Client {
        let pkcs8 = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
        let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        Ed25519Client { pair, alg }
    }

    fn jwk(&self) -> Value {
        use aws_lc_rs::signature::KeyPair;
        let x = fjellport_auth::jose::b64e(self.pair.public_key().as_ref());
        json!({"kty": "OKP", "crv": "Ed25519", "x": x})
    }

    fn sign(&self, header: Value, claims: Value) -> String {
        let b64 = |v: &Value| fjellport_auth::jose::b64e(v.to_string().as_bytes());
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let sig = self.pair.sign(input.as_bytes());
        format!("{input}.{}", fjellport_auth::jose::b64e(sig.as_ref()))
    }

    fn assertion(&self, client_id: &str, aud: &str) -> String {
        self.sign(
            json!({"alg": self.alg, "typ": "client-authentication+jwt"}),
            json!({"iss": client_id, "sub": client_id, "aud": aud, "iat": now(),
                   "exp": now() + 30, "jti": random_id("ca_")}),
        )
    }

    fn proof(&self, method: &str, uri: &str, token: Option<&str>, nonce: Option<&str>) -> String {
        let mut claims = json!({"jti": random_id("p_"), "htm": method, "htu": uri, "iat": now()});
        if let Some(t) = token {
            claims["ath"] = json!(fjellport_auth::jose::sha256_b64(t.as_bytes()));
        }
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        self.sign(json!({"typ": "dpop+jwt", "alg": self.alg, "jwk": self.jwk()}), claims)
    }
}

#[tokio::test]
async fn ed25519_keys_sign_assertions_and_proofs_by_either_name() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    let meta: Value =
        crate::support::json(s.get("/helseid/.well-known/openid-configuration")).await;
    let advertised = meta["dpop_signing_alg_values_supported"].as_array().unwrap();
    assert!(advertised.contains(&json!("Ed25519")), "{meta}");
    assert!(advertised.contains(&json!("EdDSA")), "{meta}");
    for alg in ["Ed25519", "EdDSA"] {
        let c = Ed25519Client::new(alg);
        let body = json!({"jwk": c.jwk(), "scopes": [SCOPE], "orgnr_parent": "974760673"});
        let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "{alg}");
        let client_id =
            res.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
        let a = c.assertion(&client_id, &s.url("/helseid"));
        let form = client_credentials(&a);
        let first = post(&s, &form, Some(&c.proof("POST", &token_url(&s), None, None))).await;
        let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
        oauth_error(first, 400, "use_dpop_nonce").await;
        let res = post(&s, &form, Some(&c.proof("POST", &token_url(&s), None, Some(&nonce)))).await;
        assert_eq!(res.status(), 200, "{alg}: {}", res.text().await.unwrap());
        let token: Value = res.json().await.unwrap();
        let token = token["access_token"].as_str().unwrap();
        let uri = s.url("/syntpop/api/ping");
        let res = s
            .get("/syntpop/api/ping")
            .header("X-api-version", "1.0")
            .header("Authorization", format!("DPoP {token}"))
            .header("DPoP", c.proof("GET", &uri, Some(token), None))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{alg}");
    }
    // A symmetric algorithm is still refused, and the refusal names it.
    let c = Ed25519Client::new("HS256");
    let body = json!({"jwk": c.jwk(), "scopes": [SCOPE], "orgnr_parent": "974760673"});
    let res = s.admin(reqwest::Method::POST, "/clients").json(&body).send().await.unwrap();
    let client_id = res.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let a = c.assertion(&client_id, &s.url("/helseid"));
    let form = client_credentials(&a);
    let proof = Ed25519Client::new("Ed25519").proof("POST", &token_url(&s), None, None);
    let first = post(&s, &form, Some(&proof)).await;
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let proof = Ed25519Client::new("Ed25519").proof("POST", &token_url(&s), None, Some(&nonce));
    let v = oauth_error(post(&s, &form, Some(&proof)).await, 401, "invalid_client").await;
    let why = v["error_description"].as_str().unwrap();
    assert!(why.contains("\"HS256\"") && why.contains("Ed25519"), "{why}");
    s.stop().await;
}

#[tokio::test]
async fn a_failing_database_is_logged_not_told_to_the_client() {
    let (s, db, _dir) = TestServer::on_file("token-broken.db").await;
    let c = register(&s, json!({})).await;
    crate::support::break_table(&db, "clients").await;
    let a = assertion(&c.key, &c.client_id, &s.url("/helseid"), 30);
    let form = client_credentials(&a);
    let res = post(&s, &form, Some(&token_proof(&c.key, &token_url(&s), None))).await;
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let v = oauth_error(res, 500, "server_error").await;
    let why = v["error_description"].as_str().unwrap();
    assert!(!why.contains("clients") && !why.contains("table") && !why.contains("SQL"), "{why}");
    assert!(why.contains(&request_id), "names the request id to look up in the log: {why}");
    s.stop().await;
}
