//! Round trips over generated items: skillcert's own format and QTI 3.0, export →
//! import, give back exactly the same items, for every item type.

use std::collections::BTreeMap;

use proptest::prelude::*;
use skillcert::domain::item::{option_key, Answer, Choice, ItemContent, ItemType, RubricElement};
use skillcert::domain::standard::{Area, Importance, Mode, Point, Standard};
use skillcert::formats::{escape_html, own, qti, sanitize_html, Limits, OccupationEntry};

/// Text as it is stored: an HTML fragment in its sanitised form.
fn rich() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 电工安全电压护理<>&\"'（）。，]{1,40}"
        .prop_map(|s| sanitize_html(&escape_html(s.trim_matches(' '))))
        .prop_filter("non-empty", |s| !s.trim().is_empty())
}

fn plain() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9电工安全]{1,12}"
}

fn item() -> impl Strategy<Value = ItemContent> {
    let kind = prop::sample::select(ItemType::ALL.to_vec());
    (
        kind,
        rich(),
        prop::collection::vec(rich(), 2..6),
        1u8..=5,
        1u32..=20,
        prop::option::of(rich()),
        any::<u64>(),
        prop::collection::vec(plain(), 2..4),
    )
        .prop_map(
            |(t, stem, texts, difficulty, score, explanation, seed, words)| {
                let options: Vec<Choice> = texts
                    .iter()
                    .enumerate()
                    .map(|(i, x)| Choice {
                        key: option_key(i),
                        text: x.clone(),
                    })
                    .collect();
                let n = options.len();
                let pick = (seed as usize) % n;
                let mut words = words;
                words.extend(["甲".to_string(), "乙".to_string()]);
                words.sort();
                words.dedup();
                let (options, answer, reference, rubric) = match t {
                    ItemType::TrueFalse => (vec![], Answer::TrueFalse(seed % 2 == 0), None, vec![]),
                    ItemType::SingleChoice => {
                        (options, Answer::Keys(vec![option_key(pick)]), None, vec![])
                    }
                    ItemType::MultipleChoice => {
                        let options = if n < 3 {
                            vec![
                                options[0].clone(),
                                options[1].clone(),
                                Choice {
                                    key: "C".into(),
                                    text: "丙".into(),
                                },
                            ]
                        } else {
                            options
                        };
                        (
                            options,
                            Answer::Keys(vec!["A".into(), "C".into()]),
                            None,
                            vec![],
                        )
                    }
                    ItemType::Ordering => {
                        let mut order: Vec<String> = (0..n).map(option_key).collect();
                        order.rotate_left(pick);
                        (options, Answer::Order(order), None, vec![])
                    }
                    ItemType::FillIn => (vec![], Answer::Accepted(words.clone()), None, vec![]),
                    ItemType::Numerical => (
                        vec![],
                        Answer::Numerical {
                            value: (seed % 1000) as f64 / 8.0,
                            tolerance: (seed % 7) as f64 / 4.0,
                        },
                        None,
                        vec![],
                    ),
                    ItemType::Matching => {
                        let pairs = words
                            .iter()
                            .enumerate()
                            .map(|(i, w)| (w.clone(), format!("右{i}")))
                            .collect();
                        (vec![], Answer::Pairs(pairs), None, vec![])
                    }
                    ItemType::ShortAnswer | ItemType::Essay => {
                        (vec![], Answer::Assessed, Some(texts[0].clone()), vec![])
                    }
                    ItemType::Practical => (
                        vec![],
                        Answer::Assessed,
                        Some(texts[1].clone()),
                        vec![
                            RubricElement {
                                element: words[0].clone(),
                                points: 12.5,
                                veto: false,
                            },
                            RubricElement {
                                element: "安全".into(),
                                points: 0.0,
                                veto: true,
                            },
                        ],
                    ),
                };
                ItemContent {
                    item_type: t,
                    stem,
                    options,
                    answer,
                    reference,
                    rubric,
                    explanation,
                    difficulty,
                    score: f64::from(score) / 2.0,
                }
            },
        )
}

fn standard() -> Standard {
    Standard {
        level: 5,
        mode: Mode::Theory,
        areas: vec![Area {
            code: "A".into(),
            name: "安全".into(),
            weight: 100,
            points: vec![Point {
                code: "A01".into(),
                name: "电压".into(),
                importance: Importance::X,
            }],
        }],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn own_format_round_trips(items in prop::collection::vec(item(), 1..12)) {
        for it in &items {
            prop_assert!(it.validate().is_ok(), "generator made an invalid item: {it:?}");
        }
        let occupation = OccupationEntry { code: "6-31-01-03".into(), edition: 2015, name: "电工".into(), name_en: Some("Electrician".into()), levels: vec![5, 4], certificate_kinds: vec!["skill_level".into()] };
        let ids: Vec<String> = (0..items.len()).map(|i| format!("T-{i}")).collect();
        let mut map = BTreeMap::new();
        map.insert((5u8, Mode::Theory), items.iter().zip(&ids).map(|(c, id)| own::ItemOut { external_id: Some(id), point: Some("A01"), content: c }).collect::<Vec<_>>());
        let files = own::write_files(&occupation, &[standard()], &map).unwrap();
        let files: Vec<(String, Vec<u8>)> = files.into_iter().map(|(n, t)| (n, t.into_bytes())).collect();
        let mut back = own::read_files(&files, &Limits::default());
        back.validate_items();
        prop_assert!(back.errors.is_empty(), "{:?}", back.errors);
        prop_assert_eq!(back.occupation.as_ref(), Some(&occupation));
        prop_assert_eq!(&back.standards, &vec![standard()]);
        let got: Vec<ItemContent> = back.items.iter().map(|i| i.content.clone()).collect();
        prop_assert_eq!(got, items);
        prop_assert_eq!(back.items.iter().map(|i| i.external_id.clone().unwrap()).collect::<Vec<_>>(), ids);
    }

    #[test]
    fn qti3_round_trips(items in prop::collection::vec(item(), 1..8)) {
        let list: Vec<(String, Option<String>, ItemContent)> = items.iter().enumerate().map(|(i, c)| (format!("I{i}"), Some("A01".to_string()), c.clone())).collect();
        let zip = qti::write_package(&list).unwrap();
        let mut back = qti::read("export.zip", &zip, &Limits::default());
        back.validate_items();
        prop_assert!(back.errors.is_empty(), "{:?}", back.errors);
        let got: Vec<ItemContent> = back.items.iter().map(|i| i.content.clone()).collect();
        prop_assert_eq!(got, items);
        prop_assert!(back.items.iter().all(|i| i.point.as_deref() == Some("A01")));
    }
}
