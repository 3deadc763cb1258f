//! Organisations over the API.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::app::{self, orgs::ScopeInput};
use crate::store::Org;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path};
use crate::web::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgList {
    pub organisations: Vec<Org>,
}

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Json<OrgList>, AppError> {
    Ok(Json(OrgList {
        organisations: app::orgs::list(&st.app, ctx.principal()?).await?,
    }))
}

pub async fn create(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::orgs::CreateOrg>,
) -> Result<(StatusCode, Json<Org>), AppError> {
    let org = app::orgs::create(&st.app, ctx.principal()?, input).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Org>, AppError> {
    Ok(Json(
        app::orgs::visible(&st.app, ctx.principal()?, id).await?,
    ))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScopeList {
    pub scope: Vec<ScopeInput>,
}

pub async fn scope(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ScopeList>, AppError> {
    let scope = app::orgs::scope(&st.app, ctx.principal()?, id).await?;
    Ok(Json(ScopeList {
        scope: scope.iter().map(ScopeInput::from).collect(),
    }))
}

pub async fn set_scope(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ScopeList>,
) -> Result<Json<ScopeList>, AppError> {
    let scope = app::orgs::set_scope(&st.app, ctx.principal()?, id, req.scope).await?;
    Ok(Json(ScopeList {
        scope: scope.iter().map(ScopeInput::from).collect(),
    }))
}
