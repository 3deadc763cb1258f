//! Credit pages (DESIGN §3.8): the regulator's desk (proposals to decide, open appeals,
//! every body's grade, a form to record an event), a subject's ledger (score, grade,
//! standing, events with their evidence, appeals), and the public catalogue of bodies
//! in good standing.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::plans::with_errors;
use super::{page, see_other};
use crate::app;
use crate::app::credit::{AppealInput, DecisionInput, EventInput};
use crate::domain::credit::Standing;
use crate::domain::time::{local_date, local_time};
use crate::store::credit::CreditEvent;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path};
use crate::web::AppState;

fn standing_json(s: &Standing) -> Value {
    json!({
        "score": s.score, "grade": s.grade.code(), "status": s.status,
        "rectify_by": s.rectify_by_ms.map(|ms| local_date(ms).to_string()),
        // Past the deadline: the officer decides whether rectification failed (X07).
        "rectify_overdue": s.rectify_by_ms.is_some_and(|ms| ms < crate::now_ms()),
        "exited_on": s.exited_at_ms.map(|ms| local_date(ms).to_string()),
    })
}

/// An event for the pages: its rule with words in the reader's language; the decider
/// shown only when someone decided a proposal (a direct record is its own decision).
fn event_json(st: &AppState, ctx: &RequestCtx, e: &CreditEvent) -> Value {
    let rule = st
        .app
        .config
        .credit
        .rule(&e.rule_code)
        .map(|r| match ctx.lang {
            crate::web::i18n::Lang::En => r.description_en.clone(),
            _ => r.description.clone(),
        })
        .unwrap_or_default();
    let decided = e.decided_at_ms.filter(|at| *at != e.proposed_at_ms);
    json!({
        "rule_text": rule,
        "id": e.id, "kind": e.subject_kind.code(), "subject_id": e.subject_id,
        "subject": e.subject_name, "year": e.year, "rule": e.rule_code, "points": e.points,
        "hard_exit": e.hard_exit, "note": e.note, "status": e.status.code(),
        "proposed": e.status == crate::domain::credit::EventStatus::Proposed,
        "confirmed": e.status == crate::domain::credit::EventStatus::Confirmed,
        "evidence": e.evidence.iter().map(|r| json!({"kind": r.kind, "id": r.id,
            "href": match r.kind.as_str() {
                "plan" => Some(format!("/inspect/plans/{}", r.id)),
                "certificate" => Some(format!("/certificates/{}", r.id)),
                _ => e.plan_id.map(|p| format!("/inspect/plans/{p}")),
            }})).collect::<Vec<_>>(),
        "plan_id": e.plan_id, "by": e.proposed_by, "at": local_time(e.proposed_at_ms),
        "decided_by": decided.and(e.decided_by.clone()), "decided_at": decided.map(local_time),
        "decision_note": e.decision_note, "open_appeal_id": e.open_appeal_id,
    })
}

/// The record form as first shown.
fn blank_form() -> Value {
    json!({"subject_kind": "body", "subject_id": "", "rule_code": "", "note": "", "evidence": "",
        "revoke_numbers": ""})
}

async fn desk_page(
    st: &AppState,
    ctx: &RequestCtx,
    form: Value,
    errors: Value,
) -> Result<Response, AppError> {
    desk_with(st, ctx, form, errors, None).await
}

async fn desk_with(
    st: &AppState,
    ctx: &RequestCtx,
    form: Value,
    errors: Value,
    sample: Option<app::inspection::Sample>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let d = app::credit::desk(&st.app, p).await?;
    let status = super::form_status(&errors);
    let data = json!({
        "can_record": p.is_regulator_admin(),
        "proposals": d.proposals.iter().map(|e| event_json(st, ctx, e)).collect::<Vec<_>>(),
        "appeals": d.open_appeals.iter().map(|a| json!({
            "event": event_json(st, ctx, &a.event), "id": a.appeal.id, "reason": a.appeal.reason,
            "by": a.appeal.filed_by, "at": local_time(a.appeal.filed_at_ms),
        })).collect::<Vec<_>>(),
        "recent": d.recent.iter().map(|e| event_json(st, ctx, e)).collect::<Vec<_>>(),
        "bodies": d.bodies.iter().map(|b| json!({"id": b.id, "name": b.name,
            "standing": standing_json(&b.standing)})).collect::<Vec<_>>(),
        "rules": st.app.config.credit.rules.iter().map(|r| json!({"code": r.code,
            "kind": r.applies_to.code(), "points": r.points, "hard_exit": r.hard_exit,
            "description": match ctx.lang { crate::web::i18n::Lang::En => &r.description_en, _ => &r.description },
        })).collect::<Vec<_>>(),
        "sample": sample,
        "form": form,
        "errors": errors,
    });
    Ok((
        status,
        page(st, ctx, "credit_desk", "credit.desk_title", data)?,
    )
        .into_response())
}

pub async fn desk(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    desk_page(&st, &ctx, blank_form(), json!([])).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EventForm {
    subject_kind: String,
    subject_id: String,
    rule_code: String,
    note: String,
    evidence: String,
    revoke_numbers: String,
}

pub async fn record(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<EventForm>,
) -> Result<Response, AppError> {
    let input = EventInput {
        subject_kind: f.subject_kind.clone(),
        subject_id: f.subject_id.trim().parse().ok(),
        rule_code: f.rule_code.clone(),
        note: f.note.clone(),
        evidence: f.evidence.clone(),
        revoke_numbers: f.revoke_numbers.clone(),
    };
    let (kind, id) = (f.subject_kind.clone(), f.subject_id.trim().to_string());
    match app::credit::record(&st.app, ctx.principal()?, input).await {
        Ok(_) => Ok(see_other(&format!("/credit/{kind}/{id}")).into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            let form = json!({"subject_kind": f.subject_kind, "subject_id": f.subject_id,
                "rule_code": f.rule_code, "note": f.note, "evidence": f.evidence,
                "revoke_numbers": f.revoke_numbers});
            desk_page(&st, &ctx, form, errors).await
        }
    }
}

async fn ledger_page(
    st: &AppState,
    ctx: &RequestCtx,
    kind: &str,
    id: i64,
    errors: Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let k = crate::web::api::credit::kind(kind)?;
    let l = app::credit::ledger(&st.app, p, k, id).await?;
    let status = super::form_status(&errors);
    let data = json!({
        "kind": k.code(), "id": id, "name": l.subject_name, "is_body": kind == "body",
        "standing": standing_json(&l.standing),
        "events": l.events.iter().rev().map(|e| event_json(st, ctx, e)).collect::<Vec<_>>(),
        "appeals": l.appeals.iter().map(|a| json!({"id": a.id, "event_id": a.event_id,
            "reason": a.reason, "status": a.status, "by": a.filed_by, "at": local_time(a.filed_at_ms),
            "decided_by": a.decided_by, "note": a.decision_note})).collect::<Vec<_>>(),
        "rules": l.rules.iter().map(|r| json!({"code": r.code, "points": r.points,
            "hard_exit": r.hard_exit,
            "description": match ctx.lang { crate::web::i18n::Lang::En => &r.description_en, _ => &r.description },
        })).collect::<Vec<_>>(),
        "can_record": l.can_record,
        "can_appeal": l.can_appeal,
        "errors": errors,
    });
    Ok((
        status,
        page(st, ctx, "credit", "credit.ledger_title", data)?,
    )
        .into_response())
}

pub async fn ledger(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path((kind, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    ledger_page(&st, &ctx, &kind, id, json!([])).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    note: String,
    revoke_numbers: String,
    /// Where to go back to (`/credit` or the ledger).
    back: String,
}

fn back(to: &str) -> String {
    // Only this site's credit pages.
    if to.starts_with("/credit") && !to.starts_with("//") && !to.contains(['\\', '\r', '\n', '\t'])
    {
        to.to_string()
    } else {
        "/credit".to_string()
    }
}

pub async fn decide_event(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let input = DecisionInput {
        decision: f.decision,
        note: f.note,
        revoke_numbers: f.revoke_numbers,
    };
    match app::credit::decide_event(&st.app, ctx.principal()?, id, input).await {
        Ok(()) => Ok(see_other(&back(&f.back)).into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            desk_page(&st, &ctx, blank_form(), errors).await
        }
    }
}

pub async fn decide_appeal(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let input = DecisionInput {
        decision: f.decision,
        note: f.note,
        revoke_numbers: String::new(),
    };
    match app::credit::decide_appeal(&st.app, ctx.principal()?, id, input).await {
        Ok(()) => Ok(see_other(&back(&f.back)).into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            desk_page(&st, &ctx, blank_form(), errors).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AppealForm {
    reason: String,
}

pub async fn appeal(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AppealForm>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let e = st
        .app
        .store
        .credit_event(id)
        .await
        .map_err(app::Error::from)?;
    let (kind, subject) = (e.subject_kind.code(), e.subject_id);
    match app::credit::appeal(&st.app, p, id, AppealInput { reason: f.reason }).await {
        Ok(_) => Ok(see_other(&format!("/credit/{kind}/{subject}")).into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            ledger_page(&st, &ctx, kind, subject, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SampleForm {
    count: String,
    seed: String,
}

/// The regulator draws plans for inspection; the sample shows on the desk with links
/// to each plan's page, where inspectors are dispatched (recusal checked there).
pub async fn sample(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<SampleForm>,
) -> Result<Response, AppError> {
    let input = app::inspection::SampleInput {
        count: f.count.trim().parse().ok(),
        seed: f.seed.trim().parse().ok(),
    };
    match app::inspection::sample_plans(&st.app, ctx.principal()?, input).await {
        Ok(s) => desk_with(&st, &ctx, blank_form(), json!([]), Some(s)).await,
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            desk_page(&st, &ctx, blank_form(), errors).await
        }
    }
}

/// Public: the evaluation bodies in good standing, with scope and grade.
pub async fn catalogue(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let bodies = app::credit::catalogue(&st.app).await?;
    let occupations = st.app.store.occupations().await.map_err(app::Error::from)?;
    let name = |code: &str| {
        occupations
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let data = json!({
        "bodies": bodies.iter().map(|b| json!({
            "id": b.id, "name": b.name, "name_en": b.name_en, "address": b.address, "grade": b.grade,
            "scope": b.scope.iter().map(|s| json!({"code": s.occupation.code(),
                "name": name(s.occupation.code()), "level": s.level.map(|l| l.get()),
                "kind": s.certificate_kind.code()})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    Ok(page(&st, &ctx, "catalogue", "catalogue.title", data)?.into_response())
}
