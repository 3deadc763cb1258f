//! Certificates: issuance requests and their second-person decision, issuing a batch
//! with serials taken inside the transaction, status changes, and the reads of the
//! holder's page, the body's lists and public verification.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::certificate::{CertificateStatus, NumberParts};
use crate::domain::org::CertificateKind;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuanceRequest {
    pub id: i64,
    pub plan_id: i64,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub requested_at_ms: i64,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by_name: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub issued: i64,
}

/// One certificate to issue in a batch.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub candidate_id: i64,
    pub person_id: i64,
    pub score: f64,
    /// Special operation certificates: the next review date (YYYY-MM-DD).
    pub review_due: Option<String>,
}

/// A certificate with the names it is shown with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Certificate {
    pub id: i64,
    pub number: String,
    pub kind: CertificateKind,
    pub body_id: i64,
    pub body_name: String,
    pub plan_id: i64,
    pub candidate_id: i64,
    pub person_id: i64,
    /// The holder's full name: for the holder, the body and the regulator only; public
    /// verification masks it.
    pub holder_name: String,
    pub occupation_code: String,
    pub occupation_name: String,
    pub level: Option<u8>,
    pub score: f64,
    pub issued_at_ms: i64,
    pub review_due: Option<String>,
    pub status: CertificateStatus,
    pub status_reason: Option<String>,
    pub status_changed_at_ms: Option<i64>,
}

#[async_trait]
pub trait CertificateStore: Send + Sync {
    /// Opens a request to issue a plan's certificates; refused while one is pending.
    async fn request_issuance(&self, plan_id: i64, by: i64, audit: AuditEvent) -> Result<i64>;
    async fn issuance_request(&self, id: i64) -> Result<IssuanceRequest>;
    async fn issuance_requests(&self, plan_id: i64) -> Result<Vec<IssuanceRequest>>;
    /// Approves a pending request and issues `batch` in the same transaction: serials
    /// are taken in one step per batch from the body's counter for the kind, year and
    /// level, numbered by the kind's scheme, so there is no duplicate and no gap.
    /// Candidates who already hold a certificate of the plan are skipped.
    async fn approve_issuance(
        &self,
        request_id: i64,
        by: i64,
        parts: NumberParts,
        batch: Vec<NewCertificate>,
        audit: AuditEvent,
    ) -> Result<Vec<String>>;
    async fn reject_issuance(&self, request_id: i64, by: i64, audit: AuditEvent) -> Result<()>;
    async fn certificate(&self, id: i64) -> Result<Certificate>;
    async fn certificate_by_number(&self, number: &str) -> Result<Option<Certificate>>;
    async fn plan_certificates(&self, plan_id: i64) -> Result<Vec<Certificate>>;
    async fn person_certificates(&self, person_id: i64) -> Result<Vec<Certificate>>;
    /// Ids of certificates revoked or suspended (the status list's set bits).
    async fn withdrawn_certificates(&self) -> Result<Vec<i64>>;
    /// Suspends, reinstates or revokes, with the reason; refused when the change is not
    /// one [`CertificateStatus::may_become`] allows.
    async fn set_certificate_status(
        &self,
        id: i64,
        status: CertificateStatus,
        reason: String,
        by: i64,
        audit: AuditEvent,
    ) -> Result<Certificate>;
}
