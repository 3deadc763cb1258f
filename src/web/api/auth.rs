//! Sign-in for API clients: cookie sessions (with a CSRF token for state changes) and
//! bearer tokens.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::app;
use crate::domain::policy::Principal;
use crate::domain::role::Role;
use crate::web::cookies::{clear_session_cookie, session_cookie};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Json};
use crate::web::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `X-CSRF-Token` with every state-changing call made with the cookie.
    pub csrf_token: String,
    pub me: Me,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub grants: Vec<MeGrant>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeGrant {
    pub role: Role,
    pub org_id: i64,
}

impl From<&Principal> for Me {
    fn from(p: &Principal) -> Self {
        Me {
            user_id: p.user_id,
            login: p.login.clone(),
            display_name: p.display_name.clone(),
            must_change_password: p.must_change_password,
            grants: p
                .grants
                .iter()
                .map(|g| MeGrant {
                    role: g.role,
                    org_id: g.org.id,
                })
                .collect(),
        }
    }
}

pub async fn login(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(req): Json<LoginRequest>,
) -> Result<Response, AppError> {
    let s = app::auth::sign_in(
        &st.app,
        &ctx.address,
        ctx.session_hash(),
        &req.login,
        &req.password,
    )
    .await?;
    let cookie = session_cookie(&s.token, st.app.config.cookie_secure, s.max_age_s);
    let body = LoginResponse {
        csrf_token: s.csrf,
        me: Me::from(&s.principal),
    };
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
}

pub async fn logout(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    if let (Some(p), Some(hash)) = (&ctx.principal, ctx.session_hash()) {
        app::auth::sign_out(&st.app, p, &hash).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            clear_session_cookie(st.app.config.cookie_secure),
        )],
        axum::http::StatusCode::NO_CONTENT,
    )
        .into_response())
}

pub async fn me(Ctx(ctx): Ctx) -> Result<Json<Me>, AppError> {
    Ok(Json(Me::from(ctx.principal()?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub name: String,
    /// Validity in days, 1–366 (default 90).
    #[serde(default = "default_days")]
    pub days: i64,
}

fn default_days() -> i64 {
    90
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Shown once; send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at_ms: i64,
}

pub async fn create_token(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(req): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    // A bearer token cannot mint more tokens: only a signed-in browser session can.
    if ctx.via != crate::web::ctx::AuthVia::Cookie {
        return Err(AppError::Forbidden);
    }
    let (token, expires_at_ms) =
        app::auth::issue_api_token(&st.app, ctx.principal()?, &req.name, req.days).await?;
    Ok(Json(TokenResponse {
        token,
        expires_at_ms,
    }))
}

pub async fn change_password(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Json(req): Json<app::users::ChangePassword>,
) -> Result<axum::http::StatusCode, AppError> {
    let keep = ctx.session_hash();
    app::users::change_password(&st.app, ctx.principal()?, keep, req).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
