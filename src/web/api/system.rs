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
    let (ok, backend) = crate::app::health(&st.app).await;
    let body = Health {
        status: if ok { "ok" } else { "unavailable" },
        database: if ok { "reachable" } else { "unreachable" },
        backend,
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProcessStats {
    /// Resident memory of this server process now, and its peak, in MB (Linux).
    pub rss_mb: f64,
    pub peak_rss_mb: f64,
}

fn status_kb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0.0)
}

/// Memory of the process that answers (the load generator reads it after a run).
pub async fn stats() -> axum::Json<ProcessStats> {
    axum::Json(ProcessStats {
        rss_mb: status_kb("VmRSS:") / 1024.0,
        peak_rss_mb: status_kb("VmHWM:") / 1024.0,
    })
}
