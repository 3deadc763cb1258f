//! One QTI item (`assessmentItem`, 2.1 or 3.0) as a skillcert item: the interaction,
//! the stem around it, the options, and the key from the response declaration.

use std::collections::HashMap;

use super::super::text::{escape, sanitize};
use super::super::xml::Node;
use super::super::{ParsedItem, Problem};
use crate::domain::item::{option_key, Answer, Choice, ItemContent, ItemType, RubricElement};

const BLOCK_INTERACTIONS: &[&str] = &[
    "choiceInteraction",
    "orderInteraction",
    "matchInteraction",
    "associateInteraction",
    "extendedTextInteraction",
    "gapMatchInteraction",
    "hottextInteraction",
];
const INLINE_INTERACTIONS: &[&str] = &["textEntryInteraction", "inlineChoiceInteraction"];
const UNSUPPORTED: &[&str] = &[
    "hotspotInteraction",
    "graphicOrderInteraction",
    "graphicAssociateInteraction",
    "graphicGapMatchInteraction",
    "positionObjectInteraction",
    "selectPointInteraction",
    "sliderInteraction",
    "drawingInteraction",
    "uploadInteraction",
    "mediaInteraction",
    "customInteraction",
    "portableCustomInteraction",
    "endAttemptInteraction",
];

struct Declaration {
    cardinality: String,
    base_type: String,
    correct: Vec<String>,
    mapping: Vec<(String, f64)>,
}

fn declarations(item: &Node) -> HashMap<String, Declaration> {
    let mut out = HashMap::new();
    for d in item.children_named("responseDeclaration") {
        let correct = d
            .child("correctResponse")
            .map(|c| {
                c.children_named("value")
                    .map(|v| v.all_text().trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let mapping = d
            .child("mapping")
            .map(|m| {
                m.children_named("mapEntry")
                    .filter_map(|e| {
                        Some((
                            e.attr("mapKey")?.to_string(),
                            e.attr("mappedValue")?.parse().ok()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(
            d.attr("identifier").unwrap_or("RESPONSE").to_string(),
            Declaration {
                cardinality: d.attr("cardinality").unwrap_or("single").to_string(),
                base_type: d.attr("baseType").unwrap_or("identifier").to_string(),
                correct,
                mapping,
            },
        );
    }
    out
}

fn outcome_default(item: &Node, id: &str) -> Option<f64> {
    item.children_named("outcomeDeclaration")
        .find(|o| o.attr("identifier") == Some(id))?
        .child("defaultValue")?
        .child("value")?
        .all_text()
        .trim()
        .parse()
        .ok()
}

fn has_class(n: &Node, class: &str) -> bool {
    n.attr("class")
        .is_some_and(|c| c.split_whitespace().any(|x| x == class))
}

fn find_all<'a>(n: &'a Node, names: &[&str], out: &mut Vec<&'a Node>) {
    for c in &n.children {
        if names.contains(&c.name.as_str()) {
            out.push(c);
        }
        find_all(c, names, out);
    }
}

fn choice_list<'a>(interaction: &'a Node, names: &[&str]) -> Vec<&'a Node> {
    let mut v = Vec::new();
    find_all(interaction, names, &mut v);
    v
}

/// Feedback shows the answer (“That's correct”); it never goes into a stem or option.
const FEEDBACK: &[&str] = &["modalFeedback", "feedbackInline", "feedbackBlock"];

/// Template processing computes an item's values per candidate; skillcert items are
/// fixed, so such items are refused rather than read with their placeholders.
const TEMPLATE: &[&str] = &[
    "templateDeclaration",
    "templateProcessing",
    "templateBlock",
    "templateInline",
    "printedVariable",
];

/// A node's content as sanitised HTML, without feedback.
fn html(n: &Node) -> String {
    sanitize(n.inner_html(&without_feedback).trim())
}

fn without_feedback(n: &Node) -> Option<String> {
    FEEDBACK.contains(&n.name.as_str()).then(String::new)
}

/// What a matching choice says: its text, or for an image its alternative text;
/// an image-only choice without one cannot be shown as text and refuses the item.
fn choice_label(c: &Node) -> Result<String, Problem> {
    let text = c
        .all_text()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !text.is_empty() {
        return Ok(text);
    }
    let mut images = Vec::new();
    find_all(c, &["img", "object"], &mut images);
    images
        .iter()
        .find_map(|i| i.attr("alt").map(str::trim).filter(|a| !a.is_empty()))
        .map(String::from)
        .ok_or_else(|| {
            let id = c.attr("identifier").unwrap_or("");
            Problem::new(
                "import_error.qti_image_choice",
                format!(
                    "choice {id:?} is an image without alternative text; skillcert matching \
                     items are text"
                ),
            )
            .with("choice", id)
        })
}

fn not_a_choice(v: &str) -> Problem {
    Problem::new(
        "import_error.qti_not_a_choice",
        format!("the correct response names {v:?}, which is not a choice"),
    )
    .with("value", v)
}

/// Why an item has no key: none declared, or (the usual case in other tools' items) the
/// key lives in custom response processing, which skillcert does not execute.
fn missing_key(root: &Node) -> Problem {
    match root.child("responseProcessing") {
        Some(rp) if rp.attr("template").is_none() && !rp.children.is_empty() => Problem::new(
            "import_error.qti_key_in_processing",
            "it declares no correct response: its key is in custom response processing, \
             which skillcert does not read (declare a correctResponse)",
        ),
        _ => Problem::new("import_error.qti_no_key", "it declares no correct response"),
    }
}

/// Reads one `assessmentItem` (names already folded to QTI 2.1's). Errors say what is
/// wrong with the item; the caller names the file and the item.
pub fn item(root: &Node, line: usize) -> Result<ParsedItem, Problem> {
    if root.name != "assessmentItem" {
        return Err(Problem::new(
            "import_error.qti_not_qti",
            format!("<{}> is not an assessment item", root.name),
        )
        .with("name", &root.name));
    }
    let id = root.attr("identifier").map(String::from);
    let mut template = Vec::new();
    find_all(root, TEMPLATE, &mut template);
    if let Some(t) = template.first() {
        return Err(Problem::new(
            "import_error.qti_template",
            format!(
                "it is a template item ({}): its values are computed per candidate, which \
                 skillcert items are not",
                t.name
            ),
        )
        .with("name", &t.name));
    }
    let body = root.child("itemBody").ok_or_else(|| {
        Problem::new(
            "import_error.qti_no_interaction",
            "the item has no itemBody",
        )
    })?;
    let mut unsupported = Vec::new();
    find_all(body, UNSUPPORTED, &mut unsupported);
    if let Some(u) = unsupported.first() {
        return Err(Problem::new(
            "import_error.qti_unsupported",
            format!("{} has no equivalent in skillcert", u.name),
        )
        .with("name", &u.name));
    }
    let mut interactions = Vec::new();
    let all: Vec<&str> = BLOCK_INTERACTIONS
        .iter()
        .chain(INLINE_INTERACTIONS)
        .copied()
        .collect();
    find_all(body, &all, &mut interactions);
    let Some(inter) = interactions.first().copied() else {
        return Err(Problem::new(
            "import_error.qti_no_interaction",
            "it has no interaction",
        ));
    };
    if interactions.len() > 1 {
        return Err(Problem::new(
            "import_error.qti_interactions",
            format!(
                "it has {} interactions; skillcert items have one",
                interactions.len()
            ),
        )
        .with("count", interactions.len()));
    }
    let decls = declarations(root);
    let decl = decls.get(inter.attr("responseIdentifier").unwrap_or("RESPONSE"));
    let correct: Vec<String> = decl.map(|d| d.correct.clone()).unwrap_or_default();
    if correct.is_empty() && inter.name != "extendedTextInteraction" {
        return Err(missing_key(root));
    }
    let inline = INLINE_INTERACTIONS.contains(&inter.name.as_str())
        || inter.name == "gapMatchInteraction"
        || inter.name == "hottextInteraction";
    // The stem: the body without the block interaction, its prompt in its place; inline
    // interactions become blanks.
    let gap_counter = std::cell::Cell::new(0usize);
    let stem_html = body.inner_html(&|n: &Node| {
        if INLINE_INTERACTIONS.contains(&n.name.as_str()) {
            Some(" _____ ".into())
        } else if n.name == "gap" {
            gap_counter.set(gap_counter.get() + 1);
            Some(format!(" [{}] ", gap_counter.get()))
        } else if n.name == "gapText"
            || n.name == "rubricBlock"
            || FEEDBACK.contains(&n.name.as_str())
        {
            Some(String::new())
        } else if n.name == "hottext" {
            Some(escape(&n.all_text()))
        } else if BLOCK_INTERACTIONS.contains(&n.name.as_str()) {
            if n.name == "gapMatchInteraction" || n.name == "hottextInteraction" {
                None
            } else {
                Some(n.child("prompt").map(html).unwrap_or_default())
            }
        } else if n.name == "prompt" && inline {
            Some(html(n))
        } else {
            None
        }
    });
    let mut own_stem = Vec::new();
    find_all(body, &["div"], &mut own_stem);
    let stem = match own_stem.iter().find(|d| has_class(d, "skillcert-stem")) {
        // skillcert's own export keeps the stem apart from the blank.
        Some(d) => html(d),
        None => sanitize(stem_html.trim()),
    };
    let key_of = |ids: &[&Node]| -> HashMap<String, String> {
        ids.iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    n.attr("identifier").unwrap_or("").to_string(),
                    option_key(i),
                )
            })
            .collect()
    };
    let map_keys =
        |keys: &HashMap<String, String>, values: &[String]| -> Result<Vec<String>, Problem> {
            values
                .iter()
                .map(|v| keys.get(v).cloned().ok_or_else(|| not_a_choice(v)))
                .collect()
        };
    let mut options = Vec::new();
    let mut reference = None;
    let mut rubric = Vec::new();
    let (item_type, answer) = match inter.name.as_str() {
        "choiceInteraction" | "inlineChoiceInteraction" | "hottextInteraction" => {
            let names: &[&str] = match inter.name.as_str() {
                "choiceInteraction" => &["simpleChoice"],
                "inlineChoiceInteraction" => &["inlineChoice"],
                _ => &["hottext"],
            };
            let choices = choice_list(inter, names);
            if has_class(inter, "skillcert-true-false") {
                let v = correct.first().ok_or_else(|| missing_key(root))?;
                (ItemType::TrueFalse, Answer::TrueFalse(v == "true"))
            } else {
                let keys = key_of(&choices);
                options = choices
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Choice {
                        key: option_key(i),
                        text: html(c),
                    })
                    .collect();
                let k = map_keys(&keys, &correct)?;
                let multiple = decl.is_some_and(|d| d.cardinality == "multiple") || k.len() > 1;
                (
                    if multiple {
                        ItemType::MultipleChoice
                    } else {
                        ItemType::SingleChoice
                    },
                    Answer::Keys(k),
                )
            }
        }
        "orderInteraction" => {
            let choices = choice_list(inter, &["simpleChoice"]);
            let keys = key_of(&choices);
            options = choices
                .iter()
                .enumerate()
                .map(|(i, c)| Choice {
                    key: option_key(i),
                    text: html(c),
                })
                .collect();
            (
                ItemType::Ordering,
                Answer::Order(map_keys(&keys, &correct)?),
            )
        }
        "matchInteraction" | "associateInteraction" | "gapMatchInteraction" => {
            let mut texts: HashMap<String, String> = HashMap::new();
            for c in choice_list(inter, &["simpleAssociableChoice", "gapText", "gapImg"]) {
                let id = c.attr("identifier").unwrap_or("").to_string();
                texts.insert(id, choice_label(c)?);
            }
            let gaps: HashMap<String, String> = {
                let mut v = Vec::new();
                find_all(body, &["gap"], &mut v);
                v.iter()
                    .enumerate()
                    .map(|(i, g)| {
                        (
                            g.attr("identifier").unwrap_or("").to_string(),
                            format!("[{}]", i + 1),
                        )
                    })
                    .collect()
            };
            let label = |id: &str| texts.get(id).or_else(|| gaps.get(id)).cloned();
            let mut pairs = Vec::new();
            for v in &correct {
                let (a, b) = v.split_once(' ').ok_or_else(|| {
                    Problem::new("import_error.qti_pair", format!("{v:?} is not a pair"))
                        .with("value", v)
                })?;
                let (a, b) = (
                    label(a.trim()).ok_or_else(|| not_a_choice(a))?,
                    label(b.trim()).ok_or_else(|| not_a_choice(b))?,
                );
                // Gap match pairs read "word gap"; store them gap first, like a left column.
                pairs.push(if inter.name == "gapMatchInteraction" {
                    (b, a)
                } else {
                    (a, b)
                });
            }
            if inter.name == "matchInteraction" {
                // Right-hand choices used by no pair are distractors.
                if let Some(right) = inter.children_named("simpleMatchSet").nth(1) {
                    for c in right.children_named("simpleAssociableChoice") {
                        let t = choice_label(c)?;
                        if !pairs.iter().any(|(_, r)| *r == t) {
                            pairs.push((String::new(), t));
                        }
                    }
                }
            }
            (ItemType::Matching, Answer::Pairs(pairs))
        }
        "textEntryInteraction" => {
            let d = decl.ok_or_else(|| missing_key(root))?;
            if matches!(d.base_type.as_str(), "float" | "integer") {
                let value = correct
                    .first()
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or_else(|| {
                        Problem::new(
                            "import_error.qti_number",
                            "the numeric correct response is not a number",
                        )
                    })?;
                let mut tolerance = 0.0;
                let mut eq = Vec::new();
                if let Some(rp) = root.child("responseProcessing") {
                    find_all(rp, &["equal"], &mut eq);
                }
                if let Some(t) = eq.first().and_then(|e| e.attr("tolerance")) {
                    tolerance = t
                        .split_whitespace()
                        .next()
                        .and_then(|x| x.parse().ok())
                        .unwrap_or(0.0);
                }
                (ItemType::Numerical, Answer::Numerical { value, tolerance })
            } else {
                let mut accepted: Vec<String> = correct.clone();
                let best = d.mapping.iter().map(|(_, v)| *v).fold(f64::MIN, f64::max);
                for (k, v) in &d.mapping {
                    if *v >= best && !accepted.contains(k) {
                        accepted.push(k.clone());
                    }
                }
                (ItemType::FillIn, Answer::Accepted(accepted))
            }
        }
        "extendedTextInteraction" => {
            let mut blocks = Vec::new();
            find_all(root, &["rubricBlock"], &mut blocks);
            if let Some(b) = blocks
                .iter()
                .find(|b| b.attr("view").is_some_and(|v| v.contains("scorer")))
            {
                let mut elems = Vec::new();
                find_all(b, &["p", "li"], &mut elems);
                for e in &elems {
                    if let Some(points) = e.attr("data-points").and_then(|p| p.parse::<f64>().ok())
                    {
                        rubric.push(RubricElement {
                            element: e.all_text().trim().to_string(),
                            points,
                            veto: e.attr("data-veto") == Some("true"),
                        });
                    }
                }
                let mut divs = Vec::new();
                find_all(b, &["div"], &mut divs);
                reference = match divs.iter().find(|d| has_class(d, "skillcert-reference")) {
                    Some(d) => Some(html(d)),
                    // Other tools: the scorer's rubric block without our rubric lines.
                    None => Some(sanitize(
                        b.inner_html(&|n: &Node| {
                            n.attr("data-points")
                                .map(|_| String::new())
                                .or_else(|| without_feedback(n))
                        })
                        .trim(),
                    )),
                }
                .filter(|s| !s.is_empty());
            }
            let t = if has_class(inter, "skillcert-practical") {
                ItemType::Practical
            } else if has_class(inter, "skillcert-short-answer") {
                ItemType::ShortAnswer
            } else {
                ItemType::Essay
            };
            (t, Answer::Assessed)
        }
        other => {
            return Err(Problem::new(
                "import_error.qti_unsupported",
                format!("{other} is not supported"),
            )
            .with("name", other))
        }
    };
    let explanation = root
        .children_named("modalFeedback")
        .find(|m| m.attr("identifier") == Some("EXPLANATION"))
        .map(html)
        .filter(|s| !s.is_empty());
    let difficulty = outcome_default(root, "DIFFICULTY")
        .map(|d| d as u8)
        .filter(|d| (1..=5).contains(d))
        .unwrap_or(3);
    let score = outcome_default(root, "MAXSCORE")
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0);
    Ok(ParsedItem {
        line,
        external_id: id,
        point: body.attr("data-skillcert-point").map(String::from),
        category: None,
        content: ItemContent {
            item_type,
            stem,
            options,
            answer,
            reference,
            rubric,
            explanation,
            difficulty,
            score,
        },
    })
}

#[cfg(test)]
mod tests;
