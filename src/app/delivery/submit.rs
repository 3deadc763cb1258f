//! Submission by the candidate, with the answers saved so far.

use super::{attempt_of, candidate_event};
use crate::app::{App, Error, Result};
use crate::store::delivery::{ExamIdentity, ExamOp, ExamOpResult};

/// Submits the attempt; after the deadline it counts as submitted at the deadline.
pub async fn submit(app: &App, who: &ExamIdentity) -> Result<i64> {
    let attempt_id = attempt_of(who)?;
    let op = ExamOp::Submit {
        attempt_id,
        audit: candidate_event(who, "attempt.submit", attempt_id),
    };
    match app.delivery.writer.submit(op).await? {
        ExamOpResult::Submitted { at_ms } => {
            crate::app::grading::score_soon(app, attempt_id);
            Ok(at_ms)
        }
        ExamOpResult::StartRefused(code) => Err(Error::BadRequest { code, detail: None }),
        other => Err(Error::Internal(anyhow::anyhow!("unexpected {other:?}"))),
    }
}
