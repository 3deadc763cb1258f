//! Sign-in, sign-out, password change and language pages.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{form_errors, page, see_other};
use crate::app;
use crate::web::cookies::{clear_session_cookie, login_csrf, session_cookie, LANG_COOKIE};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Form, Path, Query};
use crate::web::i18n::Lang;
use crate::web::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextParam {
    pub next: Option<String>,
}

/// Only local paths: a login link must not bounce the user to another site. A path is
/// local when it starts with one `/` followed by something that is not another slash,
/// a backslash or white space (browsers read `/\t/evil.example` and `/\\evil.example`
/// as another host), and holds no control characters at all (which would also make the
/// `Location` header invalid).
pub fn safe_next(next: Option<&str>) -> String {
    let local = |n: &str| {
        let mut chars = n.chars();
        chars.next() == Some('/')
            && chars
                .next()
                .is_none_or(|c| c != '/' && c != '\\' && !c.is_whitespace())
            && !n.chars().any(|c| c.is_control() || c == '\\')
            && n.len() <= 2048
    };
    match next {
        Some(n) if local(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

pub async fn login_form(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Query(q): Query<NextParam>,
) -> Result<Response, AppError> {
    let next = safe_next(q.next.as_deref());
    let (login_csrf, set_cookie) = login_csrf(&ctx, st.app.config.cookie_secure);
    let body = page(
        &st,
        &ctx,
        "login",
        "login.title",
        json!({"next": next, "login": "", "message": null, "login_csrf": login_csrf}),
    )?;
    Ok(with_cookie(body.into_response(), set_cookie))
}

/// Adds the sign-in form's CSRF cookie.
pub fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    pub login: String,
    pub password: String,
    pub next: Option<String>,
}

pub async fn login(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(f.next.as_deref());
    match app::auth::sign_in(
        &st.app,
        &ctx.address,
        ctx.session_hash(),
        &f.login,
        &f.password,
    )
    .await
    {
        Ok(s) => {
            let to = if s.principal.must_change_password {
                "/account/password".to_string()
            } else {
                next
            };
            let cookie = session_cookie(&s.token, st.app.config.cookie_secure, s.max_age_s);
            Ok(([(header::SET_COOKIE, cookie)], see_other(&to)).into_response())
        }
        Err(e @ (AppError::BadCredentials | AppError::Throttled)) => {
            let status = e.status();
            let message = st.i18n.t(ctx.lang, &format!("error.{}", e.code()), None);
            let body = page(
                &st,
                &ctx,
                "login",
                "login.title",
                json!({"next": next, "login": f.login, "message": message, "login_csrf": ctx.login_csrf}),
            )?;
            Ok((status, body).into_response())
        }
        Err(e) => Err(e),
    }
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
        see_other("/login"),
    )
        .into_response())
}

pub async fn password_form(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Response, AppError> {
    let must = ctx.principal()?.must_change_password;
    Ok(page(
        &st,
        &ctx,
        "password",
        "password.title",
        json!({"must_change": must, "done": false}),
    )?
    .into_response())
}

pub async fn change_password(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<app::users::ChangePassword>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let keep = ctx.session_hash();
    match app::users::change_password(&st.app, p, keep, f).await {
        Ok(()) => Ok(see_other("/").into_response()),
        Err(e) => match form_errors(&st, &ctx, &e) {
            Some(errors) => {
                let data =
                    json!({"must_change": p.must_change_password, "done": false, "errors": errors});
                Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    page(&st, &ctx, "password", "password.title", data)?,
                )
                    .into_response())
            }
            None => Err(e),
        },
    }
}

pub async fn set_lang(
    Path(code): Path<String>,
    Query(q): Query<NextParam>,
) -> Result<Response, AppError> {
    let lang = Lang::from_code(&code).ok_or(AppError::NotFound)?;
    let cookie = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    ))
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [(header::SET_COOKIE, cookie)],
        see_other(&safe_next(q.next.as_deref())),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(super::safe_next(Some("/orgs")), "/orgs");
        assert_eq!(super::safe_next(Some("//evil.example")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example")), "/");
        assert_eq!(super::safe_next(None), "/");
        // Tabs, newlines and backslashes right after the slash make another host.
        for evil in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/ /evil",
            "/a\u{7f}b",
            "/a\rb",
        ] {
            assert_eq!(super::safe_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(super::safe_next(Some("/plans?x=1")), "/plans?x=1");
        assert_eq!(super::safe_next(Some("/")), "/");
    }
}
