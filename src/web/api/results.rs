//! Results, certificates and public verification over the API. Thin: every handler
//! calls one use case of [`crate::app`].

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::app;
use crate::app::certificates::{PublicCertificate, StatusInput};
use crate::app::grading::{MyResult, PlanResults};
use crate::store::certificates::{Certificate, IssuanceRequest};
use crate::store::grading::Publication;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json, Path};
use crate::web::AppState;

pub async fn plan_results(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<PlanResults>, AppError> {
    Ok(Json(
        app::grading::plan_results(&st.app, ctx.principal()?, id).await?,
    ))
}

pub async fn publish(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Publication>, AppError> {
    Ok(Json(
        app::grading::publish(&st.app, ctx.principal()?, id).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MyResults {
    pub results: Vec<MyResult>,
}

pub async fn my_results(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Json<MyResults>, AppError> {
    Ok(Json(MyResults {
        results: app::grading::my_results(&st.app, ctx.principal()?).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Certificates {
    pub certificates: Vec<Certificate>,
}

pub async fn my_certificates(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Json<Certificates>, AppError> {
    Ok(Json(Certificates {
        certificates: app::certificates::my_certificates(&st.app, ctx.principal()?).await?,
    }))
}

pub async fn plan_certificates(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Certificates>, AppError> {
    Ok(Json(Certificates {
        certificates: app::certificates::plan_certificates(&st.app, ctx.principal()?, id).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Requests {
    pub requests: Vec<IssuanceRequest>,
}

pub async fn requests(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Requests>, AppError> {
    Ok(Json(Requests {
        requests: app::certificates::requests(&st.app, ctx.principal()?, id).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RequestCreated {
    pub id: i64,
}

pub async fn request_issuance(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::certificates::request(&st.app, ctx.principal()?, id).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// `true` approves and issues; `false` rejects.
    pub approve: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Issued {
    /// The numbers issued, in order.
    pub numbers: Vec<String>,
}

pub async fn decide(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(d): Json<Decision>,
) -> Result<Json<Issued>, AppError> {
    Ok(Json(Issued {
        numbers: app::certificates::decide(&st.app, ctx.principal()?, id, d.approve).await?,
    }))
}

pub async fn certificate(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Certificate>, AppError> {
    Ok(Json(
        app::certificates::certificate(&st.app, ctx.principal()?, id).await?,
    ))
}

pub async fn set_status(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<StatusInput>,
) -> Result<Json<Certificate>, AppError> {
    Ok(Json(
        app::certificates::set_status(&st.app, ctx.principal()?, id, input).await?,
    ))
}

/// Public verification: 404 when there is no such certificate, 429 over the limit.
pub async fn verify(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(number): Path<String>,
) -> Result<Json<PublicCertificate>, AppError> {
    let addr = ctx
        .address
        .parse()
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    match app::certificates::verify_limited(&st.app, addr, &number).await? {
        Some(c) => Ok(Json(c)),
        None => Err(AppError::NotFound),
    }
}

pub async fn file_review(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(plan_id): Path<i64>,
    Json(input): Json<app::reviews::FileInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::reviews::file(&st.app, ctx.principal()?, plan_id, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reviews {
    pub reviews: Vec<crate::store::reviews::Review>,
}

pub async fn plan_reviews(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Reviews>, AppError> {
    Ok(Json(Reviews {
        reviews: app::reviews::plan_reviews(&st.app, ctx.principal()?, id).await?,
    }))
}

pub async fn decide_review(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Json(input): Json<app::reviews::DecideInput>,
) -> Result<StatusCode, AppError> {
    app::reviews::decide(&st.app, ctx.principal()?, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn open_official(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(plan_id): Path<i64>,
    Json(input): Json<app::reviews::OfficialInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::reviews::open_official(&st.app, ctx.principal()?, plan_id, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

pub async fn subsidy_check(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(number): Path<String>,
) -> Result<Json<app::subsidies::SubsidyCheck>, AppError> {
    Ok(Json(
        app::subsidies::check(&st.app, ctx.principal()?, &number).await?,
    ))
}

pub async fn subsidy_grant(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::subsidies::GrantInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::subsidies::grant(&st.app, ctx.principal()?, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ledger {
    pub subsidies: Vec<crate::store::subsidies::GrantRow>,
}

pub async fn subsidy_ledger(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Json<Ledger>, AppError> {
    Ok(Json(Ledger {
        subsidies: app::subsidies::ledger(&st.app, ctx.principal()?).await?,
    }))
}

/// A certificate as a signed credential (JSON), for its holder, its body and the
/// regulator.
pub async fn credential(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let doc = app::credentials::download(&st.app, ctx.principal()?, id).await?;
    let name = doc["certificateNumber"]
        .as_str()
        .unwrap_or("certificate")
        .to_string();
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vc+json".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.json\""),
            ),
        ],
        serde_json::to_string_pretty(&doc).unwrap_or_default(),
    )
        .into_response())
}

/// The signed revocation status list. Public.
pub async fn status_list(
    State(st): State<AppState>,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    Ok(axum::Json(app::credentials::status_list(&st.app).await?))
}

/// Checks a presented credential: signature, issuer, status now. Public.
pub async fn check_credential(
    State(st): State<AppState>,
    Json(doc): Json<serde_json::Value>,
) -> Result<Json<app::credentials::CredentialCheck>, AppError> {
    Ok(Json(app::credentials::check(&st.app, &doc).await?))
}

pub async fn training(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(input): Json<app::training::TrainingInput>,
) -> Result<(StatusCode, Json<RequestCreated>), AppError> {
    let id = app::training::record(&st.app, ctx.principal()?, input).await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}
