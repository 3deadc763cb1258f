//! A plan's results and certificates (the body's admins, the regulator, a dispatched
//! inspector), the holder's printable certificate with its QR code, and public
//! verification.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::plans::with_errors;
use super::{page, see_other};
use crate::app;
use crate::app::certificates::{PublicCertificate, StatusInput};
use crate::domain::exam::points_text;
use crate::domain::time::local_time;
use crate::store::certificates::Certificate;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Path, Query};
use crate::web::AppState;

fn cert_row(c: &Certificate) -> Value {
    json!({"id": c.id, "number": c.number, "kind": c.kind, "holder": c.holder_name,
           "occupation": c.occupation_name, "level": c.level, "score": points_text(c.score),
           "issued": crate::domain::time::local_date(c.issued_at_ms).to_string(),
           "status": c.status, "reason": c.status_reason, "review_due": c.review_due})
}

async fn results_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    errors: Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let v = app::certificates::results_view(&st.app, p, id).await?;
    let r = &v.results;
    let plan = &r.plan;
    let cert_of = |candidate: i64| v.certificates.iter().find(|c| c.candidate_id == candidate);
    let pending = v.requests.iter().find(|q| q.status == "pending");
    let status = super::form_status(&errors);
    let data = json!({
        "plan": {"id": plan.id, "name": plan.name, "occupation": format!("{} {}", plan.occupation_code, plan.occupation_name),
                 "level": plan.level, "exam_date": plan.exam_date, "pass_mark": points_text(plan.template.pass_mark),
                 "total": points_text(plan.template.paper.total_points()), "component": plan.component.code()},
        // The level's other components: each candidate's standing in them.
        "others": v.required.iter().filter(|c| **c != plan.component).map(|c| c.code()).collect::<Vec<_>>(),
        "body": v.body.name,
        "published": r.publication.map(|pb| json!({"at": local_time(pb.published_at_ms), "review_until": local_time(pb.review_until_ms)})),
        "is_final": r.is_final,
        "counts": {"candidates": r.candidates.len(), "scored": r.scored, "passed": r.passed, "open": r.open},
        "can_publish": v.can_issue && r.publication.is_none(),
        // The same condition `app::grading::publish` refuses on, so the page says why
        // before the click rather than after it.
        "publish_blocked": r.candidates.is_empty() || r.open > 0,
        "can_request": v.can_issue && r.is_final && pending.is_none(),
        "candidates": r.candidates.iter().map(|c| json!({
            "admission_no": c.admission_no, "name": c.name, "status": c.attempt_status,
            "score": c.theory.as_ref().map(|t| points_text(t.score)),
            "paper_points": c.theory.as_ref().map(|t| format!("{}/{}", points_text(t.raw_points), points_text(t.max_points))),
            "deducted": c.theory.as_ref().filter(|t| t.deducted > 0.0).map(|t| points_text(t.deducted)),
            "void": c.theory.as_ref().is_some_and(|t| t.void),
            "vetoed": c.theory.as_ref().is_some_and(|t| t.vetoed),
            "absent": c.absent,
            "pending": c.theory.as_ref().map(|t| t.pending).filter(|n| *n > 0),
            "passed": c.passed,
            "irregularities": c.irregularities.iter().map(|i| json!({"outcome": i.outcome, "points": (i.points > 0.0).then(|| points_text(i.points)), "description": i.description})).collect::<Vec<_>>(),
            "certificate": cert_of(c.candidate_id).map(cert_row),
            "others": v.required.iter().filter(|k| **k != plan.component).map(|k| json!({
                "component": k.code(),
                "passed": v.others_passed.get(&c.person_id).is_some_and(|p| p.contains(k)),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "requests": v.requests.iter().map(|q| json!({
            "id": q.id, "by": q.requested_by_name, "at": local_time(q.requested_at_ms), "status": q.status,
            "decided_by": q.decided_by_name, "decided_at": q.decided_at_ms.map(local_time), "issued": q.issued,
            "can_decide": v.can_issue && q.status == "pending" && q.requested_by != p.user_id,
            "mine": q.status == "pending" && q.requested_by == p.user_id,
        })).collect::<Vec<_>>(),
        "certificates": v.certificates.iter().map(cert_row).collect::<Vec<_>>(),
        "reviews": v.reviews.iter().map(|rv| json!({
            "id": rv.id, "admission_no": rv.admission_no, "reason": rv.reason, "filed": local_time(rv.filed_at_ms),
            "status": rv.status, "open": rv.status == "open", "reviewer": rv.reviewer_name, "decision": rv.decision,
            "adjustment": (rv.adjustment != 0.0).then(|| points_text(rv.adjustment)),
        })).collect::<Vec<_>>(),
        "can_review": v.can_review,
        "errors": errors,
    });
    Ok((status, page(st, ctx, "results", "results.title", data)?).into_response())
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    results_page(&st, &ctx, id, json!([])).await
}

async fn after(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    r: Result<(), AppError>,
) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(see_other(&format!("/plans/{id}/results")).into_response()),
        Err(e) => {
            let errors = with_errors(st, ctx, e)?;
            results_page(st, ctx, id, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    reason: String,
}

/// The candidate asks for a review from their dashboard.
pub async fn file_review(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(plan_id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, AppError> {
    let input = app::reviews::FileInput { reason: f.reason };
    match app::reviews::file(&st.app, ctx.principal()?, plan_id, input).await {
        Ok(_) => Ok(see_other("/#my-results").into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            // Back to the dashboard with the message at the top.
            let errors = with_errors(&st, &ctx, e)?;
            super::dashboard::render(&st, &ctx, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewDecisionForm {
    outcome: String,
    adjustment: String,
    decision: String,
}

pub async fn decide_review(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ReviewDecisionForm>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let plan_id = app::reviews::review_plan(&st.app, p, id).await?;
    let input = app::reviews::DecideInput {
        changed: f.outcome == "changed",
        adjustment: f.adjustment.trim().parse().unwrap_or(0.0),
        decision: f.decision,
    };
    let r = app::reviews::decide(&st.app, p, id, input).await;
    after(&st, &ctx, plan_id, r).await
}

pub async fn publish(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let r = app::grading::publish(&st.app, ctx.principal()?, id)
        .await
        .map(|_| ());
    after(&st, &ctx, id, r).await
}

pub async fn request_issuance(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let r = app::certificates::request(&st.app, ctx.principal()?, id)
        .await
        .map(|_| ());
    after(&st, &ctx, id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    /// `approve` or `reject`.
    decision: String,
}

pub async fn decide(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let plan_id = app::certificates::request_plan(&st.app, p, id).await?;
    let r = app::certificates::decide(&st.app, p, id, f.decision == "approve")
        .await
        .map(|_| ());
    after(&st, &ctx, plan_id, r).await
}

/// The QR code of a certificate's public verification address, as inline SVG.
fn qr_svg(url: &str) -> String {
    use qrcode::render::svg;
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<svg::Color>().min_dimensions(160, 160).build();
            // Inline in the page: without the XML declaration.
            match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            }
        }
        Err(_) => String::new(),
    }
}

async fn certificate_page(
    st: &AppState,
    ctx: &RequestCtx,
    id: i64,
    errors: Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let c = app::certificates::certificate(&st.app, p, id).await?;
    let can_change = app::certificates::may_change_status(&st.app, p, &c).await?;
    let url = format!("{}/verify/{}", st.app.config.public_url(), c.number);
    let status = super::form_status(&errors);
    let data = json!({
        "cert": cert_row(&c),
        "body": c.body_name,
        "occupation_code": c.occupation_code,
        "verify_url": url,
        "qr": qr_svg(&url),
        "can_change": can_change,
        "errors": errors,
    });
    Ok((
        status,
        page(st, ctx, "certificate", "certificate.title", data)?,
    )
        .into_response())
}

pub async fn certificate(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    certificate_page(&st, &ctx, id, json!([])).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    reason: String,
}

pub async fn set_status(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Response, AppError> {
    let input = StatusInput {
        status: f.status,
        reason: f.reason,
    };
    match app::certificates::set_status(&st.app, ctx.principal()?, id, input).await {
        Ok(_) => Ok(see_other(&format!("/certificates/{id}")).into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            certificate_page(&st, &ctx, id, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VerifyQuery {
    number: String,
}

fn verify_page(
    st: &AppState,
    ctx: &RequestCtx,
    number: &str,
    found: Option<PublicCertificate>,
) -> Result<Response, AppError> {
    let searched = !number.is_empty();
    let data = json!({
        "number": number,
        "searched": searched,
        "cert": found.as_ref().map(|c| json!({
            "number": c.number, "kind": c.kind, "holder": c.holder, "occupation": format!("{} {}", c.occupation_code, c.occupation_name),
            "level": c.level, "body": c.body, "issued": c.issued_on, "status": c.status, "reason": c.status_reason,
            "valid": c.status == crate::domain::certificate::CertificateStatus::Valid, "body_exited": c.body_exited,
        })),
    });
    let status = match (searched, found.is_some()) {
        (true, false) => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    Ok((status, page(st, ctx, "verify", "verify.title", data)?).into_response())
}

/// The verification form; with `?number=` it shows that certificate's page.
pub async fn verify_form(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, AppError> {
    let number = q.number.trim().to_ascii_uppercase();
    if number.is_empty() {
        return verify_page(&st, &ctx, "", None);
    }
    Ok(see_other(&format!(
        "/verify/{}",
        crate::web::ctx::percent_encode(&number)
    ))
    .into_response())
}

/// Public verification of one number (what the QR code points to), rate-limited.
pub async fn verify(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(number): Path<String>,
) -> Result<Response, AppError> {
    let addr = ctx
        .address
        .parse()
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let found = app::certificates::verify_limited(&st.app, addr, &number).await?;
    verify_page(&st, &ctx, number.trim(), found)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    format: String,
}

/// The plan's results and certificates as the upward report (CSV or XLSX), in Chinese
/// whatever the page language: it is the official layout.
pub async fn export(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    use crate::formats::report::{results_csv, results_xlsx, ReportRow};
    use crate::web::i18n::Lang;
    let xlsx = q.format == "xlsx";
    let format = if xlsx { "xlsx" } else { "csv" };
    let r = app::grading::report(&st.app, ctx.principal()?, id, format).await?;
    let plan = &r.results.plan;
    let word = |key: &str| st.i18n.t(Lang::Zh, key, None);
    let rows: Vec<ReportRow> = r
        .results
        .candidates
        .iter()
        .map(|c| {
            let cert = r
                .certificates
                .iter()
                .find(|x| x.candidate_id == c.candidate_id);
            let outcome = match (c.absent, c.theory.as_ref()) {
                (true, _) => word("results.absent"),
                (_, Some(t)) if t.void => word("results.void"),
                (_, Some(t)) if t.vetoed => word("marking.vetoed"),
                (_, Some(_)) if c.passed => word("results.pass"),
                (_, Some(_)) => word("results.fail"),
                (_, None) => String::new(),
            };
            ReportRow {
                admission_no: c.admission_no.clone(),
                name: c.name.clone(),
                document: r
                    .roster
                    .iter()
                    .find(|e| e.candidate_id == c.candidate_id)
                    .map(|e| e.document_masked.clone())
                    .unwrap_or_default(),
                occupation_code: plan.occupation_code.clone(),
                occupation: plan.occupation_name.clone(),
                level: word(&format!("level_name.{}", plan.level)),
                theory: c
                    .theory
                    .as_ref()
                    .map(|t| points_text(t.score))
                    .unwrap_or_default(),
                irregularities: c
                    .irregularities
                    .iter()
                    .map(|i| {
                        format!(
                            "{} {}",
                            word(&format!("outcome.{}", i.outcome)),
                            i.description
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("；"),
                outcome,
                certificate_no: cert.map(|x| x.number.clone()).unwrap_or_default(),
                certificate_status: cert
                    .map(|x| word(&format!("certificate_status.{}", x.status.code())))
                    .unwrap_or_default(),
                issued_on: cert
                    .map(|x| crate::domain::time::local_date(x.issued_at_ms).to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let stem = format!("plan-{}-results", plan.id);
    let (bytes, mime) = if xlsx {
        let title = format!("{} 成绩及发证信息", plan.name);
        let bytes =
            results_xlsx(&title, &rows).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        (
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        (results_csv(&rows), "text/csv; charset=utf-8")
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, mime.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{format}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The signed-in person's skills record; `?format=json` downloads it.
pub async fn record(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let r = app::record::my_record(&st.app, ctx.principal()?).await?;
    if q.format == "json" {
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/json".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"skills-record.json\"".to_string(),
                ),
            ],
            serde_json::to_string_pretty(&r).unwrap_or_default(),
        )
            .into_response());
    }
    let data = json!({
        "name": r.name, "document": r.document_masked,
        "exams": r.exams.iter().map(|e| json!({"plan": e.plan_name, "occupation": e.occupation_name, "level": e.level,
            "starts": local_time(e.starts_at_ms), "status": e.status})).collect::<Vec<_>>(),
        "results": r.results.iter().map(|m| json!({"plan": m.plan_name, "component": m.component.code(), "occupation": m.occupation_name, "level": m.level,
            "score": m.result.theory.as_ref().map(|t| points_text(t.score)), "passed": m.result.passed,
            "published": local_time(m.publication.published_at_ms)})).collect::<Vec<_>>(),
        "certificates": r.certificates.iter().map(cert_row).collect::<Vec<_>>(),
        "subsidies": r.subsidies.iter().map(|g| json!({"number": g.certificate_number, "year": g.year,
            "amount": points_text(g.amount_cents as f64 / 100.0), "payee": g.payee})).collect::<Vec<_>>(),
        "training": r.training.iter().map(|t| json!({"course": t.course, "occupation": t.occupation_code,
            "hours": points_text(t.hours), "credits": points_text(t.credits), "on": t.completed_on,
            "body": t.body_name})).collect::<Vec<_>>(),
        "training_totals": {"hours": points_text(r.training_totals.hours), "credits": points_text(r.training_totals.credits),
            "by_year": r.training_totals.by_year.iter().map(|y| json!({"year": y.year,
                "hours": points_text(y.hours), "credits": points_text(y.credits)})).collect::<Vec<_>>()},
    });
    Ok(page(&st, &ctx, "record", "record.title", data)?.into_response())
}
