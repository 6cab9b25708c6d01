//! Stored private keys wrapped with a key the database does not hold (`FJELLPORT_KEY_WRAP`):
//! a copied database file then cannot mint tokens. [`WrappedSettings`] sits in front of the
//! settings store and seals the issuers' signing keys and nonce keys with AES-256-GCM under a
//! key derived (HKDF-SHA-256) from the configured secret, the setting's name as associated
//! data (a sealed value moved to another setting does not open). Other settings pass through.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fjellport_store::{SettingsStore, StoreError};

use crate::secret::random_bytes;

/// What a sealed value begins with (the version names the algorithm and derivation).
const PREFIX: &str = "fjellport-wrap:v1:";
/// The shortest secret accepted: 16 characters.
pub const MIN_SECRET_CHARS: usize = 16;

/// Whether `name` holds a private key: an issuer's signing keys, or a nonce key.
pub fn is_secret_setting(name: &str) -> bool {
    name.starts_with("issuer.") && (name.ends_with(".signing_keys") || name.ends_with(".nonce_key"))
}

/// Whether a stored value is sealed.
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// The wrapping key.
pub struct KeyWrap {
    key: LessSafeKey,
}

impl std::fmt::Debug for KeyWrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyWrap(..)")
    }
}

impl KeyWrap {
    /// Derives the wrapping key from `secret` (at least [`MIN_SECRET_CHARS`]).
    pub fn new(secret: &str) -> Result<KeyWrap, String> {
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Err(format!("key_wrap must be at least {MIN_SECRET_CHARS} characters"));
        }
        let prk = Salt::new(HKDF_SHA256, b"fjellport key wrap").extract(secret.as_bytes());
        let mut bytes = [0u8; 32];
        prk.expand(&[b"aes-256-gcm v1"], &AES_256_GCM)
            .and_then(|okm| okm.fill(&mut bytes))
            .map_err(|_| "cannot derive the wrapping key".to_owned())?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| "cannot make the wrapping key".to_owned())?;
        Ok(KeyWrap { key: LessSafeKey::new(key) })
    }

    /// Seals `value` for setting `name`.
    pub fn seal(&self, name: &str, value: &str) -> Result<String, StoreError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let mut data = value.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(name.as_bytes()),
                &mut data,
            )
            .map_err(|_| StoreError::Internal(format!("cannot seal {name}")))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a sealed value of setting `name`.
    pub fn open(&self, name: &str, sealed: &str) -> Result<String, StoreError> {
        let wrong = || {
            StoreError::Corrupt(format!(
                "{name} is sealed with another key_wrap (FJELLPORT_KEY_WRAP) than this one, or damaged"
            ))
        };
        let raw = sealed.strip_prefix(PREFIX).ok_or_else(wrong)?;
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(name.as_bytes()), &mut data)
            .map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec()).map_err(|_| wrong())
    }
}

/// The settings store as the issuers see it: private keys sealed on the way in and opened on
/// the way out when a wrapping key is set; without one, a sealed value is refused with a
/// message that says what to set.
#[derive(Debug, Clone)]
pub struct WrappedSettings {
    inner: Arc<dyn SettingsStore>,
    wrap: Option<Arc<KeyWrap>>,
}

impl WrappedSettings {
    pub fn new(inner: Arc<dyn SettingsStore>, wrap: Option<Arc<KeyWrap>>) -> WrappedSettings {
        WrappedSettings { inner, wrap }
    }

    fn seal(&self, name: &str, value: &str) -> Result<String, StoreError> {
        match &self.wrap {
            Some(w) if is_secret_setting(name) => w.seal(name, value),
            _ => Ok(value.to_owned()),
        }
    }

    fn open(&self, name: &str, stored: String) -> Result<String, StoreError> {
        if !is_sealed(&stored) {
            return Ok(stored);
        }
        match &self.wrap {
            Some(w) => w.open(name, &stored),
            None => Err(StoreError::Corrupt(format!(
                "{name} is sealed: start with the key_wrap (FJELLPORT_KEY_WRAP) it was sealed with"
            ))),
        }
    }

    /// Seals every private key still stored in the clear (a database from before the
    /// wrapping key was set), so that from now on a copy of the file cannot mint tokens.
    /// Returns how many were sealed.
    pub async fn seal_existing(&self, names: &[String]) -> Result<usize, StoreError> {
        if self.wrap.is_none() {
            return Ok(0);
        }
        let mut sealed = 0;
        for name in names.iter().filter(|n| is_secret_setting(n)) {
            if let Some(value) = self.inner.get_setting(name).await?
                && !is_sealed(&value)
            {
                self.inner.set_setting(name, &self.seal(name, &value)?).await?;
                sealed += 1;
            }
        }
        Ok(sealed)
    }
}

#[async_trait]
impl SettingsStore for WrappedSettings {
    async fn get_setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.inner.get_setting(name).await? {
            Some(v) => Ok(Some(self.open(name, v)?)),
            None => Ok(None),
        }
    }

    async fn put_setting_if_absent(&self, name: &str, value: &str) -> Result<String, StoreError> {
        let in_force = self.inner.put_setting_if_absent(name, &self.seal(name, value)?).await?;
        self.open(name, in_force)
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.inner.set_setting(name, &self.seal(name, value)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_under_its_name() {
        let w = KeyWrap::new("correct horse battery staple").unwrap();
        let sealed = w.seal("issuer.helseid.signing_keys", "[{\"pkcs8\":\"secret\"}]").unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains("secret"));
        assert_eq!(
            w.open("issuer.helseid.signing_keys", &sealed).unwrap(),
            "[{\"pkcs8\":\"secret\"}]"
        );
        assert!(w.open("issuer.maskinporten.signing_keys", &sealed).is_err(), "bound to its name");
        let other = KeyWrap::new("another sixteen chars").unwrap();
        assert!(other.open("issuer.helseid.signing_keys", &sealed).is_err());
        assert_ne!(
            sealed,
            w.seal("issuer.helseid.signing_keys", "[{\"pkcs8\":\"secret\"}]").unwrap()
        );
        assert!(KeyWrap::new("short").is_err());
    }

    #[test]
    fn only_private_keys_are_secret_settings() {
        assert!(is_secret_setting("issuer.helseid.signing_keys"));
        assert!(is_secret_setting("issuer.resource.nonce_key"));
        assert!(!is_secret_setting("population.day"));
        assert!(!is_secret_setting("admin_token_hash"));
    }
}
