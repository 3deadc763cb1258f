//! Bank pages for authors and reviewers: the bank by standard tree with search, the
//! pool report, an item with its preview, history (with what changed between versions)
//! and review actions, editing with preview, and file import with a preview of what
//! will be created.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use super::{form_errors, page, see_other};
use crate::app::banks::Keys;
use crate::app::{self, banks::ItemForm, banks::ItemQuery};
use crate::domain::item::{ItemContent, ItemType};
use crate::domain::policy::Action;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path, Query};
use crate::web::AppState;

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let banks = app::banks::list(&st.app, ctx.principal()?).await?;
    Ok(page(&st, &ctx, "banks", "banks.title", json!({"banks": banks}))?.into_response())
}

fn item_types() -> Vec<&'static str> {
    ItemType::ALL.iter().map(|t| t.code()).collect()
}

async fn bank_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    q: &ItemQuery,
    form: serde_json::Value,
    errors: serde_json::Value,
    preview: Option<ItemContent>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let b = app::banks::bank_for(&st.app, p, id, Action::ReadBank).await?;
    let (_, standards, reports) = app::banks::pool(&st.app, p, id).await?;
    let items = app::banks::items(&st.app, p, id, q).await?;
    let sharing = app::banks::sharing(&st.app, p, id).await?;
    let can_author =
        crate::domain::policy::decide(p, Action::AuthorBank, &b.owner.as_ref()).is_ok();
    let tree: Vec<_> = standards
        .iter()
        .zip(&reports)
        .map(|(s, r)| {
            json!({
                "level": s.level, "mode": s.mode,
                "areas": r.areas.iter().map(|a| json!({"code": a.code, "name": a.name, "weight": a.weight, "items": a.items,
                    "points": a.point_reports.iter().map(|pt| json!({"code": pt.code, "name": pt.name, "importance": pt.importance, "items": pt.items})).collect::<Vec<_>>()})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let status = super::form_status(&errors);
    let data = json!({
        "bank": b.bank, "owner": b.owner.name, "tree": tree, "items": items, "can_author": can_author,
        "q": {"q": q.q, "status": q.status, "type": q.item_type, "point": q.point},
        "item_types": item_types(), "statuses": ["draft", "in_review", "active", "retired"],
        "form": form, "errors": errors,
        "preview": preview.map(|c| preview_json(&c)),
        "sharing": sharing.map(|s| json!({
            "shared": s.shared.iter().map(|b| json!({"id": b.id, "name": b.name})).collect::<Vec<_>>(),
            "others": s.others.iter().filter(|b| b.status == crate::domain::org::OrgStatus::Active)
                .map(|b| json!({"id": b.id, "name": b.name})).collect::<Vec<_>>(),
        })),
        // (value, locale key) of each format the import form offers.
        "formats": [["auto", "auto"], ["gift", "gift"], ["aiken", "aiken"], ["moodle-xml", "moodle_xml"], ["qti", "qti"], ["csv", "csv"], ["xlsx", "xlsx"], ["toml", "own"]],
    });
    Ok((status, page(st, ctx, "bank", "bank.title", data)?).into_response())
}

fn empty_form() -> serde_json::Value {
    json!({"type": "single_choice", "stem": "", "options": "", "answer": "", "reference": "", "explanation": "", "difficulty": 3, "score": 1, "point": "", "level": 5, "mode": "theory"})
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, AppError> {
    bank_page(&st, &ctx, id, &q, empty_form(), json!([]), None).await
}

/// What a candidate would see (no key), and the key beside it for the author.
pub fn preview_json(c: &ItemContent) -> serde_json::Value {
    json!({
        "type": c.item_type, "stem": c.stem, "options": c.options,
        "answer": app::banks::answer_text(c),
        "reference": c.reference, "rubric": c.rubric, "explanation": c.explanation,
        "difficulty": c.difficulty, "score": c.score,
    })
}

fn form_echo(f: &ItemForm) -> serde_json::Value {
    json!({"type": f.item_type, "stem": f.stem, "options": f.options, "answer": f.answer, "reference": f.reference, "explanation": f.explanation,
           "difficulty": f.difficulty.unwrap_or(3), "score": f.score.unwrap_or(1.0), "point": f.point, "level": f.level.unwrap_or(5), "mode": f.mode})
}

pub async fn create_item(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ItemForm>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let echo = form_echo(&f);
    let result = async {
        let input = app::banks::input_from_form(&f)?;
        if f.action == "preview" {
            let c = app::banks::clean(input)?;
            return Ok(Err(c));
        }
        let new = app::banks::NewItemInput {
            item: input,
            level: f.level.unwrap_or(5),
            mode: if f.mode.is_empty() {
                "theory".into()
            } else {
                f.mode.clone()
            },
            point: f.point.trim().to_string(),
            external_id: None,
        };
        Ok(Ok(app::banks::create_item(&st.app, p, id, new).await?))
    }
    .await;
    match result {
        Ok(Ok(item)) => Ok(see_other(&format!("/items/{item}")).into_response()),
        Ok(Err(preview)) => {
            bank_page(
                &st,
                &ctx,
                id,
                &ItemQuery::default(),
                echo,
                json!([]),
                Some(preview),
            )
            .await
        }
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => {
                bank_page(
                    &st,
                    &ctx,
                    id,
                    &ItemQuery::default(),
                    echo,
                    json!(errors),
                    None,
                )
                .await
            }
            None => Err(e),
        },
    }
}

pub async fn pool(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (bank, _, reports) = app::banks::pool(&st.app, ctx.principal()?, id).await?;
    Ok(page(
        &st,
        &ctx,
        "pool",
        "pool.title",
        json!({"bank": bank, "reports": reports}),
    )?
    .into_response())
}

/// The item page. Keys (answers, reference, rubric) show only after the reader asks
/// for them with a POST (`/items/{id}/keys`), which is audited; the edit form needs
/// them, so it appears then, or with the author's own input echoed back.
async fn item_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    form: Option<serde_json::Value>,
    preview: Option<ItemContent>,
    errors: serde_json::Value,
    keys: app::banks::Keys,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let d = app::banks::item_detail(&st.app, p, id, keys).await?;
    let editing = d.keys_shown || form.is_some();
    let mut history = Vec::new();
    for (i, v) in d.versions.iter().enumerate() {
        let changes: Vec<_> = match i {
            0 => vec![],
            _ => app::banks::diff(&d.versions[i - 1].content, &v.content)
                .into_iter()
                .map(|(f, a, b)| json!({"field": f, "old": a, "new": b}))
                .collect(),
        };
        history.push(json!({"version": v.version, "by": v.created_by_login, "changes": changes, "first": i == 0}));
    }
    history.reverse();
    let latest = d.versions.last().map(|v| v.content.clone());
    let current = latest.as_ref().map(preview_json);
    let form = form.unwrap_or_else(|| match latest.as_ref().filter(|_| d.keys_shown) {
        Some(c) => json!({"type": c.item_type, "stem": crate::formats::unescape_html(&c.stem), "options": c.options.iter().map(|o| crate::formats::unescape_html(&o.text)).collect::<Vec<_>>().join("\n"),
            "answer": app::banks::answer_text(c), "reference": c.reference.as_deref().map(crate::formats::unescape_html).unwrap_or_default(),
            "explanation": c.explanation.as_deref().map(crate::formats::unescape_html).unwrap_or_default(), "difficulty": c.difficulty, "score": c.score,
            "point": d.item.point_code, "level": d.item.level, "mode": d.item.mode}),
        None => empty_form(),
    });
    let status = super::form_status(&errors);
    let s = d.item.status.code();
    let data = json!({
        "item": d.item, "bank": d.bank, "current": current, "history": history, "reviews": d.reviews,
        "can_submit": d.can_author && s == "draft", "can_retire": d.can_author && s == "active",
        "can_edit": editing && d.can_author && s != "retired", "can_review": d.can_review && s == "in_review",
        "can_reveal": !d.keys_shown, "keys_shown": d.keys_shown, "may_edit": d.can_author && s != "retired",
        "form": form, "preview": preview.map(|c| preview_json(&c)), "item_types": item_types(), "errors": errors,
    });
    Ok((status, page(st, ctx, "item", "item.title", data)?).into_response())
}

pub async fn show_item(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    item_page(&st, &ctx, id, None, None, json!([]), Keys::Hidden).await
}

/// Shows the item with its keys (and the edit form): audited.
pub async fn reveal_keys(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    item_page(&st, &ctx, id, None, None, json!([]), Keys::Reveal).await
}

pub async fn edit_item(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ItemForm>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let echo = form_echo(&f);
    let result = async {
        let input = app::banks::input_from_form(&f)?;
        if f.action == "preview" {
            return Ok(Some(app::banks::clean(input)?));
        }
        let point = Some(f.point.trim().to_string()).filter(|s| !s.is_empty());
        app::banks::edit_item(&st.app, p, id, input, point).await?;
        Ok(None)
    }
    .await;
    match result {
        Ok(None) => Ok(see_other(&format!("/items/{id}")).into_response()),
        Ok(Some(preview)) => {
            item_page(
                &st,
                &ctx,
                id,
                Some(echo),
                Some(preview),
                json!([]),
                Keys::Hidden,
            )
            .await
        }
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => {
                item_page(&st, &ctx, id, Some(echo), None, json!(errors), Keys::Hidden).await
            }
            None => Err(e),
        },
    }
}

pub async fn transition(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(t): Form<app::banks::TransitionInput>,
) -> Result<Response, AppError> {
    match app::banks::transition(&st.app, ctx.principal()?, id, t).await {
        Ok(_) => Ok(see_other(&format!("/items/{id}")).into_response()),
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => item_page(&st, &ctx, id, None, None, json!(errors), Keys::Hidden).await,
            None => Err(e),
        },
    }
}

/// Step 1: the uploaded file is checked (nothing written) and shown as it would be
/// created; the page carries the file to step 2.
pub async fn import_preview(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let mut params = app::banks::ImportParams {
        dry_run: Some(true),
        ..Default::default()
    };
    let mut bytes = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(|e| AppError::BadRequest {
        code: "malformed_form",
        detail: Some(e.body_text()),
    })? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                params.name = field.file_name().map(String::from);
                bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest {
                        code: "malformed_form",
                        detail: Some(e.body_text()),
                    })?
                    .to_vec();
            }
            _ => {
                let v = field.text().await.unwrap_or_default();
                match name.as_str() {
                    "format" => params.format = Some(v),
                    "level" => params.level = v.trim().parse().ok(),
                    "mode" => params.mode = Some(v),
                    "point" => params.point = Some(v),
                    _ => {}
                }
            }
        }
    }
    let report = app::banks::import_file(&st.app, p, id, &bytes, &params).await?;
    let data = json!({
        "bank_id": id, "items": preview_items(&report.items), "report_errors": error_lines(&st, &ctx, &report.errors), "ok": report.errors.is_empty(),
        "file_b64": base64::engine::general_purpose::STANDARD.encode(&bytes), "params": {"name": params.name, "format": params.format, "level": params.level, "mode": params.mode, "point": params.point},
    });
    Ok(page(&st, &ctx, "import", "import.title", data)?.into_response())
}

/// What the import would create, numbered from 1, with each answer written as the
/// item form takes it (B, ACD, 对, 3±0.5), not as JSON.
fn preview_items(items: &[crate::domain::item::ItemJson]) -> Vec<serde_json::Value> {
    items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let input = crate::domain::item::ItemInput {
                item_type: i.item_type,
                stem: i.stem.clone(),
                options: i.options.clone(),
                correct: i.correct.clone(),
                reference: None,
                rubric: vec![],
                explanation: None,
                difficulty: 3,
                score: 1.0,
            };
            let answer = input
                .into_content()
                .map(|c| app::banks::answer_text(&c))
                .unwrap_or_default();
            json!({"n": n + 1, "type": i.item_type, "stem": i.stem, "options": i.options, "answer": answer})
        })
        .collect()
}

/// The import's errors in the reader's language, each with its line and file.
fn error_lines(
    st: &AppState,
    ctx: &RequestCtx,
    errors: &[crate::formats::ImportError],
) -> Vec<serde_json::Value> {
    errors
        .iter()
        .map(|e| json!({"line": e.line, "path": e.path, "message": st.i18n.import_error(ctx.lang, e)}))
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    pub file_b64: String,
    pub name: Option<String>,
    pub format: Option<String>,
    pub level: Option<u8>,
    pub mode: Option<String>,
    pub point: Option<String>,
}

/// Step 2: the same file, written as drafts for review.
pub async fn import_confirm(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(f.file_b64.trim())
        .map_err(|_| AppError::field("file", "import.file_invalid"))?;
    let params = app::banks::ImportParams {
        format: f.format,
        level: f.level,
        mode: f.mode,
        point: f.point,
        dry_run: Some(false),
        name: f.name,
    };
    let report = app::banks::import_file(&st.app, ctx.principal()?, id, &bytes, &params).await?;
    if report.errors.is_empty() {
        return Ok(see_other(&format!("/banks/{id}?status=draft")).into_response());
    }
    let data = json!({"bank_id": id, "items": preview_items(&report.items), "report_errors": error_lines(&st, &ctx, &report.errors), "ok": false, "file_b64": f.file_b64,
        "params": {"name": params.name, "format": params.format, "level": params.level, "mode": params.mode, "point": params.point}});
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        page(&st, &ctx, "import", "import.title", data)?,
    )
        .into_response())
}

/// Public: the shortage catalogue in force; the regulator publishes new ones here.
pub async fn shortage(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    shortage_page(&st, &ctx, json!([])).await
}

async fn shortage_page(
    st: &AppState,
    ctx: &RequestCtx,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let (date, cats) = app::banks::catalogue::shortage_today(&st.app).await?;
    let occupations = app::banks::catalogue::occupations(&st.app).await?;
    let can_publish = ctx.principal.as_ref().is_some_and(|p| {
        crate::domain::policy::decide(p, Action::ManageCatalogue, &p.home_org).is_ok()
    });
    let status = super::form_status(&errors);
    let data = json!({"date": date, "catalogues": cats, "occupations": occupations, "can_publish": can_publish, "errors": errors});
    Ok((status, page(st, ctx, "shortage", "shortage.title", data)?).into_response())
}

/// The regulator's form: name, dates, and a checkbox per occupation (repeated
/// `occupation_id` fields, so the body is read as pairs).
pub async fn publish_shortage(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(n, _)| n == "occupation_id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    match app::banks::catalogue::publish_shortage(
        &st.app,
        ctx.principal()?,
        &field("name"),
        &field("valid_from"),
        &field("valid_to"),
        &ids,
    )
    .await
    {
        Ok(_) => Ok(see_other("/shortage").into_response()),
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => shortage_page(&st, &ctx, json!(errors)).await,
            None => Err(e),
        },
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShareForm {
    #[serde(deserialize_with = "app::lenient_i64")]
    body_id: Option<i64>,
}

/// Shares the bank with a body from the bank page: the body may then plan with it
/// (never read its items).
pub async fn share(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ShareForm>,
) -> Result<Response, AppError> {
    let result = match f.body_id {
        Some(body) => app::banks::share(&st.app, ctx.principal()?, id, body).await,
        None => Err(AppError::field("body_id", "field.required")),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/banks/{id}#sharing")).into_response()),
        Err(e) => {
            let errors = json!(form_errors(&st, &ctx, &e).ok_or(e)?);
            bank_page(
                &st,
                &ctx,
                id,
                &ItemQuery::default(),
                empty_form(),
                errors,
                None,
            )
            .await
        }
    }
}
