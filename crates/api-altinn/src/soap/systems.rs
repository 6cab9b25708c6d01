//! SOAP systems: how a service owner's system or an end-user system logs in to Altinn's Basic
//! SOAP services (`systemUserName` + `systemPassword` as the first body elements). Created by
//! `fjellport altinn systems create`; the password is generated (256 bits), shown once and
//! kept as a SHA-256 hash.

use fjellport_auth::secret::{Secret, digest_from_hex, digest_secret};
use fjellport_store::{Store, StoreError, StoredSystem};

use crate::catalogue::Catalogue;

pub const SERVICE_OWNER: &str = "ServiceOwner";
pub const END_USER_SYSTEM: &str = "EndUserSystem";

/// Who a new system is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemFor {
    /// A service owner's code (`SKD`), from the catalogue.
    ServiceOwner(String),
    /// An end-user system's (vendor's product's) name.
    EndUserSystem(String),
}

/// A system just created, with its password (the only time it is shown).
#[derive(Debug)]
pub struct CreatedSystem {
    pub system: StoredSystem,
    pub password: Secret,
}

/// A name part of a `SystemUserCode`: letters, digits, `-`; kept upper case.
fn code_part(name: &str) -> Result<String, String> {
    let name = name.trim().to_ascii_uppercase();
    if name.is_empty()
        || name.len() > 40
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!("{name:?} is not a system name: 1 to 40 letters (A-Z), digits or -"));
    }
    Ok(name)
}

/// Registers a system. A service owner's system logs in as `<CODE>_<NAME>` (its
/// `SystemUserCode` too, Altinn's format: the first three letters are the owner); an end-user
/// system logs in with a number, as Altinn gives them, and its code is `SBS_<NAME>`.
pub async fn create(
    store: &dyn Store,
    catalogue: &Catalogue,
    who: &SystemFor,
    name: &str,
    now: i64,
) -> Result<CreatedSystem, String> {
    let name = code_part(name)?;
    let password = Secret::generate("");
    // What does not change between attempts; only an end-user system's number is drawn again.
    let (kind, owner, code) = match who {
        SystemFor::ServiceOwner(code) => {
            let code = code.trim().to_ascii_uppercase();
            if catalogue.owner(&code).is_none() {
                let codes: Vec<&str> =
                    catalogue.service_owners.iter().map(|o| o.code.as_str()).collect();
                return Err(format!(
                    "unknown service owner {code:?}: the catalogue has {}",
                    codes.join(", ")
                ));
            }
            let user_code = format!("{code}_{name}");
            (SERVICE_OWNER, code, user_code)
        }
        SystemFor::EndUserSystem(product) => {
            let product = code_part(product)?;
            let user_code = format!("SBS_{product}");
            (END_USER_SYSTEM, product, user_code)
        }
    };
    for attempt in 0..8u32 {
        let user_name = match who {
            SystemFor::ServiceOwner(_) => code.clone(),
            SystemFor::EndUserSystem(_) => (1_000 + random_u32() % 9_000_000).to_string(),
        };
        let system = StoredSystem {
            user_name,
            password_hash: password.hash(),
            kind: kind.to_owned(),
            owner: owner.clone(),
            system_user_code: code.clone(),
            created_at: now,
        };
        match store.insert_system(&system).await {
            Ok(()) => return Ok(CreatedSystem { system, password }),
            Err(StoreError::Conflict(_)) if matches!(who, SystemFor::EndUserSystem(_)) => {
                tracing::debug!(attempt, "system number taken; drawing another");
            }
            Err(StoreError::Conflict(_)) => {
                return Err(format!(
                    "a system {} exists already: choose another --name",
                    system.user_name
                ));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("no free system number found; try again".into())
}

fn random_u32() -> u32 {
    u32::from_le_bytes(fjellport_auth::secret::random_bytes::<4>())
}

/// The system `user_name` names when `password` is its password; `None` otherwise (the
/// password is hashed before the look-up, so an unknown name costs the same work).
pub(crate) async fn verify(
    store: &dyn Store,
    cache: &crate::cache::MailboxCache,
    user_name: &str,
    password: &str,
) -> Result<Option<StoredSystem>, StoreError> {
    let presented = digest_secret(password);
    let Some(system) = cache.system(store, user_name).await? else { return Ok(None) };
    let ok = digest_from_hex(&system.password_hash).is_some_and(|stored| stored == presented);
    Ok(ok.then_some(system))
}
