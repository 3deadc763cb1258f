//! Grading and results (DESIGN §3.5): submitted attempts are scored automatically (at
//! submission, and by a background scorer that catches any the submitting process did
//! not finish, e.g. attempts submitted by the deadline sweeper or before a crash); a
//! plan's results are derived from the scores and the irregularities, published by the
//! body's admin with a review window, and shown to candidates only after publication.

use serde::Serialize;

use super::{audit_by, authorize, App, Error, Result};
use crate::domain::exam::AttemptStatus;
use crate::domain::grading::{
    is_absent, theory_result, ItemScore, Outcome, PaperScore, TheoryResult,
};
use crate::domain::policy::{Action, Principal};
use crate::store::grading::{Publication, ResultFacts};
use crate::store::plans::Plan;

/// Attempts scored per round of the background scorer (one transaction).
const SCORE_BATCH: i64 = 1000;

/// Scores one attempt's paper from its acknowledged answers (not yet recorded).
async fn compute(app: &App, attempt_id: i64) -> Result<PaperScore> {
    let rec = app.store.attempt(attempt_id).await?;
    let plan = app.store.plan(rec.plan_id).await?;
    let paper = app
        .delivery
        .papers
        .get(app.store.as_ref(), attempt_id)
        .await?;
    let answers: Vec<(u32, String)> = rec
        .answers
        .into_iter()
        .map(|a| (a.position, a.answer))
        .collect();
    Ok(paper.score(&answers, plan.template.partial_credit))
}

/// Scores and records one submitted attempt; `false` when it was already scored.
pub async fn score_attempt(app: &App, attempt_id: i64) -> Result<bool> {
    let score = compute(app, attempt_id).await?;
    Ok(app
        .store
        .record_score(attempt_id, &score, crate::now_ms())
        .await?)
}

/// What the scorer looks at: attempts finished at `since_ms` or later, of one plan or
/// all. The background scorer looks back a week (a scan of every finished attempt
/// ever, every 2 s, would grow with the years); publication scores its whole plan.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub since_ms: i64,
    pub plan_id: Option<i64>,
}

/// How far back the background scorer looks.
const RECENT_MS: i64 = 7 * 24 * 3_600_000;

/// Scores every finished attempt in `scope` that has no score yet, in batches of one
/// transaction each; returns how many were scored.
pub async fn score_pending(app: &App, scope: Scope) -> Result<u64> {
    score_pending_with(app.store.as_ref(), &app.delivery.papers, scope).await
}

/// [`score_pending`] over a store and a paper cache: papers and answers are read a batch
/// at a time (two reads per 1,000 attempts), item versions through the cache, and each
/// batch's scores written in one transaction while the next batch is read (on SQLite
/// the writer and the readers are different connections, so the two overlap).
pub async fn score_pending_with(
    store: &dyn crate::store::Store,
    papers: &super::delivery::caches::PaperCache,
    scope: Scope,
) -> Result<u64> {
    let mut total = 0;
    let mut plans: std::collections::HashMap<i64, Plan> = std::collections::HashMap::new();
    let read = |after: i64| async move {
        let ids = store
            .unscored_attempts(scope.since_ms, scope.plan_id, after, SCORE_BATCH)
            .await?;
        let last = ids.last().copied();
        Ok::<_, Error>((store.attempts_for_scoring(&ids).await?, last))
    };
    let (mut inputs, mut last) = read(0).await?;
    while let Some(after) = last {
        let mut scores = Vec::with_capacity(inputs.len());
        for input in std::mem::take(&mut inputs) {
            let partial = match plans.get(&input.plan_id) {
                Some(plan) => plan.template.partial_credit,
                None => {
                    let plan = store.plan(input.plan_id).await?;
                    let partial = plan.template.partial_credit;
                    plans.insert(input.plan_id, plan);
                    partial
                }
            };
            // One attempt that cannot be scored (its paper unreadable) is logged and
            // left for a person; it must not hold up every other attempt.
            match papers.build(store, input.attempt_id, &input.paper, 0).await {
                Ok(paper) => scores.push((input.attempt_id, paper.score(&input.answers, partial))),
                Err(e) => {
                    tracing::warn!(attempt_id = input.attempt_id, error = %e, "attempt not scored")
                }
            }
        }
        let (written, next) =
            tokio::join!(store.record_scores(&scores, crate::now_ms()), read(after));
        total += written?;
        (inputs, last) = next?;
    }
    Ok(total)
}

/// The background scorer: every few seconds, scores what was submitted without a score
/// (idempotent across processes: a score is written once).
pub fn spawn_scorer(app: App) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let scope = Scope {
                since_ms: crate::now_ms() - RECENT_MS,
                plan_id: None,
            };
            match score_pending(&app, scope).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(attempts = n, "scored"),
                Err(e) => tracing::warn!(error = %e, "scoring failed"),
            }
        }
    });
}

/// Scores a just-submitted attempt off the request's path, so submission answers at
/// once; the background scorer catches it if this fails.
pub fn score_soon(app: &App, attempt_id: i64) {
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = score_attempt(&app, attempt_id).await {
            tracing::warn!(attempt_id, error = %e, "scoring at submission failed");
        }
    });
}

/// One irregularity as a result shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IrregularityNote {
    /// `warning`, `deduction` or `void`.
    pub outcome: String,
    pub points: f64,
    pub description: String,
}

/// One candidate's result in a plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CandidateResult {
    pub candidate_id: i64,
    pub person_id: i64,
    pub name: String,
    pub admission_no: String,
    pub session_id: i64,
    pub attempt_id: Option<i64>,
    pub attempt_status: Option<String>,
    /// The theory component, once the attempt is scored.
    pub theory: Option<TheoryResult>,
    /// Never admitted, and the late-entry window closed (缺考).
    pub absent: bool,
    pub irregularities: Vec<IrregularityNote>,
    /// Every required component passed (today: the theory component).
    pub passed: bool,
    /// The review request's status (`open`, `upheld`, `changed`), if one was filed.
    pub review: Option<String>,
    /// Points a changed review added to (or took from) the paper.
    pub review_adjustment: f64,
}

/// A plan's results with their publication.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanResults {
    #[schema(value_type = Object)]
    pub plan: Plan,
    pub publication: Option<Publication>,
    /// Published and the review window is over: certificates may be issued.
    pub is_final: bool,
    pub candidates: Vec<CandidateResult>,
    pub scored: usize,
    pub passed: usize,
    /// Candidates whose attempt is still open (no paper yet, or not submitted and not
    /// absent): publication waits.
    pub open: usize,
    /// Reviews not yet decided (those candidates get no certificate until decided).
    pub reviews_open: usize,
}

/// `panel`: the points the assessor panels gave the attempt's marked positions, how
/// many positions they resolved, and whether a veto fails it.
fn result_of(
    plan: &Plan,
    f: ResultFacts,
    absent: bool,
    panel: Option<(f64, u32, bool)>,
) -> CandidateResult {
    let irregular: Vec<_> = f.irregularities.iter().map(|(o, p, _)| (*o, *p)).collect();
    let (panel_points, resolved, vetoed) = panel.unwrap_or((0.0, 0, false));
    let theory = f.score.map(|(points, max, pending)| {
        theory_result(
            crate::domain::grading::reviewed_points(
                points + panel_points,
                f.review_adjustment,
                max,
            ),
            max,
            pending.saturating_sub(resolved),
            vetoed,
            &irregular,
            plan.template.pass_mark,
        )
    });
    CandidateResult {
        passed: theory.as_ref().is_some_and(|t| t.passed),
        candidate_id: f.candidate_id,
        person_id: f.person_id,
        name: f.name,
        admission_no: f.admission_no,
        session_id: f.session_id,
        attempt_id: f.attempt_id,
        attempt_status: f.attempt_status,
        theory,
        absent,
        review: f.review_status.clone(),
        review_adjustment: f.review_adjustment,
        irregularities: f
            .irregularities
            .into_iter()
            .map(|(o, points, description)| IrregularityNote {
                outcome: o.code().into(),
                points,
                description,
            })
            .collect(),
    }
}

/// Results of a plan from what is recorded now.
pub(crate) async fn derive(app: &App, plan: &Plan) -> Result<PlanResults> {
    let facts = app.store.result_facts(plan.id, None).await?;
    let publication = app.store.publication(plan.id).await?;
    let now = crate::now_ms();
    let late_entry_ms = app.config.exams.late_entry_minutes.max(0) * 60_000;
    let starts: std::collections::HashMap<i64, i64> = app
        .store
        .sessions(plan.id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.starts_at_ms))
        .collect();
    let panel = super::marking::plan_panel_points(app, plan.id).await?;
    let candidates: Vec<CandidateResult> = facts
        .into_iter()
        .map(|f| {
            let status = f
                .attempt_status
                .as_deref()
                .and_then(AttemptStatus::from_code);
            let starts = starts.get(&f.session_id).copied().unwrap_or(i64::MAX);
            let absent = is_absent(status, starts, late_entry_ms, now);
            let marked = f
                .attempt_id
                .and_then(|a| panel.per_attempt.get(&a).copied());
            result_of(plan, f, absent, marked)
        })
        .collect();
    let open = candidates
        .iter()
        .filter(|c| {
            !c.absent
                && !matches!(
                    c.attempt_status.as_deref(),
                    Some("submitted") | Some("terminated")
                )
        })
        .count();
    let reviews_open = candidates
        .iter()
        .filter(|c| c.review.as_deref() == Some("open"))
        .count();
    Ok(PlanResults {
        plan: plan.clone(),
        is_final: crate::domain::certificate::results_final(
            publication.map(|p| (p.published_at_ms, p.review_until_ms)),
            crate::now_ms(),
        ),
        reviews_open,
        publication,
        scored: candidates.iter().filter(|c| c.theory.is_some()).count(),
        passed: candidates.iter().filter(|c| c.passed).count(),
        open,
        candidates,
    })
}

/// The other components of a plan's level (same body, occupation and level) each
/// person has passed in a plan whose results are final (published, review window
/// over, no review open): what a level needs besides this plan (DESIGN §3.5).
pub(crate) async fn components_passed(
    app: &App,
    plan: &Plan,
) -> Result<std::collections::HashMap<i64, Vec<crate::domain::exam::components::Component>>> {
    let required = app.config.exams.components.required(plan.level);
    let mut out: std::collections::HashMap<i64, Vec<_>> = std::collections::HashMap::new();
    for other in app.store.plans(Some(plan.body_id)).await? {
        let sibling = other.id != plan.id
            && other.occupation_id == plan.occupation_id
            && other.level == plan.level
            && other.component != plan.component
            && required.contains(&other.component);
        if !sibling {
            continue;
        }
        let r = derive(app, &other).await?;
        if !r.is_final {
            continue;
        }
        for c in r
            .candidates
            .iter()
            .filter(|c| c.passed && c.review.as_deref() != Some("open"))
        {
            let passed = out.entry(c.person_id).or_default();
            if !passed.contains(&other.component) {
                passed.push(other.component);
            }
        }
    }
    Ok(out)
}

/// A plan's results, for its body's admins, the regulator and a dispatched inspector.
pub async fn plan_results(app: &App, p: &Principal, plan_id: i64) -> Result<PlanResults> {
    let (plan, _) = super::plans::plan_for_viewer(app, p, plan_id).await?;
    derive(app, &plan).await
}

/// Publishes a plan's results: every attempt must be closed and scored (the scorer is
/// run first, so nothing waits on its next round).
pub async fn publish(app: &App, p: &Principal, plan_id: i64) -> Result<Publication> {
    let (plan, body) = super::plans::plan_to_change(app, p, plan_id).await?;
    authorize(p, Action::PublishResults, &body)?;
    let scope = Scope {
        since_ms: 0,
        plan_id: Some(plan_id),
    };
    score_pending(app, scope).await?;
    let results = derive(app, &plan).await?;
    if results.candidates.is_empty() || results.open > 0 {
        return Err(Error::field("plan_id", "result_error.attempts_open"));
    }
    let closed = |c: &&CandidateResult| !c.absent && c.attempt_id.is_some();
    if results.scored < results.candidates.iter().filter(closed).count() {
        return Err(Error::field("plan_id", "result_error.not_scored"));
    }
    // Publication closes marking: every task for assessors must be marked first, or
    // those candidates would stay failed for good.
    let marking = results
        .candidates
        .iter()
        .filter(|c| c.theory.as_ref().is_some_and(|t| t.pending > 0))
        .count();
    if marking > 0 {
        return Err(Error::field_detail(
            "plan_id",
            "result_error.marking_open",
            marking.to_string(),
        ));
    }
    let now = crate::now_ms();
    let publication = Publication {
        published_at_ms: now,
        review_until_ms: now + app.config.exams.review_window_hours.max(0) * 3_600_000,
    };
    let audit = audit_by(
        p,
        "results.publish",
        "plan",
        plan_id,
        Some(plan.body_id),
        serde_json::json!({"candidates": results.candidates.len(), "passed": results.passed}),
    );
    app.store
        .publish_results(plan_id, p.user_id, publication, audit)
        .await?;
    Ok(publication)
}

/// A candidate's own published result, with the per-position breakdown (points and
/// outcome only: never a key).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyResult {
    pub plan_id: i64,
    pub plan_name: String,
    /// The component the plan assessed (theory, skills, review).
    pub component: crate::domain::exam::components::Component,
    pub occupation_name: String,
    pub level: u8,
    pub publication: Publication,
    pub result: CandidateResult,
    pub breakdown: Vec<ItemScore>,
}

/// The signed-in candidate's results: only those of published plans.
pub async fn my_results(app: &App, p: &Principal) -> Result<Vec<MyResult>> {
    let Some(person) = app.store.user(p.user_id).await?.person_id else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (plan_id, candidate_id) in app.store.candidacies(person).await? {
        let Some(publication) = app.store.publication(plan_id).await? else {
            continue;
        };
        let plan = app.store.plan(plan_id).await?;
        let facts = app.store.result_facts(plan_id, Some(candidate_id)).await?;
        let Some(mine) = facts.into_iter().next() else {
            continue;
        };
        let status = mine
            .attempt_status
            .as_deref()
            .and_then(AttemptStatus::from_code);
        let absent = status == Some(AttemptStatus::Ready);
        let panel = super::marking::plan_panel_points(app, plan_id).await?;
        let marked = mine
            .attempt_id
            .and_then(|a| panel.per_attempt.get(&a).copied());
        let result = result_of(&plan, mine, absent, marked);
        let mut breakdown = match result.attempt_id {
            Some(a) => app.store.item_scores(a).await?,
            None => Vec::new(),
        };
        // Positions the panel marked show the panel's points.
        for item in &mut breakdown {
            let key = (result.attempt_id.unwrap_or(0), item.position);
            if let Some((points, _)) = panel.per_position.get(&key) {
                item.points = *points;
                item.outcome = match *points {
                    p if p + 1e-9 >= item.max_points => Outcome::Correct,
                    p if p > 0.0 => Outcome::Partial,
                    _ => Outcome::Wrong,
                };
            }
        }
        out.push(MyResult {
            plan_id,
            plan_name: plan.name.clone(),
            component: plan.component,
            occupation_name: plan.occupation_name.clone(),
            level: plan.level,
            publication,
            result,
            breakdown,
        });
    }
    Ok(out)
}

/// What the upward report of a plan holds: its results, the roster (masked document
/// numbers) and the certificates.
pub struct Report {
    pub results: PlanResults,
    pub roster: Vec<crate::store::plans::RosterEntry>,
    pub certificates: Vec<crate::store::certificates::Certificate>,
}

/// A plan's results and certificates for export, for those who may see the plan. The
/// export leaves the system with people's names in it, so it is audited.
pub async fn report(app: &App, p: &Principal, plan_id: i64, format: &str) -> Result<Report> {
    let (plan, body) = super::plans::plan_for_viewer(app, p, plan_id).await?;
    let results = derive(app, &plan).await?;
    let event = audit_by(
        p,
        "results.export",
        "plan",
        plan_id,
        Some(body.id),
        serde_json::json!({"format": format, "rows": results.candidates.len()}),
    );
    app.store.append_audit(event).await?;
    Ok(Report {
        roster: app.store.roster(plan.id, None).await?,
        certificates: app.store.plan_certificates(plan.id).await?,
        results,
    })
}
