//! Plans, exam delivery, proctoring and inspection over the API. Thin: every handler
//! calls one use case of [`crate::app`].

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::app;
use crate::domain::exam::Clock;
use crate::store::delivery::StoredSeq;
use crate::store::plans::{Enrolled, Plan, PlanSession, RosterEntry, StaffRef};
use crate::web::cookies::{exam_cookie, EXAM_COOKIE};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path};
use crate::web::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanList {
    #[schema(value_type = Vec<Object>)]
    pub plans: Vec<Plan>,
}

pub async fn list(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Json<PlanList>, AppError> {
    Ok(Json(PlanList {
        plans: app::plans::list_plans(&st.app, ctx.principal()?).await?,
    }))
}

pub async fn create(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::plans::PlanInput>,
) -> Result<(StatusCode, axum::Json<Plan>), AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(app::plans::create_plan(&st.app, ctx.principal()?, input).await?),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanDetail {
    #[schema(value_type = Object)]
    pub plan: Plan,
    pub sessions: Vec<PlanSession>,
    pub inspectors: Vec<StaffRef>,
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<PlanDetail>, AppError> {
    let (plan, sessions, inspectors) =
        app::plans::view::summary(&st.app, ctx.principal()?, id).await?;
    Ok(Json(PlanDetail {
        sessions,
        inspectors,
        plan,
    }))
}

pub async fn approve(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<axum::Json<Plan>, AppError> {
    Ok(axum::Json(
        app::plans::approve_plan(&st.app, ctx.principal()?, id).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

pub async fn add_session(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::plans::sessions::SessionInput>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let sid = app::plans::sessions::add_session(&st.app, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(Created { id: sid })))
}

pub async fn assign_proctor(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::plans::sessions::StaffInput>,
) -> Result<StatusCode, AppError> {
    app::plans::sessions::assign_proctor(&st.app, ctx.principal()?, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn assign_inspector(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::plans::sessions::StaffInput>,
) -> Result<StatusCode, AppError> {
    app::inspection::assign_inspector(&st.app, ctx.principal()?, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn declare_relation(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::plans::roster::RelationInput>,
) -> Result<StatusCode, AppError> {
    app::plans::roster::declare_relation(&st.app, ctx.principal()?, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EnrolledList {
    pub enrolled: Vec<Enrolled>,
}

pub async fn add_candidates(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::plans::roster::RosterInput>,
) -> Result<(StatusCode, Json<EnrolledList>), AppError> {
    let enrolled = app::plans::roster::add_candidates(&st.app, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(EnrolledList { enrolled })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PapersGenerated {
    pub papers: usize,
}

pub async fn close_roster(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<PapersGenerated>, AppError> {
    Ok(Json(PapersGenerated {
        papers: app::plans::papers::close_roster(&st.app, ctx.principal()?, id).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Roster {
    pub server_now_ms: i64,
    pub roster: Vec<RosterEntry>,
}

pub async fn plan_roster(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Roster>, AppError> {
    Ok(Json(Roster {
        server_now_ms: crate::now_ms(),
        roster: app::plans::view::roster(&st.app, ctx.principal()?, id).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StoredSeqs {
    pub answers: Vec<StoredSeq>,
}

/// The stored sequence number of every answered position: the body checks that every
/// acknowledged save is there (the load generator does, after every run).
pub async fn stored_seqs(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<StoredSeqs>, AppError> {
    Ok(Json(StoredSeqs {
        answers: app::plans::view::stored_seqs(&st.app, ctx.principal()?, id).await?,
    }))
}

pub async fn live(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<app::inspection::PlanLive>, AppError> {
    Ok(Json(
        app::inspection::plan_live(&st.app, ctx.principal()?, id)
            .await?
            .1,
    ))
}

pub async fn file_finding(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::inspection::FindingInput>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let fid = app::inspection::file_finding(&st.app, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(Created { id: fid })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoomRoster {
    pub server_now_ms: i64,
    pub roster: Vec<RosterEntry>,
    /// Admission numbers locked out of exam-day login after too many wrong ID numbers
    /// (`POST /api/v1/sessions/{id}/unlock` lets them in again).
    pub locked_out: Vec<String>,
}

pub async fn session_roster(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<RoomRoster>, AppError> {
    let room = app::proctoring::room(&st.app, ctx.principal()?, id).await?;
    Ok(Json(RoomRoster {
        server_now_ms: crate::now_ms(),
        roster: room.roster,
        locked_out: room.locked_out,
    }))
}

pub async fn unlock_login(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::proctoring::UnlockInput>,
) -> Result<StatusCode, AppError> {
    app::proctoring::unlock_login(&st.app, ctx.principal()?, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Admitted {
    pub admitted: u64,
}

pub async fn admit_all(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Admitted>, AppError> {
    Ok(Json(Admitted {
        admitted: app::proctoring::admit_all(&st.app, ctx.principal()?, id).await?,
    }))
}

pub async fn attempt_action(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::proctoring::ActionInput>,
) -> Result<Json<Clock>, AppError> {
    Ok(Json(
        app::proctoring::proctor_action(&st.app, ctx.principal()?, id, input).await?,
    ))
}

pub async fn irregularity(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::proctoring::IrregularityInput>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let iid = app::proctoring::irregularity(&st.app, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(Created { id: iid })))
}

// The candidate's side.

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExamSession {
    /// Send as `X-CSRF-Token` with every later change.
    pub csrf_token: String,
}

pub async fn exam_login(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::delivery::ExamLogin>,
) -> Result<Response, AppError> {
    let (token, csrf) = app::delivery::login(&st.app, &input, &ctx.address).await?;
    let cookie = exam_cookie(&token, st.app.config.cookie_secure, 14 * 3600);
    Ok((
        [(header::SET_COOKIE, cookie)],
        axum::Json(ExamSession { csrf_token: csrf }),
    )
        .into_response())
}

pub async fn exam_logout(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = crate::web::cookies::cookie(&headers, EXAM_COOKIE) {
        app::delivery::logout(&st.app, token).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            crate::web::cookies::clear_exam_cookie(st.app.config.cookie_secure),
        )],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

pub async fn exam_state(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Json<app::delivery::ExamState>, AppError> {
    Ok(Json(app::delivery::state(&st.app, ctx.exam()?).await?))
}

pub async fn exam_paper(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Json<app::delivery::paper_view::CandidatePaper>, AppError> {
    Ok(Json(app::delivery::paper(&st.app, ctx.exam()?).await?))
}

/// The clock after the start, from the start's own commit: a burst of thousands of
/// starts reads nothing more (the page then loads the paper and any saved answers).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Started {
    pub status: crate::domain::exam::AttemptStatus,
    pub server_now_ms: i64,
    pub remaining_ms: Option<i64>,
    pub deadline_ms: Option<i64>,
}

pub async fn exam_start(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Json<Started>, AppError> {
    let who = ctx.exam()?;
    let clock = app::delivery::start(&st.app, who).await?;
    let now = crate::now_ms();
    Ok(Json(Started {
        status: clock.status,
        server_now_ms: now,
        remaining_ms: clock.remaining_ms(now),
        deadline_ms: clock.deadline_ms,
    }))
}

pub async fn exam_save(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(req): Json<app::delivery::SaveRequest>,
) -> Result<Json<app::delivery::SaveAck>, AppError> {
    Ok(Json(app::delivery::save(&st.app, ctx.exam()?, req).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Submitted {
    pub submitted_at_ms: i64,
}

pub async fn exam_submit(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Json<Submitted>, AppError> {
    Ok(Json(Submitted {
        submitted_at_ms: app::delivery::submit(&st.app, ctx.exam()?).await?,
    }))
}

/// Marks a question to come back to, or clears the mark.
pub async fn exam_mark(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::delivery::MarkInput>,
) -> Result<axum::http::StatusCode, AppError> {
    app::delivery::mark(&st.app, ctx.exam()?, input).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

// Load-test fixtures.

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct SyntheticInput {
    /// Items in the synthetic bank (occupation 9-99-99-99, clearly labelled).
    pub items: usize,
    /// A body to share the bank with, for its plans.
    pub share_with: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SyntheticBank {
    pub bank_id: i64,
    pub occupation_code: String,
    pub created: u64,
}

/// Creates (or refreshes) the synthetic bank the load generator plans against. The
/// regulator only; the occupation is the synthetic 9-99-99-99, never a real one.
pub async fn synthetic_bank(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<SyntheticInput>,
) -> Result<Json<SyntheticBank>, AppError> {
    let (bank_id, created) =
        app::banks::synthetic::create(&st.app, ctx.principal()?, input.items, input.share_with)
            .await?;
    Ok(Json(SyntheticBank {
        bank_id,
        occupation_code: crate::synth::SYNTHETIC_CODE.into(),
        created,
    }))
}

pub async fn paper_check(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<app::plans::papers::PaperCheck>, AppError> {
    Ok(Json(
        app::plans::papers::check_paper_as(&st.app, ctx.principal()?, id).await?,
    ))
}
