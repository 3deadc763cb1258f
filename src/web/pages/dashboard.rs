//! The start page: the signed-in person's roles, their work lists (sessions to proctor,
//! plans to inspect, plans and approvals, items to review, their own exams) and the
//! places they can go.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::page;
use crate::app;
use crate::domain::role::Role;
use crate::domain::time::local_time;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::AppError;
use crate::web::AppState;

pub async fn show(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    render(&st, &ctx, json!([])).await
}

/// The start page, with `errors` of a form posted from it (a review request).
pub async fn render(st: &AppState, ctx: &RequestCtx, errors: Value) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let o = app::dashboard::overview(&st.app, p).await?;
    let plan = |plan: &crate::store::plans::Plan| {
        json!({"id": plan.id, "name": plan.name, "occupation": plan.occupation_name, "level": plan.level,
               "exam_date": plan.exam_date, "status": plan.status})
    };
    let has = |r: Role| p.has_role(r);
    let data = json!({
        "grants": o.grants.iter().map(|(role, org)| json!({"role": role, "org_name": org})).collect::<Vec<_>>(),
        "is_regulator": has(Role::RegulatorAdmin),
        "is_body_admin": has(Role::BodyAdmin),
        "authors": has(Role::BankAuthor) || has(Role::BankReviewer) || has(Role::RegulatorAdmin),
        "proctor_sessions": o.proctor_sessions.iter().map(|(plan, s)| json!({
            "id": s.id, "plan": plan.name, "room": s.room_name, "starts": local_time(s.starts_at_ms), "candidates": s.candidates,
        })).collect::<Vec<_>>(),
        "is_proctor": has(Role::Proctor),
        "inspector_plans": o.inspector_plans.iter().map(plan).collect::<Vec<_>>(),
        "is_inspector": has(Role::QualityInspector),
        "body_plans": o.body_plans.iter().map(plan).collect::<Vec<_>>(),
        "pending_approval": o.pending_approval.iter().map(plan).collect::<Vec<_>>(),
        "review_queue": o.review_queue.iter().map(|(b, n)| json!({
            "id": b.id, "name": b.name, "count": n, "more": *n >= app::dashboard::REVIEW_COUNT_LIMIT,
        })).collect::<Vec<_>>(),
        "is_reviewer": has(Role::BankReviewer),
        "enrolments": o.enrolments.iter().map(|e| json!({
            "plan_id": e.plan_id, "plan": e.plan_name, "occupation": e.occupation_name, "level": e.level, "admission_no": e.admission_no,
            "room": e.room_name, "starts": local_time(e.starts_at_ms), "seat": e.seat, "status": e.status,
        })).collect::<Vec<_>>(),
        "is_candidate": has(Role::Candidate),
        "errors": errors,
        "results": o.results.iter().map(|r| json!({
            "plan": r.plan_name, "component": r.component.code(), "occupation": r.occupation_name, "level": r.level,
            "score": r.result.theory.as_ref().map(|t| crate::domain::exam::points_text(t.score)),
            "pass_mark": r.result.theory.as_ref().map(|t| crate::domain::exam::points_text(t.pass_mark)),
            "deducted": r.result.theory.as_ref().filter(|t| t.deducted > 0.0).map(|t| crate::domain::exam::points_text(t.deducted)),
            "void": r.result.theory.as_ref().is_some_and(|t| t.void),
            "passed": r.result.passed,
            "published": local_time(r.publication.published_at_ms),
            "plan_id": r.plan_id,
            "review": r.result.review,
            "can_review": r.result.review.is_none() && crate::domain::grading::review_open(
                Some((r.publication.published_at_ms, r.publication.review_until_ms)), crate::now_ms()),
            "review_until": local_time(r.publication.review_until_ms),
            "breakdown": r.breakdown.iter().map(|i| json!({"n": i.position + 1, "points": crate::domain::exam::points_text(i.points),
                "max": crate::domain::exam::points_text(i.max_points), "outcome": i.outcome.code()})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "certificates": o.certificates.iter().map(|c| json!({
            "id": c.id, "number": c.number, "kind": c.kind, "occupation": c.occupation_name, "level": c.level,
            "issued": crate::domain::time::local_date(c.issued_at_ms).to_string(), "status": c.status,
        })).collect::<Vec<_>>(),
    });
    let status = super::form_status(&data["errors"]);
    Ok((status, page(st, ctx, "dashboard", "dashboard.title", data)?).into_response())
}
