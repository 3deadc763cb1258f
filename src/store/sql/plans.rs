//! Plans, their sessions in rooms and the proctors assigned to them; the roster and the
//! papers are in `roster.rs`.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{code, json, not_found, on_unique, small, to_json, write_audited, Row, Tx};
use super::roster;
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{recusal, PlanStatus, Relation};
use crate::domain::org::OrgKind;
use crate::store::dialect::Unique;
use crate::store::plans::{
    Enrolled, Enrolment, NewAttempt, NewCandidate, NewPlan, PaperDraw, Plan, PlanSession, PoolRow,
    RosterEntry, StaffRef,
};
use crate::store::{PlanStore, Result, StoreError};

pub(super) const PLAN_SELECT: &str = "SELECT p.id, p.body_id, p.occupation_id, \
     o.code AS occupation_code, o.name AS occupation_name, p.level, p.bank_id, p.name, \
     p.exam_date, p.status, p.template, p.created_at_ms, p.approved_at_ms, \
     p.roster_closed_at_ms, p.component FROM plans p JOIN occupations o ON o.id = \
     p.occupation_id";

pub(super) fn plan(r: &Row) -> Result<Plan> {
    Ok(Plan {
        id: r.try_get("id")?,
        body_id: r.try_get("body_id")?,
        component: code(
            r,
            "component",
            crate::domain::exam::components::Component::from_code,
        )?,
        occupation_id: r.try_get("occupation_id")?,
        occupation_code: r.try_get("occupation_code")?,
        occupation_name: r.try_get("occupation_name")?,
        level: small(r, "level")?,
        bank_id: r.try_get("bank_id")?,
        name: r.try_get("name")?,
        exam_date: r.try_get("exam_date")?,
        status: code(r, "status", PlanStatus::from_code)?,
        template: json(r, "template")?,
        created_at_ms: r.try_get("created_at_ms")?,
        approved_at_ms: r.try_get("approved_at_ms")?,
        roster_closed_at_ms: r.try_get("roster_closed_at_ms")?,
    })
}

pub(super) async fn plan_tx(tx: &mut Tx, id: i64) -> Result<Plan> {
    let sql = format!("{PLAN_SELECT} WHERE p.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map_err(not_found)?;
    plan(&row)
}

const SESSION_SELECT: &str = "SELECT s.id, s.plan_id, s.room_id, r.name AS room_name, \
     s.starts_at_ms, (SELECT COUNT(*) FROM candidates c WHERE c.session_id = s.id) AS candidates \
     FROM plan_sessions s JOIN organisations r ON r.id = s.room_id";

/// Refuses when the staff member declared a relation to a candidate of the session (or
/// is one). People are matched by their document's keyed look-up hash.
pub(super) async fn check_recusal(tx: &mut Tx, session_id: i64, user_id: i64) -> Result<()> {
    let staff_person: Option<String> = sqlx::query_scalar(
        "SELECT p.document_lookup FROM users u LEFT JOIN people p ON p.id = u.person_id \
         WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await
    .map_err(not_found)?;
    let declared: Vec<(String, String)> = sqlx::query_as(
        "SELECT document_lookup, relation FROM declared_relations WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    if declared.is_empty() && staff_person.is_none() {
        return Ok(());
    }
    let mut relations = Vec::with_capacity(declared.len());
    for (person, rel) in declared {
        let rel = Relation::from_code(&rel).ok_or_else(|| super::common::bad_value("relation"))?;
        relations.push((person, rel));
    }
    let candidates: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.document_lookup, c.admission_no FROM candidates c \
         JOIN people p ON p.id = c.person_id WHERE c.session_id = $1",
    )
    .bind(session_id)
    .fetch_all(&mut **tx)
    .await?;
    match recusal(staff_person.as_ref(), &relations, &candidates) {
        Some(r) => Err(StoreError::Refused {
            field: "user_id",
            code: "exam_error.recusal",
            detail: format!("{} ({})", r.admission_no, r.relation.code()),
        }),
        None => Ok(()),
    }
}

impl DbStore {
    /// Sessions matching `filter` (a condition on `s` with one parameter), with their
    /// proctors.
    pub(super) async fn session_rows(&self, filter: &str, id: i64) -> Result<Vec<PlanSession>> {
        let sql = format!("{SESSION_SELECT} WHERE {filter} ORDER BY s.starts_at_ms, s.id");
        let rows = sqlx::query(&sql).bind(id).fetch_all(self.reader()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let proctors: Vec<(i64, String)> = sqlx::query_as(
                "SELECT u.id, u.display_name FROM session_staff ss JOIN users u \
                 ON u.id = ss.user_id WHERE ss.session_id = $1 AND ss.role = 'proctor' \
                 ORDER BY u.id",
            )
            .bind(id)
            .fetch_all(self.reader())
            .await?;
            out.push(PlanSession {
                id,
                plan_id: r.try_get("plan_id")?,
                room_id: r.try_get("room_id")?,
                room_name: r.try_get("room_name")?,
                starts_at_ms: r.try_get("starts_at_ms")?,
                candidates: r.try_get("candidates")?,
                proctors: proctors
                    .into_iter()
                    .map(|(user_id, display_name)| StaffRef {
                        user_id,
                        display_name,
                    })
                    .collect(),
            });
        }
        Ok(out)
    }
}

#[async_trait]
impl PlanStore for DbStore {
    async fn create_plan(&self, new: NewPlan, mut audit: AuditEvent) -> Result<Plan> {
        let mut tx = self.begin_write().await?;
        let status = if new.requires_approval {
            PlanStatus::PendingApproval
        } else {
            PlanStatus::Open
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plans (body_id, occupation_id, level, bank_id, name, exam_date, status, \
             template, created_by, created_at_ms, component) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.body_id)
        .bind(new.occupation_id)
        .bind(i64::from(new.level))
        .bind(new.bank_id)
        .bind(&new.name)
        .bind(&new.exam_date)
        .bind(status.code())
        .bind(to_json(&new.template)?)
        .bind(new.created_by)
        .bind(audit.at_ms)
        .bind(new.component.code())
        .fetch_one(&mut *tx)
        .await?;
        audit.object_id = id.to_string();
        let plan = plan_tx(&mut tx, id).await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(plan)
    }

    async fn plan(&self, id: i64) -> Result<Plan> {
        let sql = format!("{PLAN_SELECT} WHERE p.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        plan(&row)
    }

    async fn plans(&self, body_id: Option<i64>) -> Result<Vec<Plan>> {
        let sql = format!(
            "{PLAN_SELECT} WHERE ($1 IS NULL OR p.body_id = $1) ORDER BY p.id DESC LIMIT 500"
        );
        let rows = sqlx::query(&sql)
            .bind(body_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(plan).collect()
    }

    async fn approve_plan(&self, id: i64, by: i64, audit: AuditEvent) -> Result<Plan> {
        let mut tx = self.begin_write().await?;
        if plan_tx(&mut tx, id).await?.status != PlanStatus::PendingApproval {
            return Err(StoreError::Invalid {
                field: "status",
                code: "exam_error.not_pending",
            });
        }
        sqlx::query(
            "UPDATE plans SET status = 'open', approved_by = $1, approved_at_ms = $2 \
             WHERE id = $3",
        )
        .bind(by)
        .bind(audit.at_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let plan = plan_tx(&mut tx, id).await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(plan)
    }

    async fn add_session(
        &self,
        plan_id: i64,
        room_id: i64,
        starts_at_ms: i64,
        mut audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let plan = plan_tx(&mut tx, plan_id).await?;
        if plan.status != PlanStatus::Open && plan.status != PlanStatus::PendingApproval {
            return Err(StoreError::Invalid {
                field: "plan",
                code: "exam_error.roster_closed",
            });
        }
        let room = super::orgs::get(&mut tx, room_id).await.ok();
        if !room.is_some_and(|r| r.kind == OrgKind::Room && r.body_id == Some(plan.body_id)) {
            return Err(StoreError::Invalid {
                field: "room_id",
                code: "exam_error.room",
            });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plan_sessions (plan_id, room_id, starts_at_ms, created_at_ms) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(plan_id)
        .bind(room_id)
        .bind(starts_at_ms)
        .bind(audit.at_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            on_unique(
                e,
                &[(Unique::SessionSlot, "starts_at", "exam_error.session_taken")],
            )
        })?;
        audit.object_id = id.to_string();
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn sessions(&self, plan_id: i64) -> Result<Vec<PlanSession>> {
        self.session_rows("s.plan_id = $1", plan_id).await
    }

    async fn plan_session(&self, id: i64) -> Result<PlanSession> {
        self.session_rows("s.id = $1", id)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn assign_proctor(
        &self,
        session_id: i64,
        user_id: i64,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        check_recusal(&mut tx, session_id, user_id).await?;
        sqlx::query(
            "INSERT INTO session_staff (session_id, user_id, role, assigned_by, assigned_at_ms) \
             VALUES ($1, $2, 'proctor', $3, $4)",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(by)
        .bind(audit.at_ms)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            on_unique(
                e,
                &[(
                    Unique::SessionStaff,
                    "user_id",
                    "exam_error.already_assigned",
                )],
            )
        })?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn declare_relation(
        &self,
        user_id: i64,
        document_lookup: &str,
        relation: Relation,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO declared_relations (user_id, document_lookup, relation, declared_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(document_lookup)
        .bind(relation.code())
        .bind(audit.at_ms)
        .execute(&mut *tx)
        .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn add_candidates(
        &self,
        plan_id: i64,
        candidates: Vec<NewCandidate>,
        audit: AuditEvent,
    ) -> Result<Vec<Enrolled>> {
        let tx = self.begin_write().await?;
        roster::add_candidates(tx, &self.chain_key, plan_id, candidates, audit).await
    }

    async fn roster(&self, plan_id: i64, session_id: Option<i64>) -> Result<Vec<RosterEntry>> {
        roster::roster(self.reader(), plan_id, session_id).await
    }

    async fn enrolments(&self, person_id: i64) -> Result<Vec<Enrolment>> {
        roster::enrolments(self.reader(), person_id).await
    }

    async fn pool(&self, bank_id: i64, level: u8) -> Result<(Vec<PoolRow>, Vec<(i64, u32)>)> {
        roster::pool(self.reader(), bank_id, level).await
    }

    async fn earlier_items(&self, plan_id: i64) -> Result<Vec<(i64, Vec<i64>)>> {
        roster::earlier_items(self.reader(), plan_id).await
    }

    async fn roster_people(&self, plan_id: i64) -> Result<Vec<(i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT id, person_id, session_id FROM candidates WHERE plan_id = $1 ORDER BY id",
        )
        .bind(plan_id)
        .fetch_all(self.reader())
        .await?)
    }

    async fn record_plan_draw(
        &self,
        plan_id: i64,
        standard: String,
        pool: String,
        at_ms: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO plan_draws (plan_id, standard, pool, drawn_at_ms) VALUES ($1, $2, $3, \
             $4) ON CONFLICT (plan_id) DO UPDATE SET standard = excluded.standard, pool = \
             excluded.pool, drawn_at_ms = excluded.drawn_at_ms",
        )
        .bind(plan_id)
        .bind(standard)
        .bind(pool)
        .bind(at_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn paper_draw(&self, attempt_id: i64) -> Result<PaperDraw> {
        let row = sqlx::query(
            "SELECT a.plan_id, a.seed, p.paper, p.excluded, d.standard, d.pool FROM attempts a \
             JOIN attempt_papers p ON p.attempt_id = a.id LEFT JOIN plan_draws d \
             ON d.plan_id = a.plan_id WHERE a.id = $1",
        )
        .bind(attempt_id)
        .fetch_one(self.reader())
        .await
        .map_err(not_found)?;
        let excluded: Option<String> = row.try_get("excluded")?;
        Ok(PaperDraw {
            plan_id: row.try_get("plan_id")?,
            // Seeds are stored as the signed image of the u64 (BIGINT has no unsigned).
            seed: row.try_get::<i64, _>("seed")? as u64,
            paper: json(&row, "paper")?,
            excluded: excluded
                .map(|e| serde_json::from_str(&e))
                .transpose()
                .map_err(|_| super::common::bad_value("excluded"))?,
            standard: row.try_get("standard")?,
            pool: row.try_get("pool")?,
        })
    }

    async fn close_roster(
        &self,
        plan_id: i64,
        attempts: Vec<NewAttempt>,
        duration_ms: i64,
        audit: AuditEvent,
    ) -> Result<()> {
        let tx = self.begin_write().await?;
        roster::close_roster(tx, &self.chain_key, plan_id, attempts, duration_ms, audit).await
    }
}
