//! The PostgreSQL backend, for when one machine is not enough: several stateless app
//! processes share one database. Commits are durable only with `fsync` and
//! `synchronous_commit=on`, which start-up checks.

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{
    sql::impl_store, sql_banks::impl_bank_store, sql_exams::impl_exam_store, Result,
    SettingMismatch,
};

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Appended to a row read that precedes an update in the same transaction.
    const ROW_LOCK: &'static str = " FOR UPDATE";

    /// Appended to the attempt reads of a batch of saves (the attempts table is `a`).
    const SHARE_LOCK: &'static str = " FOR SHARE OF a";

    /// The rows of the JSON array bound as `$1`, one per element, in a column `value`
    /// (see the SQLite store for why batches bind JSON).
    const JSON_ROWS: &'static str = "jsonb_array_elements(CAST($1 AS jsonb))";

    /// `id` is one of the JSON array of ids bound as `$1`. As `= ANY` of an array the
    /// planner looks the ids up in the primary key whatever its statistics say; as `IN`
    /// with stale statistics it hashed every attempt with the same status instead.
    const IN_JSON_IDS: &'static str =
        " = ANY(ARRAY(SELECT CAST(value AS BIGINT) FROM jsonb_array_elements(CAST($1 AS jsonb))))";

    /// A text column is one of the JSON array of strings bound as `$1`.
    const IN_JSON_TEXTS: &'static str =
        " = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST($1 AS jsonb))))";

    /// Locks the chain head until commit, so concurrent writers (also in other processes)
    /// chain one after another.
    const AUDIT_HEAD_LOCK: &'static str =
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";

    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .connect(url)
            .await?;
        Ok(PgStore { pool })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    /// A write transaction (row locks do the ordering; see the SQLite store for why it
    /// differs there).
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.pool.begin().await
    }

    async fn migrate_impl(&self) -> Result<()> {
        // sqlx takes an advisory lock, so processes starting together migrate once.
        super::migrations::postgres().run(&self.pool).await?;
        Ok(())
    }

    async fn durability_impl(&self) -> Result<Vec<SettingMismatch>> {
        let mut out = Vec::new();
        let fsync: String = sqlx::query_scalar("SHOW fsync")
            .fetch_one(&self.pool)
            .await?;
        if fsync != "on" {
            out.push(SettingMismatch {
                setting: "fsync",
                expected: "on",
                actual: fsync,
            });
        }
        let sc: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&self.pool)
            .await?;
        if !matches!(sc.as_str(), "on" | "remote_write" | "remote_apply") {
            out.push(SettingMismatch {
                setting: "synchronous_commit",
                expected: "on",
                actual: sc,
            });
        }
        Ok(out)
    }

    async fn close_impl(&self) {
        self.pool.close().await;
    }
}

impl_store!(PgStore, sqlx::Postgres, Backend::Postgres);
impl_bank_store!(PgStore, sqlx::Postgres);
impl_exam_store!(PgStore, sqlx::Postgres);
