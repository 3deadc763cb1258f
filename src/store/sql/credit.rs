//! Credit ledgers: events, decisions, appeals, and the revocations a confirmed
//! hard-exit event carries out in its own transaction.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{code, json, not_found, to_json, write_audited, Row, Tx};
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::domain::credit::{Entry, EventStatus, SubjectKind};
use crate::store::credit::{Appeal, CreditEvent, NewCreditEvent, Revocation};
use crate::store::{CreditStore, Result, StoreError};

const EVENT_SELECT: &str = "SELECT e.id, e.subject_kind, e.subject_id, \
     COALESCE(o.name, a.display_name, '') AS subject_name, e.body_id, e.year, e.rule_code, \
     e.points, e.hard_exit, e.note, e.evidence, e.status, e.plan_id, e.proposed_by AS \
     proposed_by_id, p.display_name AS proposed_by, e.proposed_at_ms, e.decided_by AS decided_by_id, \
     d.display_name AS decided_by, e.decided_at_ms, e.decision_note, (SELECT MIN(x.id) FROM credit_appeals x \
     WHERE x.event_id = e.id AND x.status = 'open') AS open_appeal_id FROM credit_events e \
     LEFT JOIN organisations o ON e.subject_kind = 'body' AND o.id = e.subject_id \
     LEFT JOIN users a ON e.subject_kind = 'assessor' AND a.id = e.subject_id \
     JOIN users p ON p.id = e.proposed_by LEFT JOIN users d ON d.id = e.decided_by";

const APPEAL_SELECT: &str = "SELECT x.id, x.event_id, f.display_name AS filed_by, x.reason, \
     x.status, x.filed_at_ms, d.display_name AS decided_by, x.decided_at_ms, x.decision_note \
     FROM credit_appeals x JOIN users f ON f.id = x.filed_by LEFT JOIN users d ON d.id = \
     x.decided_by";

fn year(r: &Row) -> Result<i32> {
    let y: i64 = r.try_get("year")?;
    i32::try_from(y).map_err(|_| super::common::bad_value("year"))
}

fn points(r: &Row) -> Result<i32> {
    let p: i64 = r.try_get("points")?;
    i32::try_from(p).map_err(|_| super::common::bad_value("points"))
}

fn event(r: &Row) -> Result<CreditEvent> {
    Ok(CreditEvent {
        id: r.try_get("id")?,
        subject_kind: code(r, "subject_kind", SubjectKind::from_code)?,
        subject_id: r.try_get("subject_id")?,
        subject_name: r.try_get("subject_name")?,
        body_id: r.try_get("body_id")?,
        year: year(r)?,
        rule_code: r.try_get("rule_code")?,
        points: points(r)?,
        hard_exit: r.try_get("hard_exit")?,
        note: r.try_get("note")?,
        evidence: json(r, "evidence")?,
        status: code(r, "status", EventStatus::from_code)?,
        plan_id: r.try_get("plan_id")?,
        proposed_by_id: r.try_get("proposed_by_id")?,
        proposed_by: r.try_get("proposed_by")?,
        proposed_at_ms: r.try_get("proposed_at_ms")?,
        decided_by_id: r.try_get("decided_by_id")?,
        decided_by: r.try_get("decided_by")?,
        decided_at_ms: r.try_get("decided_at_ms")?,
        decision_note: r.try_get("decision_note")?,
        open_appeal_id: r.try_get("open_appeal_id")?,
    })
}

fn appeal(r: &Row) -> Result<Appeal> {
    Ok(Appeal {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        filed_by: r.try_get("filed_by")?,
        reason: r.try_get("reason")?,
        status: r.try_get("status")?,
        filed_at_ms: r.try_get("filed_at_ms")?,
        decided_by: r.try_get("decided_by")?,
        decided_at_ms: r.try_get("decided_at_ms")?,
        decision_note: r.try_get("decision_note")?,
    })
}

fn stale(field: &'static str, code: &'static str) -> StoreError {
    StoreError::Invalid { field, code }
}

/// Revokes the certificates of `body_id` named in `revoke` that are not revoked yet.
/// A certificate of another body is refused (the whole transaction with it).
async fn revoke_all(
    tx: &mut Tx,
    body_id: Option<i64>,
    revoke: &Revocation,
    by: i64,
    at_ms: i64,
) -> Result<()> {
    for &id in &revoke.certificate_ids {
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT body_id FROM certificates WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
        if owner.is_none() || owner != body_id {
            return Err(stale("revoke", "credit_error.certificate_not_of_body"));
        }
        sqlx::query(
            "UPDATE certificates SET status = 'revoked', status_reason = $2, \
             status_changed_by = $3, status_changed_at_ms = $4 WHERE id = $1 AND status <> \
             'revoked'",
        )
        .bind(id)
        .bind(&revoke.reason)
        .bind(by)
        .bind(at_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl CreditStore for DbStore {
    async fn add_credit_event(
        &self,
        e: NewCreditEvent,
        revoke: Revocation,
        audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let confirmed = e.status == EventStatus::Confirmed;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO credit_events (subject_kind, subject_id, body_id, year, rule_code, \
             points, hard_exit, note, evidence, status, plan_id, proposed_by, proposed_at_ms, \
             decided_by, decided_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15) RETURNING id",
        )
        .bind(e.subject_kind.code())
        .bind(e.subject_id)
        .bind(e.body_id)
        .bind(i64::from(e.year))
        .bind(&e.rule_code)
        .bind(i64::from(e.points))
        .bind(e.hard_exit)
        .bind(&e.note)
        .bind(to_json(&e.evidence)?)
        .bind(e.status.code())
        .bind(e.plan_id)
        .bind(e.by)
        .bind(audit.at_ms)
        .bind(confirmed.then_some(e.by))
        .bind(confirmed.then_some(audit.at_ms))
        .fetch_one(&mut *tx)
        .await?;
        if confirmed {
            revoke_all(&mut tx, e.body_id, &revoke, e.by, audit.at_ms).await?;
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn decide_credit_event(
        &self,
        id: i64,
        confirm: bool,
        by: i64,
        note: &str,
        revoke: Revocation,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let to = if confirm {
            EventStatus::Confirmed
        } else {
            EventStatus::Rejected
        };
        // Only a proposal is decided, once: a concurrent decision wins.
        let body_id: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE credit_events SET status = $2, decided_by = $3, decided_at_ms = $4, \
             decision_note = $5 WHERE id = $1 AND status = 'proposed' RETURNING body_id",
        )
        .bind(id)
        .bind(to.code())
        .bind(by)
        .bind(audit.at_ms)
        .bind(note)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(body_id) = body_id else {
            return Err(stale("decision", "credit_error.not_proposed"));
        };
        if confirm {
            revoke_all(&mut tx, body_id, &revoke, by, audit.at_ms).await?;
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn credit_event(&self, id: i64) -> Result<CreditEvent> {
        let sql = format!("{EVENT_SELECT} WHERE e.id = $1");
        let r = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        event(&r)
    }

    async fn credit_events(&self, kind: SubjectKind, subject_id: i64) -> Result<Vec<CreditEvent>> {
        let sql =
            format!("{EVENT_SELECT} WHERE e.subject_kind = $1 AND e.subject_id = $2 ORDER BY e.id");
        let rows = sqlx::query(&sql)
            .bind(kind.code())
            .bind(subject_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(event).collect()
    }

    async fn credit_events_where(
        &self,
        body_id: Option<i64>,
        status: Option<EventStatus>,
        limit: i64,
    ) -> Result<Vec<CreditEvent>> {
        let sql = format!(
            "{EVENT_SELECT} WHERE ($1 IS NULL OR e.body_id = $1) AND ($2 IS NULL OR e.status \
             = $2) ORDER BY e.id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(body_id)
            .bind(status.map(EventStatus::code))
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(event).collect()
    }

    async fn credit_entries(&self, kind: SubjectKind) -> Result<Vec<(i64, Entry)>> {
        let rows = sqlx::query(
            "SELECT subject_id, year, points, hard_exit, status, COALESCE(decided_at_ms, \
             proposed_at_ms) AS at_ms FROM credit_events WHERE subject_kind = $1 AND status = \
             'confirmed'",
        )
        .bind(kind.code())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("subject_id")?,
                    Entry {
                        year: year(r)?,
                        points: points(r)?,
                        hard_exit: r.try_get("hard_exit")?,
                        status: code(r, "status", EventStatus::from_code)?,
                        at_ms: r.try_get("at_ms")?,
                    },
                ))
            })
            .collect()
    }

    async fn file_appeal(
        &self,
        event_id: i64,
        by: i64,
        reason: &str,
        audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let status: String = sqlx::query_scalar("SELECT status FROM credit_events WHERE id = $1")
            .bind(event_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found)?;
        if status != EventStatus::Confirmed.code() {
            return Err(stale("event_id", "credit_error.not_appealable"));
        }
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO credit_appeals (event_id, filed_by, reason, status, filed_at_ms) \
             VALUES ($1, $2, $3, 'open', $4) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(event_id)
        .bind(by)
        .bind(reason)
        .bind(audit.at_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Err(StoreError::Conflict {
                field: "event_id",
                code: "credit_error.appeal_open",
            });
        };
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn decide_appeal(
        &self,
        id: i64,
        uphold: bool,
        by: i64,
        note: &str,
        audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let event_id: Option<i64> = sqlx::query_scalar(
            "UPDATE credit_appeals SET status = $2, decided_by = $3, decided_at_ms = $4, \
             decision_note = $5 WHERE id = $1 AND status = 'open' RETURNING event_id",
        )
        .bind(id)
        .bind(if uphold { "upheld" } else { "dismissed" })
        .bind(by)
        .bind(audit.at_ms)
        .bind(note)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(event_id) = event_id else {
            return Err(stale("decision", "credit_error.appeal_not_open"));
        };
        if uphold {
            sqlx::query(
                "UPDATE credit_events SET status = 'reversed' WHERE id = $1 AND status = \
                 'confirmed'",
            )
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(event_id)
    }

    async fn open_appeal_events(&self) -> Result<Vec<CreditEvent>> {
        let sql = format!(
            "{EVENT_SELECT} WHERE EXISTS (SELECT 1 FROM credit_appeals x WHERE x.event_id = e.id \
             AND x.status = 'open') ORDER BY e.id"
        );
        let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
        rows.iter().map(event).collect()
    }

    async fn appeal(&self, id: i64) -> Result<Appeal> {
        let sql = format!("{APPEAL_SELECT} WHERE x.id = $1");
        let r = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        appeal(&r)
    }

    async fn appeals(&self, event_id: i64) -> Result<Vec<Appeal>> {
        let sql = format!("{APPEAL_SELECT} WHERE x.event_id = $1 ORDER BY x.id");
        let rows = sqlx::query(&sql)
            .bind(event_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(appeal).collect()
    }
}
