//! The candidate's exam day: login, the waiting room, the paper, and the receipt after
//! submission. The page works as plain forms; `static/exam.js` adds saving on every
//! change, the durable acknowledgement, the offline queue and the server-timed clock.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{page, see_other};
use crate::app;
use crate::domain::exam::AttemptStatus;
use crate::domain::time::clock_time;
use crate::web::cookies::{clear_exam_cookie, exam_cookie, EXAM_COOKIE};
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form};
use crate::web::AppState;

fn exam_page(
    st: &AppState,
    ctx: &RequestCtx,
    template: &str,
    title: &str,
    data: serde_json::Value,
) -> Result<Response, AppError> {
    let mut d = data;
    if let serde_json::Value::Object(m) = &mut d {
        m.insert(
            "csrf".into(),
            json!(ctx.exam.as_ref().map(|e| e.csrf_token.clone())),
        );
    }
    let mut res = page(st, ctx, template, title, d)?.into_response();
    // Answers must never sit in a shared cache or the back-forward cache of a
    // shared exam-room computer.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub async fn exam_login_form(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Response, AppError> {
    let (login_csrf, set_cookie) =
        crate::web::cookies::login_csrf(&ctx, st.app.config.cookie_secure);
    let res = exam_page(
        &st,
        &ctx,
        "exam_login",
        "exam.login_title",
        json!({"admission_no": "", "login_csrf": login_csrf}),
    )?;
    Ok(super::auth::with_cookie(res, set_cookie))
}

pub async fn exam_login(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<app::delivery::ExamLogin>,
) -> Result<Response, AppError> {
    match app::delivery::login(&st.app, &f, &ctx.address).await {
        Ok((token, _)) => {
            let cookie = exam_cookie(&token, st.app.config.cookie_secure, 14 * 3600);
            Ok(([(header::SET_COOKIE, cookie)], see_other("/exam")).into_response())
        }
        Err(
            e @ (AppError::BadCredentials
            | AppError::Throttled
            | AppError::BadRequest {
                code: "exam_too_early" | "exam_too_late",
                ..
            }),
        ) => {
            let detail = match &e {
                AppError::BadRequest { detail, .. } => detail.as_deref(),
                _ => None,
            };
            let msg = st.i18n.t(ctx.lang, &format!("error.{}", e.code()), detail);
            let data = json!({"admission_no": f.admission_no, "login_csrf": ctx.login_csrf,
                "errors": [{"field": "admission_no", "code": e.code(), "message": msg}]});
            let mut res = exam_page(&st, &ctx, "exam_login", "exam.login_title", data)?;
            *res.status_mut() = e.status();
            Ok(res)
        }
        Err(e) => Err(e),
    }
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
            clear_exam_cookie(st.app.config.cookie_secure),
        )],
        see_other("/exam/login"),
    )
        .into_response())
}

/// The exam page: the waiting room before the start, the paper while it runs (answers
/// as last acknowledged), and the receipt after.
pub async fn exam_home(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let (state, paper) = app::delivery::page(&st.app, ctx.exam()?).await?;
    let status = state.status;
    let running = paper.is_some();
    let saved: std::collections::HashMap<u32, &serde_json::Value> = state
        .answers
        .iter()
        .map(|a| (a.position, &a.answer))
        .collect();
    let items = paper
        .iter()
        .flat_map(|p| p.items.iter())
        .map(|it| {
            let ans = saved.get(&it.position).copied().cloned().unwrap_or(serde_json::Value::Null);
            let answered = !crate::domain::exam::normalise_answer(ans.clone()).is_null();
            let chosen: Vec<u64> = ans.as_array().map(|a| a.iter().filter_map(|v| v.as_u64()).collect()).unwrap_or_default();
            let choice = matches!(it.item_type, crate::domain::item::ItemType::SingleChoice | crate::domain::item::ItemType::MultipleChoice);
            json!({
                "position": it.position, "number": it.position + 1, "type": it.item_type, "points": crate::domain::exam::points_text(it.points), "stem": it.stem,
                "answered": answered, "marked": state.marks.contains(&it.position),
                "single": it.item_type == crate::domain::item::ItemType::SingleChoice,
                "multiple": it.item_type == crate::domain::item::ItemType::MultipleChoice,
                "true_false": it.item_type == crate::domain::item::ItemType::TrueFalse,
                "text": !choice && it.item_type != crate::domain::item::ItemType::TrueFalse,
                "is_true": ans.as_bool() == Some(true), "is_false": ans.as_bool() == Some(false),
                "text_value": ans.as_str().unwrap_or(""),
                "options": it.options.iter().enumerate().map(|(i, o)| json!({"index": i, "label": o.label, "text": o.text, "checked": chosen.contains(&(i as u64))})).collect::<Vec<_>>(),
            })
        })
        .collect::<Vec<_>>();
    let data = json!({
        "status": status,
        "no_paper": state.attempt_id.is_none(),
        "waiting": status == Some(AttemptStatus::Ready),
        "admitted": status == Some(AttemptStatus::Admitted),
        "running": running,
        "paused": status == Some(AttemptStatus::Paused),
        "finished": status.is_some_and(|s| s.is_final()),
        "terminated": status == Some(AttemptStatus::Terminated),
        "answered": items.iter().filter(|i| i["answered"] == true).count(),
        "labels": exam_labels(&st, &ctx),
        "attempt_id": state.attempt_id,
        "remaining_ms": state.remaining_ms,
        "server_now_ms": state.server_now_ms,
        "last_seq": state.last_seq,
        "saved_at": state.last_saved_at_ms.map(clock_time),
        "items": items,
    });
    exam_page(&st, &ctx, "exam", "exam.title", data)
}

/// The words the exam page's script shows, as JSON safe inside a `<script>` element.
fn exam_labels(st: &AppState, ctx: &RequestCtx) -> String {
    let t = |k: &str| st.i18n.t(ctx.lang, k, None);
    json!({
        "saved": t("exam.saved_at"), "unsaved": t("exam.unsaved"), "paused": t("exam.paused"),
        "closed": t("exam.closed"), "confirm": t("exam.confirm_submit"), "confirm_unanswered": t("exam.confirm_unanswered"),
    })
    .to_string()
    .replace('<', "\\u003c")
}

pub async fn exam_start(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    app::delivery::start(&st.app, ctx.exam()?).await?;
    Ok(see_other("/exam").into_response())
}

pub async fn exam_save_form(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    app::delivery::save_form(&st.app, ctx.exam()?, &fields).await?;
    Ok(see_other("/exam").into_response())
}

pub async fn exam_submit(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // Whatever the form carries is saved first, then the attempt is submitted.
    match app::delivery::save_form(&st.app, ctx.exam()?, &fields).await {
        Ok(()) | Err(AppError::Refused { .. }) | Err(AppError::Validation(_)) => {}
        Err(e) => return Err(e),
    }
    app::delivery::submit(&st.app, ctx.exam()?).await?;
    Ok(see_other("/exam").into_response())
}
