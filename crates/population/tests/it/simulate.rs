//! The life simulator over a population kept in memory: a year of days, checked for the
//! family graph's consistency, the events' persons, and determinism.

use std::collections::BTreeMap;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use fjellport_nin::{Date, Nin};
use fjellport_population::simulate::{EventType, Pick, Population, simulate_day};
use fjellport_population::{Options, Person, generate, life};

/// Runs a future whose every await is ready at once (the in-memory population never waits).
fn now<T>(f: impl Future<Output = T>) -> T {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Persons in load order (position + 1 is `seq`), each with its version.
struct InMemory {
    persons: Vec<(Person, i64)>,
}

fn born_in(p: &Person, pick: &Pick) -> bool {
    let b = p.birth_date();
    pick.born_from.as_deref().is_none_or(|f| b >= f)
        && pick.born_to.as_deref().is_none_or(|t| b <= t)
}

impl Population for InMemory {
    type Error = std::convert::Infallible;

    async fn residents_after(
        &mut self,
        pick: &Pick,
        after: i64,
    ) -> Result<Vec<(Person, i64)>, Self::Error> {
        Ok(self
            .persons
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as i64 + 1 > after)
            .map(|(_, p)| p)
            .filter(|(p, _)| {
                p.status() == "Resident"
                    && pick.gender.as_deref().is_none_or(|g| p.gender() == g)
                    && born_in(p, pick)
                    && (pick.marital_statuses.is_empty()
                        || pick.marital_statuses.iter().any(|m| m == p.marital_status()))
                    && pick.has_spouse.is_none_or(|s| p.has_spouse() == s)
            })
            .take(4)
            .cloned()
            .collect())
    }

    async fn by_nin(&mut self, nin: &str) -> Result<Option<(Person, i64)>, Self::Error> {
        Ok(self.persons.iter().find(|(p, _)| p.nin() == nin).cloned())
    }

    async fn taken(&mut self, numbers: &[String]) -> Result<Vec<Nin>, Self::Error> {
        Ok(numbers
            .iter()
            .filter(|n| self.persons.iter().any(|(p, _)| p.nin() == n.as_str()))
            .filter_map(|n| n.parse().ok())
            .collect())
    }

    async fn gp_of(&mut self, _id: &str) -> Result<Option<String>, Self::Error> {
        Ok(None)
    }
}

/// 240 simulated days; the population afterwards and every event.
fn a_year(seed: u64) -> (Vec<Person>, Vec<(String, String, EventType)>) {
    let start = Date { year: 2026, month: 1, day: 1 };
    let persons =
        generate(&Options { seed: 2, persons: 3_000, today: start, addresses: None }).unwrap();
    let mut memory = InMemory { persons: persons.into_iter().map(|p| (p, 1)).collect() };
    let mut events = Vec::new();
    for ordinal in 1..=240u16 {
        let (month, day) = month_day(ordinal);
        let today = Date { year: 2026, month, day };
        let top = memory.persons.len() as i64;
        let residents =
            memory.persons.iter().filter(|(p, _)| p.status() == "Resident").count() as i64;
        let out = now(simulate_day(&mut memory, seed, today, residents, top, None)).unwrap();
        for (p, v) in out.changed {
            let slot = memory.persons.iter_mut().find(|(q, _)| q.id == p.id).unwrap();
            assert_eq!(slot.1, v, "changed at the version read");
            *slot = (p, v + 1);
        }
        memory.persons.extend(out.born.into_iter().map(|(p, _)| (p, 1)));
        events.extend(out.events);
    }
    (memory.persons.into_iter().map(|(p, _)| p).collect(), events)
}

fn month_day(ordinal: u16) -> (u8, u8) {
    let mut left = ordinal;
    for month in 1..=12u8 {
        let days = u16::from(fjellport_nin::days_in_month(2026, month));
        if left <= days {
            return (month, left as u8);
        }
        left -= days;
    }
    (12, 31)
}

#[test]
fn a_simulated_year_keeps_families_consistent_and_every_event_names_a_person() {
    let (persons, events) = a_year(11);
    let by_nin: BTreeMap<&str, &Person> = persons.iter().map(|p| (p.nin(), p)).collect();
    let count = |t: EventType| events.iter().filter(|e| e.2 == t).count();
    for t in [
        EventType::PersonIsCreated,
        EventType::PersonIsDeceased,
        EventType::ChangeInResidentialAddress,
    ] {
        assert!(count(t) > 5, "{t:?}: {}", count(t));
    }
    for (id, nin, t) in &events {
        let p = by_nin.get(nin.as_str()).unwrap_or_else(|| panic!("{t:?} for unknown {nin}"));
        assert_eq!(&p.id, id);
        match t {
            EventType::PersonIsDeceased => assert_eq!(p.status(), "Deceased"),
            EventType::PersonIsEmigrated => {
                assert!(["Emigrated", "Deceased"].contains(&p.status()))
            }
            _ => {}
        }
    }
    // Every binding marriage is mutual, and a survivor's spouse is deceased.
    for p in &persons {
        if let Some(spouse) = life::bound_spouse(p) {
            let s = by_nin[spouse.as_str()];
            if p.status() != "Deceased" && s.status() != "Deceased" {
                assert_eq!(
                    life::bound_spouse(s).as_deref(),
                    Some(p.nin()),
                    "{} and {spouse}",
                    p.nin()
                );
            }
        }
        if p.marital_status() == "WidowOrWidower" {
            let m = p.marital_status.iter().find(|m| m.meta.is_valid).unwrap();
            let s = by_nin[m.related_by_marital_status.as_deref().unwrap()];
            assert_eq!(s.status(), "Deceased", "{}'s spouse", p.nin());
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_year_and_another_seed_another() {
    let (_, a) = a_year(5);
    let (_, b) = a_year(5);
    assert_eq!(a, b);
    let (_, c) = a_year(6);
    assert_ne!(a, c);
}

#[test]
fn event_types_carry_persontjenestens_names() {
    let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "PersonIsCreated",
            "PersonIsDeceased",
            "PersonIsEmigrated",
            "ChangeInResidentialAddress",
            "ChangeInMaritalStatus",
            "ChangeInFamilyRelation",
            "ChangeInName"
        ]
    );
}
