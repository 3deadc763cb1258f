//! Certificates: issuance requests, issuing a batch with serials taken in the same
//! transaction, status changes, and the reads behind the holder's page, the body's
//! lists and public verification.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{code, not_found, write_audited, Row};
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::domain::certificate::{scheme, CertificateStatus, NumberParts};
use crate::domain::org::CertificateKind;
use crate::store::certificates::{Certificate, IssuanceRequest, NewCertificate};
use crate::store::{CertificateStore, Result, StoreError};

const REQUEST_SELECT: &str = "SELECT r.id, r.plan_id, r.requested_by, u.display_name AS \
     requested_by_name, r.requested_at_ms, r.status, d.display_name AS decided_by_name, \
     r.decided_at_ms, r.issued FROM issuance_requests r JOIN users u ON u.id = r.requested_by \
     LEFT JOIN users d ON d.id = r.decided_by";

fn request(r: &Row) -> Result<IssuanceRequest> {
    Ok(IssuanceRequest {
        id: r.try_get("id")?,
        plan_id: r.try_get("plan_id")?,
        requested_by: r.try_get("requested_by")?,
        requested_by_name: r.try_get("requested_by_name")?,
        requested_at_ms: r.try_get("requested_at_ms")?,
        status: r.try_get("status")?,
        decided_by_name: r.try_get("decided_by_name")?,
        decided_at_ms: r.try_get("decided_at_ms")?,
        issued: r.try_get("issued")?,
    })
}

const CERT_SELECT: &str = "SELECT c.id, c.number, c.kind, c.body_id, b.name AS body_name, \
     c.plan_id, c.candidate_id, c.person_id, p.name AS holder_name, o.code AS \
     occupation_code, o.name AS occupation_name, c.level, c.score, c.issued_at_ms, \
     c.review_due, c.status, c.status_reason, c.status_changed_at_ms FROM certificates c \
     JOIN organisations b ON b.id = c.body_id JOIN people p ON p.id = c.person_id \
     JOIN occupations o ON o.id = c.occupation_id";

fn certificate(r: &Row) -> Result<Certificate> {
    let level: Option<i64> = r.try_get("level")?;
    Ok(Certificate {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        kind: code(r, "kind", CertificateKind::from_code)?,
        body_id: r.try_get("body_id")?,
        body_name: r.try_get("body_name")?,
        plan_id: r.try_get("plan_id")?,
        candidate_id: r.try_get("candidate_id")?,
        person_id: r.try_get("person_id")?,
        holder_name: r.try_get("holder_name")?,
        occupation_code: r.try_get("occupation_code")?,
        occupation_name: r.try_get("occupation_name")?,
        level: level.and_then(|l| u8::try_from(l).ok()),
        score: r.try_get("score")?,
        issued_at_ms: r.try_get("issued_at_ms")?,
        review_due: r.try_get("review_due")?,
        status: code(r, "status", CertificateStatus::from_code)?,
        status_reason: r.try_get("status_reason")?,
        status_changed_at_ms: r.try_get("status_changed_at_ms")?,
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
impl CertificateStore for DbStore {
    async fn request_issuance(&self, plan_id: i64, by: i64, audit: AuditEvent) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        // One pending request per plan, held by a partial unique index, so two admins
        // asking at once cannot both open one.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO issuance_requests (plan_id, requested_by, requested_at_ms, status) \
             VALUES ($1, $2, $3, 'pending') ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(plan_id)
        .bind(by)
        .bind(audit.at_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Err(refused("plan_id", "certificate_error.request_pending"));
        };
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn issuance_request(&self, id: i64) -> Result<IssuanceRequest> {
        let sql = format!("{REQUEST_SELECT} WHERE r.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        request(&row)
    }

    async fn issuance_requests(&self, plan_id: i64) -> Result<Vec<IssuanceRequest>> {
        let sql = format!("{REQUEST_SELECT} WHERE r.plan_id = $1 ORDER BY r.id DESC");
        let rows = sqlx::query(&sql)
            .bind(plan_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(request).collect()
    }

    async fn approve_issuance(
        &self,
        request_id: i64,
        by: i64,
        parts: NumberParts,
        batch: Vec<NewCertificate>,
        audit: AuditEvent,
    ) -> Result<Vec<String>> {
        let now = audit.at_ms;
        let mut tx = self.begin_write().await?;
        // Claim the request first: the update takes its row, so a concurrent approval
        // or rejection of the same request finds it decided (PostgreSQL's read committed
        // would otherwise let both read it pending).
        let claimed: Option<i64> = sqlx::query_scalar(
            "UPDATE issuance_requests SET status = 'approved', decided_by = $2, \
             decided_at_ms = $3 WHERE id = $1 AND status = 'pending' RETURNING plan_id",
        )
        .bind(request_id)
        .bind(by)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(plan_id) = claimed else {
            return Err(refused("request_id", "certificate_error.not_pending"));
        };
        let (body_id, occupation_id, plan_level): (i64, i64, i64) =
            sqlx::query_as("SELECT body_id, occupation_id, level FROM plans WHERE id = $1")
                .bind(plan_id)
                .fetch_one(&mut *tx)
                .await?;
        let held: Vec<i64> =
            sqlx::query_scalar("SELECT candidate_id FROM certificates WHERE plan_id = $1")
                .bind(plan_id)
                .fetch_all(&mut *tx)
                .await?;
        let batch: Vec<NewCertificate> = batch
            .into_iter()
            .filter(|c| !held.contains(&c.candidate_id))
            .collect();
        let scheme = scheme(parts.kind);
        let series = scheme
            .series(&parts)
            .map_err(|e| refused("request_id", e.code()))?;
        // Kinds without levels count in one series (level 0), as their numbers print it.
        let level = match parts.kind.has_level() {
            true => parts.level.map(i64::from).unwrap_or(0),
            false => 0,
        };
        let mut numbers = Vec::with_capacity(batch.len());
        if !batch.is_empty() {
            let n = batch.len() as i64;
            sqlx::query(
                "INSERT INTO certificate_serials (body_id, kind, year, level, next) \
                 VALUES ($1, $2, $3, $4, 1) ON CONFLICT (body_id, kind, year, level) DO NOTHING",
            )
            .bind(body_id)
            .bind(parts.kind.code())
            .bind(i64::from(parts.year))
            .bind(level)
            .execute(&mut *tx)
            .await?;
            // The update takes the row's lock (PostgreSQL) inside the writer's lock
            // (SQLite): the block [end − n, end) is this batch's alone.
            let end: i64 = sqlx::query_scalar(
                "UPDATE certificate_serials SET next = next + $5 WHERE body_id = $1 AND \
                 kind = $2 AND year = $3 AND level = $4 RETURNING next",
            )
            .bind(body_id)
            .bind(parts.kind.code())
            .bind(i64::from(parts.year))
            .bind(level)
            .bind(n)
            .fetch_one(&mut *tx)
            .await?;
            for (i, _) in batch.iter().enumerate() {
                let serial = u32::try_from(end - n + i as i64).unwrap_or(u32::MAX);
                numbers.push(
                    scheme
                        .format(&series, serial)
                        .map_err(|e| refused("request_id", e.code()))?,
                );
            }
            let level_col = parts.kind.has_level().then_some(plan_level);
            let rows: Vec<(&NewCertificate, &String)> = batch.iter().zip(&numbers).collect();
            for chunk in rows.chunks(100) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO certificates (number, kind, body_id, plan_id, candidate_id, \
                     person_id, occupation_id, level, score, review_due, issued_at_ms, \
                     request_id, status) ",
                );
                q.push_values(chunk, |mut b, (c, number)| {
                    b.push_bind((*number).clone())
                        .push_bind(parts.kind.code())
                        .push_bind(body_id)
                        .push_bind(plan_id)
                        .push_bind(c.candidate_id)
                        .push_bind(c.person_id)
                        .push_bind(occupation_id)
                        .push_bind(level_col)
                        .push_bind(c.score)
                        .push_bind(c.review_due.clone())
                        .push_bind(now)
                        .push_bind(request_id)
                        .push_bind("valid");
                });
                q.build().execute(&mut *tx).await?;
            }
        }
        sqlx::query("UPDATE issuance_requests SET issued = $2 WHERE id = $1")
            .bind(request_id)
            .bind(numbers.len() as i64)
            .execute(&mut *tx)
            .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(numbers)
    }

    async fn reject_issuance(&self, request_id: i64, by: i64, audit: AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE issuance_requests SET status = 'rejected', decided_by = $2, \
             decided_at_ms = $3 WHERE id = $1 AND status = 'pending'",
        )
        .bind(request_id)
        .bind(by)
        .bind(audit.at_ms)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(refused("request_id", "certificate_error.not_pending"));
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn certificate(&self, id: i64) -> Result<Certificate> {
        let sql = format!("{CERT_SELECT} WHERE c.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        certificate(&row)
    }

    async fn certificate_by_number(&self, number: &str) -> Result<Option<Certificate>> {
        let sql = format!("{CERT_SELECT} WHERE c.number = $1");
        let row = sqlx::query(&sql)
            .bind(number)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(certificate).transpose()
    }

    async fn plan_certificates(&self, plan_id: i64) -> Result<Vec<Certificate>> {
        let sql = format!("{CERT_SELECT} WHERE c.plan_id = $1 ORDER BY c.number");
        let rows = sqlx::query(&sql)
            .bind(plan_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(certificate).collect()
    }

    async fn person_certificates(&self, person_id: i64) -> Result<Vec<Certificate>> {
        let sql = format!("{CERT_SELECT} WHERE c.person_id = $1 ORDER BY c.issued_at_ms DESC");
        let rows = sqlx::query(&sql)
            .bind(person_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(certificate).collect()
    }

    async fn withdrawn_certificates(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM certificates WHERE status IN ('revoked', 'suspended') ORDER BY id",
        )
        .fetch_all(self.reader())
        .await?)
    }

    async fn set_certificate_status(
        &self,
        id: i64,
        status: CertificateStatus,
        reason: String,
        by: i64,
        audit: AuditEvent,
    ) -> Result<Certificate> {
        let mut tx = self.begin_write().await?;
        let now: String = sqlx::query_scalar("SELECT status FROM certificates WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found)?;
        let current =
            CertificateStatus::from_code(&now).ok_or_else(|| super::common::bad_value("status"))?;
        if !current.may_become(status) {
            return Err(refused("status", "certificate_error.status_change"));
        }
        // Only from the status just read: a concurrent change (a revocation) wins, and
        // this one is refused rather than undoing it.
        let done = sqlx::query(
            "UPDATE certificates SET status = $2, status_reason = $3, status_changed_by = $4, \
             status_changed_at_ms = $5 WHERE id = $1 AND status = $6",
        )
        .bind(id)
        .bind(status.code())
        .bind(reason)
        .bind(by)
        .bind(audit.at_ms)
        .bind(current.code())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(refused("status", "certificate_error.status_change"));
        }
        write_audited(tx, &self.chain_key, audit).await?;
        self.certificate(id).await
    }
}
