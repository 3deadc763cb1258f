//! The proctor's pages: their rooms and the live console of one.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{page, see_other};
use crate::app;
use crate::domain::exam::{AttemptStatus, ProctorAction};
use crate::domain::time::{clock_time, local_time};
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path, Query};
use crate::web::AppState;

pub async fn proctor_home(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let sessions = app::proctoring::my_sessions(&st.app, ctx.principal()?).await?;
    let data = json!({
        "sessions": sessions.iter().map(|(plan, s)| json!({"id": s.id, "plan": plan.name, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates})).collect::<Vec<_>>(),
    });
    Ok(page(&st, &ctx, "proctor", "proctor.title", data)?.into_response())
}

/// What the console reports after a plain-form action, carried in the redirect's query
/// as codes (never text): `done=<attempt>:<action>`, `failed=<attempt>:<message key>`,
/// `admitted=<n>`, `unlocked=<admission number>`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConsoleNotice {
    done: Option<String>,
    failed: Option<String>,
    admitted: Option<u64>,
    unlocked: Option<String>,
}

/// The words the console's script needs: statuses and what each action did.
fn console_words(st: &AppState, ctx: &RequestCtx) -> serde_json::Value {
    let t = |k: &str| st.i18n.t(ctx.lang, k, None);
    let done = |k: &str| {
        st.i18n
            .t(ctx.lang, "proctor.done", Some(&t(&format!("proctor.{k}"))))
    };
    let status: std::collections::BTreeMap<_, _> = AttemptStatus::ALL
        .map(|s| (s.code(), t(&format!("attempt_status.{}", s.code()))))
        .into_iter()
        .collect();
    let done: std::collections::BTreeMap<_, _> = ProctorAction::ALL
        .map(|a| (a.code(), done(a.code())))
        .into_iter()
        .collect();
    json!({
        "status": status, "done": done,
        "recorded": t("proctor.recorded"), "unlocked": t("proctor.unlocked"), "failed": t("error.title"),
    })
}

pub async fn console(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Query(n): Query<ConsoleNotice>,
) -> Result<Response, AppError> {
    let room = app::proctoring::room(&st.app, ctx.principal()?, id).await?;
    let (plan, session, roster) = (&room.plan, &room.session, &room.roster);
    let t = |k: &str, d: Option<&str>| st.i18n.t(ctx.lang, k, d);
    // A row's message: what the action did, or why it was refused.
    let row_message = |attempt: Option<i64>| -> (String, &'static str) {
        let at = |q: &Option<String>| {
            q.as_deref()
                .and_then(|q| q.split_once(':'))
                .filter(|(a, _)| attempt.is_some_and(|x| a.parse() == Ok(x)))
                .map(|(_, rest)| rest.to_string())
        };
        if let Some(action) = at(&n.done) {
            let word = match action.as_str() {
                "irregularity" => return (t("proctor.recorded", None), "ok"),
                a if ProctorAction::ALL.iter().any(|x| x.code() == a) => {
                    t(&format!("proctor.{a}"), None)
                }
                _ => return (String::new(), ""),
            };
            return (t("proctor.done", Some(&word)), "ok");
        }
        match at(&n.failed) {
            Some(failed) => {
                let (code, field) = failed.split_once(':').unwrap_or((&failed, ""));
                let message = match st.i18n.has(ctx.lang, code) {
                    true => t(code, None),
                    false => t("error.title", None),
                };
                match st.i18n.field_label(ctx.lang, field) {
                    Some(label) => (format!("{label}：{message}"), "bad"),
                    None => (message, "bad"),
                }
            }
            None => (String::new(), ""),
        }
    };
    let notice = match (&n.admitted, &n.unlocked) {
        (Some(k), _) => Some(t("proctor.admitted_n", Some(&k.to_string()))),
        (_, Some(a)) => Some(format!("{}：{a}", t("proctor.unlocked", None))),
        _ => None,
    };
    let data = json!({
        "plan": {"id": plan.id, "name": plan.name},
        "session": {"id": session.id, "room": session.room_name, "starts": local_time(session.starts_at_ms)},
        "roster": roster.iter().map(|r| {
            let (message, class) = row_message(r.attempt_id);
            json!({"attempt_id": r.attempt_id, "admission_no": r.admission_no, "name": r.name, "seat": r.seat, "status": r.status,
                   "running": r.status.is_some_and(|s| matches!(s, AttemptStatus::Admitted | AttemptStatus::InProgress | AttemptStatus::Paused)),
                   "answered": r.answered, "items": r.item_count, "saved": r.last_saved_at_ms.map(clock_time),
                   "locked": room.locked_out.contains(&r.admission_no), "message": message, "message_class": class})
        }).collect::<Vec<_>>(),
        "max_extension_minutes": st.app.config.exams.max_extension_minutes,
        "notice": notice,
        "words": console_words(&st, &ctx).to_string(),
    });
    Ok(page(&st, &ctx, "console", "proctor.console", data)?.into_response())
}

/// Where a plain-form action goes back to: the console, with what happened to the row.
fn back(session_id: i64, attempt: i64, r: Result<&str, AppError>) -> Response {
    let (key, value) = match r {
        Ok(done) => ("done", format!("{attempt}:{done}")),
        Err(e) => {
            // The message key, and the field it concerns when there is one.
            let code = match &e {
                AppError::Validation(f) => f.first().map(|f| format!("{}:{}", f.code, f.field)),
                AppError::Conflict(f) => Some(format!("{}:{}", f.code, f.field)),
                AppError::Refused { code } => Some(format!("error.{code}")),
                _ => None,
            };
            let code = code.unwrap_or_else(|| "error.title".into());
            ("failed", format!("{attempt}:{code}"))
        }
    };
    let q = serde_urlencoded::to_string([(key, value.as_str())]).unwrap_or_default();
    see_other(&format!("/proctor/sessions/{session_id}?{q}#row-{attempt}")).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    action: String,
    #[serde(deserialize_with = "app::lenient_i64")]
    minutes: Option<i64>,
    reason: Option<String>,
    session_id: i64,
}

/// The console's plain-form fallback for one attempt: back to the console, which says
/// in the row what happened.
pub async fn attempt_action(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    let r = app::proctoring::proctor_action(
        &st.app,
        ctx.principal()?,
        id,
        app::proctoring::ActionInput {
            action: f.action.clone(),
            minutes: f.minutes,
            reason: f.reason,
        },
    )
    .await;
    match r {
        Err(AppError::NotFound) | Err(AppError::Forbidden) | Err(AppError::Internal(_)) => {
            r.map(|_| ().into_response())
        }
        r => Ok(back(f.session_id, id, r.map(|_| f.action.as_str()))),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IrregularityForm {
    outcome: String,
    description: String,
    session_id: i64,
}

/// The console's plain-form record of an irregularity.
pub async fn record_irregularity(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<IrregularityForm>,
) -> Result<Response, AppError> {
    let input = app::proctoring::IrregularityInput {
        outcome: f.outcome,
        points: None,
        description: f.description,
    };
    let r = app::proctoring::irregularity(&st.app, ctx.principal()?, id, input).await;
    match r {
        Err(AppError::NotFound) | Err(AppError::Forbidden) | Err(AppError::Internal(_)) => {
            r.map(|_| ().into_response())
        }
        r => Ok(back(f.session_id, id, r.map(|_| "irregularity"))),
    }
}

pub async fn admit_all(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let n = app::proctoring::admit_all(&st.app, ctx.principal()?, id).await?;
    Ok(see_other(&format!("/proctor/sessions/{id}?admitted={n}")).into_response())
}

/// The console's unlock of a candidate locked out of exam-day login.
pub async fn unlock_login(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::proctoring::UnlockInput>,
) -> Result<Response, AppError> {
    let admission = f.admission_no.clone();
    app::proctoring::unlock_login(&st.app, ctx.principal()?, id, f).await?;
    let q = serde_urlencoded::to_string([("unlocked", admission.as_str())]).unwrap_or_default();
    Ok(see_other(&format!("/proctor/sessions/{id}?{q}")).into_response())
}
