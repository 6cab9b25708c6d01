//! The SQL of every aggregate, written once and expanded for both pool types.
//!
//! Queries go through `QueryBuilder::push_bind`, so placeholder syntax (`?` vs `$1`) never
//! appears here; where the two dialects truly differ, the difference gets its own small function
//! in `sqlite.rs`/`postgres.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder, Row, Sqlite};

use crate::error::map_sqlx;
use crate::model::{SHUFFLE_MODULUS, from_secs, shuffle_params, to_secs};
use crate::open::{Backend, PgStore, SqliteStore};
use crate::{
    ClientStore, EventStore, KeyStore, LifeChanges, OrganizationRow, PersonFilter, PersonKey,
    PersonKeys, PersonLoad, PersonPage, PersonRow, PersonStore, ReplayStore, Result, SearchHits,
    SettingsStore, Store, StoreError, StoredClient, StoredEvent, StoredKey, StoredPerson,
};

const KEY_COLUMNS: &str = "id, api, app_type, secret_hash, secret_hint, origins, owner, \
                           rate_limit, created_at, expires_at, revoked_at";

fn origins_to_json(origins: &[String]) -> String {
    serde_json::to_string(origins).unwrap_or_else(|_| "[]".into())
}

fn origins_from_json(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("api_keys.origins is not a JSON list: {e}")))
}

macro_rules! key_from_row {
    ($row:expr) => {{
        let row = $row;
        let get = |e: sqlx::Error| map_sqlx(e);
        StoredKey {
            id: row.try_get("id").map_err(get)?,
            api: row.try_get("api").map_err(get)?,
            app_type: row.try_get("app_type").map_err(get)?,
            secret_hash: row.try_get("secret_hash").map_err(get)?,
            secret_hint: row.try_get("secret_hint").map_err(get)?,
            origins: origins_from_json(&row.try_get::<String, _>("origins").map_err(get)?)?,
            owner: row.try_get("owner").map_err(get)?,
            rate_limit: row
                .try_get::<Option<i64>, _>("rate_limit")
                .map_err(get)?
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            created_at: from_secs(row.try_get("created_at").map_err(get)?),
            expires_at: row.try_get::<Option<i64>, _>("expires_at").map_err(get)?.map(from_secs),
            revoked_at: row.try_get::<Option<i64>, _>("revoked_at").map_err(get)?.map(from_secs),
        }
    }};
}

const CLIENT_COLUMNS: &str = "client_id, issuer, name, jwks, scopes, orgnr_parent, orgnr_child, \
                              dpop_bound, multi_tenant, delegations, created_at, \
                              revoked_at";

macro_rules! client_from_row {
    ($row:expr) => {{
        let row = $row;
        let get = |e: sqlx::Error| map_sqlx(e);
        let scopes: String = row.try_get("scopes").map_err(get)?;
        let delegations: String = row.try_get("delegations").map_err(get)?;
        StoredClient {
            client_id: row.try_get("client_id").map_err(get)?,
            issuer: row.try_get("issuer").map_err(get)?,
            name: row.try_get("name").map_err(get)?,
            jwks: row.try_get("jwks").map_err(get)?,
            scopes: serde_json::from_str(&scopes).map_err(|e| {
                StoreError::Corrupt(format!("clients.scopes is not a JSON list: {e}"))
            })?,
            orgnr_parent: row.try_get("orgnr_parent").map_err(get)?,
            orgnr_child: row.try_get("orgnr_child").map_err(get)?,
            dpop_bound: row.try_get::<i64, _>("dpop_bound").map_err(get)? != 0,
            multi_tenant: row.try_get::<i64, _>("multi_tenant").map_err(get)? != 0,
            delegations: serde_json::from_str(&delegations).map_err(|e| {
                StoreError::Corrupt(format!("clients.delegations is not a JSON list: {e}"))
            })?,
            created_at: from_secs(row.try_get("created_at").map_err(get)?),
            revoked_at: row.try_get::<Option<i64>, _>("revoked_at").map_err(get)?.map(from_secs),
        }
    }};
}

const PERSON_COLUMNS: &str = "seq, id, nin, origin, owner, given_name, family_name, birth_date, \
                              gender, status, municipality, postal_code, nin_type, \
                              marital_status, citizenship, confidentiality, has_spouse, children, \
                              has_parents, hpr_number, hpr_doc, is_gp, gp_hpr, gp_since, doc";
/// What a read selects without the document.
const PERSON_FACTS: &str = "seq, version, id, nin, origin, owner, given_name, family_name, \
                            birth_date, gender, status, municipality, postal_code, nin_type, \
                            marital_status, citizenship, confidentiality, has_spouse, children, \
                            has_parents, hpr_number, hpr_doc, is_gp, gp_hpr, gp_since";
/// Values per `IN (…)` list.
const IN_CHUNK: usize = 500;

macro_rules! person_from_row {
    ($store:ty, $row:expr, $with_doc:expr) => {{
        let row = $row;
        let get = |e: sqlx::Error| map_sqlx(e);
        StoredPerson {
            seq: row.try_get("seq").map_err(get)?,
            version: row.try_get("version").map_err(get)?,
            row: PersonRow {
                id: row.try_get("id").map_err(get)?,
                nin: row.try_get("nin").map_err(get)?,
                origin: row.try_get("origin").map_err(get)?,
                owner: row.try_get("owner").map_err(get)?,
                given_name: row.try_get("given_name").map_err(get)?,
                family_name: row.try_get("family_name").map_err(get)?,
                birth_date: row.try_get("birth_date").map_err(get)?,
                gender: row.try_get("gender").map_err(get)?,
                status: row.try_get("status").map_err(get)?,
                municipality: row.try_get("municipality").map_err(get)?,
                postal_code: row.try_get("postal_code").map_err(get)?,
                nin_type: row.try_get("nin_type").map_err(get)?,
                marital_status: row.try_get("marital_status").map_err(get)?,
                citizenship: row.try_get("citizenship").map_err(get)?,
                confidentiality: row.try_get("confidentiality").map_err(get)?,
                has_spouse: row.try_get::<i64, _>("has_spouse").map_err(get)? != 0,
                children: row.try_get("children").map_err(get)?,
                has_parents: row.try_get::<i64, _>("has_parents").map_err(get)? != 0,
                hpr_number: row.try_get("hpr_number").map_err(get)?,
                hpr_doc: row.try_get("hpr_doc").map_err(get)?,
                is_gp: row.try_get::<i64, _>("is_gp").map_err(get)? != 0,
                gp_hpr: row.try_get("gp_hpr").map_err(get)?,
                gp_since: row.try_get("gp_since").map_err(get)?,
                doc: if $with_doc { <$store>::doc_of(&row)? } else { String::new() },
            },
        }
    }};
}

/// Appends ` WHERE …` for a filter (always at least `WHERE 1 = 1`, so callers can add `AND`s).
macro_rules! push_filter {
    ($qb:expr, $f:expr) => {{
        let qb = &mut *$qb;
        let f: &PersonFilter = $f;
        qb.push(" WHERE 1 = 1");
        // `origin = 'Reserved'` is written as a literal: it is what lets a query use the
        // partial index `persons_reserved` (migration 14).
        match (f.origin.as_deref(), &f.visible_to) {
            (Some("Reserved"), Some(owner)) => {
                qb.push(" AND origin = 'Reserved' AND owner = ");
                qb.push_bind(owner.clone());
            }
            (Some("Reserved"), None) => {
                qb.push(" AND origin = 'Reserved'");
            }
            (Some(origin), _) => {
                qb.push(" AND origin = ");
                qb.push_bind(origin.to_owned());
            }
            (None, Some(owner)) => {
                qb.push(" AND (origin = 'TestNorge' OR owner = ");
                qb.push_bind(owner.clone());
                qb.push(")");
            }
            (None, None) => {}
        }
        for (column, value) in [
            ("gender", &f.gender),
            ("municipality", &f.municipality),
            ("postal_code", &f.postal_code),
            ("citizenship", &f.citizenship),
            ("nin_type", &f.nin_type),
            ("confidentiality", &f.confidentiality),
            ("gp_hpr", &f.gp),
        ] {
            if let Some(value) = value {
                qb.push(format!(" AND {column} = "));
                qb.push_bind(value.clone());
            }
        }
        if let Some(from) = &f.birth_from {
            qb.push(" AND birth_date >= ");
            qb.push_bind(from.clone());
        }
        if let Some(to) = &f.birth_to {
            qb.push(" AND birth_date <= ");
            qb.push_bind(to.clone());
        }
        for (column, values) in [("status", &f.statuses), ("marital_status", &f.marital_statuses)] {
            if !values.is_empty() {
                qb.push(format!(" AND {column} IN ("));
                let mut list = qb.separated(", ");
                for v in values {
                    list.push_bind(v.clone());
                }
                qb.push(")");
            }
        }
        for (column, value) in [("has_spouse", f.has_spouse), ("has_parents", f.has_parents)] {
            if let Some(value) = value {
                qb.push(format!(" AND {column} = "));
                qb.push_bind(i64::from(value));
            }
        }
        for (column, value) in [("hpr_number", f.is_health_personnel), ("gp_hpr", f.has_gp)] {
            if let Some(value) = value {
                qb.push(format!(" AND {column} IS {}NULL", if value { "NOT " } else { "" }));
            }
        }
        if let Some(value) = f.is_gp {
            qb.push(" AND is_gp = ");
            qb.push_bind(i64::from(value));
        }
        if let Some(n) = f.children_from {
            qb.push(" AND children >= ");
            qb.push_bind(n);
        }
        if let Some(n) = f.children_to {
            qb.push(" AND children <= ");
            qb.push_bind(n);
        }
    }};
}

/// Rows per INSERT statement: 25 columns × 400 stays far below both databases' bind limits.
const PERSON_BATCH: usize = 400;
const EVENT_COLUMNS: &str = "seq, person_id, nin, event_type, occurred_on";
/// The setting holding the last simulated day.
pub(crate) const POPULATION_DAY: &str = "population_day";

macro_rules! event_from_row {
    ($row:expr) => {{
        let row = $row;
        StoredEvent {
            seq: row.try_get("seq").map_err(map_sqlx)?,
            person_id: row.try_get("person_id").map_err(map_sqlx)?,
            nin: row.try_get("nin").map_err(map_sqlx)?,
            event_type: row.try_get("event_type").map_err(map_sqlx)?,
            occurred_on: row.try_get("occurred_on").map_err(map_sqlx)?,
        }
    }};
}

/// Set by migration 5 when persons need their search facts derived.
const REINDEX_SETTING: &str = "persons_reindex";
/// Rows per page when exporting.
const EXPORT_PAGE: i64 = 2000;

macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:expr, $loader:ident) => {
        /// A person load: one open transaction, the next load-order number, and the secondary
        /// indexes taken off for the load (rebuilt at commit, which is far faster than keeping
        /// them up to date row by row).
        struct $loader {
            tx: sqlx::Transaction<'static, $db>,
            pool: sqlx::Pool<$db>,
            next: i64,
            next_org: i64,
            dropped_indexes: Vec<String>,
        }

        #[async_trait]
        impl PersonLoad for $loader {
            async fn add(&mut self, rows: Vec<PersonRow>) -> Result<()> {
                let n = rows.len() as i64;
                <$store>::insert_persons(&mut self.tx, self.next, rows).await?;
                self.next += n;
                Ok(())
            }

            async fn add_organizations(&mut self, rows: Vec<OrganizationRow>) -> Result<()> {
                for chunk in rows.chunks(PERSON_BATCH) {
                    let first = self.next_org;
                    self.next_org += chunk.len() as i64;
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO organizations (seq, orgnr, name, form, industry, municipality, doc) ",
                    );
                    qb.push_values(chunk.iter().enumerate(), |mut b, (i, o)| {
                        b.push_bind(first + i as i64)
                            .push_bind(o.orgnr.clone())
                            .push_bind(o.name.clone())
                            .push_bind(o.form.clone())
                            .push_bind(o.industry.clone())
                            .push_bind(o.municipality.clone())
                            .push_bind(o.doc.clone());
                    });
                    qb.build().execute(&mut *self.tx).await.map_err(map_sqlx)?;
                    let roles: Vec<(&String, &String, &String)> = chunk
                        .iter()
                        .flat_map(|o| o.roles.iter().map(move |(nin, role)| (&o.orgnr, nin, role)))
                        .collect();
                    for part in roles.chunks(PERSON_BATCH) {
                        let mut qb = QueryBuilder::<$db>::new(
                            "INSERT INTO organization_roles (orgnr, nin, role) ",
                        );
                        qb.push_values(part.iter(), |mut b, (orgnr, nin, role)| {
                            b.push_bind((*orgnr).clone())
                                .push_bind((*nin).clone())
                                .push_bind((*role).clone());
                        });
                        qb.build().execute(&mut *self.tx).await.map_err(map_sqlx)?;
                    }
                }
                Ok(())
            }

            async fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
                <$store>::upsert_setting(name, value).build().execute(&mut *self.tx).await.map_err(map_sqlx)?;
                Ok(())
            }

            async fn release_reserved(&mut self) -> Result<u64> {
                let done = sqlx::raw_sql("DELETE FROM persons WHERE origin = 'Reserved'")
                    .execute(&mut *self.tx)
                    .await
                    .map_err(map_sqlx)?;
                Ok(done.rows_affected())
            }

            async fn commit(mut self: Box<Self>) -> Result<()> {
                for ddl in std::mem::take(&mut self.dropped_indexes) {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
                        .execute(&mut *self.tx)
                        .await
                        .map_err(map_sqlx)?;
                }
                // Fresh statistics, so the planner picks the selective index for a search.
                sqlx::raw_sql("ANALYZE persons").execute(&mut *self.tx).await.map_err(map_sqlx)?;
                <$store>::bump_revision(&mut self.tx, "population").await?;
                <$store>::tune_for_load(&mut self.tx, false).await?;
                self.tx.commit().await.map_err(map_sqlx)?;
                <$store>::after_load(&self.pool).await
            }
        }

        impl $store {
            /// Sets a setting, whether or not it exists.
            fn upsert_setting(name: &str, value: &str) -> QueryBuilder<$db> {
                let mut qb = QueryBuilder::<$db>::new("INSERT INTO settings (name, value) ");
                qb.push_values(std::iter::once((name, value)), |mut b, (n, v)| {
                    b.push_bind(n.to_owned()).push_bind(v.to_owned());
                });
                qb.push(" ON CONFLICT (name) DO UPDATE SET value = excluded.value");
                qb
            }

            /// Appends the query of one search page (see [`PersonStore::search_persons`]).
            pub(crate) fn push_search(qb: &mut QueryBuilder<$db>, page: &PersonPage) {
                let rank = match page.shuffle_seed {
                    Some(seed) => {
                        let (m, o) = shuffle_params(seed);
                        format!("((seq * {m} + {o}) % {SHUFFLE_MODULUS})")
                    }
                    None => "CAST(0 AS BIGINT)".to_owned(),
                };
                let doc = if page.with_doc { ", doc" } else { "" };
                qb.push(format!("SELECT {rank} AS rank, {PERSON_FACTS}{doc}"));
                if let Some(also) = &page.count_also {
                    qb.push(", (SELECT COUNT(*)");
                    <$store>::push_persons_for(qb, also);
                    push_filter!(qb, also);
                    qb.push(") AS also_counted");
                }
                <$store>::push_persons_for(qb, &page.filter);
                push_filter!(qb, &page.filter);
                if let Some((after_rank, after_seq)) = page.after {
                    if page.shuffle_seed.is_some() {
                        qb.push(format!(" AND ({rank} > "));
                        qb.push_bind(after_rank);
                        qb.push(format!(" OR ({rank} = "));
                        qb.push_bind(after_rank);
                        qb.push(" AND seq > ");
                        qb.push_bind(after_seq);
                        qb.push("))");
                    } else {
                        qb.push(" AND seq > ");
                        qb.push_bind(after_seq);
                    }
                }
                qb.push(if page.shuffle_seed.is_some() {
                    " ORDER BY rank, seq LIMIT "
                } else {
                    " ORDER BY seq LIMIT "
                });
                qb.push_bind(page.limit);
            }

            /// Appends one of the two counts whose difference is [`PersonStore::count_persons`]:
            /// the matches of every origin (`all`), or the reserved ones among them the filter
            /// does not see (false when there are none to take away). Counting "Test-Norge or
            /// mine" directly would read every matching row for its origin and owner; these two
            /// counts are answered by the indexes (reserved persons are few, and found through
            /// the `persons_reserved` index).
            pub(crate) fn push_count(qb: &mut QueryBuilder<$db>, filter: &PersonFilter, all: bool) -> bool {
                let everyone = matches!(
                    (filter.origin.as_deref(), &filter.visible_to),
                    (Some("Reserved"), _) | (None, None)
                );
                let part = if everyone {
                    if !all {
                        return false;
                    }
                    filter.clone()
                } else if all {
                    PersonFilter { origin: None, visible_to: None, ..filter.clone() }
                } else {
                    PersonFilter { origin: Some("Reserved".to_owned()), visible_to: None, ..filter.clone() }
                };
                qb.push("SELECT COUNT(*) AS n");
                <$store>::push_persons_for(qb, &part);
                push_filter!(qb, &part);
                if !all
                    && filter.origin.is_none()
                    && let Some(owner) = &filter.visible_to
                {
                    qb.push(" AND owner <> ");
                    qb.push_bind(owner.clone());
                }
                true
            }

            async fn bump_revision(
                tx: &mut sqlx::Transaction<'_, $db>,
                aggregate: &str,
            ) -> Result<()> {
                let mut qb = QueryBuilder::<$db>::new(
                    "UPDATE revisions SET revision = revision + 1 WHERE aggregate = ",
                );
                qb.push_bind(aggregate);
                qb.build().execute(&mut **tx).await.map_err(map_sqlx)?;
                Ok(())
            }

            /// Sets `revoked_at` on one row of `table` (API keys, clients) unless it is set
            /// already, and moves the aggregate's revision so caches notice.
            async fn revoke_row(
                &self,
                table: &str,
                id_column: &str,
                aggregate: &str,
                id: &str,
                at: DateTime<Utc>,
            ) -> Result<()> {
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let mut qb = QueryBuilder::<$db>::new(format!("UPDATE {table} SET revoked_at = "));
                qb.push_bind(to_secs(at));
                qb.push(format!(" WHERE revoked_at IS NULL AND {id_column} = "));
                qb.push_bind(id);
                let changed = qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                if changed.rows_affected() > 0 {
                    Self::bump_revision(&mut tx, aggregate).await?;
                }
                tx.commit().await.map_err(map_sqlx)
            }

            async fn select_key(&self, id: &str) -> Result<StoredKey> {
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys WHERE id = "
                ));
                qb.push_bind(id);
                let row = qb.build().fetch_optional(&self.pool).await.map_err(map_sqlx)?;
                match row {
                    Some(row) => Ok(key_from_row!(row)),
                    None => Err(StoreError::NotFound { what: "API key", id: id.to_owned() }),
                }
            }
        }

        impl $store {
            /// Calls `each` with every document of `table` in load order, a page at a time.
            async fn export_docs(
                &self,
                table: &'static str,
                each: &mut (dyn for<'s> FnMut(&'s str) -> std::io::Result<()> + Send),
            ) -> Result<u64> {
                let mut after = 0i64;
                let mut count = 0u64;
                loop {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "SELECT seq, doc FROM {table} WHERE seq > "
                    ));
                    qb.push_bind(after);
                    qb.push(" ORDER BY seq LIMIT ");
                    qb.push_bind(EXPORT_PAGE);
                    let rows = qb.build().fetch_all(&self.pool).await.map_err(map_sqlx)?;
                    if rows.is_empty() {
                        return Ok(count);
                    }
                    for row in rows {
                        after = row.try_get("seq").map_err(map_sqlx)?;
                        let doc = <$store>::doc_of(&row)?;
                        each(&doc)
                            .map_err(|e| StoreError::Unavailable(format!("cannot write: {e}")))?;
                        count += 1;
                    }
                }
            }

            /// The highest `seq` of `table` (0 when empty): new rows take the numbers after it.
            async fn top_seq(
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &'static str,
            ) -> Result<i64> {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                    "SELECT COALESCE(MAX(seq), 0) FROM {table}"
                )))
                .fetch_one(&mut **tx)
                .await
                .map_err(map_sqlx)
            }

            /// Re-derives every person's search facts from its document, once, when a
            /// migration asked for it (persons stored before the facts had columns), a page at
            /// a time; the request is withdrawn in the transaction of the last page, so an
            /// interrupted refresh starts over at the next open.
            pub(crate) async fn refresh_person_facts(&self) -> Result<()> {
                if self.get_setting(REINDEX_SETTING).await?.is_none() {
                    return Ok(());
                }
                tracing::info!("re-deriving the search facts of stored persons (once)");
                let mut after = 0i64;
                loop {
                    let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                    let mut qb = QueryBuilder::<$db>::new(
                        "SELECT seq, origin, owner, doc FROM persons WHERE seq > ",
                    );
                    qb.push_bind(after);
                    qb.push(" ORDER BY seq LIMIT ");
                    qb.push_bind(EXPORT_PAGE);
                    let rows = qb.build().fetch_all(&mut *tx).await.map_err(map_sqlx)?;
                    let done = rows.is_empty();
                    for row in rows {
                        after = row.try_get("seq").map_err(map_sqlx)?;
                        let origin: String = row.try_get("origin").map_err(map_sqlx)?;
                        let owner: Option<String> = row.try_get("owner").map_err(map_sqlx)?;
                        let doc = <$store>::doc_of(&row)?;
                        let person: fjellport_population::Person = serde_json::from_str(&doc)
                            .map_err(|e| StoreError::Corrupt(format!("person {after}: {e}")))?;
                        let r = PersonRow::of(&person, &origin, owner.as_deref());
                        let mut qb = QueryBuilder::<$db>::new("UPDATE persons SET nin_type = ");
                        qb.push_bind(r.nin_type);
                        qb.push(", marital_status = ").push_bind(r.marital_status);
                        qb.push(", citizenship = ").push_bind(r.citizenship);
                        qb.push(", confidentiality = ").push_bind(r.confidentiality);
                        qb.push(", has_spouse = ").push_bind(i64::from(r.has_spouse));
                        qb.push(", children = ").push_bind(r.children);
                        qb.push(", has_parents = ").push_bind(i64::from(r.has_parents));
                        qb.push(" WHERE seq = ").push_bind(after);
                        qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                    }
                    if done {
                        let mut qb = QueryBuilder::<$db>::new("DELETE FROM settings WHERE name = ");
                        qb.push_bind(REINDEX_SETTING);
                        qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                        Self::bump_revision(&mut tx, "population").await?;
                    }
                    tx.commit().await.map_err(map_sqlx)?;
                    if done {
                        return Ok(());
                    }
                }
            }

            /// Rewrites persons inside `tx`; each must still have the given version.
            async fn rewrite_persons(
                tx: &mut sqlx::Transaction<'static, $db>,
                rows: Vec<(PersonRow, i64)>,
            ) -> Result<()> {
                for (r, version) in rows {
                    let mut qb = QueryBuilder::<$db>::new("UPDATE persons SET given_name = ");
                    qb.push_bind(r.given_name);
                    qb.push(", family_name = ").push_bind(r.family_name);
                    qb.push(", birth_date = ").push_bind(r.birth_date);
                    qb.push(", gender = ").push_bind(r.gender);
                    qb.push(", status = ").push_bind(r.status);
                    qb.push(", municipality = ").push_bind(r.municipality);
                    qb.push(", postal_code = ").push_bind(r.postal_code);
                    qb.push(", nin_type = ").push_bind(r.nin_type);
                    qb.push(", marital_status = ").push_bind(r.marital_status);
                    qb.push(", citizenship = ").push_bind(r.citizenship);
                    qb.push(", confidentiality = ").push_bind(r.confidentiality);
                    qb.push(", has_spouse = ").push_bind(i64::from(r.has_spouse));
                    qb.push(", children = ").push_bind(r.children);
                    qb.push(", has_parents = ").push_bind(i64::from(r.has_parents));
                    qb.push(", doc = ").push_bind(<$store>::doc_in(r.doc));
                    qb.push(", version = version + 1 WHERE id = ").push_bind(r.id.clone());
                    qb.push(" AND version = ").push_bind(version);
                    let done = qb.build().execute(&mut **tx).await.map_err(map_sqlx)?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!(
                            "person {} changed meanwhile (or is gone)",
                            r.id
                        )));
                    }
                }
                Ok(())
            }
        }

        #[async_trait]
        impl KeyStore for $store {
            async fn insert_key(&self, key: &StoredKey) -> Result<()> {
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let mut qb =
                    QueryBuilder::<$db>::new(format!("INSERT INTO api_keys ({KEY_COLUMNS}) "));
                qb.push_values(std::iter::once(key), |mut b, k| {
                    b.push_bind(k.id.clone())
                        .push_bind(k.api.clone())
                        .push_bind(k.app_type.clone())
                        .push_bind(k.secret_hash.clone())
                        .push_bind(k.secret_hint.clone())
                        .push_bind(origins_to_json(&k.origins))
                        .push_bind(k.owner.clone())
                        .push_bind(k.rate_limit.map(i64::from))
                        .push_bind(to_secs(k.created_at))
                        .push_bind(k.expires_at.map(to_secs))
                        .push_bind(k.revoked_at.map(to_secs));
                });
                qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                Self::bump_revision(&mut tx, "keys").await?;
                tx.commit().await.map_err(map_sqlx)
            }

            async fn list_keys(&self) -> Result<Vec<StoredKey>> {
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
                ));
                let rows = qb.build().fetch_all(&self.pool).await.map_err(map_sqlx)?;
                rows.into_iter().map(|row| Ok(key_from_row!(row))).collect()
            }

            async fn get_key(&self, id: &str) -> Result<StoredKey> {
                self.select_key(id).await
            }

            async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<StoredKey> {
                self.revoke_row("api_keys", "id", "keys", id, at).await?;
                self.select_key(id).await
            }

            async fn keys_revision(&self) -> Result<i64> {
                let mut qb =
                    QueryBuilder::<$db>::new("SELECT revision FROM revisions WHERE aggregate = ");
                qb.push_bind("keys");
                let row = qb.build().fetch_one(&self.pool).await.map_err(map_sqlx)?;
                row.try_get::<i64, _>("revision").map_err(map_sqlx)
            }
        }

        #[async_trait]
        impl ClientStore for $store {
            async fn insert_client(&self, c: &StoredClient) -> Result<()> {
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let mut qb =
                    QueryBuilder::<$db>::new(format!("INSERT INTO clients ({CLIENT_COLUMNS}) "));
                qb.push_values(std::iter::once(c), |mut b, c| {
                    b.push_bind(c.client_id.clone())
                        .push_bind(c.issuer.clone())
                        .push_bind(c.name.clone())
                        .push_bind(c.jwks.clone())
                        .push_bind(serde_json::to_string(&c.scopes).unwrap_or_default())
                        .push_bind(c.orgnr_parent.clone())
                        .push_bind(c.orgnr_child.clone())
                        .push_bind(i64::from(c.dpop_bound))
                        .push_bind(i64::from(c.multi_tenant))
                        .push_bind(serde_json::to_string(&c.delegations).unwrap_or_default())
                        .push_bind(to_secs(c.created_at))
                        .push_bind(c.revoked_at.map(to_secs));
                });
                qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                Self::bump_revision(&mut tx, "clients").await?;
                tx.commit().await.map_err(map_sqlx)
            }

            async fn get_client(&self, client_id: &str) -> Result<StoredClient> {
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = "
                ));
                qb.push_bind(client_id);
                match qb.build().fetch_optional(&self.pool).await.map_err(map_sqlx)? {
                    Some(row) => Ok(client_from_row!(row)),
                    None => Err(StoreError::NotFound { what: "client", id: client_id.to_owned() }),
                }
            }

            async fn list_clients(&self) -> Result<Vec<StoredClient>> {
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {CLIENT_COLUMNS} FROM clients ORDER BY created_at, client_id"
                ));
                let rows = qb.build().fetch_all(&self.pool).await.map_err(map_sqlx)?;
                rows.into_iter().map(|row| Ok(client_from_row!(row))).collect()
            }

            async fn revoke_client(
                &self,
                client_id: &str,
                at: DateTime<Utc>,
            ) -> Result<StoredClient> {
                self.revoke_row("clients", "client_id", "clients", client_id, at).await?;
                self.get_client(client_id).await
            }
        }

        #[async_trait]
        impl PersonStore for $store {
            async fn person_count(&self, origin: Option<&str>) -> Result<i64> {
                // No index leads with `origin` (migration 14): Test-Norge persons are all the
                // persons but the reserved ones, which the partial index counts.
                let reserved = PersonFilter {
                    origin: Some("Reserved".to_owned()),
                    ..PersonFilter::default()
                };
                match origin {
                    None => self.count_persons(&PersonFilter::default()).await,
                    Some("Reserved") => self.count_persons(&reserved).await,
                    Some("TestNorge") => Ok(self.count_persons(&PersonFilter::default()).await?
                        - self.count_persons(&reserved).await?),
                    Some(other) => {
                        let filter =
                            PersonFilter { origin: Some(other.to_owned()), ..PersonFilter::default() };
                        self.count_persons(&filter).await
                    }
                }
            }

            async fn load_persons(&self, origin: &str) -> Result<Box<dyn PersonLoad>> {
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                <$store>::tune_for_load(&mut tx, true).await?;
                // Secondary indexes off first: the delete and the inserts then touch only the
                // table and its unique keys.
                let mut dropped_indexes = Vec::new();
                for (name, ddl) in <$store>::person_indexes(&mut tx).await? {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
                        .execute(&mut *tx)
                        .await
                        .map_err(map_sqlx)?;
                    dropped_indexes.push(ddl);
                }
                <$store>::delete_origin(&mut tx, origin).await?;
                let top = <$store>::top_seq(&mut tx, "persons").await?;
                if origin == "TestNorge" {
                    for table in ["organization_roles", "organizations"] {
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                            .execute(&mut *tx)
                            .await
                            .map_err(map_sqlx)?;
                    }
                }
                Ok(Box::new($loader {
                    tx,
                    pool: self.pool.clone(),
                    next: top + 1,
                    next_org: 1,
                    dropped_indexes,
                }))
            }

            async fn population_revision(&self) -> Result<i64> {
                let mut qb =
                    QueryBuilder::<$db>::new("SELECT revision FROM revisions WHERE aggregate = ");
                qb.push_bind("population");
                let row = qb.build().fetch_optional(&self.pool).await.map_err(map_sqlx)?;
                row.map_or(Ok(0), |r| r.try_get::<i64, _>("revision").map_err(map_sqlx))
            }

            async fn person(&self, by: PersonKey<'_>) -> Result<Option<StoredPerson>> {
                let (column, value) = match by {
                    PersonKey::Id(id) => ("id", id),
                    PersonKey::Nin(nin) => ("nin", nin),
                    PersonKey::Hpr(hpr) => ("hpr_number", hpr),
                };
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {PERSON_FACTS}, doc FROM persons WHERE {column} = "
                ));
                qb.push_bind(value);
                match qb.build().fetch_optional(&self.pool).await.map_err(map_sqlx)? {
                    Some(row) => Ok(Some(person_from_row!($store, row, true))),
                    None => Ok(None),
                }
            }

            async fn persons(&self, by: PersonKeys<'_>) -> Result<Vec<StoredPerson>> {
                let (column, values) = match by {
                    PersonKeys::Ids(ids) => ("id", ids),
                    PersonKeys::Nins(nins) => ("nin", nins),
                };
                let mut out = Vec::with_capacity(values.len());
                for chunk in values.chunks(IN_CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "SELECT {PERSON_FACTS}, doc FROM persons WHERE {column} IN ("
                    ));
                    let mut list = qb.separated(", ");
                    for v in chunk {
                        list.push_bind(v.clone());
                    }
                    qb.push(")");
                    for row in qb.build().fetch_all(&self.pool).await.map_err(map_sqlx)? {
                        out.push(person_from_row!($store, row, true));
                    }
                }
                Ok(out)
            }

            async fn search_persons(&self, page: &PersonPage) -> Result<SearchHits> {
                let mut qb = QueryBuilder::<$db>::new("");
                <$store>::push_search(&mut qb, page);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(map_sqlx)?;
                let also_counted = match (&page.count_also, rows.first()) {
                    (Some(_), Some(row)) => Some(row.try_get::<i64, _>("also_counted").map_err(map_sqlx)?),
                    _ => None,
                };
                let hits = rows
                    .into_iter()
                    .map(|row| {
                        let rank: i64 = row.try_get("rank").map_err(map_sqlx)?;
                        Ok((rank, person_from_row!($store, row, page.with_doc)))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(SearchHits { hits, also_counted })
            }

            async fn count_persons(&self, filter: &PersonFilter) -> Result<i64> {
                let mut n = 0;
                for (sign, part) in [(1, Some(filter)), (-1, None)] {
                    let mut qb = QueryBuilder::<$db>::new("");
                    if <$store>::push_count(&mut qb, filter, part.is_some()) {
                        let row = qb.build().fetch_one(&self.pool).await.map_err(map_sqlx)?;
                        n += sign * row.try_get::<i64, _>("n").map_err(map_sqlx)?;
                    }
                }
                Ok(n)
            }

            async fn taken_nins(&self, nins: &[String]) -> Result<Vec<String>> {
                let mut out = Vec::new();
                for chunk in nins.chunks(IN_CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new("SELECT nin FROM reserved_nins WHERE nin IN (");
                    let mut list = qb.separated(", ");
                    for v in chunk {
                        list.push_bind(v.clone());
                    }
                    qb.push(") UNION SELECT nin FROM persons WHERE nin IN (");
                    let mut list = qb.separated(", ");
                    for v in chunk {
                        list.push_bind(v.clone());
                    }
                    qb.push(")");
                    for row in qb.build().fetch_all(&self.pool).await.map_err(map_sqlx)? {
                        out.push(row.try_get("nin").map_err(map_sqlx)?);
                    }
                }
                Ok(out)
            }

            async fn insert_reserved(
                &self,
                owner: &str,
                rows: Vec<PersonRow>,
                at: i64,
            ) -> Result<Vec<i64>> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let mut qb = QueryBuilder::<$db>::new("INSERT INTO reserved_nins (nin, owner, reserved_at) ");
                qb.push_values(rows.iter(), |mut b, r| {
                    b.push_bind(r.nin.clone()).push_bind(owner.to_owned()).push_bind(at);
                });
                qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                let top = <$store>::top_seq(&mut tx, "persons").await?;
                let seqs = (top + 1..=top + rows.len() as i64).collect();
                <$store>::insert_persons(&mut tx, top + 1, rows).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(seqs)
            }

            async fn update_persons(&self, rows: Vec<(PersonRow, i64)>) -> Result<()> {
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                <$store>::rewrite_persons(&mut tx, rows).await?;
                tx.commit().await.map_err(map_sqlx)
            }

            async fn delete_person(
                &self,
                id: &str,
                owner: &str,
                updates: Vec<(PersonRow, i64)>,
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let mut qb = QueryBuilder::<$db>::new(
                    "DELETE FROM persons WHERE origin = 'Reserved' AND id = ",
                );
                qb.push_bind(id);
                qb.push(" AND owner = ");
                qb.push_bind(owner);
                let gone = qb.build().execute(&mut *tx).await.map_err(map_sqlx)?.rows_affected() == 1;
                if !gone {
                    return Ok(false);
                }
                <$store>::rewrite_persons(&mut tx, updates).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(true)
            }

            async fn export_organizations(
                &self,
                each: &mut (dyn for<'s> FnMut(&'s str) -> std::io::Result<()> + Send),
            ) -> Result<u64> {
                self.export_docs("organizations", each).await
            }

            async fn export_persons(
                &self,
                each: &mut (dyn for<'s> FnMut(&'s str) -> std::io::Result<()> + Send),
            ) -> Result<u64> {
                self.export_docs("persons", each).await
            }
        }

        #[async_trait]
        impl EventStore for $store {
            async fn apply_life(&self, c: LifeChanges) -> Result<()> {
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                if !c.born.is_empty() {
                    let top = <$store>::top_seq(&mut tx, "persons").await?;
                    <$store>::insert_persons(&mut tx, top + 1, c.born).await?;
                }
                <$store>::rewrite_persons(&mut tx, c.changed).await?;
                for chunk in c.off_gp_lists.chunks(IN_CHUNK) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "UPDATE persons SET gp_hpr = NULL, gp_since = NULL WHERE id IN (",
                    );
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(id.clone());
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                }
                if !c.events.is_empty() {
                    let top = <$store>::top_seq(&mut tx, "events").await?;
                    for (n, chunk) in c.events.chunks(PERSON_BATCH).enumerate() {
                        let first = top + 1 + (n * PERSON_BATCH) as i64;
                        let mut qb = QueryBuilder::<$db>::new(
                            "INSERT INTO events (seq, person_id, nin, event_type, occurred_on) ",
                        );
                        qb.push_values(chunk.iter().enumerate(), |mut b, (i, (id, nin, kind))| {
                            b.push_bind(first + i as i64)
                                .push_bind(id.clone())
                                .push_bind(nin.clone())
                                .push_bind(kind.clone())
                                .push_bind(c.day.clone());
                        });
                        qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                    }
                }
                let mut qb = QueryBuilder::<$db>::new("INSERT INTO settings (name, value) ");
                qb.push_values(std::iter::once(&c.day), |mut b, day| {
                    b.push_bind(POPULATION_DAY).push_bind(day.clone());
                });
                qb.push(" ON CONFLICT (name) DO UPDATE SET value = excluded.value");
                qb.build().execute(&mut *tx).await.map_err(map_sqlx)?;
                Self::bump_revision(&mut tx, "population").await?;
                tx.commit().await.map_err(map_sqlx)
            }

            async fn events(
                &self,
                from: i64,
                types: &[String],
                limit: i64,
            ) -> Result<Vec<StoredEvent>> {
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE seq >= "
                ));
                qb.push_bind(from);
                if !types.is_empty() {
                    qb.push(" AND event_type IN (");
                    let mut list = qb.separated(", ");
                    for t in types {
                        list.push_bind(t.clone());
                    }
                    qb.push(")");
                }
                qb.push(" ORDER BY seq LIMIT ");
                qb.push_bind(limit);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(map_sqlx)?;
                rows.into_iter().map(|row| Ok(event_from_row!(row))).collect()
            }

            async fn latest_event(&self) -> Result<Option<StoredEvent>> {
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {EVENT_COLUMNS} FROM events ORDER BY seq DESC LIMIT 1"
                ));
                match qb.build().fetch_optional(&self.pool).await.map_err(map_sqlx)? {
                    Some(row) => Ok(Some(event_from_row!(row))),
                    None => Ok(None),
                }
            }
        }

        #[async_trait]
        impl ReplayStore for $store {
            async fn first_use(&self, key: &str, expires: i64, now: i64) -> Result<bool> {
                // Insert, or take over an expired record; a live one makes this a replay.
                let mut qb = QueryBuilder::<$db>::new("INSERT INTO replay (key, expires) ");
                qb.push_values(std::iter::once((key, expires)), |mut b, (k, e)| {
                    b.push_bind(k.to_owned()).push_bind(e);
                });
                qb.push(" ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE replay.expires < ");
                qb.push_bind(now);
                let done = qb.build().execute(&self.pool).await.map_err(map_sqlx)?;
                Ok(done.rows_affected() == 1)
            }

            async fn prune_replay(&self, now: i64) -> Result<u64> {
                let mut qb = QueryBuilder::<$db>::new("DELETE FROM replay WHERE expires < ");
                qb.push_bind(now);
                Ok(qb.build().execute(&self.pool).await.map_err(map_sqlx)?.rows_affected())
            }
        }

        #[async_trait]
        impl SettingsStore for $store {
            async fn get_setting(&self, name: &str) -> Result<Option<String>> {
                let mut qb = QueryBuilder::<$db>::new("SELECT value FROM settings WHERE name = ");
                qb.push_bind(name);
                let row = qb.build().fetch_optional(&self.pool).await.map_err(map_sqlx)?;
                row.map(|r| r.try_get::<String, _>("value").map_err(map_sqlx)).transpose()
            }

            async fn set_setting(&self, name: &str, value: &str) -> Result<()> {
                <$store>::upsert_setting(name, value).build().execute(&self.pool).await.map_err(map_sqlx)?;
                Ok(())
            }

            async fn put_setting_if_absent(&self, name: &str, value: &str) -> Result<String> {
                let mut qb = QueryBuilder::<$db>::new("INSERT INTO settings (name, value) ");
                qb.push_values(std::iter::once((name, value)), |mut b, (n, v)| {
                    b.push_bind(n.to_owned()).push_bind(v.to_owned());
                });
                qb.push(" ON CONFLICT (name) DO NOTHING");
                qb.build().execute(&self.pool).await.map_err(map_sqlx)?;
                self.get_setting(name).await?.ok_or_else(|| {
                    StoreError::Internal(format!("setting {name} vanished after insert"))
                })
            }
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                // A read of a real table: proves the connection *and* the schema.
                self.keys_revision().await.map(|_| ())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn size_bytes(&self) -> Result<u64> {
                let n: i64 = sqlx::query_scalar(<$store>::SIZE_SQL)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_sqlx)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }
    };
}

impl_store!(SqliteStore, Sqlite, Backend::Sqlite, SqlitePersonLoad);
impl_store!(PgStore, Postgres, Backend::Postgres, PgPersonLoad);

// Where the dialects differ: how each catalog lists a table's secondary indexes (name and the
// statement that makes it; constraint indexes — primary key, UNIQUE — are not listed: they
// stay), how a document is stored, how a load empties the table, is tuned and is finished, and
// how the database's size is read.

/// Page cache for a load, in KiB: the two unique indexes (random keys) stay in memory while
/// the table grows at its end, so a row costs no page reads. Inside the 1.5 GiB load budget.
const LOAD_CACHE_KIB: i64 = 384 * 1024;

impl SqliteStore {
    /// Appends the table a person query reads, with the index it must use where the statistics
    /// cannot be trusted to choose it: reserved persons are always read through
    /// `persons_reserved`.
    /// Sampled or exact, SQLite's statistics hold one average per index, and an average cannot
    /// tell that 1.2 million rows share `origin` while almost none are the caller's (see
    /// migration 14).
    fn push_persons_for(qb: &mut QueryBuilder<Sqlite>, filter: &PersonFilter) {
        qb.push(if filter.origin.as_deref() == Some("Reserved") {
            " FROM persons INDEXED BY persons_reserved"
        } else {
            " FROM persons"
        });
    }

    const SIZE_SQL: &str =
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";

    /// Takes every person of `origin` away. SQLite empties a table without a `WHERE` by
    /// letting its pages go wholesale, where a `WHERE` frees them row by row — most of the time
    /// of replacing a loaded 1.2 million. The persons to keep (reserved ones, few) are set
    /// aside and put back, `seq` and all.
    async fn delete_origin(
        tx: &mut sqlx::Transaction<'static, Sqlite>,
        origin: &str,
    ) -> Result<()> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "CREATE TEMP TABLE kept_persons AS SELECT * FROM persons WHERE origin <> ",
        );
        qb.push_bind(origin);
        qb.build().execute(&mut **tx).await.map_err(map_sqlx)?;
        sqlx::raw_sql(
            "DELETE FROM persons; INSERT INTO persons SELECT * FROM kept_persons; \
             DROP TABLE kept_persons",
        )
        .execute(&mut **tx)
        .await
        .map_err(map_sqlx)?;
        Ok(())
    }

    /// Nothing to do once a load is in: SQLite's indexes need no visibility map.
    async fn after_load(_pool: &sqlx::SqlitePool) -> Result<()> {
        Ok(())
    }

    /// Documents are packed on disk (see `packed`).
    fn doc_in(doc: String) -> Vec<u8> {
        crate::packed::pack(&doc)
    }

    fn doc_of(row: &sqlx::sqlite::SqliteRow) -> Result<String> {
        crate::packed::unpack(row.try_get("doc").map_err(map_sqlx)?)
    }

    /// Settings for the load's connection, and back to SQLite's defaults after it, so the
    /// pooled connection does not keep the memory.
    async fn tune_for_load(tx: &mut sqlx::Transaction<'static, Sqlite>, on: bool) -> Result<()> {
        // While loading: a big cache and a second thread for the sorts that rebuild the
        // indexes. Afterwards SQLite's defaults again. The load's ANALYZE reads every row
        // (`analysis_limit` stays 0): a limited one reads only the first rows of each index, so
        // an index that opens with a value shared by a million rows was recorded as 2,001 rows
        // a value, and plans came out of that.
        let pragmas = if on {
            format!("PRAGMA cache_size = -{LOAD_CACHE_KIB}; PRAGMA threads = 2")
        } else {
            "PRAGMA cache_size = -2000; PRAGMA threads = 0".to_owned()
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas)).execute(&mut **tx).await.map_err(map_sqlx)?;
        Ok(())
    }

    async fn person_indexes(
        tx: &mut sqlx::Transaction<'static, Sqlite>,
    ) -> Result<Vec<(String, String)>> {
        sqlx::query_as::<_, (String, String)>(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' \
             AND sql IS NOT NULL ORDER BY name",
        )
        .fetch_all(&mut **tx)
        .await
        .map_err(map_sqlx)
    }
}

impl PgStore {
    /// PostgreSQL takes no index hints; instead the reserved persons of the filter's owner are
    /// selected in a subquery the planner may not merge with the rest of the filter (`OFFSET 0`
    /// keeps the outer conditions out of it). Inside it only `origin` and `owner` are known, and
    /// the one index that serves them is `persons_reserved`: however the statistics estimate a
    /// rare place or number type, the search cannot start from that index instead.
    fn push_persons_for(qb: &mut QueryBuilder<Postgres>, filter: &PersonFilter) {
        if filter.origin.as_deref() != Some("Reserved") {
            qb.push(" FROM persons");
            return;
        }
        qb.push(" FROM (SELECT * FROM persons WHERE origin = 'Reserved'");
        if let Some(owner) = &filter.visible_to {
            qb.push(" AND owner = ");
            qb.push_bind(owner.clone());
        }
        qb.push(" OFFSET 0) AS persons");
    }

    const SIZE_SQL: &str = "SELECT CAST(COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS BIGINT) \
                            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                            WHERE n.nspname = current_schema() AND c.relkind = 'r'";

    /// PostgreSQL's `TRUNCATE` would lock out every reader for the whole load; a `DELETE`
    /// keeps the old population readable until the load commits.
    async fn delete_origin(
        tx: &mut sqlx::Transaction<'static, Postgres>,
        origin: &str,
    ) -> Result<()> {
        let mut qb = QueryBuilder::<Postgres>::new("DELETE FROM persons WHERE origin = ");
        qb.push_bind(origin);
        qb.build().execute(&mut **tx).await.map_err(map_sqlx)?;
        Ok(())
    }

    /// A vacuum right after a load marks the new pages all-visible, so counts are answered
    /// from the indexes alone (an index-only scan); before it every count visited the table
    /// (a gender + place + age count: 230 ms before, 9 ms after, at 1.2 million). It takes
    /// about 2 s and cannot run inside the load's transaction.
    async fn after_load(pool: &sqlx::PgPool) -> Result<()> {
        sqlx::raw_sql("VACUUM persons").execute(pool).await.map_err(map_sqlx)?;
        Ok(())
    }

    /// PostgreSQL keeps documents as text (it compresses large values itself).
    fn doc_in(doc: String) -> String {
        doc
    }

    fn doc_of(row: &sqlx::postgres::PgRow) -> Result<String> {
        row.try_get("doc").map_err(map_sqlx)
    }

    /// PostgreSQL's COPY needs no tuning per load.
    async fn tune_for_load(
        _tx: &mut sqlx::Transaction<'static, Postgres>,
        _on: bool,
    ) -> Result<()> {
        Ok(())
    }

    async fn person_indexes(
        tx: &mut sqlx::Transaction<'static, Postgres>,
    ) -> Result<Vec<(String, String)>> {
        sqlx::query_as::<_, (String, String)>(
            "SELECT i.indexname AS name, i.indexdef AS sql FROM pg_indexes i \
             JOIN pg_namespace n ON n.nspname = i.schemaname \
             JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = n.oid \
             JOIN pg_index x ON x.indexrelid = c.oid \
             WHERE i.tablename = 'persons' AND i.schemaname = current_schema() \
             AND NOT x.indisunique AND NOT x.indisprimary ORDER BY i.indexname",
        )
        .fetch_all(&mut **tx)
        .await
        .map_err(map_sqlx)
    }
}

// Bulk insert, the other place the dialects differ: SQLite takes multi-row INSERTs in one
// transaction; PostgreSQL takes COPY (CSV), several times faster for a large population.

impl SqliteStore {
    async fn insert_persons(
        tx: &mut sqlx::Transaction<'static, Sqlite>,
        first: i64,
        rows: Vec<PersonRow>,
    ) -> Result<()> {
        let mut next = first;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<PersonRow> = rows.by_ref().take(PERSON_BATCH).collect();
            let start = next;
            next += chunk.len() as i64;
            Self::person_insert(start, chunk).build().execute(&mut **tx).await.map_err(map_sqlx)?;
        }
        Ok(())
    }

    fn person_insert(start: i64, chunk: Vec<PersonRow>) -> QueryBuilder<Sqlite> {
        let mut qb =
            QueryBuilder::<Sqlite>::new(format!("INSERT INTO persons ({PERSON_COLUMNS}) "));
        qb.push_values(chunk.into_iter().enumerate(), |mut b, (i, r)| {
            b.push_bind(start + i as i64)
                .push_bind(r.id)
                .push_bind(r.nin)
                .push_bind(r.origin)
                .push_bind(r.owner)
                .push_bind(r.given_name)
                .push_bind(r.family_name)
                .push_bind(r.birth_date)
                .push_bind(r.gender)
                .push_bind(r.status)
                .push_bind(r.municipality)
                .push_bind(r.postal_code)
                .push_bind(r.nin_type)
                .push_bind(r.marital_status)
                .push_bind(r.citizenship)
                .push_bind(r.confidentiality)
                .push_bind(i64::from(r.has_spouse))
                .push_bind(r.children)
                .push_bind(i64::from(r.has_parents))
                .push_bind(r.hpr_number)
                .push_bind(r.hpr_doc)
                .push_bind(i64::from(r.is_gp))
                .push_bind(r.gp_hpr)
                .push_bind(r.gp_since)
                .push_bind(Self::doc_in(r.doc));
        });
        qb
    }
}

impl PgStore {
    async fn insert_persons(
        tx: &mut sqlx::Transaction<'static, Postgres>,
        first: i64,
        rows: Vec<PersonRow>,
    ) -> Result<()> {
        let mut csv = String::with_capacity(rows.len() * 2800);
        for (i, r) in rows.into_iter().enumerate() {
            csv.push_str(&(first + i as i64).to_string());
            for field in [
                Some(r.id),
                Some(r.nin),
                Some(r.origin),
                r.owner,
                Some(r.given_name),
                Some(r.family_name),
                Some(r.birth_date),
                Some(r.gender),
                Some(r.status),
                r.municipality,
                r.postal_code,
                Some(r.nin_type),
                Some(r.marital_status),
                r.citizenship,
                r.confidentiality,
                Some(i64::from(r.has_spouse).to_string()),
                Some(r.children.to_string()),
                Some(i64::from(r.has_parents).to_string()),
                r.hpr_number,
                r.hpr_doc,
                Some(i64::from(r.is_gp).to_string()),
                r.gp_hpr,
                r.gp_since,
                Some(r.doc),
            ] {
                csv.push(',');
                // CSV: an unquoted empty field is NULL; a value is quoted, quotes doubled.
                if let Some(value) = field {
                    csv.push('"');
                    csv.push_str(&value.replace('"', "\"\""));
                    csv.push('"');
                }
            }
            csv.push('\n');
        }
        let statement = format!("COPY persons ({PERSON_COLUMNS}) FROM STDIN WITH (FORMAT csv)");
        let mut copy = (**tx).copy_in_raw(&statement).await.map_err(map_sqlx)?;
        copy.send(csv.as_bytes()).await.map_err(map_sqlx)?;
        copy.finish().await.map_err(map_sqlx)?;
        Ok(())
    }
}
