//! Inspection: quality inspectors dispatched to plans, and the findings they file.

use async_trait::async_trait;
use serde::Serialize;

use super::plans::{Plan, StaffRef};
use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{FindingCategory, FindingSubject, Severity};

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

#[async_trait]
pub trait InspectionStore: Send + Sync {
    async fn assign_inspector(
        &self,
        plan_id: i64,
        user_id: i64,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn plan_inspectors(&self, plan_id: i64) -> Result<Vec<StaffRef>>;
    async fn is_plan_inspector(&self, plan_id: i64, user_id: i64) -> Result<bool>;
    async fn inspector_plans(&self, user_id: i64) -> Result<Vec<Plan>>;
    async fn file_finding(&self, f: NewFinding, audit: AuditEvent) -> Result<i64>;
    async fn findings(&self, plan_id: i64) -> Result<Vec<Finding>>;
}
