//! Life events for Test-Norge persons, a day at a time: deaths, births, moves, marriages,
//! divorces, name changes and emigration at roughly Norway's yearly rates (SSB, rounded; stated below), each
//! appended to the event feed. Reserved persons never get events.
//!
//! Deterministic: the day's draws come from the population's seed and the date, and persons
//! are picked by their place in load order, which both databases share — so the same
//! population advanced the same days gives the same result on SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Datelike, Days, Months, NaiveDate};
use fjellport_nin::{Date, Nin};
use fjellport_population::addresses::AddressBook;
use fjellport_population::{Person, life};
use fjellport_store::{
    LifeChanges, PersonFilter, PersonKey, PersonPage, PersonRow, Store, StoreError, StoredPerson,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Events per person per year (SSB 2023, rounded): deaths 8.3 ‰, births 9.5 ‰ (per person, not
/// per woman), household moves 5 %, marriages 1.8 ‰ couples, divorces 0.8 ‰ couples,
/// emigration 5 ‰.
const DEATHS: f64 = 0.0083;
const BIRTHS: f64 = 0.0095;
const MOVES: f64 = 0.05;
const MARRIAGES: f64 = 0.0018;
const DIVORCES: f64 = 0.0008;
const EMIGRATIONS: f64 = 0.005;
/// Name changes outside marriage (a new family name), per person per year; on marriage, one
/// spouse takes the other's family name in [`TAKES_NAME`] of cases.
const NAME_CHANGES: f64 = 0.003;
const TAKES_NAME: f64 = 0.3;

/// Where the population's own calendar and seed are kept.
pub const POPULATION_DAY: &str = "population_day";
pub const POPULATION_SEED: &str = "population_seed";
/// At most this many days per call (a year): a stand-in left off for long catches up in steps.
pub const MAX_DAYS: u32 = 366;

const SOURCE: &str = "Skatteetaten";

/// What an advance did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub days: u32,
    /// The population's day afterwards (`YYYY-MM-DD`).
    pub day: String,
    pub births: u32,
    pub deaths: u32,
    pub moves: u32,
    pub marriages: u32,
    pub divorces: u32,
    pub emigrations: u32,
    pub name_changes: u32,
    pub events: u64,
    #[serde(skip)]
    pub millis: u128,
}

#[derive(Debug, thiserror::Error)]
pub enum AdvanceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "there is no Test-Norge population to advance: run `fjellport population generate` first"
    )]
    Empty,
    #[error("the population's day is unreadable: {0:?}")]
    BadDay(String),
}

fn to_date(d: NaiveDate) -> Date {
    Date { year: d.year() as u16, month: d.month() as u8, day: d.day() as u8 }
}

fn years_before(day: NaiveDate, years: u32) -> String {
    day.checked_sub_months(Months::new(years * 12)).unwrap_or(day).format("%Y-%m-%d").to_string()
}

/// The population's current day: the last simulated one, else the day it was generated.
pub async fn population_day(store: &dyn Store) -> Result<Option<NaiveDate>, AdvanceError> {
    match store.get_setting(POPULATION_DAY).await? {
        None => Ok(None),
        Some(s) => {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map(Some).map_err(|_| AdvanceError::BadDay(s))
        }
    }
}

/// Simulates `days` days after the population's current day (`fallback` when none is recorded).
pub async fn advance(
    store: &dyn Store,
    days: u32,
    fallback: NaiveDate,
    addresses: Option<&AddressBook>,
) -> Result<Summary, AdvanceError> {
    let started = Instant::now();
    if store.person_count(Some("TestNorge")).await? == 0 {
        return Err(AdvanceError::Empty);
    }
    let seed: u64 =
        store.get_setting(POPULATION_SEED).await?.and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut day = population_day(store).await?.unwrap_or(fallback);
    let mut summary = Summary::default();
    for _ in 0..days.min(MAX_DAYS) {
        day = day.checked_add_days(Days::new(1)).unwrap_or(day);
        simulate_day(store, seed, day, addresses, &mut summary).await?;
        summary.days += 1;
    }
    summary.day = day.format("%Y-%m-%d").to_string();
    summary.millis = started.elapsed().as_millis();
    Ok(summary)
}

/// Persons changed today, kept so one person's second event builds on the first.
struct Day<'a> {
    store: &'a dyn Store,
    /// Where movers' new homes are, when the run has real addresses.
    addresses: Option<&'a AddressBook>,
    day: NaiveDate,
    rng: ChaCha8Rng,
    /// About the upper end of load order (the number of persons), for random picks; a pick
    /// wraps around, so a gap in the numbering only skews where picks start.
    top: i64,
    changed: BTreeMap<String, (Person, i64)>,
    order: Vec<String>,
    born: Vec<PersonRow>,
    off_gp: Vec<String>,
    events: Vec<(String, String, String)>,
    /// Numbers given to today's newborns.
    newborn_numbers: Vec<Nin>,
}

impl Day<'_> {
    fn filter(&self) -> PersonFilter {
        PersonFilter {
            origin: Some("TestNorge".into()),
            statuses: vec!["Resident".into()],
            ..PersonFilter::default()
        }
    }

    /// A random person matching `filter`: the first match at or after a random place in load
    /// order (wrapping around), not one already changed today.
    async fn pick(&mut self, filter: PersonFilter) -> Result<Option<(Person, i64)>, AdvanceError> {
        let start = self.rng.random_range(0..self.top.max(1));
        for after in [start, 0] {
            // The documents come with the page: a pick costs one read, not two.
            let page = PersonPage {
                filter: filter.clone(),
                after: Some((0, after)),
                limit: 4,
                with_doc: true,
                ..Default::default()
            };
            for (_, hit) in self.store.search_persons(&page).await?.hits {
                if self.changed.contains_key(&hit.row.id) {
                    continue;
                }
                return Ok(parse(&hit).map(|p| (p, hit.version)));
            }
        }
        Ok(None)
    }

    /// A relative to change, as changed so far today.
    async fn load_nin(&mut self, nin: &str) -> Result<Option<(Person, i64)>, AdvanceError> {
        if let Some(p) = self.changed.values().find(|(p, _)| p.nin() == nin) {
            return Ok(Some(p.clone()));
        }
        match self.store.person(PersonKey::Nin(nin)).await? {
            Some(s) if s.row.origin == "TestNorge" => Ok(parse(&s).map(|p| (p, s.version))),
            _ => Ok(None),
        }
    }

    fn keep(&mut self, p: Person, version: i64, event: &str) {
        self.events.push((p.id.clone(), p.nin().to_owned(), event.to_owned()));
        if !self.changed.contains_key(&p.id) {
            self.order.push(p.id.clone());
        }
        self.changed.insert(p.id.clone(), (p, version));
    }

    /// A marriage or divorce: both marital statuses and family relations changed, and `b`
    /// moved.
    fn couple(&mut self, a: Person, av: i64, b: Person, bv: i64) {
        let (ai, bi) = (a.id.clone(), b.id.clone());
        self.keep(a, av, "ChangeInMaritalStatus");
        self.keep(b, bv, "ChangeInMaritalStatus");
        self.also(&ai, "ChangeInFamilyRelation");
        self.also(&bi, "ChangeInFamilyRelation");
        self.also(&bi, "ChangeInResidentialAddress");
    }

    /// Another event for a person kept today.
    fn also(&mut self, id: &str, event: &str) {
        if let Some((p, _)) = self.changed.get(id) {
            self.events.push((p.id.clone(), p.nin().to_owned(), event.to_owned()));
        }
    }

    fn today(&self) -> Date {
        to_date(self.day)
    }
}

fn parse(s: &StoredPerson) -> Option<Person> {
    serde_json::from_str(&s.row.doc).ok()
}

/// How many events of a yearly `rate` fall on one day among `n` persons (the fraction drawn).
fn how_many(rng: &mut ChaCha8Rng, n: i64, rate: f64) -> u32 {
    let expected = n as f64 * rate / 365.0;
    let whole = expected.floor();
    (whole as u32) + u32::from(rng.random_bool((expected - whole).clamp(0.0, 1.0)))
}

async fn simulate_day(
    store: &dyn Store,
    seed: u64,
    day: NaiveDate,
    addresses: Option<&AddressBook>,
    summary: &mut Summary,
) -> Result<(), AdvanceError> {
    let day_seed = seed ^ (u64::from(day.num_days_from_ce() as u32) << 20) ^ 0x4c49_4645;
    let residents = store
        .count_persons(&PersonFilter {
            origin: Some("TestNorge".into()),
            statuses: vec!["Resident".into()],
            ..PersonFilter::default()
        })
        .await?;
    let mut d = Day {
        store,
        addresses,
        day,
        rng: ChaCha8Rng::seed_from_u64(day_seed),
        top: store.person_count(None).await?,
        changed: BTreeMap::new(),
        order: Vec::new(),
        born: Vec::new(),
        off_gp: Vec::new(),
        events: Vec::new(),
        newborn_numbers: Vec::new(),
    };
    let today = d.today();
    let counts = [DEATHS, BIRTHS, MOVES, MARRIAGES, DIVORCES, EMIGRATIONS, NAME_CHANGES]
        .map(|rate| how_many(&mut d.rng, residents, rate));

    // Deaths: mostly the old.
    for _ in 0..counts[0] {
        let mut f = d.filter();
        if d.rng.random_bool(0.8) {
            f.birth_to = Some(years_before(day, 75));
        } else {
            f.birth_from = Some(years_before(day, 75));
            f.birth_to = Some(years_before(day, 18));
        }
        let Some((mut p, v)) = d.pick(f).await? else { continue };
        let spouse = life::die(&mut p, today, SOURCE);
        d.off_gp.push(p.id.clone());
        let deceased = p.nin().to_owned();
        d.keep(p, v, "PersonIsDeceased");
        if let Some(nin) = spouse
            && let Some((mut s, sv)) = d.load_nin(&nin).await?
            && s.status() != "Deceased"
        {
            life::widow(&mut s, &deceased, today, SOURCE);
            let id = s.id.clone();
            d.keep(s, sv, "ChangeInMaritalStatus");
            d.also(&id, "ChangeInFamilyRelation");
        }
        summary.deaths += 1;
    }

    // Births: mothers 20–42, the father her spouse when she has one.
    for _ in 0..counts[1] {
        let f = PersonFilter {
            gender: Some("Female".into()),
            birth_from: Some(years_before(day, 42)),
            birth_to: Some(years_before(day, 20)),
            ..d.filter()
        };
        let Some((mother, mv)) = d.pick(f).await? else { continue };
        let father = match life::bound_spouse(&mother) {
            Some(nin) => d.load_nin(&nin).await?.filter(|(p, _)| p.status() == "Resident"),
            None => None,
        };
        let candidates = life::birth_candidates(today);
        let mut taken: Vec<Nin> =
            store.taken_nins(&candidates).await?.iter().filter_map(|n| n.parse().ok()).collect();
        taken.extend(d.newborn_numbers.iter().copied());
        let fv = father.as_ref().map(|f| f.1);
        let Ok(family) = life::birth(mother, father.map(|f| f.0), today, d.rng.random(), &taken)
        else {
            continue; // every number of the day is taken: no birth today
        };
        let mut family = family.into_iter();
        let (Some(mother), Some(second)) = (family.next(), family.next()) else { continue };
        let (father, child) = match family.next() {
            Some(child) => (Some(second), child),
            None => (None, second),
        };
        let gp = d.store.person(PersonKey::Id(&mother.id)).await?;
        let registers = fjellport_population::registers::PersonRegisters {
            gp: gp.as_ref().and_then(|g| g.row.gp_hpr.clone()),
            gp_since: gp
                .as_ref()
                .and_then(|g| g.row.gp_hpr.as_ref())
                .map(|_| day.format("%Y-%m-%d").to_string()),
            ..Default::default()
        };
        if let Ok(n) = child.nin().parse::<Nin>() {
            d.newborn_numbers.push(n);
        }
        d.events.push((child.id.clone(), child.nin().to_owned(), "PersonIsCreated".into()));
        d.born.push(PersonRow::of(&child, "TestNorge", None).with_registers(&registers));
        d.keep(mother, mv, "ChangeInFamilyRelation");
        if let (Some(father), Some(fv)) = (father, fv) {
            d.keep(father, fv, "ChangeInFamilyRelation");
        }
        summary.births += 1;
    }

    // Moves: an adult, with the spouse and children living at the same address.
    for _ in 0..counts[2] {
        let f = PersonFilter { birth_to: Some(years_before(day, 18)), ..d.filter() };
        let Some((p, v)) = d.pick(f).await? else { continue };
        let Some(old) = p.address().cloned() else { continue };
        let home = life::new_home(d.rng.random(), today, d.addresses);
        let mut household = vec![(p.clone(), v)];
        let relatives: Vec<String> = p
            .family_relation
            .iter()
            .filter(|r| {
                r.meta.is_valid
                    && ["SpouseOrPartner", "Child"].contains(&r.related_persons_role.as_str())
            })
            .map(|r| r.related_person.clone())
            .collect();
        for nin in relatives {
            if let Some((r, rv)) = d.load_nin(&nin).await?
                && r.address() == Some(&old)
            {
                household.push((r, rv));
            }
        }
        for (mut member, mv) in household {
            life::move_to(&mut member, &home, today, SOURCE);
            d.keep(member, mv, "ChangeInResidentialAddress");
        }
        summary.moves += 1;
    }

    // Marriages: two unmarried (or divorced, widowed) adults of about the same age.
    for _ in 0..counts[3] {
        let single = vec!["Unmarried".into(), "Divorced".into(), "WidowOrWidower".into()];
        let f = PersonFilter {
            birth_from: Some(years_before(day, 60)),
            birth_to: Some(years_before(day, 25)),
            marital_statuses: single.clone(),
            ..d.filter()
        };
        let Some((a, av)) = d.pick(f).await? else { continue };
        let born = NaiveDate::parse_from_str(a.birth_date(), "%Y-%m-%d").unwrap_or(day);
        let other = if a.gender() == "Female" { "Male" } else { "Female" };
        let f = PersonFilter {
            gender: Some(other.into()),
            birth_from: Some(years_before(born, 6)),
            birth_to: born
                .checked_add_months(Months::new(72))
                .map(|d| d.format("%Y-%m-%d").to_string()),
            marital_statuses: single,
            ..d.filter()
        };
        let Some((b, bv)) = d.pick(f).await? else { continue };
        if a.id == b.id {
            continue;
        }
        let (a, mut b) = life::marry(a, b, today);
        let takes_name = d.rng.random_bool(TAKES_NAME);
        if takes_name && let Some(family) = a.current_name().map(|n| n.family_name.clone()) {
            life::rename(&mut b, &family, today, SOURCE);
        }
        let bi = b.id.clone();
        d.couple(a, av, b, bv);
        if takes_name {
            d.also(&bi, "ChangeInName");
        }
        summary.marriages += 1;
    }

    // Divorces: a married couple; one of them moves out.
    for _ in 0..counts[4] {
        let f = PersonFilter {
            marital_statuses: vec!["Married".into()],
            has_spouse: Some(true),
            ..d.filter()
        };
        let Some((mut a, av)) = d.pick(f).await? else { continue };
        let Some(nin) = life::bound_spouse(&a) else { continue };
        let Some((mut b, bv)) = d.load_nin(&nin).await? else { continue };
        if life::bound_spouse(&b).as_deref() != Some(a.nin()) {
            continue;
        }
        life::divorce(&mut a, &mut b, today);
        let home = life::new_home(d.rng.random(), today, d.addresses);
        life::move_to(&mut b, &home, today, SOURCE);
        d.couple(a, av, b, bv);
        summary.divorces += 1;
    }

    // Emigration: an adult without a spouse.
    for _ in 0..counts[5] {
        let f = PersonFilter {
            birth_to: Some(years_before(day, 18)),
            has_spouse: Some(false),
            ..d.filter()
        };
        let Some((mut p, v)) = d.pick(f).await? else { continue };
        life::emigrate(&mut p, today, SOURCE);
        d.off_gp.push(p.id.clone());
        d.keep(p, v, "PersonIsEmigrated");
        summary.emigrations += 1;
    }

    // Name changes: an adult takes a new family name.
    for _ in 0..counts[6] {
        let f = PersonFilter { birth_to: Some(years_before(day, 18)), ..d.filter() };
        let Some((mut p, v)) = d.pick(f).await? else { continue };
        life::rename(&mut p, &life::new_family_name(d.rng.random()), today, SOURCE);
        d.keep(p, v, "ChangeInName");
        summary.name_changes += 1;
    }

    summary.events += d.events.len() as u64;
    let Day { changed, order, born, off_gp, events, .. } = d;
    let mut changed = changed;
    let rows = order
        .iter()
        .filter_map(|id| changed.remove(id))
        .map(|(p, v)| (PersonRow::of(&p, "TestNorge", None), v))
        .collect();
    store
        .apply_life(LifeChanges {
            born,
            changed: rows,
            off_gp_lists: off_gp,
            events,
            day: day.format("%Y-%m-%d").to_string(),
        })
        .await?;
    Ok(())
}
