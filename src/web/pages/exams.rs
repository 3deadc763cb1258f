//! Exam pages: plans for body admins, the proctor's console, the inspector's view, and
//! the candidate's exam day (login, waiting room, the paper, submitted). The exam page
//! works as plain forms; `static/exam.js` adds saving on every change, the durable
//! acknowledgement, the offline queue and the server-timed clock.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{form_errors, page, see_other};
use crate::app;
use crate::domain::exam::{AttemptStatus, Relation};
use crate::domain::org::OrgKind;
use crate::domain::role::Role;
use crate::domain::time::{clock_time, local_time};
use crate::store::OrgFilter;
use crate::web::cookies::{clear_exam_cookie, exam_cookie, EXAM_COOKIE};
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path};
use crate::web::AppState;

fn with_errors(
    st: &AppState,
    ctx: &RequestCtx,
    e: AppError,
) -> Result<serde_json::Value, AppError> {
    match form_errors(st, ctx, &e) {
        Some(errors) => Ok(json!(errors)),
        None => Err(e),
    }
}

// ---------------------------------------------------------------------------------
// Plans (body admins; the regulator approves and dispatches inspectors).

async fn plans_page(
    st: &AppState,
    ctx: &RequestCtx,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let plans = app::plans::list_plans(&st.app, p).await?;
    let bodies: Vec<_> = p
        .grants
        .iter()
        .filter(|g| g.role == Role::BodyAdmin)
        .filter_map(|g| g.org.body_id)
        .collect();
    let mut body_orgs = Vec::new();
    for b in bodies {
        if let Ok(o) = st.app.store.org(b).await {
            body_orgs.push(json!({"id": o.id, "name": o.name, "scope": st.app.store.body_scope(o.id).await?.iter().map(|s| json!({"code": s.occupation.code(), "level": s.level.map(|l| l.get())})).collect::<Vec<_>>()}));
        }
    }
    let status = if errors.as_array().is_some_and(|e| !e.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let data = json!({
        "plans": plans.iter().map(|p| json!({"id": p.id, "name": p.name, "occupation": format!("{} {}", p.occupation_code, p.occupation_name), "level": p.level, "exam_date": p.exam_date, "status": p.status})).collect::<Vec<_>>(),
        "bodies": body_orgs,
        "errors": errors,
    });
    Ok((status, page(st, ctx, "plans", "plans.title", data)?).into_response())
}

pub async fn plans(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    plans_page(&st, &ctx, json!([])).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlanForm {
    body_id: i64,
    occupation_code: String,
    level: u8,
    name: String,
    exam_date: String,
    duration_minutes: Option<u32>,
}

pub async fn create_plan(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<PlanForm>,
) -> Result<Response, AppError> {
    let input = app::plans::PlanInput {
        body_id: f.body_id,
        occupation_code: f.occupation_code,
        level: f.level,
        name: f.name,
        exam_date: f.exam_date,
        duration_minutes: f.duration_minutes,
        ..Default::default()
    };
    match app::plans::create_plan(&st.app, ctx.principal()?, input).await {
        Ok(plan) => Ok(see_other(&format!("/plans/{}", plan.id)).into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            plans_page(&st, &ctx, errors).await
        }
    }
}

async fn plan_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let (plan, body) = app::plans::plan_for_viewer(&st.app, p, id).await?;
    let can_plan =
        crate::domain::policy::decide(p, crate::domain::policy::Action::PlanExams, &body.as_ref())
            .is_ok();
    let can_approve = crate::domain::policy::decide(
        p,
        crate::domain::policy::Action::ApprovePlan,
        &body.as_ref(),
    )
    .is_ok();
    let sessions = st.app.store.sessions(plan.id).await?;
    let roster = st.app.store.roster(plan.id, None).await?;
    let rooms = st
        .app
        .store
        .orgs(OrgFilter {
            body_id: Some(body.id),
            kind: Some(OrgKind::Room),
            ..Default::default()
        })
        .await?;
    let users = if can_plan {
        st.app
            .store
            .users(crate::store::UserFilter {
                body_id: Some(body.id),
            })
            .await?
    } else {
        vec![]
    };
    let mut proctors = Vec::new();
    for u in &users {
        if st
            .app
            .store
            .grants(u.id)
            .await?
            .iter()
            .any(|g| g.role == Role::Proctor)
        {
            proctors.push(json!({"id": u.id, "name": u.display_name}));
        }
    }
    let status = if errors.as_array().is_some_and(|e| !e.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let data = json!({
        "plan": {"id": plan.id, "name": plan.name, "occupation": format!("{} {}", plan.occupation_code, plan.occupation_name), "level": plan.level,
                  "exam_date": plan.exam_date, "status": plan.status, "duration": plan.template.duration_seconds / 60,
                  "items": plan.template.paper.item_count(), "total": plan.template.paper.total_points(), "pass_mark": plan.template.pass_mark},
        "body": {"id": body.id, "name": body.name},
        "open": plan.status == crate::domain::exam::PlanStatus::Open,
        "pending": plan.status == crate::domain::exam::PlanStatus::PendingApproval,
        "can_plan": can_plan,
        "can_approve": can_approve,
        "sessions": sessions.iter().map(|s| json!({
            "id": s.id, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates,
            "proctors": s.proctors, "need": st.app.config.exams.proctors.needed(s.candidates as u32),
            "understaffed": (s.proctors.len() as u32) < st.app.config.exams.proctors.needed(s.candidates as u32),
        })).collect::<Vec<_>>(),
        "roster": roster.iter().map(|r| json!({"admission_no": r.admission_no, "name": r.name, "document": r.document_masked, "session_id": r.session_id, "seat": r.seat, "status": r.status})).collect::<Vec<_>>(),
        "rooms": rooms.iter().map(|r| json!({"id": r.id, "name": r.name})).collect::<Vec<_>>(),
        "proctors": proctors,
        "inspectors": st.app.store.plan_inspectors(plan.id).await?,
        "errors": errors,
    });
    Ok((status, page(st, ctx, "plan", "plans.title", data)?).into_response())
}

pub async fn show_plan(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    plan_page(&st, &ctx, id, json!([])).await
}

/// Runs a plan-page form action and shows the plan again (with errors, if any).
async fn after(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    r: Result<(), AppError>,
) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(see_other(&format!("/plans/{id}")).into_response()),
        Err(e) => {
            let errors = with_errors(st, ctx, e)?;
            plan_page(st, ctx, id, errors).await
        }
    }
}

pub async fn add_session(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::plans::sessions::SessionInput>,
) -> Result<Response, AppError> {
    let r = app::plans::sessions::add_session(&st.app, ctx.principal()?, id, f)
        .await
        .map(|_| ());
    after(&st, &ctx, id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProctorForm {
    session_id: i64,
    user_id: i64,
}

pub async fn assign_proctor(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ProctorForm>,
) -> Result<Response, AppError> {
    let r = app::plans::sessions::assign_proctor(
        &st.app,
        ctx.principal()?,
        f.session_id,
        app::plans::sessions::StaffInput { user_id: f.user_id },
    )
    .await;
    after(&st, &ctx, id, r).await
}

pub async fn assign_inspector(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::plans::sessions::StaffInput>,
) -> Result<Response, AppError> {
    let r = app::inspection::assign_inspector(&st.app, ctx.principal()?, id, f).await;
    after(&st, &ctx, id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CandidatesForm {
    session_id: i64,
    /// One candidate per line: `name,ID number`.
    lines: String,
}

pub async fn add_candidates(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CandidatesForm>,
) -> Result<Response, AppError> {
    let candidates = f
        .lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, number) = l.split_once([',', '，', '\t']).unwrap_or((l, ""));
            app::plans::roster::CandidateInput {
                person: app::plans::roster::PersonInput {
                    name: name.trim().into(),
                    document_type: None,
                    id_number: number.trim().into(),
                },
                session_id: f.session_id,
            }
        })
        .collect();
    let r = app::plans::roster::add_candidates(
        &st.app,
        ctx.principal()?,
        id,
        app::plans::roster::RosterInput { candidates },
    )
    .await
    .map(|_| ());
    after(&st, &ctx, id, r).await
}

pub async fn close_roster(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let r = app::plans::papers::close_roster(&st.app, ctx.principal()?, id)
        .await
        .map(|_| ());
    after(&st, &ctx, id, r).await
}

pub async fn approve(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let r = app::plans::approve_plan(&st.app, ctx.principal()?, id)
        .await
        .map(|_| ());
    after(&st, &ctx, id, r).await
}

/// Staff declare their relations (回避) on their own account.
pub async fn relations_form(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
) -> Result<Response, AppError> {
    let data = json!({"relations": Relation::ALL.iter().map(|r| r.code()).collect::<Vec<_>>(), "done": false});
    Ok(page(&st, &ctx, "relations", "relations.title", data)?.into_response())
}

pub async fn declare_relation(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<app::plans::roster::RelationInput>,
) -> Result<Response, AppError> {
    let errors = match app::plans::roster::declare_relation(&st.app, ctx.principal()?, f).await {
        Ok(()) => json!([]),
        Err(e) => with_errors(&st, &ctx, e)?,
    };
    let done = errors.as_array().is_some_and(|e| e.is_empty());
    let data = json!({"relations": Relation::ALL.iter().map(|r| r.code()).collect::<Vec<_>>(), "done": done, "errors": errors});
    let status = if done {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        page(&st, &ctx, "relations", "relations.title", data)?,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------
// Proctors and inspectors.

pub async fn proctor_home(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let sessions = st.app.store.proctor_sessions(p.user_id).await?;
    let data = json!({
        "sessions": sessions.iter().map(|(plan, s)| json!({"id": s.id, "plan": plan.name, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates})).collect::<Vec<_>>(),
    });
    Ok(page(&st, &ctx, "proctor", "proctor.title", data)?.into_response())
}

pub async fn console(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (plan, session) =
        app::proctoring::session_for_proctor(&st.app, ctx.principal()?, id).await?;
    let roster = st.app.store.roster(plan.id, Some(session.id)).await?;
    let data = json!({
        "plan": {"id": plan.id, "name": plan.name},
        "session": {"id": session.id, "room": session.room_name, "starts": local_time(session.starts_at_ms)},
        "roster": roster.iter().map(|r| json!({"attempt_id": r.attempt_id, "admission_no": r.admission_no, "name": r.name, "seat": r.seat, "status": r.status, "answered": r.answered, "items": r.item_count, "saved": r.last_saved_at_ms.map(clock_time)})).collect::<Vec<_>>(),
        "max_extension_minutes": st.app.config.exams.max_extension_minutes,
    });
    Ok(page(&st, &ctx, "console", "proctor.console", data)?.into_response())
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

/// The console's plain-form fallback for one attempt.
pub async fn attempt_action(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    app::proctoring::proctor_action(
        &st.app,
        ctx.principal()?,
        id,
        app::proctoring::ActionInput {
            action: f.action,
            minutes: f.minutes,
            reason: f.reason,
        },
    )
    .await?;
    Ok(see_other(&format!("/proctor/sessions/{}", f.session_id)).into_response())
}

pub async fn admit_all(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    app::proctoring::admit_all(&st.app, ctx.principal()?, id).await?;
    Ok(see_other(&format!("/proctor/sessions/{id}")).into_response())
}

/// The console's unlock of a candidate locked out of exam-day login.
pub async fn unlock_login(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::proctoring::UnlockInput>,
) -> Result<Response, AppError> {
    app::proctoring::unlock_login(&st.app, ctx.principal()?, id, f).await?;
    Ok(see_other(&format!("/proctor/sessions/{id}")).into_response())
}

async fn inspect_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    errors: serde_json::Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let (plan, live) = app::inspection::plan_live(&st.app, p, id).await?;
    let can_file =
        p.has_role(Role::QualityInspector) && st.app.store.is_plan_inspector(id, p.user_id).await?;
    let count = |sid: i64, s: AttemptStatus| {
        live.roster
            .iter()
            .filter(|r| r.session_id == sid && r.status == Some(s))
            .count()
    };
    let data = json!({
        "plan": {"id": plan.id, "name": plan.name, "status": plan.status},
        "can_file": can_file,
        "sessions": live.sessions.iter().map(|s| json!({
            "id": s.id, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates,
            "proctors": s.proctors, "need": st.app.config.exams.proctors.needed(s.candidates as u32),
            "in_progress": count(s.id, AttemptStatus::InProgress), "paused": count(s.id, AttemptStatus::Paused),
            "submitted": count(s.id, AttemptStatus::Submitted) + count(s.id, AttemptStatus::Terminated),
        })).collect::<Vec<_>>(),
        "actions": live.actions.iter().map(|a| json!({"at": clock_time(a.at_ms), "actor": a.actor, "action": a.action, "detail": a.detail, "session_id": a.session_id, "attempt_id": a.attempt_id})).collect::<Vec<_>>(),
        "findings": live.findings.iter().map(|f| json!({"at": local_time(f.at_ms), "subject": f.subject, "subject_id": f.subject_id, "category": f.category, "severity": f.severity, "evidence": f.evidence, "by": f.filed_by})).collect::<Vec<_>>(),
        "errors": errors,
    });
    let status = if errors_present(&data) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page(st, ctx, "inspect", "inspect.title", data)?).into_response())
}

fn errors_present(data: &serde_json::Value) -> bool {
    data["errors"].as_array().is_some_and(|e| !e.is_empty())
}

pub async fn inspect(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    inspect_page(&st, &ctx, id, json!([])).await
}

pub async fn file_finding(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<app::inspection::FindingInput>,
) -> Result<Response, AppError> {
    match app::inspection::file_finding(&st.app, ctx.principal()?, id, f).await {
        Ok(_) => Ok(see_other(&format!("/inspect/plans/{id}")).into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            inspect_page(&st, &ctx, id, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------
// The candidate.

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
            let chosen: Vec<u64> = ans.as_array().map(|a| a.iter().filter_map(|v| v.as_u64()).collect()).unwrap_or_default();
            let choice = matches!(it.item_type, crate::domain::item::ItemType::SingleChoice | crate::domain::item::ItemType::MultipleChoice);
            json!({
                "position": it.position, "number": it.position + 1, "type": it.item_type, "points": it.points, "stem": it.stem,
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
        "attempt_id": state.attempt_id,
        "remaining_ms": state.remaining_ms,
        "server_now_ms": state.server_now_ms,
        "last_seq": state.last_seq,
        "saved_at": state.last_saved_at_ms.map(clock_time),
        "items": items,
    });
    exam_page(&st, &ctx, "exam", "exam.title", data)
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
