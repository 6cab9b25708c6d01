//! POST /<issuer>/connect/token — client_credentials with private_key_jwt only, a DPoP proof on
//! every request (RFC 9449 §5) and server nonces (§8): the first proof without a current nonce
//! gets `400 use_dpop_nonce` and a `DPoP-Nonce` header. Errors are RFC 6749 §5.2 JSON.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fjellport_auth::client_auth::ClientAssertion;
use fjellport_auth::dpop::{ProofError, ProofTarget, first_use_shared, verify_proof};
use fjellport_auth::profile::ClientFacts;
use fjellport_store::{ClientStore, StoreError, StoredClient};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::IssuerState;

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long a client read from the store is reused: changes made elsewhere (the CLI, another
/// replica) take effect within this, and the hot path skips a database read per token.
const CLIENT_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Known clients, briefly. Unknown ids are never cached, so a new client works at once.
#[derive(Debug, Default)]
pub struct ClientCache {
    // Looked up by client id, never iterated.
    #[allow(clippy::disallowed_types)]
    entries: std::sync::RwLock<
        std::collections::HashMap<String, (Arc<StoredClient>, std::time::Instant)>,
    >,
}

impl ClientCache {
    /// Drops a client, so a change to it (a revocation) counts from the next request.
    pub fn forget(&self, client_id: &str) {
        self.entries.write().unwrap_or_else(|e| e.into_inner()).remove(client_id);
    }

    pub(crate) async fn get(
        &self,
        store: &dyn ClientStore,
        client_id: &str,
    ) -> Result<Arc<StoredClient>, StoreError> {
        let hit = self.entries.read().unwrap_or_else(|e| e.into_inner()).get(client_id).cloned();
        if let Some((client, at)) = hit
            && at.elapsed() < CLIENT_TTL
        {
            return Ok(client);
        }
        let client = Arc::new(store.get_client(client_id).await?);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, (_, at)| at.elapsed() < CLIENT_TTL);
        }
        entries.insert(client_id.to_owned(), (client.clone(), std::time::Instant::now()));
        Ok(client)
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TokenResponse {
    access_token: String,
    /// `DPoP` (bound to the proof key) or `Bearer` (clients registered without DPoP).
    token_type: &'static str,
    expires_in: i64,
    scope: String,
    /// The RFC 9396 details granted, when the request asked for some.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    authorization_details: Option<Value>,
}

/// An RFC 6749 §5.2 error.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    (
        status,
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.to_string(),
    )
        .into_response()
}

/// An internal failure at the token endpoint: the cause goes to the log under the request's
/// id, never to the client (store errors name tables, hosts and users). A store outage is
/// `temporarily_unavailable` (503, `Retry-After`); anything else is `server_error` (500).
pub(crate) fn failure(
    headers: &HeaderMap,
    outage: bool,
    cause: &dyn std::fmt::Display,
) -> Response {
    let request_id = headers
        .get(fjellport_gateway::observe::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::error!(request_id, error = %cause, "token endpoint failed");
    let text = format!("see the server log for request id {request_id}");
    if outage {
        temporarily_unavailable(&format!(
            "the database does not answer; try again shortly ({text})"
        ))
    } else {
        oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &format!("internal error ({text})"),
        )
    }
}

/// 503 `temporarily_unavailable` with `Retry-After`, for a server that knows its database is
/// down before the request reaches the endpoint (the token endpoints answer in RFC 6749's
/// format, never problem+json).
pub fn temporarily_unavailable(description: &str) -> Response {
    let mut res =
        oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", description);
    res.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

/// Why a token request's client cannot have a token.
pub(crate) enum NoClient {
    /// No such client at this issuer.
    Unknown,
    Revoked,
    /// The store failed: the answer to send.
    Failed(Response),
}

/// The active client `client_id` of this issuer.
pub(crate) async fn active_client(
    s: &IssuerState,
    headers: &HeaderMap,
    client_id: &str,
) -> Result<Arc<StoredClient>, NoClient> {
    match s.clients.get(s.store.as_ref(), client_id).await {
        Ok(c) if c.issuer != s.issuer.name => Err(NoClient::Unknown),
        Ok(c) if c.revoked_at.is_some() => Err(NoClient::Revoked),
        Ok(c) => Ok(c),
        Err(StoreError::NotFound { .. }) => Err(NoClient::Unknown),
        Err(e) => {
            Err(NoClient::Failed(failure(headers, matches!(e, StoreError::Unavailable(_)), &e)))
        }
    }
}

/// The `invalid_client` answer for a client that cannot have a token.
pub(crate) fn refuse_client(why: NoClient) -> Response {
    match why {
        NoClient::Unknown => invalid_client("unknown client"),
        NoClient::Revoked => invalid_client("the client is revoked"),
        NoClient::Failed(answer) => answer,
    }
}

fn invalid_client(description: &str) -> Response {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description)
}

/// A token request's form, for `grant_type` `grant` only: `application/x-www-form-urlencoded`,
/// no parameter twice (RFC 6749 §3.2), or the `invalid_request`/`unsupported_grant_type` answer.
pub(crate) fn read_grant(
    headers: &HeaderMap,
    body: &[u8],
    grant: &str,
) -> Result<BTreeMap<String, String>, Response> {
    let form = read_form(headers, body)?;
    if form.get("grant_type").map(String::as_str) != Some(grant) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("this issuer takes grant_type={grant} only"),
        ));
    }
    Ok(form)
}

fn read_form(headers: &HeaderMap, body: &[u8]) -> Result<BTreeMap<String, String>, Response> {
    let form_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !form_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the request as application/x-www-form-urlencoded",
        ));
    }
    crate::login::parse_pairs(body)
        .map_err(|why| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &why))
}

/// Records `jti` as used under `scope_key` across replicas (PostgreSQL; on one node the
/// caller's replay cache did it already): `Ok(false)` when it was used before.
pub(crate) async fn first_use_everywhere(
    s: &IssuerState,
    headers: &HeaderMap,
    scope_key: &str,
    jti: &str,
    until: i64,
    now: i64,
) -> Result<bool, Response> {
    let Some(shared) = &s.shared_replay else {
        return Ok(true);
    };
    first_use_shared(shared.as_ref(), scope_key, jti, until, now)
        .await
        .map_err(|e| failure(headers, matches!(e, StoreError::Unavailable(_)), &e))
}

/// Issues an access token.
#[utoipa::path(post, path = "/connect/token", tag = "helseid",
    request_body(content = crate::forms::ClientCredentialsForm, content_type = "application/x-www-form-urlencoded",
        description = "grant_type=client_credentials, client_assertion_type, client_assertion, scope, optional client_id, resource and authorization_details (RFC 9396 JSON; HelseID: helseid_authorization naming the child organization)"),
    params(("DPoP" = String, Header, description = "DPoP proof for POST <issuer>/connect/token")),
    responses(
        (status = 200, description = "The access token", body = TokenResponse),
        (status = 400, description = "RFC 6749 error (invalid_request, unsupported_grant_type, invalid_scope, invalid_target, invalid_authorization_details, invalid_dpop_proof, use_dpop_nonce + DPoP-Nonce)", body = Object),
        (status = 401, description = "invalid_client", body = Object)))]
pub(crate) async fn post_token(
    State(s): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = s.clock.now().timestamp();
    let form = match read_grant(&headers, &body, "client_credentials") {
        Ok(form) => form,
        Err(refusal) => return refusal,
    };
    let param = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if param("client_assertion_type") != Some(JWT_BEARER) {
        return invalid_client(
            "authenticate with private_key_jwt (client_assertion_type jwt-bearer)",
        );
    }
    let Some(assertion) = param("client_assertion") else {
        return invalid_client("client_assertion is missing");
    };
    let parsed = match ClientAssertion::parse(assertion, param("client_id")) {
        Ok(p) => p,
        Err(e) => return invalid_client(&e.to_string()),
    };
    let client = match active_client(&s, &headers, parsed.client_id()).await {
        Ok(c) => c,
        Err(why) => return refuse_client(why),
    };

    // The proof (and its nonce) first: a client told to fetch a nonce may retry with the same
    // assertion, so the assertion's jti is spent only once the proof is in order.
    let proofs: Vec<&[u8]> = headers.get_all("dpop").iter().map(HeaderValue::as_bytes).collect();
    let endpoint = s.token_url();
    let proof = if proofs.is_empty() {
        if client.dpop_bound {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_dpop_proof",
                "this client's tokens are DPoP-bound: send a DPoP proof",
            );
        }
        None
    } else {
        let nonces = s.nonces.clone();
        let accepts = move |n: &str| nonces.accepts(n, now);
        let target = ProofTarget {
            method: "POST",
            uri: &endpoint,
            access_token: None,
            nonce: Some(&accepts),
            now,
        };
        match verify_proof(&proofs, &target, &s.proof_policy, &s.replay) {
            Ok(p) => Some((p.jkt, p.jti, p.iat)),
            Err(ProofError::UseNonce) => {
                let mut res = oauth_error(
                    StatusCode::BAD_REQUEST,
                    "use_dpop_nonce",
                    "Authorization server requires nonce in DPoP proof",
                );
                if let Ok(v) = HeaderValue::from_str(&s.nonces.issue(now)) {
                    res.headers_mut().insert("dpop-nonce", v);
                }
                return res;
            }
            Err(e) => {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", &e.to_string());
            }
        }
    };

    let jwks: Value = serde_json::from_str(&client.jwks).unwrap_or(Value::Null);
    let audiences = [s.issuer.url.as_str(), endpoint.as_str()];
    let spent = match parsed.verify(&jwks, &audiences, now, &s.replay) {
        Ok(spent) => spent,
        Err(e) => return invalid_client(&e.to_string()),
    };
    // Across replicas (PostgreSQL): the proof and the assertion are single-use everywhere.
    if let Some((_, jti, iat)) = &proof {
        let until = iat + s.proof_policy.max_age_secs + s.proof_policy.max_future_secs;
        match first_use_everywhere(&s, &headers, &endpoint, jti, until, now).await {
            Ok(true) => {}
            Ok(false) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_dpop_proof",
                    "this DPoP proof (jti) was used before",
                );
            }
            Err(answer) => return answer,
        }
    }
    let scope_key = format!("client-assertion:{}", client.client_id);
    match first_use_everywhere(&s, &headers, &scope_key, &spent.jti, spent.until, now).await {
        Ok(true) => {}
        Ok(false) => return invalid_client("the client assertion (jti) was used before"),
        Err(answer) => return answer,
    }
    let jkt = proof.map(|(jkt, _, _)| jkt);

    // Scopes: what was asked (default: all the client may have), each allowed.
    let asked: Vec<String> = match param("scope") {
        Some(scope) => scope.split_whitespace().map(str::to_owned).collect(),
        None => client.scopes.clone(),
    };
    if let Some(bad) = asked.iter().find(|s| !client.scopes.contains(s)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("the client may not have scope {bad}"),
        );
    }
    // The profile says which API each scope is for (HelseID: `<audience>/<name>`); the token's
    // aud is the first, unless `resource` picks another of them.
    let audiences: Vec<&str> = asked.iter().filter_map(|a| s.profile.audience_of(a)).collect();
    let aud = match param("resource") {
        Some(r) if audiences.contains(&r) => r.to_owned(),
        Some(r) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_target",
                &format!("no requested scope is for resource {r}"),
            );
        }
        None => match audiences.first() {
            Some(a) => (*a).to_owned(),
            None => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "no requested scope names an API (audience/name)",
                );
            }
        },
    };
    let scope = asked.join(" ");
    let mut claims = Map::new();
    claims.insert("aud".into(), json!(aud));
    claims.insert("scope".into(), json!(scope));
    claims.insert("client_id".into(), json!(client.client_id));
    let facts = ClientFacts::from(client.as_ref());
    claims.extend(s.profile.client_claims(&facts));
    // RFC 9396: what the client asks for per token (HelseID: the organization), as a claim of
    // the client assertion (HelseID's way; some clients send the JSON as text) or as a request
    // parameter (the RFC's).
    let json_text = |text: &str| {
        serde_json::from_str::<Value>(text)
            .map(Some)
            .map_err(|e| format!("authorization_details is not JSON: {e}"))
    };
    let asked = match (parsed.claim("authorization_details"), param("authorization_details")) {
        (None, None) => Ok(None),
        (Some(Value::String(text)), None) => json_text(text),
        (Some(claim), None) => Ok(Some(claim.clone())),
        (None, Some(text)) => json_text(text),
        (Some(_), Some(_)) => {
            Err("send authorization_details once: in the client assertion or as a parameter"
                .to_owned())
        }
    };
    let details = match asked.and_then(|details| {
        let granted = s.profile.authorization_details(&facts, details.as_ref())?;
        Ok((details, granted))
    }) {
        Ok((details, granted)) => {
            claims.extend(granted);
            details
        }
        Err(why) => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_authorization_details", &why);
        }
    };
    if let Some(jkt) = &jkt {
        claims.insert("cnf".into(), json!({ "jkt": jkt }));
    }
    let token = match s.issuer.mint(claims, now, s.token_lifetime_secs) {
        Ok(t) => t,
        Err(e) => {
            return failure(&headers, false, &e);
        }
    };
    let body = TokenResponse {
        access_token: token,
        token_type: if jkt.is_some() { "DPoP" } else { "Bearer" },
        expires_in: s.token_lifetime_secs,
        scope,
        authorization_details: details,
    };
    let mut res =
        (StatusCode::OK, [(CACHE_CONTROL, HeaderValue::from_static("no-store"))], axum::Json(body))
            .into_response();
    if let Ok(v) = HeaderValue::from_str(&s.nonces.issue(now)) {
        res.headers_mut().insert("dpop-nonce", v);
    }
    res
}
