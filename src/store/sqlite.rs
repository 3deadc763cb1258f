//! The embedded SQLite backend: one file in the data folder, WAL, `synchronous=FULL`,
//! foreign keys on. All writes go through a single-connection writer pool, so write
//! transactions queue in the process instead of failing with `SQLITE_BUSY`, and the
//! audit chain head needs no row lock; reads use a separate pool that WAL lets run
//! beside the writer.
//!
//! The SQL itself is in `store/sql/`, written once and compiled here and in
//! [`super::postgres`]: each file there is a module of this one (by `#[path]`) and
//! names the database through `super::{Db, DbStore, dialect}`. Why not generics: sqlx's
//! executor and codec bounds make a generic implementation unreadable; why not a macro
//! (as before): code inside `macro_rules!` escapes rustfmt and reads poorly, while these
//! are plain modules that rustfmt formats and the compiler checks once per backend.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Result, SettingMismatch};
use crate::domain::audit::ChainKey;

use super::dialect::sqlite as dialect;
type Db = sqlx::Sqlite;
type DbStore = SqliteStore;

#[path = "sql/accounts.rs"]
mod accounts;
#[path = "sql/audit.rs"]
mod audit;
#[path = "sql/catalogue.rs"]
mod catalogue;
#[path = "sql/certificates.rs"]
mod certificates;
#[path = "sql/common.rs"]
mod common;
#[path = "sql/credit.rs"]
mod credit;
#[path = "sql/delivery.rs"]
mod delivery;
#[path = "sql/delivery_batch.rs"]
mod delivery_batch;
#[path = "sql/grading.rs"]
mod grading;
#[path = "sql/inspection.rs"]
mod inspection;
#[path = "sql/items.rs"]
mod items;
#[path = "sql/items_import.rs"]
mod items_import;
#[path = "sql/marking.rs"]
mod marking;
#[path = "sql/orgs.rs"]
mod orgs;
#[path = "sql/plans.rs"]
mod plans;
#[path = "sql/proctoring.rs"]
mod proctoring;
#[path = "sql/reviews.rs"]
mod reviews;
#[path = "sql/roster.rs"]
mod roster;
#[path = "sql/sessions.rs"]
mod sessions;
#[path = "sql/subsidies.rs"]
mod subsidies;
#[path = "sql/system.rs"]
mod system;
#[path = "sql/training.rs"]
mod training;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// The audit chain's key (derived from the master key; never stored here).
    chain_key: ChainKey,
}

impl SqliteStore {
    pub async fn connect(url: &str, max_connections: u32, chain_key: ChainKey) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // A commit that fails for want of room (or an I/O error) is rolled back by
            // SQLite itself; sqlx 0.8 then fails its own ROLLBACK and keeps counting the
            // connection as inside a transaction, so every later write on it would fail
            // ("begin_with at non-zero transaction depth") until a restart. Such a
            // connection is closed and a fresh one opened instead (found by the
            // full-disk test in `tests/crash.rs`).
            .before_acquire(|conn, _| {
                Box::pin(async move {
                    use sqlx::TransactionManager as _;
                    let depth =
                        <Db as sqlx::Database>::TransactionManager::get_transaction_depth(conn);
                    Ok(depth == 0)
                })
            })
            .connect_with(opts.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts)
            .await?;
        Ok(SqliteStore {
            writer,
            reader,
            chain_key,
        })
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
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, Db>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    async fn migrate_impl(&self) -> Result<()> {
        super::migrations::sqlite().run(&self.writer).await?;
        Ok(())
    }

    /// `PRAGMA integrity_check` and `foreign_key_check`: anything but a single `ok` and
    /// no violations is a problem.
    async fn engine_integrity(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.writer)
            .await?
            .into_iter()
            .filter(|r: &String| r != "ok")
            .map(|r| format!("integrity_check: {r}"))
            .collect();
        let fk = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&self.writer)
            .await?;
        if !fk.is_empty() {
            out.push(format!("foreign_key_check: {} violations", fk.len()));
        }
        Ok(out)
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
