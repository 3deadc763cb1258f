//! The candidate's exam day (DESIGN §3.4): exam-day login with admission number and ID
//! number, start, answer saves, submission, and what the candidate may see of their
//! paper and state. Writes go through the group-commit writer ([`writer`]): many saves
//! share one durable commit and each is answered only when that commit is done. The
//! caches ([`caches`]) keep immutable papers and the fixed part of exam sessions off
//! the save path; the sweeper ([`sweeper`]) submits attempts at their deadline.
//!
//! An answer save, end to end: `web/routes/mod.rs` → `web/api/exams.rs` → [`save`] →
//! [`writer`] → `store/sql/delivery.rs` (`apply_exam_ops`, one transaction) → commit.

pub mod caches;
mod login;
pub mod paper_view;
mod save;
mod start;
mod submit;
pub mod sweeper;
pub mod writer;

pub use login::{login, logout, ExamLogin};
pub use save::{save, save_form, ChangeInput, SaveAck, SaveRequest};
pub use start::start;
pub use submit::submit;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{App, Error, Result};
use crate::config::ExamConfig;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::AttemptStatus;
use crate::store::delivery::ExamIdentity;
use crate::store::{Backend, Store};

/// The exam-day machinery of one server process.
pub struct Delivery {
    pub writer: writer::GroupCommit,
    /// Generated papers as candidates see them (immutable once generated).
    pub papers: caches::PaperCache,
    /// Exam-day sessions as answer saves look them up (checked live by the writer).
    pub sessions: caches::ExamSessionCache,
}

impl Delivery {
    /// Starts the group-commit writers and the deadline sweeper.
    pub fn start(store: Arc<dyn Store>, cfg: &ExamConfig) -> Delivery {
        let grace_ms = cfg.grace_seconds * 1000;
        let writers = match (cfg.writers, store.backend()) {
            (0, Backend::Sqlite) => 1,
            (0, Backend::Postgres) => 4,
            (n, _) => n,
        };
        let writer = writer::GroupCommit::start(store.clone(), writers, grace_ms);
        sweeper::spawn(store, grace_ms);
        Delivery {
            writer,
            papers: caches::PaperCache::default(),
            sessions: caches::ExamSessionCache::default(),
        }
    }
}

/// The attempt's state as the candidate may see it: status, server clock, and the
/// acknowledged answers with their sequence numbers. No keys, no scores.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExamState {
    pub attempt_id: Option<i64>,
    pub status: Option<AttemptStatus>,
    pub server_now_ms: i64,
    pub remaining_ms: Option<i64>,
    pub deadline_ms: Option<i64>,
    pub last_seq: i64,
    pub last_saved_at_ms: Option<i64>,
    pub item_count: usize,
    pub answers: Vec<StateAnswer>,
    /// Positions the candidate marked to come back to (kept with the attempt, so they
    /// follow the candidate to another computer).
    pub marks: Vec<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StateAnswer {
    pub position: u32,
    pub seq: i64,
    #[schema(value_type = Value)]
    pub answer: serde_json::Value,
}

pub async fn state(app: &App, who: &ExamIdentity) -> Result<ExamState> {
    let now = crate::now_ms();
    let Some(attempt_id) = who.attempt_id else {
        return Ok(ExamState {
            attempt_id: None,
            status: None,
            server_now_ms: now,
            remaining_ms: None,
            deadline_ms: None,
            last_seq: 0,
            last_saved_at_ms: None,
            item_count: 0,
            answers: vec![],
            marks: vec![],
        });
    };
    let rec = app.store.attempt(attempt_id).await?;
    let marks = app.store.marks(attempt_id).await?;
    Ok(ExamState {
        marks,
        attempt_id: Some(attempt_id),
        status: Some(rec.clock.status),
        server_now_ms: now,
        remaining_ms: rec.clock.remaining_ms(now),
        deadline_ms: rec.clock.deadline_ms,
        last_seq: rec.last_seq,
        last_saved_at_ms: rec.last_saved_at_ms,
        item_count: rec.paper.items.len(),
        answers: rec
            .answers
            .into_iter()
            .map(|a| StateAnswer {
                position: a.position,
                seq: a.seq,
                answer: serde_json::from_str(&a.answer).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MarkInput {
    pub position: u32,
    pub marked: bool,
}

/// Marks a question to come back to (or clears the mark), while the paper is shown.
pub async fn mark(app: &App, who: &ExamIdentity, input: MarkInput) -> Result<()> {
    let attempt_id = attempt_of(who)?;
    let rec = app.store.attempt(attempt_id).await?;
    if !rec.clock.status.shows_paper() {
        return Err(Error::BadRequest {
            code: "attempt_not_started",
            detail: None,
        });
    }
    if input.position as usize >= rec.paper.items.len() {
        return Err(Error::field("position", "exam_error.position"));
    }
    Ok(app
        .store
        .set_mark(attempt_id, input.position, input.marked)
        .await?)
}

/// The candidate's paper (no keys), only while the attempt runs
/// ([`AttemptStatus::shows_paper`]).
pub async fn paper(app: &App, who: &ExamIdentity) -> Result<paper_view::CandidatePaper> {
    let state = state(app, who).await?;
    match (state.attempt_id, state.status) {
        (Some(id), Some(s)) if s.shows_paper() => Ok(app
            .delivery
            .papers
            .get(app.store.as_ref(), id)
            .await?
            .view()),
        _ => Err(Error::BadRequest {
            code: "attempt_not_started",
            detail: None,
        }),
    }
}

/// What the exam page shows: the state, and the paper while the attempt runs.
pub async fn page(
    app: &App,
    who: &ExamIdentity,
) -> Result<(ExamState, Option<paper_view::CandidatePaper>)> {
    let state = state(app, who).await?;
    let paper = match (state.attempt_id, state.status) {
        (Some(id), Some(s)) if s.shows_paper() => Some(
            app.delivery
                .papers
                .get(app.store.as_ref(), id)
                .await?
                .view(),
        ),
        _ => None,
    };
    Ok((state, paper))
}

fn attempt_of(who: &ExamIdentity) -> Result<i64> {
    who.attempt_id.ok_or(Error::BadRequest {
        code: "exam_not_ready",
        detail: None,
    })
}

fn candidate_event(who: &ExamIdentity, action: &str, attempt_id: i64) -> AuditEvent {
    AuditEvent {
        at_ms: crate::now_ms(),
        actor_user_id: None,
        actor: format!("candidate:{}", who.candidate_id),
        action: action.into(),
        object_type: "attempt".into(),
        object_id: attempt_id.to_string(),
        org_id: None,
        details: "{}".into(),
    }
}
