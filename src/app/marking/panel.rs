//! Who sits on a panel: the body puts assessors on a session (assessor role at the body,
//! a valid qualification for the occupation and level, the rotation limit, no relation
//! to a candidate) before the roster closes; the regulator records qualifications.

use serde::Deserialize;

use crate::app::{audit_by, App, Error, Result};
use crate::domain::grading::panel::{qualified, rotation_exceeded, Qualification};
use crate::domain::policy::{may_serve, Principal};
use crate::domain::role::Role;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AssessorInput {
    pub user_id: i64,
    /// The panel's leader arbitrates when marks spread too far.
    pub leader: bool,
}

/// Puts an assessor on a session's panel: they hold the assessor role at the body, are
/// qualified for the occupation and level today, have not served the body's last
/// plans in a row beyond the rotation limit, and are not related to a candidate.
pub async fn assign_assessor(
    app: &App,
    p: &Principal,
    session_id: i64,
    input: AssessorInput,
) -> Result<()> {
    let session = app.store.plan_session(session_id).await?;
    let (plan, body) = crate::app::plans::plan_to_change(app, p, session.plan_id).await?;
    // The panel is fixed when the roster closes: its size decides when the marks are
    // all in, so a member added later would reopen finished tasks.
    if plan.status != crate::domain::exam::PlanStatus::Open {
        return Err(Error::field("session_id", "marking_error.panel_fixed"));
    }
    let grants = app.store.grants(input.user_id).await.unwrap_or_default();
    may_serve(&grants, Role::Assessor, &body.as_ref())
        .map_err(|_| Error::field("user_id", "marking_error.not_assessor"))?;
    // A suspended or disqualified assessor is not assigned (DESIGN §3.8).
    crate::app::credit::require_assessor(app, input.user_id, "user_id").await?;
    let today = crate::domain::time::local_date(crate::now_ms()).to_string();
    let quals = app.store.qualifications(input.user_id).await?;
    if !qualified(&quals, &plan.occupation_code, plan.level, &today) {
        return Err(Error::field("user_id", "marking_error.not_qualified"));
    }
    let limit = app.config.exams.assessor_rotation_limit;
    let recent = app
        .store
        .served_recent(body.id, input.user_id, plan.id, limit as i64)
        .await?;
    if rotation_exceeded(&recent, limit) {
        return Err(Error::field_detail(
            "user_id",
            "marking_error.rotation",
            limit.to_string(),
        ));
    }
    let event = audit_by(
        p,
        "session.assign_assessor",
        "session",
        session_id,
        Some(body.id),
        serde_json::json!({"plan_id": plan.id, "user_id": input.user_id, "leader": input.leader}),
    );
    Ok(app
        .store
        .assign_assessor(session_id, input.user_id, input.leader, p.user_id, event)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct QualificationInput {
    /// `d-dd-dd-dd`.
    pub occupation_code: String,
    /// The highest level they may assess: 1 (highest) … 5.
    pub highest_level: u8,
    /// YYYY-MM-DD.
    pub valid_until: String,
}

/// The regulator records an assessor's qualification (考评员资格): an occupation up to a
/// level, until a date.
pub async fn grant_qualification(
    app: &App,
    p: &Principal,
    user_id: i64,
    input: QualificationInput,
) -> Result<()> {
    if !p.is_regulator_admin() {
        return Err(Error::Forbidden);
    }
    let user = app.store.user(user_id).await?;
    let mut errors = Vec::new();
    let code = input.occupation_code.trim().to_string();
    if crate::domain::org::OccupationCode::parse(&code, 2015).is_err() {
        errors.push(crate::domain::validate::FieldError::new(
            "occupation_code",
            "occupation.code_format",
        ));
    }
    if !(1..=5).contains(&input.highest_level) {
        errors.push(
            crate::domain::validate::FieldError::new("highest_level", "field.range")
                .with_detail("1–5"),
        );
    }
    let until = crate::domain::time::parse_date(input.valid_until.trim());
    if until.is_none() {
        errors.push(crate::domain::validate::FieldError::new(
            "valid_until",
            "field.date",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let q = Qualification {
        occupation_code: code,
        highest_level: input.highest_level,
        valid_until: until.map(|d| d.to_string()).unwrap_or_default(),
    };
    let event = audit_by(
        p,
        "assessor.qualify",
        "user",
        user_id,
        Some(user.org_id),
        serde_json::json!({"occupation_code": q.occupation_code, "highest_level": q.highest_level, "valid_until": q.valid_until}),
    );
    Ok(app
        .store
        .grant_qualification(user_id, q, p.user_id, event)
        .await?)
}
