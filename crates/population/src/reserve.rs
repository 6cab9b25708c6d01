//! Reserved persons (+65 numbers): what a SyntPop user creates from a template and then owns.
//!
//! A reservation is built twice with the same seed: first to learn which birth dates, sexes and
//! kinds its members need, then — once the caller has found out which of those numbers are
//! taken ([`number_candidates`]) — for real, with those numbers marked as taken. The random
//! draws do not depend on the numbers, so both passes make the same people.

use fjellport_nin::alloc::{AllocError, Allocator, Request};
use fjellport_nin::{Date, Kind, Nin, Sex, Synthetic};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::addresses::AddressBook;
use crate::data::TABLES;
use crate::generate::{Gen, Responsibility, age_on, ordinary_name, rule_for};
use crate::model::Person;

/// Who records a reserved person (the folkeregister never saw it).
pub const SOURCE: &str = "SyntPop";

/// Most children one reservation may ask for.
pub const MAX_CHILDREN: u8 = 10;

/// What the user asked for; everything is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    pub gender: Option<Sex>,
    pub birth_date: Option<Date>,
    /// Whole years, inclusive.
    pub age_from: Option<u16>,
    pub age_to: Option<u16>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub family_name: Option<String>,
    /// Four digits; must be a real municipality.
    pub municipality: Option<String>,
    /// A Persontjenesten marital status.
    pub marital_status: Option<String>,
    pub with_spouse: bool,
    pub children: u8,
    /// A D-number (a foreign citizen) instead of a national identity number.
    pub dnumber: bool,
}

/// A template that cannot be met, naming the member at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{member}: {message}")]
pub struct TemplateError {
    pub member: &'static str,
    pub message: String,
}

fn bad(member: &'static str, message: impl Into<String>) -> TemplateError {
    TemplateError { member, message: message.into() }
}

/// Statuses a reservation may start in, and whether each needs, allows or forbids a spouse.
const MARITAL: [(&str, Spouse); 8] = [
    ("Unmarried", Spouse::Forbidden),
    ("Married", Spouse::Allowed),
    ("RegisteredPartner", Spouse::Allowed),
    ("Separated", Spouse::Allowed),
    ("SeparatedPartner", Spouse::Allowed),
    ("Divorced", Spouse::Forbidden),
    ("DivorcedPartner", Spouse::Forbidden),
    ("WidowOrWidower", Spouse::Forbidden),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spouse {
    Allowed,
    Forbidden,
}

/// The marital statuses a template or an edit may name.
pub fn marital_statuses() -> impl Iterator<Item = &'static str> {
    MARITAL.iter().map(|m| m.0)
}

impl Template {
    /// Checks the template against itself and `today`.
    pub fn check(&self, today: Date) -> Result<(), TemplateError> {
        if let Some(b) = self.birth_date {
            if b > today {
                return Err(bad("birth.birthDate", "lies in the future"));
            }
            if b.year < 1854 {
                return Err(bad("birth.birthDate", "identity numbers begin with 1854"));
            }
            if self.age_from.is_some() || self.age_to.is_some() {
                return Err(bad("birth.birthDate", "give a birth date or an age range, not both"));
            }
        }
        if let (Some(from), Some(to)) = (self.age_from, self.age_to)
            && from > to
        {
            return Err(bad("ageFrom", format!("ageFrom {from} is above ageTo {to}")));
        }
        for (member, age) in [("ageFrom", self.age_from), ("ageTo", self.age_to)] {
            if age.is_some_and(|a| a > 120) {
                return Err(bad(member, "must be 0 to 120"));
            }
        }
        if let Some(m) = &self.municipality
            && !TABLES.municipalities.items().iter().any(|x| &x.number == m)
        {
            return Err(bad("municipalityNumber", format!("{m} is not a municipality number")));
        }
        if let Some(status) = &self.marital_status {
            let Some(&(_, spouse)) = MARITAL.iter().find(|m| m.0 == status) else {
                return Err(bad(
                    "maritalStatus",
                    format!(
                        "{status:?} is not one of {}",
                        marital_statuses().collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            if self.with_spouse && spouse == Spouse::Forbidden {
                return Err(bad("withSpouse", format!("a person who is {status} has no spouse")));
            }
        }
        if self.children > MAX_CHILDREN {
            return Err(bad("children", format!("at most {MAX_CHILDREN}")));
        }
        for (member, name) in [
            ("name.givenName", &self.given_name),
            ("name.middleName", &self.middle_name),
            ("name.familyName", &self.family_name),
        ] {
            if let Some(n) = name {
                crate::text_rules::person_name(n).map_err(|e| bad(member, e.to_string()))?;
            }
        }
        Ok(())
    }
}

/// Builds the reservation's persons — the person first, then the spouse, then the children —
/// never using a number in `taken`.
pub fn reserve(
    template: &Template,
    today: Date,
    seed: u64,
    taken: &[Nin],
    addresses: Option<&AddressBook>,
) -> Result<Vec<Person>, ReserveError> {
    template.check(today).map_err(ReserveError::Template)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut alloc = Allocator::new();
    for &nin in taken {
        alloc.mark_taken(nin);
    }
    let mut out = Vec::new();
    let mut g = Gen {
        rng: &mut rng,
        alloc: &mut alloc,
        today,
        out: &mut out,
        group: Synthetic::Reserved,
        force_home: None,
        addresses,
    };
    build(&mut g, template)?;
    for p in &mut out {
        p.set_source(SOURCE);
    }
    Ok(out)
}

/// Why a reservation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReserveError {
    #[error(transparent)]
    Template(TemplateError),
    #[error("{0}")]
    Numbers(AllocError),
}

impl From<AllocError> for ReserveError {
    fn from(e: AllocError) -> Self {
        ReserveError::Numbers(e)
    }
}

fn build(g: &mut Gen<'_>, t: &Template) -> Result<(), ReserveError> {
    let sex =
        t.gender.unwrap_or_else(|| if g.rng.random_bool(0.5) { Sex::Female } else { Sex::Male });
    let min_age = if t.children > 0 { 20 } else { 0 };
    let birth = match t.birth_date {
        Some(b) => b,
        None => {
            let from = t.age_from.unwrap_or(if t.age_to.is_some() { 0 } else { 18 }).max(min_age);
            let to = t.age_to.unwrap_or(if t.age_from.is_some() { from.max(90) } else { 90 });
            if from > to {
                return Err(bad("children", "a parent must be at least 20 years old").into_err());
            }
            let age =
                if from >= 18 { g.adult_age(from, to) } else { g.rng.random_range(from..=to) };
            g.date_years_ago(age)
        }
    };
    let age = age_on(birth, g.today);
    if t.children > 0 && age < 20 {
        return Err(bad("children", "a parent must be at least 20 years old").into_err());
    }
    if (t.with_spouse || t.marital_status.as_deref().is_some_and(|s| s != "Unmarried")) && age < 18
    {
        return Err(bad("maritalStatus", "a person under 18 cannot be married").into_err());
    }
    let (drawn_given, drawn_family) = ordinary_name(g.rng, sex);
    let family = t.family_name.clone().unwrap_or(drawn_family);
    let given = t.given_name.clone().unwrap_or(drawn_given);
    let home = match &t.municipality {
        Some(number) => {
            let m = TABLES.municipalities.items().iter().find(|m| &m.number == number).cloned();
            let m = m.ok_or_else(|| bad("municipalityNumber", "unknown").into_err())?;
            g.home_in(age.max(18), m)
        }
        None => g.home(age.max(18)),
    };
    let kind = if t.dnumber { Kind::DNumber } else { Kind::Fnr };
    let me =
        g.person_born(birth, sex, (given, t.middle_name.clone(), &family), Some(&home), kind)?;
    if t.dnumber {
        g.make_foreign(me);
    }
    let status = t
        .marital_status
        .clone()
        .unwrap_or_else(|| if t.with_spouse { "Married" } else { "Unmarried" }.to_owned());
    let mut spouse = None;
    if t.with_spouse {
        let other = match sex {
            Sex::Female => Sex::Male,
            Sex::Male => Sex::Female,
        };
        let spouse_age = (i32::from(age) + g.rng.random_range(-4..=4)).clamp(18, 110) as u16;
        let spouse_birth = g.date_years_ago(spouse_age);
        let (spouse_given, _) = ordinary_name(g.rng, other);
        let s = g.person_born(
            spouse_birth,
            other,
            (spouse_given, None, &family),
            Some(&home),
            Kind::Fnr,
        )?;
        let adult = |d: Date| Date { year: d.year + 18, ..d };
        let earliest = adult(birth).max(adult(spouse_birth)).min(g.today);
        let back = g.rng.random_range(0..=g.today.year.saturating_sub(earliest.year));
        let wed = g.date_years_ago(back).max(earliest);
        g.marry(me, s, wed);
        if status != "Married" {
            for who in [me, s] {
                set_marital(&mut g.out[who], &status, g.today);
            }
        }
        spouse = Some(s);
    } else if status != "Unmarried" {
        set_marital(&mut g.out[me], &status, g.today);
    }
    let lo = age.saturating_sub(42);
    let hi = age.saturating_sub(20);
    for _ in 0..t.children {
        let child_age = g.rng.random_range(lo..=hi);
        let child_birth = g.date_years_ago(child_age);
        let child_sex = if g.rng.random_bool(0.5) { Sex::Female } else { Sex::Male };
        let (child_given, _) = ordinary_name(g.rng, child_sex);
        let child = g.person_born(
            child_birth,
            child_sex,
            (child_given, None, &family),
            Some(&home),
            Kind::Fnr,
        )?;
        match spouse {
            Some(s) => {
                g.link_parent(me, child, Responsibility::Joint);
                g.link_parent(s, child, Responsibility::Joint);
            }
            None => g.link_parent(me, child, Responsibility::Sole),
        }
    }
    Ok(())
}

impl TemplateError {
    fn into_err(self) -> ReserveError {
        ReserveError::Template(self)
    }
}

/// Starts `status` today unless it is the current one; the spouse link, if any, stays.
fn set_marital(p: &mut Person, status: &str, today: Date) {
    if p.marital_status() != status {
        let spouse = p.marital_status.iter().find(|m| m.meta.is_valid);
        let spouse = spouse.and_then(|m| m.related_by_marital_status.clone());
        crate::life::set_marital(p, status, spouse, today, "Skatteetaten");
    }
}

/// Every reserved number each person could have had (same birth date, sex and kind): what
/// the caller must check for being taken before the second pass of [`reserve`].
pub fn number_candidates(persons: &[Person]) -> Vec<String> {
    let mut out = Vec::new();
    for p in persons {
        let Some(birth_date) = Date::parse(p.birth_date()) else { continue };
        let sex = if p.gender() == "Female" { Sex::Female } else { Sex::Male };
        let kind = if p.nin_type() == "DNumber" { Kind::DNumber } else { Kind::Fnr };
        let mut alloc = Allocator::new();
        let request = Request {
            birth_date,
            sex,
            kind,
            synthetic: Some(Synthetic::Reserved),
            rule: rule_for(birth_date),
        };
        while let Ok(nin) = alloc.allocate(request) {
            out.push(nin.to_string());
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A reservation that would take an owner past its share of one number pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaBreach {
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `Female` or `Male`.
    pub gender: String,
    /// `NationalIdentityNumber` or `DNumber`.
    pub nin_type: String,
    /// Numbers of this pool the owner has taken already.
    pub held: usize,
}

/// Whether `persons` would take their owner past `limit` numbers of one pool (the reserved
/// numbers of one birth date, sex and kind: a few hundred, shared by every owner).
/// `owner_has` says which numbers the owner took before; released persons keep theirs, so
/// the limit counts numbers taken, not persons held.
pub fn quota_breach(
    persons: &[Person],
    owner_has: impl Fn(&str) -> bool,
    limit: usize,
) -> Option<QuotaBreach> {
    let mut seen: Vec<Vec<String>> = Vec::new();
    for p in persons {
        let pool = number_candidates(std::slice::from_ref(p));
        if seen.contains(&pool) {
            continue;
        }
        let held = pool.iter().filter(|n| owner_has(n)).count();
        let adding = persons
            .iter()
            .filter(|q| pool.binary_search_by(|n| n.as_str().cmp(q.nin())).is_ok())
            .count();
        if held + adding > limit {
            return Some(QuotaBreach {
                birth_date: p.birth_date().to_owned(),
                gender: p.gender().to_owned(),
                nin_type: p.nin_type().to_owned(),
                held,
            });
        }
        seen.push(pool);
    }
    None
}
