//! Question banks over the API: catalogue, banks, pool reports, items (keys only to
//! a bank's authors, reviewers and the regulator; every key read audited), review and
//! import.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::app::{self, banks::BankView};
use crate::domain::item::{ItemInput, ItemJson, ItemStatus};
use crate::domain::standard::{PoolReport, Standard};
use crate::formats::ImportError;
use crate::store::catalogue::{Occupation, ShortageCatalogue};
use crate::store::items::{ImportOutcome, ItemReview, ItemSummary};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path, Query};
use crate::web::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct OccupationList {
    pub occupations: Vec<Occupation>,
}

pub async fn occupations(State(st): State<AppState>) -> Result<Json<OccupationList>, AppError> {
    Ok(Json(OccupationList {
        occupations: app::banks::catalogue::occupations(&st.app).await?,
    }))
}

pub async fn put_occupation(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(o): Json<app::banks::catalogue::OccupationInput>,
) -> Result<Json<Occupation>, AppError> {
    Ok(Json(
        app::banks::catalogue::put_occupation(&st.app, ctx.principal()?, o).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ShortageList {
    pub date: String,
    pub catalogues: Vec<ShortageCatalogue>,
}

/// Public: the shortage catalogues in force today.
pub async fn shortage(State(st): State<AppState>) -> Result<Json<ShortageList>, AppError> {
    let (date, catalogues) = app::banks::catalogue::shortage_today(&st.app).await?;
    Ok(Json(ShortageList { catalogues, date }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ShortageInput {
    pub name: String,
    /// YYYY-MM-DD
    pub valid_from: String,
    pub valid_to: String,
    pub occupation_ids: Vec<i64>,
}

pub async fn create_shortage(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(i): Json<ShortageInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let id = app::banks::catalogue::publish_shortage(
        &st.app,
        ctx.principal()?,
        &i.name,
        &i.valid_from,
        &i.valid_to,
        &i.occupation_ids,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": id}))))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BankList {
    pub banks: Vec<BankView>,
}

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Json<BankList>, AppError> {
    Ok(Json(BankList {
        banks: app::banks::list(&st.app, ctx.principal()?).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PoolResponse {
    pub bank_id: i64,
    pub standards: Vec<Standard>,
    pub reports: Vec<PoolReport>,
}

pub async fn pool(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<PoolResponse>, AppError> {
    let (bank, standards, reports) = app::banks::pool(&st.app, ctx.principal()?, id).await?;
    Ok(Json(PoolResponse {
        bank_id: bank.id,
        standards,
        reports,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemList {
    pub items: Vec<ItemSummary>,
}

pub async fn items(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Query(q): Query<app::banks::ItemQuery>,
) -> Result<Json<ItemList>, AppError> {
    Ok(Json(ItemList {
        items: app::banks::items(&st.app, ctx.principal()?, id, &q).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedItem {
    pub id: i64,
}

pub async fn create_item(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::banks::NewItemInput>,
) -> Result<(StatusCode, Json<CreatedItem>), AppError> {
    let item = app::banks::create_item(&st.app, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(CreatedItem { id: item })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub item: ItemJson,
    pub reference: Option<String>,
    pub rubric: Vec<crate::domain::item::RubricElement>,
    pub explanation: Option<String>,
    pub difficulty: u8,
    pub score: f64,
    pub created_by: Option<String>,
    pub created_at_ms: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemResponse {
    #[serde(flatten)]
    pub item: ItemSummary,
    /// Whether the versions carry their keys (only from `POST /api/v1/items/{id}/keys`).
    pub keys_shown: bool,
    pub versions: Vec<VersionView>,
    pub reviews: Vec<ItemReview>,
}

/// An item with every version and its key. The read is audited.
/// An item with every version, without keys: nothing audited.
pub async fn item(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ItemResponse>, AppError> {
    item_response(&st, &ctx, id, app::banks::Keys::Hidden).await
}

/// An item with every version and its keys: the read is audited first.
pub async fn item_keys(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ItemResponse>, AppError> {
    item_response(&st, &ctx, id, app::banks::Keys::Reveal).await
}

async fn item_response(
    st: &AppState,
    ctx: &crate::web::ctx::RequestCtx,
    id: i64,
    keys: app::banks::Keys,
) -> Result<Json<ItemResponse>, AppError> {
    let d = app::banks::item_detail(&st.app, ctx.principal()?, id, keys).await?;
    let versions = d
        .versions
        .into_iter()
        .map(|v| VersionView {
            version: v.version,
            item: v.content.to_json(),
            reference: v.content.reference.clone(),
            rubric: v.content.rubric.clone(),
            explanation: v.content.explanation.clone(),
            difficulty: v.content.difficulty,
            score: v.content.score,
            created_by: v.created_by_login,
            created_at_ms: v.created_at_ms,
        })
        .collect();
    Ok(Json(ItemResponse {
        item: d.item,
        keys_shown: d.keys_shown,
        versions,
        reviews: d.reviews,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EditInput {
    #[serde(flatten)]
    pub item: ItemInput,
    pub point: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EditResult {
    pub version: i64,
}

pub async fn edit(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(e): Json<EditInput>,
) -> Result<Json<EditResult>, AppError> {
    let version = app::banks::edit_item(&st.app, ctx.principal()?, id, e.item, e.point).await?;
    Ok(Json(EditResult { version }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TransitionResult {
    pub status: ItemStatus,
}

pub async fn transition(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(t): Json<app::banks::TransitionInput>,
) -> Result<Json<TransitionResult>, AppError> {
    Ok(Json(TransitionResult {
        status: app::banks::transition(&st.app, ctx.principal()?, id, t).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportResponse {
    pub items: Vec<ItemJson>,
    pub errors: Vec<ImportErrorView>,
    pub outcome: Option<ImportOutcome>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportErrorView {
    pub line: usize,
    pub path: Option<String>,
    /// The message key (`import_error.*`, `item_error.*`, `standard_error.*`) and its
    /// arguments, for clients that show their own words.
    pub code: String,
    #[schema(value_type = Object)]
    pub args: std::collections::BTreeMap<String, String>,
    /// In English (what the CLI prints).
    pub message: String,
}

impl From<ImportError> for ImportErrorView {
    fn from(e: ImportError) -> Self {
        ImportErrorView {
            line: e.line,
            path: e.path,
            code: e.code.to_string(),
            args: e
                .args
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            message: e.message,
        }
    }
}

/// The request body is the file itself; `?format=&level=&mode=&point=&dry_run=true&name=`.
/// Answers 200 with the report; 422 when the file has errors (nothing written).
pub async fn import(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Query(q): Query<app::banks::ImportParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportResponse>), AppError> {
    let r = app::banks::import_file(&st.app, ctx.principal()?, id, &body, &q).await?;
    let status = if r.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        Json(ImportResponse {
            items: r.items,
            errors: r.errors.into_iter().map(Into::into).collect(),
            outcome: r.outcome,
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ShareInput {
    pub body_id: i64,
}

pub async fn share(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(s): Json<ShareInput>,
) -> Result<StatusCode, AppError> {
    app::banks::share(&st.app, ctx.principal()?, id, s.body_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
