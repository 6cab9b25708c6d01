//! Reserved persons (+65 numbers): created from a template, owned by the caller, editable by
//! the owner alone. Test-Norge persons are read-only here: they change only by the population
//! owner's events.

use axum::Json;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::response::IntoResponse;
use fjellport_gateway::extract::Path;
use fjellport_gateway::{Caller, Problem};
use fjellport_nin::{Date, Nin, Sex};
use fjellport_population::Person;
use fjellport_population::reserve::{
    MAX_CHILDREN, QuotaBreach, ReserveError, Template, marital_statuses, number_candidates,
    quota_breach, reserve,
};
use fjellport_population::text_rules::person_name;
use fjellport_store::{PersonFilter, PersonKey, PersonRow, StoreError, StoredPerson};
use http::{HeaderMap, HeaderValue, StatusCode, header::LOCATION};

use crate::docs::{PersonDoc, Problems, SearchPage};
use crate::parts::View;
use crate::persons::check_id;
use crate::search::{page, today};
use crate::{State, owner_of, person_not_found};
use fjellport_gateway::input::{Members, invalid, json_object};

/// Where persons are read (the `Location` of a new reservation).
const PERSONS_PATH: &str = "/syntpop/api/persons";
/// Attempts when a number is taken outside reservations (a population load) meanwhile.
const RESERVE_ATTEMPTS: usize = 5;

const TEMPLATE_MEMBERS: [&str; 10] = [
    "name",
    "gender",
    "birth",
    "ageFrom",
    "ageTo",
    "municipalityNumber",
    "maritalStatus",
    "withSpouse",
    "children",
    "identificationNumberType",
];

pub(crate) fn template_of(m: &Members<'_>) -> Result<Template, Problem> {
    m.only(&TEMPLATE_MEMBERS)?;
    let mut t = Template::default();
    if let Some(name) = m.object("name", "name.")? {
        name.only(&["givenName", "middleName", "familyName"])?;
        // Stored composed (NFC), as the register keeps names.
        let part = |member: &str| -> Result<Option<String>, Problem> {
            let Some(raw) = name.string(member)? else { return Ok(None) };
            let member = format!("name.{member}");
            person_name(raw).map(Some).map_err(|e| invalid(&member, format!("{member}: {e}")))
        };
        t.given_name = part("givenName")?;
        t.middle_name = part("middleName")?;
        t.family_name = part("familyName")?;
    }
    t.gender = match m.choice("gender", &["Female", "Male"])? {
        Some("Female") => Some(Sex::Female),
        Some(_) => Some(Sex::Male),
        None => None,
    };
    if let Some(birth) = m.object("birth", "birth.")? {
        birth.only(&["birthDate"])?;
        t.birth_date = birth.date("birthDate")?;
    }
    t.age_from = m.int("ageFrom", 0, 120)?.map(|n| n as u16);
    t.age_to = m.int("ageTo", 0, 120)?.map(|n| n as u16);
    t.municipality = m.digits("municipalityNumber", 4)?.map(str::to_owned);
    let statuses: Vec<&str> = marital_statuses().collect();
    t.marital_status = m.choice("maritalStatus", &statuses)?.map(str::to_owned);
    t.with_spouse = m.boolean("withSpouse")?.unwrap_or(false);
    t.children = m.int("children", 0, i64::from(MAX_CHILDREN))?.unwrap_or(0) as u8;
    t.dnumber = m.choice("identificationNumberType", &["NationalIdentityNumber", "DNumber"])?
        == Some("DNumber");
    Ok(t)
}

pub(crate) fn nin_today(state: &State) -> Date {
    let d = today(state);
    use chrono::Datelike;
    Date::new(d.year() as u16, d.month() as u8, d.day() as u8).unwrap_or(Date {
        year: 2026,
        month: 1,
        day: 1,
    })
}

fn reserve_problem(e: ReserveError) -> Problem {
    match e {
        ReserveError::Template(t) => invalid(t.member, t.to_string()),
        ReserveError::Numbers(n) => {
            Problem::new(StatusCode::CONFLICT, "numbers-exhausted", "No identity number left")
                .detail(format!("{n}; choose another birth date"))
        }
    }
}

#[utoipa::path(
    post, path = "/reserved-persons", tag = "syntpop",
    summary = "Reserve a new person (+65 number), optionally with a spouse and children",
    params(crate::docs::AuthHeaders),
    request_body(content = Option<crate::docs::ReservationTemplate>, content_type = "application/json",
        description = "Optional: what the person should be like. Without a body, a random adult."),
    responses(
        (status = 201, description = "The reserved person (spouse and children are related by number)", body = PersonDoc,
            headers(("Location" = String, description = "Where to read the person"))),
        Problems,
    )
)]
pub(crate) async fn reserve_person(
    state: State,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, Problem> {
    let map = json_object(&headers, &body, true, &["application/json"])?;
    let template = template_of(&Members::new(&map))?;
    let owner = owner_of(&caller);
    let today = nin_today(&state);
    let now = state.clock.now().timestamp();
    let limit = state.rules.reserved_per_birth_date as usize;
    let _turn = state
        .reserving
        .acquire()
        .await
        .map_err(|_| Problem::internal("the reservation queue is closed"))?;
    for _ in 0..RESERVE_ATTEMPTS {
        let seed: u64 = rand::random();
        let addresses = state.addresses.as_deref();
        let draft = reserve(&template, today, seed, &[], addresses).map_err(reserve_problem)?;
        // The second draw runs inside the store's reservation transaction, which no other
        // reservation overlaps: the numbers it sees as free stay free until it has them.
        let mut drawn: Option<Result<Vec<Person>, Problem>> = None;
        let made = state
            .store
            .reserve_persons(&owner, &number_candidates(&draft), now, &mut |taken| {
                let numbers: Vec<Nin> = taken.iter().filter_map(|t| t.nin.parse().ok()).collect();
                let persons = match reserve(&template, today, seed, &numbers, addresses) {
                    Ok(persons) => persons,
                    Err(e) => {
                        drawn = Some(Err(reserve_problem(e)));
                        return None;
                    }
                };
                let mine = |nin: &str| {
                    taken.iter().any(|t| t.nin == nin && t.owner.as_deref() == Some(&owner))
                };
                if let Some(breach) = quota_breach(&persons, mine, limit) {
                    drawn = Some(Err(quota_problem(&breach, limit)));
                    return None;
                }
                let rows = persons.iter().map(|p| PersonRow::of(p, "Reserved", Some(&owner)));
                let rows = rows.collect();
                drawn = Some(Ok(persons));
                Some(rows)
            })
            .await;
        match made {
            Ok(Some(_)) => {
                state.wrote().await;
                let persons = drawn.and_then(Result::ok).unwrap_or_default();
                let Some(main) = persons.first() else {
                    return Err(Problem::internal("a reservation drew no person"));
                };
                let body =
                    View::all_current().render(&serde_json::to_string(main).unwrap_or_default())?;
                let location = HeaderValue::from_str(&format!("{PERSONS_PATH}/{}", main.id))
                    .map_err(|_| Problem::internal("person id is not a header value"))?;
                return Ok((StatusCode::CREATED, [(LOCATION, location)], Json(body)));
            }
            Ok(None) => {
                return Err(drawn.and_then(Result::err).unwrap_or_else(|| {
                    Problem::internal("a reservation gave up without a reason")
                }));
            }
            // A number was taken outside reservations meanwhile (a population load): draw again.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Problem::new(StatusCode::CONFLICT, "busy", "Too many concurrent reservations")
        .detail("Other writers kept taking the same numbers; try again."))
}

/// The owner has taken its share of a birth date's numbers.
fn quota_problem(b: &QuotaBreach, limit: usize) -> Problem {
    let kind = if b.nin_type == "DNumber" { "D-numbers" } else { "identity numbers" };
    Problem::new(StatusCode::CONFLICT, "reservation-quota", "Reservation quota reached").detail(
        format!(
            "You have taken {} of the {limit} {kind} one owner may reserve for {} persons born \
             {} (syntpop.reserved_per_birth_date; released persons keep their numbers, which \
             every team shares). Choose another birth date.",
            b.held,
            b.gender.to_lowercase(),
            b.birth_date.get(..10).unwrap_or(&b.birth_date),
        ),
    )
}

#[utoipa::path(
    get, path = "/reserved-persons", tag = "syntpop",
    summary = "Your reserved persons (paged)",
    params(crate::docs::ListParams, crate::docs::SearchViewParams, crate::docs::AuthHeaders),
    responses(
        (status = 200, description = "One page of your reserved persons", body = SearchPage),
        Problems,
    )
)]
pub(crate) async fn list_reserved(
    state: State,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<axum::response::Response, Problem> {
    let (view, paging) = crate::registers::list_query(query.as_deref())?;
    let filter = PersonFilter {
        visible_to: Some(owner_of(&caller)),
        origin: Some("Reserved".to_owned()),
        ..PersonFilter::default()
    };
    page(&state, filter, paging, &view).await
}

/// The caller's own reserved person `id`, or the right refusal.
pub(crate) async fn owned(state: &State, owner: &str, id: &str) -> Result<StoredPerson, Problem> {
    check_id("id", id)?;
    match state.store.person(PersonKey::Id(id)).await? {
        Some(p) if p.row.origin != "Reserved" => Err(read_only()),
        Some(p) if p.row.owner.as_deref() == Some(owner) => Ok(p),
        _ => Err(person_not_found(&format!("with id {id} among your reserved persons"))),
    }
}

fn read_only() -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "read-only", "Test-Norge persons are read-only").detail(
        "This is a Test-Norge person: it receives its changes as events from the population \
         owner (Skatteetaten's Test-Norge) and cannot be edited or released. Reserve a person \
         of your own (POST /reserved-persons) to edit one.",
    )
}

pub(crate) fn parse_person(p: &StoredPerson) -> Result<Person, Problem> {
    serde_json::from_str(&p.row.doc)
        .map_err(|e| Problem::internal(format!("a stored person does not parse: {e}")))
}

#[utoipa::path(
    delete, path = "/reserved-persons/{id}", tag = "syntpop",
    summary = "Release one of your reserved persons (its number is never reused)",
    params(("id" = String, Path, description = "The person's id"), crate::docs::AuthHeaders),
    responses(
        (status = 204, description = "Released; relatives you own no longer point at it"),
        Problems,
    )
)]
pub(crate) async fn delete_reserved(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let owner = owner_of(&caller);
    let gone = owned(&state, &owner, &id).await?;
    let person = parse_person(&gone)?;
    let today = nin_today(&state);
    // Relatives the caller owns keep their history, with the links to this person ended.
    let mut updates = Vec::new();
    for nin in crate::family::related_nins(&person) {
        if let Some(mut relative) = crate::family::owned_relative(&state, &owner, &nin).await? {
            crate::family::end_links_to(&mut relative.1, person.nin(), today);
            updates
                .push((PersonRow::of(&relative.1, "Reserved", Some(&owner)), relative.0.version));
        }
    }
    if state.store.delete_person(&id, &owner, updates).await? {
        state.wrote().await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(person_not_found(&format!("with id {id} among your reserved persons")))
    }
}
