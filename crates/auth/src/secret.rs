//! Secrets (API keys, the admin token): generated from the OS's CSPRNG, stored only as hashes,
//! never printed by `Debug`.

use std::fmt;

use aws_lc_rs::{digest, rand};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A secret as issued. Shown once, to its owner; elsewhere only its hash exists.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// `prefix` + 32 random bytes, base64url: 256 bits, so a plain SHA-256 is a sound hash
    /// (no password stretching needed) and lookups can go by hash.
    pub fn generate(prefix: &str) -> Secret {
        Secret(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>())))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }

    /// The first characters, enough to tell keys apart in a listing.
    pub fn hint(&self) -> String {
        self.0.chars().take(8).collect()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Hex SHA-256 of a presented secret: what the store keeps.
pub fn hash_secret(presented: &str) -> String {
    to_hex(&digest_secret(presented))
}

/// Whether two secret hashes are equal, in time that does not depend on where they differ.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether an `Authorization` header value is `Bearer <secret>` for the secret hashed as
/// `hash` (the admin token, wherever it is asked for).
pub fn bearer_matches(authorization: Option<&str>, hash: &str) -> bool {
    authorization
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .is_some_and(|token| same_hash(&hash_secret(token.trim()), hash))
}

/// The raw SHA-256 of a presented secret: what the hot path looks keys up by (no allocation).
pub fn digest_secret(presented: &str) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, presented.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The bytes a hex digest (as stored) stands for; `None` if it is not 64 hex digits.
pub fn digest_from_hex(hex: &str) -> Option<[u8; 32]> {
    let b = hex.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nibble = |c: u8| char::from(c).to_digit(16).and_then(|v| u8::try_from(v).ok());
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = nibble(b[2 * i])? << 4 | nibble(b[2 * i + 1])?;
    }
    Some(out)
}

fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `n` bytes from the system CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The system RNG failing is unrecoverable for a credential issuer.
    rand::fill(&mut buf).expect("the system random number generator failed");
    buf
}

/// A random identifier: `prefix` + 20 lowercase hex digits (80 bits).
pub fn random_id(prefix: &str) -> String {
    let mut id = String::from(prefix);
    for b in random_bytes::<10>() {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_fips_vector() {
        // FIPS 180-2 example "abc".
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn secrets_are_unique_prefixed_and_redacted() {
        let a = Secret::generate("fjp_");
        let b = Secret::generate("fjp_");
        assert_ne!(a, b);
        assert!(a.expose().starts_with("fjp_"));
        assert_eq!(a.expose().len(), 4 + 43);
        assert_eq!(format!("{a:?}"), "Secret([redacted])");
        assert_eq!(a.hash(), hash_secret(a.expose()));
        assert_eq!(random_id("key_").len(), 24);
        assert_eq!(digest_from_hex(&a.hash()), Some(digest_secret(a.expose())));
        assert_eq!(digest_from_hex("xyz"), None);
    }
}
