//! Panel marking (DESIGN §3.4, §3.5): the body puts qualified assessors on a session's
//! panel (recusal, rotation, an odd panel of the required size), each assessor marks
//! the positions that wait for assessors against the item's rubric, independently and
//! blind (nobody sees another's mark until the whole panel has submitted), the panel's
//! marks become one score or go to the leader for arbitration, and a submitted mark
//! changes only by a correction that a second person approves.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{audit_by, App, Error, Result};
use crate::domain::grading::panel::{
    mark_points, panel_outcome, ElementMarks, PanelMark, PanelOutcome,
};
use crate::domain::item::{ItemContent, RubricElement};
use crate::domain::policy::{decide, Action, Principal};
use crate::store::marking::{Arbitration, MarkRow, NewMark};
use crate::store::plans::{Plan, PlanSession};
use crate::store::Org;

mod panel;

pub use panel::{assign_assessor, grant_qualification, AssessorInput, QualificationInput};

/// The session, plan and body of an attempt, for a caller who marks in that session
/// (an assessor assigned to it who still holds the role at the body) or administers
/// the body; 404 for anyone else.
async fn attempt_for_marker(
    app: &App,
    p: &Principal,
    attempt_id: i64,
) -> Result<(Plan, PlanSession, Org, bool)> {
    let rec = app
        .store
        .attempt(attempt_id)
        .await
        .map_err(|_| Error::NotFound)?;
    let session = app.store.plan_session(rec.session_id).await?;
    let plan = app.store.plan(rec.plan_id).await?;
    let body = app.store.org(plan.body_id).await?;
    let panel = app.store.session_assessors(session.id).await?;
    let assigned = panel.iter().any(|(s, _)| s.user_id == p.user_id);
    let leader = panel.iter().any(|(s, l)| s.user_id == p.user_id && *l);
    decide(p, Action::AssessSession { assigned }, &body.as_ref()).map_err(|_| Error::NotFound)?;
    Ok((plan, session, body, leader))
}

/// Marking itself (not seeing it) needs the assessor role at the body now: a panel
/// member who lost it, even one who is also the body's admin, no longer marks.
fn marks_here(p: &Principal, body: &Org) -> bool {
    decide(p, Action::MarkSession { assigned: true }, &body.as_ref()).is_ok()
}

/// The credit gate for marking (DESIGN §3.8): a suspended or disqualified assessor
/// marks no more, and an exited body's plans are frozen.
async fn credit_gate(app: &App, p: &Principal, body: &Org) -> Result<()> {
    crate::app::credit::require_assessor(app, p.user_id, "position").await?;
    crate::app::credit::require_body(app, body.id, crate::app::credit::Gate::Continue, "plan")
        .await?;
    Ok(())
}

/// The item, rubric and points of a position that waits for assessors.
async fn position_item(
    app: &App,
    attempt_id: i64,
    position: u32,
) -> Result<(std::sync::Arc<ItemContent>, f64)> {
    let scores = app.store.item_scores(attempt_id).await?;
    let pending = scores
        .iter()
        .any(|s| s.position == position && s.outcome == crate::domain::grading::Outcome::Pending);
    if !pending {
        return Err(Error::NotFound);
    }
    let paper = app
        .delivery
        .papers
        .get(app.store.as_ref(), attempt_id)
        .await?;
    paper.slot(position as usize).ok_or(Error::NotFound)
}

/// Marks after publication would change a published result behind the candidates'
/// back: refused (a review request is the way to change a published result).
async fn refuse_published(app: &App, plan_id: i64) -> Result<()> {
    match app.store.publication(plan_id).await? {
        Some(_) => Err(Error::field("position", "result_error.already_published")),
        None => Ok(()),
    }
}

/// The panel rule applied to one position's marks, with the session's panel size.
pub fn outcome(
    app: &App,
    marks: &[&MarkRow],
    panel: usize,
    max_points: f64,
    arbitration: Option<&Arbitration>,
) -> PanelOutcome {
    let marks: Vec<PanelMark> = marks
        .iter()
        .map(|m| PanelMark {
            points: m.points,
            veto: m.veto,
        })
        .collect();
    let threshold = max_points * app.config.exams.arbitration_spread_percent / 100.0;
    panel_outcome(
        &marks,
        panel,
        app.config.exams.panel_aggregation,
        threshold,
        arbitration.map(|a| PanelMark {
            points: a.points,
            veto: a.veto,
        }),
    )
}

/// One position in an assessor's queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueEntry {
    pub plan_id: i64,
    pub plan_name: String,
    pub session_id: i64,
    pub room_name: String,
    /// Candidates are marked blind: by attempt, never by name.
    pub attempt_id: i64,
    pub position: u32,
    pub marked_by_me: bool,
    pub outcome: PanelOutcome,
    pub leader: bool,
}

/// The caller's marking queue: every position waiting for assessors in their sessions.
pub async fn queue(app: &App, p: &Principal) -> Result<Vec<QueueEntry>> {
    let mut out = Vec::new();
    for session_id in app.store.assessor_sessions(p.user_id).await? {
        let session = app.store.plan_session(session_id).await?;
        let plan = app.store.plan(session.plan_id).await?;
        let body = app.store.org(plan.body_id).await?;
        if decide(p, Action::AssessSession { assigned: true }, &body.as_ref()).is_err() {
            continue;
        }
        let panel = app.store.session_assessors(session_id).await?;
        let leader = panel.iter().any(|(s, l)| s.user_id == p.user_id && *l);
        let marks = app.store.plan_marks(plan.id).await?;
        let arbitrations = app.store.plan_arbitrations(plan.id).await?;
        for (attempt_id, position) in app.store.pending_positions(session_id).await? {
            let here: Vec<&MarkRow> = marks
                .iter()
                .filter(|m| m.attempt_id == attempt_id && m.position == position)
                .collect();
            let arb = arbitrations
                .iter()
                .find(|a| a.attempt_id == attempt_id && a.position == position);
            let max = here.first().map(|m| m.max_points).unwrap_or(0.0);
            out.push(QueueEntry {
                plan_id: plan.id,
                plan_name: plan.name.clone(),
                session_id,
                room_name: session.room_name.clone(),
                attempt_id,
                position,
                marked_by_me: here.iter().any(|m| m.assessor_id == p.user_id),
                outcome: outcome(app, &here, panel.len(), max, arb),
                leader,
            });
        }
    }
    Ok(out)
}

/// What an assessor sees of one task: the question, reference answer and rubric, the
/// candidate's answer (blind), their own mark, and the others' marks only once the
/// whole panel has submitted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub plan_id: i64,
    pub attempt_id: i64,
    pub position: u32,
    pub stem: String,
    pub reference: Option<String>,
    pub rubric: Vec<RubricElement>,
    pub max_points: f64,
    #[schema(value_type = Value)]
    pub answer: serde_json::Value,
    pub mine: Option<MarkRow>,
    /// Every active mark, once the panel has submitted (empty before).
    pub panel_marks: Vec<MarkRow>,
    /// Corrections waiting for a second person.
    pub proposals: Vec<MarkRow>,
    pub outcome: PanelOutcome,
    pub arbitration: Option<Arbitration>,
    pub leader: bool,
    pub panel_size: usize,
    /// Results are published: marks no longer change here.
    pub published: bool,
}

pub async fn task(app: &App, p: &Principal, attempt_id: i64, position: u32) -> Result<TaskView> {
    let (plan, session, _, leader) = attempt_for_marker(app, p, attempt_id).await?;
    let (item, max_points) = position_item(app, attempt_id, position).await?;
    let rec = app.store.attempt(attempt_id).await?;
    let answer = rec
        .answers
        .iter()
        .find(|a| a.position == position)
        .and_then(|a| serde_json::from_str(&a.answer).ok())
        .unwrap_or(serde_json::Value::Null);
    let all = app.store.attempt_marks(attempt_id).await?;
    let here: Vec<&MarkRow> = all
        .iter()
        .filter(|m| m.position == position && m.status == "active")
        .collect();
    let panel = app.store.session_assessors(session.id).await?;
    let arbitration = app
        .store
        .plan_arbitrations(plan.id)
        .await?
        .into_iter()
        .find(|a| a.attempt_id == attempt_id && a.position == position);
    let outcome = outcome(app, &here, panel.len(), max_points, arbitration.as_ref());
    let everyone_in = !matches!(outcome, PanelOutcome::Waiting { .. });
    Ok(TaskView {
        plan_id: plan.id,
        attempt_id,
        position,
        stem: item.stem.clone(),
        reference: item.reference.clone(),
        rubric: item.rubric.clone(),
        max_points,
        answer,
        mine: here
            .iter()
            .find(|m| m.assessor_id == p.user_id)
            .map(|m| (*m).clone()),
        panel_marks: match everyone_in {
            true => here.iter().map(|m| (*m).clone()).collect(),
            false => Vec::new(),
        },
        proposals: all
            .iter()
            .filter(|m| m.position == position && m.status == "proposed")
            .filter(|m| everyone_in || m.assessor_id == p.user_id)
            .cloned()
            .collect(),
        outcome,
        // The arbitrator's decision is part of the panel's marks: hidden as they are.
        arbitration: arbitration.filter(|_| everyone_in),
        leader,
        panel_size: panel.len(),
        published: app.store.publication(plan.id).await?.is_some(),
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MarkInput {
    /// Points per rubric element, in the rubric's order (0 for veto elements).
    pub points: Vec<f64>,
    /// Indexes of veto elements the candidate did not meet.
    pub vetoed: Vec<usize>,
    /// Evidence: what the assessor saw.
    pub note: String,
    /// For a correction: why.
    pub reason: String,
}

fn checked_mark(
    item: &ItemContent,
    max_points: f64,
    input: &MarkInput,
) -> Result<(ElementMarks, f64, bool)> {
    let marks = ElementMarks {
        points: input.points.clone(),
        vetoed: input.vetoed.clone(),
    };
    let (points, veto) = mark_points(&item.rubric, &marks, max_points).map_err(|e| {
        let (code, detail) = e.code();
        match detail {
            Some(d) => Error::field_detail("elements", code, d),
            None => Error::field("elements", code),
        }
    })?;
    if input.note.chars().count() > 2000 {
        return Err(Error::field_detail("note", "field.too_long", "2000"));
    }
    Ok((marks, points, veto))
}

/// Submits the caller's mark of a task (once; later changes are corrections).
pub async fn submit(
    app: &App,
    p: &Principal,
    attempt_id: i64,
    position: u32,
    input: MarkInput,
) -> Result<i64> {
    let (plan, session, body, _) = attempt_for_marker(app, p, attempt_id).await?;
    let panel = app.store.session_assessors(session.id).await?;
    if !panel.iter().any(|(s, _)| s.user_id == p.user_id) || !marks_here(p, &body) {
        return Err(Error::Forbidden);
    }
    credit_gate(app, p, &body).await?;
    refuse_published(app, plan.id).await?;
    // A station is marked once it has been held: not before its session starts.
    if plan.component.at_stations() && session.starts_at_ms > crate::now_ms() {
        return Err(Error::field("position", "marking_error.not_started"));
    }
    let (item, max_points) = position_item(app, attempt_id, position).await?;
    let (elements, points, veto) = checked_mark(&item, max_points, &input)?;
    let event = audit_by(
        p,
        "mark.submit",
        "attempt",
        attempt_id,
        Some(body.id),
        serde_json::json!({"position": position, "points": points, "veto": veto}),
    );
    let mark = NewMark {
        attempt_id,
        position,
        assessor_id: p.user_id,
        elements,
        points,
        veto,
        note: input.note.trim().to_string(),
    };
    Ok(app.store.submit_mark(mark, event).await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ArbitrationInput {
    pub points: f64,
    pub veto: bool,
    pub reason: String,
}

/// The panel leader decides a task whose marks spread beyond the threshold.
pub async fn arbitrate(
    app: &App,
    p: &Principal,
    attempt_id: i64,
    position: u32,
    input: ArbitrationInput,
) -> Result<()> {
    let (plan, _, body, leader) = attempt_for_marker(app, p, attempt_id).await?;
    if !leader || !marks_here(p, &body) {
        return Err(Error::Forbidden);
    }
    credit_gate(app, p, &body).await?;
    refuse_published(app, plan.id).await?;
    let view = task(app, p, attempt_id, position).await?;
    if !matches!(view.outcome, PanelOutcome::Arbitration { .. }) {
        return Err(Error::field("position", "marking_error.no_arbitration"));
    }
    if !(0.0..=view.max_points).contains(&input.points) || !input.points.is_finite() {
        return Err(Error::field_detail(
            "score",
            "field.range",
            format!("0–{}", crate::domain::exam::points_text(view.max_points)),
        ));
    }
    let reason = input.reason.trim().to_string();
    if reason.is_empty() {
        return Err(Error::field("reason", "field.required"));
    }
    let event = audit_by(
        p,
        "mark.arbitrate",
        "attempt",
        attempt_id,
        Some(body.id),
        serde_json::json!({"position": position, "points": input.points, "veto": input.veto}),
    );
    let a = Arbitration {
        attempt_id,
        position,
        arbitrator_id: p.user_id,
        points: crate::domain::grading::round2(input.points),
        veto: input.veto,
        reason,
        at_ms: event.at_ms,
    };
    Ok(app.store.arbitrate(a, event).await?)
}

/// A mark, for a caller who marks in its session or administers its body (404 else).
pub async fn mark_for_marker(app: &App, p: &Principal, mark_id: i64) -> Result<MarkRow> {
    let m = app.store.mark(mark_id).await?;
    attempt_for_marker(app, p, m.attempt_id).await?;
    Ok(m)
}

/// Proposes a correction of the caller's own submitted mark, with the reason; it takes
/// effect when the panel leader or the body's admin approves it.
pub async fn propose_correction(
    app: &App,
    p: &Principal,
    mark_id: i64,
    input: MarkInput,
) -> Result<i64> {
    let old = app.store.mark(mark_id).await?;
    let (plan, _, body, _) = attempt_for_marker(app, p, old.attempt_id).await?;
    if old.assessor_id != p.user_id || !marks_here(p, &body) {
        return Err(Error::Forbidden);
    }
    credit_gate(app, p, &body).await?;
    refuse_published(app, plan.id).await?;
    // Once the leader has decided, the arbitration is the score: a correction would be
    // accepted and change nothing.
    let arbitrated = app
        .store
        .plan_arbitrations(plan.id)
        .await?
        .iter()
        .any(|a| a.attempt_id == old.attempt_id && a.position == old.position);
    if arbitrated {
        return Err(Error::field("mark_id", "marking_error.arbitrated"));
    }
    let reason = input.reason.trim().to_string();
    if reason.is_empty() {
        return Err(Error::field("reason", "field.required"));
    }
    let (item, max_points) = position_item(app, old.attempt_id, old.position).await?;
    let (elements, points, veto) = checked_mark(&item, max_points, &input)?;
    let event = audit_by(
        p,
        "mark.correct",
        "attempt",
        old.attempt_id,
        Some(body.id),
        serde_json::json!({"mark_id": mark_id, "position": old.position, "points": points, "reason": reason}),
    );
    let mark = NewMark {
        attempt_id: old.attempt_id,
        position: old.position,
        assessor_id: p.user_id,
        elements,
        points,
        veto,
        note: input.note.trim().to_string(),
    };
    Ok(app
        .store
        .propose_correction(mark_id, mark, reason, event)
        .await?)
}

/// Approves or rejects a proposed correction: the panel's leader or the body's admin,
/// never the assessor who proposed it.
pub async fn decide_correction(
    app: &App,
    p: &Principal,
    mark_id: i64,
    approve: bool,
) -> Result<()> {
    let proposal = app.store.mark(mark_id).await?;
    let (plan, _, body, leader) = attempt_for_marker(app, p, proposal.attempt_id).await?;
    let body_admin = decide(p, Action::PlanExams, &body.as_ref()).is_ok();
    if !(leader || body_admin) {
        return Err(Error::Forbidden);
    }
    if proposal.assessor_id == p.user_id {
        return Err(Error::field("mark_id", "marking_error.own_correction"));
    }
    refuse_published(app, plan.id).await?;
    let event = audit_by(
        p,
        if approve {
            "mark.correction_approve"
        } else {
            "mark.correction_reject"
        },
        "attempt",
        proposal.attempt_id,
        Some(body.id),
        serde_json::json!({"mark_id": mark_id}),
    );
    Ok(app
        .store
        .decide_correction(mark_id, approve, p.user_id, event)
        .await?)
}

/// What the assessor panels decided in a plan, for the results.
#[derive(Default)]
pub struct PanelPoints {
    /// Per attempt: points added, positions resolved, whether a veto fails it.
    pub per_attempt: HashMap<i64, (f64, u32, bool)>,
    /// Per `(attempt, position)`: the points and whether vetoed.
    pub per_position: HashMap<(i64, u32), (f64, bool)>,
}

pub async fn plan_panel_points(app: &App, plan_id: i64) -> Result<PanelPoints> {
    let marks = app.store.plan_marks(plan_id).await?;
    if marks.is_empty() {
        return Ok(PanelPoints::default());
    }
    let arbitrations = app.store.plan_arbitrations(plan_id).await?;
    let mut panel_of_session: HashMap<i64, usize> = HashMap::new();
    for s in app.store.sessions(plan_id).await? {
        panel_of_session.insert(s.id, app.store.session_assessors(s.id).await?.len());
    }
    let mut session_of_attempt: HashMap<i64, i64> = HashMap::new();
    for r in app.store.roster(plan_id, None).await? {
        if let Some(a) = r.attempt_id {
            session_of_attempt.insert(a, r.session_id);
        }
    }
    let mut groups: HashMap<(i64, u32), Vec<&MarkRow>> = HashMap::new();
    for m in &marks {
        groups
            .entry((m.attempt_id, m.position))
            .or_default()
            .push(m);
    }
    let mut out = PanelPoints::default();
    for ((attempt, position), here) in groups {
        let panel = session_of_attempt
            .get(&attempt)
            .and_then(|s| panel_of_session.get(s))
            .copied()
            .unwrap_or(usize::MAX);
        let arb = arbitrations
            .iter()
            .find(|a| a.attempt_id == attempt && a.position == position);
        let max = here.first().map(|m| m.max_points).unwrap_or(0.0);
        if let PanelOutcome::Scored { points, vetoed } = outcome(app, &here, panel, max, arb) {
            out.per_position
                .insert((attempt, position), (points, vetoed));
            let e = out.per_attempt.entry(attempt).or_insert((0.0, 0, false));
            e.0 += points;
            e.1 += 1;
            e.2 |= vetoed;
        }
    }
    Ok(out)
}
