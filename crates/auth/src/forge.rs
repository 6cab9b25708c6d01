//! Making DPoP proofs: valid ones, and ones broken on purpose in one named way — the catalogue
//! HelseID's test token service offers — so client teams can write negative tests.

use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

use crate::jose::{EcSigningKey, JoseError, b64e, sha256_b64};
use crate::secret::{random_bytes, random_id};

/// The ways a proof can be broken on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    MissingHtu,
    MissingHtm,
    MissingAth,
    MissingJti,
    MissingJwk,
    WrongTyp,
    SymmetricAlg,
    PrivateKeyInJwk,
    BadSignature,
    IatInThePast,
    IatInTheFuture,
    /// Signed by another key than the one the token is bound to.
    WrongJkt,
    /// A `crit` header naming an extension no verifier understands (RFC 7515 §4.1.11).
    UnknownCrit,
}

impl Broken {
    pub const ALL: [Broken; 13] = [
        Broken::MissingHtu,
        Broken::MissingHtm,
        Broken::MissingAth,
        Broken::MissingJti,
        Broken::MissingJwk,
        Broken::WrongTyp,
        Broken::SymmetricAlg,
        Broken::PrivateKeyInJwk,
        Broken::BadSignature,
        Broken::IatInThePast,
        Broken::IatInTheFuture,
        Broken::WrongJkt,
        Broken::UnknownCrit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Broken::MissingHtu => "missing-htu",
            Broken::MissingHtm => "missing-htm",
            Broken::MissingAth => "missing-ath",
            Broken::MissingJti => "missing-jti",
            Broken::MissingJwk => "missing-jwk",
            Broken::WrongTyp => "wrong-typ",
            Broken::SymmetricAlg => "symmetric-alg",
            Broken::PrivateKeyInJwk => "private-key-in-jwk",
            Broken::BadSignature => "bad-signature",
            Broken::IatInThePast => "iat-in-the-past",
            Broken::IatInTheFuture => "iat-in-the-future",
            Broken::WrongJkt => "wrong-jkt",
            Broken::UnknownCrit => "unknown-crit",
        }
    }
}

impl FromStr for Broken {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Broken::ALL.into_iter().find(|b| b.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Broken::ALL.iter().map(|b| b.as_str()).collect();
            format!("unknown brokenProof {s:?}; one of: {}", names.join(", "))
        })
    }
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request a proof is for.
#[derive(Debug, Clone)]
pub struct ProofFor<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub access_token: Option<&'a str>,
    pub nonce: Option<&'a str>,
    /// Unix seconds.
    pub now: i64,
}

/// A proof for `target` signed with `key`, broken as asked.
pub fn proof(
    key: &EcSigningKey,
    target: &ProofFor<'_>,
    broken: Option<Broken>,
) -> Result<String, JoseError> {
    let other;
    let key = if broken == Some(Broken::WrongJkt) {
        other = EcSigningKey::generate()?;
        &other
    } else {
        key
    };
    let mut jwk = key.public_jwk().members;
    if broken == Some(Broken::PrivateKeyInJwk) {
        jwk.insert("d".into(), json!(b64e(&random_bytes::<32>())));
    }
    let mut header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
    let iat = match broken {
        Some(Broken::IatInThePast) => target.now - 600,
        Some(Broken::IatInTheFuture) => target.now + 600,
        _ => target.now,
    };
    let mut payload = json!({
        "jti": random_id("p_"),
        "htm": target.method,
        "htu": target.uri,
        "iat": iat,
    });
    if let Some(token) = target.access_token {
        payload["ath"] = json!(sha256_b64(token.as_bytes()));
    }
    if let Some(nonce) = target.nonce {
        payload["nonce"] = json!(nonce);
    }
    let drop = |v: &mut Value, name: &str| {
        if let Some(map) = v.as_object_mut() {
            map.remove(name);
        }
    };
    match broken {
        Some(Broken::MissingHtu) => drop(&mut payload, "htu"),
        Some(Broken::MissingHtm) => drop(&mut payload, "htm"),
        Some(Broken::MissingAth) => drop(&mut payload, "ath"),
        Some(Broken::MissingJti) => drop(&mut payload, "jti"),
        Some(Broken::MissingJwk) => drop(&mut header, "jwk"),
        Some(Broken::WrongTyp) => header["typ"] = json!("JWT"),
        Some(Broken::SymmetricAlg) => header["alg"] = json!("HS256"),
        Some(Broken::UnknownCrit) => {
            header["crit"] = json!(["exp-unknown"]);
            header["exp-unknown"] = json!(1);
        }
        _ => {}
    }
    let signed = key.sign(&header, &payload)?;
    if broken == Some(Broken::BadSignature) {
        // Same header and payload, someone else's signature.
        let stranger = EcSigningKey::generate()?;
        let forged = stranger.sign(&header, &payload)?;
        let sig = forged.rsplit('.').next().unwrap_or_default().to_owned();
        let head = signed.rsplit_once('.').map(|(h, _)| h).unwrap_or_default();
        return Ok(format!("{head}.{sig}"));
    }
    Ok(signed)
}
