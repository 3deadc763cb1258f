//! Planning pages for body admins (plans, sessions, proctors, roster, papers) and the
//! regulator (approval, inspectors); staff declare their relations (回避) here too.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{form_errors, page, see_other};
use crate::app;
use crate::domain::exam::Relation;
use crate::domain::time::local_time;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path};
use crate::web::AppState;

/// Field errors of a failed form action, ready for the page (other errors pass).
pub(super) fn with_errors(
    st: &AppState,
    ctx: &RequestCtx,
    e: AppError,
) -> Result<serde_json::Value, AppError> {
    match form_errors(st, ctx, &e) {
        Some(errors) => Ok(json!(errors)),
        None => Err(e),
    }
}

async fn plans_page(
    st: &AppState,
    ctx: &RequestCtx,
    errors: serde_json::Value,
    form: Option<&PlanForm>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let plans = app::plans::list_plans(&st.app, p).await?;
    let bodies = app::plans::view::planning_options(&st.app, p).await?;
    let status = super::form_status(&errors);
    let today = crate::domain::time::local_date(crate::now_ms()).to_string();
    // What was typed comes back with the errors, for the body it was typed for.
    let echo = |body: i64| form.filter(|f| f.body_id == body);
    let data = json!({
        "plans": plans.iter().map(|p| json!({"id": p.id, "name": p.name, "occupation": format!("{} {}", p.occupation_code, p.occupation_name), "level": p.level, "exam_date": p.exam_date, "status": p.status, "component": p.component.code()})).collect::<Vec<_>>(),
        "bodies": bodies.iter().map(|b| {
            let f = echo(b.body.id);
            json!({
                "id": b.body.id, "name": b.body.name,
                "scope": b.scope.iter().map(|s| {
                    let value = format!("{}|{}", s.occupation.code, s.level);
                    json!({"value": value, "code": s.occupation.code, "name": s.occupation.name, "level": s.level,
                           "selected": f.is_some_and(|f| f.scope == value)})
                }).collect::<Vec<_>>(),
                "form": {"name": f.map(|f| f.name.as_str()).unwrap_or(""), "exam_date": f.map(|f| f.exam_date.as_str()).unwrap_or(""),
                         "duration_minutes": f.map(|f| f.duration_minutes.clone()).unwrap_or_else(|| st.app.config.exams.default_duration_minutes.to_string())},
                "components": crate::domain::exam::components::Component::ALL.map(|c| json!({"value": c.code(),
                    "selected": f.map_or(c == crate::domain::exam::components::Component::Theory, |f| f.component == c.code())})),
                "errors_here": f.is_some(),
            })
        }).collect::<Vec<_>>(),
        "today": today,
        "errors": errors,
    });
    Ok((status, page(st, ctx, "plans", "plans.title", data)?).into_response())
}

pub async fn plans(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    plans_page(&st, &ctx, json!([]), None).await
}

/// The new-plan form: the occupation and level are one pick from the body's filed
/// scope (`code|level`); the duration is typed text, so that an empty or wrong value
/// gets a message rather than a parser error.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlanForm {
    body_id: i64,
    scope: String,
    name: String,
    exam_date: String,
    duration_minutes: String,
    component: String,
}

pub async fn create_plan(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<PlanForm>,
) -> Result<Response, AppError> {
    let (code, level) = f.scope.split_once('|').unwrap_or((&f.scope, ""));
    let input = app::plans::PlanInput {
        body_id: f.body_id,
        occupation_code: code.to_string(),
        level: level.parse().unwrap_or(0),
        name: f.name.clone(),
        exam_date: f.exam_date.clone(),
        // Out of range on purpose when not a number: the plan's rule names the field.
        duration_minutes: Some(f.duration_minutes.trim().parse().unwrap_or(0)),
        component: Some(f.component.clone()),
        ..Default::default()
    };
    match app::plans::create_plan(&st.app, ctx.principal()?, input).await {
        Ok(plan) => Ok(see_other(&format!("/plans/{}", plan.id)).into_response()),
        Err(e) => {
            let mut errors = with_errors(&st, &ctx, e)?;
            // The form picks occupation and level together.
            for e in errors.as_array_mut().into_iter().flatten() {
                if e["field"] == "occupation_code" || e["field"] == "level" {
                    e["field"] = json!("scope");
                }
            }
            plans_page(&st, &ctx, errors, Some(&f)).await
        }
    }
}

async fn plan_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    errors: serde_json::Value,
    lines: &str,
) -> Result<Response, AppError> {
    let d = app::plans::view::detail(&st.app, ctx.principal()?, id).await?;
    let (plan, body) = (&d.plan, &d.body);
    let session_name = |sid: i64| {
        d.sessions
            .iter()
            .find(|s| s.id == sid)
            .map(|s| format!("{} {}", s.room_name, local_time(s.starts_at_ms)))
            .unwrap_or_default()
    };
    let status = super::form_status(&errors);
    let data = json!({
        "plan": {"id": plan.id, "name": plan.name, "occupation": format!("{} {}", plan.occupation_code, plan.occupation_name), "level": plan.level,
                  "exam_date": plan.exam_date, "status": plan.status, "duration": plan.template.duration_seconds / 60,
                  "items": plan.template.paper.item_count(), "total": crate::domain::exam::points_text(plan.template.paper.total_points()), "pass_mark": crate::domain::exam::points_text(plan.template.pass_mark)},
        "body": {"id": body.id, "name": body.name},
        "open": plan.status == crate::domain::exam::PlanStatus::Open,
        "pending": plan.status == crate::domain::exam::PlanStatus::PendingApproval,
        "can_plan": d.can_plan,
        "can_approve": d.can_approve,
        "sessions": d.sessions.iter().map(|s| json!({
            "id": s.id, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates,
            "capacity": d.rooms.iter().find(|r| r.id == s.room_id).and_then(|r| r.capacity),
            "proctors": s.proctors, "need": d.proctor_ratio.needed(s.candidates as u32),
            "panel": d.panels.iter().find(|(id, _)| *id == s.id).map(|(_, p)| p.iter().map(|(r, leader)| json!({"name": r.display_name, "leader": leader})).collect::<Vec<_>>()).unwrap_or_default(),
            "understaffed": (s.proctors.len() as u32) < d.proctor_ratio.needed(s.candidates as u32),
        })).collect::<Vec<_>>(),
        "roster": d.roster.iter().map(|r| json!({"admission_no": r.admission_no, "name": r.name, "document": r.document_masked,
            "session": session_name(r.session_id), "seat": r.seat, "status": r.status})).collect::<Vec<_>>(),
        "rooms": d.rooms.iter().map(|r| json!({"id": r.id, "name": r.name, "capacity": r.capacity})).collect::<Vec<_>>(),
        "now_local": crate::domain::time::local_time(crate::now_ms()).replace(' ', "T"),
        "lines": lines,
        "proctors": d.proctors.iter().map(|u| json!({"id": u.id, "name": u.display_name})).collect::<Vec<_>>(),
        "assessors": d.assessors.iter().map(|u| json!({"id": u.id, "name": u.display_name})).collect::<Vec<_>>(),
        "inspectors": d.inspectors,
        "inspector_choices": d.inspector_choices.iter().map(|u| json!({"id": u.id, "name": u.display_name})).collect::<Vec<_>>(),
        "errors": errors,
    });
    Ok((status, page(st, ctx, "plan", "plans.title", data)?).into_response())
}

pub async fn show_plan(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    plan_page(&st, &ctx, id, json!([]), "").await
}

/// Runs a plan-page form action and shows the plan again (with errors, if any).
async fn after(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    r: Result<(), AppError>,
) -> Result<Response, AppError> {
    after_with(st, ctx, id, r, "").await
}

/// As [`after`], echoing the roster lines that were typed when they are refused.
async fn after_with(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    r: Result<(), AppError>,
    lines: &str,
) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(see_other(&format!("/plans/{id}")).into_response()),
        Err(e) => {
            let errors = with_errors(st, ctx, e)?;
            plan_page(st, ctx, id, errors, lines).await
        }
    }
}

pub async fn add_session(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::plans::sessions::SessionInput>,
) -> Result<Response, AppError> {
    let r = app::plans::sessions::add_session(&st.app, ctx.principal()?, id, f)
        .await
        .map(|_| ());
    after(&st, &ctx, id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProctorForm {
    session_id: i64,
    user_id: i64,
}

pub async fn assign_proctor(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ProctorForm>,
) -> Result<Response, AppError> {
    let r = app::plans::sessions::assign_proctor(
        &st.app,
        ctx.principal()?,
        f.session_id,
        app::plans::sessions::StaffInput { user_id: f.user_id },
    )
    .await;
    after(&st, &ctx, id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssessorForm {
    session_id: i64,
    user_id: i64,
    leader: Option<String>,
}

pub async fn assign_assessor(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AssessorForm>,
) -> Result<Response, AppError> {
    let input = app::marking::AssessorInput {
        user_id: f.user_id,
        leader: f.leader.is_some(),
    };
    let r = app::marking::assign_assessor(&st.app, ctx.principal()?, f.session_id, input).await;
    after(&st, &ctx, id, r).await
}

pub async fn assign_inspector(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::plans::sessions::StaffInput>,
) -> Result<Response, AppError> {
    let r = app::inspection::assign_inspector(&st.app, ctx.principal()?, id, f).await;
    after(&st, &ctx, id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CandidatesForm {
    session_id: i64,
    /// One candidate per line: `name,ID number`.
    lines: String,
}

pub async fn add_candidates(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CandidatesForm>,
) -> Result<Response, AppError> {
    let candidates = f
        .lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, number) = l.split_once([',', '，', '\t']).unwrap_or((l, ""));
            app::plans::roster::CandidateInput {
                person: app::plans::roster::PersonInput {
                    name: name.trim().into(),
                    document_type: None,
                    id_number: number.trim().into(),
                },
                session_id: f.session_id,
            }
        })
        .collect();
    let r = app::plans::roster::add_candidates(
        &st.app,
        ctx.principal()?,
        id,
        app::plans::roster::RosterInput { candidates },
    )
    .await
    .map(|_| ());
    after_with(&st, &ctx, id, r, &f.lines).await
}

pub async fn close_roster(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let r = app::plans::papers::close_roster(&st.app, ctx.principal()?, id)
        .await
        .map(|_| ());
    after(&st, &ctx, id, r).await
}

pub async fn approve(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let r = app::plans::approve_plan(&st.app, ctx.principal()?, id)
        .await
        .map(|_| ());
    after(&st, &ctx, id, r).await
}

/// Staff declare their relations (回避) on their own account.
pub async fn relations_form(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Response, AppError> {
    let data = json!({"relations": Relation::ALL.iter().map(|r| r.code()).collect::<Vec<_>>(), "done": false});
    Ok(page(&st, &ctx, "relations", "relations.title", data)?.into_response())
}

pub async fn declare_relation(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<app::plans::roster::RelationInput>,
) -> Result<Response, AppError> {
    let errors = match app::plans::roster::declare_relation(&st.app, ctx.principal()?, f).await {
        Ok(()) => json!([]),
        Err(e) => with_errors(&st, &ctx, e)?,
    };
    let done = errors.as_array().is_some_and(|e| e.is_empty());
    let data = json!({"relations": Relation::ALL.iter().map(|r| r.code()).collect::<Vec<_>>(), "done": done, "errors": errors});
    let status = if done {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        page(&st, &ctx, "relations", "relations.title", data)?,
    )
        .into_response())
}

fn ticket_json(t: &app::plans::tickets::Ticket) -> serde_json::Value {
    let mut v = serde_json::to_value(t).unwrap_or_default();
    v["starts"] = json!(local_time(t.starts_at_ms));
    v
}

/// A plan's admission tickets, one per printed page, for its body's admin.
pub async fn tickets(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let t = app::plans::tickets::plan_tickets(&st.app, ctx.principal()?, id).await?;
    let data = json!({"tickets": t.iter().map(ticket_json).collect::<Vec<_>>()});
    Ok(page(&st, &ctx, "tickets", "ticket.title", data)?.into_response())
}

/// The signed-in candidate's own admission ticket for a plan.
pub async fn my_ticket(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let t = app::plans::tickets::my_ticket(&st.app, ctx.principal()?, id).await?;
    let data = json!({"tickets": [ticket_json(&t)]});
    Ok(page(&st, &ctx, "tickets", "ticket.title", data)?.into_response())
}
