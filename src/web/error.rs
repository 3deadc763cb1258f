//! The one error type at the web edge: the application's [`crate::app::Error`], whose
//! variants are what a client can act on; the status code comes from the variant;
//! internal detail is logged once and never sent. Handlers return [`AppError`]; the
//! response carries an [`ErrorPayload`] that the context
//! middleware renders in the caller's language, as the JSON envelope for the API and as
//! a page for browsers, so every error (malformed JSON included) has one shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::validate::FieldError;

/// The application's error, as the web edge answers it.
pub use crate::app::Error as AppError;

impl AppError {
    /// The status code of each variant (defined here: the application layer knows no
    /// HTTP).
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Throttled => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Refused { .. } => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// What the middleware needs to render an error.
#[derive(Debug, Clone)]
pub struct ErrorPayload {
    pub code: &'static str,
    pub fields: Vec<FieldError>,
    pub detail: Option<String>,
}

/// The JSON envelope: `{"error": {"code", "message", "fields": [{"field","code","message"}]}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub fields: Vec<FieldMessage>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldMessage {
    pub field: String,
    pub code: String,
    pub message: String,
    /// The field's name as its form shows it (`考试日期`, `考生名单 第 3 行`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl FieldMessage {
    /// A field error in the reader's language.
    pub fn of(
        i18n: &crate::web::i18n::I18n,
        lang: crate::web::i18n::Lang,
        f: &crate::domain::validate::FieldError,
    ) -> FieldMessage {
        FieldMessage {
            field: f.field.clone(),
            code: f.code.clone(),
            message: i18n.t(lang, &f.code, f.detail.as_deref()),
            label: i18n.field_label(lang, &f.field),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(e) = &self {
            // Logged once, here, inside the request span; the client sees only "internal".
            tracing::error!(error = %format!("{e:#}"), "request failed");
        }
        let payload = ErrorPayload {
            code: self.code(),
            detail: match &self {
                AppError::BadRequest { detail, .. } => detail.clone(),
                _ => None,
            },
            fields: match self {
                AppError::Validation(f) => f,
                AppError::Conflict(f) => vec![f],
                _ => Vec::new(),
            },
        };
        let mut res = status.into_response();
        res.extensions_mut().insert(payload);
        res
    }
}

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        AppError::BadRequest {
            code: "malformed_json",
            detail: Some(r.body_text()),
        }
    }
}

impl From<axum::extract::rejection::FormRejection> for AppError {
    fn from(r: axum::extract::rejection::FormRejection) -> Self {
        AppError::BadRequest {
            code: "malformed_form",
            detail: Some(r.body_text()),
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        AppError::BadRequest {
            code: "malformed_path",
            detail: Some(r.body_text()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest {
            code: "malformed_query",
            detail: Some(r.body_text()),
        }
    }
}

/// `axum::Json` whose rejection is an [`AppError`].
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::Form` whose rejection is an [`AppError`].
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

/// `axum::extract::Path` whose rejection is an [`AppError`].
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` whose rejection is an [`AppError`].
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);
