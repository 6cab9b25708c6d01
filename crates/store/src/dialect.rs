//! Everything that differs between SQLite and PostgreSQL, in one place: the pool, transaction
//! and row types behind one enum each, how arguments are bound, how a document is stored
//! (packed bytes on SQLite, text on PostgreSQL), which index the reserved-persons part of a
//! search is pinned to, how a bulk load empties, fills, tunes and finishes the persons table
//! (multi-row INSERT vs COPY), how each catalog lists that table's indexes, and how the
//! database's size is read. The aggregates' modules hold the SQL both share.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, Decode, PgPool, Postgres, Row, Sqlite, SqlitePool, Type};

use crate::error::map_sqlx;
use crate::model::PersonFilter;
use crate::sql::{Arg, Dialect, Sql};
use crate::{Result, StoreError};

/// A connection pool of either database.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction of either database.
#[derive(Debug)]
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// A result row of either database.
#[derive(Debug)]
pub(crate) enum DbRow {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

fn bad_arg(e: sqlx::error::BoxDynError) -> StoreError {
    StoreError::Internal(format!("cannot bind an argument: {e}"))
}

/// The arguments of one statement, bound for database `A::Database`.
fn bound<A>(args: Vec<Arg>) -> Result<A>
where
    A: Arguments,
    for<'t> Option<String>: sqlx::Encode<'t, A::Database> + Type<A::Database>,
    for<'t> Option<i64>: sqlx::Encode<'t, A::Database> + Type<A::Database>,
    for<'t> Vec<u8>: sqlx::Encode<'t, A::Database> + Type<A::Database>,
{
    let mut out = A::default();
    for arg in args {
        match arg {
            Arg::Text(v) => out.add(v),
            Arg::Int(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
        }
        .map_err(bad_arg)?;
    }
    Ok(out)
}

pub(crate) fn sqlite_query(q: Sql) -> Result<sqlx::query::Query<'static, Sqlite, SqliteArguments>> {
    Ok(sqlx::query_with(AssertSqlSafe(q.text), bound::<SqliteArguments>(q.args)?))
}

pub(crate) fn pg_query(q: Sql) -> Result<sqlx::query::Query<'static, Postgres, PgArguments>> {
    Ok(sqlx::query_with(AssertSqlSafe(q.text), bound::<PgArguments>(q.args)?))
}

impl Db {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A statement in this database's dialect.
    pub(crate) fn sql(&self, text: impl Into<String>) -> Sql {
        Sql::new(self.dialect(), text)
    }

    pub(crate) async fn fetch_all(&self, q: Sql) -> Result<Vec<DbRow>> {
        Ok(match self {
            Db::Sqlite(p) => sqlite_query(q)?
                .fetch_all(p)
                .await
                .map_err(map_sqlx)?
                .into_iter()
                .map(DbRow::Sqlite)
                .collect(),
            Db::Postgres(p) => pg_query(q)?
                .fetch_all(p)
                .await
                .map_err(map_sqlx)?
                .into_iter()
                .map(DbRow::Postgres)
                .collect(),
        })
    }

    pub(crate) async fn fetch_optional(&self, q: Sql) -> Result<Option<DbRow>> {
        Ok(match self {
            Db::Sqlite(p) => {
                sqlite_query(q)?.fetch_optional(p).await.map_err(map_sqlx)?.map(DbRow::Sqlite)
            }
            Db::Postgres(p) => {
                pg_query(q)?.fetch_optional(p).await.map_err(map_sqlx)?.map(DbRow::Postgres)
            }
        })
    }

    pub(crate) async fn fetch_one(&self, q: Sql) -> Result<DbRow> {
        self.fetch_optional(q)
            .await?
            .ok_or_else(|| StoreError::Internal("a query that returns a row returned none".into()))
    }

    /// Runs `q`; how many rows it changed.
    pub(crate) async fn execute(&self, q: Sql) -> Result<u64> {
        Ok(match self {
            Db::Sqlite(p) => sqlite_query(q)?.execute(p).await.map_err(map_sqlx)?.rows_affected(),
            Db::Postgres(p) => pg_query(q)?.execute(p).await.map_err(map_sqlx)?.rows_affected(),
        })
    }

    /// Runs statements without arguments (several, separated by `;`).
    pub(crate) async fn raw(&self, text: &str) -> Result<()> {
        let text = AssertSqlSafe(text.to_owned());
        match self {
            Db::Sqlite(p) => sqlx::raw_sql(text).execute(p).await.map(drop),
            Db::Postgres(p) => sqlx::raw_sql(text).execute(p).await.map(drop),
        }
        .map_err(map_sqlx)
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await.map_err(map_sqlx)?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await.map_err(map_sqlx)?),
        })
    }

    /// A transaction that holds, from its first statement on, what orders it against others:
    /// SQLite takes the writer's lock at `BEGIN IMMEDIATE` (a deferred transaction that reads
    /// first could not write after another writer's commit); PostgreSQL takes the advisory
    /// locks named `what` (see [`Tx::lock`]), in the order given.
    pub(crate) async fn begin_serial(&self, what: &[String]) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await.map_err(map_sqlx)?),
            Db::Postgres(_) => {
                let mut tx = self.begin().await?;
                for name in what {
                    tx.lock(name).await?;
                }
                tx
            }
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// The database's size on disk, in bytes.
    pub(crate) async fn size_bytes(&self) -> Result<u64> {
        let q = self.sql(match self {
            Db::Sqlite(_) => {
                "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()"
            }
            Db::Postgres(_) => {
                "SELECT CAST(COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS BIGINT) AS n \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            }
        });
        Ok(u64::try_from(self.fetch_one(q).await?.int("n")?).unwrap_or(0))
    }

    /// After a load has committed. PostgreSQL: a vacuum marks the new pages all-visible, so
    /// counts are answered from the indexes alone (a gender + place + age count: 230 ms before,
    /// 9 ms after, at 1.2 million); it takes about 2 s and cannot run inside the load's
    /// transaction. SQLite's indexes need no visibility map.
    pub(crate) async fn after_load(&self) -> Result<()> {
        match self {
            Db::Sqlite(_) => Ok(()),
            Db::Postgres(_) => self.raw("VACUUM persons").await,
        }
    }
}

impl Tx {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    pub(crate) fn sql(&self, text: impl Into<String>) -> Sql {
        Sql::new(self.dialect(), text)
    }

    pub(crate) async fn fetch_all(&mut self, q: Sql) -> Result<Vec<DbRow>> {
        Ok(match self {
            Tx::Sqlite(t) => sqlite_query(q)?
                .fetch_all(&mut **t)
                .await
                .map_err(map_sqlx)?
                .into_iter()
                .map(DbRow::Sqlite)
                .collect(),
            Tx::Postgres(t) => pg_query(q)?
                .fetch_all(&mut **t)
                .await
                .map_err(map_sqlx)?
                .into_iter()
                .map(DbRow::Postgres)
                .collect(),
        })
    }

    pub(crate) async fn fetch_one(&mut self, q: Sql) -> Result<DbRow> {
        let row = match self {
            Tx::Sqlite(t) => sqlite_query(q)?
                .fetch_optional(&mut **t)
                .await
                .map_err(map_sqlx)?
                .map(DbRow::Sqlite),
            Tx::Postgres(t) => {
                pg_query(q)?.fetch_optional(&mut **t).await.map_err(map_sqlx)?.map(DbRow::Postgres)
            }
        };
        row.ok_or_else(|| StoreError::Internal("a query that returns a row returned none".into()))
    }

    pub(crate) async fn execute(&mut self, q: Sql) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(t) => {
                sqlite_query(q)?.execute(&mut **t).await.map_err(map_sqlx)?.rows_affected()
            }
            Tx::Postgres(t) => {
                pg_query(q)?.execute(&mut **t).await.map_err(map_sqlx)?.rows_affected()
            }
        })
    }

    pub(crate) async fn raw(&mut self, text: &str) -> Result<u64> {
        let text = AssertSqlSafe(text.to_owned());
        Ok(match self {
            Tx::Sqlite(t) => {
                sqlx::raw_sql(text).execute(&mut **t).await.map_err(map_sqlx)?.rows_affected()
            }
            Tx::Postgres(t) => {
                sqlx::raw_sql(text).execute(&mut **t).await.map_err(map_sqlx)?.rows_affected()
            }
        })
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
        .map_err(map_sqlx)
    }

    /// Holds PostgreSQL's transaction-scoped advisory lock named `what` (in this schema, so
    /// that databases shared by several schemas do not wait on each other) until commit or
    /// rollback; taking it twice is allowed. Under READ COMMITTED every later statement then
    /// sees what the lock's previous holder committed. SQLite needs none: its writer's lock
    /// already orders write transactions.
    pub(crate) async fn lock(&mut self, what: &str) -> Result<()> {
        if let Tx::Postgres(_) = self {
            let mut q =
                self.sql("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.' || ");
            q.bind(what).push("))");
            self.fetch_all(q).await?;
        }
        Ok(())
    }

    /// The highest `seq` of `table` (0 when empty): new rows take the numbers after it. On
    /// PostgreSQL two transactions would otherwise read the same top and one would fail on
    /// the key, so the allocation holds the table's lock until commit.
    pub(crate) async fn top_seq(&mut self, table: &'static str) -> Result<i64> {
        self.lock(table).await?;
        let q = self.sql(format!("SELECT COALESCE(MAX(seq), 0) AS n FROM {table}"));
        self.fetch_one(q).await?.int("n")
    }

    /// The persons table's secondary indexes: name and the statement that makes it
    /// (constraint indexes — primary key, UNIQUE — are not listed: they stay).
    pub(crate) async fn person_indexes(&mut self) -> Result<Vec<(String, String)>> {
        let q = self.sql(match self {
            Tx::Sqlite(_) => {
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name = 'persons' AND sql IS NOT NULL ORDER BY name"
            }
            Tx::Postgres(_) => {
                "SELECT i.indexname AS name, i.indexdef AS sql FROM pg_indexes i \
                 JOIN pg_namespace n ON n.nspname = i.schemaname \
                 JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = n.oid \
                 JOIN pg_index x ON x.indexrelid = c.oid \
                 WHERE i.tablename = 'persons' AND i.schemaname = current_schema() \
                 AND NOT x.indisunique AND NOT x.indisprimary ORDER BY i.indexname"
            }
        });
        let rows = self.fetch_all(q).await?;
        rows.iter().map(|r| Ok((r.text("name")?, r.text("sql")?))).collect()
    }

    /// Settings for a load's connection (`on`), and back to the defaults after it, so the
    /// pooled connection does not keep the memory. SQLite: a big page cache and a second thread
    /// for the sorts that rebuild the indexes. Its `analysis_limit` stays 0, so the load's
    /// ANALYZE reads every row: a limited one reads only the first rows of each index, and an
    /// index that opens with a value shared by a million rows was recorded as 2,001 rows a
    /// value. PostgreSQL's COPY needs no tuning.
    pub(crate) async fn tune_for_load(&mut self, on: bool) -> Result<()> {
        if let Tx::Sqlite(_) = self {
            let pragmas = if on {
                format!("PRAGMA cache_size = -{LOAD_CACHE_KIB}; PRAGMA threads = 2")
            } else {
                "PRAGMA cache_size = -2000; PRAGMA threads = 0".to_owned()
            };
            self.raw(&pragmas).await?;
        }
        Ok(())
    }

    /// Takes every person of `origin` away. SQLite empties a table without a `WHERE` by
    /// letting its pages go wholesale, where a `WHERE` frees them row by row — most of the time
    /// of replacing a loaded 1.2 million — so the persons to keep (reserved ones, few) are set
    /// aside and put back, `seq` and all. PostgreSQL's `TRUNCATE` would lock out every reader
    /// for the whole load; a `DELETE` keeps the old population readable until the load commits.
    pub(crate) async fn delete_origin(&mut self, origin: &str) -> Result<()> {
        match self {
            Tx::Sqlite(_) => {
                let mut q = self.sql(
                    "CREATE TEMP TABLE kept_persons AS SELECT * FROM persons WHERE origin <> ",
                );
                q.bind(origin);
                self.execute(q).await?;
                self.raw(
                    "DELETE FROM persons; INSERT INTO persons SELECT * FROM kept_persons; \
                     DROP TABLE kept_persons",
                )
                .await?;
            }
            Tx::Postgres(_) => {
                let mut q = self.sql("DELETE FROM persons WHERE origin = ");
                q.bind(origin);
                self.execute(q).await?;
            }
        }
        Ok(())
    }

    /// Inserts rows of `columns` in bulk: SQLite takes multi-row INSERTs of [`BATCH`] rows in
    /// the transaction; PostgreSQL takes COPY (CSV), several times faster for a large load.
    pub(crate) async fn insert_bulk<const N: usize>(
        &mut self,
        table: &str,
        columns: &[&str; N],
        rows: Vec<[Arg; N]>,
    ) -> Result<()> {
        let columns = columns.join(", ");
        match self {
            Tx::Sqlite(_) => {
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let mut q = self.sql(format!("INSERT INTO {table} ({columns})"));
                    q.values(rows.by_ref().take(BATCH));
                    self.execute(q).await?;
                }
                Ok(())
            }
            Tx::Postgres(t) => {
                let mut csv = String::with_capacity(rows.len() * 2800);
                for row in rows {
                    for (i, arg) in row.into_iter().enumerate() {
                        if i > 0 {
                            csv.push(',');
                        }
                        csv_field(&mut csv, arg)?;
                    }
                    csv.push('\n');
                }
                let statement = format!("COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)");
                let mut copy = (**t).copy_in_raw(&statement).await.map_err(map_sqlx)?;
                copy.send(csv.as_bytes()).await.map_err(map_sqlx)?;
                copy.finish().await.map_err(map_sqlx)?;
                Ok(())
            }
        }
    }
}

/// One CSV field for COPY: an unquoted empty field is NULL; a value is quoted, quotes doubled.
fn csv_field(csv: &mut String, arg: Arg) -> Result<()> {
    match arg {
        Arg::Text(None) | Arg::Int(None) => {}
        Arg::Int(Some(n)) => csv.push_str(&n.to_string()),
        Arg::Text(Some(v)) => {
            csv.push('"');
            csv.push_str(&v.replace('"', "\"\""));
            csv.push('"');
        }
        Arg::Bytes(_) => {
            return Err(StoreError::Internal("COPY takes no binary values here".into()));
        }
    }
    Ok(())
}

/// Rows per multi-row INSERT: 25 columns × 400 stays far below both databases' bind limits.
pub(crate) const BATCH: usize = 400;

/// Page cache for a load, in KiB: the two unique indexes (random keys) stay in memory while
/// the table grows at its end, so a row costs no page reads. Inside the 1.5 GiB load budget.
const LOAD_CACHE_KIB: i64 = 384 * 1024;

/// A person's document as stored: packed bytes on SQLite (see `packed`), text on PostgreSQL
/// (which compresses large values itself).
pub(crate) fn doc_in(dialect: Dialect, doc: String) -> Arg {
    match dialect {
        Dialect::Sqlite => Arg::Bytes(crate::packed::pack(&doc)),
        Dialect::Postgres => Arg::Text(Some(doc)),
    }
}

/// Appends the table a person query reads, pinned where the statistics cannot be trusted to
/// choose: reserved persons are always read through `persons_reserved` (migration 14). Sampled
/// or exact, SQLite's statistics hold one average per index, and an average cannot tell that
/// 1.2 million rows share `origin` while almost none are the caller's: SQLite is told the index
/// (`INDEXED BY`). PostgreSQL takes no hints; there the reserved persons of the filter's owner
/// are selected in a subquery the planner may not merge with the rest of the filter (`OFFSET 0`
/// keeps the outer conditions out of it), and the one index that serves its `origin` and
/// `owner` is `persons_reserved`.
pub(crate) fn push_persons_for(q: &mut Sql, filter: &PersonFilter) {
    if filter.origin.as_deref() != Some("Reserved") {
        q.push(" FROM persons");
        return;
    }
    match q.dialect {
        Dialect::Sqlite => {
            q.push(" FROM persons INDEXED BY persons_reserved");
        }
        Dialect::Postgres => {
            q.push(" FROM (SELECT * FROM persons WHERE origin = 'Reserved'");
            if let Some(owner) = &filter.visible_to {
                q.push(" AND owner = ").bind(owner);
            }
            q.push(" OFFSET 0) AS persons");
        }
    }
}

impl DbRow {
    /// The value of `column`, decoded as `T`.
    pub(crate) fn get<T>(&self, column: &str) -> Result<T>
    where
        T: for<'r> Decode<'r, Sqlite>
            + Type<Sqlite>
            + for<'r> Decode<'r, Postgres>
            + Type<Postgres>,
    {
        match self {
            DbRow::Sqlite(r) => r.try_get(column),
            DbRow::Postgres(r) => r.try_get(column),
        }
        .map_err(map_sqlx)
    }

    pub(crate) fn text(&self, column: &str) -> Result<String> {
        self.get(column)
    }

    pub(crate) fn opt_text(&self, column: &str) -> Result<Option<String>> {
        self.get(column)
    }

    pub(crate) fn int(&self, column: &str) -> Result<i64> {
        self.get(column)
    }

    pub(crate) fn opt_int(&self, column: &str) -> Result<Option<i64>> {
        self.get(column)
    }

    /// A 0/1 integer column as a boolean.
    pub(crate) fn flag(&self, column: &str) -> Result<bool> {
        Ok(self.int(column)? != 0)
    }

    /// A document column, unpacked where it is stored packed.
    pub(crate) fn doc(&self, column: &str) -> Result<String> {
        match self {
            DbRow::Sqlite(r) => crate::packed::unpack(r.try_get(column).map_err(map_sqlx)?),
            DbRow::Postgres(r) => r.try_get(column).map_err(map_sqlx),
        }
    }
}
