//! Account pages: the list with the form to create an account (with a real-name record
//! for candidates), and one account with its roles.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{form_errors, page, see_other};
use crate::app::{self, users::CreateUser, users::RoleChange};
use crate::domain::identity::DocumentType;
use crate::domain::org::OrgKind;
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::role::Role;
use crate::store::Org;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path};
use crate::web::AppState;

/// Organisations where the caller may create accounts or grant roles.
async fn grantable_orgs(st: &AppState, p: &Principal) -> Result<Vec<Org>, AppError> {
    Ok(app::orgs::list(&st.app, p)
        .await?
        .into_iter()
        .filter(|o| matches!(o.kind, OrgKind::Regulator | OrgKind::Body))
        .filter(|o| {
            Role::ALL
                .iter()
                .any(|r| decide(p, Action::GrantRole(*r), &o.as_ref()).is_ok())
        })
        .collect())
}

fn roles_for(p: &Principal, orgs: &[Org]) -> Vec<&'static str> {
    Role::ALL
        .iter()
        .filter(|r| {
            orgs.iter()
                .any(|o| decide(p, Action::GrantRole(**r), &o.as_ref()).is_ok())
        })
        .map(|r| r.code())
        .collect()
}

async fn list_page(
    st: &AppState,
    ctx: &RequestCtx,
    form: serde_json::Value,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let users = app::users::list(&st.app, p).await?;
    let orgs = grantable_orgs(st, p).await?;
    let mut names = std::collections::HashMap::new();
    for o in app::orgs::list(&st.app, p).await? {
        names.insert(o.id, o.name);
    }
    let rows: Vec<_> = users
        .iter()
        .map(|u| json!({"id": u.id, "login": u.login, "display_name": u.display_name, "org_name": names.get(&u.org_id), "active": u.active, "real_name": u.person_id.is_some()}))
        .collect();
    let status = super::form_status(&errors);
    let data = json!({
        "users": rows,
        "orgs": orgs.iter().map(|o| json!({"id": o.id, "name": o.name})).collect::<Vec<_>>(),
        "roles": roles_for(p, &orgs),
        "document_types": DocumentType::ALL.iter().map(|t| t.code()).collect::<Vec<_>>(),
        "form": form,
        "errors": errors,
    });
    Ok((status, page(st, ctx, "users", "users.title", data)?).into_response())
}

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let form = json!({"login": "", "display_name": "", "org_id": 0, "role": "candidate", "name": "", "document_type": "resident_id", "document_number": ""});
    list_page(&st, &ctx, form, json!([])).await
}

pub async fn create(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<CreateUser>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    // The password is never echoed back into the page.
    let echo = json!({
        "login": f.login, "display_name": f.display_name, "org_id": f.org_id, "role": f.role,
        "name": f.name, "document_type": f.document_type, "document_number": f.document_number,
    });
    match app::users::create(&st.app, p, f).await {
        Ok(user) => Ok(see_other(&format!("/users/{}", user.id)).into_response()),
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => list_page(&st, &ctx, echo, json!(errors)).await,
            None => Err(e),
        },
    }
}

async fn show_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    revealed: Option<String>,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let view = app::users::view(&st.app, p, id).await?;
    let orgs = grantable_orgs(st, p).await?;
    let can_reveal = view.can_reveal;
    let data = json!({
        "u": view,
        "orgs": orgs.iter().map(|o| json!({"id": o.id, "name": o.name})).collect::<Vec<_>>(),
        "roles": roles_for(p, &orgs),
        "can_reveal": can_reveal,
        "revealed": revealed,
        "errors": errors,
    });
    let status = if errors_present(&data) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page(st, ctx, "user", "user.title", data)?).into_response())
}

fn errors_present(data: &serde_json::Value) -> bool {
    data["errors"].as_array().is_some_and(|e| !e.is_empty())
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    show_page(&st, &ctx, id, None, json!([])).await
}

pub async fn grant(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RoleChange>,
) -> Result<Response, AppError> {
    match app::users::grant(&st.app, ctx.principal()?, id, f).await {
        Ok(()) => Ok(see_other(&format!("/users/{id}")).into_response()),
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => show_page(&st, &ctx, id, None, json!(errors)).await,
            None => Err(e),
        },
    }
}

pub async fn revoke(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RoleChange>,
) -> Result<Response, AppError> {
    match app::users::revoke(&st.app, ctx.principal()?, id, f).await {
        Ok(()) => Ok(see_other(&format!("/users/{id}")).into_response()),
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => show_page(&st, &ctx, id, None, json!(errors)).await,
            None => Err(e),
        },
    }
}

/// Shows the full document number once, in the response to an audited POST.
pub async fn reveal(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let number = app::users::reveal_document(&st.app, ctx.principal()?, id).await?;
    show_page(&st, &ctx, id, Some(number), json!([])).await
}
