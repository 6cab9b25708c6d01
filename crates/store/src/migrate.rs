//! Versioned migrations, embedded in the binary (no files are read at run time).

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

/// (version, description, SQLite text, PostgreSQL text). A migration whose SQL is the same in
/// both dialects lives once in `migrations/`; one that differs gets a file in
/// `migrations/sqlite/` and one in `migrations/postgres/` (the sequence-numbered tables: SQLite's
/// `INTEGER PRIMARY KEY`, PostgreSQL's identity column).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "keys",
        include_str!("../migrations/0001_keys.sql"),
        include_str!("../migrations/0001_keys.sql"),
    ),
    (
        2,
        "clients",
        include_str!("../migrations/0002_clients.sql"),
        include_str!("../migrations/0002_clients.sql"),
    ),
    (
        3,
        "persons",
        include_str!("../migrations/0003_persons.sql"),
        include_str!("../migrations/0003_persons.sql"),
    ),
    (
        4,
        "replay",
        include_str!("../migrations/0004_replay.sql"),
        include_str!("../migrations/0004_replay.sql"),
    ),
    (
        5,
        "person search",
        include_str!("../migrations/0005_person_search.sql"),
        include_str!("../migrations/0005_person_search.sql"),
    ),
    (
        6,
        "health registers",
        include_str!("../migrations/0006_health_registers.sql"),
        include_str!("../migrations/0006_health_registers.sql"),
    ),
    (
        7,
        "search indexes",
        include_str!("../migrations/0007_search_indexes.sql"),
        include_str!("../migrations/0007_search_indexes.sql"),
    ),
    (
        8,
        "planner statistics",
        include_str!("../migrations/0008_analyze.sql"),
        include_str!("../migrations/0008_analyze.sql"),
    ),
    (
        9,
        "events",
        include_str!("../migrations/0009_events.sql"),
        include_str!("../migrations/0009_events.sql"),
    ),
    (
        10,
        "organizations",
        include_str!("../migrations/0010_organizations.sql"),
        include_str!("../migrations/0010_organizations.sql"),
    ),
    (
        11,
        "count indexes",
        include_str!("../migrations/0011_count_indexes.sql"),
        include_str!("../migrations/0011_count_indexes.sql"),
    ),
    (
        12,
        "client revocation",
        include_str!("../migrations/0012_client_revocation.sql"),
        include_str!("../migrations/0012_client_revocation.sql"),
    ),
    (
        13,
        "client tenancy",
        include_str!("../migrations/0013_client_tenancy.sql"),
        include_str!("../migrations/0013_client_tenancy.sql"),
    ),
    (
        14,
        "reserved index",
        include_str!("../migrations/0014_reserved_index.sql"),
        include_str!("../migrations/0014_reserved_index.sql"),
    ),
    (
        15,
        "authorization codes",
        include_str!("../migrations/0015_authorization_codes.sql"),
        include_str!("../migrations/0015_authorization_codes.sql"),
    ),
    (
        16,
        "altinn messages",
        include_str!("../migrations/sqlite/0016_altinn_messages.sql"),
        include_str!("../migrations/postgres/0016_altinn_messages.sql"),
    ),
    (
        17,
        "messages revision",
        include_str!("../migrations/0017_messages_revision.sql"),
        include_str!("../migrations/0017_messages_revision.sql"),
    ),
    (
        18,
        "altinn systems",
        include_str!("../migrations/0018_altinn_systems.sql"),
        include_str!("../migrations/0018_altinn_systems.sql"),
    ),
    (
        19,
        "message visibility",
        include_str!("../migrations/0019_message_visibility.sql"),
        include_str!("../migrations/0019_message_visibility.sql"),
    ),
    (
        20,
        "rate windows",
        include_str!("../migrations/0020_rate_windows.sql"),
        include_str!("../migrations/0020_rate_windows.sql"),
    ),
    (
        21,
        "web sessions",
        include_str!("../migrations/0021_web_sessions.sql"),
        include_str!("../migrations/0021_web_sessions.sql"),
    ),
    (
        22,
        "key last used",
        include_str!("../migrations/0022_key_last_used.sql"),
        include_str!("../migrations/0022_key_last_used.sql"),
    ),
    (
        23,
        "notification addresses",
        include_str!("../migrations/sqlite/0023_notification_addresses.sql"),
        include_str!("../migrations/postgres/0023_notification_addresses.sql"),
    ),
    (
        24,
        "person changes",
        include_str!("../migrations/0024_person_changes.sql"),
        include_str!("../migrations/0024_person_changes.sql"),
    ),
];

/// The newest schema version this binary knows.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0)
}

pub(crate) fn migrator(postgres: bool) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, sqlite, pg)| {
                let sql = if postgres { pg } else { sqlite };
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    AssertSqlSafe(sql).into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}
