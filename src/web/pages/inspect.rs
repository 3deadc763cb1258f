//! The quality inspector's view of a plan (also read by the body and the regulator):
//! each room's progress, the proctors' actions as they happen, and the findings, filed
//! against the body, one of the plan's sessions or one of its proctors, picked by name.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::plans::with_errors;
use super::{page, see_other};
use crate::app;
use crate::domain::exam::{
    AttemptStatus, FindingCategory, IrregularityOutcome, ProctorAction, Severity,
};
use crate::domain::time::{clock_time, local_time};
use crate::store::proctoring::ProctorActionRow;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path};
use crate::web::i18n::{I18n, Lang};
use crate::web::AppState;

/// A proctor action's particulars in words: how many were admitted, an irregularity's
/// outcome, otherwise the proctor's reason as typed.
fn action_detail(i18n: &I18n, lang: Lang, a: &ProctorActionRow) -> String {
    match (a.action.as_str(), &a.outcome) {
        ("admit_all", _) => i18n.t(lang, "inspect.admitted", Some(&a.detail)),
        ("irregularity", Some(o)) => {
            let outcome = i18n.t(lang, &format!("outcome.{o}"), None);
            format!("{outcome}：{}", a.detail)
        }
        _ => a.detail.clone(),
    }
}

/// The words the page's script needs to keep the action log current in the reader's
/// language.
fn script_words(i18n: &I18n, lang: Lang) -> Value {
    let mut actions = serde_json::Map::new();
    for code in ProctorAction::ALL
        .map(ProctorAction::code)
        .into_iter()
        .chain(["admit_all", "irregularity"])
    {
        actions.insert(
            code.into(),
            i18n.t(lang, &format!("proctor_action.{code}"), None).into(),
        );
    }
    let outcomes: serde_json::Map<String, Value> = IrregularityOutcome::ALL
        .iter()
        .map(|o| {
            (
                o.code().to_string(),
                i18n.t(lang, &format!("outcome.{}", o.code()), None).into(),
            )
        })
        .collect();
    json!({"actions": actions, "outcomes": outcomes, "admitted": i18n.t(lang, "inspect.admitted", None)})
}

async fn inspect_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    errors: Value,
    form: Option<&FindingForm>,
) -> Result<Response, AppError> {
    let (plan, live) = app::inspection::plan_live(&st.app, ctx.principal()?, id).await?;
    let count = |sid: i64, s: AttemptStatus| {
        live.roster
            .iter()
            .filter(|r| r.session_id == sid && r.status == Some(s))
            .count()
    };
    let session_name = |sid: i64| {
        live.sessions
            .iter()
            .find(|s| s.id == sid)
            .map(|s| format!("{} {}", s.room_name, local_time(s.starts_at_ms)))
            .unwrap_or_else(|| sid.to_string())
    };
    let mut proctors: Vec<(i64, String)> = live
        .sessions
        .iter()
        .flat_map(|s| {
            s.proctors
                .iter()
                .map(|p| (p.user_id, p.display_name.clone()))
        })
        .collect();
    proctors.sort();
    proctors.dedup();
    let subject_name = |subject: &str, sid: i64| match subject {
        "session" => session_name(sid),
        "proctor" => proctors
            .iter()
            .find(|(id, _)| *id == sid)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| sid.to_string()),
        _ => live.body_name.clone(),
    };
    let chosen = form.map(|f| f.target.as_str()).unwrap_or("");
    let option = |value: String, label: String| json!({"selected": value == chosen, "value": value, "label": label});
    let targets = json!({
        "body": option(format!("body:{}", plan.body_id), live.body_name.clone()),
        "sessions": live.sessions.iter().map(|s| option(format!("session:{}", s.id), session_name(s.id))).collect::<Vec<_>>(),
        "proctors": proctors.iter().map(|(id, n)| option(format!("proctor:{id}"), n.clone())).collect::<Vec<_>>(),
    });
    let (lang, i18n) = (ctx.lang, &st.i18n);
    // Who a credit deduction may be proposed against: the body, or an assessor who
    // served in one of the plan's sessions.
    let mut assessors: Vec<(i64, String)> = Vec::new();
    if live.can_file {
        for s in &live.sessions {
            for (a, _) in st
                .app
                .store
                .session_assessors(s.id)
                .await
                .map_err(app::Error::from)?
            {
                assessors.push((a.user_id, a.display_name.clone()));
            }
        }
        assessors.sort();
        assessors.dedup();
    }
    let rules: Vec<Value> = st.app.config.credit.rules.iter().map(|r| json!({
        "code": r.code, "kind": r.applies_to.code(), "points": r.points, "hard_exit": r.hard_exit,
        "description": match lang { crate::web::i18n::Lang::En => &r.description_en, _ => &r.description },
    })).collect();
    let data = json!({
        "credit_targets": {
            "body": format!("body:{}", plan.body_id), "body_name": live.body_name,
            "assessors": assessors.iter().map(|(id, n)| json!({"value": format!("assessor:{id}"), "label": n})).collect::<Vec<_>>(),
        },
        "credit_rules": rules,
        "plan": {"id": plan.id, "name": plan.name, "status": plan.status},
        "can_file": live.can_file,
        "sessions": live.sessions.iter().map(|s| json!({
            "id": s.id, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates,
            "proctors": s.proctors, "need": live.proctor_ratio.needed(s.candidates as u32),
            "in_progress": count(s.id, AttemptStatus::InProgress), "paused": count(s.id, AttemptStatus::Paused),
            "submitted": count(s.id, AttemptStatus::Submitted) + count(s.id, AttemptStatus::Terminated),
        })).collect::<Vec<_>>(),
        "actions": live.actions.iter().map(|a| json!({"at": clock_time(a.at_ms), "actor": a.actor, "action": a.action,
            "detail": action_detail(i18n, lang, a), "session": session_name(a.session_id)})).collect::<Vec<_>>(),
        "words": script_words(i18n, lang).to_string(),
        "findings": live.findings.iter().map(|f| json!({"id": f.id, "at": local_time(f.at_ms), "subject": f.subject,
            "subject_name": subject_name(&f.subject, f.subject_id), "category": f.category, "severity": f.severity,
            "evidence": f.evidence, "by": f.filed_by})).collect::<Vec<_>>(),
        "targets": targets,
        "categories": FindingCategory::ALL.map(|c| json!({"code": c.code(), "selected": form.is_some_and(|f| f.category == c.code())})),
        "severities": Severity::ALL.map(|s| json!({"code": s.code(), "selected": form.is_some_and(|f| f.severity == s.code())})),
        "evidence": form.map(|f| f.evidence.as_str()).unwrap_or(""),
        "errors": errors,
    });
    let status = super::form_status(&data["errors"]);
    Ok((status, page(st, ctx, "inspect", "inspect.title", data)?).into_response())
}

pub async fn inspect(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    inspect_page(&st, &ctx, id, json!([]), None).await
}

/// The proposal form: the subject is one pick (`body:3`, `assessor:40`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProposalForm {
    target: String,
    rule_code: String,
    note: String,
    evidence: String,
}

/// An inspector proposes a credit deduction from the plan's page (DESIGN §3.8); a
/// regulator officer confirms or rejects it on the credit desk.
pub async fn propose(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ProposalForm>,
) -> Result<Response, AppError> {
    let (kind, subject_id) = f.target.split_once(':').unwrap_or((&f.target, ""));
    let input = app::credit::EventInput {
        subject_kind: kind.to_string(),
        subject_id: subject_id.parse().ok(),
        rule_code: f.rule_code,
        note: f.note,
        evidence: f.evidence,
        revoke_numbers: String::new(),
    };
    match app::credit::propose(&st.app, ctx.principal()?, id, input).await {
        Ok(_) => Ok(see_other(&format!("/inspect/plans/{id}")).into_response()),
        Err(e) => {
            let mut errors = with_errors(&st, &ctx, e)?;
            for e in errors.as_array_mut().into_iter().flatten() {
                if e["field"] == "subject_kind" || e["field"] == "subject_id" {
                    e["field"] = json!("credit_target");
                }
            }
            inspect_page(&st, &ctx, id, errors, None).await
        }
    }
}

/// The finding form: the subject is one pick (`body:3`, `session:12`, `proctor:40`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FindingForm {
    target: String,
    category: String,
    severity: String,
    evidence: String,
}

pub async fn file_finding(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<FindingForm>,
) -> Result<Response, AppError> {
    let (subject, subject_id) = f.target.split_once(':').unwrap_or((&f.target, ""));
    let input = app::inspection::FindingInput {
        subject: subject.to_string(),
        subject_id: subject_id.parse().ok(),
        category: f.category.clone(),
        severity: f.severity.clone(),
        evidence: f.evidence.clone(),
    };
    match app::inspection::file_finding(&st.app, ctx.principal()?, id, input).await {
        Ok(_) => Ok(see_other(&format!("/inspect/plans/{id}")).into_response()),
        Err(e) => {
            let mut errors = with_errors(&st, &ctx, e)?;
            // The page asks for one pick where the API has two fields.
            for e in errors.as_array_mut().into_iter().flatten() {
                if e["field"] == "subject" || e["field"] == "subject_id" {
                    e["field"] = json!("target");
                }
            }
            inspect_page(&st, &ctx, id, errors, Some(&f)).await
        }
    }
}
