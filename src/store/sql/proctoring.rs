//! Proctoring: actions on attempts, admitting a room, irregularities, and the action
//! log inspectors read.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{not_found, to_json, write_audited, Tx};
use super::delivery::{lock_attempt, write_clock};
use super::{dialect, DbStore};
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{apply_action, Clock, Extension, IrregularityOutcome, ProctorAction};
use crate::store::plans::{Plan, PlanSession};
use crate::store::proctoring::ProctorActionRow;
use crate::store::{PlanStore, ProctorStore, Result, StoreError};

/// One line of the proctor log: who did what to which attempt of which session.
struct LogLine<'a> {
    plan_id: i64,
    session_id: i64,
    attempt_id: Option<i64>,
    actor: i64,
    action: &'a str,
    detail: &'a str,
    /// An irregularity's outcome code.
    outcome: Option<&'a str>,
    at_ms: i64,
}

async fn log(tx: &mut Tx, l: LogLine<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO proctor_actions (plan_id, session_id, attempt_id, actor_id, action, \
         detail, outcome, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(l.plan_id)
    .bind(l.session_id)
    .bind(l.attempt_id)
    .bind(l.actor)
    .bind(l.action)
    .bind(l.detail)
    .bind(l.outcome)
    .bind(l.at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A refused action, with the message key of its reason.
fn refused(why: &'static str) -> StoreError {
    let code = match why {
        "already_admitted" => "exam_error.refused.already_admitted",
        "past_deadline" => "exam_error.refused.past_deadline",
        "not_in_progress" => "exam_error.refused.not_in_progress",
        "not_paused" => "exam_error.refused.not_paused",
        "attempt_closed" => "exam_error.refused.attempt_closed",
        "minutes" => "exam_error.refused.minutes",
        "extension_cap" => "exam_error.refused.extension_cap",
        _ => "exam_error.action_refused",
    };
    StoreError::Refused {
        field: "action",
        code,
        detail: why.to_string(),
    }
}

#[async_trait]
impl ProctorStore for DbStore {
    async fn proctor_action(
        &self,
        attempt_id: i64,
        action: ProctorAction,
        extension: Extension,
        actor: i64,
        detail: String,
        audit: AuditEvent,
    ) -> Result<Clock> {
        let mut tx = self.begin_write().await?;
        let a = lock_attempt(&mut tx, attempt_id).await?;
        let now = audit.at_ms;
        let next = apply_action(&a.clock, action, now, extension).map_err(refused)?;
        write_clock(&mut tx, attempt_id, &next).await?;
        let stamp = match action {
            ProctorAction::Admit => Some("UPDATE attempts SET admitted_at_ms = $1 WHERE id = $2"),
            ProctorAction::Terminate => Some(
                "UPDATE attempts SET submitted_at_ms = $1, submit_reason = 'terminated' \
                 WHERE id = $2",
            ),
            _ => None,
        };
        if let Some(sql) = stamp {
            sqlx::query(sql)
                .bind(now)
                .bind(attempt_id)
                .execute(&mut *tx)
                .await?;
        }
        let line = LogLine {
            plan_id: a.plan_id,
            session_id: a.session_id,
            attempt_id: Some(attempt_id),
            actor,
            action: action.code(),
            detail: &detail,
            outcome: None,
            at_ms: now,
        };
        log(&mut tx, line).await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(next)
    }

    async fn admit_session(&self, session_id: i64, actor: i64, audit: AuditEvent) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let plan_id: i64 = sqlx::query_scalar("SELECT plan_id FROM plan_sessions WHERE id = $1")
            .bind(session_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found)?;
        // Only candidates signed in and waiting (a live exam session): one who is absent
        // is not admitted in passing, so the late-entry cut-off still holds for them (a
        // proctor can admit them one by one). Rows locked in id order first, as every
        // other exam write does.
        let sql = format!(
            "SELECT id FROM attempts WHERE session_id = $1 AND status = 'ready' \
             AND candidate_id IN (SELECT candidate_id FROM exam_sessions WHERE expires_at_ms > $2) \
             ORDER BY id{}",
            dialect::ROW_LOCK
        );
        let ids: Vec<i64> = sqlx::query_scalar(&sql)
            .bind(session_id)
            .bind(audit.at_ms)
            .fetch_all(&mut *tx)
            .await?;
        let n = if ids.is_empty() {
            0
        } else {
            let sql = format!(
                "UPDATE attempts SET status = 'admitted', admitted_at_ms = $2 \
                 WHERE status = 'ready' AND id{}",
                dialect::IN_JSON_IDS
            );
            sqlx::query(&sql)
                .bind(to_json(&ids)?)
                .bind(audit.at_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        let count = n.to_string();
        let line = LogLine {
            plan_id,
            session_id,
            attempt_id: None,
            actor,
            action: "admit_all",
            detail: &count,
            outcome: None,
            at_ms: audit.at_ms,
        };
        log(&mut tx, line).await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(n)
    }

    async fn record_irregularity(
        &self,
        attempt_id: i64,
        outcome: IrregularityOutcome,
        points: f64,
        description: String,
        actor: i64,
        audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let a = lock_attempt(&mut tx, attempt_id).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO irregularities (attempt_id, recorded_by, description, outcome, points, \
             at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(attempt_id)
        .bind(actor)
        .bind(&description)
        .bind(outcome.code())
        .bind(points)
        .bind(audit.at_ms)
        .fetch_one(&mut *tx)
        .await?;
        // A void paper ends the attempt at once.
        if outcome == IrregularityOutcome::Void && !a.clock.status.is_final() {
            let next = apply_action(
                &a.clock,
                ProctorAction::Terminate,
                audit.at_ms,
                Extension::NONE,
            )
            .map_err(|_| StoreError::NotFound)?;
            write_clock(&mut tx, attempt_id, &next).await?;
            sqlx::query(
                "UPDATE attempts SET submitted_at_ms = $1, submit_reason = 'void' WHERE id = $2",
            )
            .bind(audit.at_ms)
            .bind(attempt_id)
            .execute(&mut *tx)
            .await?;
        }
        let line = LogLine {
            plan_id: a.plan_id,
            session_id: a.session_id,
            attempt_id: Some(attempt_id),
            actor,
            action: "irregularity",
            detail: &description,
            outcome: Some(outcome.code()),
            at_ms: audit.at_ms,
        };
        log(&mut tx, line).await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn is_session_proctor(&self, session_id: i64, user_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM session_staff WHERE session_id = $1 AND user_id = $2 \
             AND role = 'proctor'",
        )
        .bind(session_id)
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        Ok(n > 0)
    }

    async fn proctor_sessions(&self, user_id: i64) -> Result<Vec<(Plan, PlanSession)>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT session_id FROM session_staff WHERE user_id = $1 AND role = 'proctor' \
             ORDER BY session_id DESC LIMIT 100",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let s = self.plan_session(id).await?;
            out.push((self.plan(s.plan_id).await?, s));
        }
        Ok(out)
    }

    async fn proctor_actions(&self, plan_id: i64, limit: i64) -> Result<Vec<ProctorActionRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.session_id, a.attempt_id, u.display_name AS actor, a.action, \
             a.detail, a.outcome, a.at_ms FROM proctor_actions a LEFT JOIN users u ON u.id = a.actor_id \
             WHERE a.plan_id = $1 ORDER BY a.id DESC LIMIT $2",
        )
        .bind(plan_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ProctorActionRow {
                    id: r.try_get("id")?,
                    session_id: r.try_get("session_id")?,
                    attempt_id: r.try_get("attempt_id")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    detail: r.try_get("detail")?,
                    outcome: r.try_get("outcome")?,
                    at_ms: r.try_get("at_ms")?,
                })
            })
            .collect()
    }
}
