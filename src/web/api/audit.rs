//! The audit log over the API (regulator only).

use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::domain::audit::AuditEntry;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Query};
use crate::web::AppState;

#[derive(Deserialize)]
pub struct Params {
    #[serde(default)]
    pub after: i64,
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
}

pub async fn list(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Query(q): Query<Params>,
) -> Result<Json<AuditList>, AppError> {
    let limit = q.limit.unwrap_or(100);
    Ok(Json(AuditList {
        entries: crate::app::audit::after(&st.app, ctx.principal()?, q.after, limit).await?,
    }))
}
