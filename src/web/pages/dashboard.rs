//! The start page: what the signed-in person can do, by role.

use axum::extract::State;
use axum::response::Html;
use serde_json::json;

use super::page;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::AppState;

pub async fn show(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Html<String>, AppError> {
    let p = ctx.principal()?;
    let mut grants = Vec::new();
    for g in &p.grants {
        let org = st.app.store.org(g.org.id).await?;
        grants.push(json!({"role": g.role, "org_name": org.name, "org_id": org.id}));
    }
    let roles: Vec<_> = p.grants.iter().map(|g| g.role).collect();
    let has = |r: &str| roles.iter().any(|x| x.code() == r);
    let data = json!({
        "grants": grants,
        "is_regulator": has("regulator_admin"),
        "is_body_admin": has("body_admin"),
        "is_candidate": has("candidate"),
        "is_staff": has("proctor") || has("assessor") || has("quality_inspector") || has("bank_author") || has("bank_reviewer"),
    });
    page(&st, &ctx, "dashboard", "dashboard.title", data)
}
