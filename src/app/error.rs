//! The one error of the application layer: what a caller can act on (not signed in,
//! not allowed, not found, invalid fields, conflict, throttled, refused by the exam's
//! state) plus one internal variant. No HTTP here: the web edge maps each variant to a
//! status code and renders it (`web::error`); the CLI prints it.

use crate::domain::validate::FieldError;
use crate::store::StoreError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("sign in first")]
    Unauthenticated,
    #[error("wrong login name or password")]
    BadCredentials,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("conflict")]
    Conflict(FieldError),
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("too many attempts")]
    Throttled,
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("bad request: {code}")]
    BadRequest {
        code: &'static str,
        detail: Option<String>,
    },
    /// The exam's state refuses the request (paused, closed, past the deadline), with
    /// the reason as the error code.
    #[error("refused: {code}")]
    Refused { code: &'static str },
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn field(field: &str, code: &str) -> Error {
        Error::Validation(vec![FieldError::new(field, code)])
    }

    /// One field error with a detail for its message (a limit, a line, a name).
    pub fn field_detail(field: &str, code: &str, detail: impl Into<String>) -> Error {
        Error::Validation(vec![FieldError::new(field, code).with_detail(detail)])
    }

    /// The stable code clients switch on; also the message key under `error.`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "unauthenticated",
            Error::BadCredentials => "bad_credentials",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::Validation(_) => "validation",
            Error::Conflict(_) => "conflict",
            Error::Csrf => "csrf",
            Error::Throttled => "throttled",
            Error::PasswordChangeRequired => "password_change_required",
            Error::BadRequest { code, .. } => code,
            Error::Refused { code } => code,
            Error::Internal(_) => "internal",
        }
    }

    /// The field errors of a validation or conflict error (empty for the others).
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::Validation(f) => f,
            Error::Conflict(f) => std::slice::from_ref(f),
            _ => &[],
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound,
            StoreError::Conflict { field, code } => Error::Conflict(FieldError::new(field, code)),
            StoreError::Invalid { field, code } => Error::field(field, code),
            StoreError::Refused {
                field,
                code,
                detail,
            } => Error::field_detail(field, code, detail),
            e => Error::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<crate::crypto::CryptoError> for Error {
    fn from(e: crate::crypto::CryptoError) -> Self {
        Error::Internal(anyhow::Error::new(e))
    }
}
