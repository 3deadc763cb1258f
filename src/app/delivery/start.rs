//! Start: the candidate presses start once the proctor has admitted them.

use super::{attempt_of, candidate_event};
use crate::app::{App, Error, Result};
use crate::domain::exam::Clock;
use crate::store::delivery::{ExamIdentity, ExamOp, ExamOpResult};

/// The candidate presses start (only after the proctor admitted them); again later, it
/// simply resumes.
pub async fn start(app: &App, who: &ExamIdentity) -> Result<Clock> {
    let attempt_id = attempt_of(who)?;
    let op = ExamOp::Start {
        attempt_id,
        audit: candidate_event(who, "attempt.start", attempt_id),
    };
    match app.delivery.writer.submit(op).await? {
        ExamOpResult::Started(c) => Ok(c),
        ExamOpResult::StartRefused(code) => Err(Error::BadRequest { code, detail: None }),
        other => Err(Error::Internal(anyhow::anyhow!("unexpected {other:?}"))),
    }
}
