//! Panel marking over the API. Thin: every handler calls one use case of
//! [`crate::app::marking`].

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::results::{Decision, RequestCreated};
use crate::app;
use crate::app::marking::{
    ArbitrationInput, AssessorInput, MarkInput, QualificationInput, QueueEntry, TaskView,
};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path};
use crate::web::AppState;

pub async fn assign(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<AssessorInput>,
) -> Result<StatusCode, AppError> {
    app::marking::assign_assessor(&st.app, ctx.principal()?, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn qualify(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<QualificationInput>,
) -> Result<StatusCode, AppError> {
    app::marking::grant_qualification(&st.app, ctx.principal()?, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub tasks: Vec<QueueEntry>,
}

pub async fn queue(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Json<Queue>, AppError> {
    Ok(Json(Queue {
        tasks: app::marking::queue(&st.app, ctx.principal()?).await?,
    }))
}

pub async fn task(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path((attempt, position)): Path<(i64, u32)>,
) -> Result<Json<TaskView>, AppError> {
    Ok(Json(
        app::marking::task(&st.app, ctx.principal()?, attempt, position).await?,
    ))
}

pub async fn submit(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path((attempt, position)): Path<(i64, u32)>,
    Json(input): Json<MarkInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::marking::submit(&st.app, ctx.principal()?, attempt, position, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

pub async fn arbitrate(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path((attempt, position)): Path<(i64, u32)>,
    Json(input): Json<ArbitrationInput>,
) -> Result<StatusCode, AppError> {
    app::marking::arbitrate(&st.app, ctx.principal()?, attempt, position, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn correct(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<MarkInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::marking::propose_correction(&st.app, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

pub async fn decide(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(d): Json<Decision>,
) -> Result<StatusCode, AppError> {
    app::marking::decide_correction(&st.app, ctx.principal()?, id, d.approve).await?;
    Ok(StatusCode::NO_CONTENT)
}
