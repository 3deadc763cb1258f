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
    let stations = plan.component.at_stations();
    // Theory rooms need proctors; stations are run by their assessor panel.
    for s in sessions.iter().filter(|_| !stations) {
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
        // A review panel (综合评审) is at least three, odd, whatever the number of
        // candidates; skills and written work follow the ratio (DESIGN §3.4).
        let ratio = match plan.component {
            crate::domain::exam::components::Component::Review => {
                crate::domain::grading::panel::AssessorRatio {
                    min: app.config.exams.assessors.min.max(3),
                    per: u32::MAX,
                }
            }
            _ => app.config.exams.assessors,
        };
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
    // The draw record: what the papers are drawn from, so each can be drawn again.
    app.store
        .record_plan_draw(
            plan.id,
            serde_json::to_string(&standard).map_err(|e| Error::Internal(e.into()))?,
            serde_json::to_string(&pool).map_err(|e| Error::Internal(e.into()))?,
            crate::now_ms(),
        )
        .await?;
    // Assembly is CPU work (about 0.4 ms per paper): keep it off the async threads.
    let attempts = tokio::task::spawn_blocking(move || {
        use rand::RngCore;
        let index = PoolIndex::new(&pool);
        let cap = template.exposure_cap;
        // Items at the exposure cap, kept up to date as papers are drawn: with the
        // candidate's earlier items, what was not eligible for each paper.
        let mut over_cap: HashSet<i64> = match cap {
            Some(c) => exposure
                .iter()
                .filter(|(_, n)| **n >= c)
                .map(|(id, _)| *id)
                .collect(),
            None => HashSet::new(),
        };
        let none = HashSet::new();
        let mut out = Vec::with_capacity(roster.len());
        for (candidate_id, person_id, session_id) in roster {
            let seed = rand::rngs::OsRng.next_u64();
            let exclude = earlier.get(&person_id).unwrap_or(&none);
            let paper = assemble_indexed(&standard, &template, &index, &exposure, exclude, seed)?;
            let mut excluded: Vec<i64> = exclude.union(&over_cap).copied().collect();
            excluded.sort_unstable();
            for it in &paper.items {
                let n = exposure.entry(it.item_id).or_default();
                *n += 1;
                if cap.is_some_and(|c| *n >= c) {
                    over_cap.insert(it.item_id);
                }
            }
            out.push(NewAttempt {
                candidate_id,
                session_id,
                paper,
                excluded,
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
    if stations {
        // Nothing to sit online: the store finished the stations' task sheets in the
        // roster's transaction; scored now, every task waits in the panel's queue (the
        // background scorer would catch them too). Marks wait for the session's start.
        crate::app::grading::score_pending(
            app,
            crate::app::grading::Scope {
                since_ms: 0,
                plan_id: Some(plan.id),
            },
        )
        .await?;
    }
    Ok(n)
}

/// The outcome of drawing an attempt's paper again.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PaperCheck {
    pub attempt_id: i64,
    pub seed: String,
    pub items: usize,
    /// The paper drawn again from the recorded seed, pool and exclusions is the one the
    /// candidate was given (same items and versions, order, points, option order).
    pub identical: bool,
    /// What differs, one line each; or why it cannot be drawn again.
    pub differences: Vec<String>,
}

/// Draws an attempt's paper again from its recorded seed, the plan's draw record (the
/// standard and the pool as they were) and the items that were not eligible then, and
/// compares it with the recorded paper. Item versions are immutable, so the same
/// versions mean the same stems and options the candidate saw.
pub async fn check_paper(store: &dyn Store, attempt_id: i64) -> Result<PaperCheck> {
    let draw = store.paper_draw(attempt_id).await?;
    let plan = store.plan(draw.plan_id).await?;
    let mut check = PaperCheck {
        attempt_id,
        seed: draw.seed.to_string(),
        items: draw.paper.items.len(),
        identical: false,
        differences: Vec::new(),
    };
    let (Some(standard), Some(pool), Some(excluded)) = (draw.standard, draw.pool, draw.excluded)
    else {
        check
            .differences
            .push("no draw record (paper generated before draws were recorded)".into());
        return Ok(check);
    };
    let standard: crate::domain::standard::Standard =
        serde_json::from_str(&standard).map_err(|e| Error::Internal(e.into()))?;
    let pool: Vec<PoolItem> = serde_json::from_str(&pool).map_err(|e| Error::Internal(e.into()))?;
    let excluded: HashSet<i64> = excluded.into_iter().collect();
    let template = plan.template.paper.clone();
    let seed = draw.seed;
    let derived = tokio::task::spawn_blocking(move || {
        let index = PoolIndex::new(&pool);
        assemble_indexed(
            &standard,
            &template,
            &index,
            &HashMap::new(),
            &excluded,
            seed,
        )
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?;
    match derived {
        Ok(paper) => {
            check.differences = crate::domain::assembly::paper_differences(&draw.paper, &paper);
            check.identical = check.differences.is_empty();
        }
        Err(e) => check.differences.push(format!("cannot draw again: {e}")),
    }
    Ok(check)
}

/// [`check_paper`] for the regulator, a quality inspector dispatched to the plan, or
/// the body's admin.
pub async fn check_paper_as(app: &App, p: &Principal, attempt_id: i64) -> Result<PaperCheck> {
    let rec = app
        .store
        .attempt(attempt_id)
        .await
        .map_err(|_| Error::NotFound)?;
    super::plan_for_viewer(app, p, rec.plan_id).await?;
    check_paper(app.store.as_ref(), attempt_id).await
}
