//! Sessions (场次) of a plan in the body's rooms, and their proctors.

use serde::Deserialize;

use super::plan_to_change;
use crate::app::{audit_by, App, Error, Result};
use crate::domain::policy::{may_serve, Principal};
use crate::domain::role::Role;
use crate::domain::time::parse_local_time;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SessionInput {
    pub room_id: i64,
    /// Local time (UTC+8) `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
}

pub async fn add_session(
    app: &App,
    p: &Principal,
    plan_id: i64,
    input: SessionInput,
) -> Result<i64> {
    let (plan, body) = plan_to_change(app, p, plan_id).await?;
    let starts = parse_local_time(&input.starts_at)
        .ok_or_else(|| Error::field("starts_at", "exam_error.time"))?;
    crate::domain::exam::check_session_start(starts, crate::now_ms())
        .map_err(|why| Error::field("starts_at", why.code()))?;
    let event = audit_by(
        p,
        "plan.session_add",
        "session",
        "",
        Some(body.id),
        serde_json::json!({"plan_id": plan.id, "room_id": input.room_id}),
    );
    Ok(app
        .store
        .add_session(plan.id, input.room_id, starts, event)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StaffInput {
    pub user_id: i64,
}

/// Assigns a proctor: they must hold the proctor role at the body, and must not be
/// related to any candidate of the session (refused with the reason).
pub async fn assign_proctor(
    app: &App,
    p: &Principal,
    session_id: i64,
    input: StaffInput,
) -> Result<()> {
    let session = app.store.plan_session(session_id).await?;
    let (plan, body) = plan_to_change(app, p, session.plan_id).await?;
    let grants = app.store.grants(input.user_id).await.unwrap_or_default();
    may_serve(&grants, Role::Proctor, &body.as_ref())
        .map_err(|_| Error::field("user_id", "exam_error.not_proctor"))?;
    let event = audit_by(
        p,
        "session.assign_proctor",
        "session",
        session_id,
        Some(body.id),
        serde_json::json!({"plan_id": plan.id, "user_id": input.user_id}),
    );
    app.store
        .assign_proctor(session_id, input.user_id, p.user_id, event)
        .await?;
    Ok(())
}
