//! Synthetic banks for load tests and benchmarks — clearly labelled as synthetic
//! (occupation 9-99-99-99 “合成题库（负载测试用，非真实试题）”), never shipped, never
//! meant for candidates. Deterministic for a given size and seed.

pub mod assembly;

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::item::{option_key, Answer, Choice, ItemContent, ItemType};
use crate::domain::standard::{Area, Importance, Mode, Point, Standard};
use crate::formats::own::{write_files, ItemOut};
use crate::formats::OccupationEntry;

pub const SYNTHETIC_CODE: &str = "9-99-99-99";

/// A standard with `areas` areas of `points_per_area` points each, and `items` items
/// spread over its points: the own-format files of the whole bank.
pub fn bank_files(items: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let areas = 8usize;
    let points_per_area = (items / areas / 10).clamp(4, 500);
    let weights = [20u32, 15, 15, 10, 10, 10, 10, 10];
    let standard = Standard {
        level: 5,
        mode: Mode::Theory,
        areas: (0..areas)
            .map(|a| Area {
                code: format!("S{a}"),
                name: format!("合成鉴定范围 {a}"),
                weight: weights[a],
                points: (0..points_per_area)
                    .map(|p| Point {
                        code: format!("S{a}-{p:03}"),
                        name: format!("合成鉴定点 {a}-{p}"),
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
    let mut contents = Vec::with_capacity(items);
    let mut meta = Vec::with_capacity(items);
    for i in 0..items {
        let a = i % areas;
        let p = (i / areas) % points_per_area;
        let kind = match i % 10 {
            0..=4 => ItemType::SingleChoice,
            5..=7 => ItemType::TrueFalse,
            _ => ItemType::MultipleChoice,
        };
        let n_opts = if kind == ItemType::MultipleChoice {
            5
        } else {
            4
        };
        let options: Vec<Choice> = if kind == ItemType::TrueFalse {
            vec![]
        } else {
            (0..n_opts)
                .map(|k| Choice {
                    key: option_key(k),
                    text: format!("合成选项 {i}-{k}"),
                })
                .collect()
        };
        let answer = match kind {
            ItemType::TrueFalse => Answer::TrueFalse(rng.gen_bool(0.5)),
            ItemType::SingleChoice => Answer::Keys(vec![option_key(rng.gen_range(0..4))]),
            _ => Answer::Keys(vec![option_key(0), option_key(rng.gen_range(1..5))]),
        };
        contents.push(ItemContent {
            item_type: kind,
            stem: format!("合成试题 {i}（负载测试用，非真实试题）"),
            options,
            answer,
            reference: None,
            rubric: vec![],
            explanation: None,
            difficulty: rng.gen_range(1..=5),
            score: if kind == ItemType::MultipleChoice {
                2.0
            } else {
                1.0
            },
        });
        meta.push((format!("SYN-{i:07}"), format!("S{a}-{p:03}")));
    }
    let occupation = OccupationEntry {
        code: SYNTHETIC_CODE.into(),
        edition: 2022,
        name: "合成题库（负载测试用，非真实试题）".into(),
        name_en: Some("Synthetic bank (load tests only, not real items)".into()),
        levels: vec![5],
        certificate_kinds: vec!["skill_level".into()],
    };
    let mut map = BTreeMap::new();
    map.insert(
        (5u8, Mode::Theory),
        contents
            .iter()
            .zip(&meta)
            .map(|(c, (id, pt))| ItemOut {
                external_id: Some(id),
                point: Some(pt),
                content: c,
            })
            .collect::<Vec<_>>(),
    );
    write_files(&occupation, &[standard], &map).expect("synthetic bank serialises")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_synthetic_bank_reads_back_without_errors() {
        let files: Vec<(String, Vec<u8>)> = super::bank_files(500, 7)
            .into_iter()
            .map(|(n, t)| (n, t.into_bytes()))
            .collect();
        let mut p = crate::formats::own::read_files(&files, &Default::default());
        p.validate_items();
        assert!(
            p.errors.is_empty(),
            "{:?}",
            &p.errors[..p.errors.len().min(3)]
        );
        assert_eq!(p.items.len(), 500);
        assert!(p.occupation.unwrap().name.contains("非真实"));
    }
}
