//! `PATCH /reserved-persons/{id}`: a JSON merge patch (RFC 7386) over the current item of each
//! editable part. A changed part ends its current item (kept as history) and starts a new one
//! today; a family change is made on both sides, in one transaction, or not at all.

use axum::Json;
use axum::body::Bytes;
use fjellport_gateway::extract::Path;
use fjellport_gateway::{Caller, Problem};
use fjellport_nin::Date;
use fjellport_population::Person;
use fjellport_population::data::municipalities;
use fjellport_population::model::{
    CommonContactRegisterInformation, MaritalStatus, Meta, PersonName, PersonStatus,
    ResidentialAddress,
};
use fjellport_population::text_rules::{email, person_name, phone, street_name};
use fjellport_store::{PersonRow, StoreError};
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::family::owned_relative;
use crate::parts::View;
use crate::reserved::{nin_today, owned};
use crate::search::{CONFIDENTIALITY, MARITAL_STATUSES, STATUSES};
use crate::{State, SyntpopRules, owner_of};
use fjellport_gateway::input::{Members, invalid, json_object, parse_date};

use fjellport_population::life::{self, BOUND, bound_spouse, end_spouse_link};
use fjellport_population::reserve::SOURCE;

const EDITABLE: [&str; 6] = [
    "name",
    "residentialAddress",
    "maritalStatus",
    "status",
    "death",
    "commonContactRegisterInformation",
];

/// Metadata members: set by the server, never by a patch.
const META: [&str; 6] = ["registeredAt", "isValid", "source", "reason", "validFrom", "validTo"];

/// RFC 7386: members of `patch` replace those of `target`, `null` removes, objects merge.
fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The editable view of an item: its JSON without the metadata.
fn bare<T: Serialize>(item: &T) -> Value {
    let mut v = serde_json::to_value(item).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        for k in META {
            m.remove(k);
        }
    }
    v
}

/// Applies `patch` to the current item of a history list; `true` if anything changed.
fn edit_list<T: Serialize + DeserializeOwned>(
    member: &'static str,
    allowed: &[&str],
    items: &mut Vec<T>,
    meta: impl Fn(&mut T) -> &mut Meta,
    patch: &Value,
    today: Date,
) -> Result<bool, Problem> {
    let Value::Object(p) = patch else {
        return Err(invalid(member, format!("{member} must be an object")));
    };
    if let Some(k) = p.keys().find(|k| META.contains(&k.as_str())) {
        return Err(invalid(member, format!("{member}.{k} is set by the server")));
    }
    Members::new(p)
        .only(allowed)
        .map_err(|_| invalid(member, format!("{member} takes only {}", allowed.join(", "))))?;
    let current = items.iter_mut().position(|i| meta(i).is_valid);
    let before = current.map_or(Value::Object(Map::new()), |i| bare(&items[i]));
    let mut after = before.clone();
    merge(&mut after, patch);
    if after == before {
        return Ok(false);
    }
    if let Value::Object(m) = &mut after {
        let fresh = serde_json::to_value(Meta::starting(today, SOURCE)).unwrap_or_default();
        if let Value::Object(f) = fresh {
            m.extend(f);
        }
    }
    let item: T = serde_json::from_value(after)
        .map_err(|e| invalid(member, format!("{member} after the patch is not valid: {e}")))?;
    if let Some(i) = current {
        meta(&mut items[i]).end(today);
    }
    items.push(item);
    Ok(true)
}

/// Reads a `YYYY-MM-DD` (or date-time) member of a part.
fn date_in(member: &str, v: &Value, key: &str) -> Result<Option<Date>, Problem> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_date(s).map(Some).ok_or_else(|| {
            invalid(&format!("{member}.{key}"), format!("{member}.{key} must be a date YYYY-MM-DD"))
        }),
        Some(_) => Err(invalid(&format!("{member}.{key}"), "must be a date string")),
    }
}

fn ts(d: Date) -> String {
    format!("{d}T00:00:00")
}

/// Checks what the schema alone cannot: names, places, contact data and code lists. A name,
/// street or contact the patch changed passes the register's rules (`text_rules`), and
/// names and streets are stored composed (NFC); what the patch left alone is as it was.
fn check_person(p: &mut Person, before: &Person, rules: &SyntpopRules) -> Result<(), Problem> {
    let old_name = before.current_name();
    if let Some(n) = p.name.iter_mut().find(|n| n.meta.is_valid) {
        for (member, value, old) in [
            ("name.givenName", Some(&mut n.given_name), old_name.map(|o| &o.given_name)),
            ("name.familyName", Some(&mut n.family_name), old_name.map(|o| &o.family_name)),
            (
                "name.middleName",
                n.middle_name.as_mut(),
                old_name.and_then(|o| o.middle_name.as_ref()),
            ),
        ] {
            if let Some(v) = value
                && Some(&*v) != old
            {
                *v = person_name(v).map_err(|e| invalid(member, format!("{member}: {e}")))?;
            }
        }
    }
    let old_street = before.address().map(|a| &a.address_name);
    if let Some(a) = p.residential_address.iter_mut().find(|a| a.meta.is_valid)
        && Some(&a.street_address.address_name) != old_street
    {
        let member = "residentialAddress.streetAddress.addressName";
        a.street_address.address_name = street_name(&a.street_address.address_name)
            .map_err(|e| invalid(member, format!("{member}: {e}")))?;
    }
    if let Some(a) = p.residential_address.iter().find(|a| a.meta.is_valid) {
        let s = &a.street_address;
        if !CONFIDENTIALITY.contains(&a.address_confidentiality.as_str()) {
            return Err(invalid(
                "residentialAddress.addressConfidentiality",
                format!("must be one of {}", CONFIDENTIALITY.join(", ")),
            ));
        }
        if s.city.postal_code.len() != 4 || !s.city.postal_code.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid(
                "residentialAddress.streetAddress.city.postalCode",
                "a postal code is 4 digits",
            ));
        }
        if s.address_name.trim().is_empty() || s.address_number.house_number.trim().is_empty() {
            return Err(invalid(
                "residentialAddress.streetAddress",
                "an address needs addressName and addressNumber.houseNumber",
            ));
        }
        // Matrikkelen's house numbers are 1 to 99999, its letters one capital letter.
        let n = &s.address_number;
        let number_ok = n.house_number.len() <= 5
            && n.house_number.bytes().all(|b| b.is_ascii_digit())
            && !n.house_number.starts_with('0');
        if !number_ok {
            return Err(invalid(
                "residentialAddress.streetAddress.addressNumber.houseNumber",
                "a house number is 1 to 99999, without leading zeros",
            ));
        }
        if let Some(letter) = &n.house_letter
            && !(letter.chars().count() == 1 && letter.chars().all(char::is_uppercase))
        {
            return Err(invalid(
                "residentialAddress.streetAddress.addressNumber.houseLetter",
                "a house letter is one capital letter",
            ));
        }
    }
    let status = p.status();
    if !STATUSES.contains(&status) {
        return Err(invalid("status.status", format!("must be one of {}", STATUSES.join(", "))));
    }
    if !MARITAL_STATUSES.contains(&p.marital_status()) {
        return Err(invalid(
            "maritalStatus.status",
            format!("must be one of {}", MARITAL_STATUSES.join(", ")),
        ));
    }
    if let Some(k) = &p.common_contact_register_information {
        for (member, value, allowed) in [
            ("reservation", &k.reservation, &["Yes", "No"][..]),
            ("status", &k.status, &["Active", "Deleted", "NotRegistered"][..]),
            (
                "notificationStatus",
                &k.notification_status,
                &["CanBeNotified", "CanNotBeNotified"][..],
            ),
        ] {
            if !allowed.contains(&value.as_str()) {
                return Err(invalid(
                    &format!("commonContactRegisterInformation.{member}"),
                    format!("must be one of {}", allowed.join(", ")),
                ));
            }
        }
        let was =
            before.common_contact_register_information.as_ref().map(|k| &k.contact_information);
        let deliverable = rules.deliverable_contact_data;
        let c = &k.contact_information;
        if let Some(number) = &c.phone_number
            && was.and_then(|w| w.phone_number.as_ref()) != Some(number)
        {
            phone(number, deliverable).map_err(|e| {
                invalid("commonContactRegisterInformation.contactInformation.phoneNumber", e.0)
            })?;
        }
        if !c.email.is_empty() && was.map(|w| &w.email) != Some(&c.email) {
            email(&c.email, deliverable).map_err(|e| {
                invalid("commonContactRegisterInformation.contactInformation.email", e.0)
            })?;
        }
    }
    Ok(())
}

/// A changed municipality brings its own name and county (and must exist).
fn settle_municipality(p: &mut Person, before: Option<String>) -> Result<(), Problem> {
    let Some(a) = p.residential_address.iter_mut().find(|a| a.meta.is_valid) else {
        return Ok(());
    };
    let s = &mut a.street_address;
    if before.as_deref() == Some(s.municipality_number.as_str()) {
        return Ok(());
    }
    let m =
        municipalities().iter().find(|m| m.number == s.municipality_number).ok_or_else(|| {
            invalid(
                "residentialAddress.streetAddress.municipalityNumber",
                format!("{:?} is not a municipality number", s.municipality_number),
            )
        })?;
    s.municipality_name = m.name.clone();
    s.county_number = m.county_number.clone();
    s.county_name = m.county_name.clone();
    Ok(())
}

/// Persons changed by one edit: the edited one first, then relatives, each with its version.
struct Changes {
    me: (Person, i64),
    relatives: Vec<(Person, i64)>,
}

impl Changes {
    /// A relative the caller owns, loaded once.
    async fn relative(
        &mut self,
        state: &State,
        owner: &str,
        nin: &str,
    ) -> Result<Option<usize>, Problem> {
        if let Some(i) = self.relatives.iter().position(|(p, _)| p.nin() == nin) {
            return Ok(Some(i));
        }
        Ok(owned_relative(state, owner, nin).await?.map(|(stored, person)| {
            self.relatives.push((person, stored.version));
            self.relatives.len() - 1
        }))
    }
}

/// Makes the other side of a marital change match, or refuses it.
async fn settle_marriage(
    state: &State,
    owner: &str,
    changes: &mut Changes,
    old_spouse: Option<String>,
    today: Date,
) -> Result<(), Problem> {
    let me = changes.me.0.nin().to_owned();
    let status = changes.me.0.marital_status().to_owned();
    let new_spouse = changes
        .me
        .0
        .marital_status
        .iter()
        .find(|m| m.meta.is_valid)
        .and_then(|m| m.related_by_marital_status.clone());
    let member = "maritalStatus.relatedByMaritalStatus";
    if let Some(old) = &old_spouse
        && new_spouse.as_deref() != Some(old.as_str())
        && BOUND.contains(&status.as_str())
    {
        return Err(invalid(
            member,
            "divorce the current spouse (status Divorced) before a new marriage",
        ));
    }
    if let Some(old) = &old_spouse
        && !BOUND.contains(&status.as_str())
    {
        // Leaving a marriage: divorce is mutual; widowhood needs the spouse deceased.
        let other = changes.relative(state, owner, old).await?;
        match status.as_str() {
            "Divorced" | "DivorcedPartner" => {
                // The patch set this person's own status; the link ends here, and the other
                // side follows as the life simulator's divorces do.
                end_spouse_link(&mut changes.me.0, old, today);
                if let Some(i) = other {
                    life::leave_marriage(&mut changes.relatives[i].0, &me, &status, today, SOURCE);
                }
            }
            "WidowOrWidower" | "SurvivingPartner" => {
                if other.is_some_and(|i| changes.relatives[i].0.status() != "Deceased") {
                    return Err(invalid(
                        "maritalStatus.status",
                        "the spouse is alive: record the spouse's death (PATCH death) instead",
                    ));
                }
                end_spouse_link(&mut changes.me.0, old, today);
            }
            _ => {
                return Err(invalid(
                    "maritalStatus.status",
                    format!("a married person cannot become {status}; use Divorced"),
                ));
            }
        }
        return Ok(());
    }
    if !BOUND.contains(&status.as_str()) {
        if new_spouse.is_some() && old_spouse.is_none() {
            return Err(invalid(member, format!("a person who is {status} has no spouse")));
        }
        return Ok(());
    }
    let Some(spouse) = new_spouse else { return Ok(()) };
    if spouse == me {
        return Err(invalid(member, "a person cannot marry themselves"));
    }
    let Some(i) = changes.relative(state, owner, &spouse).await? else {
        return Err(invalid(
            member,
            "the spouse must be one of your reserved persons (Test-Norge persons are read-only)",
        ));
    };
    let other = &mut changes.relatives[i].0;
    if let Some(theirs) = bound_spouse(other)
        && theirs != me
    {
        return Err(invalid(member, "that person is married to someone else"));
    }
    if other.status() == "Deceased" {
        return Err(invalid(member, "that person is deceased"));
    }
    life::join_marriage(other, &me, &status, today, SOURCE);
    life::join_marriage(&mut changes.me.0, &spouse, &status, today, SOURCE);
    Ok(())
}

/// Death (or its removal): status, address and the spouse's side follow.
async fn settle_death(
    state: &State,
    owner: &str,
    changes: &mut Changes,
    patch: &Value,
    today: Date,
) -> Result<(), Problem> {
    let me = changes.me.0.nin().to_owned();
    if patch.is_null() {
        life::undo_death(&mut changes.me.0, today, SOURCE);
        return Ok(());
    }
    if !patch.is_object() {
        return Err(invalid(
            "death",
            "death must be an object {\"deceasedDate\": \"YYYY-MM-DD\"} or null",
        ));
    }
    Members::new(patch.as_object().unwrap_or(&Map::new())).only(&["deceasedDate"])?;
    let date = date_in("death", patch, "deceasedDate")?.unwrap_or(today);
    let birth = Date::parse(changes.me.0.birth_date());
    if date > today || birth.is_some_and(|b| date < b) {
        return Err(invalid("death.deceasedDate", "must lie between the birth date and today"));
    }
    let spouse = life::die(&mut changes.me.0, date, SOURCE);
    if let Some(spouse) = spouse
        && let Some(i) = changes.relative(state, owner, &spouse).await?
    {
        life::widow(&mut changes.relatives[i].0, &me, date, SOURCE);
    }
    Ok(())
}

#[utoipa::path(
    patch, path = "/reserved-persons/{id}", tag = "syntpop",
    summary = "Edit one of your reserved persons (JSON merge patch; history kept)",
    params(("id" = String, Path, description = "The person's id"), crate::docs::AuthHeaders),
    request_body(content = crate::docs::PersonPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The person as it is now (current items)", body = crate::docs::PersonDoc),
        crate::docs::Problems,
    )
)]
pub(crate) async fn patch_reserved(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let patch =
        json_object(&headers, &body, false, &["application/merge-patch+json", "application/json"])?;
    Members::new(&patch).only(&EDITABLE)?;
    let owner = owner_of(&caller);
    let stored = owned(&state, &owner, &id).await?;
    let today = nin_today(&state);
    let person = crate::reserved::parse_person(&stored)?;
    let before = person.clone();
    let old_spouse = bound_spouse(&person);
    let old_municipality = person.address().map(|a| a.municipality_number.clone());
    let mut changes = Changes { me: (person, stored.version), relatives: Vec::new() };
    let p = &mut changes.me.0;
    if let Some(v) = patch.get("name") {
        edit_list::<PersonName>(
            "name",
            &["givenName", "middleName", "familyName"],
            &mut p.name,
            |i| &mut i.meta,
            v,
            today,
        )?;
    }
    if let Some(v) = patch.get("residentialAddress") {
        if p.status() == "Deceased" {
            return Err(invalid(
                "residentialAddress",
                "a deceased person has no residential address",
            ));
        }
        let moved = date_in("residentialAddress", v, "moveDate")?.unwrap_or(today);
        if moved > today {
            return Err(invalid(
                "residentialAddress.moveDate",
                "a move date cannot lie in the future",
            ));
        }
        let mut v = v.clone();
        if let Value::Object(m) = &mut v {
            m.insert("moveDate".into(), Value::String(ts(moved)));
        }
        edit_list::<ResidentialAddress>(
            "residentialAddress",
            &["streetAddress", "addressConfidentiality", "moveDate"],
            &mut p.residential_address,
            |i| &mut i.meta,
            &v,
            today,
        )?;
        settle_municipality(p, old_municipality)?;
    }
    if let Some(v) = patch.get("status") {
        let before = p.status().to_owned();
        edit_list::<PersonStatus>("status", &["status"], &mut p.status, |i| &mut i.meta, v, today)?;
        let after = p.status();
        if after != before && (after == "Deceased" || before == "Deceased") {
            return Err(invalid(
                "status.status",
                "record a death with the death part (and undo one with death: null)",
            ));
        }
    }
    if let Some(v) = patch.get("maritalStatus") {
        edit_list::<MaritalStatus>(
            "maritalStatus",
            &["status", "relatedByMaritalStatus"],
            &mut p.marital_status,
            |i| &mut i.meta,
            v,
            today,
        )?;
        if let Some(m) = p.marital_status.iter_mut().find(|m| m.meta.is_valid)
            && m.meta.source == SOURCE
            && m.meta.valid_from.as_deref() == Some(ts(today).as_str())
        {
            m.status_date = Some(ts(today));
        }
        settle_marriage(&state, &owner, &mut changes, old_spouse.clone(), today).await?;
    }
    if let Some(v) = patch.get("death") {
        settle_death(&state, &owner, &mut changes, v, today).await?;
    }
    if let Some(v) = patch.get("commonContactRegisterInformation") {
        let p = &mut changes.me.0;
        let mut krr =
            serde_json::to_value(&p.common_contact_register_information).unwrap_or(Value::Null);
        merge(&mut krr, v);
        p.common_contact_register_information = if krr.is_null() {
            None
        } else {
            Some(serde_json::from_value::<CommonContactRegisterInformation>(krr).map_err(|e| {
                invalid(
                    "commonContactRegisterInformation",
                    format!("commonContactRegisterInformation after the patch is not valid: {e}"),
                )
            })?)
        };
    }
    check_person(&mut changes.me.0, &before, &state.rules)?;
    let mut rows = vec![(PersonRow::of(&changes.me.0, "Reserved", Some(&owner)), changes.me.1)];
    for (relative, version) in &changes.relatives {
        rows.push((PersonRow::of(relative, "Reserved", Some(&owner)), *version));
    }
    match state.store.update_persons(rows).await {
        Ok(()) => state.wrote().await,
        Err(StoreError::Conflict(_)) => {
            return Err(Problem::new(StatusCode::CONFLICT, "conflict", "Changed meanwhile")
                .detail(
                    "The person (or a relative) was changed by another request meanwhile; read it \
                 again and repeat the edit.",
                ));
        }
        Err(e) => return Err(e.into()),
    }
    let doc = serde_json::to_string(&changes.me.0).unwrap_or_default();
    Ok(Json(View::all_current().render(&doc)?))
}
