//! Helpers for tests that must run against every backend: SQLite always, PostgreSQL when
//! `FJELLPORT_TEST_DATABASE_URL` is set. Each PostgreSQL test gets a schema of its own, so
//! parallel tests never share state.

use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that switches the PostgreSQL tests on.
pub const PG_ENV: &str = "FJELLPORT_TEST_DATABASE_URL";

/// A fresh, empty PostgreSQL schema and a URL whose connections use it, or `None` when the
/// PostgreSQL tests are off.
pub async fn fresh_postgres_url() -> Option<String> {
    let base = prerequisite(PG_ENV, "the PostgreSQL tests")?;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "fjp_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos_now()
    );
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
    let create = format!("CREATE SCHEMA {schema}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut conn)
        .await
        .expect("create test schema");
    let _ = conn.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

/// Replaces every person of `origin` with `rows`, in one load (all or nothing).
pub async fn replace_persons(
    store: &dyn crate::PersonStore,
    origin: &str,
    rows: &[crate::PersonRow],
) -> crate::Result<()> {
    let mut load = store.load_persons(origin).await?;
    load.add(rows.to_vec()).await?;
    load.commit().await
}

/// The value of the environment variable `var` that a test needs (`what` names the tests). When
/// it is unset: under `CI=true` the test fails, because a CI run that silently skips is a green
/// run that checked nothing; elsewhere the test says on stderr that it skipped, and gets `None`.
pub fn prerequisite(var: &str, what: &str) -> Option<String> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match decide(std::env::var(var).ok(), ci) {
        Decision::Run(value) => Some(value),
        Decision::Fail => panic!("CI=true but {var} is not set: {what} cannot run (see .ci/run)"),
        Decision::Skip => {
            eprintln!("skipped: {what} ({var} is not set; see .ci/run)");
            None
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Run(String),
    Skip,
    Fail,
}

/// The rule of [`prerequisite`], apart from the process environment.
fn decide(value: Option<String>, ci: bool) -> Decision {
    match value.filter(|v| !v.is_empty()) {
        Some(v) => Decision::Run(v),
        None if ci => Decision::Fail,
        None => Decision::Skip,
    }
}

fn nanos_now() -> u32 {
    #[allow(clippy::disallowed_methods)] // only to make schema names unique across runs
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_prerequisite_fails_under_ci_and_skips_elsewhere() {
        assert_eq!(decide(Some("x".into()), true), Decision::Run("x".into()));
        assert_eq!(decide(None, true), Decision::Fail);
        assert_eq!(decide(Some(String::new()), true), Decision::Fail, "empty counts as unset");
        assert_eq!(decide(None, false), Decision::Skip);
    }
}
