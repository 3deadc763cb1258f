//! Conformance against other exam systems' own test fixtures, read from
//! `../shared/fixtures/peers/` (never copied into this repository; see its SOURCES.md).
//! Each test compares question counts, types and answer keys with the folder's
//! `EXPECTED.json` (or, for the GIFT grammar project, with its AST files), and prints
//! where skillcert deliberately differs. When the folder is absent the tests say so and
//! pass: the project's own format tests do not depend on it.

use std::path::{Path, PathBuf};

use serde_json::Value;
use skillcert::cli::bank::read_path;
use skillcert::domain::item::{Answer, ItemType};
use skillcert::formats::{Format, Limits, Parsed};

fn peers() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/peers");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipped: the peer fixtures folder {} is absent",
            p.display()
        );
        None
    }
}

fn read(p: &Path) -> Parsed {
    read_path(p, Format::Auto, &Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn expected(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("EXPECTED.json")).unwrap()).unwrap()
}

/// Plain text for comparisons: tags dropped, entities folded, white space collapsed.
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let opens = *c == '<'
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!');
        match c {
            _ if opens => tag = true,
            '>' if tag => tag = false,
            _ if !tag => out.push(*c),
            _ => {}
        }
    }
    skillcert::formats::unescape_html(&out)
        .replace("&nbsp;", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn correct_texts(p: &Parsed, i: usize) -> Vec<String> {
    let c = &p.items[i].content;
    match &c.answer {
        Answer::Keys(k) => k
            .iter()
            .map(|k| plain(&c.options.iter().find(|o| &o.key == k).unwrap().text))
            .collect(),
        _ => vec![],
    }
}

#[test]
fn aiken_matches_moodle() {
    let Some(root) = peers() else { return };
    let dir = root.join("aiken");
    let exp = expected(&dir);
    let p = read(&dir.join("questions.aiken.txt"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        p.items.len() as u64,
        exp["questions.aiken.txt"]["expected_question_count"]
            .as_u64()
            .unwrap()
    );
    for (i, q) in exp["questions.aiken.txt"]["content_derived"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let c = &p.items[i].content;
        assert_eq!(plain(&c.stem), q["questiontext"].as_str().unwrap());
        assert_eq!(
            c.answer,
            Answer::Keys(vec![q["correct"].as_str().unwrap().into()])
        );
        let answers: Vec<String> = c.options.iter().map(|o| plain(&o.text)).collect();
        assert_eq!(
            answers,
            q["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        );
    }
    // Stored text is an HTML fragment: plain text is escaped, as Moodle does.
    assert!(p.items[1]
        .content
        .stem
        .contains("&lt;html class=&quot;cool&quot;&gt; &amp; images"));

    let e = &exp["aiken_errors.txt"];
    let p = read(&dir.join("aiken_errors.txt"));
    assert_eq!(
        p.items.len() as u64,
        e["expected_question_count"].as_u64().unwrap()
    );
    let messages: String = p
        .errors
        .iter()
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join("\n");
    for s in e["expected_errors_substrings"].as_array().unwrap() {
        assert!(
            messages.contains(s.as_str().unwrap()),
            "missing error {s} in\n{messages}"
        );
    }
    let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 5, 7, 18]);
    for (i, q) in e["questions"].as_array().unwrap().iter().enumerate() {
        let c = &p.items[i].content;
        assert_eq!(plain(&c.stem), q["name"].as_str().unwrap());
        let want = skillcert::domain::item::option_key(
            q["fraction_index_with_1"].as_u64().unwrap() as usize,
        );
        assert_eq!(c.answer, Answer::Keys(vec![want]));
        let answers: Vec<&str> = c.options.iter().map(|o| o.text.as_str()).collect();
        let exp_answers: Vec<&str> = q["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(
            answers, exp_answers,
            "answer text is HTML-escaped on import"
        );
    }
}

#[test]
fn gift_matches_moodle() {
    let Some(root) = peers() else { return };
    let dir = root.join("gift");
    let exp = expected(&dir);
    let p = read(&dir.join("questions.gift.txt"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        p.items.len() as u64,
        exp["expected_question_count"].as_u64().unwrap()
    );
    let map = |qtype: &str, single: Option<i64>| match (qtype, single) {
        ("essay", _) => ItemType::Essay,
        ("match", _) => ItemType::Matching,
        ("multichoice", Some(1)) => ItemType::SingleChoice,
        ("multichoice", _) => ItemType::MultipleChoice,
        ("numerical", _) => ItemType::Numerical,
        ("shortanswer", _) => ItemType::FillIn,
        ("truefalse", _) => ItemType::TrueFalse,
        (other, _) => panic!("unexpected qtype {other}"),
    };
    for (i, q) in exp["questions"].as_array().unwrap().iter().enumerate() {
        let it = &p.items[i];
        assert_eq!(
            it.external_id.as_deref(),
            q["name"].as_str(),
            "question {i}"
        );
        assert_eq!(
            it.content.item_type,
            map(q["qtype"].as_str().unwrap(), q["single"].as_i64()),
            "question {i} ({})",
            q["name"]
        );
        if let Some(text) = q["questiontext"].as_str() {
            // Deliberate difference: text after the answer block (the fixture's stray
            // `";`) is kept as missing-word text; Moodle's unit test feeds the question
            // without it.
            assert!(
                plain(&it.content.stem).starts_with(&plain(text)),
                "question {i}: {} vs {text}",
                it.content.stem
            );
        }
        if let (Some(ans), Some(frac)) = (q["answer"].as_array(), q["fraction"].as_array()) {
            let want: Vec<String> = ans
                .iter()
                .zip(frac)
                .filter(|(_, f)| f.as_f64().unwrap_or(0.0) > 0.0)
                .map(|(a, _)| {
                    plain(
                        a["text"]
                            .as_str()
                            .unwrap_or_else(|| a.as_str().unwrap_or("")),
                    )
                })
                .collect();
            if matches!(
                it.content.item_type,
                ItemType::SingleChoice | ItemType::MultipleChoice
            ) {
                assert_eq!(correct_texts(&p, i), want, "question {i}");
            }
        }
    }
    assert_eq!(
        p.items[4].content.answer,
        Answer::Numerical {
            value: 3.0,
            tolerance: 2.0
        }
    );
    assert_eq!(
        p.items[5].content.answer,
        Answer::Accepted(vec!["Frog".into()]),
        "only the 100% answer is accepted"
    );
    assert_eq!(p.items[6].content.answer, Answer::TrueFalse(false));
    let Answer::Pairs(pairs) = &p.items[1].content.answer else {
        panic!()
    };
    assert_eq!(
        pairs.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>(),
        ["Forum", "Choice", "Database", "Wiki", "Chat"]
    );
    assert_eq!(
        pairs[0].0,
        "An activity supporting asynchronous discussions."
    );
    let cat = read(&dir.join("questions_in_category.gift.txt"));
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert!(cat.items.iter().all(|i| i.category.is_some()));
}

/// The GIFT grammar project's 51 cases: each `X.gift` against its AST `X.json`.
#[test]
fn gift_grammar_cases() {
    let Some(root) = peers() else { return };
    let dir = root.join("gift/gift-pegjs");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "gift"))
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 51);
    let mut mismatches = Vec::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().to_string();
        let ast: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(case.with_extension("json")).unwrap())
                .unwrap();
        let questions: Vec<&Value> = ast
            .iter()
            .filter(|q| !matches!(q["type"].as_str(), Some("Description") | Some("Category")))
            .collect();
        let p = read(case);
        if !p.errors.is_empty() {
            mismatches.push(format!("{name}: errors {:?}", p.errors));
            continue;
        }
        if p.items.len() != questions.len() {
            mismatches.push(format!(
                "{name}: {} items, AST has {}",
                p.items.len(),
                questions.len()
            ));
            continue;
        }
        for (i, q) in questions.iter().enumerate() {
            let c = &p.items[i].content;
            let ok = match q["type"].as_str().unwrap() {
                "MC" => {
                    let want: Vec<String> = q["choices"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|ch| {
                            ch["isCorrect"].as_bool() == Some(true)
                                || ch["weight"].as_f64().is_some_and(|w| w > 0.0)
                        })
                        .map(|ch| plain(ch["text"]["text"].as_str().unwrap_or("")))
                        .collect();
                    matches!(
                        c.item_type,
                        ItemType::SingleChoice | ItemType::MultipleChoice
                    ) && correct_texts(&p, i) == want
                }
                "TF" => c.answer == Answer::TrueFalse(q["isTrue"].as_bool().unwrap()),
                "Short" => {
                    let want: Vec<String> = q["choices"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|ch| ch["weight"].as_f64().is_none_or(|w| w >= 100.0))
                        .map(|ch| ch["text"]["text"].as_str().unwrap_or("").to_string())
                        .collect();
                    matches!(&c.answer, Answer::Accepted(a) if a.iter().map(|x| plain(x)).collect::<Vec<_>>() == want.iter().map(|x| plain(x)).collect::<Vec<_>>())
                }
                "Numerical" => {
                    let ch = &q["choices"];
                    let spec = if ch.is_array() {
                        ch.as_array()
                            .unwrap()
                            .iter()
                            .find(|x| {
                                x["isCorrect"].as_bool() == Some(true)
                                    && x["weight"].as_f64().is_none_or(|w| w >= 100.0)
                            })
                            .map(|x| x["text"].clone())
                    } else {
                        Some(ch.clone())
                    };
                    let want = spec.map(|s| match s["type"].as_str() {
                        Some("range") => {
                            (s["number"].as_f64().unwrap(), s["range"].as_f64().unwrap())
                        }
                        Some("high-low") => {
                            let (h, l) = (
                                s["numberHigh"].as_f64().unwrap(),
                                s["numberLow"].as_f64().unwrap(),
                            );
                            ((h + l) / 2.0, (h - l) / 2.0)
                        }
                        _ => (s["number"].as_f64().unwrap_or(f64::NAN), 0.0),
                    });
                    matches!((&c.answer, want), (Answer::Numerical { value, tolerance }, Some((v, t))) if (value - v).abs() < 1e-9 && (tolerance - t).abs() < 1e-9)
                }
                "Matching" => {
                    let want: Vec<(String, String)> = q["matchPairs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|m| {
                            (
                                plain(m["subquestion"]["text"].as_str().unwrap_or("")),
                                plain(m["subanswer"].as_str().unwrap_or("")),
                            )
                        })
                        .collect();
                    matches!(&c.answer, Answer::Pairs(got) if got.iter().map(|(l, r)| (plain(l), plain(r))).collect::<Vec<_>>() == want)
                }
                "Essay" => c.item_type == ItemType::Essay,
                _ => true,
            };
            if !ok {
                mismatches.push(format!(
                    "{name}[{i}]: {} vs {:?} {:?}",
                    q["type"], c.item_type, c.answer
                ));
            }
        }
    }
    for m in &mismatches {
        println!("differs: {m}");
    }
    assert!(
        mismatches.is_empty(),
        "{} of the grammar cases differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn category_leaf(c: &Option<String>) -> String {
    c.as_deref()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string()
}

#[test]
fn moodle_xml_matches_moodle() {
    let Some(root) = peers() else { return };
    let dir = root.join("moodle_xml");
    let exp = expected(&dir);
    for (file, questions_key) in [
        ("category_with_description.xml", "questions"),
        ("nested_categories.xml", "questions"),
    ] {
        let p = read(&dir.join(file));
        assert!(p.errors.is_empty(), "{file}: {:?}", p.errors);
        let qs = exp[file][questions_key].as_array().unwrap();
        assert_eq!(p.items.len(), qs.len(), "{file}");
        for (i, q) in qs.iter().enumerate() {
            assert_eq!(p.items[i].external_id.as_deref(), q["name"].as_str());
            assert_eq!(
                p.items[i].content.answer,
                Answer::TrueFalse(q["correct"] == "true")
            );
            if let Some(cat) = q["category"].as_str() {
                assert_eq!(category_leaf(&p.items[i].category), cat);
            }
        }
    }
    for file in [
        "nested_categories_with_questions.xml",
        "old_format_file.xml",
        "categories_reverse_order.xml",
    ] {
        let p = read(&dir.join(file));
        assert!(p.errors.is_empty(), "{file}: {:?}", p.errors);
        for (name, cat) in exp[file]["questions_in_category"].as_object().unwrap() {
            let it = p
                .items
                .iter()
                .find(|i| i.external_id.as_deref() == Some(name))
                .unwrap_or_else(|| panic!("{file}: {name} missing"));
            assert_eq!(
                category_leaf(&it.category),
                cat.as_str().unwrap(),
                "{file}: {name}"
            );
        }
    }
    // 5 questions in nested_categories_with_questions, the essay included.
    assert_eq!(
        read(&dir.join("nested_categories_with_questions.xml"))
            .items
            .len(),
        5
    );
    // Moodle refuses invalid grades; so do we, naming the question.
    let p = read(&dir.join("error_invalid_grades.xml"));
    assert!(
        p.items.is_empty() && p.errors[0].message.contains("fraction 33"),
        "{:?}",
        p.errors
    );
    let p = read(&dir.join("broken_cloze_questions.xml"));
    assert_eq!(p.errors.len(), 5, "each broken cloze question is reported");
    // Deliberate difference: cloze (multianswer) has no equivalent in skillcert's item
    // model; Moodle imports it (1 question), skillcert refuses it with a message.
    let p = read(&dir.join("multianswer.xml"));
    assert!(p.items.is_empty() && p.errors[0].message.contains("cloze"));
    println!(
        "differs on purpose: multianswer.xml cloze refused (Moodle: {} question)",
        exp["multianswer.xml"]["expected_question_count"]
    );
    let p = read(&dir.join("sample_questions_with_old_image_tag.xml"));
    let mcq = p
        .items
        .iter()
        .find(|i| i.external_id.as_deref() == Some("mcq with image"))
        .expect("mcq with image");
    assert_eq!(
        correct_texts(
            &p,
            p.items.iter().position(|i| std::ptr::eq(i, mcq)).unwrap()
        ),
        ["right answer"]
    );
    println!("differs on purpose: sample_questions_with_old_image_tag.xml reads 1 of 2 (its cloze question is refused)");
    // Entities in ids are decoded.
    let p = read(&dir.join("html_chars_in_idnumbers.xml"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
}

#[test]
fn qti21_items_give_their_correct_responses() {
    let Some(root) = peers() else { return };
    let dir = root.join("qti21/items");
    let one = |f: &str| {
        let p = read(&dir.join(f));
        assert!(p.errors.is_empty(), "{f}: {:?}", p.errors);
        assert_eq!(p.items.len(), 1, "{f}");
        p
    };
    let keys = |v: &[&str]| Answer::Keys(v.iter().map(|s| s.to_string()).collect());
    let p = one("choice.xml");
    assert_eq!(
        (p.items[0].content.item_type, &p.items[0].content.answer),
        (ItemType::SingleChoice, &keys(&["A"]))
    );
    assert_eq!(
        correct_texts(&p, 0),
        ["You must stay with your luggage at all times."]
    );
    let p = one("choice_multiple.xml");
    assert_eq!(correct_texts(&p, 0), ["Hydrogen", "Oxygen"]);
    let p = one("text_entry.xml");
    assert!(matches!(&p.items[0].content.answer, Answer::Accepted(a) if a[0] == "York"));
    assert_eq!(
        one("extended_text.xml").items[0].content.item_type,
        ItemType::Essay
    );
    let p = one("order.xml");
    assert_eq!(
        p.items[0].content.answer,
        Answer::Order(vec!["C".into(), "A".into(), "B".into()])
    );
    let opts: Vec<String> = p.items[0]
        .content
        .options
        .iter()
        .map(|o| plain(&o.text))
        .collect();
    assert_eq!(
        opts[2], "Michael Schumacher",
        "DriverC first in the correct order"
    );
    let pairs = |f: &str| match one(f).items[0].content.answer.clone() {
        Answer::Pairs(p) => p,
        other => panic!("{f}: {other:?}"),
    };
    assert_eq!(pairs("match.xml").len(), 4);
    assert_eq!(
        pairs("match.xml")[0],
        ("Capulet".to_string(), "Romeo and Juliet".to_string())
    );
    assert_eq!(pairs("associate.xml").len(), 3);
    assert_eq!(
        pairs("gap_match.xml"),
        [
            ("[1]".to_string(), "winter".to_string()),
            ("[2]".to_string(), "summer".to_string())
        ]
    );
    let p = one("inline_choice.xml");
    assert_eq!(correct_texts(&p, 0), ["York"]);
    let p = one("hottext.xml");
    assert_eq!(p.items[0].content.answer, keys(&["B"]));
    // Deliberate difference: template (cloned-variable) items are not supported.
    let template = read(&dir.join("template.xml"));
    assert!(
        template.items.is_empty() && template.errors[0].message.contains("template item"),
        "{:?}",
        template.errors
    );
    println!("differs on purpose: template.xml (template variables) refused");
}

#[test]
fn qti21_test_with_its_items() {
    let Some(root) = peers() else { return };
    let exp = expected(&root.join("qti21"));
    let refs = exp["tests/interaction_mix_sachsen/interaction_mix_sachsen.xml"]["testParts"][0]
        ["assessmentSections"][0]["itemRefs_in_order"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(refs, 13);
    let p = read(&root.join("qti21/tests/interaction_mix_sachsen/interaction_mix_sachsen.xml"));
    // 13 item references: 9 items read; the hotspot item, the two items with more than
    // one interaction, and the matching item whose choices are images without
    // alternative text (it used to come out as empty pairs) are refused, each named by
    // file and item (deliberate difference).
    assert_eq!(p.items.len() + p.errors.len(), 13, "{:?}", p.errors);
    assert_eq!(p.items.len(), 9);
    let named: Vec<&str> = p.errors.iter().filter_map(|e| e.path.as_deref()).collect();
    assert!(named.contains(&"Hotspot_278940407.xml"));
    let images = p
        .errors
        .iter()
        .find(|e| e.path.as_deref() == Some("Matchmultiple_1038910213.xml"))
        .expect("the image-only matching item is refused");
    assert!(
        images.message.contains("item \"Matchmultiple_1038910213\"")
            && images.message.contains("image without alternative text"),
        "{}",
        images.message
    );
    for e in &p.errors {
        assert!(
            e.message.starts_with("item \""),
            "names the item: {}",
            e.message
        );
    }
    println!("differs on purpose: interaction_mix_sachsen reads 9 of 13 items (hotspot, multi-interaction and image-only matching items refused)");
}

#[test]
fn qti30_samples_read_tolerantly_or_refuse_clearly() {
    let Some(root) = peers() else { return };
    let dir = root.join("qti30/qti-sdk");
    for f in [
        "aqti_tmh_sample_1.xml",
        "aqti_tmh_sample_2.xml",
        "aqti_tmh_sample_3.xml",
    ] {
        let p = read(&dir.join(f));
        assert!(p.errors.is_empty(), "{f}: {:?}", p.errors);
        assert_eq!(correct_texts(&p, 0), ["About 200"], "{f}");
    }
    let p = read(&dir.join("empty_item.xml"));
    assert!(p.items.is_empty() && p.errors[0].message.contains("no interaction"));
}
