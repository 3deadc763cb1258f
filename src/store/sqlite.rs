//! The embedded SQLite backend: one file in the data folder, WAL, `synchronous=FULL`,
//! foreign keys on. All writes go through a single-connection writer pool, so write
//! transactions queue in the process instead of failing with `SQLITE_BUSY`, and the
//! audit chain head needs no row lock; reads use a separate pool that WAL lets run
//! beside the writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{
    sql::impl_store, sql_banks::impl_bank_store, sql_exams::impl_exam_store, Result,
    SettingMismatch,
};

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    checkpointer: SqlitePool,
}

/// How often the WAL is copied into the database. Between two checkpoints the WAL grows
/// by what was written meanwhile (at 6,600 saves/s, a few megabytes).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Checkpoints the WAL on its own connection until the store closes. `PASSIVE` never
/// waits for the writer or for readers: it copies what it can, and the WAL starts
/// over once everything in it has been copied and no reader still needs it.
fn spawn_checkpointer(pool: SqlitePool) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            if pool.is_closed() {
                return;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}

impl SqliteStore {
    /// Appended to the attempt read of an answer save. The single writer serialises
    /// transactions, so a plain read is enough (here and in the next two).
    const SHARE_LOCK: &'static str = "";

    /// Appended to a row read that precedes an update in the same transaction.
    const ROW_LOCK: &'static str = "";

    /// The rows of the JSON array bound as `$1`, one per element, in a column `value`.
    /// Batch statements bind one JSON text rather than thousands of parameters: sqlx
    /// looks every SQLite parameter up by name, which SQLite answers by a linear scan,
    /// so a 5,500-parameter audit insert cost 15 million string compares (measured
    /// with `perf` during a start burst: 15 % of the server's CPU).
    const JSON_ROWS: &'static str = "json_each($1)";

    /// `id` is one of the JSON array of ids bound as `$1`.
    const IN_JSON_IDS: &'static str = " IN (SELECT CAST(value AS BIGINT) FROM json_each($1))";

    const AUDIT_HEAD_LOCK: &'static str = "SELECT seq, hash FROM audit_head WHERE id = 1";

    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The writer never checkpoints: a checkpoint copies the WAL into the database
        // and fsyncs it, and done by the writer at the end of a commit (SQLite's
        // default, every 1,000 pages) it stalled every exam save queued behind that
        // commit; under 6,600 saves/s that was several times a second. A connection of
        // its own checkpoints instead (`spawn_checkpointer`), beside the writer.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(opts.clone().pragma("wal_autocheckpoint", "0"))
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts.clone())
            .await?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        spawn_checkpointer(checkpointer.clone());
        Ok(SqliteStore {
            writer,
            reader,
            checkpointer,
        })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    async fn migrate_impl(&self) -> Result<()> {
        super::migrations::sqlite().run(&self.writer).await?;
        Ok(())
    }

    async fn durability_impl(&self) -> Result<Vec<SettingMismatch>> {
        let mut out = Vec::new();
        for pool in [&self.writer, &self.reader] {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await?;
            if !mode.eq_ignore_ascii_case("wal") {
                out.push(SettingMismatch {
                    setting: "journal_mode",
                    expected: "wal",
                    actual: mode,
                });
            }
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(pool)
                .await?;
            if sync != 2 {
                out.push(SettingMismatch {
                    setting: "synchronous",
                    expected: "2 (FULL)",
                    actual: sync.to_string(),
                });
            }
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(pool)
                .await?;
            if fk != 1 {
                out.push(SettingMismatch {
                    setting: "foreign_keys",
                    expected: "1",
                    actual: fk.to_string(),
                });
            }
        }
        Ok(out)
    }

    async fn close_impl(&self) {
        self.checkpointer.close().await;
        self.reader.close().await;
        // The last connection to close checkpoints whatever the WAL still holds.
        self.writer.close().await;
    }
}

impl_store!(SqliteStore, sqlx::Sqlite, Backend::Sqlite);
impl_bank_store!(SqliteStore, sqlx::Sqlite);
impl_exam_store!(SqliteStore, sqlx::Sqlite);
