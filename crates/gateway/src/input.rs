//! Reading what callers send, for every API behind the gateway: query strings and forms with
//! repeated fields, and JSON objects member by member, so every error names the member or
//! field at fault (problem+json with `member`), and a wrong content type is a 415.

use crate::Problem;
use axum::body::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

/// `name=value` pairs in order (repeated names kept), from a query string or a form body.
pub type Pairs = Vec<(String, String)>;

pub fn pairs(text: &[u8]) -> Pairs {
    url::form_urlencoded::parse(text).into_owned().collect()
}

/// A 400 that names what was wrong.
pub fn invalid(member: &str, detail: impl Into<String>) -> Problem {
    Problem::bad_request("invalid-input", detail).with("member", member.to_owned())
}

/// Refuses names not in `allowed` (catches typos that would otherwise be silently ignored).
pub fn only_known(pairs: &Pairs, allowed: &[&str], what: &str) -> Result<(), Problem> {
    match pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((k, _)) => {
            Err(invalid(k, format!("unknown {what} {k:?}; known: {}", allowed.join(", "))))
        }
        None => Ok(()),
    }
}

/// The body of a form POST; anything but `application/x-www-form-urlencoded` is a 415.
pub fn form(headers: &HeaderMap, body: &Bytes) -> Result<Pairs, Problem> {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
        )
        .detail("Send the fields as a form: Content-Type: application/x-www-form-urlencoded."));
    }
    Ok(pairs(body))
}

/// A JSON object body (or, when `optional`, no body at all); `what` names it in errors.
pub fn json_object(
    headers: &HeaderMap,
    body: &Bytes,
    optional: bool,
    media_types: &[&str],
) -> Result<Map<String, Value>, Problem> {
    if optional && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !media_types.contains(&essence.as_str()) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
        )
        .detail(format!("Send the body with Content-Type: {}.", media_types.join(" or "))));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Problem::bad_request("invalid-body", "The body must be a JSON object.")),
        Err(e) => Err(Problem::bad_request("invalid-body", format!("The body is not JSON: {e}"))),
    }
}

/// Typed access to a JSON object's members; each getter names the member in its error.
#[derive(Debug)]
pub struct Members<'a> {
    map: &'a Map<String, Value>,
    /// Prefix for nested objects (`name.`).
    prefix: &'static str,
}

impl<'a> Members<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Members<'a> {
        Members { map, prefix: "" }
    }

    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Refuses members not in `allowed`.
    pub fn only(&self, allowed: &[&str]) -> Result<(), Problem> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(invalid(
                &self.name(k),
                format!("unknown member {:?}; known: {}", self.name(k), allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    /// `None` when absent or null.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn string(&self, key: &str) -> Result<Option<&'a str>, Problem> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => {
                Err(invalid(&self.name(key), format!("{} must be a string", self.name(key))))
            }
        }
    }

    /// One of `allowed`.
    pub fn choice(&self, key: &str, allowed: &[&str]) -> Result<Option<&'a str>, Problem> {
        match self.string(key)? {
            Some(s) if !allowed.contains(&s) => Err(invalid(
                &self.name(key),
                format!("{} must be one of {}; got {s:?}", self.name(key), allowed.join(", ")),
            )),
            other => Ok(other),
        }
    }

    /// A list of `allowed` values (a single string is taken as a list of one).
    pub fn choices(&self, key: &str, allowed: &[&str]) -> Result<Vec<String>, Problem> {
        let items: Vec<&Value> = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(v @ Value::String(_)) => vec![v],
            Some(_) => {
                return Err(invalid(&self.name(key), format!("{} must be a list", self.name(key))));
            }
        };
        items
            .into_iter()
            .map(|v| match v.as_str() {
                Some(s) if allowed.contains(&s) => Ok(s.to_owned()),
                _ => Err(invalid(
                    &self.name(key),
                    format!("{} takes values from {}; got {v}", self.name(key), allowed.join(", ")),
                )),
            })
            .collect()
    }

    pub fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, Problem> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(invalid(
                    &self.name(key),
                    format!(
                        "{} must be a whole number from {min} to {max}; got {v}",
                        self.name(key)
                    ),
                )),
            },
        }
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, Problem> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(invalid(
                &self.name(key),
                format!("{} must be true or false; got {v}", self.name(key)),
            )),
        }
    }

    /// `YYYY-MM-DD`, a real date.
    pub fn date(&self, key: &str) -> Result<Option<fjellport_nin::Date>, Problem> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) => match parse_date(s) {
                Some(d) => Ok(Some(d)),
                None => Err(invalid(
                    &self.name(key),
                    format!("{} must be a date YYYY-MM-DD; got {s:?}", self.name(key)),
                )),
            },
        }
    }

    /// `digits` ASCII digits.
    pub fn digits(&self, key: &str, digits: usize) -> Result<Option<&'a str>, Problem> {
        match self.string(key)? {
            Some(s) if s.len() != digits || !s.bytes().all(|b| b.is_ascii_digit()) => Err(invalid(
                &self.name(key),
                format!("{} must be {digits} digits; got {s:?}", self.name(key)),
            )),
            other => Ok(other),
        }
    }

    /// A nested object.
    pub fn object(&self, key: &str, prefix: &'static str) -> Result<Option<Members<'a>>, Problem> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Members { map, prefix })),
            Some(_) => {
                Err(invalid(&self.name(key), format!("{} must be an object", self.name(key))))
            }
        }
    }
}

/// Exactly `YYYY-MM-DD` (the date part of a date-time is accepted too: `YYYY-MM-DDT…`).
pub fn parse_date(s: &str) -> Option<fjellport_nin::Date> {
    let date = match s.find('T') {
        Some(10) => &s[..10],
        Some(_) => return None,
        None => s,
    };
    if date.len() != 10 {
        return None;
    }
    fjellport_nin::Date::parse(date)
}
