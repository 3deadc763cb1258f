//! Grading and results (DESIGN §3.5): automatic scoring of objective items
//! ([`score`]), a paper's total, and the theory component's result with the
//! irregularity outcomes applied (a deduction lowers the score, a void fails the
//! component). Each component is out of 100 and passes at the plan's pass mark; no
//! averaging across components. Pure: the store records what these functions return.

pub mod panel;
pub mod score;

pub use score::{normalise_text, round2, score_item, ItemScore, Outcome, Scoring};

use serde::Serialize;

use crate::domain::exam::{IrregularityOutcome, PartialCredit};

/// A scored paper: each position, the points of the objective part, the paper's total
/// and how many positions wait for assessors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaperScore {
    pub items: Vec<ItemScore>,
    pub points: f64,
    pub max_points: f64,
    pub pending: u32,
    /// What item analysis reads of each position (`domain::stats`), when the caller
    /// knows the items' ids; stored with the score. Never shown to candidates.
    #[serde(skip)]
    pub responses: Vec<crate::domain::stats::Response>,
}

pub fn score_paper<'a>(
    positions: impl IntoIterator<Item = Scoring<'a>>,
    partial: PartialCredit,
) -> PaperScore {
    let items: Vec<ItemScore> = positions
        .into_iter()
        .map(|s| score_item(&s, partial))
        .collect();
    PaperScore {
        points: round2(items.iter().map(|i| i.points).sum()),
        max_points: round2(items.iter().map(|i| i.max_points).sum()),
        pending: items
            .iter()
            .filter(|i| i.outcome == Outcome::Pending)
            .count() as u32,
        items,
        responses: Vec::new(),
    }
}

/// The theory component of one candidate, as results show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TheoryResult {
    /// Points scored on the paper before any deduction.
    pub raw_points: f64,
    /// Points taken off for irregularities.
    pub deducted: f64,
    pub max_points: f64,
    /// Out of 100: (raw − deducted) / max × 100, never below 0.
    pub score: f64,
    /// The pass mark out of 100.
    pub pass_mark: f64,
    pub passed: bool,
    /// A proctor voided the paper: the component fails whatever the score.
    pub void: bool,
    /// Most of an assessor panel marked a veto element unmet (否决项): the component
    /// fails whatever the score.
    pub vetoed: bool,
    /// Positions still waiting for assessors: the result is not complete.
    pub pending: u32,
}

/// The paper's result from its points (objective and panel-marked), the positions
/// still waiting for assessors, whether a panel vetoed, the irregularities recorded on
/// the attempt (outcome, points) and the plan's pass mark in the paper's points.
pub fn theory_result(
    points: f64,
    max_points: f64,
    pending: u32,
    vetoed: bool,
    irregularities: &[(IrregularityOutcome, f64)],
    pass_mark_points: f64,
) -> TheoryResult {
    let deducted: f64 = irregularities
        .iter()
        .filter(|(o, _)| *o == IrregularityOutcome::Deduction)
        .map(|(_, p)| p.max(0.0))
        .sum();
    let void = irregularities
        .iter()
        .any(|(o, _)| *o == IrregularityOutcome::Void);
    let net = (points - deducted).max(0.0);
    let hundred = |p: f64| match max_points > 0.0 {
        true => round2(p / max_points * 100.0),
        false => 0.0,
    };
    let score = if void { 0.0 } else { hundred(net) };
    let pass_mark = hundred(pass_mark_points);
    TheoryResult {
        raw_points: round2(points),
        deducted: round2(deducted),
        max_points,
        score,
        pass_mark,
        // Decided in points, not on the rounded percentage (179.99 of 300 is not 180).
        passed: !void && !vetoed && pending == 0 && net + 1e-9 >= pass_mark_points,
        void,
        vetoed,
        pending,
    }
}

/// A paper's points after a review decision added (or took) `adjustment` points: never
/// below 0 or above the paper's total.
pub fn reviewed_points(points: f64, adjustment: f64, max_points: f64) -> f64 {
    round2((points + adjustment).clamp(0.0, max_points.max(0.0)))
}

/// Whether a candidate may still ask for a review: results published and the window
/// still open.
pub fn review_open(published: Option<(i64, i64)>, now_ms: i64) -> bool {
    matches!(published, Some((_, until)) if now_ms < until)
}

/// A candidate is absent (缺考) when their attempt was never admitted and the session's
/// late-entry window has closed: they can no longer sign in, so their result is final
/// (no score, not passed) and does not hold up publication.
pub fn is_absent(
    status: Option<crate::domain::exam::AttemptStatus>,
    session_starts_ms: i64,
    late_entry_ms: i64,
    now_ms: i64,
) -> bool {
    status == Some(crate::domain::exam::AttemptStatus::Ready)
        && now_ms > session_starts_ms + late_entry_ms
}

#[cfg(test)]
mod tests;
