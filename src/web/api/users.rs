//! Accounts over the API.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::app::{self, users::UserView};
use crate::store::User;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path};
use crate::web::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Json<UserList>, AppError> {
    Ok(Json(UserList {
        users: app::users::list(&st.app, ctx.principal()?).await?,
    }))
}

pub async fn create(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::users::CreateUser>,
) -> Result<(StatusCode, Json<UserView>), AppError> {
    let p = ctx.principal()?;
    let user = app::users::create(&st.app, p, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(app::users::view(&st.app, p, user.id).await?),
    ))
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<UserView>, AppError> {
    Ok(Json(app::users::view(&st.app, ctx.principal()?, id).await?))
}

pub async fn grant(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(change): Json<app::users::RoleChange>,
) -> Result<Json<UserView>, AppError> {
    let p = ctx.principal()?;
    app::users::grant(&st.app, p, id, change).await?;
    Ok(Json(app::users::view(&st.app, p, id).await?))
}

pub async fn revoke(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(change): Json<app::users::RoleChange>,
) -> Result<Json<UserView>, AppError> {
    let p = ctx.principal()?;
    app::users::revoke(&st.app, p, id, change).await?;
    Ok(Json(app::users::view(&st.app, p, id).await?))
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
    let n = app::users::reveal_document(&st.app, ctx.principal()?, id).await?;
    Ok(Json(DocumentNumber { document_number: n }))
}
