//! The roster of a plan: relations staff declare (回避), candidates with seats and
//! admission numbers, the live roster, the pool a plan draws from, and closing the
//! roster with every candidate's paper.

use std::collections::{BTreeSet, HashMap};

use sqlx::Row as _;

use super::common::{code_opt, json, not_found, on_unique, small, to_json, write_audited, Row, Tx};
use super::plans::{check_recusal, plan_tx};
use super::{dialect, Db};
use crate::domain::assembly::Paper;
use crate::domain::audit::{AuditEvent, ChainKey};
use crate::domain::exam::{admission_number, AttemptStatus, PlanStatus};
use crate::domain::item::{ItemContent, ItemType};
use crate::store::dialect::Unique;
use crate::store::plans::{Enrolled, Enrolment, NewAttempt, NewCandidate, PoolRow, RosterEntry};
use crate::store::{NewPerson, Result, StoreError};

type Pool = sqlx::Pool<Db>;

const ROSTER_SELECT: &str = "SELECT c.id AS candidate_id, c.admission_no, pe.name, \
     pe.document_masked, c.session_id, c.seat, a.id AS attempt_id, a.status, a.started_at_ms, \
     a.deadline_ms, a.paused_at_ms, a.extension_ms, a.submitted_at_ms, \
     (SELECT MAX(an.saved_at_ms) FROM answers an WHERE an.attempt_id = a.id) AS last_saved_at_ms, \
     a.item_count, \
     (SELECT COUNT(*) FROM answers an WHERE an.attempt_id = a.id \
      AND an.answer NOT IN ('null', '[]', '\"\"')) \
     AS answered \
     FROM candidates c JOIN people pe ON pe.id = c.person_id \
     LEFT JOIN attempts a ON a.candidate_id = c.id";

fn roster_entry(r: &Row) -> Result<RosterEntry> {
    let extension: Option<i64> = r.try_get("extension_ms")?;
    let items: Option<i64> = r.try_get("item_count")?;
    Ok(RosterEntry {
        candidate_id: r.try_get("candidate_id")?,
        admission_no: r.try_get("admission_no")?,
        name: r.try_get("name")?,
        document_masked: r.try_get("document_masked")?,
        session_id: r.try_get("session_id")?,
        seat: r.try_get("seat")?,
        attempt_id: r.try_get("attempt_id")?,
        status: code_opt(r, "status", AttemptStatus::from_code)?,
        started_at_ms: r.try_get("started_at_ms")?,
        deadline_ms: r.try_get("deadline_ms")?,
        paused_at_ms: r.try_get("paused_at_ms")?,
        extension_ms: extension.unwrap_or(0),
        submitted_at_ms: r.try_get("submitted_at_ms")?,
        last_saved_at_ms: r.try_get("last_saved_at_ms")?,
        answered: r.try_get("answered")?,
        item_count: items.unwrap_or(0),
    })
}

/// Where a person is enrolled, latest session first.
pub(super) async fn enrolments(pool: &Pool, person_id: i64) -> Result<Vec<Enrolment>> {
    let rows = sqlx::query(
        "SELECT p.id AS plan_id, p.name AS plan_name, o.name AS occupation_name, p.level, \
         c.admission_no, r.name AS room_name, s.starts_at_ms, c.seat, a.status \
         FROM candidates c JOIN plans p ON p.id = c.plan_id \
         JOIN occupations o ON o.id = p.occupation_id \
         JOIN plan_sessions s ON s.id = c.session_id JOIN organisations r ON r.id = s.room_id \
         LEFT JOIN attempts a ON a.candidate_id = c.id \
         WHERE c.person_id = $1 ORDER BY s.starts_at_ms DESC LIMIT 50",
    )
    .bind(person_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Enrolment {
                plan_id: r.try_get("plan_id")?,
                plan_name: r.try_get("plan_name")?,
                occupation_name: r.try_get("occupation_name")?,
                level: small(r, "level")?,
                admission_no: r.try_get("admission_no")?,
                room_name: r.try_get("room_name")?,
                starts_at_ms: r.try_get("starts_at_ms")?,
                seat: r.try_get("seat")?,
                status: code_opt(r, "status", AttemptStatus::from_code)?,
            })
        })
        .collect()
}

/// The person with this document, created if unknown. One person, one real-name
/// record: a record on file must carry the name given, else the enrolment is refused
/// (`index` names the line) without saying what the record holds, so no body learns
/// another body's candidates' names.
pub(super) async fn person_id(
    tx: &mut Tx,
    p: &NewPerson,
    index: usize,
    now_ms: i64,
) -> Result<i64> {
    let found: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM people WHERE document_lookup = $1")
            .bind(&p.document_lookup)
            .fetch_optional(&mut **tx)
            .await?;
    match found {
        Some((id, name)) if name == p.name => Ok(id),
        Some(_) => Err(StoreError::Refused {
            field: "candidates",
            code: "person.name_mismatch",
            detail: index.to_string(),
        }),
        None => super::accounts::insert_person(tx, p, now_ms).await,
    }
}

/// Enrols candidates in order (all or none): seats and admission numbers are assigned
/// here; refused when one is already on the plan or a proctor must recuse.
pub(super) async fn add_candidates(
    mut tx: Tx,
    key: &ChainKey,
    plan_id: i64,
    candidates: Vec<NewCandidate>,
    audit: AuditEvent,
) -> Result<Vec<Enrolled>> {
    if plan_tx(&mut tx, plan_id).await?.status != PlanStatus::Open {
        return Err(StoreError::Invalid {
            field: "plan",
            code: "exam_error.not_open",
        });
    }
    let mut ordinal: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM candidates WHERE plan_id = $1")
        .bind(plan_id)
        .fetch_one(&mut *tx)
        .await?;
    let mut out = Vec::with_capacity(candidates.len());
    let mut touched = BTreeSet::new();
    for (index, c) in candidates.iter().enumerate() {
        let session: Option<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT s.plan_id, o.capacity FROM plan_sessions s \
             JOIN organisations o ON o.id = s.room_id WHERE s.id = $1",
        )
        .bind(c.session_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((session_plan, capacity)) = session else {
            return Err(StoreError::Invalid {
                field: "session_id",
                code: "exam_error.session",
            });
        };
        if session_plan != plan_id {
            return Err(StoreError::Invalid {
                field: "session_id",
                code: "exam_error.session",
            });
        }
        // A room seats so many: counted inside the write, so two enrolments at once
        // cannot both take the last seat.
        if let Some(capacity) = capacity {
            let seated: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM candidates WHERE session_id = $1")
                    .bind(c.session_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if seated >= capacity {
                return Err(StoreError::Refused {
                    field: "candidates",
                    code: "exam_error.room_full",
                    detail: index.to_string(),
                });
            }
        }
        let person_id = person_id(&mut tx, &c.person, index, audit.at_ms).await?;
        let on_plan: Option<i64> =
            sqlx::query_scalar("SELECT id FROM candidates WHERE plan_id = $1 AND person_id = $2")
                .bind(plan_id)
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await?;
        if on_plan.is_some() {
            return Err(StoreError::Refused {
                field: "id_number",
                code: "exam_error.already_enrolled",
                detail: c.person.document_masked.clone(),
            });
        }
        ordinal += 1;
        let seat: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(seat), 0) + 1 FROM candidates WHERE session_id = $1",
        )
        .bind(c.session_id)
        .fetch_one(&mut *tx)
        .await?;
        let admission_no = admission_number(plan_id, ordinal);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO candidates (plan_id, session_id, person_id, admission_no, seat, \
             created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(plan_id)
        .bind(c.session_id)
        .bind(person_id)
        .bind(&admission_no)
        .bind(seat)
        .bind(audit.at_ms)
        .fetch_one(&mut *tx)
        .await?;
        touched.insert(c.session_id);
        out.push(Enrolled {
            candidate_id: id,
            admission_no,
            seat,
        });
    }
    // Recusal: no proctor of a session may be related to its candidates.
    for session_id in touched {
        let staff: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM session_staff WHERE session_id = $1")
                .bind(session_id)
                .fetch_all(&mut *tx)
                .await?;
        for user_id in staff {
            check_recusal(&mut tx, session_id, user_id).await?;
        }
    }
    write_audited(tx, key, audit).await?;
    Ok(out)
}

pub(super) async fn roster(
    pool: &Pool,
    plan_id: i64,
    session_id: Option<i64>,
) -> Result<Vec<RosterEntry>> {
    let sql = format!(
        "{ROSTER_SELECT} WHERE c.plan_id = $1 AND ($2 IS NULL OR c.session_id = $2) \
         ORDER BY c.session_id, c.seat"
    );
    let rows = sqlx::query(&sql)
        .bind(plan_id)
        .bind(session_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(roster_entry).collect()
}

/// Active versions of the bank's theory items at a level, and exposure counts.
pub(super) async fn pool(
    pool: &Pool,
    bank_id: i64,
    level: u8,
) -> Result<(Vec<PoolRow>, Vec<(i64, u32)>)> {
    let rows = sqlx::query(
        "SELECT i.id, i.active_version, i.point_code, i.item_type, i.difficulty, v.content \
         FROM items i JOIN item_versions v ON v.item_id = i.id AND v.version = i.active_version \
         WHERE i.bank_id = $1 AND i.level = $2 AND i.mode = 'theory' AND i.status <> 'retired' \
         AND i.active_version IS NOT NULL ORDER BY i.id",
    )
    .bind(bank_id)
    .bind(i64::from(level))
    .fetch_all(pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let content: ItemContent = json(r, "content")?;
        items.push(PoolRow {
            item_id: r.try_get("id")?,
            version: r.try_get("active_version")?,
            point_code: r.try_get("point_code")?,
            item_type: super::common::code(r, "item_type", ItemType::from_code)?,
            difficulty: small(r, "difficulty")?,
            options: content.options.len().min(255) as u8,
        });
    }
    let exposure: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT e.item_id, e.shown FROM item_exposure e JOIN items i ON i.id = e.item_id \
         WHERE i.bank_id = $1",
    )
    .bind(bank_id)
    .fetch_all(pool)
    .await?;
    let exposure = exposure
        .into_iter()
        .map(|(item, shown)| (item, u32::try_from(shown).unwrap_or(u32::MAX)))
        .collect();
    Ok((items, exposure))
}

/// Items on earlier papers of the plan's candidates, per person (re-sits).
pub(super) async fn earlier_items(pool: &Pool, plan_id: i64) -> Result<Vec<(i64, Vec<i64>)>> {
    let rows = sqlx::query(
        "SELECT c.person_id, p.paper FROM attempts a JOIN candidates c ON c.id = a.candidate_id \
         JOIN attempt_papers p ON p.attempt_id = a.id WHERE a.plan_id <> $1 \
         AND c.person_id IN (SELECT person_id FROM candidates WHERE plan_id = $1)",
    )
    .bind(plan_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let paper: Paper = json(r, "paper")?;
            let person: i64 = r.try_get("person_id")?;
            Ok((person, paper.items.iter().map(|i| i.item_id).collect()))
        })
        .collect()
}

/// Writes every candidate's paper, counts exposure and closes the roster.
pub(super) async fn close_roster(
    mut tx: Tx,
    key: &ChainKey,
    plan_id: i64,
    attempts: Vec<NewAttempt>,
    duration_ms: i64,
    audit: AuditEvent,
) -> Result<()> {
    let sql = format!(
        "SELECT status FROM plans WHERE id = $1{}",
        dialect::ROW_LOCK
    );
    let status: String = sqlx::query_scalar(&sql)
        .bind(plan_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(not_found)?;
    let invalid = |code| StoreError::Invalid {
        field: "plan",
        code,
    };
    if status != PlanStatus::Open.code() {
        return Err(invalid("exam_error.not_open"));
    }
    // The application refused an exited body before generating the papers, which takes
    // a while; an exit recorded meanwhile still freezes the plan (on PostgreSQL the
    // body's row, aliased `a` for the share lock, is locked until this commits).
    let sql = format!(
        "SELECT a.status FROM organisations a JOIN plans p ON p.body_id = a.id WHERE p.id = $1{}",
        dialect::SHARE_LOCK
    );
    let body_status: String = sqlx::query_scalar(&sql)
        .bind(plan_id)
        .fetch_one(&mut *tx)
        .await?;
    if body_status == "exited" {
        return Err(invalid("exam_error.plan_frozen"));
    }
    let mut shown: HashMap<i64, i64> = HashMap::new();
    for a in &attempts {
        for it in &a.paper.items {
            *shown.entry(it.item_id).or_default() += 1;
        }
        let attempt_id: i64 = sqlx::query_scalar(
            "INSERT INTO attempts (candidate_id, plan_id, session_id, seed, item_count, status, \
             duration_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, 'ready', $6, $7) \
             RETURNING id",
        )
        .bind(a.candidate_id)
        .bind(plan_id)
        .bind(a.session_id)
        .bind(a.paper.seed as i64)
        .bind(a.paper.items.len() as i64)
        .bind(duration_ms)
        .bind(audit.at_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            on_unique(
                e,
                &[(
                    Unique::AttemptCandidate,
                    "candidates",
                    "exam_error.paper_exists",
                )],
            )
        })?;
        sqlx::query("INSERT INTO attempt_papers (attempt_id, paper, excluded) VALUES ($1, $2, $3)")
            .bind(attempt_id)
            .bind(to_json(&a.paper)?)
            .bind(to_json(&a.excluded)?)
            .execute(&mut *tx)
            .await?;
    }
    let mut shown: Vec<_> = shown.into_iter().collect();
    shown.sort_unstable();
    for (item, n) in shown {
        sqlx::query(
            "INSERT INTO item_exposure (item_id, shown) VALUES ($1, $2) ON CONFLICT (item_id) \
             DO UPDATE SET shown = item_exposure.shown + excluded.shown",
        )
        .bind(item)
        .bind(n)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE plans SET status = 'roster_closed', roster_closed_at_ms = $1 WHERE id = $2",
    )
    .bind(audit.at_ms)
    .bind(plan_id)
    .execute(&mut *tx)
    .await?;
    // A station plan's attempts (skills, review; DESIGN §3.5) are not sat online: they
    // are finished in this same transaction, so their tasks wait for the panel and no
    // crash can leave them `ready` under a closed roster.
    sqlx::query(
        "UPDATE attempts SET status = 'submitted', submitted_at_ms = $2, submit_reason = \
         'stations' WHERE plan_id = $1 AND status = 'ready' AND EXISTS (SELECT 1 FROM plans p \
         WHERE p.id = $1 AND p.component <> 'theory')",
    )
    .bind(plan_id)
    .bind(audit.at_ms)
    .execute(&mut *tx)
    .await?;
    write_audited(tx, key, audit).await?;
    Ok(())
}
