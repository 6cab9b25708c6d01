//! The life simulator: a day of deaths, births, moves, marriages, divorces, emigration and name
//! changes among Test-Norge's residents at roughly Norway's yearly rates (SSB, rounded; stated
//! below), each with its events for the feed. Pure: it reads and picks persons through
//! [`Population`] and returns what changed; the caller stores it (the binary's adapter to the
//! store) or looks at it (tests, over persons in memory).
//!
//! Deterministic: the day's draws come from the population's seed and the date, and persons
//! are picked by their place in load order — so the same population advanced the same days
//! gives the same result wherever it is kept.

use std::collections::BTreeMap;
use std::future::Future;

use fjellport_nin::{Date, Nin, days_in_month};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::addresses::AddressBook;
use crate::life;
use crate::model::Person;
use crate::registers::PersonRegisters;

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

/// Who records Test-Norge's life events.
pub const SOURCE: &str = "Skatteetaten";

/// The event types of the Test-Norge feed (Persontjenesten's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    PersonIsCreated,
    PersonIsDeceased,
    PersonIsEmigrated,
    ChangeInResidentialAddress,
    ChangeInMaritalStatus,
    ChangeInFamilyRelation,
    ChangeInName,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        EventType::PersonIsCreated,
        EventType::PersonIsDeceased,
        EventType::PersonIsEmigrated,
        EventType::ChangeInResidentialAddress,
        EventType::ChangeInMaritalStatus,
        EventType::ChangeInFamilyRelation,
        EventType::ChangeInName,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PersonIsCreated => "PersonIsCreated",
            EventType::PersonIsDeceased => "PersonIsDeceased",
            EventType::PersonIsEmigrated => "PersonIsEmigrated",
            EventType::ChangeInResidentialAddress => "ChangeInResidentialAddress",
            EventType::ChangeInMaritalStatus => "ChangeInMaritalStatus",
            EventType::ChangeInFamilyRelation => "ChangeInFamilyRelation",
            EventType::ChangeInName => "ChangeInName",
        }
    }
}

/// Which residents a pick may land on (every member narrows it; all are Test-Norge residents).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pick {
    pub gender: Option<String>,
    /// Born on or after (`YYYY-MM-DD`).
    pub born_from: Option<String>,
    /// Born on or before (`YYYY-MM-DD`).
    pub born_to: Option<String>,
    /// Any of these marital statuses (none: any).
    pub marital_statuses: Vec<String>,
    pub has_spouse: Option<bool>,
}

/// What the simulator needs of the population it changes. Persons come with their version
/// (what the store checks when the change is written back).
pub trait Population {
    type Error;
    /// Up to a few residents matching `pick`, in load order, after position `after`.
    fn residents_after(
        &mut self,
        pick: &Pick,
        after: i64,
    ) -> impl Future<Output = Result<Vec<(Person, i64)>, Self::Error>> + Send;
    /// A Test-Norge person by identity number (none for reserved or unknown numbers).
    fn by_nin(
        &mut self,
        nin: &str,
    ) -> impl Future<Output = Result<Option<(Person, i64)>, Self::Error>> + Send;
    /// Which of `numbers` are held by someone already.
    fn taken(
        &mut self,
        numbers: &[String],
    ) -> impl Future<Output = Result<Vec<Nin>, Self::Error>> + Send;
    /// The HPR number of the GP of the person with `id`, if any.
    fn gp_of(
        &mut self,
        id: &str,
    ) -> impl Future<Output = Result<Option<String>, Self::Error>> + Send;
}

/// How many of each event a day (or several) had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub births: u32,
    pub deaths: u32,
    pub moves: u32,
    pub marriages: u32,
    pub divorces: u32,
    pub emigrations: u32,
    pub name_changes: u32,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, c: Counts) {
        self.births += c.births;
        self.deaths += c.deaths;
        self.moves += c.moves;
        self.marriages += c.marriages;
        self.divorces += c.divorces;
        self.emigrations += c.emigrations;
        self.name_changes += c.name_changes;
    }
}

/// A simulated day: what to write back, all or nothing.
#[derive(Debug, Default)]
pub struct DayOfLife {
    /// Changed persons, each with the version it was read at, in the order first changed.
    pub changed: Vec<(Person, i64)>,
    /// Newborns, with their GP (the mother's).
    pub born: Vec<(Person, PersonRegisters)>,
    /// Persons leaving their GP's list (deaths, emigration): ids.
    pub off_gp_lists: Vec<String>,
    /// `(person id, nin, event)`, in order.
    pub events: Vec<(String, String, EventType)>,
    pub counts: Counts,
}

/// The date `years` years before `day` (the 28th for a 29 February in a common year).
pub fn years_before(day: Date, years: u16) -> Date {
    shift_years(day, -i32::from(years))
}

fn shift_years(day: Date, years: i32) -> Date {
    let year = u16::try_from(i32::from(day.year) + years).unwrap_or(day.year);
    Date { year, month: day.month, day: day.day.min(days_in_month(year, day.month)) }
}

/// Days since 31 December of year 0 (0001-01-01 is day 1), proleptic Gregorian.
pub fn days_from_ce(d: Date) -> i64 {
    let y = i64::from(d.year) - 1;
    let before_month: i64 = (1..d.month).map(|m| i64::from(days_in_month(d.year, m))).sum();
    y * 365 + y / 4 - y / 100 + y / 400 + before_month + i64::from(d.day)
}

/// Persons changed today, kept so one person's second event builds on the first.
struct Day<'a, P: Population> {
    population: &'a mut P,
    addresses: Option<&'a AddressBook>,
    today: Date,
    rng: ChaCha8Rng,
    /// About the upper end of load order (the number of persons), for random picks; a pick
    /// wraps around, so a gap in the numbering only skews where picks start.
    top: i64,
    changed: BTreeMap<String, (Person, i64)>,
    order: Vec<String>,
    out: DayOfLife,
    /// Numbers given to today's newborns.
    newborn_numbers: Vec<Nin>,
}

impl<P: Population> Day<'_, P> {
    /// A random resident matching `pick`: the first match at or after a random place in load
    /// order (wrapping around), not one already changed today.
    async fn pick(&mut self, pick: Pick) -> Result<Option<(Person, i64)>, P::Error> {
        let start = self.rng.random_range(0..self.top.max(1));
        for after in [start, 0] {
            for (p, v) in self.population.residents_after(&pick, after).await? {
                if self.changed.contains_key(&p.id) {
                    continue;
                }
                return Ok(Some((p, v)));
            }
        }
        Ok(None)
    }

    /// A relative to change, as changed so far today.
    async fn load_nin(&mut self, nin: &str) -> Result<Option<(Person, i64)>, P::Error> {
        if let Some(p) = self.changed.values().find(|(p, _)| p.nin() == nin) {
            return Ok(Some(p.clone()));
        }
        self.population.by_nin(nin).await
    }

    fn keep(&mut self, p: Person, version: i64, event: EventType) {
        self.out.events.push((p.id.clone(), p.nin().to_owned(), event));
        if !self.changed.contains_key(&p.id) {
            self.order.push(p.id.clone());
        }
        self.changed.insert(p.id.clone(), (p, version));
    }

    /// A marriage or divorce: both marital statuses and family relations changed, and `b`
    /// moved.
    fn couple(&mut self, a: Person, av: i64, b: Person, bv: i64) {
        let (ai, bi) = (a.id.clone(), b.id.clone());
        self.keep(a, av, EventType::ChangeInMaritalStatus);
        self.keep(b, bv, EventType::ChangeInMaritalStatus);
        self.also(&ai, EventType::ChangeInFamilyRelation);
        self.also(&bi, EventType::ChangeInFamilyRelation);
        self.also(&bi, EventType::ChangeInResidentialAddress);
    }

    /// Another event for a person kept today.
    fn also(&mut self, id: &str, event: EventType) {
        if let Some((p, _)) = self.changed.get(id) {
            self.out.events.push((p.id.clone(), p.nin().to_owned(), event));
        }
    }

    fn adults(&self) -> Pick {
        Pick { born_to: Some(years_before(self.today, 18).to_string()), ..Pick::default() }
    }
}

/// How many events of a yearly `rate` fall on one day among `n` persons (the fraction drawn).
fn how_many(rng: &mut ChaCha8Rng, n: i64, rate: f64) -> u32 {
    let expected = n as f64 * rate / 365.0;
    let whole = expected.floor();
    (whole as u32) + u32::from(rng.random_bool((expected - whole).clamp(0.0, 1.0)))
}

/// Simulates `today` for a population of `residents` residents among `top` persons (the upper
/// end of load order), seeded by the population's `seed`.
pub async fn simulate_day<P: Population>(
    population: &mut P,
    seed: u64,
    today: Date,
    residents: i64,
    top: i64,
    addresses: Option<&AddressBook>,
) -> Result<DayOfLife, P::Error> {
    let day_seed = seed ^ (u64::from(days_from_ce(today) as u32) << 20) ^ 0x4c49_4645;
    let mut d = Day {
        population,
        addresses,
        today,
        rng: ChaCha8Rng::seed_from_u64(day_seed),
        top,
        changed: BTreeMap::new(),
        order: Vec::new(),
        out: DayOfLife::default(),
        newborn_numbers: Vec::new(),
    };
    let counts = [DEATHS, BIRTHS, MOVES, MARRIAGES, DIVORCES, EMIGRATIONS, NAME_CHANGES]
        .map(|rate| how_many(&mut d.rng, residents, rate));
    let ago = |years| years_before(today, years).to_string();

    // Deaths: mostly the old.
    for _ in 0..counts[0] {
        let pick = if d.rng.random_bool(0.8) {
            Pick { born_to: Some(ago(75)), ..Pick::default() }
        } else {
            Pick { born_from: Some(ago(75)), born_to: Some(ago(18)), ..Pick::default() }
        };
        let Some((mut p, v)) = d.pick(pick).await? else { continue };
        let spouse = life::die(&mut p, today, SOURCE);
        d.out.off_gp_lists.push(p.id.clone());
        let deceased = p.nin().to_owned();
        d.keep(p, v, EventType::PersonIsDeceased);
        if let Some(nin) = spouse
            && let Some((mut s, sv)) = d.load_nin(&nin).await?
            && s.status() != "Deceased"
        {
            life::widow(&mut s, &deceased, today, SOURCE);
            let id = s.id.clone();
            d.keep(s, sv, EventType::ChangeInMaritalStatus);
            d.also(&id, EventType::ChangeInFamilyRelation);
        }
        d.out.counts.deaths += 1;
    }

    // Births: mothers 20–42, the father her spouse when she has one.
    for _ in 0..counts[1] {
        let pick = Pick {
            gender: Some("Female".into()),
            born_from: Some(ago(42)),
            born_to: Some(ago(20)),
            ..Pick::default()
        };
        let Some((mother, mv)) = d.pick(pick).await? else { continue };
        let father = match life::bound_spouse(&mother) {
            Some(nin) => d.load_nin(&nin).await?.filter(|(p, _)| p.status() == "Resident"),
            None => None,
        };
        let candidates = life::birth_candidates(today);
        let mut taken = d.population.taken(&candidates).await?;
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
        let gp = d.population.gp_of(&mother.id).await?;
        let registers = PersonRegisters {
            gp_since: gp.as_ref().map(|_| today.to_string()),
            gp,
            ..Default::default()
        };
        if let Ok(n) = child.nin().parse::<Nin>() {
            d.newborn_numbers.push(n);
        }
        d.out.events.push((child.id.clone(), child.nin().to_owned(), EventType::PersonIsCreated));
        d.out.born.push((child, registers));
        d.keep(mother, mv, EventType::ChangeInFamilyRelation);
        if let (Some(father), Some(fv)) = (father, fv) {
            d.keep(father, fv, EventType::ChangeInFamilyRelation);
        }
        d.out.counts.births += 1;
    }

    // Moves: an adult, with the spouse and children living at the same address.
    for _ in 0..counts[2] {
        let Some((p, v)) = d.pick(d.adults()).await? else { continue };
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
            d.keep(member, mv, EventType::ChangeInResidentialAddress);
        }
        d.out.counts.moves += 1;
    }

    // Marriages: two unmarried (or divorced, widowed) adults of about the same age.
    for _ in 0..counts[3] {
        let single = vec!["Unmarried".into(), "Divorced".into(), "WidowOrWidower".into()];
        let pick = Pick {
            born_from: Some(ago(60)),
            born_to: Some(ago(25)),
            marital_statuses: single.clone(),
            ..Pick::default()
        };
        let Some((a, av)) = d.pick(pick).await? else { continue };
        let born = Date::parse(a.birth_date()).unwrap_or(today);
        let other = if a.gender() == "Female" { "Male" } else { "Female" };
        let pick = Pick {
            gender: Some(other.into()),
            born_from: Some(years_before(born, 6).to_string()),
            born_to: Some(shift_years(born, 6).to_string()),
            marital_statuses: single,
            ..Pick::default()
        };
        let Some((b, bv)) = d.pick(pick).await? else { continue };
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
            d.also(&bi, EventType::ChangeInName);
        }
        d.out.counts.marriages += 1;
    }

    // Divorces: a married couple; one of them moves out.
    for _ in 0..counts[4] {
        let pick = Pick {
            marital_statuses: vec!["Married".into()],
            has_spouse: Some(true),
            ..Pick::default()
        };
        let Some((mut a, av)) = d.pick(pick).await? else { continue };
        let Some(nin) = life::bound_spouse(&a) else { continue };
        let Some((mut b, bv)) = d.load_nin(&nin).await? else { continue };
        if life::bound_spouse(&b).as_deref() != Some(a.nin()) {
            continue;
        }
        life::divorce(&mut a, &mut b, today);
        let home = life::new_home(d.rng.random(), today, d.addresses);
        life::move_to(&mut b, &home, today, SOURCE);
        d.couple(a, av, b, bv);
        d.out.counts.divorces += 1;
    }

    // Emigration: an adult without a spouse.
    for _ in 0..counts[5] {
        let pick = Pick { has_spouse: Some(false), ..d.adults() };
        let Some((mut p, v)) = d.pick(pick).await? else { continue };
        life::emigrate(&mut p, today, SOURCE);
        d.out.off_gp_lists.push(p.id.clone());
        d.keep(p, v, EventType::PersonIsEmigrated);
        d.out.counts.emigrations += 1;
    }

    // Name changes: an adult takes a new family name.
    for _ in 0..counts[6] {
        let Some((mut p, v)) = d.pick(d.adults()).await? else { continue };
        life::rename(&mut p, &life::new_family_name(d.rng.random()), today, SOURCE);
        d.keep(p, v, EventType::ChangeInName);
        d.out.counts.name_changes += 1;
    }

    let Day { mut changed, order, mut out, .. } = d;
    out.changed = order.iter().filter_map(|id| changed.remove(id)).collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_shift_by_whole_years_and_count_days_like_the_calendar() {
        let d = |s| Date::parse(s).unwrap();
        assert_eq!(years_before(d("2024-02-29"), 1), d("2023-02-28"));
        assert_eq!(years_before(d("2026-09-01"), 18), d("2008-09-01"));
        assert_eq!(shift_years(d("2020-02-29"), 6), d("2026-02-28"));
        // chrono's num_days_from_ce: 0001-01-01 is 1; 1970-01-01 is 719,163.
        assert_eq!(days_from_ce(d("0001-01-01")), 1);
        assert_eq!(days_from_ce(d("1970-01-01")), 719_163);
        assert_eq!(days_from_ce(d("2000-03-01")), 730_180);
    }
}
