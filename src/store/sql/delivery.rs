//! The exam day: exam-day sessions, attempts with their papers and answers, and the
//! deadline sweep. The group commit's batches are in `delivery_batch.rs`.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{code, code_opt, json, not_found, small, Row, Tx};
use super::{delivery_batch, dialect, DbStore};
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{AttemptStatus, Clock};
use crate::domain::item::ItemContent;
use crate::store::delivery::{
    Admission, AttemptRecord, ExamIdentity, ExamOp, ExamOpResult, SavedAnswer, StoredSeq,
};
use crate::store::{DeliveryStore, Result};

pub(super) const CLOCK_COLUMNS: &str =
    "status, started_at_ms, deadline_ms, paused_at_ms, extension_ms";

pub(super) fn clock(r: &Row) -> Result<Clock> {
    Ok(Clock {
        status: code(r, "status", AttemptStatus::from_code)?,
        started_at_ms: r.try_get("started_at_ms")?,
        deadline_ms: r.try_get("deadline_ms")?,
        paused_at_ms: r.try_get("paused_at_ms")?,
        extension_ms: r.try_get("extension_ms")?,
    })
}

/// An attempt's clock, duration, plan and session, locked until commit on PostgreSQL.
pub(super) struct LockedAttempt {
    pub clock: Clock,
    pub duration_ms: i64,
    pub plan_id: i64,
    pub session_id: i64,
}

pub(super) async fn lock_attempt(tx: &mut Tx, attempt_id: i64) -> Result<LockedAttempt> {
    let sql = format!(
        "SELECT {CLOCK_COLUMNS}, duration_ms, plan_id, session_id FROM attempts WHERE id = $1{}",
        dialect::ROW_LOCK
    );
    let row = sqlx::query(&sql)
        .bind(attempt_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(not_found)?;
    Ok(LockedAttempt {
        clock: clock(&row)?,
        duration_ms: row.try_get("duration_ms")?,
        plan_id: row.try_get("plan_id")?,
        session_id: row.try_get("session_id")?,
    })
}

pub(super) async fn write_clock(tx: &mut Tx, attempt_id: i64, c: &Clock) -> Result<()> {
    sqlx::query(
        "UPDATE attempts SET status = $1, started_at_ms = $2, deadline_ms = $3, \
         paused_at_ms = $4, extension_ms = $5 WHERE id = $6",
    )
    .bind(c.status.code())
    .bind(c.started_at_ms)
    .bind(c.deadline_ms)
    .bind(c.paused_at_ms)
    .bind(c.extension_ms)
    .bind(attempt_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks an attempt submitted at `at_ms` for `reason` (`candidate`, `time`).
pub(super) async fn submit(tx: &mut Tx, attempt_id: i64, at_ms: i64, reason: &str) -> Result<()> {
    sqlx::query(
        "UPDATE attempts SET status = 'submitted', submitted_at_ms = $1, submit_reason = $2, \
         paused_at_ms = NULL WHERE id = $3",
    )
    .bind(at_ms)
    .bind(reason)
    .bind(attempt_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl DeliveryStore for DbStore {
    async fn item_contents(&self, ids: &[(i64, i64)]) -> Result<Vec<((i64, i64), ItemContent)>> {
        let mut out = Vec::with_capacity(ids.len());
        for &(item, version) in ids {
            let row = sqlx::query(
                "SELECT content FROM item_versions WHERE item_id = $1 AND version = $2",
            )
            .bind(item)
            .bind(version)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
            out.push(((item, version), json(&row, "content")?));
        }
        Ok(out)
    }

    async fn candidate_by_admission(&self, admission_no: &str) -> Result<Option<Admission>> {
        let row = sqlx::query(
            "SELECT c.id, p.document_lookup, s.starts_at_ms, a.status FROM candidates c \
             JOIN people p ON p.id = c.person_id JOIN plan_sessions s ON s.id = c.session_id \
             LEFT JOIN attempts a ON a.candidate_id = c.id WHERE c.admission_no = $1",
        )
        .bind(admission_no)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok(Admission {
                candidate_id: r.try_get("id")?,
                document_lookup: r.try_get("document_lookup")?,
                starts_at_ms: r.try_get("starts_at_ms")?,
                attempt_status: code_opt(&r, "status", AttemptStatus::from_code)?,
            })
        })
        .transpose()
    }

    async fn exam_identity(&self, token_hash: &str, now_ms: i64) -> Result<Option<ExamIdentity>> {
        let row = sqlx::query(
            "SELECT s.candidate_id, s.csrf_token, s.expires_at_ms, c.plan_id, c.session_id, \
             a.id AS attempt_id FROM exam_sessions s JOIN candidates c ON c.id = s.candidate_id \
             LEFT JOIN attempts a ON a.candidate_id = c.id \
             WHERE s.token_hash = $1 AND s.expires_at_ms > $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok(ExamIdentity {
                token_hash: token_hash.to_string(),
                expires_at_ms: r.try_get("expires_at_ms")?,
                candidate_id: r.try_get("candidate_id")?,
                attempt_id: r.try_get("attempt_id")?,
                plan_id: r.try_get("plan_id")?,
                session_id: r.try_get("session_id")?,
                csrf_token: r.try_get("csrf_token")?,
            })
        })
        .transpose()
    }

    async fn end_exam_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM exam_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn attempt(&self, attempt_id: i64) -> Result<AttemptRecord> {
        let sql = format!(
            "SELECT id, candidate_id, plan_id, session_id, p.paper, {CLOCK_COLUMNS}, duration_ms, \
             submitted_at_ms FROM attempts JOIN attempt_papers p ON p.attempt_id = attempts.id \
             WHERE id = $1"
        );
        let r = sqlx::query(&sql)
            .bind(attempt_id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        let rows = sqlx::query(
            "SELECT position, answer, seq, saved_at_ms FROM answers WHERE attempt_id = $1 \
             ORDER BY position",
        )
        .bind(attempt_id)
        .fetch_all(self.reader())
        .await?;
        let answers: Vec<SavedAnswer> = rows
            .iter()
            .map(|a| {
                Ok(SavedAnswer {
                    position: small(a, "position")?,
                    answer: a.try_get("answer")?,
                    seq: a.try_get("seq")?,
                    saved_at_ms: a.try_get("saved_at_ms")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(AttemptRecord {
            id: r.try_get("id")?,
            candidate_id: r.try_get("candidate_id")?,
            plan_id: r.try_get("plan_id")?,
            session_id: r.try_get("session_id")?,
            paper: json(&r, "paper")?,
            clock: clock(&r)?,
            duration_ms: r.try_get("duration_ms")?,
            submitted_at_ms: r.try_get("submitted_at_ms")?,
            last_seq: answers.iter().map(|a| a.seq).max().unwrap_or(0),
            last_saved_at_ms: answers.iter().map(|a| a.saved_at_ms).max(),
            answers,
        })
    }

    async fn apply_exam_ops(
        &self,
        ops: &[ExamOp],
        now_ms: i64,
        grace_ms: i64,
    ) -> Result<Vec<ExamOpResult>> {
        let tx = self.begin_write().await?;
        delivery_batch::apply(tx, &self.chain_key, ops, now_ms, grace_ms).await
    }

    async fn submit_overdue(&self, now_ms: i64, grace_ms: i64) -> Result<Vec<i64>> {
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM attempts WHERE status = 'in_progress' AND deadline_ms + $1 < $2 \
             ORDER BY id LIMIT 5000",
        )
        .bind(grace_ms)
        .bind(now_ms)
        .fetch_all(self.reader())
        .await?;
        if due.is_empty() {
            return Ok(due);
        }
        let mut tx = self.begin_write().await?;
        let mut done = Vec::with_capacity(due.len());
        // Attempt rows first (ascending), the audit head last: the lock order of every
        // other exam write, so the sweep never deadlocks with them.
        let mut audits = Vec::with_capacity(due.len());
        for id in due {
            let a = lock_attempt(&mut tx, id).await?;
            // Re-checked under the lock: a proctor may have paused or extended.
            let (AttemptStatus::InProgress, Some(deadline)) = (a.clock.status, a.clock.deadline_ms)
            else {
                continue;
            };
            if deadline + grace_ms >= now_ms {
                continue;
            }
            submit(&mut tx, id, deadline, "time").await?;
            let body_id: Option<i64> =
                sqlx::query_scalar("SELECT body_id FROM plans WHERE id = $1")
                    .bind(a.plan_id)
                    .fetch_one(&mut *tx)
                    .await?;
            audits.push(AuditEvent {
                at_ms: now_ms,
                actor_user_id: None,
                actor: "system".into(),
                action: "attempt.auto_submit".into(),
                object_type: "attempt".into(),
                object_id: id.to_string(),
                org_id: body_id,
                details: serde_json::json!({ "deadline_ms": deadline }).to_string(),
            });
            done.push(id);
        }
        super::audit::append_many(&mut tx, &self.chain_key, audits).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn stored_seqs(&self, plan_id: i64) -> Result<Vec<StoredSeq>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT c.admission_no, an.position, an.seq FROM answers an \
             JOIN attempts a ON a.id = an.attempt_id JOIN candidates c ON c.id = a.candidate_id \
             WHERE a.plan_id = $1",
        )
        .bind(plan_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(admission_no, position, seq)| StoredSeq {
                admission_no,
                position: u32::try_from(position).unwrap_or(u32::MAX),
                seq,
            })
            .collect())
    }

    async fn set_mark(&self, attempt_id: i64, position: u32, marked: bool) -> Result<()> {
        let sql = match marked {
            true => {
                "INSERT INTO attempt_marks (attempt_id, position) VALUES ($1, $2) \
                 ON CONFLICT (attempt_id, position) DO NOTHING"
            }
            false => "DELETE FROM attempt_marks WHERE attempt_id = $1 AND position = $2",
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(sql)
            .bind(attempt_id)
            .bind(i64::from(position))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn marks(&self, attempt_id: i64) -> Result<Vec<u32>> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT position FROM attempt_marks WHERE attempt_id = $1 ORDER BY position",
        )
        .bind(attempt_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|p| u32::try_from(p).ok())
            .collect())
    }
}
