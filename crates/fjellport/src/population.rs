//! Generating the synthetic population into a store: shared by `population generate` and by
//! `serve` on an empty database.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Datelike, Utc};
use fjellport_nin::Date;
use fjellport_population::addresses::AddressBook;
use fjellport_population::{Generator, Options};
use fjellport_store::{OrganizationRow, PersonRow, Store, StoreError};
use serde::Serialize;

use crate::config::Config;

/// Largest population a command accepts (SyntPop's is about 1.2 million).
pub const MAX_PERSONS: usize = 2_000_000;

/// What a generation did, printed as the final summary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub persons: usize,
    pub organizations: usize,
    /// Reserved persons released with the load (only when asked to).
    pub released_reserved: u64,
    /// Events in the feed (a generation writes none; life events do).
    pub events: i64,
    pub seed: u64,
    pub seconds: f64,
    pub persons_per_second: u64,
    /// What the whole database takes on disk afterwards, and that over the persons.
    pub database_bytes: u64,
    pub bytes_per_person: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot generate the population: {0}")]
    Numbers(String),
}

/// The clock's day as the register's calendar date, or why it cannot be one (a clock set
/// before year 1 or after 65535): refused, never replaced by some other day.
pub(crate) fn calendar_day(now: DateTime<Utc>) -> Result<Date, String> {
    u16::try_from(now.year())
        .ok()
        .and_then(|year| Date::new(year, now.month() as u8, now.day() as u8))
        .ok_or_else(|| format!("the clock's date {now} is outside the years the registers use"))
}

/// Reads the configured Kartverket address file (`addresses_file`), before anything makes a
/// home: a file that cannot be read or is not the address CSV is refused with one line naming
/// why. `None` without one.
pub fn load_addresses(config: &Config) -> Result<Option<Arc<AddressBook>>, String> {
    let Some(path) = &config.addresses_file else {
        return Ok(None);
    };
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot open the address file {}: {e}", path.display()))?;
    let book = AddressBook::read(std::io::BufReader::new(file))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    tracing::info!(
        "{} street addresses in {} municipalities from {}",
        book.len(),
        book.municipalities(),
        path.display()
    );
    Ok(Some(Arc::new(book)))
}

/// Persons generated and written per step: bounds memory whatever the population's size.
const BATCH: usize = 20_000;

/// One step of a load: persons and the organizations they founded.
struct Batch {
    persons: Vec<PersonRow>,
    organizations: Vec<OrganizationRow>,
}

/// Generates `persons` Test-Norge persons with `seed` as of `now` and replaces the stored
/// Test-Norge population with them in one transaction (reserved persons are kept unless
/// `release_reserved`): a failure
/// anywhere leaves the database as it was. `progress` hears the running count.
pub async fn generate_into(
    store: &dyn Store,
    persons: usize,
    seed: u64,
    now: DateTime<Utc>,
    release_reserved: bool,
    addresses: Option<Arc<AddressBook>>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Summary, GenerateError> {
    let started = Instant::now();
    let today = calendar_day(now).map_err(GenerateError::Numbers)?;
    // Generation runs on its own thread, a batch ahead of the store: the two overlap on the
    // machine's cores, and the channel's one slot keeps memory bounded by two batches.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch, GenerateError>>(1);
    let producer = tokio::task::spawn_blocking(move || {
        let mut generator = Generator::new(Options { seed, persons, today, addresses });
        loop {
            let batch = match generator.next_registered(BATCH) {
                Ok(batch) if batch.is_empty() => return,
                Ok(batch) => batch,
                Err(e) => {
                    let _ = tx.blocking_send(Err(GenerateError::Numbers(e.to_string())));
                    return;
                }
            };
            let persons = batch
                .iter()
                .map(|(p, registers)| PersonRow::of(p, "TestNorge", None).with_registers(registers))
                .collect();
            drop(batch);
            let organizations =
                generator.take_organizations().iter().map(OrganizationRow::of).collect();
            // A closed channel means the store side failed: it reports why.
            if tx.blocking_send(Ok(Batch { persons, organizations })).is_err() {
                return;
            }
        }
    });
    let mut load = store.load_persons("TestNorge").await?;
    let released = if release_reserved { load.release_reserved().await? } else { 0 };
    let mut done = 0;
    let mut organizations = 0;
    while let Some(batch) = rx.recv().await {
        let Batch { persons: rows, organizations: founded } = batch?;
        done += rows.len();
        load.add(rows).await?;
        organizations += founded.len();
        load.add_organizations(founded).await?;
        progress(done);
    }
    producer.await.map_err(|e| GenerateError::Numbers(format!("the generator stopped: {e}")))?;
    // The population's own calendar starts today; its seed drives its life events. Both
    // commit with the persons: a population without its day cannot be caught up with.
    load.set_setting(crate::advance::POPULATION_DAY, &today.to_string()).await?;
    load.set_setting(crate::advance::POPULATION_SEED, &seed.to_string()).await?;
    load.commit().await?;
    let seconds = started.elapsed().as_secs_f64();
    let events = store.latest_event().await?.map_or(0, |e| e.seq);
    let database_bytes = store.size_bytes().await?;
    let all_persons = u64::try_from(store.person_count(None).await?).unwrap_or(0).max(1);
    Ok(Summary {
        persons: done,
        organizations,
        released_reserved: released,
        events,
        seed,
        seconds,
        persons_per_second: (done as f64 / seconds.max(1e-9)) as u64,
        database_bytes,
        bytes_per_person: database_bytes / all_persons,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_clock_gives_the_day_or_a_refusal_never_a_stand_in_date() {
        let day = |y| Utc.with_ymd_and_hms(y, 2, 28, 12, 0, 0).single().unwrap();
        assert_eq!(calendar_day(day(2031)), Ok(Date { year: 2031, month: 2, day: 28 }));
        assert!(calendar_day(day(70_000)).unwrap_err().contains("+70000-02-28"));
        assert!(calendar_day(day(-5)).is_err());
    }
}
