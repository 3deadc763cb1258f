//! The assessor's pages: the marking queue, and one task at a time with the question,
//! reference answer, rubric and the candidate's answer (blind: by attempt, never by
//! name), the assessor's own mark, the panel's marks once all are in, arbitration for
//! the leader, and corrections that a second person approves.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::plans::with_errors;
use super::{page, see_other};
use crate::app;
use crate::app::marking::{ArbitrationInput, MarkInput, TaskView};
use crate::domain::exam::points_text;
use crate::domain::grading::panel::PanelOutcome;
use crate::domain::time::local_time;
use crate::store::marking::MarkRow;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Path};
use crate::web::AppState;

fn outcome_json(o: &PanelOutcome) -> Value {
    match o {
        PanelOutcome::Waiting { submitted, panel } => {
            json!({"state": "waiting", "detail": format!("{submitted}/{panel}")})
        }
        PanelOutcome::Arbitration { spread } => {
            json!({"state": "arbitration", "detail": points_text(*spread)})
        }
        PanelOutcome::Scored { points, vetoed } => {
            json!({"state": "scored", "detail": points_text(*points), "vetoed": vetoed})
        }
    }
}

pub async fn queue(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let q = app::marking::queue(&st.app, ctx.principal()?).await?;
    let data = json!({
        "tasks": q.iter().map(|e| json!({
            "plan": e.plan_name, "room": e.room_name, "attempt_id": e.attempt_id, "position": e.position,
            "number": e.position + 1, "mine": e.marked_by_me, "outcome": outcome_json(&e.outcome),
            "leader": e.leader,
        })).collect::<Vec<_>>(),
    });
    Ok(page(&st, &ctx, "marking", "marking.title", data)?.into_response())
}

fn mark_json(m: &MarkRow, rubric_len: usize) -> Value {
    json!({"id": m.id, "assessor": m.assessor_name, "points": points_text(m.points), "veto": m.veto, "note": m.note,
           "elements": (0..rubric_len).map(|i| m.elements.points.get(i).map(|p| points_text(*p)).unwrap_or_default()).collect::<Vec<_>>(),
           "reason": m.reason, "at": local_time(m.at_ms)})
}

fn task_json(t: &TaskView, me: i64) -> Value {
    let answer = match &t.answer {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    json!({
        "attempt_id": t.attempt_id, "position": t.position, "number": t.position + 1,
        "stem": t.stem, "reference": t.reference, "max_points": points_text(t.max_points),
        "rubric": t.rubric.iter().enumerate().map(|(i, e)| json!({"i": i, "element": e.element, "points": points_text(e.points), "veto": e.veto})).collect::<Vec<_>>(),
        "answer": answer,
        "mine": t.mine.as_ref().map(|m| mark_json(m, t.rubric.len())),
        "panel_marks": t.panel_marks.iter().map(|m| mark_json(m, t.rubric.len())).collect::<Vec<_>>(),
        "proposals": t.proposals.iter().map(|m| {
            let mut v = mark_json(m, t.rubric.len());
            v["can_decide"] = json!(m.assessor_id != me && t.leader);
            v
        }).collect::<Vec<_>>(),
        "outcome": outcome_json(&t.outcome),
        "arbitrate": t.leader && matches!(t.outcome, PanelOutcome::Arbitration { .. }) && !t.published,
        "arbitration": t.arbitration.as_ref().map(|a| json!({"points": points_text(a.points), "veto": a.veto, "reason": a.reason})),
        "can_mark": t.mine.is_none() && !t.published,
        "can_correct": t.mine.is_some() && !t.published && t.proposals.iter().all(|m| m.assessor_id != me),
        "panel_size": t.panel_size,
        "published": t.published,
    })
}

async fn task_page(
    st: &AppState,
    ctx: &RequestCtx,
    attempt: i64,
    position: u32,
    errors: Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let t = app::marking::task(&st.app, p, attempt, position).await?;
    let status = super::form_status(&errors);
    let mut data = task_json(&t, p.user_id);
    data["errors"] = errors;
    Ok((status, page(st, ctx, "mark", "marking.title", data)?).into_response())
}

pub async fn task(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path((attempt, position)): Path<(i64, u32)>,
) -> Result<Response, AppError> {
    task_page(&st, &ctx, attempt, position, json!([])).await
}

async fn after(
    st: &AppState,
    ctx: &RequestCtx,
    attempt: i64,
    position: u32,
    r: Result<(), AppError>,
) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(see_other(&format!("/marking/{attempt}/{position}")).into_response()),
        Err(e) => {
            let errors = with_errors(st, ctx, e)?;
            task_page(st, ctx, attempt, position, errors).await
        }
    }
}

/// The mark form: one number per rubric element (`e0`, `e1`, …), a checkbox per veto
/// element (`v0`, …), the evidence note and, for a correction, the reason. Parsed by
/// hand because the field names depend on the rubric.
fn mark_input(fields: &[(String, String)]) -> Result<MarkInput, AppError> {
    let mut points: Vec<(usize, f64)> = Vec::new();
    let mut input = MarkInput::default();
    for (k, v) in fields {
        if let Some(i) = k.strip_prefix('e').and_then(|i| i.parse::<usize>().ok()) {
            let p = match v.trim() {
                "" => 0.0,
                t => t.parse::<f64>().map_err(|_| {
                    AppError::field_detail("elements", "marking_error.range", (i + 1).to_string())
                })?,
            };
            points.push((i, p));
        } else if let Some(i) = k.strip_prefix('v').and_then(|i| i.parse::<usize>().ok()) {
            input.vetoed.push(i);
        } else if k == "note" {
            input.note = v.clone();
        } else if k == "reason" {
            input.reason = v.clone();
        }
    }
    points.sort_by_key(|(i, _)| *i);
    input.points = points.into_iter().map(|(_, p)| p).collect();
    Ok(input)
}

pub async fn submit(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path((attempt, position)): Path<(i64, u32)>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let r = match mark_input(&fields) {
        Ok(input) => app::marking::submit(&st.app, ctx.principal()?, attempt, position, input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    after(&st, &ctx, attempt, position, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ArbitrationForm {
    points: String,
    veto: Option<String>,
    reason: String,
}

pub async fn arbitrate(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path((attempt, position)): Path<(i64, u32)>,
    axum::Form(f): axum::Form<ArbitrationForm>,
) -> Result<Response, AppError> {
    let input = ArbitrationInput {
        points: f.points.trim().parse().unwrap_or(f64::NAN),
        veto: f.veto.is_some(),
        reason: f.reason,
    };
    let r = app::marking::arbitrate(&st.app, ctx.principal()?, attempt, position, input).await;
    after(&st, &ctx, attempt, position, r).await
}

pub async fn correct(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(mark_id): Path<i64>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let old = app::marking::mark_for_marker(&st.app, p, mark_id).await?;
    let r = match mark_input(&fields) {
        Ok(input) => app::marking::propose_correction(&st.app, p, mark_id, input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    after(&st, &ctx, old.attempt_id, old.position, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
}

pub async fn decide(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(mark_id): Path<i64>,
    axum::Form(f): axum::Form<DecisionForm>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let m = app::marking::mark_for_marker(&st.app, p, mark_id).await?;
    let r = app::marking::decide_correction(&st.app, p, mark_id, f.decision == "approve").await;
    after(&st, &ctx, m.attempt_id, m.position, r).await
}
