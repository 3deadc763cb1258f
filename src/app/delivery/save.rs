//! Answer saves: checked against the paper (positions, shapes, sizes; never a key),
//! then handed to the group-commit writer and acknowledged only after the durable
//! commit that contains them.

use serde::{Deserialize, Serialize};

use super::attempt_of;
use crate::app::{App, Error, Result};
use crate::domain::exam::{self, SaveRefusal};
use crate::store::delivery::{Change, ExamIdentity, ExamOp, ExamOpResult};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SaveRequest {
    pub changes: Vec<ChangeInput>,
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangeInput {
    /// Position on the paper, from 0.
    pub position: u32,
    /// The attempt's sequence number of this change (increasing; replays are no-ops).
    pub seq: i64,
    /// Option positions as shown (`[0, 2]`), `true`/`false`, or text; `null` clears.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub answer: serde_json::Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SaveAck {
    /// The highest sequence number now durable.
    pub seq: i64,
    /// Server time of the commit: the page shows "已保存 hh:mm:ss" from this.
    pub saved_at_ms: i64,
}

/// Checks a save against the paper, then waits for the group commit that makes it
/// durable. Refusals (paused, closed, past the deadline) come back as 409 with the
/// reason; the writer logs them.
pub async fn save(app: &App, who: &ExamIdentity, req: SaveRequest) -> Result<SaveAck> {
    let attempt_id = attempt_of(who)?;
    if req.changes.is_empty() || req.changes.len() > exam::MAX_CHANGES_PER_SAVE {
        return Err(Error::field("changes", "exam_error.changes"));
    }
    let paper = app
        .delivery
        .papers
        .get(app.store.as_ref(), attempt_id)
        .await?;
    let mut changes = Vec::with_capacity(req.changes.len());
    for (i, c) in req.changes.into_iter().enumerate() {
        let Some((item_type, options)) = paper.layout(c.position as usize) else {
            return Err(Error::field(
                &format!("changes[{i}].position"),
                "exam_error.position",
            ));
        };
        if !(1..=exam::MAX_SEQ).contains(&c.seq) {
            return Err(Error::field(&format!("changes[{i}].seq"), "exam_error.seq"));
        }
        if let Err(code) = exam::validate_answer(item_type, options.min(255) as u8, &c.answer) {
            return Err(Error::field(
                &format!("changes[{i}].answer"),
                &format!("exam_error.{code}"),
            ));
        }
        let answer = c.answer.to_string();
        if answer.len() > exam::MAX_ANSWER_BYTES {
            return Err(Error::field(
                &format!("changes[{i}].answer"),
                "exam_error.answer_size",
            ));
        }
        changes.push(Change {
            position: c.position,
            seq: c.seq,
            answer,
        });
    }
    match app
        .delivery
        .writer
        .submit(ExamOp::Save {
            attempt_id,
            session: who.token_hash.clone(),
            changes,
        })
        .await?
    {
        ExamOpResult::Saved { seq, at_ms } => Ok(SaveAck {
            seq,
            saved_at_ms: at_ms,
        }),
        ExamOpResult::Refused(r) => Err(refusal(r)),
        // As if the session had not been found: the page sends the candidate to sign in.
        ExamOpResult::SessionEnded => {
            app.delivery.sessions.forget(&who.token_hash);
            Err(Error::Unauthenticated)
        }
        other => Err(Error::Internal(anyhow::anyhow!("unexpected {other:?}"))),
    }
}

pub fn refusal(r: SaveRefusal) -> Error {
    Error::Refused { code: r.code() }
}
