//! Assessment plans (认定计划): the plan and its template, sessions in rooms and their
//! proctors, the roster with real-name records and admission numbers, the relations
//! staff declared (回避), the pool a plan draws from, and the papers written when the
//! roster closes.

use async_trait::async_trait;
use serde::Serialize;

use super::{NewPerson, Result};
use crate::domain::assembly::Paper;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{AttemptStatus, PlanStatus, PlanTemplate, Relation};

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
    pub component: crate::domain::exam::components::Component,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: i64,
    pub body_id: i64,
    /// What the plan assesses: theory online, or skills / review tasks at stations.
    pub component: crate::domain::exam::components::Component,
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

/// A person's place in a plan, as their own start page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    pub plan_id: i64,
    pub plan_name: String,
    pub occupation_name: String,
    pub level: u8,
    pub admission_no: String,
    pub room_name: String,
    pub starts_at_ms: i64,
    pub seat: i64,
    /// The attempt's status once papers are generated.
    pub status: Option<crate::domain::exam::AttemptStatus>,
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
    /// Items not eligible when this paper was drawn (seen before, over the exposure
    /// cap): with the plan's draw record and the seed, the paper can be drawn again.
    pub excluded: Vec<i64>,
}

/// What an attempt's paper was drawn from, for drawing it again.
#[derive(Debug, Clone)]
pub struct PaperDraw {
    pub plan_id: i64,
    pub seed: u64,
    pub paper: Paper,
    /// `None` for attempts from before draws were recorded.
    pub excluded: Option<Vec<i64>>,
    /// The plan's standard and pool as JSON, when recorded.
    pub standard: Option<String>,
    pub pool: Option<String>,
}

#[async_trait]
pub trait PlanStore: Send + Sync {
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
    /// Records a staff member's relation to the person with this document (by its keyed
    /// look-up hash): it creates or changes no real-name record.
    async fn declare_relation(
        &self,
        user_id: i64,
        document_lookup: &str,
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
    /// Where a person is enrolled, latest session first.
    async fn enrolments(&self, person_id: i64) -> Result<Vec<Enrolment>>;
    /// Active versions of the bank's theory items at a level, with exposure counts.
    async fn pool(&self, bank_id: i64, level: u8) -> Result<(Vec<PoolRow>, Vec<(i64, u32)>)>;
    /// Items on earlier papers of the plan's candidates, per person (re-sits).
    async fn earlier_items(&self, plan_id: i64) -> Result<Vec<(i64, Vec<i64>)>>;
    /// `(candidate id, person id, session id)` of the roster.
    async fn roster_people(&self, plan_id: i64) -> Result<Vec<(i64, i64, i64)>>;
    /// Writes every candidate's paper, counts exposure and closes the roster, in one
    /// transaction.
    /// Records the standard and pool a plan's papers are drawn from (before they are;
    /// a later draw replaces it).
    async fn record_plan_draw(
        &self,
        plan_id: i64,
        standard: String,
        pool: String,
        at_ms: i64,
    ) -> Result<()>;
    /// What an attempt's paper was drawn from.
    async fn paper_draw(&self, attempt_id: i64) -> Result<PaperDraw>;
    async fn close_roster(
        &self,
        plan_id: i64,
        attempts: Vec<NewAttempt>,
        duration_ms: i64,
        audit: AuditEvent,
    ) -> Result<()>;
}
