//! Persistence (DESIGN §4, layer 3): one trait per concern, each of coarse, use-case-sized
//! methods, with a SQLite and a PostgreSQL implementation chosen by the URL scheme.
//! Transactions live inside the store; callers never see SQL or sqlx errors. Every
//! method that changes something takes the [`AuditEvent`](crate::domain::audit::AuditEvent)
//! that records it and appends it in the same transaction, so an action and its audit
//! entry commit together or not at all.
//!
//! The concerns, one trait and one file of SQL (`sql/<concern>.rs`) each:
//! [`accounts`] (people and accounts), [`sessions`] (sessions, tokens, login
//! throttling), [`orgs`], [`audit`],
//! [`catalogue`] (occupations, shortage catalogues, standards), [`items`] (banks and
//! items), [`plans`] (plans, sessions, roster, papers), [`delivery`] (the exam day and
//! its group commits), [`proctoring`], [`inspection`], [`grading`] (scores, results,
//! publication), [`certificates`], [`marking`] (assessor panels), [`reviews`]
//! (成绩复核) and [`subsidies`]. [`Store`] is all of
//! them.
//!
//! How one SQL file serves both databases: see [`sqlite`] and [`dialect`].

pub mod accounts;
pub mod audit;
pub mod catalogue;
pub mod certificates;
pub mod credit;
pub mod delivery;
pub mod dialect;
pub mod grading;
pub mod inspection;
pub mod items;
pub mod marking;
mod migrations;
pub mod orgs;
pub mod plans;
// The shared SQL of `sql/` is compiled once for each backend, on purpose (see `sqlite`).
#[allow(clippy::duplicate_mod)]
pub mod postgres;
pub mod proctoring;
pub mod reviews;
pub mod sessions;
#[allow(clippy::duplicate_mod)]
pub mod sqlite;
pub mod subsidies;
pub mod training;

pub use accounts::{AccountStore, Bootstrap, NewPerson, NewUser, Person, User, UserFilter};
pub use audit::{AuditQuery, AuditStore};
pub use catalogue::CatalogueStore;
pub use certificates::CertificateStore;
pub use credit::CreditStore;
pub use delivery::DeliveryStore;
pub use grading::GradingStore;
pub use inspection::InspectionStore;
pub use items::ItemStore;
pub use marking::MarkingStore;
pub use orgs::{NewOrg, Org, OrgFilter, OrgStore};
pub use plans::PlanStore;
pub use proctoring::ProctorStore;
pub use reviews::ReviewStore;
pub use sessions::{NewSession, SessionRecord, SessionStore};
pub use subsidies::SubsidyStore;
pub use training::TrainingStore;

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::audit::ChainKey;
use serde::Serialize;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was hit; `field` names the input that collides.
    #[error("{field} already exists")]
    Conflict {
        field: &'static str,
        code: &'static str,
    },
    /// The request contradicts stored state (e.g. a parent of the wrong kind).
    #[error("invalid: {field}: {code}")]
    Invalid {
        field: &'static str,
        code: &'static str,
    },
    /// A rule refused the request; `detail` says which record and why (e.g. the
    /// candidate and relation of a recusal).
    #[error("refused: {field}: {code}: {detail}")]
    Refused {
        field: &'static str,
        code: &'static str,
        detail: String,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Opens the store the URL names (`sqlite://path` or `postgres://…`); `chain_key` keys
/// the audit chain (`Keys::chain_key`).
pub async fn connect(
    url: &str,
    max_connections: u32,
    chain_key: ChainKey,
) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            sqlite::SqliteStore::connect(url, max_connections, chain_key).await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(
            postgres::PgStore::connect(url, max_connections, chain_key).await?,
        ))
    } else {
        Err(StoreError::UnsupportedUrl(
            url.split("://").next().unwrap_or("").to_string(),
        ))
    }
}

/// A durability setting that differs from what the brief requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingMismatch {
    pub setting: &'static str,
    pub expected: &'static str,
    pub actual: String,
}

/// The whole store: every concern, and the database itself.
#[async_trait]
pub trait Store:
    AccountStore
    + SessionStore
    + OrgStore
    + AuditStore
    + CatalogueStore
    + ItemStore
    + PlanStore
    + DeliveryStore
    + ProctorStore
    + InspectionStore
    + GradingStore
    + CertificateStore
    + MarkingStore
    + ReviewStore
    + SubsidyStore
    + CreditStore
    + TrainingStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
    /// Applies this backend's migrations.
    async fn migrate(&self) -> Result<()>;
    async fn ping(&self) -> Result<()>;
    /// Settings that differ from the durable ones (SQLite: WAL, synchronous=FULL, foreign
    /// keys; PostgreSQL: fsync, synchronous_commit). Start-up refuses to run if any.
    async fn durability_mismatches(&self) -> Result<Vec<SettingMismatch>>;
    /// What is wrong with the stored data, in words: the engine's own integrity check
    /// (SQLite `PRAGMA integrity_check` and foreign keys; PostgreSQL checks its pages
    /// itself) and states no sequence of requests can produce (an answer on an attempt
    /// that never started, an open attempt without a deadline, a finished one without
    /// its time, a score on an unfinished attempt, an answer beyond the paper). Empty
    /// when all is well. Used by `skillcert check` and the crash loop.
    async fn integrity_problems(&self) -> Result<Vec<String>>;
    async fn close(&self);

    /// Creates the regulator organisation and its first admin if no regulator exists yet.
    /// Returns the admin's user id when it created them.
    async fn bootstrap(&self, b: Bootstrap) -> Result<Option<i64>>;
}
