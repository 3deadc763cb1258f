//! Organisation pages: the list with the form to file a body, and one organisation with
//! its children, status and filed scope.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{form_errors, page, see_other};
use crate::app::{self, orgs::CreateOrg};
use crate::domain::org::{BodyType, OrgKind};
use crate::domain::policy::{decide, Action};
use crate::store::OrgFilter;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path};
use crate::web::AppState;

async fn list_page(
    st: &AppState,
    ctx: &RequestCtx,
    form: serde_json::Value,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let orgs = app::orgs::list(&st.app, p).await?;
    let regulator = app::orgs::regulator(st.app.store.as_ref()).await?;
    let can_file = decide(
        p,
        Action::CreateChildOrg(OrgKind::Body),
        &regulator.as_ref(),
    )
    .is_ok();
    let status = if errors.as_array().is_some_and(|e| !e.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let data = json!({
        "orgs": orgs,
        "can_file": can_file,
        "body_types": BodyType::ALL.iter().map(|t| t.code()).collect::<Vec<_>>(),
        "form": form,
        "errors": errors,
    });
    Ok((status, page(st, ctx, "orgs", "orgs.title", data)?).into_response())
}

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let form = json!({"name": "", "name_en": "", "body_type": "social_organisation", "body_code": "0000", "province_code": "32", "site_code": "", "address": ""});
    list_page(&st, &ctx, form, json!([])).await
}

/// Files a body (from the list page) or adds a site or room (from an organisation page).
pub async fn create(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<CreateOrg>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let echo = json!({
        "name": f.name, "name_en": f.name_en, "body_type": f.body_type, "body_code": f.body_code,
        "province_code": f.province_code, "site_code": f.site_code, "address": f.address,
    });
    let parent = f.parent_id;
    match app::orgs::create(&st.app, p, f).await {
        Ok(org) => Ok(see_other(&format!("/orgs/{}", org.id)).into_response()),
        Err(e) => match (form_errors(&st, &ctx, &e), parent) {
            (Some(errors), Some(pid))
                if pid != app::orgs::regulator(st.app.store.as_ref()).await?.id =>
            {
                show_page(&st, &ctx, pid, echo, json!(errors)).await
            }
            (Some(errors), _) => list_page(&st, &ctx, echo, json!(errors)).await,
            (None, _) => Err(e),
        },
    }
}

async fn show_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    form: serde_json::Value,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let org = app::orgs::visible(&st.app, p, id).await?;
    let children = st
        .app
        .store
        .orgs(OrgFilter {
            parent_id: Some(org.id),
            ..Default::default()
        })
        .await?;
    let child_kind = match org.kind {
        OrgKind::Regulator => Some(OrgKind::Body),
        OrgKind::Body => Some(OrgKind::TestSite),
        OrgKind::TestSite => Some(OrgKind::Room),
        OrgKind::Room => None,
    };
    // Bodies are filed from the list page, where their codes are asked for.
    let can_add_child = child_kind
        .filter(|k| *k != OrgKind::Body)
        .is_some_and(|k| decide(p, Action::CreateChildOrg(k), &org.as_ref()).is_ok());
    let can_file = decide(p, Action::FileBody, &org.as_ref()).is_ok();
    let scope = if org.kind == OrgKind::Body {
        st.app.store.body_scope(org.id).await?
    } else {
        Vec::new()
    };
    let scope_text: String = scope
        .iter()
        .map(|s| {
            let level = s.level.map_or("-".to_string(), |l| l.get().to_string());
            format!(
                "{} {} {} {}\n",
                s.occupation.code(),
                s.occupation.edition(),
                level,
                s.certificate_kind.code()
            )
        })
        .collect();
    let scope_rows: Vec<_> = scope.iter().map(app::orgs::ScopeInput::from).collect();
    let status = if errors.as_array().is_some_and(|e| !e.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let data = json!({
        "org": org,
        "children": children,
        "child_kind": child_kind.map(|k| k.code()),
        "can_add_child": can_add_child,
        "can_file": can_file,
        "is_body": org.kind == OrgKind::Body,
        "scope": scope_rows,
        "scope_text": scope_text,
        "statuses": ["active", "suspended", "exited"],
        "form": form,
        "errors": errors,
    });
    Ok((status, page(st, ctx, "org", "org.title", data)?).into_response())
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    show_page(
        &st,
        &ctx,
        id,
        json!({"name": "", "name_en": "", "address": ""}),
        json!([]),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    pub status: String,
}

pub async fn set_status(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Response, AppError> {
    app::orgs::set_status(&st.app, ctx.principal()?, id, &f.status).await?;
    Ok(see_other(&format!("/orgs/{id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ScopeForm {
    pub scope: String,
}

pub async fn set_scope(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ScopeForm>,
) -> Result<Response, AppError> {
    let result = async {
        let entries = app::orgs::parse_scope_lines(&f.scope)?;
        app::orgs::set_scope(&st.app, ctx.principal()?, id, entries).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/orgs/{id}")).into_response()),
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => {
                show_page(
                    &st,
                    &ctx,
                    id,
                    json!({"name": "", "name_en": "", "address": ""}),
                    json!(errors),
                )
                .await
            }
            None => Err(e),
        },
    }
}
