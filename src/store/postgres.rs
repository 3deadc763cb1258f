//! The PostgreSQL backend, for when one machine is not enough: several stateless app
//! processes share one database. Commits are durable only with `fsync` and
//! `synchronous_commit=on`, which start-up checks. The SQL is the shared one of
//! `store/sql/` (see [`super::sqlite`] for how it is compiled for each backend).

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{Result, SettingMismatch};
use crate::domain::audit::ChainKey;

use super::dialect::postgres as dialect;
type Db = sqlx::Postgres;
type DbStore = PgStore;

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

pub struct PgStore {
    pool: PgPool,
    /// The audit chain's key (derived from the master key; never stored here).
    chain_key: ChainKey,
}

impl PgStore {
    pub async fn connect(url: &str, max_connections: u32, chain_key: ChainKey) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .connect(url)
            .await?;
        Ok(PgStore { pool, chain_key })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    /// A write transaction (row locks do the ordering; see the SQLite store for why it
    /// differs there).
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, Db>> {
        self.pool.begin().await
    }

    async fn migrate_impl(&self) -> Result<()> {
        // sqlx takes an advisory lock, so processes starting together migrate once.
        super::migrations::postgres().run(&self.pool).await?;
        Ok(())
    }

    /// PostgreSQL checks its own pages (and fsync is required at start-up); what is
    /// left to check are the invariants [`crate::store::Store::integrity_problems`] runs.
    async fn engine_integrity(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
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
