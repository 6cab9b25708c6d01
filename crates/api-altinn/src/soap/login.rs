//! Who a SOAP call comes from: a registered system (`systemUserName` + `systemPassword`),
//! and for end-user calls also the person (`userSSN` with the configured test password, or
//! `authMethod` `AltinnPin`/`SMSPin` with any five-digit `userPinCode`). Every wrong or
//! missing credential is Altinn's `AltinnFault` 989, word for word, whichever part was wrong.

use fjellport_store::StoredSystem;

use super::Call;
use super::failure::{Failure, ids};
use super::systems::{SERVICE_OWNER, verify};

/// Where the system's credentials are: the first body elements (Basic operations) or SOAP
/// header blocks (the status history, a message contract).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    Body,
    Header,
}

/// The calling system, which must be a service owner's.
pub(crate) async fn service_owner(call: &Call<'_>, place: Place) -> Result<StoredSystem, Failure> {
    let (user, password) = match place {
        Place::Body => (call.param("systemUserName"), call.param("systemPassword")),
        Place::Header => {
            let text = |name| {
                call.envelope
                    .header_block(call.svc.ns, name)
                    .map(|h| h.text.trim())
                    .filter(|t| !t.is_empty())
            };
            (text("SystemUserName"), text("SystemPassword"))
        }
    };
    let (Some(user), Some(password)) = (user, password) else {
        return Err(Failure::credentials());
    };
    let system =
        verify(call.s.store.as_ref(), user, password).await?.ok_or_else(Failure::credentials)?;
    if system.kind != SERVICE_OWNER {
        return Err(Failure::altinn(
            ids::NOT_ALLOWED,
            format!(
                "The system {} is an end-user system: {} is for service owners' systems",
                system.user_name, call.svc.name
            ),
        ));
    }
    Ok(system)
}
