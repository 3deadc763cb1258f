//! Organisation pages: the list with the form to file a body, and one organisation with
//! its children, status and filed scope.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{form_errors, page, see_other};
use crate::app::{self, orgs::CreateOrg};
use crate::domain::org::{BodyType, CertificateKind, OrgKind};
use crate::domain::policy::{decide, Action};
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
    let status = super::form_status(&errors);
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
        "capacity": f.capacity,
    });
    let parent = f.parent_id;
    match app::orgs::create(&st.app, p, f).await {
        Ok(org) => Ok(see_other(&format!("/orgs/{}", org.id)).into_response()),
        Err(e) => match (form_errors(&st, &ctx, &e), parent) {
            (Some(errors), Some(pid))
                if pid != app::orgs::regulator(st.app.store.as_ref()).await?.id =>
            {
                show_page(&st, &ctx, pid, echo, json!(errors), None).await
            }
            (Some(errors), _) => list_page(&st, &ctx, echo, json!(errors)).await,
            (None, _) => Err(e),
        },
    }
}

/// One row of the scope form: an occupation of the catalogue (`code@edition`), a level
/// (`-` for none) and a certificate kind.
#[derive(Clone, Default)]
struct ScopeRow {
    occupation: String,
    level: String,
    kind: String,
}

impl From<&crate::domain::org::ScopeEntry> for ScopeRow {
    fn from(s: &crate::domain::org::ScopeEntry) -> Self {
        ScopeRow {
            occupation: format!("{}@{}", s.occupation.code(), s.occupation.edition()),
            level: s.level.map_or("-".into(), |l| l.get().to_string()),
            kind: s.certificate_kind.code().into(),
        }
    }
}

/// The level picker's values, lowest level first (`-`: a certificate without levels).
const LEVELS: [&str; 6] = ["-", "5", "4", "3", "2", "1"];

async fn show_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    form: serde_json::Value,
    errors: serde_json::Value,
    scope_rows: Option<Vec<ScopeRow>>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let d = app::orgs::detail(&st.app, p, id).await?;
    let status = super::form_status(&errors);
    // The form's rows: what was sent back with its errors, else the filed scope; and
    // one empty row to add an entry.
    let mut rows = scope_rows.unwrap_or_else(|| d.scope.iter().map(ScopeRow::from).collect());
    rows.push(ScopeRow {
        level: "5".into(),
        kind: "skill_level".into(),
        ..Default::default()
    });
    let occupation_name = |code: &str, edition: i64| {
        d.catalogue
            .iter()
            .find(|o| o.code == code && o.edition == edition)
            .map(|o| o.name.clone())
    };
    let form_rows: Vec<_> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "index": i, "errors_at": format!("scope[{i}]"), "new": i + 1 == rows.len(),
                "occupations": d.catalogue.iter().map(|o| {
                    let value = format!("{}@{}", o.code, o.edition);
                    json!({"value": value, "code": o.code, "name": o.name, "edition": o.edition, "selected": value == r.occupation})
                }).collect::<Vec<_>>(),
                "levels": LEVELS.map(|l| json!({"value": l, "selected": l == r.level})),
                "kinds": CertificateKind::ALL.map(|k| json!({"value": k.code(), "selected": k.code() == r.kind})),
            })
        })
        .collect();
    let scope: Vec<_> = d
        .scope
        .iter()
        .map(|s| {
            json!({"code": s.occupation.code(), "edition": s.occupation.edition(),
                   "name": occupation_name(s.occupation.code(), i64::from(s.occupation.edition())),
                   "level": s.level.map(|l| l.get()), "kind": s.certificate_kind.code()})
        })
        .collect();
    let data = json!({
        "org": d.org,
        "children": d.children,
        "child_kind": d.child_kind.map(|k| k.code()),
        "adds_room": d.child_kind == Some(OrgKind::Room),
        "can_add_child": d.can_add_child,
        "can_file": d.can_file,
        "is_body": d.org.kind == OrgKind::Body,
        "scope": scope,
        "scope_rows": form_rows,
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
        json!({"name": "", "name_en": "", "address": "", "capacity": ""}),
        json!([]),
        None,
    )
    .await
}

/// The scope form's rows, in order: each `occupation` starts a row, its `level`,
/// `kind` and `remove` follow; rows left without an occupation or ticked for removal
/// are dropped.
fn scope_rows(pairs: &[(String, String)]) -> Vec<ScopeRow> {
    let mut rows: Vec<(ScopeRow, bool)> = Vec::new();
    for (k, v) in pairs {
        match (k.as_str(), rows.last_mut()) {
            ("occupation", _) => rows.push((
                ScopeRow {
                    occupation: v.trim().into(),
                    ..Default::default()
                },
                false,
            )),
            ("level", Some((r, _))) => r.level = v.trim().into(),
            ("kind", Some((r, _))) => r.kind = v.trim().into(),
            ("remove", Some((_, removed))) => *removed = true,
            _ => {}
        }
    }
    rows.into_iter()
        .filter(|(r, removed)| !removed && !r.occupation.is_empty())
        .map(|(r, _)| r)
        .collect()
}

pub async fn set_scope(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let rows = scope_rows(&pairs);
    let input: Vec<app::orgs::ScopeInput> = rows
        .iter()
        .map(|r| {
            let (code, edition) = r.occupation.split_once('@').unwrap_or((&r.occupation, ""));
            app::orgs::ScopeInput {
                occupation_code: code.into(),
                edition: edition.parse().unwrap_or(0),
                level: r.level.parse().ok(),
                certificate_kind: r.kind.clone(),
            }
        })
        .collect();
    match app::orgs::set_scope(&st.app, ctx.principal()?, id, input).await {
        Ok(_) => Ok(see_other(&format!("/orgs/{id}")).into_response()),
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => {
                let form = json!({"name": "", "name_en": "", "address": "", "capacity": ""});
                show_page(&st, &ctx, id, form, json!(errors), Some(rows)).await
            }
            None => Err(e),
        },
    }
}
