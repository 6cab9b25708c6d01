//! The health registers beside the folkeregister: health personnel (HPR, with authorizations)
//! and general practitioners with their patient lists (the GP register, FLR).
//!
//! Norway has about one GP per 1,100 residents and about 7 % of its adults hold an HPR
//! authorization (most of them nurses and health workers; Helsedirektoratet's published
//! statistics, rounded). The generator plans the GP roster first — one GP per
//! [`RESIDENTS_PER_GP`] persons, placed in municipalities weighted by population — makes each GP
//! the head of one of the first households, in that municipality, and then lists residents as
//! they are generated: with a GP of their own municipality when one has room, else of their
//! county, else any; about 3 % of residents have none (they opted out).

use std::collections::BTreeMap;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{Municipality, TABLES};
use crate::model::Person;

/// Residents per GP in Norway (≈ 5.5 million / 5,000 GPs).
pub const RESIDENTS_PER_GP: usize = 1100;
/// Share of residents without a GP.
const NO_GP: f64 = 0.03;
/// Share of adults (23–70) with an HPR authorization, GPs aside.
const HEALTH_PERSONNEL: f64 = 0.07;

/// HPR's personnel categories (code, Norwegian name) and their rough shares of authorizations.
const CATEGORIES: [(&str, &str, u32); 9] = [
    ("SP", "Sykepleier", 38),
    ("HF", "Helsefagarbeider", 30),
    ("LE", "Lege", 10),
    ("FT", "Fysioterapeut", 6),
    ("VP", "Vernepleier", 5),
    ("TL", "Tannlege", 3),
    ("PS", "Psykolog", 3),
    ("JO", "Jordmor", 2),
    ("FA1", "Provisorfarmasøyt", 3),
];

/// One authorization in HPR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    /// HPR's category code (e.g. `LE`).
    pub category: String,
    pub category_name: String,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    pub status: String,
}

/// A health-personnel record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthPersonnel {
    pub hpr_number: String,
    pub person_id: String,
    pub nin: String,
    pub given_name: String,
    pub family_name: String,
    pub authorizations: Vec<Authorization>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub specialities: Vec<String>,
    /// The municipality of a GP's practice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gp_municipality_number: Option<String>,
}

/// What the registers hold about one person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonRegisters {
    pub hpr: Option<HealthPersonnel>,
    pub is_gp: bool,
    /// HPR number of the person's GP.
    pub gp: Option<String>,
    /// `YYYY-MM-DD`: on the GP's list since.
    pub gp_since: Option<String>,
}

/// A planned GP: where, their HPR number, and how many more patients fit.
#[derive(Debug)]
struct Slot {
    municipality: Municipality,
    hpr: String,
    room: usize,
    /// The GP's identity number once made (to keep them off their own list).
    nin: Option<String>,
}

/// The registers being built alongside a population.
#[derive(Debug)]
pub(crate) struct Roster {
    slots: Vec<Slot>,
    /// Slots by municipality number, and by county number.
    by_municipality: BTreeMap<String, Vec<usize>>,
    by_county: BTreeMap<String, Vec<usize>>,
    /// GP households made so far (they come first).
    pub(crate) gps_made: usize,
    next_hpr: u32,
}

/// HPR numbers here are 9 digits starting with 9 (real ones are up to 9 digits; a 9xxxxxxxx
/// number tells a reader at once it is synthetic).
fn hpr_number(n: u32) -> String {
    format!("9{n:08}")
}

impl Roster {
    pub(crate) fn plan(persons: usize, rng: &mut ChaCha8Rng) -> Roster {
        let count = persons.div_ceil(RESIDENTS_PER_GP).max(1).min(persons / 4);
        let room = RESIDENTS_PER_GP * 13 / 10;
        let mut roster = Roster {
            slots: Vec::with_capacity(count),
            by_municipality: BTreeMap::new(),
            by_county: BTreeMap::new(),
            gps_made: 0,
            next_hpr: 1,
        };
        for _ in 0..count {
            let m = TABLES.municipalities.pick(rng).clone();
            let i = roster.slots.len();
            roster.by_municipality.entry(m.number.clone()).or_default().push(i);
            roster.by_county.entry(m.county_number.clone()).or_default().push(i);
            let hpr = hpr_number(roster.next_hpr);
            roster.next_hpr += 1;
            roster.slots.push(Slot { municipality: m, hpr, room, nin: None });
        }
        roster
    }

    /// The municipality of GP household number `n`, if the roster has that many.
    pub(crate) fn gp_home(&self, n: usize) -> Option<Municipality> {
        self.slots.get(n).map(|s| s.municipality.clone())
    }

    /// Registers for a batch of persons; `gp_heads` are the batch indexes of GPs made in it, in
    /// roster order.
    pub(crate) fn register(
        &mut self,
        batch: &[Person],
        gp_heads: &[usize],
        rng: &mut ChaCha8Rng,
        today: fjellport_nin::Date,
    ) -> Vec<PersonRegisters> {
        let mut out = vec![PersonRegisters::default(); batch.len()];
        for &head in gp_heads {
            let slot = self.gps_made;
            self.gps_made += 1;
            let p = &batch[head];
            let since = authorized_since(p, rng, today);
            let mut hpr = record(p, self.slots[slot].hpr.clone(), "LE", "Lege", since);
            hpr.specialities.push("Allmennmedisin".to_owned());
            hpr.gp_municipality_number = Some(self.slots[slot].municipality.number.clone());
            self.slots[slot].nin = Some(p.nin().to_owned());
            out[head].hpr = Some(hpr);
            out[head].is_gp = true;
        }
        for (i, p) in batch.iter().enumerate() {
            let age = age_of(p, today);
            if out[i].hpr.is_none()
                && (23..=70).contains(&age)
                && p.status() == "Resident"
                && rng.random_bool(HEALTH_PERSONNEL)
            {
                let total: u32 = CATEGORIES.iter().map(|c| c.2).sum();
                let mut x = rng.random_range(0..total);
                let (code, name, _) = *CATEGORIES
                    .iter()
                    .find(|c| {
                        if x < c.2 {
                            true
                        } else {
                            x -= c.2;
                            false
                        }
                    })
                    .unwrap_or(&CATEGORIES[0]);
                let since = authorized_since(p, rng, today);
                let number = hpr_number(self.next_hpr);
                self.next_hpr += 1;
                out[i].hpr = Some(record(p, number, code, name, since));
            }
            if p.status() == "Resident" && !rng.random_bool(NO_GP) {
                let nin = p.nin();
                if let Some(slot) = self.choose(p, nin, rng) {
                    self.slots[slot].room -= 1;
                    out[i].gp = Some(self.slots[slot].hpr.clone());
                    let born = fjellport_nin::Date::parse(p.birth_date()).unwrap_or(today);
                    let years = rng.random_range(0..=age.min(15));
                    let since = fjellport_nin::Date { year: today.year - years, ..today };
                    out[i].gp_since = Some(since.max(born).to_string());
                }
            }
        }
        out
    }

    /// A GP with room: the person's municipality first, then county, then anywhere.
    fn choose(&self, p: &Person, nin: &str, rng: &mut ChaCha8Rng) -> Option<usize> {
        let fits =
            |&&i: &&usize| self.slots[i].room > 0 && self.slots[i].nin.as_deref() != Some(nin);
        let address = p.address();
        let candidates: Vec<usize> = [
            address.and_then(|a| self.by_municipality.get(&a.municipality_number)),
            address.and_then(|a| self.by_county.get(&a.county_number)),
        ]
        .into_iter()
        .flatten()
        .map(|list| list.iter().filter(fits).copied().collect::<Vec<_>>())
        .find(|list| !list.is_empty())
        .unwrap_or_default();
        if !candidates.is_empty() {
            return Some(candidates[rng.random_range(0..candidates.len())]);
        }
        let open: Vec<usize> = (0..self.slots.len()).filter(|i| fits(&i)).collect();
        (!open.is_empty()).then(|| open[rng.random_range(0..open.len())])
    }
}

fn age_of(p: &Person, today: fjellport_nin::Date) -> u16 {
    fjellport_nin::Date::parse(p.birth_date()).map_or(0, |b| crate::generate::age_on(b, today))
}

/// An authorization date: after education (age 23–30), not in the future.
fn authorized_since(p: &Person, rng: &mut ChaCha8Rng, today: fjellport_nin::Date) -> String {
    let born = fjellport_nin::Date::parse(p.birth_date()).unwrap_or(today);
    let year = (born.year + rng.random_range(23..=30)).min(today.year);
    fjellport_nin::Date { year, month: 6, day: 15 }.min(today).to_string()
}

fn record(p: &Person, hpr: String, code: &str, name: &str, since: String) -> HealthPersonnel {
    let n = p.current_name();
    HealthPersonnel {
        hpr_number: hpr,
        person_id: p.id.clone(),
        nin: p.nin().to_owned(),
        given_name: n.map(|n| n.given_name.clone()).unwrap_or_default(),
        family_name: n.map(|n| n.family_name.clone()).unwrap_or_default(),
        authorizations: vec![Authorization {
            category: code.to_owned(),
            category_name: name.to_owned(),
            valid_from: since,
            status: "Aktiv".to_owned(),
        }],
        specialities: Vec::new(),
        gp_municipality_number: None,
    }
}
