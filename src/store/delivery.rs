//! The exam day: exam-day sessions, attempts with their papers and acknowledged answers,
//! and the writes of the group-commit writer (`app::delivery::writer`): saves, starts,
//! submissions and logins, many in one durable transaction. The deadline sweep submits
//! overdue attempts.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::assembly::Paper;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{AttemptStatus, Clock, SaveRefusal};
use crate::domain::item::ItemContent;

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

/// The stored sequence of each answered position, for checking acknowledged saves.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredSeq {
    pub admission_no: String,
    pub position: u32,
    pub seq: i64,
}

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// The contents of item versions (keys included: callers strip them).
    async fn item_contents(&self, ids: &[(i64, i64)]) -> Result<Vec<((i64, i64), ItemContent)>>;
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
    /// The stored sequence of every answered position of a plan (the acknowledged-saves
    /// check of the load generator).
    async fn stored_seqs(&self, plan_id: i64) -> Result<Vec<StoredSeq>>;
    /// Marks a question of the attempt to come back to, or clears the mark.
    async fn set_mark(&self, attempt_id: i64, position: u32, marked: bool) -> Result<()>;
    /// The marked positions of an attempt, in order.
    async fn marks(&self, attempt_id: i64) -> Result<Vec<u32>>;
}
