//! The audit log page (regulator).

use axum::extract::State;
use axum::response::Html;
use serde_json::json;

use super::page;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::AppState;

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Html<String>, AppError> {
    let p = ctx.principal()?;
    crate::domain::policy::decide(p, crate::domain::policy::Action::ViewAudit, &p.home_org)
        .map_err(|_| AppError::Forbidden)?;
    let entries = st.app.store.audit_recent(200).await?;
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            let at = time::OffsetDateTime::from_unix_timestamp(e.at_ms / 1000)
                .map(|t| t.to_offset(time::macros::offset!(+8)))
                .map(|t| format!("{} {:02}:{:02}:{:02}", t.date(), t.hour(), t.minute(), t.second()))
                .unwrap_or_default();
            json!({"seq": e.seq, "at": at, "actor": e.actor, "action": e.action, "object": format!("{} {}", e.object_type, e.object_id), "hash": &e.hash[..12]})
        })
        .collect();
    page(&st, &ctx, "audit", "audit.title", json!({"entries": rows}))
}
