//! JOSE, as much as DPoP and our issuer need: compact JWS (RFC 7515), public JWKs (RFC 7517)
//! and their thumbprints (RFC 7638), verified and signed with aws-lc-rs.
//!
//! Hand-written rather than taken from `jsonwebtoken` because DPoP must see the raw protected
//! header (a `jwk` carrying private members must be refused, not silently dropped) and must
//! accept ES512, which `jsonwebtoken` lacks; one code path then serves proofs and tokens alike.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::signature::{self, KeyPair, UnparsedPublicKey};
use aws_lc_rs::{digest, rand as lc_rand};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// JWS algorithms we verify: asymmetric only (`none` and HS* are refused by construction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
    /// Ed25519 by its fully specified name (RFC 9864), which current JOSE libraries emit for
    /// Ed25519 keys in place of the polymorphic `EdDSA`.
    Ed25519,
}

impl Alg {
    pub const ALL: [Alg; 11] = [
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::EdDSA,
        Alg::Ed25519,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
            Alg::Ed25519 => "Ed25519",
        }
    }
}

impl FromStr for Alg {
    type Err = JoseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Alg::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| JoseError::UnsupportedAlg(s.to_owned()))
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can be wrong with a JWS or JWK, one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoseError {
    /// Not three base64url parts, or a part is not valid base64url/JSON.
    Malformed(&'static str),
    /// `none`, a symmetric algorithm, or one we do not know.
    UnsupportedAlg(String),
    /// The JWK holds private key members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`).
    PrivateKeyMembers,
    /// The JWK is incomplete or not a key type/curve we support.
    BadJwk(&'static str),
    /// The algorithm does not fit the key (e.g. ES256 with a P-384 key).
    AlgKeyMismatch,
    BadSignature,
    /// The header names extensions (`crit`) this server does not understand, or asks for an
    /// unencoded payload (`b64` false, RFC 7797): RFC 7515 §4.1.11 says to reject it.
    UnsupportedCrit(String),
}

impl fmt::Display for JoseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoseError::Malformed(what) => write!(f, "malformed JWS: {what}"),
            JoseError::UnsupportedAlg(a) => write!(f, "algorithm {a:?} is not allowed"),
            JoseError::PrivateKeyMembers => f.write_str("the jwk contains private key members"),
            JoseError::BadJwk(why) => write!(f, "unusable jwk: {why}"),
            JoseError::AlgKeyMismatch => f.write_str("the algorithm does not fit the key"),
            JoseError::BadSignature => f.write_str("the signature does not verify"),
            JoseError::UnsupportedCrit(what) => write!(
                f,
                "the header's crit ({what}) names extensions this server does not understand; \
                 RFC 7515 section 4.1.11 requires refusing it"
            ),
        }
    }
}

impl std::error::Error for JoseError {}

pub fn b64e(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64d(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// base64url(SHA-256(text)): `ath` for a token, and the RFC 7638 thumbprint's last step.
pub fn sha256_b64(text: &[u8]) -> String {
    b64e(digest::digest(&digest::SHA256, text).as_ref())
}

/// A JWT time claim (RFC 7519 NumericDate: seconds since 1970, possibly fractional) in whole
/// seconds, rounded down; `None` when it is absent or not a number.
pub fn numeric_date(value: Option<&Value>) -> Option<i64> {
    let n = value?.as_number()?;
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        (f.is_finite() && f.abs() < 1e15).then(|| f.floor() as i64)
    })
}

/// Whether a `typ` header names `media` (`dpop+jwt`, `at+jwt`): RFC 7515 §4.1.9 lets the
/// `application/` prefix be left out, and media type names are case-insensitive.
pub fn typ_is(typ: Option<&Value>, media: &str) -> bool {
    let Some(t) = typ.and_then(Value::as_str) else { return false };
    let t = t.trim();
    let bare = match t.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &t[12..],
        _ => t,
    };
    bare.eq_ignore_ascii_case(media)
}

/// A compact JWS, split and decoded but not yet verified.
#[derive(Debug)]
pub struct Jws<'a> {
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Splits `header.payload.signature`; both JSON parts must be objects.
    pub fn parse(compact: &'a str) -> Result<Jws<'a>, JoseError> {
        let mut parts = compact.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed("a compact JWS has exactly three parts"));
        };
        let object = |part: &str, what| -> Result<Map<String, Value>, JoseError> {
            let bytes = b64d(part).ok_or(JoseError::Malformed(what))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(JoseError::Malformed(what)),
            }
        };
        let header = object(h, "the header is not base64url JSON")?;
        // No extension is understood here: any `crit` is refused, and so is an unencoded
        // payload (`b64` false), whose signing input is not what is verified below.
        if let Some(crit) = header.get("crit") {
            let named: String = crit.to_string().chars().take(80).collect();
            return Err(JoseError::UnsupportedCrit(named));
        }
        if let Some(b) = header.get("b64").filter(|b| **b != Value::Bool(true)) {
            return Err(JoseError::UnsupportedCrit(format!("b64: {b}")));
        }
        let payload = object(p, "the payload is not base64url JSON")?;
        let signature = b64d(s).ok_or(JoseError::Malformed("the signature is not base64url"))?;
        let signing_input = &compact[..h.len() + 1 + p.len()];
        Ok(Jws { header, payload, signing_input, signature })
    }

    /// The header's `alg`, refusing `none` and symmetric algorithms.
    pub fn alg(&self) -> Result<Alg, JoseError> {
        match self.header.get("alg").and_then(Value::as_str) {
            Some(a) => a.parse(),
            None => Err(JoseError::Malformed("the header has no alg")),
        }
    }

    pub fn verify(&self, alg: Alg, key: &PublicJwk) -> Result<(), JoseError> {
        key.verify(alg, self.signing_input.as_bytes(), &self.signature)
    }
}

/// A public JWK we can verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    kind: KeyKind,
    /// RFC 7638's canonical JSON of the required members.
    canonical: String,
    /// The JWK's own members (public ones), as received.
    pub members: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyKind {
    Ec { curve: Curve, point: Vec<u8> },
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ed25519 { x: Vec<u8> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
    P521,
}

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// RSA moduli this server accepts, in bits: below 2,048 is breakable, above 16,384 only makes
/// every verification slow (aws-lc's own bounds).
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=16384;

/// Whether an RSA public key is one a verifier can use: a modulus of [`RSA_BITS`] and an odd
/// public exponent of at least 3 that fits 64 bits (1 verifies any signature, an even one
/// none; 65537 is what everyone uses).
fn rsa_key_is_usable(n: &[u8], e: &[u8]) -> Result<(), JoseError> {
    let strip = |b: &[u8]| -> Vec<u8> { b.iter().copied().skip_while(|x| *x == 0).collect() };
    let n = strip(n);
    let bits = n.first().map_or(0, |top| (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize));
    if !RSA_BITS.contains(&bits) {
        return Err(JoseError::BadJwk("RSA moduli must have 2048 to 16384 bits"));
    }
    let e = strip(e);
    let odd = e.last().is_some_and(|low| low & 1 == 1);
    if e.len() > 8 || !odd || e.as_slice() == [1] {
        return Err(JoseError::BadJwk(
            "the RSA exponent e must be odd, at least 3 and at most 64 bits (65537, AQAB)",
        ));
    }
    Ok(())
}

impl PublicJwk {
    pub fn from_value(value: &Value) -> Result<PublicJwk, JoseError> {
        let Value::Object(map) = value else {
            return Err(JoseError::BadJwk("not a JSON object"));
        };
        if PRIVATE_MEMBERS.iter().any(|m| map.contains_key(*m)) {
            return Err(JoseError::PrivateKeyMembers);
        }
        let text = |name: &'static str| -> Result<&str, JoseError> {
            map.get(name).and_then(Value::as_str).ok_or(JoseError::BadJwk(name))
        };
        let bytes = |name: &'static str| -> Result<Vec<u8>, JoseError> {
            b64d(text(name)?).ok_or(JoseError::BadJwk("a member is not base64url"))
        };
        let (kind, canonical) = match text("kty")? {
            "EC" => {
                let (curve, len) = match text("crv")? {
                    "P-256" => (Curve::P256, 32),
                    "P-384" => (Curve::P384, 48),
                    "P-521" => (Curve::P521, 66),
                    _ => return Err(JoseError::BadJwk("unsupported curve")),
                };
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != len || y.len() != len {
                    return Err(JoseError::BadJwk("x or y has the wrong length for the curve"));
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let canonical = format!(
                    r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                    text("crv")?,
                    text("x")?,
                    text("y")?
                );
                (KeyKind::Ec { curve, point }, canonical)
            }
            "RSA" => {
                let (n, e) = (bytes("n")?, bytes("e")?);
                rsa_key_is_usable(&n, &e)?;
                let canonical =
                    format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, text("e")?, text("n")?);
                (KeyKind::Rsa { n, e }, canonical)
            }
            "OKP" => {
                if text("crv")? != "Ed25519" {
                    return Err(JoseError::BadJwk("unsupported OKP curve"));
                }
                let x = bytes("x")?;
                if x.len() != 32 {
                    return Err(JoseError::BadJwk("Ed25519 x must be 32 bytes"));
                }
                let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, text("x")?);
                (KeyKind::Ed25519 { x }, canonical)
            }
            _ => return Err(JoseError::BadJwk("unsupported kty")),
        };
        Ok(PublicJwk { kind, canonical, members: map.clone() })
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url: what `cnf.jkt` holds.
    pub fn thumbprint(&self) -> String {
        sha256_b64(self.canonical.as_bytes())
    }

    pub fn verify(&self, alg: Alg, message: &[u8], sig: &[u8]) -> Result<(), JoseError> {
        use signature as s;
        let ok = match (&self.kind, alg) {
            (KeyKind::Ec { curve, point }, Alg::ES256 | Alg::ES384 | Alg::ES512) => {
                let algorithm = match (curve, alg) {
                    (Curve::P256, Alg::ES256) => &s::ECDSA_P256_SHA256_FIXED,
                    (Curve::P384, Alg::ES384) => &s::ECDSA_P384_SHA384_FIXED,
                    (Curve::P521, Alg::ES512) => &s::ECDSA_P521_SHA512_FIXED,
                    _ => return Err(JoseError::AlgKeyMismatch),
                };
                UnparsedPublicKey::new(algorithm, point).verify(message, sig).is_ok()
            }
            (KeyKind::Rsa { n, e }, _) => {
                let params: &s::RsaParameters = match alg {
                    Alg::RS256 => &s::RSA_PKCS1_2048_8192_SHA256,
                    Alg::RS384 => &s::RSA_PKCS1_2048_8192_SHA384,
                    Alg::RS512 => &s::RSA_PKCS1_2048_8192_SHA512,
                    Alg::PS256 => &s::RSA_PSS_2048_8192_SHA256,
                    Alg::PS384 => &s::RSA_PSS_2048_8192_SHA384,
                    Alg::PS512 => &s::RSA_PSS_2048_8192_SHA512,
                    _ => return Err(JoseError::AlgKeyMismatch),
                };
                s::RsaPublicKeyComponents { n, e }.verify(params, message, sig).is_ok()
            }
            (KeyKind::Ed25519 { x }, Alg::EdDSA | Alg::Ed25519) => {
                UnparsedPublicKey::new(&s::ED25519, x).verify(message, sig).is_ok()
            }
            _ => return Err(JoseError::AlgKeyMismatch),
        };
        if ok { Ok(()) } else { Err(JoseError::BadSignature) }
    }
}

/// An ES256 signing key (the issuer's default), kept as PKCS#8.
pub struct EcSigningKey {
    pair: signature::EcdsaKeyPair,
    pkcs8: Vec<u8>,
    kid: String,
}

impl fmt::Debug for EcSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EcSigningKey({}, [redacted])", self.kid)
    }
}

impl EcSigningKey {
    pub fn generate() -> Result<EcSigningKey, JoseError> {
        let rng = lc_rand::SystemRandom::new();
        let doc = signature::EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rng,
        )
        .map_err(|_| JoseError::BadJwk("key generation failed"))?;
        EcSigningKey::from_pkcs8(doc.as_ref())
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<EcSigningKey, JoseError> {
        let pair =
            signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                .map_err(|_| JoseError::BadJwk("not a P-256 PKCS#8 key"))?;
        let mut key = EcSigningKey { pair, pkcs8: pkcs8.to_vec(), kid: String::new() };
        key.kid = key.public_jwk().thumbprint();
        Ok(key)
    }

    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The key id: its own thumbprint, so it is stable and needs no bookkeeping.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_jwk(&self) -> PublicJwk {
        let point = self.pair.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..65]);
        let value = serde_json::json!({"kty": "EC", "crv": "P-256", "x": b64e(x), "y": b64e(y)});
        // Our own well-formed key: parsing cannot fail.
        PublicJwk::from_value(&value).unwrap_or_else(|_| unreachable_key())
    }

    /// Signs `header` and `payload` as a compact JWS with ES256.
    pub fn sign(&self, header: &Value, payload: &Value) -> Result<String, JoseError> {
        sign_with(header, payload, |input| {
            let rng = lc_rand::SystemRandom::new();
            self.pair.sign(&rng, input).map(|s| s.as_ref().to_vec()).ok()
        })
    }
}

/// An RSA signing key (RS256 or PS256), for issuers whose relying parties want RSA.
pub struct RsaSigningKey {
    pair: aws_lc_rs::rsa::KeyPair,
    pkcs8: Vec<u8>,
    kid: String,
    alg: Alg,
}

impl fmt::Debug for RsaSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaSigningKey({}, {}, [redacted])", self.alg.as_str(), self.kid)
    }
}

impl RsaSigningKey {
    /// A new 2048-bit key for `alg` (RS256 or PS256).
    pub fn generate(alg: Alg) -> Result<RsaSigningKey, JoseError> {
        use aws_lc_rs::encoding::AsDer;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|_| JoseError::BadJwk("key generation failed"))?;
        let der = pair.as_der().map_err(|_| JoseError::BadJwk("key export failed"))?;
        RsaSigningKey::from_pkcs8(der.as_ref(), alg)
    }

    pub fn from_pkcs8(pkcs8: &[u8], alg: Alg) -> Result<RsaSigningKey, JoseError> {
        if !matches!(alg, Alg::RS256 | Alg::PS256) {
            return Err(JoseError::BadJwk("RSA signing keys sign RS256 or PS256"));
        }
        let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8)
            .map_err(|_| JoseError::BadJwk("not an RSA PKCS#8 key"))?;
        let mut key = RsaSigningKey { pair, pkcs8: pkcs8.to_vec(), kid: String::new(), alg };
        key.kid = key.public_jwk().thumbprint();
        Ok(key)
    }

    pub fn public_jwk(&self) -> PublicJwk {
        use aws_lc_rs::signature::KeyPair as _;
        let public = self.pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero();
        let e = public.exponent().big_endian_without_leading_zero();
        let value = serde_json::json!({"kty": "RSA", "n": b64e(n), "e": b64e(e)});
        PublicJwk::from_value(&value).unwrap_or_else(|_| unreachable_key())
    }

    fn sign_bytes(&self, input: &[u8]) -> Option<Vec<u8>> {
        let padding: &'static dyn aws_lc_rs::signature::RsaEncoding = match self.alg {
            Alg::PS256 => &signature::RSA_PSS_SHA256,
            _ => &signature::RSA_PKCS1_SHA256,
        };
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        let rng = lc_rand::SystemRandom::new();
        self.pair.sign(padding, &rng, input, &mut sig).ok()?;
        Some(sig)
    }
}

/// An issuer's signing key, of any algorithm it can sign with.
#[derive(Debug)]
pub enum SigningKey {
    Ec(EcSigningKey),
    Rsa(RsaSigningKey),
}

impl SigningKey {
    /// A new key for `alg`: ES256, RS256 or PS256.
    pub fn generate(alg: Alg) -> Result<SigningKey, JoseError> {
        match alg {
            Alg::ES256 => EcSigningKey::generate().map(SigningKey::Ec),
            Alg::RS256 | Alg::PS256 => RsaSigningKey::generate(alg).map(SigningKey::Rsa),
            _ => Err(JoseError::BadJwk("issuers sign with ES256, RS256 or PS256")),
        }
    }

    pub fn from_pkcs8(pkcs8: &[u8], alg: Alg) -> Result<SigningKey, JoseError> {
        match alg {
            Alg::ES256 => EcSigningKey::from_pkcs8(pkcs8).map(SigningKey::Ec),
            _ => RsaSigningKey::from_pkcs8(pkcs8, alg).map(SigningKey::Rsa),
        }
    }

    pub fn alg(&self) -> Alg {
        match self {
            SigningKey::Ec(_) => Alg::ES256,
            SigningKey::Rsa(k) => k.alg,
        }
    }

    pub fn kid(&self) -> &str {
        match self {
            SigningKey::Ec(k) => k.kid(),
            SigningKey::Rsa(k) => &k.kid,
        }
    }

    pub fn pkcs8(&self) -> &[u8] {
        match self {
            SigningKey::Ec(k) => k.pkcs8(),
            SigningKey::Rsa(k) => &k.pkcs8,
        }
    }

    pub fn public_jwk(&self) -> PublicJwk {
        match self {
            SigningKey::Ec(k) => k.public_jwk(),
            SigningKey::Rsa(k) => k.public_jwk(),
        }
    }

    /// Signs `header` and `payload` as a compact JWS (the header must name this key's alg).
    pub fn sign(&self, header: &Value, payload: &Value) -> Result<String, JoseError> {
        match self {
            SigningKey::Ec(k) => k.sign(header, payload),
            SigningKey::Rsa(k) => sign_with(header, payload, |input| k.sign_bytes(input)),
        }
    }
}

/// Assembles a compact JWS around any signer (also used by tests to forge broken proofs).
pub fn sign_with(
    header: &Value,
    payload: &Value,
    signer: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> Result<String, JoseError> {
    let h =
        b64e(serde_json::to_vec(header).map_err(|_| JoseError::Malformed("header"))?.as_slice());
    let p =
        b64e(serde_json::to_vec(payload).map_err(|_| JoseError::Malformed("payload"))?.as_slice());
    let input = format!("{h}.{p}");
    let sig = signer(input.as_bytes()).ok_or(JoseError::BadSignature)?;
    Ok(format!("{input}.{}", b64e(&sig)))
}

#[track_caller]
fn unreachable_key() -> PublicJwk {
    panic!("a generated P-256 key did not form a valid JWK")
}

#[cfg(test)]
mod tests;
