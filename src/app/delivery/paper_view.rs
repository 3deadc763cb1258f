//! What a candidate sees of a paper: stems and options in their shuffled order,
//! relabelled A, B, C…; never a key, reference, rubric or explanation.

use std::sync::Arc;

use serde::Serialize;

use crate::domain::item::{ItemContent, ItemType};

/// One item as the candidate sees it: the stem and the options in their shuffled order,
/// relabelled A, B, C… in that order. Never the key, reference, rubric or explanation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub position: u32,
    pub item_type: ItemType,
    pub points: f64,
    /// Sanitised HTML.
    pub stem: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OptionView {
    pub label: String,
    /// Sanitised HTML.
    pub text: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CandidatePaper {
    pub attempt_id: i64,
    pub duration_ms: i64,
    pub total_points: f64,
    pub items: Vec<ItemView>,
}

/// A generated paper as the server keeps it in memory: each position points at the
/// shared item version and carries its points and option order. About 60 bytes per
/// position, so 10,000 papers in progress cost tens of megabytes, not the stems copied
/// 10,000 times; the candidate's view is built from it on request.
pub struct CachedPaper {
    pub attempt_id: i64,
    pub duration_ms: i64,
    pub total_points: f64,
    pub(super) slots: Vec<Slot>,
}

/// One position of a cached paper.
pub(super) struct Slot {
    pub(super) item_id: i64,
    pub(super) content: Arc<ItemContent>,
    pub(super) points: f64,
    pub(super) option_order: Box<[u8]>,
}

impl CachedPaper {
    /// Item type and option count at a position: what a save is checked against.
    pub fn layout(&self, position: usize) -> Option<(ItemType, usize)> {
        self.slots
            .get(position)
            .map(|s| (s.content.item_type, s.content.options.len()))
    }

    /// The item and points at a position (for assessors: its rubric and reference).
    pub fn slot(&self, position: usize) -> Option<(Arc<ItemContent>, f64)> {
        self.slots
            .get(position)
            .map(|s| (s.content.clone(), s.points))
    }

    /// Scores the paper against the acknowledged answers (`domain::grading`): the
    /// shown option order maps the candidate's choices back to the item's keys.
    pub fn score(
        &self,
        answers: &[(u32, String)],
        partial: crate::domain::exam::PartialCredit,
    ) -> crate::domain::grading::PaperScore {
        let given: std::collections::HashMap<u32, serde_json::Value> = answers
            .iter()
            .filter_map(|(position, a)| Some((*position, serde_json::from_str(a).ok()?)))
            .collect();
        let positions =
            self.slots
                .iter()
                .enumerate()
                .map(|(pos, slot)| crate::domain::grading::Scoring {
                    position: pos as u32,
                    content: &slot.content,
                    points: slot.points,
                    option_order: &slot.option_order,
                    answer: given.get(&(pos as u32)),
                });
        let mut score = crate::domain::grading::score_paper(positions, partial);
        // The compact record item analysis reads, written with the score.
        score.responses = self
            .slots
            .iter()
            .zip(&score.items)
            .map(|(slot, item)| {
                crate::domain::stats::response(
                    slot.item_id,
                    &slot.content,
                    &slot.option_order,
                    given.get(&item.position),
                    item.points,
                    item.max_points,
                    item.outcome,
                )
            })
            .collect();
        score
    }

    /// What the candidate sees: stems and options in their shuffled order, relabelled
    /// A, B, C…; never a key, reference, rubric or explanation.
    pub fn view(&self) -> CandidatePaper {
        let items = self
            .slots
            .iter()
            .enumerate()
            .map(|(pos, slot)| {
                let c = &slot.content;
                let order: Vec<usize> = if slot.option_order.is_empty() {
                    (0..c.options.len()).collect()
                } else {
                    slot.option_order.iter().map(|&o| usize::from(o)).collect()
                };
                ItemView {
                    position: pos as u32,
                    item_type: c.item_type,
                    points: slot.points,
                    stem: c.stem.clone(),
                    options: order
                        .iter()
                        .enumerate()
                        .filter_map(|(shown, &orig)| {
                            c.options.get(orig).map(|o| OptionView {
                                label: crate::domain::item::option_key(shown),
                                text: o.text.clone(),
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        CandidatePaper {
            attempt_id: self.attempt_id,
            duration_ms: self.duration_ms,
            total_points: self.total_points,
            items,
        }
    }
}
