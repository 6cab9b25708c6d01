//! Server DPoP nonces (RFC 9449 §8): unpredictable, stateless and shared by every replica.
//! A nonce is `random ‖ window ‖ HMAC-SHA256(key, random ‖ window)`, base64url, where the key
//! lives in the store and `window` is the minute it was issued; it is accepted in that minute and
//! the next, so it lives 60–120 s.

use aws_lc_rs::hmac;
use fjellport_store::{SettingsStore, StoreError};

use crate::jose::{b64d, b64e};
use crate::secret::random_bytes;

const WINDOW_SECS: i64 = 60;

#[derive(Debug)]
pub struct NonceKey {
    key: hmac::Key,
}

impl NonceKey {
    /// Loads the issuer's nonce key, creating it at first start (replicas agree on one).
    pub async fn open(store: &dyn SettingsStore, issuer: &str) -> Result<NonceKey, StoreError> {
        let setting = format!("issuer.{issuer}.nonce_key");
        let value = match store.get_setting(&setting).await? {
            Some(v) => v,
            None => store.put_setting_if_absent(&setting, &b64e(&random_bytes::<32>())).await?,
        };
        let bytes = b64d(&value)
            .filter(|b| b.len() == 32)
            .ok_or_else(|| StoreError::Corrupt(format!("{setting} is not a 32-byte key")))?;
        Ok(NonceKey::from_bytes(&bytes))
    }

    pub fn from_bytes(bytes: &[u8]) -> NonceKey {
        NonceKey { key: hmac::Key::new(hmac::HMAC_SHA256, bytes) }
    }

    pub fn issue(&self, now: i64) -> String {
        let mut data = Vec::with_capacity(12 + 8 + 32);
        data.extend_from_slice(&random_bytes::<12>());
        data.extend_from_slice(&now.div_euclid(WINDOW_SECS).to_be_bytes());
        let tag = hmac::sign(&self.key, &data);
        data.extend_from_slice(tag.as_ref());
        b64e(&data)
    }

    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        let Some(bytes) = b64d(nonce).filter(|b| b.len() == 52) else {
            return false;
        };
        let (data, tag) = bytes.split_at(20);
        if hmac::verify(&self.key, data, tag).is_err() {
            return false;
        }
        let mut window = [0u8; 8];
        window.copy_from_slice(&data[12..20]);
        let issued = i64::from_be_bytes(window);
        let current = now.div_euclid(WINDOW_SECS);
        issued == current || issued == current - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_verify_expire_and_cannot_be_forged() {
        let key = NonceKey::from_bytes(&[7u8; 32]);
        let n = key.issue(1_000_020);
        assert_ne!(n, key.issue(1_000_020), "unpredictable: two nonces differ");
        assert!(key.accepts(&n, 1_000_020));
        assert!(key.accepts(&n, 1_000_020 + 60), "still good in the next minute");
        assert!(!key.accepts(&n, 1_000_020 + 150), "expired");
        assert!(!NonceKey::from_bytes(&[8u8; 32]).accepts(&n, 1_000_020), "another key");
        let mut tampered = b64d(&n).unwrap();
        tampered[15] ^= 1;
        assert!(!key.accepts(&b64e(&tampered), 1_000_020));
        assert!(!key.accepts("garbage", 1_000_020));
    }
}
