//! Statistics for oversight and authors (DESIGN §3.8): item analysis of a plan or of
//! every plan drawing on a bank (`domain::stats`), with the items that misbehave named
//! for their authors.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::{App, Result};
use crate::domain::policy::{Action, Principal};
use crate::domain::stats::{analyse, Analysis, ItemStats};
use crate::store::items::ItemSummary;

/// One analysed item with what identifies it for its author.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemRow {
    #[serde(flatten)]
    pub stats: ItemStats,
    pub external_id: String,
    pub point_code: String,
    /// Plain text of the latest stem (never a key).
    pub stem_text: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemReport {
    pub paper: crate::domain::stats::PaperStats,
    /// Flagged items first, then by item id.
    pub items: Vec<ItemRow>,
    /// How long reading and analysing took.
    pub elapsed_ms: u64,
}

/// Reads the response records and analyses them, timing both (the `skillcert stats`
/// command prints the time).
pub async fn analyse_scope(
    store: &dyn crate::store::Store,
    plan_id: Option<i64>,
    bank_id: Option<i64>,
) -> Result<(Analysis, Duration, Duration)> {
    let t0 = Instant::now();
    let attempts = store.attempt_responses(plan_id, bank_id).await?;
    let read = t0.elapsed();
    let t1 = Instant::now();
    let analysis = analyse(&attempts);
    Ok((analysis, read, t1.elapsed()))
}

/// `with_text`: the caller may read the bank's items; others (a body's admins) see
/// item ids and figures only, never stems.
async fn report(
    app: &App,
    analysis: Analysis,
    elapsed: Duration,
    with_text: bool,
) -> Result<ItemReport> {
    let mut items = Vec::with_capacity(analysis.items.len());
    for s in analysis.items {
        let summary: Option<ItemSummary> = match with_text {
            true => app.store.item(s.item_id).await.ok(),
            false => None,
        };
        items.push(ItemRow {
            external_id: summary
                .as_ref()
                .map(|i| i.external_id.clone())
                .unwrap_or_default(),
            point_code: summary
                .as_ref()
                .map(|i| i.point_code.clone())
                .unwrap_or_default(),
            stem_text: summary.map(|i| i.stem_text).unwrap_or_default(),
            stats: s,
        });
    }
    items.sort_by_key(|r| (r.stats.flags.is_empty(), r.stats.item_id));
    Ok(ItemReport {
        paper: analysis.paper,
        items,
        elapsed_ms: elapsed.as_millis() as u64,
    })
}

/// Item analysis across every plan that drew on a bank, for those who may read the
/// bank's items (its authors and reviewers, the regulator).
pub async fn bank_items(app: &App, p: &Principal, bank_id: i64) -> Result<ItemReport> {
    super::banks::bank_for(app, p, bank_id, Action::ReadBank).await?;
    let (analysis, read, run) = analyse_scope(app.store.as_ref(), None, Some(bank_id)).await?;
    report(app, analysis, read + run, true).await
}

/// Item analysis of one plan, for those who may see the plan.
pub async fn plan_items(app: &App, p: &Principal, plan_id: i64) -> Result<ItemReport> {
    let (plan, _) = super::plans::plan_for_viewer(app, p, plan_id).await?;
    let reads_bank = super::banks::bank_for(app, p, plan.bank_id, Action::ReadBank)
        .await
        .is_ok();
    let (analysis, read, run) = analyse_scope(app.store.as_ref(), Some(plan_id), None).await?;
    report(app, analysis, read + run, reads_bank).await
}
