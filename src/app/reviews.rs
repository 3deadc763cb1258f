//! Review requests on published results (成绩复核, DESIGN §3.5): a candidate asks while
//! the review window is open; a reviewer who did not examine the candidate (not their
//! session's proctor or assessor) upholds the result or changes it by some points with
//! a written decision. Everything downstream follows at once: the result is derived
//! with the change, and a certificate whose result no longer passes is revoked in the
//! same transaction, so public verification says so immediately.

use serde::Deserialize;

use super::{audit_by, authorize, App, Error, Result};
use crate::domain::grading::{review_open, reviewed_points, theory_result};
use crate::domain::policy::{Action, Principal};
use crate::store::reviews::{Review, ReviewDecision};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FileInput {
    pub reason: String,
}

/// The signed-in candidate asks for a review of their result in `plan_id`.
pub async fn file(app: &App, p: &Principal, plan_id: i64, input: FileInput) -> Result<i64> {
    let Some(person) = app.store.user(p.user_id).await?.person_id else {
        return Err(Error::NotFound);
    };
    let candidacy = app
        .store
        .candidacies(person)
        .await?
        .into_iter()
        .find(|(plan, _)| *plan == plan_id);
    let Some((_, candidate_id)) = candidacy else {
        return Err(Error::NotFound);
    };
    let publication = app.store.publication(plan_id).await?;
    if !review_open(
        publication.map(|p| (p.published_at_ms, p.review_until_ms)),
        crate::now_ms(),
    ) {
        return Err(Error::field("plan_id", "review_error.closed"));
    }
    let reason = input.reason.trim().to_string();
    if reason.is_empty() {
        return Err(Error::field("reason", "field.required"));
    }
    if reason.chars().count() > 1000 {
        return Err(Error::field_detail("reason", "field.too_long", "1000"));
    }
    let plan = app.store.plan(plan_id).await?;
    let event = audit_by(
        p,
        "review.file",
        "plan",
        plan_id,
        Some(plan.body_id),
        serde_json::json!({"candidate_id": candidate_id}),
    );
    Ok(app
        .store
        .file_review(plan_id, candidate_id, false, reason, event)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OfficialInput {
    /// The candidate's admission number.
    pub admission_no: String,
    pub reason: String,
}

/// The regulator opens a review of a published result at any time (复查, e.g. after an
/// inspection found the scoring wrong); a reviewer decides it as any other.
pub async fn open_official(
    app: &App,
    p: &Principal,
    plan_id: i64,
    input: OfficialInput,
) -> Result<i64> {
    if !p.is_regulator_admin() {
        return Err(Error::Forbidden);
    }
    let plan = app.store.plan(plan_id).await?;
    if app.store.publication(plan_id).await?.is_none() {
        return Err(Error::field("plan_id", "review_error.closed"));
    }
    let roster = app.store.roster(plan_id, None).await?;
    let Some(candidate) = roster
        .iter()
        .find(|r| r.admission_no == input.admission_no.trim())
    else {
        return Err(Error::field("admission_no", "review_error.no_candidate"));
    };
    let reason = input.reason.trim().to_string();
    if reason.is_empty() {
        return Err(Error::field("reason", "field.required"));
    }
    let event = audit_by(
        p,
        "review.open",
        "plan",
        plan_id,
        Some(plan.body_id),
        serde_json::json!({"candidate_id": candidate.candidate_id, "official": true}),
    );
    Ok(app
        .store
        .file_review(plan_id, candidate.candidate_id, true, reason, event)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DecideInput {
    /// `true` changes the result by `adjustment` points; `false` upholds it.
    pub changed: bool,
    /// Points added to (negative: taken from) the paper.
    pub adjustment: f64,
    /// The written decision the candidate reads.
    pub decision: String,
}

/// Decides a review: the body's admin or the regulator, never someone who proctored or
/// assessed the candidate's session.
pub async fn decide(app: &App, p: &Principal, review_id: i64, input: DecideInput) -> Result<()> {
    let review = app.store.review(review_id).await?;
    let plan = app.store.plan(review.plan_id).await?;
    let body = app.store.org(plan.body_id).await?;
    authorize(p, Action::CertificateStatus, &body)?;
    if review.status != "open" {
        return Err(Error::field("review_id", "review_error.decided"));
    }
    let facts = app
        .store
        .result_facts(plan.id, Some(review.candidate_id))
        .await?;
    let Some(f) = facts.into_iter().next() else {
        return Err(Error::NotFound);
    };
    let session = app.store.plan_session(f.session_id).await?;
    let assessors = app.store.session_assessors(session.id).await?;
    let examined = session.proctors.iter().any(|s| s.user_id == p.user_id)
        || assessors.iter().any(|(s, _)| s.user_id == p.user_id);
    if examined {
        return Err(Error::field("review_id", "review_error.examined"));
    }
    let decision = input.decision.trim().to_string();
    if decision.is_empty() {
        return Err(Error::field("decision", "field.required"));
    }
    let adjustment = if input.changed { input.adjustment } else { 0.0 };
    if !adjustment.is_finite() || (input.changed && adjustment == 0.0) {
        return Err(Error::field("adjustment", "review_error.adjustment"));
    }
    // The result as it will stand, to see whether its certificate falls with it.
    let results = super::grading::derive(app, &plan).await?;
    let now = results
        .candidates
        .iter()
        .find(|c| c.candidate_id == review.candidate_id)
        .and_then(|c| c.theory.clone());
    let passes_after = match (&now, f.score) {
        (Some(t), Some((_, max, _))) => {
            let irregular: Vec<_> = f.irregularities.iter().map(|(o, p, _)| (*o, *p)).collect();
            let after = theory_result(
                reviewed_points(t.raw_points, adjustment, max),
                max,
                t.pending,
                t.vetoed,
                &irregular,
                plan.template.pass_mark,
            );
            after.passed
        }
        _ => false,
    };
    // The certificate that stands on this result: the plan's own, or, for a skills or
    // review plan, the level's certificate issued from the theory plan (DESIGN §3.5).
    let certificate = if plan.component.at_stations() {
        let person = results
            .candidates
            .iter()
            .find(|c| c.candidate_id == review.candidate_id)
            .map(|c| c.person_id);
        app.store
            .person_certificates(person.unwrap_or_default())
            .await?
            .into_iter()
            .find(|c| {
                c.body_id == plan.body_id
                    && c.occupation_code == plan.occupation_code
                    && c.level == Some(plan.level)
                    && c.status != crate::domain::certificate::CertificateStatus::Revoked
            })
    } else {
        app.store
            .plan_certificates(plan.id)
            .await?
            .into_iter()
            .find(|c| c.candidate_id == review.candidate_id)
    };
    let revoke = match (&certificate, passes_after) {
        (Some(c), false) => Some((c.id, format!("成绩复核后不合格：{decision}"))),
        _ => None,
    };
    let event = audit_by(
        p,
        "review.decide",
        "plan",
        plan.id,
        Some(body.id),
        serde_json::json!({"review_id": review_id, "changed": input.changed, "adjustment": adjustment,
                           "revoked": revoke.as_ref().map(|(id, _)| *id)}),
    );
    let d = ReviewDecision {
        reviewer_id: p.user_id,
        changed: input.changed,
        adjustment,
        decision,
        revoke,
    };
    Ok(app.store.decide_review(review_id, d, event).await?)
}

/// The plan of a review, for a caller who may see the plan (404 otherwise).
pub async fn review_plan(app: &App, p: &Principal, review_id: i64) -> Result<i64> {
    let review = app.store.review(review_id).await?;
    let (plan, _) = super::plans::plan_for_viewer(app, p, review.plan_id).await?;
    Ok(plan.id)
}

pub async fn plan_reviews(app: &App, p: &Principal, plan_id: i64) -> Result<Vec<Review>> {
    let (plan, _) = super::plans::plan_for_viewer(app, p, plan_id).await?;
    Ok(app.store.plan_reviews(plan.id).await?)
}
