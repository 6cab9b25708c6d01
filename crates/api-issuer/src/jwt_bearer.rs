//! The Maskinporten-like issuer's endpoints: `POST /<issuer>/token` with a JWT grant
//! (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, RFC 7523 §2.1, the rules in
//! `fjellport_auth::jwt_grant`), the metadata at `/.well-known/oauth-authorization-server` and
//! the keys at `/jwk`, where Maskinporten has them.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fjellport_auth::jwt_grant::{GRANT_ALGS, GrantError, JWT_BEARER_GRANT, JwtGrant};
use fjellport_auth::profile::{ClientFacts, iso6523};
use http::header::CACHE_CONTROL;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::IssuerState;
use crate::token::{
    NoClient, active_client, failure, first_use_everywhere, oauth_error, read_grant,
};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct GrantResponse {
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    expires_in: i64,
    scope: String,
}

fn invalid_grant(e: &GrantError) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &e.to_string())
}

/// Issues an access token for a JWT grant.
#[utoipa::path(post, path = "/token", tag = "maskinporten",
    request_body(content = crate::forms::JwtGrantForm, content_type = "application/x-www-form-urlencoded",
        description = "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and assertion: a JWT grant signed RS256/RS384/RS512 by the client's registered key (kid), with aud (the issuer identifier), iss (client_id), iat, exp (≤ 120 s after iat), scope, and optionally jti, resource and consumer_org"),
    responses(
        (status = 200, description = "The access token", body = GrantResponse),
        (status = 400, description = "RFC 6749 error: invalid_request, unsupported_grant_type, invalid_grant (the description names the rule), invalid_scope", body = Object)))]
pub(crate) async fn post_token(
    State(s): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = s.clock.now().timestamp();
    let form = match read_grant(&headers, &body, JWT_BEARER_GRANT) {
        Ok(form) => form,
        Err(refusal) => return refusal,
    };
    let param = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(assertion) = param("assertion") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "assertion is missing");
    };
    let grant = match JwtGrant::parse(assertion) {
        Ok(g) => g,
        Err(e) => return invalid_grant(&e),
    };
    let client = match active_client(&s, &headers, &grant.client_id).await {
        Ok(c) => c,
        Err(NoClient::Unknown) => return invalid_grant(&GrantError::UnknownClient),
        Err(NoClient::Revoked) => return invalid_grant(&GrantError::RevokedClient),
        Err(NoClient::Failed(answer)) => return answer,
    };
    let jwks: Value = serde_json::from_str(&client.jwks).unwrap_or(Value::Null);
    let granted = match grant.verify(&jwks, &s.issuer.url, now, &s.replay) {
        Ok(g) => g,
        Err(e) => return invalid_grant(&e),
    };
    // Across replicas (PostgreSQL): a grant is single-use everywhere.
    if let Some((jti, until)) = &granted.jti {
        let scope_key = format!("jwt-grant:{}", client.client_id);
        match first_use_everywhere(&s, &headers, &scope_key, jti, *until, now).await {
            Ok(true) => {}
            Ok(false) => return invalid_grant(&GrantError::Replayed),
            Err(answer) => return answer,
        }
    }
    if let Some(bad) = granted.scopes.iter().find(|sc| !client.scopes.contains(sc)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("The client may not have scope {bad}"),
        );
    }
    let scope = granted.scopes.join(" ");
    let mut claims = Map::new();
    claims.insert("client_id".into(), json!(client.client_id));
    claims.insert("scope".into(), json!(scope));
    claims.extend(s.profile.client_claims(&ClientFacts::from(client.as_ref())));
    // Acting for another organization: it must have delegated to the client's; the token then
    // names it as consumer and the client's own as supplier.
    if let Some(org) = &granted.consumer_org
        && client.orgnr_parent.as_deref() != Some(org.as_str())
    {
        let own = client.orgnr_parent.clone().unwrap_or_default();
        if !client.delegations.contains(org) {
            return invalid_grant(&GrantError::BadConsumerOrg(format!(
                "organization {org} has not delegated to this client's organization {own}"
            )));
        }
        claims.insert("consumer".into(), iso6523(org));
        claims.insert("supplier".into(), iso6523(&own));
    }
    match granted.resources.as_slice() {
        [] => {}
        [one] => {
            claims.insert("aud".into(), json!(one));
        }
        many => {
            claims.insert("aud".into(), json!(many));
        }
    }
    let token = match s.issuer.mint(claims, now, s.token_lifetime_secs) {
        Ok(t) => t,
        Err(e) => return failure(&headers, false, &e),
    };
    let body = GrantResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: s.token_lifetime_secs,
        scope,
    };
    (StatusCode::OK, [(CACHE_CONTROL, HeaderValue::from_static("no-store"))], axum::Json(body))
        .into_response()
}

/// The authorization server's metadata (RFC 8414).
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "maskinporten",
    responses((status = 200, description = "Authorization server metadata", body = Object)))]
pub(crate) async fn get_metadata(State(s): State<Arc<IssuerState>>) -> Json<Value> {
    let url = &s.issuer.url;
    Json(json!({
        "issuer": url,
        "token_endpoint": s.token_url(),
        "jwks_uri": format!("{url}jwk"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "grant_types_supported": [JWT_BEARER_GRANT],
        "token_endpoint_auth_signing_alg_values_supported":
            GRANT_ALGS.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "scopes_supported": s.scopes,
        "service_documentation": "Fjellport test stand-in: not Maskinporten, synthetic data only",
    }))
}

/// The issuer's public signing keys.
#[utoipa::path(get, path = "/jwk", tag = "maskinporten",
    responses((status = 200, description = "JSON Web Key Set", body = Object)))]
pub(crate) async fn get_jwk(State(s): State<Arc<IssuerState>>) -> Json<Value> {
    Json(s.issuer.jwks())
}
