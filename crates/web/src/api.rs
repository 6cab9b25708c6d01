//! Calling SyntPop's handlers for a page, and reading their answers: a refusal names the
//! member it is about (`member` in the problem document), which the forms use as field names,
//! so an error lands beside its field.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{ApiAnswer, ApiBody, ApiRequest, WebState};

/// What a call came to.
pub(crate) enum Outcome {
    Ok(Value),
    /// The API refused: status, its detail, and the member it names.
    Refused {
        status: u16,
        detail: String,
        member: Option<String>,
    },
    /// No answer could be read.
    Failed(String),
}

impl Outcome {
    /// The refusal as form errors (a refusal that names no field goes under `form`).
    pub(crate) fn errors(&self) -> BTreeMap<String, String> {
        let mut errors = BTreeMap::new();
        match self {
            Outcome::Refused { detail, member, .. } => {
                errors.insert(member.clone().unwrap_or_else(|| "form".into()), detail.clone());
            }
            Outcome::Failed(why) => {
                errors.insert("form".into(), why.clone());
            }
            Outcome::Ok(_) => {}
        }
        errors
    }
}

pub(crate) async fn syntpop(
    state: &WebState,
    method: http::Method,
    path: String,
    owner: &str,
    body: ApiBody,
) -> Outcome {
    let request = ApiRequest { method, path, owner: owner.to_owned(), login: None, body };
    read((state.syntpop)(request).await)
}

/// An Altinn end-user call for the logged-in person.
pub(crate) async fn altinn(
    state: &WebState,
    method: http::Method,
    path: String,
    user: &crate::session::User,
) -> Outcome {
    let Some(call) = &state.altinn else {
        return Outcome::Failed("This server runs without Altinn's end-user login.".into());
    };
    let login = Some((user.pid.clone(), user.acr.clone()));
    let request = ApiRequest { method, path, owner: user.pid.clone(), login, body: ApiBody::None };
    read(call(request).await)
}

fn read(answer: Result<ApiAnswer, String>) -> Outcome {
    match answer {
        Ok(ApiAnswer { status, body }) if status < 300 => Outcome::Ok(body),
        Ok(ApiAnswer { status, body }) => Outcome::Refused {
            status,
            detail: body
                .get("detail")
                .or_else(|| body.get("title"))
                .and_then(Value::as_str)
                .unwrap_or("refused")
                .to_owned(),
            member: body.get("member").and_then(Value::as_str).map(str::to_owned),
        },
        Err(why) => {
            tracing::error!(%why, "web: an API call had no answer");
            Outcome::Failed("The API did not answer; nothing was changed.".into())
        }
    }
}

/// The current item of a Persontjenesten part (`name`, `residentialAddress`, …).
pub(crate) fn current<'a>(person: &'a Value, part: &str) -> Option<&'a Value> {
    let items = person.get(part)?.as_array()?;
    items
        .iter()
        .rev()
        .find(|i| i.get("isValid").and_then(Value::as_bool).unwrap_or(true))
        .or_else(|| items.last())
}

/// A string member, or "".
pub(crate) fn text<'a>(v: Option<&'a Value>, member: &str) -> &'a str {
    v.and_then(|v| v.get(member)).and_then(Value::as_str).unwrap_or_default()
}
