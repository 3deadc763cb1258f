//! Panel marking: assessors and leaders, qualifications, pending positions, marks and
//! their corrections, arbitrations.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{json, not_found, to_json, write_audited, Row};
use super::plans::check_recusal;
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::domain::grading::panel::Qualification;
use crate::store::marking::{Arbitration, MarkRow, NewMark};
use crate::store::plans::StaffRef;
use crate::store::{MarkingStore, Result, StoreError};

const MARK_SELECT: &str = "SELECT m.id, m.attempt_id, m.position, m.assessor_id, \
     u.display_name AS assessor_name, m.elements, m.points, COALESCE(s.max_points, 0.0) AS \
     max_points, m.veto, m.note, m.status, m.supersedes, m.reason, m.at_ms FROM marks m \
     JOIN users u ON u.id = m.assessor_id LEFT JOIN attempt_item_scores s \
     ON s.attempt_id = m.attempt_id AND s.position = m.position";

fn mark(r: &Row) -> Result<MarkRow> {
    Ok(MarkRow {
        id: r.try_get("id")?,
        attempt_id: r.try_get("attempt_id")?,
        position: u32::try_from(r.try_get::<i64, _>("position")?)
            .map_err(|_| super::common::bad_value("position"))?,
        assessor_id: r.try_get("assessor_id")?,
        assessor_name: r.try_get("assessor_name")?,
        elements: json(r, "elements")?,
        points: r.try_get("points")?,
        max_points: r.try_get("max_points")?,
        veto: r.try_get("veto")?,
        note: r.try_get("note")?,
        status: r.try_get("status")?,
        supersedes: r.try_get("supersedes")?,
        reason: r.try_get("reason")?,
        at_ms: r.try_get("at_ms")?,
    })
}

fn arbitration(r: &Row) -> Result<Arbitration> {
    Ok(Arbitration {
        attempt_id: r.try_get("attempt_id")?,
        position: u32::try_from(r.try_get::<i64, _>("position")?)
            .map_err(|_| super::common::bad_value("position"))?,
        arbitrator_id: r.try_get("arbitrator_id")?,
        points: r.try_get("points")?,
        veto: r.try_get("veto")?,
        reason: r.try_get("reason")?,
        at_ms: r.try_get("at_ms")?,
    })
}

fn refused(field: &'static str, code: &'static str) -> StoreError {
    StoreError::Refused {
        field,
        code,
        detail: String::new(),
    }
}

/// Inserts a mark with `status`; `None` when the partial unique indexes refuse it.
async fn insert_mark(
    tx: &mut super::common::Tx,
    m: &NewMark,
    status: &str,
    supersedes: Option<i64>,
    reason: Option<&str>,
    at_ms: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO marks (attempt_id, position, assessor_id, elements, points, veto, note, \
         status, supersedes, reason, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(m.attempt_id)
    .bind(i64::from(m.position))
    .bind(m.assessor_id)
    .bind(to_json(&m.elements)?)
    .bind(m.points)
    .bind(m.veto)
    .bind(&m.note)
    .bind(status)
    .bind(supersedes)
    .bind(reason)
    .bind(at_ms)
    .fetch_optional(&mut **tx)
    .await?)
}

#[async_trait]
impl MarkingStore for DbStore {
    async fn assign_assessor(
        &self,
        session_id: i64,
        user_id: i64,
        leader: bool,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        check_recusal(&mut tx, session_id, user_id).await?;
        let done = sqlx::query(
            "INSERT INTO session_staff (session_id, user_id, role, assigned_by, assigned_at_ms) \
             VALUES ($1, $2, 'assessor', $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(by)
        .bind(audit.at_ms)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 && !leader {
            return Err(StoreError::Conflict {
                field: "user_id",
                code: "exam_error.already_assigned",
            });
        }
        if leader {
            sqlx::query(
                "INSERT INTO panel_leaders (session_id, user_id) VALUES ($1, $2) \
                 ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id",
            )
            .bind(session_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn session_assessors(&self, session_id: i64) -> Result<Vec<(StaffRef, bool)>> {
        let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT u.id, u.display_name, l.user_id FROM session_staff ss JOIN users u \
             ON u.id = ss.user_id LEFT JOIN panel_leaders l ON l.session_id = ss.session_id \
             AND l.user_id = ss.user_id WHERE ss.session_id = $1 AND ss.role = 'assessor' \
             ORDER BY u.id",
        )
        .bind(session_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, display_name, leader)| {
                (
                    StaffRef {
                        user_id,
                        display_name,
                    },
                    leader.is_some(),
                )
            })
            .collect())
    }

    async fn assessor_sessions(&self, user_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT session_id FROM session_staff WHERE user_id = $1 AND role = 'assessor' \
             ORDER BY session_id DESC LIMIT 100",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    async fn served_recent(
        &self,
        body_id: i64,
        user_id: i64,
        plan_id: i64,
        limit: i64,
    ) -> Result<Vec<bool>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT p.id, (SELECT COUNT(*) FROM session_staff ss JOIN plan_sessions s \
             ON s.id = ss.session_id WHERE s.plan_id = p.id AND ss.user_id = $2 \
             AND ss.role = 'assessor') FROM plans p WHERE p.body_id = $1 AND p.id < $3 \
             ORDER BY p.id DESC LIMIT $4",
        )
        .bind(body_id)
        .bind(user_id)
        .bind(plan_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|(_, n)| n > 0).collect())
    }

    async fn qualifications(&self, user_id: i64) -> Result<Vec<Qualification>> {
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT occupation_code, highest_level, valid_until FROM assessor_qualifications \
             WHERE user_id = $1 ORDER BY occupation_code",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(occupation_code, level, valid_until)| Qualification {
                occupation_code,
                highest_level: u8::try_from(level).unwrap_or(5),
                valid_until,
            })
            .collect())
    }

    async fn grant_qualification(
        &self,
        user_id: i64,
        q: Qualification,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO assessor_qualifications (user_id, occupation_code, highest_level, \
             valid_until, granted_by, granted_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (user_id, occupation_code) DO UPDATE SET highest_level = \
             excluded.highest_level, valid_until = excluded.valid_until, granted_by = \
             excluded.granted_by, granted_at_ms = excluded.granted_at_ms",
        )
        .bind(user_id)
        .bind(&q.occupation_code)
        .bind(i64::from(q.highest_level))
        .bind(&q.valid_until)
        .bind(by)
        .bind(audit.at_ms)
        .execute(&mut *tx)
        .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn pending_positions(&self, session_id: i64) -> Result<Vec<(i64, u32)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT s.attempt_id, s.position FROM attempt_item_scores s JOIN attempts a \
             ON a.id = s.attempt_id WHERE a.session_id = $1 AND s.outcome = 'pending' \
             ORDER BY s.attempt_id, s.position",
        )
        .bind(session_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(a, p)| (a, u32::try_from(p).unwrap_or(u32::MAX)))
            .collect())
    }

    async fn submit_mark(&self, m: NewMark, audit: AuditEvent) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = insert_mark(&mut tx, &m, "active", None, None, audit.at_ms).await?;
        let Some(id) = id else {
            return Err(refused("position", "marking_error.already_marked"));
        };
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn propose_correction(
        &self,
        supersedes: i64,
        m: NewMark,
        reason: String,
        audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let status: String = sqlx::query_scalar("SELECT status FROM marks WHERE id = $1")
            .bind(supersedes)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found)?;
        if status != "active" {
            return Err(refused("mark_id", "marking_error.not_active"));
        }
        let id = insert_mark(
            &mut tx,
            &m,
            "proposed",
            Some(supersedes),
            Some(&reason),
            audit.at_ms,
        )
        .await?;
        let Some(id) = id else {
            return Err(refused("mark_id", "marking_error.correction_pending"));
        };
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn decide_correction(
        &self,
        mark_id: i64,
        approve: bool,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Claim the proposal first (its row, by setting the decider), so two decisions
        // cannot both apply.
        let claimed: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE marks SET decided_by = $2 WHERE id = $1 AND status = 'proposed' \
             AND decided_by IS NULL RETURNING supersedes",
        )
        .bind(mark_id)
        .bind(by)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(supersedes) = claimed else {
            return Err(refused("mark_id", "marking_error.not_proposed"));
        };
        if approve {
            // The old mark steps aside first; the partial unique index then admits the
            // correction as the assessor's one active mark. If another correction of it
            // was approved meanwhile (PostgreSQL lets both proposals in), this one is
            // refused rather than leaving two active marks.
            let stepped = sqlx::query(
                "UPDATE marks SET status = 'superseded', decided_by = $2 WHERE id = $1 \
                 AND status = 'active'",
            )
            .bind(supersedes)
            .bind(by)
            .execute(&mut *tx)
            .await?;
            if stepped.rows_affected() == 0 {
                return Err(refused("mark_id", "marking_error.not_active"));
            }
        }
        sqlx::query("UPDATE marks SET status = $2 WHERE id = $1")
            .bind(mark_id)
            .bind(if approve { "active" } else { "rejected" })
            .execute(&mut *tx)
            .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn mark(&self, id: i64) -> Result<MarkRow> {
        let sql = format!("{MARK_SELECT} WHERE m.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        mark(&row)
    }

    async fn attempt_marks(&self, attempt_id: i64) -> Result<Vec<MarkRow>> {
        let sql = format!("{MARK_SELECT} WHERE m.attempt_id = $1 ORDER BY m.position, m.id");
        let rows = sqlx::query(&sql)
            .bind(attempt_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(mark).collect()
    }

    async fn plan_marks(&self, plan_id: i64) -> Result<Vec<MarkRow>> {
        let sql = format!(
            "{MARK_SELECT} JOIN attempts a ON a.id = m.attempt_id WHERE a.plan_id = $1 \
             AND m.status = 'active' ORDER BY m.attempt_id, m.position, m.id"
        );
        let rows = sqlx::query(&sql)
            .bind(plan_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(mark).collect()
    }

    async fn arbitrate(&self, a: Arbitration, audit: AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO arbitrations (attempt_id, position, arbitrator_id, points, veto, \
             reason, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(a.attempt_id)
        .bind(i64::from(a.position))
        .bind(a.arbitrator_id)
        .bind(a.points)
        .bind(a.veto)
        .bind(&a.reason)
        .bind(a.at_ms)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(refused("position", "marking_error.already_arbitrated"));
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn plan_arbitrations(&self, plan_id: i64) -> Result<Vec<Arbitration>> {
        let rows = sqlx::query(
            "SELECT r.attempt_id, r.position, r.arbitrator_id, r.points, r.veto, r.reason, \
             r.at_ms FROM arbitrations r JOIN attempts a ON a.id = r.attempt_id \
             WHERE a.plan_id = $1",
        )
        .bind(plan_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(arbitration).collect()
    }
}
