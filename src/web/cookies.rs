//! The cookies the web edge sets and reads: the staff session, the exam-day session,
//! the language, and the sign-in forms' CSRF token. Each is `HttpOnly`, `SameSite`, and
//! `Secure` when the server is behind TLS (`cookie_secure`).

use axum::http::{header, HeaderMap, HeaderValue};

use super::ctx::RequestCtx;

pub const SESSION_COOKIE: &str = "sc_session";
/// A candidate's exam-day session: separate from accounts, so a shared exam-room
/// computer never carries a staff session into an exam or back.
pub const EXAM_COOKIE: &str = "sc_exam";
pub const LANG_COOKIE: &str = "sc_lang";
/// The CSRF token of the two sign-in forms (staff and exam day), set when a form is shown
/// and checked against the form's `_csrf` field (double submit): without it another
/// site could sign a browser into an account of its choosing (login CSRF). The JSON
/// logins need none: a cross-site page cannot send `application/json` without CORS.
pub const LOGIN_CSRF_COOKIE: &str = "sc_login";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn session_cookie(token: &str, secure: bool, max_age_s: i64) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}"
    ))
    .expect("token is hex")
}

pub fn exam_cookie(token: &str, secure: bool, max_age_s: i64) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{EXAM_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    ))
    .expect("token is hex")
}

pub fn clear_exam_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{EXAM_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .expect("static cookie")
}

/// The sign-in forms' CSRF token (the browser's, or a new one) and the cookie that sets
/// it, renewed whenever a form is shown, so a form left open for hours still works.
pub fn login_csrf(ctx: &RequestCtx, secure: bool) -> (String, HeaderValue) {
    let token = ctx
        .login_csrf
        .clone()
        .unwrap_or_else(|| crate::crypto::new_token().0);
    let secure = if secure { "; Secure" } else { "" };
    let cookie = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200{secure}"
    ))
    .expect("token is hex");
    (token, cookie)
}

pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("static cookie")
}
