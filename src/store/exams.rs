//! The exam half of the store: assessment plans, sessions and staff, the roster,
//! attempts with their papers, answer saves (applied in batches by the group-commit
//! writer of [`super::group_commit`]), proctor actions, irregularities and findings.

use async_trait::async_trait;
use serde::Serialize;

use super::{NewPerson, Result};
use crate::domain::assembly::Paper;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{
    AttemptStatus, Clock, Extension, FindingCategory, FindingSubject, IrregularityOutcome,
    PlanStatus, PlanTemplate, ProctorAction, Relation, SaveRefusal, Severity,
};
use crate::domain::item::ItemContent;

#[derive(Debug, Clone)]
pub struct NewPlan {
    pub body_id: i64,
    pub occupation_id: i64,
    pub level: u8,
    pub bank_id: i64,
    pub name: String,
    pub exam_date: String,
    pub template: PlanTemplate,
    pub requires_approval: bool,
    pub created_by: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: i64,
    pub body_id: i64,
    pub occupation_id: i64,
    pub occupation_code: String,
    pub occupation_name: String,
    pub level: u8,
    pub bank_id: i64,
    pub name: String,
    pub exam_date: String,
    pub status: PlanStatus,
    pub template: PlanTemplate,
    pub created_at_ms: i64,
    pub approved_at_ms: Option<i64>,
    pub roster_closed_at_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffRef {
    pub user_id: i64,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanSession {
    pub id: i64,
    pub plan_id: i64,
    pub room_id: i64,
    pub room_name: String,
    pub starts_at_ms: i64,
    pub candidates: i64,
    pub proctors: Vec<StaffRef>,
}

/// A candidate to put on the roster: their real-name record (found by its look-up hash
/// when the person is known) and the session.
#[derive(Clone)]
pub struct NewCandidate {
    pub person: NewPerson,
    pub session_id: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Enrolled {
    pub candidate_id: i64,
    pub admission_no: String,
    pub seat: i64,
}

/// One row of a room's live roster.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RosterEntry {
    pub candidate_id: i64,
    pub admission_no: String,
    pub name: String,
    pub document_masked: String,
    pub session_id: i64,
    pub seat: i64,
    pub attempt_id: Option<i64>,
    pub status: Option<AttemptStatus>,
    pub started_at_ms: Option<i64>,
    pub deadline_ms: Option<i64>,
    pub paused_at_ms: Option<i64>,
    pub extension_ms: i64,
    pub submitted_at_ms: Option<i64>,
    pub last_saved_at_ms: Option<i64>,
    pub answered: i64,
    pub item_count: i64,
}

/// An active item version as assembly needs it (no content beyond the option count).
#[derive(Debug, Clone)]
pub struct PoolRow {
    pub item_id: i64,
    pub version: i64,
    pub point_code: String,
    pub item_type: crate::domain::item::ItemType,
    pub difficulty: u8,
    pub options: u8,
}

/// A generated paper for one candidate, written when the roster closes.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub candidate_id: i64,
    pub session_id: i64,
    pub paper: Paper,
}

/// An admission number's candidate, as exam-day login checks it.
#[derive(Debug, Clone)]
pub struct Admission {
    pub candidate_id: i64,
    /// The keyed hash of the candidate's document number.
    pub document_lookup: String,
    /// When the candidate's session starts.
    pub starts_at_ms: i64,
    /// The attempt's status once the roster is closed.
    pub attempt_status: Option<AttemptStatus>,
}

/// Who an exam-day session belongs to, as the web layer needs it on every request.
#[derive(Debug, Clone)]
pub struct ExamIdentity {
    /// The session's token hash: saves carry it to the writer, which checks the session
    /// is still live in the same transaction (see `ExamOp::Save`).
    pub token_hash: String,
    pub expires_at_ms: i64,
    pub candidate_id: i64,
    pub attempt_id: Option<i64>,
    pub plan_id: i64,
    pub session_id: i64,
    pub csrf_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SavedAnswer {
    pub position: u32,
    /// The answer as the page sent it (JSON text).
    pub answer: String,
    pub seq: i64,
    pub saved_at_ms: i64,
}

/// An attempt with its paper and its acknowledged answers.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub id: i64,
    pub candidate_id: i64,
    pub plan_id: i64,
    pub session_id: i64,
    pub paper: Paper,
    pub clock: Clock,
    pub duration_ms: i64,
    pub submitted_at_ms: Option<i64>,
    pub last_seq: i64,
    pub last_saved_at_ms: Option<i64>,
    pub answers: Vec<SavedAnswer>,
}

/// One changed answer: the paper position, the attempt's sequence number of the change
/// and the answer (JSON text, already checked against the item).
#[derive(Debug, Clone)]
pub struct Change {
    pub position: u32,
    pub seq: i64,
    pub answer: String,
}

/// A write that goes through the group-commit writer: many share one durable commit.
#[derive(Debug, Clone)]
pub enum ExamOp {
    /// Answer changes, written only while the exam session `session` (its token hash)
    /// is live: the web layer takes the save's identity from an in-process cache, so the
    /// session is checked here, in the batch's transaction, and a logout or a login on
    /// another device (in any server process) ends the saves from the next batch on (a
    /// batch already past its check on PostgreSQL may still commit: its saves were sent
    /// while the session was live).
    Save {
        attempt_id: i64,
        session: String,
        changes: Vec<Change>,
    },
    Start {
        attempt_id: i64,
        audit: AuditEvent,
    },
    Submit {
        attempt_id: i64,
        audit: AuditEvent,
    },
    Login {
        candidate_id: i64,
        token_hash: String,
        csrf_token: String,
        expires_at_ms: i64,
        audit: AuditEvent,
    },
}

impl ExamOp {
    /// The attempt the op writes, if any (a login writes none).
    pub fn attempt_id(&self) -> Option<i64> {
        match self {
            ExamOp::Save { attempt_id, .. }
            | ExamOp::Start { attempt_id, .. }
            | ExamOp::Submit { attempt_id, .. } => Some(*attempt_id),
            ExamOp::Login { .. } => None,
        }
    }

    /// Batches apply ops in this order, the order their rows are locked in (see
    /// `apply_exam_ops` in `sql_exams.rs`): attempts ascending, then logins by candidate
    /// (a login deletes the candidate's other sessions, so two batches with logins of the
    /// same two candidates must take them in one order too).
    pub fn lock_key(&self) -> (i64, i64) {
        match self {
            ExamOp::Login { candidate_id, .. } => (i64::MAX, *candidate_id),
            _ => (self.attempt_id().unwrap_or(i64::MAX), 0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExamOpResult {
    /// Written (or already there: a replay); `seq` is the highest sequence of the
    /// request, `at_ms` the commit's server time.
    Saved {
        seq: i64,
        at_ms: i64,
    },
    Refused(SaveRefusal),
    /// The save's exam session has ended (logout, a login elsewhere, expiry): nothing
    /// written; the candidate signs in again.
    SessionEnded,
    Started(Clock),
    StartRefused(&'static str),
    Submitted {
        at_ms: i64,
    },
    LoggedIn,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProctorActionRow {
    pub id: i64,
    pub session_id: i64,
    pub attempt_id: Option<i64>,
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct NewFinding {
    pub plan_id: i64,
    pub body_id: i64,
    pub subject: FindingSubject,
    pub subject_id: i64,
    pub category: FindingCategory,
    pub severity: Severity,
    pub evidence: String,
    pub filed_by: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Finding {
    pub id: i64,
    pub plan_id: i64,
    pub body_id: i64,
    pub subject: String,
    pub subject_id: i64,
    pub category: String,
    pub severity: String,
    pub evidence: String,
    pub filed_by: Option<String>,
    pub at_ms: i64,
}

/// The stored sequence of each answered position, for checking acknowledged saves.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredSeq {
    pub admission_no: String,
    pub position: u32,
    pub seq: i64,
}

#[async_trait]
pub trait ExamStore: Send + Sync {
    async fn create_plan(&self, new: NewPlan, audit: AuditEvent) -> Result<Plan>;
    async fn plan(&self, id: i64) -> Result<Plan>;
    /// Plans of one body, or all (regulator), newest first.
    async fn plans(&self, body_id: Option<i64>) -> Result<Vec<Plan>>;
    async fn approve_plan(&self, id: i64, by: i64, audit: AuditEvent) -> Result<Plan>;
    async fn add_session(
        &self,
        plan_id: i64,
        room_id: i64,
        starts_at_ms: i64,
        audit: AuditEvent,
    ) -> Result<i64>;
    async fn sessions(&self, plan_id: i64) -> Result<Vec<PlanSession>>;
    async fn plan_session(&self, id: i64) -> Result<PlanSession>;
    /// Assigns a proctor to a session; refused (`Refused`, field `user_id`) when they
    /// declared a relation to one of its candidates.
    async fn assign_proctor(
        &self,
        session_id: i64,
        user_id: i64,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn assign_inspector(
        &self,
        plan_id: i64,
        user_id: i64,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn plan_inspectors(&self, plan_id: i64) -> Result<Vec<StaffRef>>;
    /// Records a staff member's relation to a person (found or created by document).
    async fn declare_relation(
        &self,
        user_id: i64,
        person: NewPerson,
        relation: Relation,
        audit: AuditEvent,
    ) -> Result<()>;
    /// Puts candidates on the roster in one transaction: seats and admission numbers
    /// are assigned in order; refused as a whole when a candidate is already on the
    /// plan or a session's proctor declared a relation to one.
    async fn add_candidates(
        &self,
        plan_id: i64,
        candidates: Vec<NewCandidate>,
        audit: AuditEvent,
    ) -> Result<Vec<Enrolled>>;
    async fn roster(&self, plan_id: i64, session_id: Option<i64>) -> Result<Vec<RosterEntry>>;
    /// Active versions of the bank's theory items at a level, with exposure counts.
    async fn pool(&self, bank_id: i64, level: u8) -> Result<(Vec<PoolRow>, Vec<(i64, u32)>)>;
    /// Items on earlier papers of the plan's candidates, per person (re-sits).
    async fn earlier_items(&self, plan_id: i64) -> Result<Vec<(i64, Vec<i64>)>>;
    /// `(candidate id, person id, session id)` of the roster.
    async fn roster_people(&self, plan_id: i64) -> Result<Vec<(i64, i64, i64)>>;
    /// Writes every candidate's paper, counts exposure and closes the roster, in one
    /// transaction.
    async fn close_roster(
        &self,
        plan_id: i64,
        attempts: Vec<NewAttempt>,
        duration_ms: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    /// The contents of item versions (keys included: callers strip them).
    async fn item_contents(&self, ids: &[(i64, i64)]) -> Result<Vec<((i64, i64), ItemContent)>>;

    // Exam day.
    async fn candidate_by_admission(&self, admission_no: &str) -> Result<Option<Admission>>;
    async fn exam_identity(&self, token_hash: &str, now_ms: i64) -> Result<Option<ExamIdentity>>;
    async fn end_exam_session(&self, token_hash: &str) -> Result<()>;
    async fn attempt(&self, attempt_id: i64) -> Result<AttemptRecord>;
    /// Applies a batch of writes in one durable transaction; one result per op, in order.
    async fn apply_exam_ops(
        &self,
        ops: &[ExamOp],
        now_ms: i64,
        grace_ms: i64,
    ) -> Result<Vec<ExamOpResult>>;
    /// Submits every running attempt whose deadline plus grace has passed, with its last
    /// saved answers; returns the attempts submitted.
    async fn submit_overdue(&self, now_ms: i64, grace_ms: i64) -> Result<Vec<i64>>;

    // Proctors and inspectors.
    async fn proctor_action(
        &self,
        attempt_id: i64,
        action: ProctorAction,
        extension: Extension,
        actor: i64,
        detail: String,
        audit: AuditEvent,
    ) -> Result<Clock>;
    /// Admits every candidate of the session who is signed in and waiting (a live exam
    /// session) and not yet admitted; returns how many.
    async fn admit_session(&self, session_id: i64, actor: i64, audit: AuditEvent) -> Result<u64>;
    async fn record_irregularity(
        &self,
        attempt_id: i64,
        outcome: IrregularityOutcome,
        points: f64,
        description: String,
        actor: i64,
        audit: AuditEvent,
    ) -> Result<i64>;
    async fn is_session_proctor(&self, session_id: i64, user_id: i64) -> Result<bool>;
    async fn is_plan_inspector(&self, plan_id: i64, user_id: i64) -> Result<bool>;
    /// Sessions a proctor is assigned to, with their plans.
    async fn proctor_sessions(&self, user_id: i64) -> Result<Vec<(Plan, PlanSession)>>;
    async fn inspector_plans(&self, user_id: i64) -> Result<Vec<Plan>>;
    async fn proctor_actions(&self, plan_id: i64, limit: i64) -> Result<Vec<ProctorActionRow>>;
    async fn file_finding(&self, f: NewFinding, audit: AuditEvent) -> Result<i64>;
    async fn findings(&self, plan_id: i64) -> Result<Vec<Finding>>;
    async fn stored_seqs(&self, plan_id: i64) -> Result<Vec<StoredSeq>>;
}
