//! Grading and results: the automatic scores of submitted attempts with their
//! per-position breakdown, the facts a plan's results are derived from, and the
//! publication of results with their review window.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::IrregularityOutcome;
use crate::domain::grading::{ItemScore, PaperScore};

/// One candidate of a plan with what their result is derived from. Nothing here is an
/// editable score: the result is computed from it by `domain::grading`.
#[derive(Debug, Clone)]
pub struct ResultFacts {
    pub candidate_id: i64,
    pub person_id: i64,
    pub name: String,
    pub admission_no: String,
    pub session_id: i64,
    pub attempt_id: Option<i64>,
    /// The attempt's status code, if there is an attempt.
    pub attempt_status: Option<String>,
    /// `(points, max_points, pending)` once the attempt is scored.
    pub score: Option<(f64, f64, u32)>,
    /// Irregularity outcomes recorded on the attempt, with their points.
    pub irregularities: Vec<(IrregularityOutcome, f64, String)>,
    /// Points a decided review added to (or took from) the paper.
    pub review_adjustment: f64,
    /// The review request's status, if one was filed.
    pub review_status: Option<String>,
}

/// A plan's publication: when, by whom, and until when candidates may ask for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Publication {
    pub published_at_ms: i64,
    pub review_until_ms: i64,
}

/// What scoring an attempt reads: its paper and its acknowledged answers (JSON text by
/// position).
#[derive(Debug, Clone)]
pub struct ScoringInput {
    pub attempt_id: i64,
    pub plan_id: i64,
    pub paper: crate::domain::assembly::Paper,
    pub answers: Vec<(u32, String)>,
}

#[async_trait]
pub trait GradingStore: Send + Sync {
    /// Papers and answers of many attempts in two reads (scoring a whole plan).
    async fn attempts_for_scoring(&self, ids: &[i64]) -> Result<Vec<ScoringInput>>;
    /// Submitted or terminated attempts without a score yet, finished at `since_ms` or
    /// later (and of `plan_id`, when given), with ids above `after`, oldest first.
    async fn unscored_attempts(
        &self,
        since_ms: i64,
        plan_id: Option<i64>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<i64>>;
    /// Records an attempt's score once; `false` when it was already scored (a replay,
    /// or another process got there first).
    async fn record_score(&self, attempt_id: i64, score: &PaperScore, at_ms: i64) -> Result<bool>;
    /// Records many attempts' scores in one transaction (scoring a whole plan); returns
    /// how many were new.
    async fn record_scores(&self, scores: &[(i64, PaperScore)], at_ms: i64) -> Result<u64>;
    async fn item_scores(&self, attempt_id: i64) -> Result<Vec<ItemScore>>;
    /// The response records of scored attempts (item analysis): of one plan, of every
    /// plan drawing on one bank, or all.
    async fn attempt_responses(
        &self,
        plan_id: Option<i64>,
        bank_id: Option<i64>,
    ) -> Result<Vec<Vec<crate::domain::stats::Response>>>;
    /// One plan's response records with their attempt and session (answer-similarity
    /// checks compare candidates of one room): `(attempt, session, responses)`.
    async fn session_responses(
        &self,
        plan_id: i64,
    ) -> Result<Vec<(i64, i64, Vec<crate::domain::stats::Response>)>>;
    /// Every candidate of a plan (or the one given) with the facts of their result.
    async fn result_facts(&self, plan_id: i64, candidate: Option<i64>) -> Result<Vec<ResultFacts>>;
    /// The candidacies of a person: `(plan_id, candidate_id)`, newest first.
    async fn candidacies(&self, person_id: i64) -> Result<Vec<(i64, i64)>>;
    async fn publication(&self, plan_id: i64) -> Result<Option<Publication>>;
    /// Publishes a plan's results; a second publication is a conflict.
    async fn publish_results(
        &self,
        plan_id: i64,
        by: i64,
        publication: Publication,
        audit: AuditEvent,
    ) -> Result<()>;
}
