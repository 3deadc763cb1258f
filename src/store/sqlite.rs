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
}

impl SqliteStore {
    /// Appended to a row read that precedes an update in the same transaction. The
    /// single writer serialises transactions, so a plain read is enough (here and in the
    /// next; the exam batches also skip their up-front row locking).
    const ROW_LOCK: &'static str = "";

    /// Appended to the attempt reads of a batch of saves (the attempts table is `a`).
    const SHARE_LOCK: &'static str = "";

    /// The rows of the JSON array bound as `$1`, one per element, in a column `value`.
    /// Batch statements bind one JSON text rather than thousands of parameters: sqlx
    /// looks every SQLite parameter up by name, which SQLite answers by a linear scan,
    /// so a 5,500-parameter audit insert cost 15 million string compares (measured
    /// with `perf` during a start burst: 15 % of the server's CPU).
    const JSON_ROWS: &'static str = "json_each($1)";

    /// `id` is one of the JSON array of ids bound as `$1`.
    const IN_JSON_IDS: &'static str = " IN (SELECT CAST(value AS BIGINT) FROM json_each($1))";

    /// `token_hash` (or any text column before it) is one of the JSON array of strings
    /// bound as `$1`.
    const IN_JSON_TEXTS: &'static str = " IN (SELECT value FROM json_each($1))";

    const AUDIT_HEAD_LOCK: &'static str = "SELECT seq, hash FROM audit_head WHERE id = 1";

    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(opts.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts)
            .await?;
        Ok(SqliteStore { writer, reader })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// A write transaction that holds SQLite's write lock from its first statement. A
    /// deferred one that reads first fails at once with SQLITE_BUSY_SNAPSHOT (the busy
    /// timeout does not help) when another process, say a `skillcert import`, commits
    /// between its read and its first write; taking the lock up front waits instead.
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
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
        self.reader.close().await;
        self.writer.close().await;
    }
}

impl_store!(SqliteStore, sqlx::Sqlite, Backend::Sqlite);
impl_bank_store!(SqliteStore, sqlx::Sqlite);
impl_exam_store!(SqliteStore, sqlx::Sqlite);
