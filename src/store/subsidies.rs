//! The subsidy ledger: subsidies granted on certificates, one per certificate.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::audit::AuditEvent;

#[derive(Debug, Clone)]
pub struct NewGrant {
    pub person_id: i64,
    pub certificate_id: i64,
    pub occupation_code: String,
    pub level: Option<u8>,
    pub year: i32,
    pub amount_cents: i64,
    /// `person`, `employer` or `training_body`.
    pub payee: String,
    pub payee_name: String,
    pub granted_by: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GrantRow {
    pub id: i64,
    pub person_id: i64,
    pub certificate_id: i64,
    pub certificate_number: String,
    pub body_id: i64,
    pub occupation_code: String,
    pub level: Option<u8>,
    pub year: i32,
    pub amount_cents: i64,
    pub payee: String,
    pub payee_name: String,
    pub granted_by: String,
    pub granted_at_ms: i64,
}

#[async_trait]
pub trait SubsidyStore: Send + Sync {
    /// Records a subsidy; a second one on the same certificate is a conflict.
    async fn grant_subsidy(&self, g: NewGrant, audit: AuditEvent) -> Result<i64>;
    /// The person's subsidies (what the eligibility rules read).
    async fn person_subsidies(&self, person_id: i64) -> Result<Vec<GrantRow>>;
    /// The ledger, newest first: one body's certificates, or all.
    async fn subsidies(&self, body_id: Option<i64>, limit: i64) -> Result<Vec<GrantRow>>;
}
