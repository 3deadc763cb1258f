//! Inspection: inspectors dispatched to plans and the findings they file.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{on_unique, write_audited};
use super::plans::{plan, PLAN_SELECT};
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::store::dialect::Unique;
use crate::store::inspection::{Finding, NewFinding};
use crate::store::plans::{Plan, StaffRef};
use crate::store::{InspectionStore, Result};

#[async_trait]
impl InspectionStore for DbStore {
    async fn assign_inspector(
        &self,
        plan_id: i64,
        user_id: i64,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Recusal (DESIGN §3.4) for inspectors as for proctors and assessors: a relation
        // declared to any candidate of the plan refuses the assignment, with the reason.
        let sessions: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM plan_sessions WHERE plan_id = $1")
                .bind(plan_id)
                .fetch_all(&mut *tx)
                .await?;
        for session in sessions {
            super::plans::check_recusal(&mut tx, session, user_id).await?;
        }
        sqlx::query(
            "INSERT INTO plan_inspectors (plan_id, user_id, assigned_by, assigned_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(plan_id)
        .bind(user_id)
        .bind(by)
        .bind(audit.at_ms)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            on_unique(
                e,
                &[(
                    Unique::PlanInspector,
                    "user_id",
                    "exam_error.already_assigned",
                )],
            )
        })?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn plan_inspectors(&self, plan_id: i64) -> Result<Vec<StaffRef>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT u.id, u.display_name FROM plan_inspectors pi JOIN users u \
             ON u.id = pi.user_id WHERE pi.plan_id = $1 ORDER BY u.id",
        )
        .bind(plan_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, display_name)| StaffRef {
                user_id,
                display_name,
            })
            .collect())
    }

    async fn is_plan_inspector(&self, plan_id: i64, user_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM plan_inspectors WHERE plan_id = $1 AND user_id = $2",
        )
        .bind(plan_id)
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        Ok(n > 0)
    }

    async fn inspector_plans(&self, user_id: i64) -> Result<Vec<Plan>> {
        let sql = format!(
            "{PLAN_SELECT} WHERE p.id IN (SELECT plan_id FROM plan_inspectors WHERE user_id = $1) \
             ORDER BY p.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(plan).collect()
    }

    async fn file_finding(&self, f: NewFinding, mut audit: AuditEvent) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO findings (plan_id, body_id, subject, subject_id, category, severity, \
             evidence, filed_by, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(f.plan_id)
        .bind(f.body_id)
        .bind(f.subject.code())
        .bind(f.subject_id)
        .bind(f.category.code())
        .bind(f.severity.code())
        .bind(&f.evidence)
        .bind(f.filed_by)
        .bind(audit.at_ms)
        .fetch_one(&mut *tx)
        .await?;
        audit.object_id = id.to_string();
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn findings(&self, plan_id: i64) -> Result<Vec<Finding>> {
        let rows = sqlx::query(
            "SELECT f.id, f.plan_id, f.body_id, f.subject, f.subject_id, f.category, f.severity, \
             f.evidence, u.display_name AS filed_by, f.at_ms FROM findings f \
             LEFT JOIN users u ON u.id = f.filed_by WHERE f.plan_id = $1 ORDER BY f.id DESC",
        )
        .bind(plan_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Finding {
                    id: r.try_get("id")?,
                    plan_id: r.try_get("plan_id")?,
                    body_id: r.try_get("body_id")?,
                    subject: r.try_get("subject")?,
                    subject_id: r.try_get("subject_id")?,
                    category: r.try_get("category")?,
                    severity: r.try_get("severity")?,
                    evidence: r.try_get("evidence")?,
                    filed_by: r.try_get("filed_by")?,
                    at_ms: r.try_get("at_ms")?,
                })
            })
            .collect()
    }
}
