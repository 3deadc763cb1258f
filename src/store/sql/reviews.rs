//! Review requests on published results.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{not_found, write_audited, Row};
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::store::reviews::{Review, ReviewDecision};
use crate::store::{Result, ReviewStore, StoreError};

const REVIEW_SELECT: &str = "SELECT r.id, r.plan_id, r.candidate_id, c.admission_no, r.official, \
     r.reason, r.filed_at_ms, r.status, u.display_name AS reviewer_name, r.decision, \
     r.adjustment, r.decided_at_ms FROM result_reviews r JOIN candidates c \
     ON c.id = r.candidate_id LEFT JOIN users u ON u.id = r.reviewer_id";

fn review(r: &Row) -> Result<Review> {
    Ok(Review {
        id: r.try_get("id")?,
        plan_id: r.try_get("plan_id")?,
        candidate_id: r.try_get("candidate_id")?,
        admission_no: r.try_get("admission_no")?,
        official: r.try_get("official")?,
        reason: r.try_get("reason")?,
        filed_at_ms: r.try_get("filed_at_ms")?,
        status: r.try_get("status")?,
        reviewer_name: r.try_get("reviewer_name")?,
        decision: r.try_get("decision")?,
        adjustment: r.try_get("adjustment")?,
        decided_at_ms: r.try_get("decided_at_ms")?,
    })
}

fn refused(field: &'static str, code: &'static str) -> StoreError {
    StoreError::Refused {
        field,
        code,
        detail: String::new(),
    }
}

#[async_trait]
impl ReviewStore for DbStore {
    async fn file_review(
        &self,
        plan_id: i64,
        candidate_id: i64,
        official: bool,
        reason: String,
        audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        // The partial unique indexes refuse a second request by the candidate and a
        // second open review.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO result_reviews (plan_id, candidate_id, official, reason, filed_at_ms, \
             status) VALUES ($1, $2, $3, $4, $5, 'open') ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(plan_id)
        .bind(candidate_id)
        .bind(official)
        .bind(reason)
        .bind(audit.at_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Err(refused("plan_id", "review_error.already_filed"));
        };
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn review(&self, id: i64) -> Result<Review> {
        let sql = format!("{REVIEW_SELECT} WHERE r.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        review(&row)
    }

    async fn plan_reviews(&self, plan_id: i64) -> Result<Vec<Review>> {
        let sql = format!("{REVIEW_SELECT} WHERE r.plan_id = $1 ORDER BY r.id");
        let rows = sqlx::query(&sql)
            .bind(plan_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(review).collect()
    }

    async fn decide_review(&self, id: i64, d: ReviewDecision, audit: AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE result_reviews SET status = $2, reviewer_id = $3, decision = $4, \
             adjustment = $5, decided_at_ms = $6 WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(if d.changed { "changed" } else { "upheld" })
        .bind(d.reviewer_id)
        .bind(&d.decision)
        .bind(if d.changed { d.adjustment } else { 0.0 })
        .bind(audit.at_ms)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(refused("review_id", "review_error.decided"));
        }
        if let Some((certificate_id, reason)) = &d.revoke {
            // The certificate falls with its result, at once (public verification reads
            // the same row).
            sqlx::query(
                "UPDATE certificates SET status = 'revoked', status_reason = $2, \
                 status_changed_by = $3, status_changed_at_ms = $4 WHERE id = $1 \
                 AND status <> 'revoked'",
            )
            .bind(certificate_id)
            .bind(reason)
            .bind(d.reviewer_id)
            .bind(audit.at_ms)
            .execute(&mut *tx)
            .await?;
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }
}
