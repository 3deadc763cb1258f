//! A synthetic standard, pool and template for assembly benchmarks and tests: no
//! database, no files, only the shapes assembly works on.

use crate::domain::assembly::{PoolItem, Template, TypeQuota};
use crate::domain::item::ItemType;
use crate::domain::standard::{Area, Importance, Mode, Point, Standard};

/// A standard of 5 areas and a pool of `per_point` items of each type per point.
pub fn pool(points_per_area: usize, per_point: usize) -> (Standard, Vec<PoolItem>) {
    let weights = [10u32, 20, 30, 25, 15];
    let std = Standard {
        level: 5,
        mode: Mode::Theory,
        areas: weights
            .iter()
            .enumerate()
            .map(|(a, w)| Area {
                code: format!("A{a}"),
                name: format!("范围{a}"),
                weight: *w,
                points: (0..points_per_area)
                    .map(|p| Point {
                        code: format!("A{a}-{p}"),
                        name: String::new(),
                        importance: match p % 20 {
                            0..=15 => Importance::X,
                            16..=18 => Importance::Y,
                            _ => Importance::Z,
                        },
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut pool = Vec::new();
    let mut id = 0;
    for (a, area) in std.areas.iter().enumerate() {
        for p in &area.points {
            for t in [
                ItemType::TrueFalse,
                ItemType::SingleChoice,
                ItemType::MultipleChoice,
            ] {
                for k in 0..per_point {
                    id += 1;
                    pool.push(PoolItem {
                        id,
                        version: 1,
                        area: a,
                        point: p.code.clone(),
                        importance: p.importance,
                        item_type: t,
                        difficulty: ((id * 7 + k as i64) % 5 + 1) as u8,
                        options: match t {
                            ItemType::TrueFalse => 0,
                            ItemType::SingleChoice => 4,
                            _ => 5,
                        },
                    });
                }
            }
        }
    }
    (std, pool)
}

pub fn template() -> Template {
    Template {
        quotas: vec![
            TypeQuota {
                item_type: ItemType::TrueFalse,
                count: 40,
                points: 0.5,
            },
            TypeQuota {
                item_type: ItemType::SingleChoice,
                count: 140,
                points: 0.5,
            },
            TypeQuota {
                item_type: ItemType::MultipleChoice,
                count: 20,
                points: 0.5,
            },
        ],
        importance_mix: [80, 15, 5],
        max_per_point: 1,
        difficulty_target: 3.0,
        difficulty_tolerance: 0.1,
        exposure_cap: None,
    }
}
