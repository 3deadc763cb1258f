//! Per-request context: who is calling (session cookie, bearer token, or a candidate's
//! exam-day session), in which language and from which address, and the CSRF checks.
//!
//! Two layers: [`context`], outermost, sets what every request has (language, address)
//! and renders every [`AppError`] on the way out (JSON envelope for the API, a page for
//! browsers); [`gate`], on each route of the table, resolves the caller the way the
//! route's [`Face`] says (staff pages and API, a sign-in form, or the candidate's exam
//! pages), checks CSRF, and enforces the route's policy.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::address::client_address;
use super::cookies::{cookie, EXAM_COOKIE, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use super::error::{AppError, ErrorBody, ErrorEnvelope, ErrorPayload, FieldMessage};
use super::i18n::Lang;
use super::origin::same_site;
use super::routes::Face;
use super::AppState;
use crate::crypto::{constant_time_eq, token_hash};
use crate::domain::policy::{Admission, Principal, RoutePolicy};
use crate::store::delivery::ExamIdentity;

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";
/// Form bodies are buffered for their `_csrf` field only up to this size; larger posts
/// (an import's confirmation carries the file) send the token in the query string or the
/// header, so nobody can make the server hold a large body before the token is checked.
const MAX_FORM_BYTES: usize = 2 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Anonymous,
    Cookie,
    Bearer,
}

/// What [`context`] knows of every request, before routing.
#[derive(Debug, Clone)]
struct Base {
    lang: Lang,
    address: String,
    is_api: bool,
}

#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub principal: Option<Principal>,
    /// The session cookie's token hash and CSRF token (cookie sessions only).
    pub session: Option<(String, String)>,
    pub via: AuthVia,
    /// The candidate of an exam-day session, on the candidate's routes.
    pub exam: Option<ExamIdentity>,
    /// The sign-in forms' CSRF token from its cookie, if the browser has one.
    pub login_csrf: Option<String>,
    pub lang: Lang,
    pub address: String,
    pub is_api: bool,
    /// The page the reader is on, for the language switch to come back to: this
    /// request's path for a GET, otherwise the form's page (the same-site `Referer`).
    pub page_path: String,
}

impl RequestCtx {
    pub fn principal(&self) -> Result<&Principal, AppError> {
        self.principal.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// The cookie session's token hash (cookie sessions only).
    pub fn session_hash(&self) -> Option<String> {
        self.session.as_ref().map(|(h, _)| h.clone())
    }

    pub fn csrf(&self) -> Option<&str> {
        self.session.as_ref().map(|(_, c)| c.as_str())
    }

    /// The exam-day session, or 401.
    pub fn exam(&self) -> Result<&ExamIdentity, AppError> {
        self.exam.as_ref().ok_or(AppError::Unauthenticated)
    }
}

/// Extractor for the request context set by [`gate`].
pub struct Ctx(pub RequestCtx);

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestCtx>()
            .cloned()
            .map(Ctx)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request context missing")))
    }
}

fn request_lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::from_code)
        .unwrap_or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_accept_language)
                .unwrap_or(Lang::Zh)
        })
}

type Caller = (Option<Principal>, Option<(String, String)>, AuthVia);

/// The account behind a bearer token or a session cookie.
async fn resolve(st: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    let now = crate::now_ms();
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let Some(token) = auth.strip_prefix("Bearer ") else {
            return Err(AppError::Unauthenticated);
        };
        let hash = token_hash(token.trim());
        return match crate::app::auth::by_api_token(&st.app, &hash, now).await? {
            Some(p) => Ok((Some(p), None, AuthVia::Bearer)),
            None => Err(AppError::Unauthenticated),
        };
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        let hash = token_hash(token);
        if let Some((p, csrf)) = crate::app::auth::by_session(&st.app, &hash, now).await? {
            return Ok((Some(p), Some((hash, csrf)), AuthVia::Cookie));
        }
    }
    Ok((None, None, AuthVia::Anonymous))
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks the CSRF token of a state change: the `X-CSRF-Token` header, the `_csrf`
/// query parameter, or the `_csrf` field of a URL-encoded form (the body is buffered,
/// bounded, and handed on unchanged).
async fn check_csrf(req: Request, expected: &str) -> Result<Request, AppError> {
    let matches = |v: &str| constant_time_eq(v.as_bytes(), expected.as_bytes());
    let header_ok = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(matches);
    let query_ok = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded_field(q.as_bytes(), CSRF_FIELD))
        .is_some_and(|v| matches(&v));
    if header_ok || query_ok {
        return Ok(req);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| AppError::BadRequest {
            code: "body_too_large",
            detail: None,
        })?;
    if !form_urlencoded_field(&bytes, CSRF_FIELD).is_some_and(|v| matches(&v)) {
        return Err(AppError::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The outermost middleware: language and address in, errors rendered out.
pub async fn context(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let is_api = path.starts_with("/api/");
    let lang = request_lang(req.headers());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let address = client_address(peer, req.headers(), &st.app.config.trusted_proxies);
    let wants_html = !is_api
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|a| a.contains("text/html") || a.contains("*/*"));
    req.extensions_mut().insert(Base {
        lang,
        address,
        is_api,
    });
    let res = next.run(req).await;
    render_error(&st, res, lang, wants_html, &path)
}

/// What each route's gate knows: the state, and the route's policy and face.
#[derive(Clone)]
pub struct Gate {
    pub state: AppState,
    pub policy: RoutePolicy,
    /// Reachable by an account that must first replace its one-time password.
    pub during_password_change: bool,
    pub face: Face,
}

/// The per-route gate: the caller resolved as the route's face says, CSRF checked,
/// the route's policy enforced (and the rule that an account with a one-time password
/// may do nothing but change it). The face rides on the response for [`render_error`].
pub async fn gate(State(g): State<Gate>, req: Request, next: Next) -> Response {
    let face = g.face;
    let mut res = match admit(&g, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    };
    res.extensions_mut().insert(face);
    res
}

async fn admit(g: &Gate, mut req: Request) -> Result<Request, AppError> {
    let st = &g.state;
    let base = req
        .extensions()
        .get::<Base>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request base missing")))?;
    let unsafe_method = is_unsafe(req.method());
    let (principal, session, via) = resolve(st, req.headers()).await?;
    // Defence in depth beside the tokens: a browser says where a request comes from, and
    // a state change made with cookies from another site's page is refused outright.
    // Bearer calls carry no cookie, and public routes (verification) may be called from
    // other sites' pages on purpose.
    if unsafe_method
        && via != AuthVia::Bearer
        && (g.policy != RoutePolicy::Public || g.face != Face::Staff)
        && !same_site(
            req.headers(),
            req.uri().authority().map(|a| a.as_str()),
            st.app.config.public_url.as_deref(),
        )
    {
        return Err(AppError::Csrf);
    }
    // The candidate's pages and API answer to the exam session only: a staff session
    // left open on an exam-room computer neither grants nor blocks anything there (its
    // CSRF token is not asked for; the exam session's is).
    if via == AuthVia::Cookie && unsafe_method && !g.face.is_exam() {
        let expected = session.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
        req = check_csrf(req, &expected).await?;
    }
    // Looked up on the candidate's routes only: the exam cookie also rides along with
    // the page's scripts and styles, which need no database read. An answer save takes
    // it from the process's cache, and the writer checks the session is still live when
    // it commits the save (see `ExamSessionCache`).
    let exam = match cookie(req.headers(), EXAM_COOKIE).filter(|_| g.face.is_exam()) {
        Some(token) => {
            let for_save = g.face == Face::ExamSave;
            let now = crate::now_ms();
            let sessions = &st.app.delivery.sessions;
            let hash = token_hash(token);
            sessions
                .identity(st.app.store.as_ref(), &hash, now, for_save)
                .await?
        }
        None => None,
    };
    // The sign-in forms carry the token of their own cookie (a signed-in staff member's
    // post to the staff form carries the session's, checked above).
    let login_csrf = cookie(req.headers(), LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string);
    let form_sign_in = match g.face {
        Face::SignIn => via != AuthVia::Cookie,
        Face::ExamSignIn => true,
        _ => false,
    };
    if unsafe_method && form_sign_in {
        let Some(expected) = &login_csrf else {
            return Err(AppError::Csrf);
        };
        req = check_csrf(req, expected).await?;
    }
    // An exam-day login replaces whatever session the browser had, so it needs no
    // exam-session token; every other change made with the exam cookie carries its
    // CSRF token.
    if let Some(e) = &exam {
        if unsafe_method && !g.face.is_exam_sign_in() {
            req = check_csrf(req, &e.csrf_token).await?;
        }
    }
    enforce(g, principal.as_ref(), exam.is_some())?;
    let page_path = page_path(&req);
    req.extensions_mut().insert(RequestCtx {
        principal,
        session,
        via,
        exam,
        login_csrf,
        lang: base.lang,
        address: base.address,
        is_api: base.is_api,
        page_path,
    });
    Ok(req)
}

/// See [`RequestCtx::page_path`]; `/` when neither is known.
fn page_path(req: &Request) -> String {
    if req.method() == Method::GET {
        return req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    req.headers()
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .filter(|u| u.authority().map(|a| a.as_str()) == host)
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_string()))
        .unwrap_or_else(|| "/".into())
}

/// The route's declared policy, and the rule that an account with a one-time password
/// may do nothing but change it.
fn enforce(g: &Gate, principal: Option<&Principal>, examinee: bool) -> Result<(), AppError> {
    if g.policy == RoutePolicy::Examinee {
        return if examinee {
            Ok(())
        } else {
            Err(AppError::Unauthenticated)
        };
    }
    match g.policy.admits(principal) {
        Admission::Unauthenticated => return Err(AppError::Unauthenticated),
        Admission::Forbidden => return Err(AppError::Forbidden),
        Admission::Admitted => {}
    }
    if g.policy != RoutePolicy::Public
        && !g.during_password_change
        && principal.is_some_and(|p| p.must_change_password)
    {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(())
}

fn render_error(st: &AppState, res: Response, lang: Lang, html: bool, path: &str) -> Response {
    // Errors that axum answers itself (a wrong method, a body over the limit) get the
    // same envelope as ours.
    let bare = |code| ErrorPayload {
        code,
        fields: Vec::new(),
        detail: None,
    };
    let payload = match res.extensions().get::<ErrorPayload>().cloned() {
        Some(p) => p,
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED => bare("method_not_allowed"),
        None if res.status() == StatusCode::PAYLOAD_TOO_LARGE => bare("body_too_large"),
        None => return res,
    };
    let allow = res.headers().get(header::ALLOW).cloned();
    let face = res.extensions().get::<Face>().copied().unwrap_or_default();
    let status = res.status();
    let i18n = &st.i18n;
    // A sign-in form that lost its token (left open past its cookie, or sent from
    // another site): shown again, with a fresh token.
    if html && payload.code == "csrf" && face.is_sign_in_form() {
        return Redirect::to(path).into_response();
    }
    if html && payload.code == "unauthenticated" && face.is_exam() {
        return Redirect::to("/exam/login").into_response();
    }
    if html && payload.code == "unauthenticated" {
        let next = percent_encode(path);
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    if html && payload.code == "password_change_required" {
        return Redirect::to("/account/password").into_response();
    }
    let envelope = ErrorEnvelope {
        error: ErrorBody {
            code: payload.code.to_string(),
            message: i18n.t(lang, &format!("error.{}", payload.code), None),
            detail: payload.detail.clone(),
            fields: payload
                .fields
                .iter()
                .map(|f| FieldMessage::of(i18n, lang, f))
                .collect(),
        },
    };
    if html {
        let data = serde_json::json!({
            "lang": lang.code(), "title": "error.title", "user": null, "nav": null, "csrf": null,
            "status": status.as_u16(), "error": envelope.error, "here": "",
        });
        match st.templates.render("error", &data) {
            Ok(body) => return with_allow((status, axum::response::Html(body)), allow),
            Err(e) => tracing::error!(error = %e, "error page failed to render"),
        }
    }
    with_allow((status, axum::Json(envelope)), allow)
}

fn with_allow(res: impl IntoResponse, allow: Option<axum::http::HeaderValue>) -> Response {
    let mut res = res.into_response();
    if let Some(a) = allow {
        res.headers_mut().insert(header::ALLOW, a);
    }
    res
}

/// A path for a `next=` parameter.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
