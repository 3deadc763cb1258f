//! Server-rendered pages. Every page is rendered through [`page`], which adds what the
//! layout needs: language, the signed-in user, the CSRF token for forms, navigation.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod banks;
pub mod credit;
pub mod dashboard;
pub mod exam;
pub mod inspect;
pub mod marking;
pub mod orgs;
pub mod plans;
pub mod proctor;
pub mod reports;
pub mod results;
pub mod stats;
pub mod subsidies;
pub mod training;
pub mod users;

use axum::response::Html;
use serde_json::{json, Value};

use super::ctx::RequestCtx;
use super::error::{AppError, FieldMessage};
use super::AppState;
use crate::domain::policy::Principal;
use crate::domain::role::Role;
use crate::domain::validate::FieldError;

fn nav(p: &Principal) -> Value {
    let admin = p.has_role(Role::RegulatorAdmin) || p.has_role(Role::BodyAdmin);
    json!({
        "orgs": admin || p.has_role(Role::QualityInspector),
        "users": admin,
        "audit": p.has_role(Role::RegulatorAdmin),
        "banks": admin || p.has_role(Role::BankAuthor) || p.has_role(Role::BankReviewer),
        "plans": admin || p.has_role(Role::QualityInspector),
        "proctor": p.has_role(Role::Proctor),
        "marking": p.has_role(Role::Assessor),
        "subsidies": admin,
        "credit": p.has_role(Role::RegulatorAdmin) || p.has_role(Role::QualityInspector),
        "reports": admin || p.has_role(Role::QualityInspector),
        "training": p.has_role(Role::BodyAdmin),
    })
}

/// Renders `template` with `data` merged into the layout's context.
pub fn page(
    st: &AppState,
    ctx: &RequestCtx,
    template: &str,
    title: &str,
    data: Value,
) -> Result<Html<String>, AppError> {
    let mut root = json!({
        "lang": ctx.lang.code(),
        "title": title,
        "user": ctx.principal.as_ref().map(|p| json!({"display_name": p.display_name, "login": p.login})),
        "nav": ctx.principal.as_ref().map(nav),
        "csrf": ctx.csrf(),
        "errors": [],
        "flash": null,
        "here": serde_urlencoded::to_string([("next", ctx.page_path.as_str())]).unwrap_or_default(),
    });
    if let (Value::Object(r), Value::Object(d)) = (&mut root, data) {
        r.extend(d);
    }
    st.templates
        .render(template, &root)
        .map(Html)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template {template}: {e}")))
}

/// Field errors translated for a form; `None` when the error is not about fields.
pub fn form_errors(st: &AppState, ctx: &RequestCtx, e: &AppError) -> Option<Vec<FieldMessage>> {
    let fields: &[FieldError] = match e {
        AppError::Validation(f) => f,
        AppError::Conflict(f) => std::slice::from_ref(f),
        _ => return None,
    };
    Some(
        fields
            .iter()
            .map(|f| FieldMessage::of(&st.i18n, ctx.lang, f))
            .collect(),
    )
}

/// 422 when a form comes back with errors, 200 otherwise.
pub fn form_status(errors: &Value) -> axum::http::StatusCode {
    match errors.as_array().is_some_and(|e| !e.is_empty()) {
        true => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        false => axum::http::StatusCode::OK,
    }
}

/// A `303 See Other` after a successful form post.
pub fn see_other(to: &str) -> axum::response::Redirect {
    axum::response::Redirect::to(to)
}
