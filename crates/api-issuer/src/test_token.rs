//! POST /<issuer>/test-token — mints an access token with caller-chosen claims and lifetime,
//! bound to the caller's public key, or with a DPoP proof made here (valid, or broken on purpose
//! in one named way, like HelseID's test token service). Environment `test` only.

use std::sync::Arc;

use axum::extract::State;
use fjellport_auth::forge::{Broken, ProofFor, proof};
use fjellport_auth::jose::{EcSigningKey, PublicJwk};
use fjellport_auth::profile::ClientFacts;
use fjellport_gateway::Problem;
use fjellport_gateway::extract::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::IssuerState;

/// Whom a test token names as its client unless the caller's claims say otherwise.
const TEST_CLIENT: ClientFacts<'static> = ClientFacts {
    client_id: "fjellport-test-client",
    name: "Fjellport test client",
    orgnr_parent: None,
    orgnr_child: None,
    multi_tenant: false,
    delegations: &[],
};

/// Longest lifetime a test token may ask for (retired keys stay published that long).
const MAX_LIFETIME_SECS: i64 = fjellport_auth::issuer::MAX_TOKEN_LIFETIME_SECS;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TestTokenRequest {
    /// Claims to set or override (e.g. `scope`, `client_id`, `aud`, even `exp`).
    #[serde(default)]
    claims: Map<String, Value>,
    /// Lifetime in seconds, 1–86400 (default 300).
    expires_in: Option<i64>,
    /// The caller's public key: the token is bound to it (`cnf.jkt`, `token_type: DPoP`).
    jwk: Option<Value>,
    /// Ask for a DPoP proof made with a key held here, broken in this way (e.g. `bad-signature`).
    broken_proof: Option<String>,
    /// The request the returned proof is for (default `GET <public url>/syntpop/api/ping`).
    proof: Option<ProofRequest>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProofRequest {
    htm: Option<String>,
    htu: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TestTokenResponse {
    access_token: String,
    /// `DPoP` when bound to a key, else `Bearer`.
    token_type: &'static str,
    expires_in: i64,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_proof: Option<String>,
    /// The public key the returned proof was made with.
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_jwk: Option<Value>,
}

/// Passes when the service is open, or the request carries the admin token.
fn unlocked(s: &IssuerState, headers: &http::HeaderMap) -> Result<(), Problem> {
    let Some(hash) = &s.test_token_lock else { return Ok(()) };
    let presented = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if fjellport_auth::secret::bearer_matches(presented, hash) {
        return Ok(());
    }
    Err(Problem::new(
        http::StatusCode::UNAUTHORIZED,
        "test-token-credential-required",
        "Test tokens need the admin token here",
    )
    .detail(
        "This server is reachable beyond loopback (or test_token_requires_admin is set): send \
         Authorization: Bearer <admin token> to mint test tokens. A loopback-only listener \
         (--listen 127.0.0.1:…) keeps the service open for a laptop or CI.",
    )
    .header(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer realm=\"fjellport-test-token\""),
    ))
}

/// What a caller's own claims may not say: an organization number that is no organization
/// number (mod 11), an `exp` past the lifetime asked for (`expiresIn`, at most a day), an
/// `iat` in the future or an `nbf` after `exp`. An `exp` in the past is fine: an expired token
/// is what a negative test needs.
fn check_claims(claims: &Map<String, Value>, now: i64, lifetime: i64) -> Result<(), String> {
    for (name, value) in claims {
        let last = name.rsplit(['/', ':']).next().unwrap_or(name);
        if last.starts_with("orgnr") {
            let text = value.as_str().ok_or(format!("claims.{name} is an organization number"))?;
            text.parse::<fjellport_nin::orgnr::OrgNumber>().map_err(|_| {
                format!("claims.{name}: {text:?} is not a valid organization number (mod 11)")
            })?;
        }
    }
    let time = |name: &str| -> Result<Option<i64>, String> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => fjellport_auth::jose::numeric_date(Some(v))
                .map(Some)
                .ok_or(format!("claims.{name} is a NumericDate (seconds since 1970)")),
        }
    };
    let exp = time("exp")?;
    if let Some(exp) = exp
        && exp > now + lifetime
    {
        return Err(format!(
            "claims.exp lies {}s ahead, past expiresIn ({lifetime}s): raise expiresIn (at most \
             {MAX_LIFETIME_SECS}) instead",
            exp - now
        ));
    }
    if let Some(iat) = time("iat")?
        && iat > now
    {
        return Err(format!("claims.iat lies {}s in the future", iat - now));
    }
    if let (Some(nbf), Some(exp)) = (time("nbf")?, exp)
        && nbf > exp
    {
        return Err("claims.nbf lies after claims.exp".into());
    }
    Ok(())
}

/// Mints a test token.
#[utoipa::path(post, path = "/test-token", tag = "helseid", request_body = TestTokenRequest,
    responses(
        (status = 200, description = "The token (and proof, when asked for)", body = TestTokenResponse),
        (status = 400, description = "A bad request", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "The server listens beyond loopback (or test_token_requires_admin is set) and the request lacks `Authorization: Bearer <admin token>`", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "Body over body_limit_bytes", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not application/json", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn create_test_token(
    State(s): State<Arc<IssuerState>>,
    headers: http::HeaderMap,
    Json(req): Json<TestTokenRequest>,
) -> Result<axum::Json<TestTokenResponse>, Problem> {
    unlocked(&s, &headers)?;
    let bad = |detail: String| Problem::bad_request("invalid-test-token-request", detail);
    let lifetime = req.expires_in.unwrap_or(300);
    if !(1..=MAX_LIFETIME_SECS).contains(&lifetime) {
        return Err(bad(format!("expiresIn must be 1 to {MAX_LIFETIME_SECS} seconds")));
    }
    let broken = req.broken_proof.as_deref().map(str::parse::<Broken>).transpose().map_err(bad)?;
    let wants_proof = broken.is_some() || req.proof.is_some();
    if wants_proof && req.jwk.is_some() {
        return Err(bad(
            "a dpop_proof is made with a key held here: leave out jwk, or make proofs yourself"
                .into(),
        ));
    }
    let now = s.clock.now().timestamp();
    let default_scope = s.scopes.first().copied().unwrap_or_default();
    let mut claims = Map::new();
    claims.insert("client_id".into(), json!(TEST_CLIENT.client_id));
    claims.insert("scope".into(), json!(default_scope));
    claims.extend(s.profile.client_claims(&TEST_CLIENT));
    claims.extend(s.profile.test_claims());
    check_claims(&req.claims, now, lifetime).map_err(bad)?;
    for (k, v) in req.claims {
        claims.insert(k, v);
    }
    if !claims.contains_key("aud") {
        // The first scope that names an API gives the audience (a scope like `openid` names
        // none).
        let scope = claims.get("scope").and_then(Value::as_str).unwrap_or(default_scope);
        let api = scope.split_whitespace().find_map(|a| s.profile.audience_of(a));
        let fallback = scope.split_whitespace().next().unwrap_or_default();
        claims.insert("aud".into(), json!(api.unwrap_or(fallback)));
    }
    let scope = claims.get("scope").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut held_key = None;
    let jkt = match (&req.jwk, wants_proof) {
        (Some(jwk), _) => {
            Some(PublicJwk::from_value(jwk).map_err(|e| bad(format!("jwk: {e}")))?.thumbprint())
        }
        (None, true) => {
            let key = EcSigningKey::generate().map_err(|e| Problem::internal(e.to_string()))?;
            let jkt = key.public_jwk().thumbprint();
            held_key = Some(key);
            Some(jkt)
        }
        (None, false) => None,
    };
    if let Some(jkt) = &jkt {
        claims.insert("cnf".into(), json!({ "jkt": jkt }));
    }
    claims.entry("exp").or_insert(json!(now + lifetime));
    let token =
        s.issuer.mint(claims, now, lifetime).map_err(|e| Problem::internal(e.to_string()))?;
    let (dpop_proof, dpop_jwk) = match &held_key {
        Some(key) => {
            let spec = req.proof.as_ref();
            let method = spec.and_then(|p| p.htm.clone()).unwrap_or_else(|| "GET".into());
            let uri =
                spec.and_then(|p| p.htu.clone()).unwrap_or_else(|| s.default_proof_uri.clone());
            let target = ProofFor {
                method: &method,
                uri: &uri,
                access_token: Some(&token),
                nonce: None,
                now,
            };
            let p = proof(key, &target, broken).map_err(|e| Problem::internal(e.to_string()))?;
            (Some(p), Some(Value::Object(key.public_jwk().members)))
        }
        None => (None, None),
    };
    Ok(axum::Json(TestTokenResponse {
        access_token: token,
        token_type: if jkt.is_some() { "DPoP" } else { "Bearer" },
        expires_in: lifetime,
        scope,
        dpop_proof,
        dpop_jwk,
    }))
}
