//! Two embedded issuers mounted side by side on one listener and one store: each has its own
//! discovery, signing keys, clients, nonces and claim profile, and nothing one issues or knows
//! is accepted by the other.

use std::sync::Arc;

use fjellport_api_issuer::{IssuerState, router};
use fjellport_auth::Environment;
use fjellport_auth::client_registry::{ClientRequest, KnownIssuer};
use fjellport_auth::dpop::ProofPolicy;
use fjellport_auth::forge::{ProofFor, proof};
use fjellport_auth::issuer::{Issuer, KEEP_RETIRED_SECS};
use fjellport_auth::jose::{Alg, EcSigningKey, Jws};
use fjellport_auth::nonce::NonceKey;
use fjellport_auth::profile::{ClaimProfile, ClientFacts, HelseId};
use fjellport_auth::replay::ReplayCache;
use fjellport_auth::secret::random_id;
use fjellport_clock::{Clock, SharedClock, SystemClock};
use fjellport_store::Store;
use serde_json::{Map, Value, json};

/// An organization-issuer profile unlike HelseID's, to show the claims follow the profile.
#[derive(Debug)]
struct OrgProfile;

impl ClaimProfile for OrgProfile {
    fn client_claims(&self, client: &ClientFacts<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        let org = client.orgnr_parent.unwrap_or_default();
        claims.insert(
            "consumer".into(),
            json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")}),
        );
        claims
    }

    fn audience_of<'s>(&self, scope: &'s str) -> Option<&'s str> {
        scope.split_once(':').map(|(prefix, _)| prefix)
    }
}

async fn state(
    store: &Arc<dyn Store>,
    name: &'static str,
    base: &str,
    profile: Arc<dyn ClaimProfile>,
    scope: &'static str,
) -> IssuerState {
    let clock: SharedClock = Arc::new(SystemClock);
    let now = clock.now().timestamp();
    let url = format!("{base}/{name}");
    IssuerState {
        grant: fjellport_api_issuer::Grant::ClientCredentials,
        issuer: Arc::new(
            Issuer::open(store.as_ref(), name, url, KEEP_RETIRED_SECS, now, Alg::ES256)
                .await
                .unwrap(),
        ),
        profile,
        clock,
        environment: Environment::Test,
        scopes: vec![scope],
        dpop_algs: vec!["ES256"],
        default_proof_uri: format!("{base}/api"),
        store: store.clone(),
        nonces: Arc::new(NonceKey::open(store.as_ref(), name).await.unwrap()),
        replay: Arc::new(ReplayCache::new(10_000)),
        shared_replay: None,
        proof_policy: ProofPolicy::default(),
        token_lifetime_secs: 300,
        clients: Default::default(),
        test_token_lock: None,
    }
}

/// The two issuers of this test, with the scope each grants.
fn known_issuers() -> Vec<KnownIssuer> {
    vec![
        KnownIssuer { name: "helseid", scopes: vec!["nhntsd:syntpop-api/full-access"] },
        KnownIssuer { name: "orgissuer", scopes: vec!["altinn:serviceowner"] },
    ]
}

async fn client(store: &Arc<dyn Store>, issuer: &str, key: &EcSigningKey, scope: &str) -> String {
    let request = ClientRequest {
        jwk: Value::Object(key.public_jwk().members),
        scopes: vec![scope.to_owned()],
        issuer: issuer.to_owned(),
        name: Some(format!("{issuer} client")),
        orgnr_parent: Some("974760673".into()),
        orgnr_child: None,
        dpop_bound: true,
        multi_tenant: false,
        delegations: Vec::new(),
        redirect_uris: Vec::new(),
    };
    let stored = request.register(&known_issuers(), SystemClock.now()).unwrap();
    store.insert_client(&stored).await.unwrap();
    stored.client_id
}

/// A registered client of one issuer, as it asks for tokens.
struct Caller<'a> {
    /// The issuer's URL.
    issuer: &'a str,
    client_id: &'a str,
    key: &'a EcSigningKey,
    scope: &'a str,
}

/// One token request: a fresh assertion, a proof with `nonce`. Returns the status, the body and
/// the `DPoP-Nonce` header.
async fn token_request(
    http: &reqwest::Client,
    caller: &Caller<'_>,
    dpop_key: &EcSigningKey,
    nonce: Option<&str>,
) -> (u16, Value, Option<String>) {
    let Caller { issuer, client_id, key, scope } = *caller;
    let now = SystemClock.now().timestamp();
    let endpoint = format!("{issuer}/connect/token");
    let assertion = key
        .sign(
            &json!({"alg": "ES256", "typ": "JWT", "kid": key.kid()}),
            &json!({"iss": client_id, "sub": client_id, "aud": issuer, "iat": now,
                    "exp": now + 30, "jti": random_id("a-")}),
        )
        .unwrap();
    let target = ProofFor { method: "POST", uri: &endpoint, access_token: None, nonce, now };
    let res = http
        .post(&endpoint)
        .header("DPoP", proof(dpop_key, &target, None).unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&scope={}&client_assertion_type={}&client_assertion={}",
            urlencode(scope),
            urlencode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            assertion
        ))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let nonce = res.headers().get("dpop-nonce").map(|v| v.to_str().unwrap().to_owned());
    (status, res.json().await.unwrap(), nonce)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A token through the nonce dance.
async fn token(http: &reqwest::Client, caller: &Caller<'_>, dpop_key: &EcSigningKey) -> Value {
    let (status, body, nonce) = token_request(http, caller, dpop_key, None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("use_dpop_nonce")), "{body}");
    let (status, body, _) = token_request(http, caller, dpop_key, nonce.as_deref()).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn claims(token: &str) -> (Value, Value) {
    let jws = Jws::parse(token).unwrap();
    (Value::Object(jws.header.clone()), Value::Object(jws.payload.clone()))
}

#[tokio::test]
async fn two_issuers_keep_their_keys_clients_nonces_and_claims_apart() {
    let store = fjellport_store::open("sqlite::memory:").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (health_scope, org_scope) = ("nhntsd:syntpop-api/full-access", "altinn:serviceowner");
    let helseid = state(&store, "helseid", &base, Arc::new(HelseId), health_scope).await;
    let org = state(&store, "orgissuer", &base, Arc::new(OrgProfile), org_scope).await;
    let (a, _) = router(helseid).split_for_parts();
    let (b, _) = router(org).split_for_parts();
    let app = axum::Router::new().nest("/helseid", a).nest("/orgissuer", b);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();
    let (h_url, m_url) = (format!("{base}/helseid"), format!("{base}/orgissuer"));

    // Each discovery document names its own issuer, endpoints and scopes.
    let mut kids = Vec::new();
    for (url, scope) in [(&h_url, health_scope), (&m_url, org_scope)] {
        let doc: Value = http
            .get(format!("{url}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["issuer"], url.as_str());
        assert_eq!(doc["token_endpoint"], format!("{url}/connect/token").as_str());
        assert_eq!(doc["scopes_supported"], json!([scope]));
        let jwks: Value =
            http.get(doc["jwks_uri"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
        let side_kids: Vec<String> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        assert!(!side_kids.is_empty());
        kids.push(side_kids);
    }
    assert!(kids[0].iter().all(|k| !kids[1].contains(k)), "each issuer signs with its own keys");

    let (hk, mk, dpop) = (
        EcSigningKey::generate().unwrap(),
        EcSigningKey::generate().unwrap(),
        EcSigningKey::generate().unwrap(),
    );
    let health_client = client(&store, "helseid", &hk, health_scope).await;
    let org_client = client(&store, "orgissuer", &mk, org_scope).await;
    let h = Caller { issuer: &h_url, client_id: &health_client, key: &hk, scope: health_scope };
    let m = Caller { issuer: &m_url, client_id: &org_client, key: &mk, scope: org_scope };

    // Tokens follow each issuer's claim profile and are signed with its own key.
    let t = token(&http, &h, &dpop).await;
    let (header, c) = claims(t["access_token"].as_str().unwrap());
    assert_eq!(c["iss"], h_url.as_str());
    assert_eq!(c["aud"], "nhntsd:syntpop-api");
    assert_eq!(c["helseid://claims/client/claims/orgnr_parent"], "974760673");
    assert!(c.get("consumer").is_none());
    assert!(kids[0].contains(&header["kid"].as_str().unwrap().to_owned()));

    let t = token(&http, &m, &dpop).await;
    let (header, c) = claims(t["access_token"].as_str().unwrap());
    assert_eq!(c["iss"], m_url.as_str());
    assert_eq!(c["aud"], "altinn");
    assert_eq!(c["consumer"]["ID"], "0192:974760673");
    assert!(c.get("helseid://claims/client/amr").is_none());
    assert!(kids[1].contains(&header["kid"].as_str().unwrap().to_owned()));

    // A client of one issuer is unknown to the other, even with a valid nonce there.
    let (_, _, m_nonce) = token_request(&http, &m, &dpop, None).await;
    let stray = Caller { issuer: &m_url, ..h };
    let (status, body, _) = token_request(&http, &stray, &dpop, m_nonce.as_deref()).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");

    // One issuer's nonce means nothing to the other.
    let (_, _, h_nonce) = token_request(&http, &h, &dpop, None).await;
    let (status, body, _) = token_request(&http, &m, &dpop, h_nonce.as_deref()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("use_dpop_nonce")), "{body}");
}
