//! Review requests on published results (成绩复核): filed by candidates, decided once by
//! a reviewer, with the certificate that falls with a changed result revoked in the
//! same transaction.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::audit::AuditEvent;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Review {
    pub id: i64,
    pub plan_id: i64,
    pub candidate_id: i64,
    pub admission_no: String,
    /// Opened by the regulator or the body, not asked for by the candidate.
    pub official: bool,
    pub reason: String,
    pub filed_at_ms: i64,
    /// `open`, `upheld` or `changed`.
    pub status: String,
    pub reviewer_name: Option<String>,
    pub decision: Option<String>,
    /// Points added to (or taken from) the paper by a changed result.
    pub adjustment: f64,
    pub decided_at_ms: Option<i64>,
}

/// A reviewer's decision, with the certificate to revoke when the result no longer
/// passes.
#[derive(Debug, Clone)]
pub struct ReviewDecision {
    pub reviewer_id: i64,
    pub changed: bool,
    pub adjustment: f64,
    pub decision: String,
    pub revoke: Option<(i64, String)>,
}

#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// Files a review: a candidate asks once per result; official reviews may follow;
    /// one open at a time.
    async fn file_review(
        &self,
        plan_id: i64,
        candidate_id: i64,
        official: bool,
        reason: String,
        audit: AuditEvent,
    ) -> Result<i64>;
    async fn review(&self, id: i64) -> Result<Review>;
    async fn plan_reviews(&self, plan_id: i64) -> Result<Vec<Review>>;
    /// Decides an open review once; revokes the given certificate in the same
    /// transaction.
    async fn decide_review(&self, id: i64, d: ReviewDecision, audit: AuditEvent) -> Result<()>;
}
