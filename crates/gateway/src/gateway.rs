//! The gateway middleware for one API. Steps, in order:
//!
//! 1. CORS preflight — answered here from the union of the API's browser-key origins;
//! 2. version — `X-api-version` against the API's table (400 unknown, 410 after sunset);
//! 3. authentication — the version's mode: API key (401 unknown/inactive, 403 other API) or DPoP;
//! 4. origin — a browser key only from its own origins (403);
//! 5. rate limit — the key's GCRA limiter (429 + `Retry-After`);
//!
//! then the handler. Every answer, success or problem, gets the version report headers,
//! `Vary: Origin`, and the deprecation, CORS and rate-limit headers that apply.

use std::sync::Arc;

use axum::extract::{OriginalUri, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use fjellport_auth::apikey::{ApiName, AppType};
use fjellport_auth::dpop::ProofPolicy;
use fjellport_auth::origin::Origin;
use fjellport_auth::resource::{BearerGuard, DpopGuard, GuardError, Presented};
use fjellport_clock::SharedClock;
use http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use utoipa_axum::router::OpenApiRouter;

use crate::caller::Caller;
use crate::cors::{self, RequestOrigin};
use crate::keys::{CachedKey, KeyCache};
use crate::observe::{MetricLabels, leak_label};
use crate::problem::Problem;
use crate::ratelimit::{Decision, Limiter, SharedLimits};
use crate::version::{AuthMode, VersionSpec, VersionTable};

/// Longest key header value we look at; anything longer is not a key of ours.
const MAX_KEY_LEN: usize = 256;

/// What an API declares to the gateway.
#[derive(Debug, Clone)]
pub struct ApiSpec {
    pub api: ApiName,
    /// Human name used in problem details, e.g. "SyntPop API".
    pub title: &'static str,
    /// Headers that may carry the API key, in order of preference.
    pub key_headers: Vec<HeaderName>,
    /// The first key header as its documentation spells it (e.g. `X-api-key`, `ApiKey`).
    pub key_header_label: &'static str,
    pub versions: VersionTable,
    /// How a call without an API key is answered.
    pub missing_key: MissingKey,
    /// Paths under the API that take no credentials at all (Altinn's `/metadata`): versions,
    /// CORS (an origin some browser key of the API registers) and the rest still apply.
    pub public_paths: Vec<&'static str>,
}

/// The answer to a call without an API key: the APIs differ, and their clients test for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingKey {
    /// 401 with an `ApiKey` challenge (SyntPop).
    Unauthorized,
    /// 400 `Required header '<header>' is missing.`, reason phrase and all (Altinn).
    BadRequest,
}

/// One API's gateway; [`Gateway::wrap`] puts it in front of the API's router.
#[derive(Debug, Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    spec: ApiSpec,
    keys: KeyCache,
    clock: SharedClock,
    /// Verifies DPoP-bound tokens for versions that take them; `None` when no issuer is set up.
    dpop: Option<Arc<DpopGuard>>,
    /// Verifies Bearer tokens for versions that take a key and a token.
    bearer: Option<Arc<BearerGuard>>,
    /// The reason phrase of a missing key under [`MissingKey::BadRequest`], made once.
    missing_key_reason: &'static str,
    /// The external base URL: DPoP's `htu` is checked against it, never the bind address.
    public_url: String,
    /// Version names as `'static` metric labels, parallel to `spec.versions.versions`.
    version_labels: Vec<&'static str>,
    /// One limiter per DPoP client (its `client_id`, else owner), at the API's default rate.
    client_limiters: moka::sync::Cache<String, Arc<Limiter>>,
    /// The limits every replica counts together (PostgreSQL deployments); `None`: this
    /// process's own limiters are the whole limit.
    shared_limits: Option<Arc<SharedLimits>>,
}

/// DPoP clients whose limiters are remembered (least recently used ones are let go).
const CLIENT_LIMITERS: u64 = 10_000;

impl Gateway {
    pub fn new(
        spec: ApiSpec,
        keys: KeyCache,
        clock: SharedClock,
        dpop: Option<Arc<DpopGuard>>,
        public_url: &str,
    ) -> Gateway {
        let version_labels = spec.versions.versions.iter().map(|v| leak_label(&v.name)).collect();
        let public_url = public_url.trim_end_matches('/').to_owned();
        let client_limiters = moka::sync::Cache::new(CLIENT_LIMITERS);
        let missing_key_reason =
            leak_label(&format!("Required header '{}' is missing.", spec.key_header_label));
        Gateway {
            inner: Arc::new(Inner {
                spec,
                keys,
                clock,
                missing_key_reason,
                dpop,
                bearer: None,
                public_url,
                version_labels,
                client_limiters,
                shared_limits: None,
            }),
        }
    }

    /// Also checks Bearer tokens (versions with [`AuthMode::KeyAndBearer`]) with `guard`.
    pub fn with_bearer(mut self, guard: Arc<BearerGuard>) -> Gateway {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.bearer = Some(guard);
        }
        self
    }

    /// Counts rate limits with every other replica through `limits`.
    pub fn with_shared_limits(mut self, limits: Arc<SharedLimits>) -> Gateway {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.shared_limits = Some(limits);
        }
        self
    }

    /// Puts the gateway in front of every route of `router` (and its fallback), keeping the
    /// routes' OpenAPI description.
    pub fn wrap_api<S: Clone + Send + Sync + 'static>(
        self,
        router: OpenApiRouter<S>,
    ) -> OpenApiRouter<S> {
        router.layer(from_fn_with_state(self, run))
    }
}

/// Facts gathered while admitting a request, written onto whatever answer results. Kept as
/// references and numbers, not a header map, so the happy path builds no intermediate map.
struct Decoration<'a> {
    version: Option<&'a VersionSpec>,
    /// `(limit, remaining)` after an allowed request on a limited key.
    rate: Option<(u32, u32)>,
    /// The limited caller's name for [`SharedLimits`] (`<api>/key:<id>`, `<api>/client:<id>`),
    /// and who it
    /// is in a refusal, once the local limiter has let the request through.
    shared_rate: Option<(String, &'static str)>,
    /// Origin to grant `Access-Control-Allow-Origin` on success (the key's own).
    grant_on_success: Option<Origin>,
    /// Origin to grant on an error answer (registered by some browser key of this API).
    grant_on_error: Option<Origin>,
    /// A fresh resource-server nonce for the client (`DPoP-Nonce`), when they are demanded.
    dpop_nonce: Option<String>,
    labels: MetricLabels,
}

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

async fn run(State(gw): State<Gateway>, mut req: Request, next: Next) -> Response {
    let g = &gw.inner;
    let now = g.clock.now();
    let origin = RequestOrigin::of(req.headers());
    let registered = origin.web().filter(|o| g.keys.origin_registered(g.spec.api, o, now)).cloned();
    let mut deco = Decoration {
        version: None,
        rate: None,
        shared_rate: None,
        grant_on_success: None,
        grant_on_error: registered.clone(),
        dpop_nonce: None,
        labels: MetricLabels { api: g.spec.api.as_str(), version: "-" },
    };
    let mut res = match admit(g, &mut req, &origin, registered, now, &mut deco).await {
        Ok(()) => next.run(req).await,
        Err(answer) => answer,
    };
    let ok = res.status().is_success() || res.status().is_redirection();
    let grant = if ok { deco.grant_on_success.take() } else { deco.grant_on_error.take() };
    let headers = res.headers_mut();
    for (name, value) in g.spec.versions.report_headers() {
        headers.insert(name.clone(), value.clone());
    }
    cors::vary_origin(headers);
    if let Some(version) = deco.version {
        for (name, value) in version.deprecation_headers() {
            headers.insert(name.clone(), value.clone());
        }
    }
    if let Some((limit, remaining)) = deco.rate {
        rate_headers(headers, limit, remaining, 1);
    }
    if let Some(nonce) = deco.dpop_nonce.take()
        && let Ok(value) = HeaderValue::from_str(&nonce)
    {
        headers.insert(DPOP_NONCE, value);
    }
    if let Some(origin) = grant {
        cors::allow_origin(&origin, headers);
    }
    res.extensions_mut().insert(deco.labels);
    res
}

/// Steps 1–5; `Err` is the answer to send instead of calling the handler.
async fn admit<'a>(
    g: &'a Inner,
    req: &mut Request,
    origin: &RequestOrigin,
    registered: Option<Origin>,
    now: DateTime<Utc>,
    deco: &mut Decoration<'a>,
) -> Result<(), Response> {
    let spec = &g.spec;

    // 1. Preflight.
    if cors::is_preflight(req.method(), req.headers()) {
        return Err(match registered {
            Some(o) => {
                let mut res = StatusCode::NO_CONTENT.into_response();
                cors::preflight_headers(&o, req.headers(), res.headers_mut());
                res
            }
            None => Problem::new(StatusCode::FORBIDDEN, "origin-not-allowed", "Origin not allowed")
                .detail(format!(
                    "No active browser key of the {} registers this origin; register it on a \
                     browser key (keys create --type browser --origin …).",
                    spec.title
                ))
                .into_response(),
        });
    }

    // 2. Version.
    let version_index = {
        let mut values = req.headers().get_all(&spec.versions.header).iter();
        let chosen = spec.versions.select(&mut values, now).map_err(IntoResponse::into_response)?;
        spec.versions.versions.iter().position(|v| std::ptr::eq(v, chosen)).unwrap_or(0)
    };
    let version: &VersionSpec = &spec.versions.versions[version_index];
    deco.labels.version = g.version_labels[version_index];
    tracing::Span::current().record("api", spec.api.as_str());
    tracing::Span::current().record("version", version.name.as_str());
    deco.version = Some(version);

    // A path that takes no credentials: an anonymous caller, and CORS for any origin a browser
    // key of this API registers.
    let path = req.uri().path();
    if spec
        .public_paths
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
    {
        deco.grant_on_success = registered;
        req.extensions_mut().insert(Caller {
            api: spec.api.as_str(),
            version: version.name.clone(),
            auth: "none",
            key_id: None,
            app_type: None,
            owner: None,
            client_id: None,
            scopes: Vec::new(),
        });
        return Ok(());
    }

    // 3–5 by the version's authentication mode.
    let caller = match &version.auth {
        AuthMode::ApiKey => admit_key(g, req.headers(), origin, version, now, deco)?,
        AuthMode::KeyAndBearer { scope } => {
            let keyed = admit_key(g, req.headers(), origin, version, now, deco)?;
            admit_bearer(g, req.headers(), scope, keyed, now)?
        }
        AuthMode::Dpop { audience, scope } => {
            // Only Sync parts cross the await (the request body is not Sync).
            let path = req
                .extensions()
                .get::<OriginalUri>()
                .map_or_else(|| req.uri().path().to_owned(), |o| o.0.path().to_owned());
            let method = req.method().clone();
            let call = DpopCall { method: &method, path: &path, audience, scope };
            admit_dpop(g, req.headers(), &call, version, now, deco).await?
        }
    };
    // 5, across replicas: the shared count, once this replica's own limiter has agreed.
    if let (Some(shared), Some((name, who)), Some((limit, local_remaining))) =
        (&g.shared_limits, deco.shared_rate.take(), deco.rate)
    {
        match shared.check(&name, limit).await {
            Some(Decision::Limited { limit, retry_after }) => {
                return Err(too_many(limit, retry_after, who));
            }
            Some(Decision::Allowed { remaining, .. }) => {
                deco.rate = Some((limit, remaining.min(local_remaining)));
            }
            None => {}
        }
    }
    req.extensions_mut().insert(caller);
    Ok(())
}

fn admit_key(
    g: &Inner,
    headers: &HeaderMap,
    origin: &RequestOrigin,
    version: &VersionSpec,
    now: DateTime<Utc>,
    deco: &mut Decoration<'_>,
) -> Result<Caller, Response> {
    let spec = &g.spec;
    let presented = presented_key(spec, headers).map_err(IntoResponse::into_response)?;
    let Some(presented) = presented else {
        let detail = format!("This call needs an API key in the {} header.", spec.key_header_label);
        return Err(match spec.missing_key {
            MissingKey::Unauthorized => key_challenge(spec, detail),
            MissingKey::BadRequest => Problem::bad_request("api-key-required", detail)
                .reason(g.missing_key_reason)
                .into_response(),
        });
    };
    let key: Arc<CachedKey> = match g.keys.lookup(presented) {
        Some(k) if k.is_active(now) => k,
        // One answer for unknown, expired and revoked: a wrong secret learns nothing.
        _ => {
            return Err(key_challenge(
                spec,
                "The API key is not valid: it is unknown, expired or revoked.".to_owned(),
            ));
        }
    };
    tracing::Span::current().record("key_id", key.stored.id.as_str());
    if key.api != spec.api {
        return Err(Problem::new(StatusCode::FORBIDDEN, "key-wrong-api", "Key not for this API")
            .detail(format!(
                "This API key belongs to the {} API; the {} needs a key issued for it.",
                key.api, spec.title
            ))
            .with("keyApi", key.api.as_str())
            .into_response());
    }

    // 4. A browser key only from its own origins.
    if key.app_type == AppType::Browser {
        match origin.web() {
            Some(o) if key.allows_origin(o, g.keys.environment()) => {
                deco.grant_on_success = Some(o.clone());
            }
            Some(o) => {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "origin-not-allowed",
                    "Origin not allowed for this key",
                )
                .detail(format!(
                    "This browser key is registered for {}; the request came from {o}.",
                    key.origins.iter().map(Origin::as_str).collect::<Vec<_>>().join(", ")
                ))
                .into_response());
            }
            None => {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "origin-required",
                    "Browser key used without an Origin",
                )
                .detail(
                    "A browser key is used only from a browser on one of its registered origins; \
                     use a key of type 'other' from backends and scripts.",
                )
                .into_response());
            }
        }
    }

    // 5. Rate limit.
    if let Some(limiter) = &key.limiter {
        match limiter.check() {
            Decision::Allowed { limit, remaining } => {
                deco.rate = Some((limit, remaining));
                let name = format!("{}/key:{}", spec.api.as_str(), key.stored.id);
                deco.shared_rate = Some((name, "This key"));
            }
            Decision::Limited { limit, retry_after } => {
                return Err(too_many(limit, retry_after, "This key"));
            }
        }
    }

    key.note_use(now);
    Ok(Caller {
        api: spec.api.as_str(),
        version: version.name.clone(),
        auth: "apiKey",
        key_id: Some(key.stored.id.clone()),
        app_type: Some(key.app_type.as_str()),
        owner: Some(key.stored.owner.clone()),
        client_id: None,
        scopes: Vec::new(),
    })
}

/// The organization's token beside the key (Altinn's service owners): `Authorization: Bearer`
/// from the gateway's Bearer issuer, with a scope of the family `scope`. The caller is then the
/// token's organization (`consumer`), its client, and the key.
fn admit_bearer(
    g: &Inner,
    headers: &HeaderMap,
    scope: &str,
    keyed: Caller,
    now: DateTime<Utc>,
) -> Result<Caller, Response> {
    let refuse = |status: StatusCode, error: &str, detail: String| {
        let challenge = format!(
            "Bearer realm=\"{}\", error=\"{error}\", scope=\"{scope}\"",
            g.spec.api.as_str()
        );
        let reason =
            if status == StatusCode::FORBIDDEN { "Forbidden" } else { "Authorization failed" };
        Problem::new(status, kind_slug(error), "Organization authentication failed")
            .detail(format!("Authorization failed: {detail}"))
            .with("error", error)
            .reason(reason)
            .header(
                WWW_AUTHENTICATE,
                HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer")),
            )
            .into_response()
    };
    let mut auth = headers.get_all(AUTHORIZATION).iter();
    let (first, second) = (auth.next(), auth.next());
    let token = match (first.and_then(|v| v.to_str().ok()), second) {
        (_, Some(_)) => {
            return Err(Problem::bad_request(
                "invalid_request",
                "Send one Authorization header, not several.",
            )
            .into_response());
        }
        (Some(text), None) => match text.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                token.trim()
            }
            _ => {
                return Err(refuse(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "send the organization's Maskinporten token as Authorization: Bearer <token>"
                        .into(),
                ));
            }
        },
        (None, None) => {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                format!(
                    "the {} needs an organization's Maskinporten token (scope {scope}) as \
                     Authorization: Bearer, beside the API key",
                    g.spec.title
                ),
            ));
        }
    };
    let Some(guard) = &g.bearer else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "no Bearer token issuer is configured on this server".into(),
        ));
    };
    let identity = guard.authenticate(token, scope, now.timestamp()).map_err(|e| {
        if e == fjellport_auth::token::TokenError::InsufficientScope {
            refuse(StatusCode::FORBIDDEN, "insufficient_scope", format!("{e}: {scope}"))
        } else {
            refuse(StatusCode::UNAUTHORIZED, "invalid_token", e.to_string())
        }
    })?;
    if let Some(client) = &identity.client_id {
        tracing::Span::current().record("client_id", client.as_str());
    }
    Ok(Caller {
        auth: "apiKey+bearer",
        owner: identity.consumer_org.or(keyed.owner),
        client_id: identity.client_id,
        scopes: identity.scopes,
        ..keyed
    })
}

/// 429 with `Retry-After` and the `RateLimit-*` headers.
fn too_many(limit: u32, retry_after: std::time::Duration, who: &str) -> Response {
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let mut res = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests")
        .detail(format!("{who} may make {limit} requests per second; retry after {secs} s."))
        .with("limit", limit)
        .into_response();
    res.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
    rate_headers(res.headers_mut(), limit, 0, secs);
    res
}

/// `RateLimit-Limit`, `-Remaining` and `-Reset` (draft-ietf-httpapi-ratelimit-headers).
fn rate_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset_secs: u64) {
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(remaining));
    headers.insert(RATELIMIT_RESET, HeaderValue::from(reset_secs));
}

/// The key the request presents, if any; several different ones, or a malformed one, is 400.
fn presented_key<'a>(spec: &ApiSpec, headers: &'a HeaderMap) -> Result<Option<&'a str>, Problem> {
    let mut found: Option<&str> = None;
    for name in &spec.key_headers {
        for value in headers.get_all(name) {
            let text = value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= MAX_KEY_LEN)
                .ok_or_else(|| {
                    Problem::bad_request(
                        "malformed-header",
                        format!(
                            "The {} header must be 1–{MAX_KEY_LEN} visible ASCII characters.",
                            name.as_str()
                        ),
                    )
                })?;
            match found {
                Some(prev) if prev != text => {
                    return Err(Problem::bad_request(
                        "ambiguous-key",
                        "The request carries more than one different API key; send one.",
                    ));
                }
                _ => found = Some(text),
            }
        }
    }
    Ok(found)
}

fn key_challenge(spec: &ApiSpec, detail: String) -> Response {
    let challenge =
        format!("ApiKey realm=\"{}\", header=\"{}\"", spec.api.as_str(), spec.key_header_label);
    Problem::new(StatusCode::UNAUTHORIZED, "invalid-api-key", "API key required")
        .detail(detail)
        .header(
            WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("ApiKey")),
        )
        .into_response()
}

/// What a DPoP-protected call is and needs.
#[derive(Clone, Copy)]
struct DpopCall<'a> {
    method: &'a http::Method,
    path: &'a str,
    audience: &'a str,
    scope: &'a str,
}

/// `Authorization: DPoP <token>` plus a `DPoP` proof (RFC 9449): refuses duplicate
/// `Authorization` headers (400), Bearer (a DPoP-bound token must not be downgraded, §7.2) and
/// API keys, then lets the [`DpopGuard`] check token and proof.
async fn admit_dpop(
    g: &Inner,
    headers: &HeaderMap,
    call: &DpopCall<'_>,
    version: &VersionSpec,
    now: DateTime<Utc>,
    deco: &mut Decoration<'_>,
) -> Result<Caller, Response> {
    let DpopCall { method, path, audience, scope } = *call;
    let spec = &g.spec;
    let algs = g
        .dpop
        .as_ref()
        .map_or_else(|| ProofPolicy::default().algs_header(), |d| d.proof_policy.algs_header());
    let challenge = |error: Option<(&str, &str)>| {
        let mut value = String::from("DPoP ");
        if let Some((error, description)) = error {
            // A header carries visible ASCII only: what a client sent (a crit name) may not be.
            let description: String = description
                .chars()
                .map(|c| match c {
                    '"' | '\\' => '\'',
                    ' '..='~' => c,
                    _ => '?',
                })
                .collect();
            value.push_str(&format!("error=\"{error}\", error_description=\"{description}\", "));
        }
        value.push_str(&format!("algs=\"{algs}\""));
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("DPoP"))
    };
    let refuse = |status: StatusCode, error: Option<&str>, detail: &str| {
        let kind = error.unwrap_or("token-required");
        let title = if status == StatusCode::FORBIDDEN {
            "Insufficient scope"
        } else {
            "Access token required"
        };
        let mut p = Problem::new(status, kind_slug(kind), title)
            .detail(detail.to_owned())
            .header(WWW_AUTHENTICATE, challenge(error.map(|e| (e, detail))));
        if let Some(error) = error {
            p = p.with("error", error);
        }
        p.into_response()
    };
    let mut auth = headers.get_all(AUTHORIZATION).iter();
    let first = auth.next();
    if auth.next().is_some() {
        return Err(Problem::bad_request(
            "invalid_request",
            "Send one Authorization header, not several (RFC 9449 §7.2).",
        )
        .with("error", "invalid_request")
        .into_response());
    }
    let Some(value) = first else {
        let has_key = spec.key_headers.iter().any(|h| headers.contains_key(h));
        let detail = if has_key {
            format!(
                "Version {} takes no API key: send Authorization: DPoP <HelseID access token> \
                 and a DPoP proof.",
                version.name
            )
        } else {
            format!(
                "Version {} needs Authorization: DPoP <HelseID access token> and a DPoP proof.",
                version.name
            )
        };
        return Err(refuse(StatusCode::UNAUTHORIZED, None, &detail));
    };
    let text = value.to_str().unwrap_or_default();
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("dpop") || token.is_empty() {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "This API accepts only DPoP-bound access tokens: use the DPoP scheme, not Bearer.",
        ));
    }
    let Some(guard) = &g.dpop else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "No trusted token issuer is configured on this server.",
        ));
    };
    let uri = format!("{}{path}", g.public_url);
    let proofs: Vec<&[u8]> = headers.get_all("dpop").iter().map(HeaderValue::as_bytes).collect();
    let presented = Presented {
        token,
        proofs: &proofs,
        method: method.as_str(),
        uri: &uri,
        now: now.timestamp(),
    };
    let nonce = guard.fresh_nonce(now.timestamp());
    let identity = guard.authenticate(&presented, audience, scope).await.map_err(|e| {
        // The replay record did not answer: the proof may be fine, so this is no refusal of
        // the caller's credentials but an outage, answered as every route answers one.
        if let GuardError::Unavailable(reason) = &e {
            tracing::error!(error = %reason, "DPoP replay record unavailable");
            return Problem::unavailable(
                "the database does not answer, so the DPoP proof cannot be checked for replay;                  try again shortly",
            )
            .into_response();
        }
        let status = if e.code() == "insufficient_scope" {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        let mut res = refuse(status, Some(e.code()), &e.description());
        // RFC 9449 §9: a nonce to use, with the refusal that asks for one (and with any other
        // refusal, so the retry can carry it).
        if let Some(n) = nonce.as_deref().and_then(|n| HeaderValue::from_str(n).ok()) {
            res.headers_mut().insert(DPOP_NONCE, n);
        }
        res
    })?;
    deco.dpop_nonce = nonce;
    if let Some(client) = &identity.client_id {
        tracing::Span::current().record("client_id", client.as_str());
    }
    // Rate limit per client, at the API's default rate.
    if let Some(rate) = g.keys.default_rate(spec.api) {
        let who = identity.client_id.clone().or_else(|| identity.owner.clone()).unwrap_or_default();
        let limiter = g.client_limiters.get_with(who.clone(), || Arc::new(Limiter::new(rate)));
        match limiter.check() {
            Decision::Allowed { limit, remaining } => {
                deco.rate = Some((limit, remaining));
                let name = format!("{}/client:{who}", spec.api.as_str());
                deco.shared_rate = Some((name, "This client"));
            }
            Decision::Limited { limit, retry_after } => {
                return Err(too_many(limit, retry_after, "This client"));
            }
        }
    }
    Ok(Caller {
        api: spec.api.as_str(),
        version: version.name.clone(),
        auth: "dpop",
        key_id: None,
        app_type: None,
        owner: identity.owner,
        client_id: identity.client_id,
        scopes: Vec::new(),
    })
}

/// Problem `type` slugs for the OAuth error codes.
fn kind_slug(error: &str) -> &'static str {
    match error {
        "invalid_token" => "invalid-token",
        "invalid_dpop_proof" => "invalid-dpop-proof",
        "insufficient_scope" => "insufficient-scope",
        "use_dpop_nonce" => "use-dpop-nonce",
        _ => "token-required",
    }
}
