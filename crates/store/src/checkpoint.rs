//! WAL checkpoints of a serving SQLite database, off the writers' path. SQLite's automatic
//! checkpoint runs inside the commit that crosses 1,000 WAL pages: with 10 KB messages
//! arriving at 1,000 a second that was a 16 MB copy every second or two inside some caller's
//! request, and the slowest percent of sendings waited 30–50 ms for it. A server turns the
//! automatic checkpoint off on its connections and checkpoints here instead, every [`EVERY`]:
//! first `PASSIVE`, which copies what no reader still needs while writers go on appending.
//! Such a checkpoint rarely catches up with a writer that never pauses, and SQLite starts the
//! WAL over only after one has: so when the WAL holds more than [`RESTART_FRAMES`], a second
//! checkpoint runs while the message writer waits at the gate (the little copied since the
//! first), and the next write starts the WAL from the beginning. The WAL stays bounded; a
//! caller waits for a short copy, never for a 16 MB one.
//! Commands (a load, `altinn send-correspondence`) keep SQLite's automatic checkpoint.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Row, SqlitePool};
use tokio::sync::{Mutex, oneshot};

/// How often the checkpoint runs: small copies often. Each checkpoint ends in an `fsync` of
/// the database file, and one that flushed 250 ms of writes (30 MB at 1,000 sendings a second)
/// held up the WAL's own writes behind it: p99 14–52 ms at 1,000/s offered, against 6–10 ms
/// at 50 ms.
const EVERY: Duration = Duration::from_millis(50);
/// WAL frames (pages) past which the writer is held for a checkpoint that completes:
/// 2,048 × 16 KiB = 32 MiB.
const RESTART_FRAMES: i64 = 2_048;

/// Stops the checkpoint task when dropped (with the store that owns it).
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: oneshot::Sender<()>,
}

/// WAL frames past which the checkpoint is a `RESTART`, which waits for every writer (not only
/// the message writer: reservations and key changes write through the pool) and reader: the
/// bound that holds whatever else writes without pause. 8,192 × 16 KiB = 128 MiB.
const HARD_FRAMES: i64 = 8_192;

/// A `PASSIVE` (or `RESTART`) checkpoint: the frames in the WAL and how many are now in the database file.
async fn checkpoint(pool: &SqlitePool, restart: bool) -> sqlx::Result<(i64, i64)> {
    if !restart {
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(pool).await?;
        return Ok((row.try_get(1)?, row.try_get(2)?));
    }
    // A RESTART that waits (in the busy handler, up to the connection's 5 s) holds every other
    // writer off meanwhile: it tries once, on a connection of its own, and the next round
    // tries again.
    let mut conn = pool.acquire().await?;
    sqlx::query("PRAGMA busy_timeout = 0").execute(&mut *conn).await?;
    let row = sqlx::query("PRAGMA wal_checkpoint(RESTART)").fetch_one(&mut *conn).await;
    let restore = format!("PRAGMA busy_timeout = {}", crate::open::BUSY_TIMEOUT_MS);
    sqlx::query(sqlx::AssertSqlSafe(restore)).execute(&mut *conn).await?;
    let row = row?;
    Ok((row.try_get(1)?, row.try_get(2)?))
}

impl Checkpointer {
    /// Starts checkpointing `pool` on the current Tokio runtime; `gate` is held by the
    /// message writer around each of its transactions.
    pub(crate) fn start(pool: SqlitePool, gate: Arc<Mutex<()>>) -> Checkpointer {
        let (stop, mut stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {}
                }
                if pool.is_closed() {
                    break;
                }
                let result = match checkpoint(&pool, false).await {
                    Ok((log, _)) if log > RESTART_FRAMES => {
                        let _held = gate.lock().await;
                        checkpoint(&pool, log > HARD_FRAMES).await
                    }
                    other => other,
                };
                if let Err(e) = result {
                    tracing::debug!(error = %e, "WAL checkpoint skipped");
                }
            }
        });
        Checkpointer { _stop: stop }
    }
}
