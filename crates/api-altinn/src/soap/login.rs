//! Who a SOAP call comes from: a registered system (`systemUserName` + `systemPassword`),
//! and for end-user calls also the person (`userSSN` with the configured test password, or
//! `authMethod` `AltinnPin`/`SMSPin` with any five-digit `userPinCode`). Every wrong or
//! missing credential is Altinn's `AltinnFault` 989, word for word, whichever part was wrong.

use fjellport_store::StoredSystem;

use super::failure::{Failure, ids};
use super::systems::{SERVICE_OWNER, verify};
use super::{Call, ns};

/// Where the system's credentials are: the first body elements (Basic operations), SOAP
/// header blocks (the status history, a message contract), or a WS-Security
/// `UsernameToken` (the WS binding).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    Body,
    Header,
    UsernameToken,
}

/// The system these credentials name, which must be a service owner's (`owner` true) or an
/// end-user system; a wrong kind is ErrorID 5.
async fn system(
    call: &Call<'_>,
    user: Option<&str>,
    password: Option<&str>,
    owner: bool,
) -> Result<StoredSystem, Failure> {
    let (Some(user), Some(password)) = (user, password) else {
        return Err(Failure::credentials());
    };
    let system = verify(call.s.store.as_ref(), &call.s.cache, user, password)
        .await?
        .ok_or_else(Failure::credentials)?;
    if (system.kind == SERVICE_OWNER) != owner {
        let (is, wants) = if owner {
            ("an end-user system", "service owners' systems")
        } else {
            ("a service owner's", "end-user systems")
        };
        return Err(Failure::altinn(
            ids::NOT_ALLOWED,
            format!("The system {} is {is}: {} is for {wants}", system.user_name, call.svc.name),
        ));
    }
    Ok(system)
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
        Place::UsernameToken => username_token(call)?,
    };
    system(call, user, password, true).await
}

/// `wsse:Security/wsse:UsernameToken`'s name and password. Only `PasswordText` can be
/// checked (systems' passwords are stored hashed, and a digest needs the password itself):
/// a `PasswordDigest` is refused with a fault that says so.
fn username_token<'c>(call: &'c Call<'_>) -> Result<(Option<&'c str>, Option<&'c str>), Failure> {
    let Some(token) = call
        .envelope
        .header_block(ns::WSSE, "Security")
        .and_then(|s| s.child(ns::WSSE, "UsernameToken"))
    else {
        return Ok((None, None));
    };
    let password = token.child(ns::WSSE, "Password");
    if let Some(kind) = password.and_then(|p| p.attribute(None, "Type"))
        && kind != ns::PASSWORD_TEXT
    {
        return Err(Failure::client(format!(
            "The UsernameToken's password type {kind:?} is not accepted: send the password as \
             PasswordText ({}) over TLS",
            ns::PASSWORD_TEXT
        )));
    }
    let text =
        |e: Option<&'c fjellport_soap::Element>| e.map(|e| e.text.trim()).filter(|t| !t.is_empty());
    Ok((text(token.child(ns::WSSE, "Username")), text(password)))
}

/// The person an end-user system acts for: the system (an end-user system's), then `userSSN`
/// with the test password, or `authMethod` `AltinnPin`/`SMSPin` with a five-digit pin.
pub(crate) async fn end_user(call: &Call<'_>) -> Result<crate::enduser::EndUser, Failure> {
    system(call, call.param("systemUserName"), call.param("systemPassword"), false).await?;
    let auth = call.s.enduser.as_ref().ok_or_else(Failure::credentials)?;
    let ssn = call.param("userSSN").ok_or_else(Failure::credentials)?;
    let level = match call.param("authMethod") {
        Some("AltinnPin" | "SMSPin") => {
            let pin = call.param("userPinCode").unwrap_or_default();
            if pin.len() != 5 || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Failure::credentials());
            }
            2
        }
        None if auth.password_matches(call.param("userPassword").unwrap_or_default()) => 1,
        _ => return Err(Failure::credentials()),
    };
    let person = if ssn.len() == 11 && ssn.bytes().all(|b| b.is_ascii_digit()) {
        call.s.store.person(fjellport_store::PersonKey::Nin(ssn)).await?
    } else {
        None
    };
    match person {
        Some(p) if p.row.status != "Deceased" => {
            Ok(crate::enduser::EndUser::logged_in_by_system(p.row.nin, level))
        }
        _ => Err(Failure::credentials()),
    }
}
