//! Item analysis over the API. Thin: every handler calls [`crate::app::stats`].

use axum::extract::State;

use crate::app;
use crate::app::stats::ItemReport;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path};
use crate::web::AppState;

pub async fn bank(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ItemReport>, AppError> {
    Ok(Json(
        app::stats::bank_items(&st.app, ctx.principal()?, id).await?,
    ))
}

pub async fn plan(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ItemReport>, AppError> {
    Ok(Json(
        app::stats::plan_items(&st.app, ctx.principal()?, id).await?,
    ))
}

pub async fn report(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    crate::web::error::Query(q): crate::web::error::Query<crate::web::pages::reports::PeriodQuery>,
) -> Result<Json<crate::app::reports::PeriodReport>, AppError> {
    let period = crate::web::pages::reports::period_of(&q)?;
    Ok(Json(
        app::reports::report(&st.app, ctx.principal()?, period).await?,
    ))
}
