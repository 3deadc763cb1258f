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
    #[schema(value_type = Value)]
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
    checked_save(app, who, req.changes, exam::MAX_SEQ).await
}

/// A save whose sequence numbers may go up to `max_seq`: clients number their changes
/// (bounded by [`exam::MAX_SEQ`]); the server numbers plain-form saves after whatever is
/// stored, so those may go one past it.
async fn checked_save(
    app: &App,
    who: &ExamIdentity,
    input: Vec<ChangeInput>,
    max_seq: i64,
) -> Result<SaveAck> {
    let attempt_id = attempt_of(who)?;
    if input.is_empty() || input.len() > exam::MAX_CHANGES_PER_SAVE {
        return Err(Error::field("changes", "exam_error.changes"));
    }
    let paper = app
        .delivery
        .papers
        .get(app.store.as_ref(), attempt_id)
        .await?;
    let mut changes = Vec::with_capacity(input.len());
    for (i, c) in input.into_iter().enumerate() {
        let Some((item_type, options)) = paper.layout(c.position as usize) else {
            return Err(Error::field(
                &format!("changes[{i}].position"),
                "exam_error.position",
            ));
        };
        if !(1..=max_seq).contains(&c.seq) {
            return Err(Error::field(&format!("changes[{i}].seq"), "exam_error.seq"));
        }
        if let Err(code) = exam::validate_answer(item_type, options.min(255) as u8, &c.answer) {
            return Err(Error::field(
                &format!("changes[{i}].answer"),
                &format!("exam_error.{code}"),
            ));
        }
        // An empty answer ([] or blank text) is no answer: stored as cleared, so
        // progress counts only what was answered.
        let answer = exam::normalise_answer(c.answer).to_string();
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

/// The plain-form save of the exam page (no script): every answer field of the paper at
/// once (`a{n}` holds the answer to position `n`; `p{n}` marks a choice item present,
/// so clearing all its boxes clears it). The server numbers it after everything already
/// stored, so a later form save always wins over an earlier one.
pub async fn save_form(app: &App, who: &ExamIdentity, fields: &[(String, String)]) -> Result<()> {
    use crate::domain::item::ItemType;
    use serde_json::json;
    let Some(attempt_id) = who.attempt_id else {
        return Ok(());
    };
    let seq = app.store.attempt(attempt_id).await?.last_seq + 1;
    let paper = app
        .delivery
        .papers
        .get(app.store.as_ref(), attempt_id)
        .await?
        .view();
    let mut changes = Vec::new();
    for it in &paper.items {
        let key = format!("a{}", it.position);
        let values: Vec<&str> = fields
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        let answer = match it.item_type {
            ItemType::TrueFalse => match values.first() {
                Some(&"true") => json!(true),
                Some(&"false") => json!(false),
                _ => continue,
            },
            ItemType::SingleChoice | ItemType::MultipleChoice => {
                let marker = format!("p{}", it.position);
                if values.is_empty() && !fields.iter().any(|(k, _)| *k == marker) {
                    continue;
                }
                json!(values
                    .iter()
                    .filter_map(|v| v.parse::<u64>().ok())
                    .collect::<Vec<_>>())
            }
            _ => match values.first() {
                Some(v) => json!(v),
                None => continue,
            },
        };
        changes.push(ChangeInput {
            position: it.position,
            seq,
            answer,
        });
    }
    // The page's marks (`m{n}` ticked), when the form carries them (`marks`).
    if fields.iter().any(|(k, _)| k == "marks") && paper_shown(app, attempt_id).await? {
        let marked = app.store.marks(attempt_id).await?;
        for it in &paper.items {
            let on = fields
                .iter()
                .any(|(k, _)| *k == format!("m{}", it.position));
            if on != marked.contains(&it.position) {
                app.store.set_mark(attempt_id, it.position, on).await?;
            }
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    checked_save(app, who, changes, seq.max(exam::MAX_SEQ)).await?;
    Ok(())
}

async fn paper_shown(app: &App, attempt_id: i64) -> Result<bool> {
    Ok(app
        .store
        .attempt(attempt_id)
        .await?
        .clock
        .status
        .shows_paper())
}
