//! The subsidy page (body admins and the regulator): check a certificate against the
//! region's policy, record the subsidy granted, and read the ledger.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::plans::with_errors;
use super::{page, see_other};
use crate::app;
use crate::app::subsidies::GrantInput;
use crate::domain::exam::points_text;
use crate::domain::time::local_time;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form, Query};
use crate::web::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckQuery {
    number: String,
}

async fn subsidies_page(
    st: &AppState,
    ctx: &RequestCtx,
    number: &str,
    errors: Value,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let mut errors = errors;
    let check = match number.trim() {
        "" => None,
        n => match app::subsidies::check(&st.app, p, n).await {
            Ok(c) => Some(c),
            Err(e) => {
                errors = with_errors(st, ctx, e)?;
                None
            }
        },
    };
    let ledger = app::subsidies::ledger(&st.app, p).await?;
    let status = super::form_status(&errors);
    let data = json!({
        "number": number.trim(),
        "check": check.as_ref().map(|c| json!({
            "number": c.certificate.number, "holder": c.certificate.holder_name, "kind": c.certificate.kind,
            "occupation": format!("{} {}", c.certificate.occupation_code, c.certificate.occupation_name),
            "level": c.certificate.level, "issued": crate::domain::time::local_date(c.certificate.issued_at_ms).to_string(),
            "status": c.certificate.status, "eligible": c.eligible, "rule": c.rule.map(|r| r.code()),
            "history": c.subsidised_before,
        })),
        "ledger": ledger.iter().map(|g| json!({
            "number": g.certificate_number, "occupation": g.occupation_code, "level": g.level, "year": g.year,
            "amount": points_text(g.amount_cents as f64 / 100.0), "payee": g.payee, "payee_name": g.payee_name,
            "by": g.granted_by, "at": local_time(g.granted_at_ms),
        })).collect::<Vec<_>>(),
        // The region's numbers as configured, not as the defaults read.
        "policy": {"cap": st.app.config.exams.subsidies.max_per_year,
                   "window": st.app.config.exams.subsidies.claim_window_months},
        "errors": errors,
    });
    Ok((status, page(st, ctx, "subsidies", "subsidy.title", data)?).into_response())
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Query(q): Query<CheckQuery>,
) -> Result<Response, AppError> {
    subsidies_page(&st, &ctx, &q.number, json!([])).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GrantForm {
    number: String,
    amount: String,
    payee: String,
    payee_name: String,
}

pub async fn grant(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<GrantForm>,
) -> Result<Response, AppError> {
    let input = GrantInput {
        number: f.number.clone(),
        amount: f.amount.trim().parse().unwrap_or(f64::NAN),
        payee: f.payee,
        payee_name: f.payee_name,
    };
    match app::subsidies::grant(&st.app, ctx.principal()?, input).await {
        Ok(_) => Ok(see_other("/subsidies").into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            subsidies_page(&st, &ctx, &f.number, errors).await
        }
    }
}
