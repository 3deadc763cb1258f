//! Closing the roster: every room's staffing is checked, then every candidate's paper
//! is assembled from the plan's pool (reproducibly, from a recorded seed) and stored,
//! so that the start burst on exam day only flips states.

use std::collections::{HashMap, HashSet};

use super::plan_to_change;
use crate::app::{audit_by, App, Error, Result};
use crate::domain::assembly::{assemble_indexed, PoolIndex, PoolItem};
use crate::domain::exam::PlanStatus;
use crate::domain::policy::Principal;
use crate::domain::standard::Mode;
use crate::domain::validate::FieldError;
use crate::store::plans::{NewAttempt, Plan};
use crate::store::Store;

/// The pool a plan draws from, as assembly sees it.
/// The pool a plan draws from, as assembly sees it.
pub async fn plan_pool(
    store: &dyn Store,
    plan: &Plan,
) -> Result<
    (
        crate::domain::standard::Standard,
        Vec<PoolItem>,
        HashMap<i64, u32>,
    ),
    Error,
> {
    let standard = store
        .standards(plan.occupation_id)
        .await?
        .into_iter()
        .find(|s| s.level == plan.level && s.mode == Mode::Theory)
        .ok_or_else(|| Error::field("plan", "exam_error.no_standard"))?;
    let (rows, exposure) = store.pool(plan.bank_id, plan.level).await?;
    let mut where_is: HashMap<&str, (usize, crate::domain::standard::Importance)> = HashMap::new();
    for (ai, a) in standard.areas.iter().enumerate() {
        for pt in &a.points {
            where_is.insert(pt.code.as_str(), (ai, pt.importance));
        }
    }
    let pool = rows
        .into_iter()
        .filter_map(|r| {
            let (area, importance) = *where_is.get(r.point_code.as_str())?;
            Some(PoolItem {
                id: r.item_id,
                version: r.version,
                area,
                point: r.point_code,
                importance,
                item_type: r.item_type,
                difficulty: r.difficulty,
                options: r.options,
            })
        })
        .collect();
    Ok((standard, pool, exposure.into_iter().collect()))
}

/// Closes the roster: checks every room's staffing, then generates and stores every
/// candidate's paper, so that the start burst only flips states.
pub async fn close_roster(app: &App, p: &Principal, plan_id: i64) -> Result<usize> {
    let (plan, body) = plan_to_change(app, p, plan_id).await?;
    if plan.status != PlanStatus::Open {
        return Err(Error::field("plan", "exam_error.not_open"));
    }
    let sessions = app.store.sessions(plan.id).await?;
    for s in &sessions {
        let need = app.config.exams.proctors.needed(s.candidates as u32);
        if s.candidates > 0 && (s.proctors.len() as u32) < need {
            return Err(Error::Validation(vec![FieldError::new(
                "session",
                "exam_error.understaffed",
            )
            .with_detail(format!(
                "{} ({}/{})",
                s.room_name,
                s.proctors.len(),
                need
            ))]));
        }
    }
    // A paper with tasks for assessors needs an odd panel of the required size in every
    // room (DESIGN §3.4), checked before any paper exists.
    let assessed = plan
        .template
        .paper
        .quotas
        .iter()
        .any(|q| !q.item_type.is_objective() && q.count > 0);
    if assessed {
        let ratio = app.config.exams.assessors;
        for s in sessions.iter().filter(|s| s.candidates > 0) {
            let panel = app.store.session_assessors(s.id).await?.len() as u32;
            if !ratio.satisfied(s.candidates as u32, panel) {
                return Err(Error::Validation(vec![FieldError::new(
                    "session",
                    "marking_error.panel",
                )
                .with_detail(format!(
                    "{} ({}/{})",
                    s.room_name,
                    panel,
                    ratio.needed(s.candidates as u32)
                ))]));
            }
        }
    }
    let roster = app.store.roster_people(plan.id).await?;
    if roster.is_empty() {
        return Err(Error::field("candidates", "exam_error.empty_roster"));
    }
    let (standard, pool, mut exposure) = plan_pool(app.store.as_ref(), &plan).await?;
    let mut earlier: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (person, items) in app.store.earlier_items(plan.id).await? {
        earlier.entry(person).or_default().extend(items);
    }
    let template = plan.template.paper.clone();
    // Assembly is CPU work (about 0.4 ms per paper): keep it off the async threads.
    let attempts = tokio::task::spawn_blocking(move || {
        use rand::RngCore;
        let index = PoolIndex::new(&pool);
        let none = HashSet::new();
        let mut out = Vec::with_capacity(roster.len());
        for (candidate_id, person_id, session_id) in roster {
            let seed = rand::rngs::OsRng.next_u64();
            let exclude = earlier.get(&person_id).unwrap_or(&none);
            let paper = assemble_indexed(&standard, &template, &index, &exposure, exclude, seed)?;
            for it in &paper.items {
                *exposure.entry(it.item_id).or_default() += 1;
            }
            out.push(NewAttempt {
                candidate_id,
                session_id,
                paper,
            });
        }
        Ok::<_, crate::domain::assembly::AssemblyError>(out)
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
    .map_err(|e| {
        Error::Validation(vec![
            FieldError::new("paper", "exam_error.assembly").with_detail(e.to_string())
        ])
    })?;
    let n = attempts.len();
    let event = audit_by(
        p,
        "plan.close_roster",
        "plan",
        plan.id,
        Some(body.id),
        serde_json::json!({"papers": n}),
    );
    app.store
        .close_roster(plan.id, attempts, plan.template.duration_ms(), event)
        .await?;
    Ok(n)
}
