//! The statistics pages (季报/年报, DESIGN §3.8): a period's figures by occupation,
//! level, body and city with bar charts drawn here as SVG, the regulator's outlier
//! flags with their evidence and a link to open an inspection, and the XLSX download.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::page;
use crate::app;
use crate::app::reports::{Period, PeriodReport, Row};
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Query};
use crate::web::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PeriodQuery {
    /// `2026` or `2026Q4`; the current year when empty.
    pub period: String,
}

pub(crate) fn period_of(q: &PeriodQuery) -> Result<Period, AppError> {
    match q.period.trim() {
        "" => Ok(Period {
            year: crate::today().year(),
            quarter: None,
        }),
        s => Period::parse(s).ok_or_else(|| app::Error::field("period", "report_error.period")),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal bars, one per row: the label (escaped: names come from users), a bar in
/// proportion to `value / max`, and the value's text.
pub(crate) fn hbars(id: &str, rows: &[(String, f64, String)], max: f64) -> String {
    let (row, label_w, bar_w) = (22.0, 220.0, 300.0);
    let h = row * rows.len() as f64 + 6.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {h}\" class=\"chart\" role=\"img\" id=\"{id}\">",
        label_w + bar_w + 80.0
    );
    for (k, (label, value, text)) in rows.iter().enumerate() {
        let y = row * k as f64 + 4.0;
        let w = if max > 0.0 {
            bar_w * (value / max).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let short: String = label.chars().take(16).collect();
        let _ = write!(
            s,
            "<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"{:.0}\" y=\"{y:.0}\" width=\"{w:.1}\" height=\"15\" fill=\"#2b6cb0\"/><text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\">{}</text>",
            label_w - 6.0,
            y + 12.0,
            escape(&short),
            label_w,
            label_w + w + 4.0,
            y + 12.0,
            escape(text)
        );
    }
    s.push_str("</svg>");
    s
}

fn pct(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
}

fn rows_json(rows: &[Row]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            json!({"label": r.label, "plans": r.plans, "candidates": r.candidates, "sat": r.sat,
                "passed": r.passed, "rate": pct(r.pass_rate), "certificates": r.certificates,
                "subsidies": r.subsidies, "subsidy": format!("{:.2}", r.subsidy_yuan)})
        })
        .collect()
}

fn rate_chart(id: &str, rows: &[Row]) -> String {
    let bars: Vec<(String, f64, String)> = rows
        .iter()
        .filter(|r| r.pass_rate.is_some())
        .take(30)
        .map(|r| {
            (
                r.label.clone(),
                r.pass_rate.unwrap_or(0.0),
                pct(r.pass_rate),
            )
        })
        .collect();
    // No rate to draw (nobody sat yet): no empty chart, the table says it.
    match bars.is_empty() {
        true => String::new(),
        false => hbars(id, &bars, 1.0),
    }
}

fn render(st: &AppState, ctx: &RequestCtx, r: &PeriodReport) -> Result<Response, AppError> {
    let max_certs = r.by_city.iter().map(|c| c.certificates).max().unwrap_or(0);
    let cert_bars: Vec<(String, f64, String)> = r
        .by_city
        .iter()
        .map(|c| {
            (
                c.label.clone(),
                f64::from(c.certificates),
                c.certificates.to_string(),
            )
        })
        .collect();
    let en = ctx.lang == crate::web::i18n::Lang::En;
    let data = json!({
        "label": r.label, "period": r.label, "scope": r.scope,
        "totals": rows_json(std::slice::from_ref(&r.totals))[0],
        "by_occupation": rows_json(&r.by_occupation),
        "by_level": rows_json(&r.by_level),
        "by_body": rows_json(&r.by_body),
        "by_city": rows_json(&r.by_city),
        "chart_bodies": rate_chart("chart-body-rates", &r.by_body),
        "chart_occupations": rate_chart("chart-occupation-rates", &r.by_occupation),
        "chart_cities": match max_certs {
            0 => String::new(),
            _ => hbars("chart-city-certificates", &cert_bars, f64::from(max_certs)),
        },
        "flags": r.flags.iter().map(|f| json!({
            "kind": f.kind, "subject": f.subject,
            "detail": if en { &f.detail_en } else { &f.detail },
            "evidence": f.evidence, "open": f.open_inspection,
        })).collect::<Vec<_>>(),
        "sees_flags": ctx.principal.as_ref().is_some_and(|p| p.is_regulator_admin() || p.has_role(crate::domain::role::Role::QualityInspector)),
    });
    Ok(page(st, ctx, "reports", "report.title", data)?.into_response())
}

pub async fn show(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let period = period_of(&q)?;
    let r = app::reports::report(&st.app, ctx.principal()?, period).await?;
    render(&st, &ctx, &r)
}

/// The report as XLSX (pages and API).
pub async fn export(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let period = period_of(&q)?;
    let r = app::reports::report(&st.app, ctx.principal()?, period).await?;
    let bytes = app::reports::workbook(&r).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let name = format!("skillcert-report-{}.xlsx", r.label);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
