//! What differs between the two SQL dialects, in one place. The SQL in `store/sql/` is
//! written once in the dialect both databases share (`$N` placeholders, `RETURNING`,
//! `ON CONFLICT`, `->>` on JSON); it takes the fragments below from the backend it is
//! compiled for (`store/sqlite.rs` or `store/postgres.rs`), and reads unique violations
//! through [`Unique`], so a call site maps the constraints it can hit to field errors
//! by name instead of searching error text.

/// The unique constraints that a request can run into, by what they mean. Each names
/// the constraint as PostgreSQL reports it and the columns as SQLite reports them
/// (SQLite's message lists `table.column`s, never an index name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    UserLogin,
    UserPerson,
    PersonDocument,
    OrgSiblingName,
    RoleAssignment,
    SessionSlot,
    SessionStaff,
    PlanInspector,
    ItemExternalId,
    AttemptCandidate,
}

impl Unique {
    const ALL: [Unique; 10] = [
        Unique::UserLogin,
        Unique::UserPerson,
        Unique::PersonDocument,
        Unique::OrgSiblingName,
        Unique::RoleAssignment,
        Unique::SessionSlot,
        Unique::SessionStaff,
        Unique::PlanInspector,
        Unique::ItemExternalId,
        Unique::AttemptCandidate,
    ];

    /// `(PostgreSQL constraint name, SQLite column list)`, as the migrations create them.
    const fn names(self) -> (&'static str, &'static str) {
        match self {
            Unique::UserLogin => ("users_login_key", "users.login"),
            Unique::UserPerson => ("users_person_id_key", "users.person_id"),
            Unique::PersonDocument => ("people_document_lookup_key", "people.document_lookup"),
            Unique::OrgSiblingName => (
                "organisations_sibling_name",
                "organisations.parent_id, organisations.name",
            ),
            Unique::RoleAssignment => (
                "role_assignments_pkey",
                "role_assignments.user_id, role_assignments.role, role_assignments.org_id",
            ),
            Unique::SessionSlot => (
                "plan_sessions_plan_id_room_id_starts_at_ms_key",
                "plan_sessions.plan_id, plan_sessions.room_id, plan_sessions.starts_at_ms",
            ),
            Unique::SessionStaff => (
                "session_staff_pkey",
                "session_staff.session_id, session_staff.user_id",
            ),
            Unique::PlanInspector => (
                "plan_inspectors_pkey",
                "plan_inspectors.plan_id, plan_inspectors.user_id",
            ),
            Unique::ItemExternalId => (
                "items_bank_id_external_id_key",
                "items.bank_id, items.external_id",
            ),
            Unique::AttemptCandidate => ("attempts_candidate_id_key", "attempts.candidate_id"),
        }
    }
}

/// SQLite: one writer connection serialises every write transaction, so reads before a
/// write need no row locks; JSON arrays are read with `json_each`.
pub mod sqlite {
    use super::Unique;
    use crate::store::Backend;

    pub const BACKEND: Backend = Backend::Sqlite;

    /// Appended to a row read that precedes an update in the same transaction. The
    /// single writer serialises transactions, so a plain read is enough (and the exam
    /// batches skip their up-front row locking).
    pub const ROW_LOCK: &str = "";

    /// Appended to the attempt reads of a batch of saves (the attempts table is `a`).
    pub const SHARE_LOCK: &str = "";

    /// The rows of the JSON array bound as `$1`, one per element, in a column `value`.
    /// Batch statements bind one JSON text rather than thousands of parameters: sqlx
    /// looks every SQLite parameter up by name, which SQLite answers by a linear scan,
    /// so a 5,500-parameter audit insert cost 15 million string compares (measured
    /// with `perf` during a start burst: 15 % of the server's CPU).
    pub const JSON_ROWS: &str = "json_each($1)";

    /// `id` is one of the JSON array of ids bound as `$1`.
    pub const IN_JSON_IDS: &str = " IN (SELECT CAST(value AS BIGINT) FROM json_each($1))";

    /// A text column is one of the JSON array of strings bound as `$1`.
    pub const IN_JSON_TEXTS: &str = " IN (SELECT value FROM json_each($1))";

    /// An attempt's answers as one JSON text `[[position, "answer"], …]`: scoring a plan
    /// reads 10,000 rows of it instead of a million rows of answers.
    pub const ANSWER_PAIRS: &str = "json_group_array(json_array(position, answer))";

    /// Reads the audit chain's head (the single writer keeps it from moving).
    pub const AUDIT_HEAD_LOCK: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";

    /// The unique constraint a statement violated. SQLite's message is
    /// `UNIQUE constraint failed: <table.column, …>` (its documented form).
    pub fn unique_violation(e: &sqlx::Error) -> Option<Unique> {
        let db = e.as_database_error()?;
        if !db.is_unique_violation() {
            return None;
        }
        let columns = db.message().strip_prefix("UNIQUE constraint failed: ")?;
        Unique::ALL.into_iter().find(|u| u.names().1 == columns)
    }
}

/// PostgreSQL: row locks order concurrent writers, also across processes.
pub mod postgres {
    use super::Unique;
    use crate::store::Backend;

    pub const BACKEND: Backend = Backend::Postgres;

    /// Appended to a row read that precedes an update in the same transaction.
    pub const ROW_LOCK: &str = " FOR UPDATE";

    /// Appended to the attempt reads of a batch of saves (the attempts table is `a`).
    pub const SHARE_LOCK: &str = " FOR SHARE OF a";

    /// The rows of the JSON array bound as `$1`, one per element, in a column `value`
    /// (see the SQLite dialect for why batches bind JSON).
    pub const JSON_ROWS: &str = "jsonb_array_elements(CAST($1 AS jsonb))";

    /// `id` is one of the JSON array of ids bound as `$1`. As `= ANY` of an array the
    /// planner looks the ids up in the primary key whatever its statistics say; as `IN`
    /// with stale statistics it hashed every attempt with the same status instead.
    pub const IN_JSON_IDS: &str =
        " = ANY(ARRAY(SELECT CAST(value AS BIGINT) FROM jsonb_array_elements(CAST($1 AS jsonb))))";

    /// A text column is one of the JSON array of strings bound as `$1`.
    pub const IN_JSON_TEXTS: &str =
        " = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST($1 AS jsonb))))";

    /// An attempt's answers as one JSON text (see the SQLite dialect).
    pub const ANSWER_PAIRS: &str = "CAST(json_agg(json_build_array(position, answer)) AS TEXT)";

    /// Locks the chain head until commit, so concurrent writers (also in other
    /// processes) chain one after another.
    pub const AUDIT_HEAD_LOCK: &str = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";

    /// The unique constraint a statement violated, by the name PostgreSQL reports.
    pub fn unique_violation(e: &sqlx::Error) -> Option<Unique> {
        let db = e.as_database_error()?;
        if !db.is_unique_violation() {
            return None;
        }
        let name = db.constraint()?;
        Unique::ALL.into_iter().find(|u| u.names().0 == name)
    }
}
