//! `population advance` and `--simulate-events`: the population's calendar moved on a day at a
//! time, each day simulated by `fjellport_population::simulate` over the stored persons and
//! written back in one transaction with its events. This module holds only the adapter to the
//! store and the schedule; the rates, the choice of who dies, marries, divorces or moves, and
//! the event types live in the population crate. Reserved persons never get events. Persons
//! are picked by their place in load order, which both databases share, so the same population
//! advanced the same days gives the same result on SQLite and PostgreSQL.

use std::time::Instant;

use chrono::{Datelike, Days, NaiveDate};
use fjellport_nin::{Date, Nin};
use fjellport_population::Person;
use fjellport_population::addresses::AddressBook;
use fjellport_population::simulate::{Counts, DayOfLife, Pick, Population, simulate_day};
use fjellport_store::{
    LifeChanges, PersonFilter, PersonKey, PersonPage, PersonRow, SettingsStore, Store, StoreError,
    StoredPerson,
};
use serde::Serialize;

/// Where the population's own calendar and seed are kept.
pub const POPULATION_DAY: &str = "population_day";
pub const POPULATION_SEED: &str = "population_seed";
/// At most this many days per call (a year): a stand-in left off for long catches up in steps.
pub const MAX_DAYS: u32 = 366;

/// What an advance did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub days: u32,
    /// The population's day afterwards (`YYYY-MM-DD`).
    pub day: String,
    /// Births, deaths, moves, … (one member each in the JSON).
    #[serde(flatten)]
    pub counts: Counts,
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

/// The population's current day: the last simulated one, else the day it was generated.
pub async fn population_day(store: &dyn SettingsStore) -> Result<Option<NaiveDate>, AdvanceError> {
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
        let residents = store.count_persons(&residents()).await?;
        let top = store.person_count(None).await?;
        let mut population = StorePopulation { store };
        let out =
            simulate_day(&mut population, seed, to_date(day), residents, top, addresses).await?;
        summary.add(&out);
        let rows =
            out.changed.iter().map(|(p, v)| (PersonRow::of(p, "TestNorge", None), *v)).collect();
        let born = out
            .born
            .iter()
            .map(|(p, registers)| PersonRow::of(p, "TestNorge", None).with_registers(registers))
            .collect();
        let events = out
            .events
            .into_iter()
            .map(|(id, nin, event)| (id, nin, event.as_str().to_owned()))
            .collect();
        store
            .apply_life(LifeChanges {
                born,
                changed: rows,
                off_gp_lists: out.off_gp_lists,
                events,
                day: day.format("%Y-%m-%d").to_string(),
            })
            .await?;
        summary.days += 1;
    }
    summary.day = day.format("%Y-%m-%d").to_string();
    summary.millis = started.elapsed().as_millis();
    Ok(summary)
}

impl Summary {
    fn add(&mut self, day: &DayOfLife) {
        self.counts += day.counts;
        self.events += day.events.len() as u64;
    }
}

/// Test-Norge's residents: whom the simulator picks from.
fn residents() -> PersonFilter {
    PersonFilter {
        origin: Some("TestNorge".into()),
        statuses: vec!["Resident".into()],
        ..PersonFilter::default()
    }
}

/// The simulator's view of the stored population.
struct StorePopulation<'a> {
    store: &'a dyn Store,
}

fn parse(s: &StoredPerson) -> Option<Person> {
    serde_json::from_str(&s.row.doc).ok()
}

impl Population for StorePopulation<'_> {
    type Error = StoreError;

    async fn residents_after(
        &mut self,
        pick: &Pick,
        after: i64,
    ) -> Result<Vec<(Person, i64)>, StoreError> {
        let filter = PersonFilter {
            gender: pick.gender.clone(),
            birth_from: pick.born_from.clone(),
            birth_to: pick.born_to.clone(),
            marital_statuses: pick.marital_statuses.clone(),
            has_spouse: pick.has_spouse,
            ..residents()
        };
        // The documents come with the page: a pick costs one read, not two.
        let page = PersonPage {
            filter,
            after: Some((0, after)),
            limit: 4,
            with_doc: true,
            ..Default::default()
        };
        let hits = self.store.search_persons(&page).await?.hits;
        Ok(hits.iter().filter_map(|(_, hit)| parse(hit).map(|p| (p, hit.version))).collect())
    }

    async fn by_nin(&mut self, nin: &str) -> Result<Option<(Person, i64)>, StoreError> {
        Ok(match self.store.person(PersonKey::Nin(nin)).await? {
            Some(s) if s.row.origin == "TestNorge" => parse(&s).map(|p| (p, s.version)),
            _ => None,
        })
    }

    async fn taken(&mut self, numbers: &[String]) -> Result<Vec<Nin>, StoreError> {
        Ok(self.store.taken_nins(numbers).await?.iter().filter_map(|n| n.parse().ok()).collect())
    }

    async fn gp_of(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.store.person(PersonKey::Id(id)).await?.and_then(|p| p.row.gp_hpr))
    }
}
