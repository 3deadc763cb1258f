//! Per-request context: who is calling (session cookie or bearer token), in which
//! language, and the CSRF check for cookie-authenticated state changes. Runs once for
//! every request as the outermost middleware, and renders every [`AppError`] on the way
//! out (JSON envelope for the API, a page for browsers).

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::{AppError, ErrorBody, ErrorEnvelope, ErrorPayload, FieldMessage};
use super::i18n::Lang;
use super::AppState;
use crate::crypto::{constant_time_eq, token_hash};
use crate::domain::policy::{Admission, Principal, RoutePolicy};

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

#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub principal: Option<Principal>,
    /// The session cookie's token hash and CSRF token (cookie sessions only).
    pub session: Option<(String, String)>,
    pub via: AuthVia,
    /// The candidate of an exam-day session, if the request carries one.
    pub exam: Option<crate::store::delivery::ExamIdentity>,
    /// The sign-in forms' CSRF token from its cookie, if the browser has one.
    pub login_csrf: Option<String>,
    pub lang: Lang,
    pub address: String,
    pub is_api: bool,
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
    pub fn exam(&self) -> Result<&crate::store::delivery::ExamIdentity, AppError> {
        self.exam.as_ref().ok_or(AppError::Unauthenticated)
    }
}

/// Extractor for the request context set by [`context`].
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

async fn resolve(
    st: &AppState,
    headers: &HeaderMap,
) -> Result<(Option<Principal>, Option<(String, String)>, AuthVia), AppError> {
    let now = crate::now_ms();
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let Some(token) = auth.strip_prefix("Bearer ") else {
            return Err(AppError::Unauthenticated);
        };
        let Some(user_id) = st
            .app
            .store
            .api_token_user(&token_hash(token.trim()), now)
            .await?
        else {
            return Err(AppError::Unauthenticated);
        };
        let principal = st.app.store.principal(user_id).await?;
        return Ok((
            principal.clone(),
            None,
            if principal.is_some() {
                AuthVia::Bearer
            } else {
                AuthVia::Anonymous
            },
        ));
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        let hash = token_hash(token);
        let idle_ms = st.app.config.sessions.idle_minutes * 60_000;
        if let Some(rec) = st.app.store.session(&hash, now, idle_ms).await? {
            if let Some(p) = st.app.store.principal(rec.user_id).await? {
                return Ok((Some(p), Some((hash, rec.csrf_token)), AuthVia::Cookie));
            }
        }
    }
    Ok((None, None, AuthVia::Anonymous))
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks the CSRF token of a cookie-authenticated state change: the `X-CSRF-Token`
/// header, or the `_csrf` field of a URL-encoded form (the body is buffered, bounded,
/// and handed on unchanged).
async fn check_csrf(req: Request, expected: &str) -> Result<Request, AppError> {
    let header_ok = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()));
    if header_ok {
        return Ok(req);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let query_ok = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded_field(q.as_bytes(), CSRF_FIELD))
        .is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()));
    if query_ok {
        return Ok(req);
    }
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
    let found = form_urlencoded_field(&bytes, CSRF_FIELD);
    if !found.is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes())) {
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

/// The caller's address: the peer's, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not one of the trusted proxies (each proxy
/// appends the address it saw, so addresses to the left of it may be the client's own
/// inventions).
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    let Some(peer) = peer.map(|a| a.to_canonical()) else {
        return "unknown".into();
    };
    // On a dual-stack listener an IPv4 peer arrives as `::ffff:a.b.c.d`.
    let is_trusted = |a: &std::net::IpAddr| trusted.iter().any(|t| t.to_canonical() == *a);
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        // Some proxies write the port too (`1.2.3.4:5678`, `[::1]:80`).
        let parsed = hop
            .parse::<std::net::IpAddr>()
            .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
            .map(|a| a.to_canonical());
        match parsed {
            Ok(a) if is_trusted(&a) => continue,
            Ok(a) => return a.to_string(),
            // Unreadable: nothing to its left can be trusted either.
            Err(_) => break,
        }
    }
    peer.to_string()
}

/// The outermost middleware: context in, errors rendered out.
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
    let outcome = async {
        let (principal, session, via) = resolve(&st, req.headers()).await?;
        // The candidate's pages and API answer to the exam session only: a staff
        // session left open on an exam-room computer neither grants nor blocks anything
        // there (its CSRF token is not asked for; the exam session's is).
        let exam_path =
            path == "/exam" || path.starts_with("/exam/") || path.starts_with("/api/v1/exam/");
        if via == AuthVia::Cookie && is_unsafe(req.method()) && !exam_path {
            let expected = session.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
            req = check_csrf(req, &expected).await?;
        }
        // Looked up on the candidate's paths only: the exam cookie also rides along with
        // the page's scripts and styles, which need no database read. An answer save
        // takes it from the process's cache, and the writer checks the session is still
        // live when it commits the save (see `ExamSessionCache`).
        let exam = match cookie(req.headers(), EXAM_COOKIE).filter(|_| exam_path) {
            Some(token) => {
                let for_save = path == "/api/v1/exam/answers" && req.method() == Method::POST;
                st.app
                    .delivery
                    .sessions
                    .identity(
                        st.app.store.as_ref(),
                        &token_hash(token),
                        crate::now_ms(),
                        for_save,
                    )
                    .await?
            }
            None => None,
        };
        // The sign-in forms carry the token of their own cookie (a signed-in staff
        // member's form post to /login carries the session's, checked above).
        let login_csrf = cookie(req.headers(), LOGIN_CSRF_COOKIE)
            .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_string);
        let form_login = req.method() == Method::POST
            && (path == "/exam/login" || (path == "/login" && via != AuthVia::Cookie));
        if form_login {
            let Some(expected) = &login_csrf else {
                return Err(AppError::Csrf);
            };
            req = check_csrf(req, expected).await?;
        }
        // An exam-day login replaces whatever session the browser had, so it needs no
        // exam-session token; every other change made with the exam cookie carries its
        // CSRF token.
        let exam_login = path == "/exam/login" || path == "/api/v1/exam/login";
        if let Some(e) = &exam {
            if is_unsafe(req.method()) && !exam_login {
                req = check_csrf(req, &e.csrf_token).await?;
            }
        }
        req.extensions_mut().insert(RequestCtx {
            principal,
            session,
            via,
            exam,
            login_csrf,
            lang,
            address,
            is_api,
        });
        Ok::<_, AppError>(req)
    }
    .await;
    let res = match outcome {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    };
    render_error(&st, res, lang, wants_html, &path)
}

fn render_error(st: &AppState, res: Response, lang: Lang, html: bool, path: &str) -> Response {
    let Some(payload) = res.extensions().get::<ErrorPayload>().cloned() else {
        return res;
    };
    let status = res.status();
    let i18n = &st.i18n;
    // A sign-in form that lost its token (left open past its cookie, or sent from
    // another site): shown again, with a fresh token.
    if html && payload.code == "csrf" && (path == "/login" || path == "/exam/login") {
        return Redirect::to(path).into_response();
    }
    if html && payload.code == "unauthenticated" && path.starts_with("/exam") {
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
                .map(|f| FieldMessage {
                    field: f.field.clone(),
                    code: f.code.clone(),
                    message: i18n.t(lang, &f.code, f.detail.as_deref()),
                })
                .collect(),
        },
    };
    if html {
        let data = serde_json::json!({
            "lang": lang.code(), "title": "error.title", "user": null, "nav": null, "csrf": null,
            "status": status.as_u16(), "error": envelope.error,
        });
        match st.templates.render("error", &data) {
            Ok(body) => return (status, axum::response::Html(body)).into_response(),
            Err(e) => tracing::error!(error = %e, "error page failed to render"),
        }
    }
    (status, axum::Json(envelope)).into_response()
}

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

/// The per-route gate: the route's declared policy, and the rule that an account with
/// a one-time password may do nothing but change it.
pub async fn enforce(
    State((policy, during_password_change)): State<(RoutePolicy, bool)>,
    req: Request,
    next: Next,
) -> Response {
    let ctx = req.extensions().get::<RequestCtx>();
    if policy == RoutePolicy::Examinee {
        if ctx.is_some_and(|c| c.exam.is_some()) {
            return next.run(req).await;
        }
        return AppError::Unauthenticated.into_response();
    }
    let principal = ctx.and_then(|c| c.principal.as_ref());
    match policy.admits(principal) {
        Admission::Unauthenticated => return AppError::Unauthenticated.into_response(),
        Admission::Forbidden => return AppError::Forbidden.into_response(),
        Admission::Admitted => {}
    }
    if policy != RoutePolicy::Public
        && !during_password_change
        && principal.is_some_and(|p| p.must_change_password)
    {
        return AppError::PasswordChangeRequired.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.1");
        let trusted = [proxy, ip("10.0.0.2")];
        // Not behind a trusted proxy: the header is the client's invention.
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), &forwarded("1.2.3.4"), &trusted),
            "203.0.113.9"
        );
        // Behind one: the address the proxy saw, not what the client put before it.
        assert_eq!(
            client_address(Some(proxy), &forwarded("1.2.3.4, 198.51.100.7"), &trusted),
            "198.51.100.7"
        );
        // Two proxies in a row are skipped.
        assert_eq!(
            client_address(Some(proxy), &forwarded("198.51.100.7, 10.0.0.2"), &trusted),
            "198.51.100.7"
        );
        // No usable header: the proxy itself.
        assert_eq!(
            client_address(Some(proxy), &HeaderMap::new(), &trusted),
            "10.0.0.1"
        );
        assert_eq!(
            client_address(Some(proxy), &forwarded("garbage"), &trusted),
            "10.0.0.1"
        );
        assert_eq!(
            client_address(
                Some(proxy),
                &forwarded("1.2.3.4, garbage, 10.0.0.2"),
                &trusted
            ),
            "10.0.0.1",
            "nothing left of an unreadable hop counts"
        );
        assert_eq!(client_address(None, &HeaderMap::new(), &trusted), "unknown");
        // An IPv4 proxy seen through a dual-stack socket, hops with ports.
        assert_eq!(
            client_address(
                Some(ip("::ffff:10.0.0.1")),
                &forwarded("198.51.100.7:5678, [::ffff:10.0.0.2]:80"),
                &trusted
            ),
            "198.51.100.7"
        );
    }
}
