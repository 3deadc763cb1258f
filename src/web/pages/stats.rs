//! Item analysis pages (DESIGN §3.8): a bank's items across every plan that drew on it
//! and one plan's items, with a difficulty × discrimination plot and the option counts
//! of the flagged items drawn as SVG here (numbers only go into the drawing, so it is
//! inserted unescaped), so authors see which items to fix or retire.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::page;
use crate::app;
use crate::app::stats::{ItemReport, ItemRow};
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Path};
use crate::web::AppState;

const W: f64 = 560.0;
const H: f64 = 320.0;
const PAD: f64 = 40.0;

/// Difficulty (p, x axis 0–1) against corrected point-biserial (y axis −1–1); flagged
/// items in the warning colour, each point titled with its item id.
fn scatter(items: &[ItemRow]) -> String {
    let x = |p: f64| PAD + p.clamp(0.0, 1.0) * (W - 2.0 * PAD);
    let y = |r: f64| PAD + (1.0 - (r.clamp(-1.0, 1.0) + 1.0) / 2.0) * (H - 2.0 * PAD);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" class=\"plot\" role=\"img\" id=\"item-plot\">"
    );
    let _ = write!(
        s,
        "<rect x=\"{PAD}\" y=\"{PAD}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
        W - 2.0 * PAD,
        H - 2.0 * PAD
    );
    // The zero line of discrimination and the axes' labels.
    let _ = write!(
        s,
        "<line x1=\"{PAD}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>",
        y(0.0),
        W - PAD
    );
    for (v, label) in [(0.0, "0"), (0.5, "0.5"), (1.0, "1")] {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{label}</text>",
            x(v),
            H - PAD + 16.0
        );
    }
    for (v, label) in [(-1.0, "-1"), (0.0, "0"), (1.0, "1")] {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{label}</text>",
            PAD - 6.0,
            y(v) + 4.0
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">p</text>",
        W / 2.0,
        H - 6.0
    );
    let _ = write!(
        s,
        "<text x=\"12\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">r</text>",
        H / 2.0
    );
    for i in items {
        let Some(r) = i.stats.point_biserial else {
            continue;
        };
        let colour = if i.stats.flags.is_empty() {
            "#2b6cb0"
        } else {
            "#c05621"
        };
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\" fill-opacity=\"0.7\"><title>#{} p={:.2} r={:.2}</title></circle>",
            x(i.stats.p_value),
            y(r),
            i.stats.item_id,
            i.stats.p_value,
            r
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of how many chose each option (A, B, …) and left it blank.
fn option_bars(i: &ItemRow) -> String {
    let counts: Vec<u32> = i
        .stats
        .option_counts
        .iter()
        .copied()
        .chain(std::iter::once(i.stats.blank))
        .collect();
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let row = 18.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 260 {}\" class=\"bars\" role=\"img\">",
        row * counts.len() as f64 + 4.0
    );
    for (k, c) in counts.iter().enumerate() {
        let label = if k + 1 == counts.len() {
            "—".to_string()
        } else {
            crate::domain::item::option_key(k)
        };
        let y = row * k as f64 + 2.0;
        let w = 180.0 * f64::from(*c) / f64::from(max);
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.0}\" font-size=\"12\">{label}</text><rect x=\"20\" y=\"{y:.0}\" width=\"{w:.1}\" height=\"12\" fill=\"#718096\"/><text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\">{c}</text>",
            y + 11.0,
            w + 24.0,
            y + 11.0
        );
    }
    s.push_str("</svg>");
    s
}

fn render(
    st: &AppState,
    ctx: &RequestCtx,
    heading: String,
    back: String,
    r: &ItemReport,
) -> Result<Response, AppError> {
    let num = |x: Option<f64>| x.map(|v| format!("{v:.3}"));
    let data = json!({
        "heading": heading,
        "back": back,
        "paper": {"attempts": r.paper.attempts, "mean": format!("{:.3}", r.paper.mean),
            "sd": format!("{:.3}", r.paper.sd), "alpha": num(r.paper.alpha), "kr20": num(r.paper.kr20)},
        "elapsed_ms": r.elapsed_ms,
        "plot": scatter(&r.items),
        "flagged": r.items.iter().filter(|i| !i.stats.flags.is_empty()).count(),
        "items": r.items.iter().map(|i| json!({
            "id": i.stats.item_id, "external_id": i.external_id, "point": i.point_code,
            "stem": i.stem_text.chars().take(60).collect::<String>(),
            "has_text": !i.external_id.is_empty(),
            "n": i.stats.responses, "exposure": format!("{:.0}%", i.stats.exposure * 100.0),
            "p": format!("{:.2}", i.stats.p_value), "r": num(i.stats.point_biserial),
            "d": num(i.stats.upper_lower),
            "flags": i.stats.flags.iter().map(|f| f.code()).collect::<Vec<_>>(),
            "bars": (!i.stats.flags.is_empty()).then(|| option_bars(i)),
        })).collect::<Vec<_>>(),
    });
    Ok(page(st, ctx, "item_stats", "stats.items_title", data)?.into_response())
}

pub async fn bank(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let r = app::stats::bank_items(&st.app, p, id).await?;
    let bank = st.app.store.bank(id).await.map_err(app::Error::from)?;
    let heading = format!("{} {}", bank.occupation_code, bank.occupation_name);
    render(&st, &ctx, heading, format!("/banks/{id}"), &r)
}

pub async fn plan(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let p = ctx.principal()?;
    let r = app::stats::plan_items(&st.app, p, id).await?;
    let plan = st.app.store.plan(id).await.map_err(app::Error::from)?;
    render(&st, &ctx, plan.name, format!("/plans/{id}"), &r)
}
