//! The answers a candidate saves: their shape per item type (checked without keys),
//! size limits, and the save rule itself ([`AnswerSheet`]).

use std::collections::BTreeMap;

use super::clock::{Clock, SaveRefusal};
use crate::domain::item::ItemType;

/// Bytes of one saved answer (an essay of a few thousand characters fits).
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;
/// Changes in one save request (a client flushing its queue after an outage).
pub const MAX_CHANGES_PER_SAVE: usize = 500;
/// The highest sequence number a client may give a change. Pages number changes from
/// the last acknowledged one, so real sequences stay far below; without a bound one
/// save numbered `i64::MAX` would freeze a position for good and overflow the server's
/// own numbering of plain-form saves.
pub const MAX_SEQ: i64 = 1 << 40;

/// The save rule, as a model of one attempt's acknowledged answers: a save is written
/// only while the clock lets saves in ([`Clock::check_save`]), and each change of it
/// only over an older sequence number at its position, so a replay is a no-op and an
/// older change never overwrites a newer one. The store applies the same rule in SQL,
/// batch by batch; a property test compares the two on generated histories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerSheet {
    /// Position → (sequence, answer).
    pub answers: BTreeMap<u32, (i64, String)>,
}

/// What a save gets back: written (or already there), with the highest sequence of the
/// request, or refused with the reason (nothing written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved { seq: i64 },
    Refused(SaveRefusal),
}

impl AnswerSheet {
    /// Applies one save of `(position, sequence, answer)` changes arriving at `now_ms`.
    pub fn save(
        &mut self,
        clock: &Clock,
        now_ms: i64,
        grace_ms: i64,
        changes: &[(u32, i64, String)],
    ) -> SaveOutcome {
        if let Err(r) = clock.check_save(now_ms, grace_ms) {
            return SaveOutcome::Refused(r);
        }
        for (position, seq, answer) in changes {
            let newer = self
                .answers
                .get(position)
                .is_none_or(|(stored, _)| stored < seq);
            if newer {
                self.answers.insert(*position, (*seq, answer.clone()));
            }
        }
        SaveOutcome::Saved {
            seq: changes.iter().map(|c| c.1).max().unwrap_or(0),
        }
    }
}

/// An answer as stored: an empty choice (`[]`), blank text or a matching with no pair
/// given is no answer (`null`), so "answered" means something was given.
pub fn normalise_answer(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let empty = match &value {
        Value::Array(a) => a.iter().all(Value::is_null),
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    };
    match empty {
        true => Value::Null,
        false => value,
    }
}

/// Checks one saved answer against its item: the shape the page produces for the type,
/// option positions within the item, bounded size. Keys are never needed here.
pub fn validate_answer(
    item_type: ItemType,
    options: u8,
    value: &serde_json::Value,
) -> Result<(), &'static str> {
    use serde_json::Value;
    if value.is_null() {
        return Ok(()); // cleared
    }
    let positions = |v: &Value, max_len: usize| -> Result<(), &'static str> {
        let arr = v.as_array().ok_or("answer_shape")?;
        if arr.len() > max_len {
            return Err("answer_shape");
        }
        for x in arr {
            match x.as_u64() {
                Some(i) if i < u64::from(options) => {}
                _ => return Err("answer_option"),
            }
        }
        Ok(())
    };
    match item_type {
        ItemType::TrueFalse => value.as_bool().map(|_| ()).ok_or("answer_shape"),
        ItemType::SingleChoice => positions(value, 1),
        ItemType::MultipleChoice => positions(value, usize::from(options)),
        // Orderings as shown positions, or typed as text (e.g. "BDAC") on the plain page.
        ItemType::Ordering if value.is_string() => Ok(()),
        ItemType::Ordering => positions(value, usize::from(options)),
        // Matchings as one entry per left-hand item, or typed as text.
        ItemType::Matching if value.is_string() => Ok(()),
        ItemType::Matching => {
            let arr = value.as_array().ok_or("answer_shape")?;
            if arr.len() > 64 || arr.iter().any(|x| !x.is_string() && !x.is_null()) {
                return Err("answer_shape");
            }
            Ok(())
        }
        ItemType::FillIn
        | ItemType::Numerical
        | ItemType::ShortAnswer
        | ItemType::Essay
        | ItemType::Practical => value.as_str().map(|_| ()).ok_or("answer_shape"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::clock::AttemptStatus;
    use super::*;

    #[test]
    fn a_replay_or_an_older_change_never_overwrites() {
        let clock = Clock {
            status: AttemptStatus::InProgress,
            started_at_ms: Some(0),
            deadline_ms: Some(1_000),
            paused_at_ms: None,
            extension_ms: 0,
        };
        let mut sheet = AnswerSheet::default();
        let c = |p, s, a: &str| (p, s, a.to_string());
        assert_eq!(
            sheet.save(&clock, 10, 0, &[c(0, 2, "B"), c(1, 1, "x")]),
            SaveOutcome::Saved { seq: 2 }
        );
        // Older, then a replay with another answer: acknowledged, not written.
        sheet.save(&clock, 20, 0, &[c(0, 1, "A")]);
        sheet.save(&clock, 30, 0, &[c(0, 2, "Z")]);
        assert_eq!(sheet.answers[&0], (2, "B".into()));
        assert_eq!(
            sheet.save(&clock, 1_001, 0, &[c(0, 3, "C")]),
            SaveOutcome::Refused(SaveRefusal::PastDeadline)
        );
        assert_eq!(sheet.answers[&0], (2, "B".into()));
    }

    #[test]
    fn answers_are_checked_against_the_item() {
        use serde_json::json;
        assert_eq!(normalise_answer(json!([])), json!(null));
        assert_eq!(normalise_answer(json!("  ")), json!(null));
        assert_eq!(normalise_answer(json!([null, null])), json!(null));
        assert_eq!(normalise_answer(json!([0])), json!([0]));
        assert_eq!(normalise_answer(json!(false)), json!(false));
        assert!(validate_answer(ItemType::SingleChoice, 4, &json!([3])).is_ok());
        assert!(validate_answer(ItemType::SingleChoice, 4, &json!([4])).is_err());
        assert!(validate_answer(ItemType::SingleChoice, 4, &json!([0, 1])).is_err());
        assert!(validate_answer(ItemType::MultipleChoice, 5, &json!([0, 4])).is_ok());
        assert!(validate_answer(ItemType::TrueFalse, 0, &json!(true)).is_ok());
        assert!(validate_answer(ItemType::TrueFalse, 0, &json!("x")).is_err());
        assert!(validate_answer(ItemType::Essay, 0, &json!("text")).is_ok());
        assert!(validate_answer(ItemType::Essay, 0, &json!(null)).is_ok());
        assert!(validate_answer(ItemType::Ordering, 4, &json!("BDAC")).is_ok());
        assert!(validate_answer(ItemType::Ordering, 4, &json!([3, 1, 0, 2])).is_ok());
        assert!(validate_answer(ItemType::Matching, 3, &json!("A-2, B-1")).is_ok());
    }
}
