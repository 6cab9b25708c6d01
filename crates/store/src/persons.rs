//! Persons: the synthetic population and reserved persons — reads, searches, reservations and
//! edits. Bulk loads are in `load`, the search SQL in `search`, the columns in
//! `person_columns`.

use async_trait::async_trait;

use crate::dialect::{Db, Tx, doc_in};
use crate::load::SqlLoad;
use crate::model::{
    PersonChange, PersonFilter, PersonMarks, PersonPage, PersonRow, SearchFacts, SearchHits,
    StoredPerson, TakenNin,
};
use crate::person_changes;
use crate::person_columns::{self, FACTS, person_of};
use crate::sql::Arg;
use crate::store::{SqlStore, bump_revision, revision};
use crate::{PersonKey, PersonKeys, PersonLoad, PersonStore, Result, SettingsStore, StoreError};

/// Values per `IN (…)` list.
pub(crate) const IN_CHUNK: usize = 500;
/// Rows per page when exporting or re-deriving.
const PAGE: i64 = 2000;
/// Set by migration 5 when persons need their search facts derived.
const REINDEX_SETTING: &str = "persons_reindex";

/// Inserts `rows` at load-order positions `first`, `first + 1`, ….
pub(crate) async fn insert_persons(tx: &mut Tx, first: i64, rows: Vec<PersonRow>) -> Result<()> {
    let dialect = tx.dialect();
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| person_columns::args(dialect, first + i as i64, r))
        .collect();
    tx.insert_bulk("persons", &person_columns::COLUMNS, rows).await
}

/// Which of `chunk` are taken, and by whom: reserved (by an owner) or held by a Test-Norge
/// person.
fn taken_query(dialect: crate::sql::Dialect, chunk: &[String]) -> crate::sql::Sql {
    let mut q = crate::sql::Sql::new(dialect, "SELECT nin, owner FROM reserved_nins WHERE nin IN ");
    q.list(chunk).push(" UNION SELECT nin, NULL AS owner FROM persons WHERE nin IN ");
    q.list(chunk).push(" AND origin <> 'Reserved'");
    q
}

fn taken_of(rows: Vec<crate::dialect::DbRow>) -> Result<Vec<TakenNin>> {
    rows.iter().map(|r| Ok(TakenNin { nin: r.text("nin")?, owner: r.opt_text("owner")? })).collect()
}

/// The locks of the number pools `candidates` fall in: identity numbers that share their
/// first six digits (the birth date, with the D-number and synthetic offsets) and the parity
/// of the ninth (the sex) are one pool, as reservations draw them. Sorted, so that every
/// transaction takes them in one order.
fn pool_locks(candidates: &[String]) -> Vec<String> {
    let mut locks: Vec<String> = candidates
        .iter()
        .filter(|n| n.len() == 11)
        .map(|n| {
            let sex = n.as_bytes()[8] % 2;
            format!("nins.{}.{sex}", &n[..6])
        })
        .collect();
    locks.sort_unstable();
    locks.dedup();
    locks
}

/// Records `rows`' numbers as `owner`'s forever and inserts the persons after the last one;
/// returns their load order.
async fn insert_reserved_rows(
    tx: &mut Tx,
    owner: &str,
    rows: Vec<PersonRow>,
    at: i64,
) -> Result<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = tx.sql("INSERT INTO reserved_nins (nin, owner, reserved_at)");
    q.values(rows.iter().map(|r| [Arg::from(&r.nin), Arg::from(owner), Arg::from(at)]));
    tx.execute(q).await?;
    let top = tx.top_seq("persons").await?;
    let seqs: Vec<i64> = (top + 1..=top + rows.len() as i64).collect();
    insert_persons(tx, top + 1, rows).await?;
    person_changes::note(tx, &seqs, &[]).await?;
    Ok(seqs)
}

/// Rewrites persons inside `tx`; each must still have the given version. Returns their ids, for
/// the change log.
pub(crate) async fn rewrite_persons(
    tx: &mut Tx,
    rows: Vec<(PersonRow, i64)>,
) -> Result<Vec<String>> {
    let mut ids = Vec::with_capacity(rows.len());
    for (r, version) in rows {
        let id = r.id.clone();
        let mut q = tx.sql("UPDATE persons SET ");
        let doc = doc_in(q.dialect, r.doc);
        let values: [(&str, Arg); 15] = [
            ("given_name", r.given_name.into()),
            ("family_name", r.family_name.into()),
            ("birth_date", r.birth_date.into()),
            ("gender", r.gender.into()),
            ("status", r.status.into()),
            ("municipality", r.municipality.into()),
            ("postal_code", r.postal_code.into()),
            ("nin_type", r.nin_type.into()),
            ("marital_status", r.marital_status.into()),
            ("citizenship", r.citizenship.into()),
            ("confidentiality", r.confidentiality.into()),
            ("has_spouse", r.has_spouse.into()),
            ("children", r.children.into()),
            ("has_parents", r.has_parents.into()),
            ("doc", doc),
        ];
        for (column, value) in values {
            q.push(column).push(" = ").bind(value).push(", ");
        }
        q.push("version = version + 1 WHERE id = ").bind(&id);
        q.push(" AND version = ").bind(version);
        if tx.execute(q).await? != 1 {
            return Err(StoreError::Conflict(format!(
                "person {id} changed meanwhile (or is gone)"
            )));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Calls `each` with every document of `table` in load order, a page at a time.
pub(crate) async fn export_docs(
    db: &Db,
    table: &'static str,
    each: &mut (dyn for<'s> FnMut(&'s str) -> std::io::Result<()> + Send),
) -> Result<u64> {
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let mut q = db.sql(format!("SELECT seq, doc FROM {table} WHERE seq > "));
        q.bind(after).push(" ORDER BY seq LIMIT ").bind(PAGE);
        let rows = db.fetch_all(q).await?;
        if rows.is_empty() {
            return Ok(count);
        }
        for row in rows {
            after = row.int("seq")?;
            each(&row.doc("doc")?)
                .map_err(|e| StoreError::Unavailable(format!("cannot write: {e}")))?;
            count += 1;
        }
    }
}

/// The persons whose `column` is one of `values`, in no particular order; documents only
/// `with_doc`.
async fn persons_where<A: Clone + Into<Arg>>(
    db: &Db,
    column: &str,
    values: &[A],
    with_doc: bool,
) -> Result<Vec<StoredPerson>> {
    let doc = if with_doc { ", doc" } else { "" };
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(IN_CHUNK) {
        let mut q = db.sql(format!("SELECT {}{doc} FROM persons WHERE {column} IN ", *FACTS));
        q.list(chunk.iter().cloned());
        for row in db.fetch_all(q).await? {
            out.push(person_of(&row, with_doc)?);
        }
    }
    Ok(out)
}

/// The least string above every string starting with `prefix` (its last character plus one),
/// if there is one.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

impl SqlStore {
    /// Re-derives every person's search facts from its document, once, when a migration asked
    /// for it (persons stored before the facts had columns), a page at a time; the request is
    /// withdrawn in the transaction of the last page, so an interrupted refresh starts over at
    /// the next open.
    pub(crate) async fn refresh_person_facts(&self) -> Result<()> {
        if self.get_setting(REINDEX_SETTING).await?.is_none() {
            return Ok(());
        }
        tracing::info!("re-deriving the search facts of stored persons (once)");
        let mut after = 0i64;
        loop {
            let mut tx = self.db.begin().await?;
            let mut q = tx.sql("SELECT seq, origin, owner, doc FROM persons WHERE seq > ");
            q.bind(after).push(" ORDER BY seq LIMIT ").bind(PAGE);
            let rows = tx.fetch_all(q).await?;
            let done = rows.is_empty();
            for row in rows {
                after = row.int("seq")?;
                let doc = row.doc("doc")?;
                let person: fjellport_population::Person = serde_json::from_str(&doc)
                    .map_err(|e| StoreError::Corrupt(format!("person {after}: {e}")))?;
                let owner = row.opt_text("owner")?;
                let r = PersonRow::of(&person, &row.text("origin")?, owner.as_deref());
                let mut q = tx.sql("UPDATE persons SET nin_type = ");
                q.bind(r.nin_type);
                q.push(", marital_status = ").bind(r.marital_status);
                q.push(", citizenship = ").bind(r.citizenship);
                q.push(", confidentiality = ").bind(r.confidentiality);
                q.push(", has_spouse = ").bind(r.has_spouse);
                q.push(", children = ").bind(r.children);
                q.push(", has_parents = ").bind(r.has_parents);
                q.push(" WHERE seq = ").bind(after);
                tx.execute(q).await?;
            }
            if done {
                let mut q = tx.sql("DELETE FROM settings WHERE name = ");
                q.bind(REINDEX_SETTING);
                tx.execute(q).await?;
                bump_revision(&mut tx, "population").await?;
                person_changes::note_load(&mut tx).await?;
            }
            tx.commit().await?;
            if done {
                return Ok(());
            }
        }
    }
}

#[async_trait]
impl PersonStore for SqlStore {
    async fn person_count(&self, origin: Option<&str>) -> Result<i64> {
        // No index leads with `origin` (migration 14): Test-Norge persons are all the persons
        // but the reserved ones, which the partial index counts.
        let reserved = PersonFilter { origin: Some("Reserved".to_owned()), ..Default::default() };
        match origin {
            None => self.count_persons(&PersonFilter::default()).await,
            Some("Reserved") => self.count_persons(&reserved).await,
            Some("TestNorge") => Ok(self.count_persons(&PersonFilter::default()).await?
                - self.count_persons(&reserved).await?),
            Some(other) => {
                let filter = PersonFilter { origin: Some(other.to_owned()), ..Default::default() };
                self.count_persons(&filter).await
            }
        }
    }

    async fn load_persons(&self, origin: &str) -> Result<Box<dyn PersonLoad>> {
        Ok(Box::new(SqlLoad::begin(&self.db, origin).await?))
    }

    async fn population_revision(&self) -> Result<i64> {
        revision(&self.db, "population").await
    }

    async fn person(&self, by: PersonKey<'_>) -> Result<Option<StoredPerson>> {
        let (column, value) = match by {
            PersonKey::Id(id) => ("id", id),
            PersonKey::Nin(nin) => ("nin", nin),
            PersonKey::Hpr(hpr) => ("hpr_number", hpr),
        };
        let mut q = self.db.sql(format!("SELECT {}, doc FROM persons WHERE {column} = ", *FACTS));
        q.bind(value);
        self.db.fetch_optional(q).await?.map(|row| person_of(&row, true)).transpose()
    }

    async fn persons(&self, by: PersonKeys<'_>) -> Result<Vec<StoredPerson>> {
        let (column, values) = match by {
            PersonKeys::Ids(ids) => ("id", ids),
            PersonKeys::Nins(nins) => ("nin", nins),
        };
        persons_where(&self.db, column, values, true).await
    }

    async fn search_persons(&self, page: &PersonPage) -> Result<SearchHits> {
        let mut q = self.db.sql("");
        crate::search::push_search(&mut q, page);
        let rows = self.db.fetch_all(q).await?;
        let also_counted = match (&page.count_also, rows.first()) {
            (Some(_), Some(row)) => Some(row.int("also_counted")?),
            _ => None,
        };
        let hits = rows
            .iter()
            .map(|row| Ok((row.int("rank")?, person_of(row, page.with_doc)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(SearchHits { hits, also_counted })
    }

    async fn count_persons(&self, filter: &PersonFilter) -> Result<i64> {
        let mut n = 0;
        for (sign, all) in [(1, true), (-1, false)] {
            let mut q = self.db.sql("");
            if crate::search::push_count(&mut q, filter, all) {
                n += sign * self.db.fetch_one(q).await?.int("n")?;
            }
        }
        Ok(n)
    }

    async fn persons_named(
        &self,
        family_name: &str,
        given_prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredPerson>> {
        let mut q = self.db.sql(format!(
            "SELECT {} FROM persons WHERE origin = 'TestNorge' AND family_name = ",
            *FACTS
        ));
        q.bind(family_name);
        if let Some(prefix) = given_prefix.filter(|p| !p.is_empty()) {
            // A range on the index: from the prefix to just past it (its last character
            // incremented).
            q.push(" AND given_name >= ").bind(prefix);
            if let Some(end) = past_prefix(prefix) {
                q.push(" AND given_name < ").bind(end);
            }
        }
        q.push(" ORDER BY given_name, seq LIMIT ").bind(limit);
        self.db.fetch_all(q).await?.iter().map(|row| person_of(row, false)).collect()
    }

    async fn taken_nins(&self, nins: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in nins.chunks(IN_CHUNK) {
            let mut q = self.db.sql("SELECT nin FROM reserved_nins WHERE nin IN ");
            q.list(chunk).push(" UNION SELECT nin FROM persons WHERE nin IN ").list(chunk);
            for row in self.db.fetch_all(q).await? {
                out.push(row.text("nin")?);
            }
        }
        Ok(out)
    }

    async fn reserve_persons(
        &self,
        owner: &str,
        candidates: &[String],
        at: i64,
        draw: &mut (dyn for<'t> FnMut(&'t [TakenNin]) -> Option<Vec<PersonRow>> + Send),
    ) -> Result<Option<Vec<i64>>> {
        // Drawn first without any lock, from what is taken now; then, holding the locks of the
        // candidates' number pools (reservations of other birth dates go on in parallel), the
        // draw stands if nothing in those pools changed meanwhile, and is made again if
        // something did. The lock is held for a look-up and two inserts, not for a draw.
        let mut before = Vec::new();
        for chunk in candidates.chunks(IN_CHUNK) {
            before
                .extend(taken_of(self.db.fetch_all(taken_query(self.db.dialect(), chunk)).await?)?);
        }
        before.sort_by(|a, b| a.nin.cmp(&b.nin));
        let Some(mut rows) = draw(&before) else { return Ok(None) };
        let mut tx = self.db.begin_serial(&pool_locks(candidates)).await?;
        let mut now = Vec::new();
        for chunk in candidates.chunks(IN_CHUNK) {
            let q = taken_query(tx.dialect(), chunk);
            now.extend(taken_of(tx.fetch_all(q).await?)?);
        }
        now.sort_by(|a, b| a.nin.cmp(&b.nin));
        if now != before {
            let Some(again) = draw(&now) else { return Ok(None) };
            rows = again;
        }
        let seqs = insert_reserved_rows(&mut tx, owner, rows, at).await?;
        tx.commit().await?;
        Ok(Some(seqs))
    }

    async fn insert_reserved(
        &self,
        owner: &str,
        rows: Vec<PersonRow>,
        at: i64,
    ) -> Result<Vec<i64>> {
        let mut tx = self.db.begin().await?;
        let seqs = insert_reserved_rows(&mut tx, owner, rows, at).await?;
        tx.commit().await?;
        Ok(seqs)
    }

    async fn update_persons(&self, rows: Vec<(PersonRow, i64)>) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let ids = rewrite_persons(&mut tx, rows).await?;
        person_changes::note(&mut tx, &[], &ids).await?;
        tx.commit().await
    }

    async fn delete_person(
        &self,
        id: &str,
        owner: &str,
        updates: Vec<(PersonRow, i64)>,
    ) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let mut q = tx.sql("DELETE FROM persons WHERE origin = 'Reserved' AND id = ");
        q.bind(id).push(" AND owner = ").bind(owner).push(" RETURNING seq");
        let gone =
            tx.fetch_all(q).await?.iter().map(|r| r.int("seq")).collect::<Result<Vec<_>>>()?;
        if gone.len() != 1 {
            return Ok(false);
        }
        let ids = rewrite_persons(&mut tx, updates).await?;
        person_changes::note(&mut tx, &gone, &ids).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn person_marks(&self) -> Result<PersonMarks> {
        person_changes::marks(&self.db).await
    }

    async fn search_facts(&self, after: i64, limit: i64) -> Result<Vec<SearchFacts>> {
        person_changes::search_facts(&self.db, after, limit).await
    }

    async fn person_changes(&self, stamp: i64) -> Result<Option<Vec<PersonChange>>> {
        person_changes::changes(&self.db, stamp).await
    }

    async fn persons_at(&self, seqs: &[i64], with_doc: bool) -> Result<Vec<StoredPerson>> {
        persons_where(&self.db, "seq", seqs, with_doc).await
    }

    async fn export_organizations(
        &self,
        each: &mut (dyn for<'s> FnMut(&'s str) -> std::io::Result<()> + Send),
    ) -> Result<u64> {
        export_docs(&self.db, "organizations", each).await
    }

    async fn export_persons(
        &self,
        each: &mut (dyn for<'s> FnMut(&'s str) -> std::io::Result<()> + Send),
    ) -> Result<u64> {
        export_docs(&self.db, "persons", each).await
    }
}
