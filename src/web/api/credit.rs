//! Credit ledgers, the regulator's desk and the public catalogue of bodies over the
//! API. Thin: every handler calls one use case of [`crate::app::credit`].

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::app;
use crate::app::credit::{AppealInput, CatalogueBody, DecisionInput, Desk, EventInput, Ledger};
use crate::domain::credit::{CreditRule, SubjectKind};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path};
use crate::web::AppState;

use super::results::RequestCreated;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Rules {
    pub rules: Vec<CreditRule>,
}

pub async fn rules(State(st): State<AppState>) -> Json<Rules> {
    Json(Rules {
        rules: st.app.config.credit.rules.clone(),
    })
}

pub(crate) fn kind(s: &str) -> Result<SubjectKind, AppError> {
    SubjectKind::from_code(s).ok_or(app::Error::NotFound)
}

pub async fn ledger(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path((k, id)): Path<(String, i64)>,
) -> Result<Json<Ledger>, AppError> {
    Ok(Json(
        app::credit::ledger(&st.app, ctx.principal()?, kind(&k)?, id).await?,
    ))
}

pub async fn record(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<EventInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::credit::record(&st.app, ctx.principal()?, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

pub async fn propose(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(plan_id): Path<i64>,
    Json(input): Json<EventInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::credit::propose(&st.app, ctx.principal()?, plan_id, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

pub async fn decide_event(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<DecisionInput>,
) -> Result<StatusCode, AppError> {
    app::credit::decide_event(&st.app, ctx.principal()?, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn appeal(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<AppealInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::credit::appeal(&st.app, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

pub async fn decide_appeal(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<DecisionInput>,
) -> Result<StatusCode, AppError> {
    app::credit::decide_appeal(&st.app, ctx.principal()?, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn desk(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Json<Desk>, AppError> {
    Ok(Json(app::credit::desk(&st.app, ctx.principal()?).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Catalogue {
    pub bodies: Vec<CatalogueBody>,
}

/// Public: the evaluation bodies in good standing.
pub async fn catalogue(State(st): State<AppState>) -> Result<Json<Catalogue>, AppError> {
    Ok(Json(Catalogue {
        bodies: app::credit::catalogue(&st.app).await?,
    }))
}

pub async fn sample(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::inspection::SampleInput>,
) -> Result<Json<app::inspection::Sample>, AppError> {
    Ok(Json(
        app::inspection::sample_plans(&st.app, ctx.principal()?, input).await?,
    ))
}
