//! Persistence (DESIGN §4, layer 3): one trait of coarse, use-case-sized methods, with a
//! SQLite and a PostgreSQL implementation chosen by the URL scheme. Transactions live
//! inside the store; callers never see SQL or sqlx errors. Every method that changes
//! something takes the [`AuditEvent`] that records it and appends it in the same
//! transaction, so an action and its audit entry commit together or not at all.

pub mod banks;
pub mod exams;
mod migrations;
pub mod postgres;
mod sql;
mod sql_banks;
mod sql_exams;
pub mod sqlite;

pub use banks::BankStore;
pub use exams::ExamStore;
// Transitional names of the concerns (split by aggregate in the next step).
pub use self::banks as catalogue;
pub use self::exams as delivery;
pub use self::exams as inspection;
pub use self::exams as plans;
pub use self::exams as proctoring;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use crate::domain::audit::{AuditEntry, AuditEvent};
use crate::domain::identity::DocumentType;
use crate::domain::org::{BodyType, OrgKind, OrgStatus, ScopeEntry};
use crate::domain::policy::{Grant, Principal};
use crate::domain::role::Role;

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

/// Opens the store the URL names (`sqlite://path` or `postgres://…`).
pub async fn connect(url: &str, max_connections: u32) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            sqlite::SqliteStore::connect(url, max_connections).await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(
            postgres::PgStore::connect(url, max_connections).await?,
        ))
    } else {
        Err(StoreError::UnsupportedUrl(
            url.split("://").next().unwrap_or("").to_string(),
        ))
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Org {
    pub id: i64,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub body_id: Option<i64>,
    pub name: String,
    pub name_en: Option<String>,
    pub body_type: Option<BodyType>,
    pub body_code: Option<String>,
    pub province_code: Option<String>,
    pub site_code: Option<String>,
    pub address: Option<String>,
    pub status: OrgStatus,
    pub created_at_ms: i64,
}

impl Org {
    pub fn as_ref(&self) -> crate::domain::policy::OrgRef {
        crate::domain::policy::OrgRef {
            id: self.id,
            kind: self.kind,
            body_id: self.body_id,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub name: String,
    pub name_en: Option<String>,
    pub body_type: Option<BodyType>,
    pub body_code: Option<String>,
    pub province_code: Option<String>,
    pub site_code: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub parent_id: Option<i64>,
    pub body_id: Option<i64>,
    pub kind: Option<OrgKind>,
}

/// A real-name record as stored: the document is encrypted, with a keyed look-up hash.
#[derive(Clone)]
pub struct NewPerson {
    pub name: String,
    pub document_type: DocumentType,
    pub document_cipher: Vec<u8>,
    pub document_lookup: String,
    pub document_masked: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub document_type: DocumentType,
    pub document_masked: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
}

#[derive(Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
    pub org_id: i64,
    pub person: Option<NewPerson>,
    pub roles: Vec<Role>,
    pub granted_by: Option<i64>,
    pub must_change_password: bool,
    /// A real-name record already on file is taken for the account only when the person
    /// is on a roster of this body (the account's own); anywhere else the document is a
    /// conflict as before, so no body learns anything about another's candidates.
    pub link_body: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub org_id: i64,
    pub person_id: Option<i64>,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Users whose home organisation belongs to this body.
    pub body_id: Option<i64>,
}

/// A signed-in session as the web layer needs it.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub now_ms: i64,
    pub expires_at_ms: i64,
}

/// Everything needed on the very first start.
pub struct Bootstrap {
    pub regulator_name: String,
    pub admin_login: String,
    pub admin_display_name: String,
    pub admin_password_hash: String,
    pub must_change_password: bool,
    pub now_ms: i64,
}

/// A durability setting that differs from what the brief requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingMismatch {
    pub setting: &'static str,
    pub expected: &'static str,
    pub actual: String,
}

/// The whole store: accounts and organisations here, question banks in [`BankStore`].
#[async_trait]
pub trait Store: BankStore + ExamStore + Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// Applies this backend's migrations.
    async fn migrate(&self) -> Result<()>;
    async fn ping(&self) -> Result<()>;
    /// Settings that differ from the durable ones (SQLite: WAL, synchronous=FULL, foreign
    /// keys; PostgreSQL: fsync, synchronous_commit). Start-up refuses to run if any.
    async fn durability_mismatches(&self) -> Result<Vec<SettingMismatch>>;
    async fn close(&self);

    /// Creates the regulator organisation and its first admin if no regulator exists yet.
    /// Returns the admin's user id when it created them.
    async fn bootstrap(&self, b: Bootstrap) -> Result<Option<i64>>;

    // Organisations.
    /// Creates an organisation under `parent_id`; the parent must be of the kind the
    /// hierarchy requires. The audit event's empty `object_id` is filled with the new id.
    async fn create_org(&self, new: NewOrg, audit: AuditEvent) -> Result<Org>;
    async fn org(&self, id: i64) -> Result<Org>;
    async fn orgs(&self, filter: OrgFilter) -> Result<Vec<Org>>;
    async fn set_org_status(&self, id: i64, status: OrgStatus, audit: AuditEvent) -> Result<Org>;
    /// Replaces a body's filed scope.
    async fn set_body_scope(
        &self,
        body_id: i64,
        scope: Vec<ScopeEntry>,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn body_scope(&self, body_id: i64) -> Result<Vec<ScopeEntry>>;

    // People and accounts.
    /// Creates an account with its roles at `org_id` and, for real-name accounts, the
    /// person record; refuses a second record for the same document.
    async fn create_user(&self, new: NewUser, audit: AuditEvent) -> Result<User>;
    async fn user(&self, id: i64) -> Result<User>;
    async fn users(&self, filter: UserFilter) -> Result<Vec<User>>;
    /// The account and password hash for a login name (active accounts only).
    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>>;
    /// The principal for an active account: home organisation and every grant.
    async fn principal(&self, user_id: i64) -> Result<Option<Principal>>;
    async fn grants(&self, user_id: i64) -> Result<Vec<Grant>>;
    async fn grant_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn revoke_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    /// Sets a new password and ends every session of the account except `keep`.
    async fn set_password(
        &self,
        user_id: i64,
        hash: String,
        keep: Option<String>,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn person(&self, id: i64) -> Result<Person>;
    /// The encrypted document of a person; the read itself is audited.
    async fn reveal_document(
        &self,
        person_id: i64,
        audit: AuditEvent,
    ) -> Result<(DocumentType, Vec<u8>)>;

    // Sessions and tokens.
    /// Starts a session (ending `replaces`, the pre-login session, if any), clears the
    /// login's failure count and audits the login.
    async fn login(
        &self,
        s: NewSession,
        login: &str,
        replaces: Option<String>,
        audit: AuditEvent,
    ) -> Result<()>;
    /// A live session; ends it if it has been idle longer than `idle_ms` or is past expiry.
    async fn session(
        &self,
        token_hash: &str,
        now_ms: i64,
        idle_ms: i64,
    ) -> Result<Option<SessionRecord>>;
    async fn logout(&self, token_hash: &str, audit: AuditEvent) -> Result<()>;
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now_ms: i64,
        expires_at_ms: i64,
        audit: AuditEvent,
    ) -> Result<i64>;
    async fn api_token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<i64>>;

    // Login throttling.
    /// Failed logins since `since_ms` for this login name and for this address.
    async fn login_failures(&self, login: &str, address: &str, since_ms: i64)
        -> Result<(i64, i64)>;
    async fn record_login_failure(
        &self,
        login: &str,
        address: &str,
        audit: AuditEvent,
    ) -> Result<()>;
    /// Counts an attempt before the password is checked, so parallel attempts cannot all
    /// slip under the limit; a successful login clears it with the others of that login.
    async fn note_login_attempt(&self, login: &str, address: &str, at_ms: i64) -> Result<()>;

    // Audit log.
    async fn append_audit(&self, e: AuditEvent) -> Result<AuditEntry>;
    /// Entries with `seq > after_seq` in order, optionally only those of one body.
    async fn audit_page(
        &self,
        after_seq: i64,
        limit: i64,
        org_id: Option<i64>,
    ) -> Result<Vec<AuditEntry>>;
    /// Newest entries first, for the audit page.
    async fn audit_recent(&self, limit: i64) -> Result<Vec<AuditEntry>>;
    /// The separately kept end of the chain: `(seq, hash)`.
    async fn audit_head(&self) -> Result<(i64, String)>;
}
