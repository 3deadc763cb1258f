//! The proctor's actions on the attempts of the rooms they are assigned to: admit,
//! pause, resume, extend (with a reason, within the cap), terminate, and
//! irregularities (违纪). Every action is audited and logged for the inspectors.

use serde::Deserialize;

use crate::app::{audit_by, lenient_i64, App, Error, Result};
use crate::domain::exam::{Clock, Extension, IrregularityOutcome, ProctorAction};
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::throttle::Scope;
use crate::domain::validate::{FieldError, Fields};
use crate::store::plans::{Plan, PlanSession, RosterEntry};

/// A session the caller proctors (or administers at its body); 404 otherwise.
pub async fn session_for_proctor(
    app: &App,
    p: &Principal,
    session_id: i64,
) -> Result<(Plan, PlanSession)> {
    let session = app
        .store
        .plan_session(session_id)
        .await
        .map_err(|_| Error::NotFound)?;
    let plan = app.store.plan(session.plan_id).await?;
    let body = app.store.org(plan.body_id).await?;
    let assigned = app.store.is_session_proctor(session_id, p.user_id).await?;
    decide(p, Action::ProctorSession { assigned }, &body.as_ref()).map_err(|_| Error::NotFound)?;
    Ok((plan, session))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActionInput {
    /// `admit`, `pause`, `resume`, `extend`, `terminate`.
    pub action: String,
    /// For `extend`.
    #[serde(deserialize_with = "lenient_i64")]
    pub minutes: Option<i64>,
    /// Required for `extend` and `terminate`.
    pub reason: Option<String>,
}

pub async fn proctor_action(
    app: &App,
    p: &Principal,
    attempt_id: i64,
    input: ActionInput,
) -> Result<Clock> {
    let rec = app
        .store
        .attempt(attempt_id)
        .await
        .map_err(|_| Error::NotFound)?;
    let (plan, _) = session_for_proctor(app, p, rec.session_id).await?;
    let action = ProctorAction::ALL
        .into_iter()
        .find(|a| a.code() == input.action.trim())
        .ok_or_else(|| Error::field("action", "exam_error.action"))?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if matches!(action, ProctorAction::Extend | ProctorAction::Terminate) && reason.is_empty() {
        return Err(Error::field("reason", "field.required"));
    }
    if reason.chars().count() > 500 {
        return Err(Error::Validation(vec![FieldError::new(
            "reason",
            "field.too_long",
        )
        .with_detail("500")]));
    }
    let extension = Extension {
        ms: input.minutes.unwrap_or(0).clamp(0, 24 * 60) * 60_000,
        cap_ms: app.config.exams.max_extension_minutes.max(0) * 60_000,
    };
    if action == ProctorAction::Extend && extension.ms <= 0 {
        return Err(Error::field("minutes", "field.required"));
    }
    let event = audit_by(
        p,
        &format!("attempt.{}", action.code()),
        "attempt",
        attempt_id,
        Some(plan.body_id),
        serde_json::json!({"reason": reason, "minutes": input.minutes}),
    );
    Ok(app
        .store
        .proctor_action(attempt_id, action, extension, p.user_id, reason, event)
        .await?)
}

pub async fn admit_all(app: &App, p: &Principal, session_id: i64) -> Result<u64> {
    let (plan, _) = session_for_proctor(app, p, session_id).await?;
    let event = audit_by(
        p,
        "session.admit_all",
        "session",
        session_id,
        Some(plan.body_id),
        serde_json::json!({}),
    );
    Ok(app
        .store
        .admit_session(session_id, p.user_id, event)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IrregularityInput {
    /// `warning`, `deduction`, `void`.
    pub outcome: String,
    /// Points off for a deduction (default 10).
    pub points: Option<f64>,
    pub description: String,
}

pub async fn irregularity(
    app: &App,
    p: &Principal,
    attempt_id: i64,
    input: IrregularityInput,
) -> Result<i64> {
    let rec = app
        .store
        .attempt(attempt_id)
        .await
        .map_err(|_| Error::NotFound)?;
    let (plan, _) = session_for_proctor(app, p, rec.session_id).await?;
    // Published results change only through review: an irregularity recorded afterwards
    // would silently overturn a result (and a certificate issued on it).
    if app.store.publication(plan.id).await?.is_some() {
        return Err(Error::field("outcome", "result_error.already_published"));
    }
    let mut f = Fields::default();
    let outcome = match input.outcome.trim() {
        "warning" => IrregularityOutcome::Warning,
        "deduction" => IrregularityOutcome::Deduction,
        "void" => IrregularityOutcome::Void,
        _ => {
            f.push(FieldError::new("outcome", "exam_error.outcome"));
            IrregularityOutcome::Warning
        }
    };
    let description = f.text("description", &input.description, 1000);
    let points = match outcome {
        IrregularityOutcome::Deduction => input.points.unwrap_or(10.0),
        _ => 0.0,
    };
    if !(0.0..=100.0).contains(&points) {
        f.push(FieldError::new("points", "field.range").with_detail("0–100"));
    }
    f.finish().map_err(Error::Validation)?;
    let event = audit_by(
        p,
        "attempt.irregularity",
        "attempt",
        attempt_id,
        Some(plan.body_id),
        serde_json::json!({"outcome": outcome.code(), "points": points}),
    );
    Ok(app
        .store
        .record_irregularity(attempt_id, outcome, points, description, p.user_id, event)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct UnlockInput {
    /// The admission number locked out after too many wrong ID numbers.
    pub admission_no: String,
}

/// Unlocks a candidate's exam-day login after too many wrong ID numbers: a proctor of
/// the candidate's room (or the body's admin) who has seen the candidate's document.
pub async fn unlock_login(
    app: &App,
    p: &Principal,
    session_id: i64,
    input: UnlockInput,
) -> Result<()> {
    let (plan, session) = session_for_proctor(app, p, session_id).await?;
    let admission = input.admission_no.trim();
    let on_roster = app
        .store
        .roster(plan.id, Some(session.id))
        .await?
        .into_iter()
        .any(|r| r.admission_no == admission);
    if !on_roster {
        return Err(Error::field("admission_no", "exam_error.not_on_roster"));
    }
    let event = audit_by(
        p,
        "exam.login_unlocked",
        "session",
        session_id,
        Some(plan.body_id),
        serde_json::json!({"admission_no": admission}),
    );
    app.store
        .clear_login_attempts(Scope::Exam, admission, event)
        .await?;
    Ok(())
}

/// The rooms the caller is assigned to proctor, with their plans, newest first.
pub async fn my_sessions(app: &App, p: &Principal) -> Result<Vec<(Plan, PlanSession)>> {
    Ok(app.store.proctor_sessions(p.user_id).await?)
}

/// A room as its proctor sees it: the live roster, and who is locked out of exam-day
/// login.
pub struct Room {
    pub plan: Plan,
    pub session: PlanSession,
    pub roster: Vec<RosterEntry>,
    pub locked_out: Vec<String>,
}

pub async fn room(app: &App, p: &Principal, session_id: i64) -> Result<Room> {
    let (plan, session) = session_for_proctor(app, p, session_id).await?;
    let roster = app.store.roster(plan.id, Some(session.id)).await?;
    let locked_out = locked_out(app, &roster).await?;
    Ok(Room {
        plan,
        session,
        roster,
        locked_out,
    })
}

/// The admission numbers of a room that are locked out of exam-day login now.
async fn locked_out(app: &App, roster: &[RosterEntry]) -> Result<Vec<String>> {
    let t = &app.config.login_throttle;
    let keys: Vec<String> = roster.iter().map(|r| r.admission_no.clone()).collect();
    let since = crate::now_ms() - t.window_minutes * 60_000;
    let limits = t.limits(Scope::Exam);
    Ok(app
        .store
        .keys_with_attempts(Scope::Exam, &keys, since, limits.per_key)
        .await?)
}
