//! Accounts over the API.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::store::User;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path};
use crate::web::ops::{self, users::UserView};
use crate::web::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Json<UserList>, AppError> {
    Ok(Json(UserList {
        users: ops::users::list(&st, ctx.principal()?).await?,
    }))
}

pub async fn create(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<ops::users::CreateUser>,
) -> Result<(StatusCode, Json<UserView>), AppError> {
    let p = ctx.principal()?;
    let user = ops::users::create(&st, p, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(ops::users::view(&st, p, user.id).await?),
    ))
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<UserView>, AppError> {
    Ok(Json(ops::users::view(&st, ctx.principal()?, id).await?))
}

pub async fn grant(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(change): Json<ops::users::RoleChange>,
) -> Result<Json<UserView>, AppError> {
    let p = ctx.principal()?;
    ops::users::grant(&st, p, id, change).await?;
    Ok(Json(ops::users::view(&st, p, id).await?))
}

pub async fn revoke(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(change): Json<ops::users::RoleChange>,
) -> Result<Json<UserView>, AppError> {
    let p = ctx.principal()?;
    ops::users::revoke(&st, p, id, change).await?;
    Ok(Json(ops::users::view(&st, p, id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentNumber {
    pub document_number: String,
}

pub async fn reveal(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<DocumentNumber>, AppError> {
    let n = ops::users::reveal_document(&st, ctx.principal()?, id).await?;
    Ok(Json(DocumentNumber { document_number: n }))
}
