//! The ID-porten-like issuer's endpoints besides the login page: `POST /<issuer>/token`
//! redeeming an authorization code (RFC 6749 §4.1.3, PKCE per RFC 7636 §4.5), the OpenID
//! metadata at `/.well-known/openid-configuration`, the keys at `/jwks.json` and
//! `/userinfo`, where ID-porten has them. Clients authenticate with `private_key_jwt`, or are
//! public (registered without a key) and rely on PKCE alone.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fjellport_auth::authorize::{CodeGrant, LEVELS, check_pkce, pairwise_sub};
use fjellport_auth::client_auth::ClientAssertion;
use fjellport_auth::jose::{Alg, sha256_b64};
use fjellport_auth::profile::ClientFacts;
use fjellport_auth::token::{TokenPolicy, verify_token};
use fjellport_store::{StoreError, StoredClient};
use http::header::{AUTHORIZATION, CACHE_CONTROL, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::IssuerState;
use crate::token::{
    JWT_BEARER, active_client, failure, first_use_everywhere, oauth_error, read_grant,
    refuse_client,
};

/// How ID-porten's test environment says a synthetic person logged in.
const AMR: &str = "TestID";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CodeTokenResponse {
    access_token: String,
    /// The OpenID Connect ID token (the request's scope includes `openid`).
    id_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    expires_in: i64,
    scope: String,
}

fn invalid_client(description: &str) -> Response {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description)
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// Redeems an authorization code.
#[utoipa::path(post, path = "/token", tag = "idporten",
    request_body(content = crate::forms::CodeGrantForm, content_type = "application/x-www-form-urlencoded",
        description = "grant_type=authorization_code, code, redirect_uri (as in the authorization request), code_verifier (PKCE), client_id; and client_assertion_type + client_assertion (private_key_jwt) unless the client is public"),
    responses(
        (status = 200, description = "Access token and ID token", body = CodeTokenResponse),
        (status = 400, description = "RFC 6749 error: invalid_request, unsupported_grant_type, invalid_grant (unknown, used or expired code; redirect_uri or code_verifier mismatch)", body = Object),
        (status = 401, description = "invalid_client", body = Object)))]
pub(crate) async fn post_token(
    State(s): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = s.clock.now().timestamp();
    let form = match read_grant(&headers, &body, "authorization_code") {
        Ok(form) => form,
        Err(refusal) => return refusal,
    };
    let param = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if headers.contains_key(AUTHORIZATION) {
        return invalid_client(
            "client secrets are not supported: authenticate with private_key_jwt, or register \
             a public client and rely on PKCE",
        );
    }
    let assertion = match (param("client_assertion_type"), param("client_assertion")) {
        (None, None) => None,
        (Some(JWT_BEARER), Some(a)) => match ClientAssertion::parse(a, param("client_id")) {
            Ok(p) => Some(p),
            Err(e) => return invalid_client(&e.to_string()),
        },
        _ => {
            return invalid_client(
                "private_key_jwt needs client_assertion_type jwt-bearer and a client_assertion",
            );
        }
    };
    let Some(client_id) = assertion.as_ref().map(|a| a.client_id()).or(param("client_id")) else {
        return invalid_client("name the client: client_id, or a client_assertion");
    };
    let client = match active_client(&s, &headers, client_id).await {
        Ok(c) => c,
        Err(why) => return refuse_client(why),
    };
    let client_amr = match (&assertion, client.is_public()) {
        (Some(parsed), false) => {
            let jwks: Value = serde_json::from_str(&client.jwks).unwrap_or(Value::Null);
            let token_url = s.token_url();
            let audiences = [s.issuer.url.as_str(), token_url.as_str()];
            let spent = match parsed.verify(&jwks, &audiences, now, &s.replay) {
                Ok(spent) => spent,
                Err(e) => return invalid_client(&e.to_string()),
            };
            let key = format!("client-assertion:{}", client.client_id);
            match first_use_everywhere(&s, &headers, &key, &spent.jti, spent.until, now).await {
                Ok(true) => "private_key_jwt",
                Ok(false) => return invalid_client("the client assertion (jti) was used before"),
                Err(answer) => return answer,
            }
        }
        (None, true) => "none",
        (Some(_), true) => {
            return invalid_client(
                "this client is public (no registered key): send client_id only",
            );
        }
        (None, false) => {
            return invalid_client("this client authenticates with private_key_jwt");
        }
    };
    let Some(code) = param("code") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "code is missing");
    };
    let grant = match s.store.take_code(&sha256_b64(code.as_bytes()), now).await {
        Ok(Some(doc)) => match serde_json::from_str::<CodeGrant>(&doc) {
            Ok(g) => g,
            Err(e) => return failure(&headers, false, &e),
        },
        Ok(None) => return invalid_grant("the code is unknown, expired or already used"),
        Err(e) => return failure(&headers, matches!(e, StoreError::Unavailable(_)), &e),
    };
    // The code is spent from here on, whatever follows (RFC 6749 §4.1.2: one use only).
    if grant.client_id != client.client_id {
        return invalid_grant("the code was issued to another client");
    }
    if param("redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return invalid_grant("redirect_uri must be the one of the authorization request");
    }
    if let Err(e) = check_pkce(&grant.code_challenge, param("code_verifier")) {
        return invalid_grant(&e.to_string());
    }
    match tokens(&s, &client, client_amr, &grant, now) {
        Ok(body) => {
            (StatusCode::OK, [(CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(body))
                .into_response()
        }
        Err(e) => failure(&headers, false, &e),
    }
}

/// The access token (for APIs: Altinn reads `pid` and `acr`) and the ID token (for the
/// client: who logged in, with the request's `nonce`).
fn tokens(
    s: &IssuerState,
    client: &StoredClient,
    client_amr: &str,
    grant: &CodeGrant,
    now: i64,
) -> Result<CodeTokenResponse, fjellport_auth::jose::JoseError> {
    let sub = pairwise_sub(&s.issuer.url, &client.client_id, &grant.pid);
    let scope = grant.scopes.join(" ");
    let login = |claims: &mut Map<String, Value>| {
        claims.insert("sub".into(), json!(sub));
        claims.insert("pid".into(), json!(grant.pid));
        claims.insert("acr".into(), json!(grant.acr));
        claims.insert("amr".into(), json!([AMR]));
        claims.insert("auth_time".into(), json!(grant.auth_time));
    };
    let mut access = Map::new();
    access.insert("client_id".into(), json!(client.client_id));
    access.extend(s.profile.client_claims(&ClientFacts::from(client)));
    access.insert("client_amr".into(), json!(client_amr));
    login(&mut access);
    access.insert("scope".into(), json!(scope));
    let access_token = s.issuer.mint(access, now, s.token_lifetime_secs)?;
    let mut id = Map::new();
    id.insert("aud".into(), json!(client.client_id));
    login(&mut id);
    id.insert("sid".into(), json!(grant.sid));
    id.insert("locale".into(), json!("nb"));
    if let Some(nonce) = &grant.nonce {
        id.insert("nonce".into(), json!(nonce));
    }
    // OIDC Core §3.1.3.6: the left half of the access token's SHA-256.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    id.insert("at_hash".into(), json!(fjellport_auth::jose::b64e(&digest.as_ref()[..16])));
    let id_token = s.issuer.mint_id_token(id, now, s.token_lifetime_secs)?;
    Ok(CodeTokenResponse {
        access_token,
        id_token,
        token_type: "Bearer",
        expires_in: s.token_lifetime_secs,
        scope,
    })
}

/// The OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "idporten",
    responses((status = 200, description = "OpenID Provider metadata", body = Object)))]
pub(crate) async fn get_openid_configuration(State(s): State<Arc<IssuerState>>) -> Json<Value> {
    let url = &s.issuer.url;
    Json(json!({
        "issuer": url,
        "authorization_endpoint": s.authorize_url(),
        "token_endpoint": s.token_url(),
        "jwks_uri": format!("{url}/jwks.json"),
        "userinfo_endpoint": format!("{url}/userinfo"),
        "scopes_supported": s.scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [s.issuer.alg().as_str()],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported":
            Alg::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": LEVELS,
        "claims_supported": ["sub", "pid", "acr", "amr", "auth_time", "locale", "sid", "nonce"],
        "ui_locales_supported": ["nb", "nn", "en", "se"],
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": "Fjellport test stand-in: not ID-porten, synthetic persons only",
    }))
}

/// The issuer's public signing keys.
#[utoipa::path(get, path = "/jwks.json", tag = "idporten",
    responses((status = 200, description = "JSON Web Key Set", body = Object)))]
pub(crate) async fn get_jwks(State(s): State<Arc<IssuerState>>) -> Json<Value> {
    Json(s.issuer.jwks())
}

/// The same, by POST (OpenID Connect Core §5.3.1: the UserInfo endpoint takes both).
#[utoipa::path(post, path = "/userinfo", tag = "idporten",
    params(("Authorization" = String, Header, description = "Bearer <access token of this issuer>")),
    responses(
        (status = 200, description = "`sub`, `pid`, `locale`", body = Object),
        (status = 401, description = "No valid access token (WWW-Authenticate: Bearer)", body = Object)))]
pub(crate) async fn post_userinfo(state: State<Arc<IssuerState>>, headers: HeaderMap) -> Response {
    get_userinfo(state, headers).await
}

/// Who the access token's person is (ID-porten tells no more than the number).
#[utoipa::path(get, path = "/userinfo", tag = "idporten",
    params(("Authorization" = String, Header, description = "Bearer <access token of this issuer>")),
    responses(
        (status = 200, description = "`sub`, `pid`, `locale`", body = Object),
        (status = 401, description = "No valid access token (WWW-Authenticate: Bearer)", body = Object)))]
pub(crate) async fn get_userinfo(
    State(s): State<Arc<IssuerState>>,
    headers: HeaderMap,
) -> Response {
    let now = s.clock.now().timestamp();
    let challenge = |error: &str, description: &str| {
        let mut res = oauth_error(StatusCode::UNAUTHORIZED, error, description);
        let value = format!("Bearer error=\"{error}\"");
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        res
    };
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let Some(token) = token else {
        return challenge("invalid_request", "send the access token as Authorization: Bearer");
    };
    let policy =
        TokenPolicy { issuer: s.issuer.url.clone(), audience: None, scope: None, leeway_secs: 30 };
    let issuer = &s.issuer;
    match verify_token(token, &|kid| issuer.public_key(kid), &policy, now) {
        Ok(t) => {
            let claim = |name: &str| t.claims.get(name).cloned().unwrap_or(Value::Null);
            Json(json!({"sub": claim("sub"), "pid": claim("pid"), "locale": "nb"})).into_response()
        }
        Err(e) => challenge("invalid_token", &e.to_string()),
    }
}
