//! The resource-server guard: `Authorization: DPoP <token>` plus a `DPoP` proof, checked
//! against a trusted issuer. The gateway turns [`GuardError`] into a 401/403 with the
//! `WWW-Authenticate: DPoP …` challenge.

// The verified-token cache is looked up by hash, never iterated.
#![allow(clippy::disallowed_types)]

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::dpop::{ProofError, ProofPolicy, ProofTarget, first_use_shared, verify_proof};
use crate::issuer::Issuer;
use crate::nonce::NonceKey;
use crate::replay::ReplayCache;
use crate::token::{AccessToken, TokenError, TokenPolicy, verify_token};
use crate::trust::ExternalIssuer;
use fjellport_store::ReplayStore;

/// Verifies DPoP-bound access tokens from the embedded issuer.
#[derive(Debug)]
pub struct DpopGuard {
    pub issuer: Arc<Issuer>,
    pub proof_policy: ProofPolicy,
    replay: ReplayCache,
    /// Verified tokens by SHA-256, until they expire: a token's signature is checked once,
    /// while every request's proof is still checked in full (DESIGN: performance principles).
    verified: RwLock<HashMap<[u8; 32], AccessToken>>,
    /// The replay record replicas share (PostgreSQL); `None` on a single node (SQLite), where
    /// the in-memory cache sees every proof.
    shared_replay: Option<Arc<dyn ReplayStore>>,
    /// When set, proofs must carry a nonce this server issued (RFC 9449 §9; stateless, so any
    /// replica accepts another's).
    nonces: Option<Arc<NonceKey>>,
    /// Issuers trusted beside the embedded one.
    external: Vec<Arc<ExternalIssuer>>,
}

/// Tokens remembered as verified; past this the cache starts over (bounded memory).
const VERIFIED_CAPACITY: usize = 100_000;

/// What a request presents: the token from `Authorization: DPoP`, the raw `DPoP` header
/// values, and the request's method and external URI.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    pub token: &'a str,
    pub proofs: &'a [&'a [u8]],
    pub method: &'a str,
    pub uri: &'a str,
    /// Unix seconds by the clock.
    pub now: i64,
}

/// Who the caller is, once token and proof check out.
#[derive(Debug, Clone)]
pub struct TokenIdentity {
    pub client_id: Option<String>,
    /// Owner of reserved persons: `orgnr_parent`, else `client_id`.
    pub owner: Option<String>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardError {
    Proof(ProofError),
    Token(TokenError),
    /// The token is not bound to a key (no `cnf.jkt`), so it cannot be used with DPoP.
    NotBound,
    /// The proof key is not the key the token is bound to.
    WrongKey,
    /// The shared replay record could not be consulted (fail closed).
    Unavailable(String),
}

impl GuardError {
    /// The RFC 6750 / RFC 9449 error code for `WWW-Authenticate`.
    pub fn code(&self) -> &'static str {
        match self {
            GuardError::Proof(ProofError::UseNonce) => "use_dpop_nonce",
            GuardError::Proof(_) => "invalid_dpop_proof",
            GuardError::Token(TokenError::InsufficientScope) => "insufficient_scope",
            GuardError::Token(_) | GuardError::NotBound | GuardError::WrongKey => "invalid_token",
            GuardError::Unavailable(_) => "temporarily_unavailable",
        }
    }

    pub fn description(&self) -> String {
        match self {
            GuardError::Proof(e) => e.to_string(),
            GuardError::Token(e) => e.to_string(),
            GuardError::NotBound => "the access token is not DPoP-bound (no cnf.jkt)".into(),
            GuardError::WrongKey => {
                "Invalid DPoP key binding: the proof key is not the token's".into()
            }
            GuardError::Unavailable(e) => format!("the replay record is unavailable: {e}"),
        }
    }
}

/// The `iss` a token claims, before anything about it is verified.
fn claimed_issuer(token: &str) -> Option<String> {
    let jws = crate::jose::Jws::parse(token).ok()?;
    jws.payload.get("iss").and_then(serde_json::Value::as_str).map(str::to_owned)
}

impl DpopGuard {
    /// The token's facts, from the cache when it was verified before and has not expired.
    /// The cache is keyed by the token's hash and the policy it was checked against.
    fn verified_token(
        &self,
        token: &str,
        policy: &TokenPolicy,
        now: i64,
    ) -> Result<AccessToken, GuardError> {
        let key = {
            let text = format!(
                "{}\u{0}{:?}\u{0}{:?}\u{0}{token}",
                policy.issuer, policy.audience, policy.scope
            );
            let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
            let mut k = [0u8; 32];
            k.copy_from_slice(d.as_ref());
            k
        };
        let cached = self.verified.read().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
        if let Some(access) = cached {
            if now <= access.exp + policy.leeway_secs {
                return Ok(access);
            }
            return Err(GuardError::Token(TokenError::Expired));
        }
        let access = match self.external.iter().find(|e| e.url == policy.issuer) {
            Some(external) => verify_token(token, &|kid| external.public_key(kid), policy, now),
            None => {
                let issuer = &self.issuer;
                verify_token(token, &|kid| issuer.public_key(kid), policy, now)
            }
        }
        .map_err(GuardError::Token)?;
        let mut cache = self.verified.write().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= VERIFIED_CAPACITY {
            cache.retain(|_, t| now <= t.exp + policy.leeway_secs);
            if cache.len() >= VERIFIED_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(key, access.clone());
        Ok(access)
    }

    pub fn new(
        issuer: Arc<Issuer>,
        proof_policy: ProofPolicy,
        replay_capacity: usize,
        shared_replay: Option<Arc<dyn ReplayStore>>,
    ) -> DpopGuard {
        DpopGuard {
            issuer,
            proof_policy,
            replay: ReplayCache::new(replay_capacity),
            verified: RwLock::new(HashMap::new()),
            shared_replay,
            nonces: None,
            external: Vec::new(),
        }
    }

    /// Also trusts tokens from these issuers.
    pub fn with_external(mut self, issuers: Vec<Arc<ExternalIssuer>>) -> DpopGuard {
        self.external = issuers;
        self
    }

    /// Demands resource-server nonces made with `key`.
    pub fn with_nonces(mut self, key: Arc<NonceKey>) -> DpopGuard {
        self.nonces = Some(key);
        self
    }

    /// A nonce to hand the client (`DPoP-Nonce`), when this guard demands them.
    pub fn fresh_nonce(&self, now: i64) -> Option<String> {
        self.nonces.as_ref().map(|k| k.issue(now))
    }

    /// Checks the presented token and proof for a request, against what the API requires.
    pub async fn authenticate(
        &self,
        presented: &Presented<'_>,
        audience: &str,
        scope: &str,
    ) -> Result<TokenIdentity, GuardError> {
        let Presented { token, proofs, method, uri, now } = *presented;
        // The token names its issuer; trust decides whose keys check it (the embedded issuer's
        // unless it names a configured external one).
        // (Read only when external issuers are configured: the common case pays nothing.)
        let claimed = if self.external.is_empty() { None } else { claimed_issuer(token) };
        let issuer_url =
            match self.external.iter().find(|e| Some(e.url.as_str()) == claimed.as_deref()) {
                Some(e) => e.url.clone(),
                None => self.issuer.url.clone(),
            };
        let policy = TokenPolicy {
            issuer: issuer_url,
            audience: Some(audience.to_owned()),
            scope: Some(scope.to_owned()),
            leeway_secs: 30,
        };
        let access = self.verified_token(token, &policy, now)?;
        let bound = access.jkt.as_deref().ok_or(GuardError::NotBound)?;
        // In a block: the target (it may hold a non-Sync nonce check) must not live across the
        // await below, or this future would not be Send.
        let proof = {
            let accepts = |n: &str| self.nonces.as_ref().is_some_and(|k| k.accepts(n, now));
            let nonce: Option<&dyn Fn(&str) -> bool> =
                if self.nonces.is_some() { Some(&accepts) } else { None };
            let target = ProofTarget { method, uri, access_token: Some(token), nonce, now };
            verify_proof(proofs, &target, &self.proof_policy, &self.replay)
                .map_err(GuardError::Proof)?
        };
        if proof.jkt != bound {
            return Err(GuardError::WrongKey);
        }
        if let Some(shared) = &self.shared_replay {
            let expires =
                proof.iat + self.proof_policy.max_age_secs + self.proof_policy.max_future_secs;
            match first_use_shared(shared.as_ref(), uri, &proof.jti, expires, now).await {
                Ok(true) => {}
                Ok(false) => return Err(GuardError::Proof(ProofError::Replayed)),
                Err(e) => return Err(GuardError::Unavailable(e.to_string())),
            }
        }
        Ok(TokenIdentity {
            owner: access.orgnr_parent.clone().or_else(|| access.client_id.clone()),
            client_id: access.client_id,
            scopes: access.scopes,
        })
    }
}

/// Checks `Authorization: Bearer` access tokens of one embedded issuer — the Maskinporten-like
/// one, whose tokens Altinn's service owners present beside their API key.
#[derive(Debug)]
pub struct BearerGuard {
    issuer: Arc<Issuer>,
}

/// Who a Bearer token says is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerIdentity {
    pub client_id: Option<String>,
    /// The organization the token is for (Maskinporten's `consumer`, `0192:<orgnr>`).
    pub consumer_org: Option<String>,
    pub scopes: Vec<String>,
}

impl BearerGuard {
    pub fn new(issuer: Arc<Issuer>) -> BearerGuard {
        BearerGuard { issuer }
    }

    /// The token's identity, when the issuer signed it, it has not expired, and it has
    /// `scope_family` or a scope below it (`altinn:serviceowner`, `altinn:serviceowner/…`).
    pub fn authenticate(
        &self,
        token: &str,
        scope_family: &str,
        now: i64,
    ) -> Result<BearerIdentity, TokenError> {
        let policy = TokenPolicy {
            issuer: self.issuer.url.clone(),
            audience: None,
            scope: None,
            leeway_secs: 30,
        };
        let issuer = &self.issuer;
        let access = verify_token(token, &|kid| issuer.public_key(kid), &policy, now)?;
        let below = format!("{scope_family}/");
        if !access.scopes.iter().any(|s| s == scope_family || s.starts_with(&below)) {
            return Err(TokenError::InsufficientScope);
        }
        let consumer_org = access
            .claims
            .get("consumer")
            .and_then(|c| c.get("ID"))
            .and_then(serde_json::Value::as_str)
            .and_then(|id| id.strip_prefix("0192:"))
            .map(str::to_owned);
        Ok(BearerIdentity { client_id: access.client_id, consumer_org, scopes: access.scopes })
    }
}
