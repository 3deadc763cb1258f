//! Health and the OpenAPI document.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;

use crate::web::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    pub database: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: crate::store::Backend,
}

/// 200 when the database answers, 503 when it does not.
pub async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    let ok = st.store.ping().await.is_ok();
    let body = Health {
        status: if ok { "ok" } else { "unavailable" },
        database: if ok { "reachable" } else { "unreachable" },
        backend: st.store.backend(),
    };
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body))
}

pub async fn openapi() -> impl IntoResponse {
    axum::Json(crate::web::openapi::document())
}
