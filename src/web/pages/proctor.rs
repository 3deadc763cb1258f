//! The proctor's pages (their rooms, the live console) and the inspector's view of a
//! plan with its findings.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::plans::with_errors;
use super::{page, see_other};
use crate::app;
use crate::domain::exam::AttemptStatus;
use crate::domain::time::{clock_time, local_time};
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path};
use crate::web::AppState;

pub async fn proctor_home(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let sessions = app::proctoring::my_sessions(&st.app, ctx.principal()?).await?;
    let data = json!({
        "sessions": sessions.iter().map(|(plan, s)| json!({"id": s.id, "plan": plan.name, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates})).collect::<Vec<_>>(),
    });
    Ok(page(&st, &ctx, "proctor", "proctor.title", data)?.into_response())
}

pub async fn console(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let room = app::proctoring::room(&st.app, ctx.principal()?, id).await?;
    let (plan, session, roster) = (&room.plan, &room.session, &room.roster);
    let data = json!({
        "plan": {"id": plan.id, "name": plan.name},
        "session": {"id": session.id, "room": session.room_name, "starts": local_time(session.starts_at_ms)},
        "roster": roster.iter().map(|r| json!({"attempt_id": r.attempt_id, "admission_no": r.admission_no, "name": r.name, "seat": r.seat, "status": r.status, "answered": r.answered, "items": r.item_count, "saved": r.last_saved_at_ms.map(clock_time), "locked": room.locked_out.contains(&r.admission_no)})).collect::<Vec<_>>(),
        "max_extension_minutes": st.app.config.exams.max_extension_minutes,
    });
    Ok(page(&st, &ctx, "console", "proctor.console", data)?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    action: String,
    #[serde(deserialize_with = "app::lenient_i64")]
    minutes: Option<i64>,
    reason: Option<String>,
    session_id: i64,
}

/// The console's plain-form fallback for one attempt.
pub async fn attempt_action(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    app::proctoring::proctor_action(
        &st.app,
        ctx.principal()?,
        id,
        app::proctoring::ActionInput {
            action: f.action,
            minutes: f.minutes,
            reason: f.reason,
        },
    )
    .await?;
    Ok(see_other(&format!("/proctor/sessions/{}", f.session_id)).into_response())
}

pub async fn admit_all(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    app::proctoring::admit_all(&st.app, ctx.principal()?, id).await?;
    Ok(see_other(&format!("/proctor/sessions/{id}")).into_response())
}

/// The console's unlock of a candidate locked out of exam-day login.
pub async fn unlock_login(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::proctoring::UnlockInput>,
) -> Result<Response, AppError> {
    app::proctoring::unlock_login(&st.app, ctx.principal()?, id, f).await?;
    Ok(see_other(&format!("/proctor/sessions/{id}")).into_response())
}

async fn inspect_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let (plan, live) = app::inspection::plan_live(&st.app, ctx.principal()?, id).await?;
    let can_file = live.can_file;
    let count = |sid: i64, s: AttemptStatus| {
        live.roster
            .iter()
            .filter(|r| r.session_id == sid && r.status == Some(s))
            .count()
    };
    let data = json!({
        "plan": {"id": plan.id, "name": plan.name, "status": plan.status},
        "can_file": can_file,
        "sessions": live.sessions.iter().map(|s| json!({
            "id": s.id, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates,
            "proctors": s.proctors, "need": live.proctor_ratio.needed(s.candidates as u32),
            "in_progress": count(s.id, AttemptStatus::InProgress), "paused": count(s.id, AttemptStatus::Paused),
            "submitted": count(s.id, AttemptStatus::Submitted) + count(s.id, AttemptStatus::Terminated),
        })).collect::<Vec<_>>(),
        "actions": live.actions.iter().map(|a| json!({"at": clock_time(a.at_ms), "actor": a.actor, "action": a.action, "detail": a.detail, "session_id": a.session_id, "attempt_id": a.attempt_id})).collect::<Vec<_>>(),
        "findings": live.findings.iter().map(|f| json!({"at": local_time(f.at_ms), "subject": f.subject, "subject_id": f.subject_id, "category": f.category, "severity": f.severity, "evidence": f.evidence, "by": f.filed_by})).collect::<Vec<_>>(),
        "errors": errors,
    });
    let status = if errors_present(&data) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page(st, ctx, "inspect", "inspect.title", data)?).into_response())
}

fn errors_present(data: &serde_json::Value) -> bool {
    data["errors"].as_array().is_some_and(|e| !e.is_empty())
}

pub async fn inspect(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    inspect_page(&st, &ctx, id, json!([])).await
}

pub async fn file_finding(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::inspection::FindingInput>,
) -> Result<Response, AppError> {
    match app::inspection::file_finding(&st.app, ctx.principal()?, id, f).await {
        Ok(_) => Ok(see_other(&format!("/inspect/plans/{id}")).into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            inspect_page(&st, &ctx, id, errors).await
        }
    }
}
