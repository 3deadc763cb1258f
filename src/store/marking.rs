//! Panel marking: assessors on sessions (with a leader), their qualifications, the
//! positions waiting for marks, the marks themselves (immutable: corrections are new
//! rows a second person approves) and arbitrations.

use async_trait::async_trait;
use serde::Serialize;

use super::plans::StaffRef;
use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::grading::panel::{ElementMarks, Qualification};

/// A mark to record.
#[derive(Debug, Clone)]
pub struct NewMark {
    pub attempt_id: i64,
    pub position: u32,
    pub assessor_id: i64,
    pub elements: ElementMarks,
    pub points: f64,
    pub veto: bool,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MarkRow {
    pub id: i64,
    pub attempt_id: i64,
    pub position: u32,
    pub assessor_id: i64,
    pub assessor_name: String,
    pub elements: ElementMarks,
    pub points: f64,
    /// The position's points (what the panel's marks are out of).
    pub max_points: f64,
    pub veto: bool,
    pub note: String,
    /// `active`, `proposed` (a correction waiting for approval), `superseded`, `rejected`.
    pub status: String,
    pub supersedes: Option<i64>,
    pub reason: Option<String>,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Arbitration {
    pub attempt_id: i64,
    pub position: u32,
    pub arbitrator_id: i64,
    pub points: f64,
    pub veto: bool,
    pub reason: String,
    pub at_ms: i64,
}

#[async_trait]
pub trait MarkingStore: Send + Sync {
    /// Puts an assessor on a session's panel (refused on a relation to a candidate);
    /// `leader` makes them the one who arbitrates.
    async fn assign_assessor(
        &self,
        session_id: i64,
        user_id: i64,
        leader: bool,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    /// A session's assessors with whether each leads the panel.
    async fn session_assessors(&self, session_id: i64) -> Result<Vec<(StaffRef, bool)>>;
    /// Sessions an assessor sits on, newest first.
    async fn assessor_sessions(&self, user_id: i64) -> Result<Vec<i64>>;
    /// Newest first, whether the assessor served each of the body's `limit` plans
    /// before `plan_id`.
    async fn served_recent(
        &self,
        body_id: i64,
        user_id: i64,
        plan_id: i64,
        limit: i64,
    ) -> Result<Vec<bool>>;
    async fn qualifications(&self, user_id: i64) -> Result<Vec<Qualification>>;
    /// Records (or renews) a qualification.
    async fn grant_qualification(
        &self,
        user_id: i64,
        q: Qualification,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    /// `(attempt_id, position)` of every closed attempt's position of the session that
    /// waits for assessors.
    async fn pending_positions(&self, session_id: i64) -> Result<Vec<(i64, u32)>>;
    /// Submits a mark; refused when the assessor already has one for the position.
    async fn submit_mark(&self, mark: NewMark, audit: AuditEvent) -> Result<i64>;
    /// Proposes a correction of an active mark (a new row with the reason); it takes
    /// effect when a second person approves it.
    async fn propose_correction(
        &self,
        supersedes: i64,
        mark: NewMark,
        reason: String,
        audit: AuditEvent,
    ) -> Result<i64>;
    async fn decide_correction(
        &self,
        mark_id: i64,
        approve: bool,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn mark(&self, id: i64) -> Result<MarkRow>;
    /// Every mark of an attempt, any status.
    async fn attempt_marks(&self, attempt_id: i64) -> Result<Vec<MarkRow>>;
    /// The active marks of a plan (what results are computed from).
    async fn plan_marks(&self, plan_id: i64) -> Result<Vec<MarkRow>>;
    /// Records the arbitrator's decision once.
    async fn arbitrate(&self, a: Arbitration, audit: AuditEvent) -> Result<()>;
    async fn plan_arbitrations(&self, plan_id: i64) -> Result<Vec<Arbitration>>;
}
