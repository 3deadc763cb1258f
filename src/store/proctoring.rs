//! Proctoring: the proctor's actions on attempts (admit, pause, resume, extend,
//! terminate), irregularities, the assignment checks and the action log inspectors read.

use async_trait::async_trait;
use serde::Serialize;

use super::plans::{Plan, PlanSession};
use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{Clock, Extension, IrregularityOutcome, ProctorAction};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProctorActionRow {
    pub id: i64,
    pub session_id: i64,
    pub attempt_id: Option<i64>,
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
    /// An irregularity's outcome code.
    pub outcome: Option<String>,
    pub at_ms: i64,
}

#[async_trait]
pub trait ProctorStore: Send + Sync {
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
    /// Sessions a proctor is assigned to, with their plans.
    async fn proctor_sessions(&self, user_id: i64) -> Result<Vec<(Plan, PlanSession)>>;
    async fn proctor_actions(&self, plan_id: i64, limit: i64) -> Result<Vec<ProctorActionRow>>;
}
