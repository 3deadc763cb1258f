//! The proctor's pages: their rooms and the live console of one.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{page, see_other};
use crate::app;
use crate::domain::time::{clock_time, local_time};
use crate::web::ctx::Ctx;
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
