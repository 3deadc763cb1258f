//! Paper assembly (组卷, DESIGN §3.3): from a standard, a paper template and the pool of
//! active items, a different but equivalent paper for every candidate.
//!
//! - Points per area = total × weight, by largest remainder so the total is exact; item
//!   counts per type are then spread over the areas to meet those points.
//! - Within an area, assessment points follow the X/Y/Z mix, at most `max_per_point`
//!   items per point, with the template's counts per type.
//! - The mean difficulty must fall within the tolerance of the target (items are swapped
//!   within their area and type until it does).
//! - Items over the exposure cap and items the candidate saw before are not drawn.
//! - Items are shuffled within their type, options within their item.
//! - Everything comes from a recorded seed and ChaCha20, so an auditor re-derives any
//!   paper from the pool and the seed.
//!
//! Failure names the area and the constraint that could not be met.

mod pick;
mod spread;

pub use pick::{assemble, assemble_forms, assemble_indexed, PoolIndex};
pub use spread::largest_remainder;

use serde::{Deserialize, Serialize};

use super::item::ItemType;
use super::standard::Importance;

/// How many items of a type, at how many points each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeQuota {
    pub item_type: ItemType,
    pub count: u32,
    pub points: f64,
}

/// A paper template *(per plan)*.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// In paper order (e.g. 判断, 单选, 多选).
    pub quotas: Vec<TypeQuota>,
    /// Percent of items per importance X, Y, Z *(config, default 80/15/5)*.
    pub importance_mix: [u32; 3],
    /// Items per assessment point (1 unless the template allows more).
    pub max_per_point: u32,
    pub difficulty_target: f64,
    pub difficulty_tolerance: f64,
    /// Items shown this many times are not drawn *(config)*.
    pub exposure_cap: Option<u32>,
}

impl Template {
    pub fn total_points(&self) -> f64 {
        self.quotas
            .iter()
            .map(|q| f64::from(q.count) * q.points)
            .sum()
    }

    pub fn item_count(&self) -> u32 {
        self.quotas.iter().map(|q| q.count).sum()
    }
}

/// An active item as assembly sees it (no content, no key). Serialised into the plan's
/// draw record, so a paper can be drawn again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolItem {
    pub id: i64,
    pub version: i64,
    /// Index of the item's area in the standard.
    pub area: usize,
    pub point: String,
    pub importance: Importance,
    pub item_type: ItemType,
    pub difficulty: u8,
    /// Number of options to shuffle (0 for types without options).
    pub options: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperItem {
    pub item_id: i64,
    pub version: i64,
    pub item_type: ItemType,
    pub points: f64,
    /// `option_order[i]` is the original index of the option shown in position `i`.
    pub option_order: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    pub seed: u64,
    pub items: Vec<PaperItem>,
    pub mean_difficulty: f64,
    pub total_points: f64,
    /// Points per area, in standard order.
    pub area_points: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssemblyError {
    #[error("the template is not usable: {0}")]
    Template(String),
    #[error("area {area}: needs {needed} {item_type:?} items from distinct assessment points, only {available} can be drawn (pool, exposure cap, earlier papers)")]
    NotEnoughItems {
        area: String,
        item_type: ItemType,
        needed: u32,
        available: u32,
    },
    #[error("mean difficulty {mean:.2} cannot be brought within {tolerance} of {target}: the pool has too few items of other difficulties in the same areas, types and importance")]
    Difficulty {
        mean: f64,
        target: f64,
        tolerance: f64,
    },
    #[error("forms overlap by {overlap:.0}%, more than the allowed {allowed:.0}%")]
    Overlap { overlap: f64, allowed: f64 },
}

/// Splits `total` in proportion to `weights`, rounding by largest remainder so the parts
/// sum to `total` exactly (ties go to the earlier part).
/// How a paper drawn again differs from the one recorded: one line per difference
/// (none when they are identical: same items and versions in the same order, same
/// types, points and option orders).
pub fn paper_differences(recorded: &Paper, derived: &Paper) -> Vec<String> {
    let mut out = Vec::new();
    if recorded.items.len() != derived.items.len() {
        out.push(format!(
            "{} items recorded, {} drawn",
            recorded.items.len(),
            derived.items.len()
        ));
    }
    for (i, (r, d)) in recorded.items.iter().zip(&derived.items).enumerate() {
        if (r.item_id, r.version) != (d.item_id, d.version) {
            out.push(format!(
                "position {}: item {} v{} recorded, item {} v{} drawn",
                i + 1,
                r.item_id,
                r.version,
                d.item_id,
                d.version
            ));
        } else if r.option_order != d.option_order {
            out.push(format!("position {}: option order differs", i + 1));
        } else if r.points != d.points || r.item_type != d.item_type {
            out.push(format!("position {}: points or type differ", i + 1));
        }
    }
    out
}

/// The demo paper template shipped with skillcert: 60 items to 100 points (20 判断 at 1,
/// 35 单选 at 2, 5 多选 at 2), up to 6 items per assessment point (demo banks are
/// small: about 25 points), mean difficulty 2.4 ± 0.3. Every shipped bank can assemble it; real plans set their own template.
/// The default paper of a skills or review plan: one task for the assessor panel
/// (操作题) worth the whole 100 points; plans with several stations send their own.
pub fn station_template() -> Template {
    Template {
        quotas: vec![TypeQuota {
            item_type: ItemType::Practical,
            count: 1,
            points: 100.0,
        }],
        importance_mix: [100, 0, 0],
        max_per_point: 6,
        difficulty_target: 3.0,
        difficulty_tolerance: 4.0,
        exposure_cap: None,
    }
}

pub fn demo_template() -> Template {
    Template {
        quotas: vec![
            TypeQuota {
                item_type: ItemType::TrueFalse,
                count: 20,
                points: 1.0,
            },
            TypeQuota {
                item_type: ItemType::SingleChoice,
                count: 35,
                points: 2.0,
            },
            TypeQuota {
                item_type: ItemType::MultipleChoice,
                count: 5,
                points: 2.0,
            },
        ],
        importance_mix: [80, 15, 5],
        max_per_point: 6,
        difficulty_target: 2.4,
        difficulty_tolerance: 0.3,
        exposure_cap: None,
    }
}
