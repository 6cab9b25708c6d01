//! DPoP proof verification (RFC 9449 §4.3), for resource servers and the token endpoint.
//!
//! [`verify_proof`] checks, in this order (each step marked in the body):
//!  1. exactly one `DPoP` header;
//!  2. its value is one well-formed compact JWS;
//!  3. `jti`, `htm`, `htu`, `iat` present (and `ath` when a token is presented);
//!  4. `typ` is `dpop+jwt`;
//!  5. `alg` is asymmetric and allowed by the policy;
//!  6. the signature verifies with the header's `jwk`;
//!  7. that `jwk` holds no private key;
//!  8. `htm` equals the request's method;
//!  9. `htu` equals the request's URI, normalised, ignoring query and fragment;
//! 10. `nonce`, when the server demands one, is a nonce it issued and still accepts;
//! 11. `iat` lies within the window (default 60 s back, 5 s ahead);
//! 12. `ath` is base64url(SHA-256(access token));
//!
//! and then that `jti` was not seen before for this URI within the window (replay).
//! Binding the proof key to the token (`cnf.jkt`) is the caller's last check, with the
//! thumbprint returned here.

use std::fmt;

use serde_json::Value;

use crate::jose::{Alg, JoseError, Jws, PublicJwk, numeric_date, sha256_b64, typ_is};
use crate::replay::ReplayCache;

/// What a verifier accepts. Plain data with documented defaults.
#[derive(Debug, Clone)]
pub struct ProofPolicy {
    pub algs: Vec<Alg>,
    /// How old a proof may be, in seconds (default 60).
    pub max_age_secs: i64,
    /// How far in the future `iat` may lie, in seconds (default 5: clock skew).
    pub max_future_secs: i64,
}

impl Default for ProofPolicy {
    fn default() -> Self {
        ProofPolicy { algs: Alg::ALL.to_vec(), max_age_secs: 60, max_future_secs: 5 }
    }
}

impl ProofPolicy {
    pub fn algs_header(&self) -> String {
        self.algs.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// The request a proof must match.
#[derive(Clone, Copy)]
pub struct ProofTarget<'a> {
    pub method: &'a str,
    /// The request's full URI as the client addressed it (from the configured public base URL).
    pub uri: &'a str,
    /// The access token presented with the proof, if any.
    pub access_token: Option<&'a str>,
    /// A nonce check, where the server demands nonces.
    pub nonce: Option<&'a dyn Fn(&str) -> bool>,
    /// Unix seconds by the clock.
    pub now: i64,
}

impl fmt::Debug for ProofTarget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofTarget")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("access_token", &self.access_token.map(|_| "[redacted]"))
            .field("nonce", &self.nonce.is_some())
            .field("now", &self.now)
            .finish()
    }
}

/// One variant per failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    Missing,
    Multiple,
    Malformed(JoseError),
    MissingClaim(&'static str),
    BadTyp,
    BadAlg(String),
    BadSignature,
    PrivateKeyInJwk,
    BadJwk(JoseError),
    HtmMismatch,
    HtuMismatch,
    /// The server demands a nonce and the proof has none, or one it no longer accepts.
    UseNonce,
    IatOutOfWindow,
    /// `iat` is there but is not a NumericDate (a number of seconds).
    BadIat,
    AthMismatch,
    Replayed,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::Missing => f.write_str("the DPoP proof header is missing"),
            ProofError::Multiple => f.write_str("send exactly one DPoP header"),
            ProofError::Malformed(e) => write!(f, "the DPoP proof is not a valid JWS: {e}"),
            ProofError::MissingClaim(c) => write!(f, "the DPoP proof lacks the {c} claim"),
            ProofError::BadTyp => {
                f.write_str("the DPoP proof's typ must be dpop+jwt (or application/dpop+jwt)")
            }
            ProofError::BadAlg(a) => write!(f, "the DPoP proof's alg {a:?} is not allowed"),
            ProofError::BadSignature => f.write_str("the DPoP proof's signature does not verify"),
            ProofError::PrivateKeyInJwk => {
                f.write_str("the DPoP proof's jwk contains a private key")
            }
            ProofError::BadJwk(e) => write!(f, "the DPoP proof's jwk is unusable: {e}"),
            ProofError::HtmMismatch => f.write_str("htm does not match the request method"),
            ProofError::HtuMismatch => f.write_str("htu does not match the request URI"),
            ProofError::UseNonce => f.write_str("a fresh DPoP nonce is required"),
            ProofError::IatOutOfWindow => f.write_str("iat is outside the accepted window"),
            ProofError::BadIat => {
                f.write_str("the DPoP proof's iat is not a NumericDate (seconds since 1970)")
            }
            ProofError::AthMismatch => f.write_str("ath does not match the access token"),
            ProofError::Replayed => f.write_str("this DPoP proof (jti) was used before"),
        }
    }
}

impl std::error::Error for ProofError {}

/// A proof that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedProof {
    /// RFC 7638 thumbprint of the proof key: compare with the token's `cnf.jkt`.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
}

/// Verifies the proof in `values` (the raw `DPoP` header values) against `target`.
pub fn verify_proof(
    values: &[&[u8]],
    target: &ProofTarget<'_>,
    policy: &ProofPolicy,
    replay: &ReplayCache,
) -> Result<VerifiedProof, ProofError> {
    // 1. Exactly one DPoP header.
    let raw = match values {
        [] => return Err(ProofError::Missing),
        [one] => *one,
        _ => return Err(ProofError::Multiple),
    };
    // 2. One well-formed compact JWS.
    let compact = std::str::from_utf8(raw)
        .map_err(|_| ProofError::Malformed(JoseError::Malformed("not ASCII")))?
        .trim();
    let jws = Jws::parse(compact).map_err(ProofError::Malformed)?;

    // 3. Required claims.
    let claim = |name: &'static str| jws.payload.get(name).ok_or(ProofError::MissingClaim(name));
    let jti = claim("jti")?.as_str().filter(|s| !s.is_empty() && s.len() <= 256);
    let jti = jti.ok_or(ProofError::MissingClaim("jti"))?.to_owned();
    let htm = claim("htm")?.as_str().ok_or(ProofError::MissingClaim("htm"))?;
    let htu = claim("htu")?.as_str().ok_or(ProofError::MissingClaim("htu"))?;
    let iat = numeric_date(Some(claim("iat")?)).ok_or(ProofError::BadIat)?;
    let ath = match target.access_token {
        Some(_) => Some(claim("ath")?.as_str().ok_or(ProofError::MissingClaim("ath"))?),
        None => None,
    };

    // 4. typ.
    if !typ_is(jws.header.get("typ"), "dpop+jwt") {
        return Err(ProofError::BadTyp);
    }
    // 5. alg: asymmetric and allowed.
    let alg = jws.alg().map_err(|e| match e {
        JoseError::UnsupportedAlg(a) => ProofError::BadAlg(a),
        other => ProofError::Malformed(other),
    })?;
    if !policy.algs.contains(&alg) {
        return Err(ProofError::BadAlg(alg.to_string()));
    }
    // 7. (before 6: a key must be public before we use it) no private members in jwk.
    let jwk_value = jws.header.get("jwk").ok_or(ProofError::MissingClaim("jwk"))?;
    let jwk = PublicJwk::from_value(jwk_value).map_err(|e| match e {
        JoseError::PrivateKeyMembers => ProofError::PrivateKeyInJwk,
        other => ProofError::BadJwk(other),
    })?;
    // 6. Signature with the header's jwk.
    jws.verify(alg, &jwk).map_err(|e| match e {
        JoseError::BadSignature => ProofError::BadSignature,
        other => ProofError::BadJwk(other),
    })?;
    // 8. htm.
    if htm != target.method {
        return Err(ProofError::HtmMismatch);
    }
    // 9. htu, normalised, without query and fragment. Most clients send exactly the URI the
    // server computes (always an http(s) URL: it is built from the configured public URL), so
    // only a different spelling pays for the two URL parses.
    if htu != target.uri {
        match (normalize_uri(htu), normalize_uri(target.uri)) {
            (Some(a), Some(b)) if a == b => {}
            _ => return Err(ProofError::HtuMismatch),
        }
    }
    // 10. nonce, when demanded.
    if let Some(accepts) = target.nonce {
        let nonce = jws.payload.get("nonce").and_then(Value::as_str);
        if !nonce.is_some_and(accepts) {
            return Err(ProofError::UseNonce);
        }
    }
    // 11. iat window.
    if iat < target.now - policy.max_age_secs || iat > target.now + policy.max_future_secs {
        return Err(ProofError::IatOutOfWindow);
    }
    // 12. ath.
    if let (Some(token), Some(ath)) = (target.access_token, ath)
        && sha256_b64(token.as_bytes()) != ath
    {
        return Err(ProofError::AthMismatch);
    }
    // Replay: a jti once per URI within the window.
    let expires = iat + policy.max_age_secs + policy.max_future_secs;
    if !replay.first_use(htu, &jti, target.now, expires) {
        return Err(ProofError::Replayed);
    }
    Ok(VerifiedProof { jkt: jwk.thumbprint(), jti, iat })
}

/// RFC 3986 §6.2.2/§6.2.3 normalisation (case of scheme and host, default port, dot-segments,
/// empty path → `/`), without query and fragment. `None` for anything but http(s).
pub fn normalize_uri(uri: &str) -> Option<String> {
    let mut url = url::Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    url.set_query(None);
    url.set_fragment(None);
    Some(url.to_string())
}

/// Records (`uri`, `jti`) in the replay record all replicas share; true the first time.
pub async fn first_use_shared(
    store: &dyn fjellport_store::ReplayStore,
    uri: &str,
    jti: &str,
    expires: i64,
    now: i64,
) -> Result<bool, fjellport_store::StoreError> {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{uri}\u{0}{jti}").as_bytes(),
    );
    let key: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
    store.first_use(&key, expires, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::{Broken, ProofFor, proof};
    use crate::jose::EcSigningKey;

    const URI: &str = "https://fjellport.test/syntpop/api/ping";
    const NOW: i64 = 1_790_000_000;
    const TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

    fn target(token: Option<&'static str>) -> ProofTarget<'static> {
        ProofTarget { method: "GET", uri: URI, access_token: token, nonce: None, now: NOW }
    }

    fn make(key: &EcSigningKey, broken: Option<Broken>) -> String {
        let spec =
            ProofFor { method: "GET", uri: URI, access_token: Some(TOKEN), nonce: None, now: NOW };
        proof(key, &spec, broken).unwrap()
    }

    fn check(p: &str, t: &ProofTarget<'_>) -> Result<VerifiedProof, ProofError> {
        verify_proof(&[p.as_bytes()], t, &ProofPolicy::default(), &ReplayCache::new(1000))
    }

    #[test]
    fn a_good_proof_passes_and_reports_the_key_thumbprint() {
        let key = EcSigningKey::generate().unwrap();
        let ok = check(&make(&key, None), &target(Some(TOKEN))).unwrap();
        assert_eq!(ok.jkt, key.public_jwk().thumbprint());
        // The URI is compared normalised: case, default port, dot-segments, query ignored.
        let t = ProofTarget {
            uri: "HTTPS://Fjellport.test:443/syntpop/x/../api/ping?a=1",
            ..target(Some(TOKEN))
        };
        check(&make(&key, None), &t).unwrap();
    }

    #[test]
    fn each_broken_proof_fails_its_own_check() {
        let key = EcSigningKey::generate().unwrap();
        let t = target(Some(TOKEN));
        let cases = [
            (Broken::MissingHtu, ProofError::MissingClaim("htu")),
            (Broken::MissingHtm, ProofError::MissingClaim("htm")),
            (Broken::MissingAth, ProofError::MissingClaim("ath")),
            (Broken::MissingJti, ProofError::MissingClaim("jti")),
            (Broken::MissingJwk, ProofError::MissingClaim("jwk")),
            (Broken::WrongTyp, ProofError::BadTyp),
            (Broken::SymmetricAlg, ProofError::BadAlg("HS256".into())),
            (Broken::PrivateKeyInJwk, ProofError::PrivateKeyInJwk),
            (Broken::BadSignature, ProofError::BadSignature),
            (Broken::IatInThePast, ProofError::IatOutOfWindow),
            (Broken::IatInTheFuture, ProofError::IatOutOfWindow),
            (
                Broken::UnknownCrit,
                ProofError::Malformed(JoseError::UnsupportedCrit("[\"exp-unknown\"]".into())),
            ),
        ];
        for (broken, want) in cases {
            assert_eq!(check(&make(&key, Some(broken)), &t).map(|_| ()), Err(want), "{broken}");
        }
        // wrong-jkt passes the proof checks; its thumbprint is not the token's key's.
        let other = check(&make(&key, Some(Broken::WrongJkt)), &t).unwrap();
        assert_ne!(other.jkt, key.public_jwk().thumbprint());
    }

    #[test]
    fn method_uri_ath_header_count_and_replay_are_checked() {
        let key = EcSigningKey::generate().unwrap();
        let p = make(&key, None);
        let post = ProofTarget { method: "POST", ..target(Some(TOKEN)) };
        assert_eq!(check(&p, &post).map(|_| ()), Err(ProofError::HtmMismatch));
        let elsewhere =
            ProofTarget { uri: "https://fjellport.test/syntpop/api/other", ..target(Some(TOKEN)) };
        assert_eq!(check(&p, &elsewhere).map(|_| ()), Err(ProofError::HtuMismatch));
        let http =
            ProofTarget { uri: "http://fjellport.test/syntpop/api/ping", ..target(Some(TOKEN)) };
        assert_eq!(check(&p, &http).map(|_| ()), Err(ProofError::HtuMismatch));
        let other_token = ProofTarget { access_token: Some("another.token.value"), ..target(None) };
        assert_eq!(check(&p, &other_token).map(|_| ()), Err(ProofError::AthMismatch));

        let policy = ProofPolicy::default();
        let replay = ReplayCache::new(1000);
        let t = target(Some(TOKEN));
        assert!(verify_proof(&[], &t, &policy, &replay).is_err_and(|e| e == ProofError::Missing));
        let two = verify_proof(&[p.as_bytes(), p.as_bytes()], &t, &policy, &replay);
        assert_eq!(two.map(|_| ()), Err(ProofError::Multiple));
        assert!(verify_proof(&[p.as_bytes()], &t, &policy, &replay).is_ok());
        let again = verify_proof(&[p.as_bytes()], &t, &policy, &replay);
        assert_eq!(again.map(|_| ()), Err(ProofError::Replayed));
        let garbage = verify_proof(&[b"not-a-jws"], &t, &policy, &replay);
        assert!(matches!(garbage, Err(ProofError::Malformed(_))));
    }

    #[test]
    fn a_demanded_nonce_must_be_present_and_accepted() {
        let key = EcSigningKey::generate().unwrap();
        let accepts = |n: &str| n == "n-123";
        let t = ProofTarget { nonce: Some(&accepts), ..target(Some(TOKEN)) };
        assert_eq!(check(&make(&key, None), &t).map(|_| ()), Err(ProofError::UseNonce));
        let spec = ProofFor {
            method: "GET",
            uri: URI,
            access_token: Some(TOKEN),
            nonce: Some("n-123"),
            now: NOW,
        };
        check(&proof(&key, &spec, None).unwrap(), &t).unwrap();
        let stale = ProofFor { nonce: Some("n-000"), ..spec };
        assert_eq!(
            check(&proof(&key, &stale, None).unwrap(), &t).map(|_| ()),
            Err(ProofError::UseNonce)
        );
    }
}
