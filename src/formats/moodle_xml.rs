//! Moodle XML (`<quiz><question type="…">`): multichoice, truefalse, shortanswer,
//! numerical, matching, essay, and categories. Cloze (`multianswer`) questions have no
//! equivalent in skillcert's item model and are refused with a message naming the
//! question, as are grades that are not in Moodle's list of valid fractions (Moodle's
//! own import fails on those too).

use super::text::{escape, sanitize, utf8};
use super::xml::{self, Node};
use super::{ImportError, Limits, Parsed, ParsedItem, Problem};
use crate::domain::item::{option_key, Answer, Choice, ItemContent, ItemType};

/// Moodle's grade fractions (percent); imports with other values fail, as in Moodle.
const VALID_FRACTIONS: [f64; 22] = [
    100.0, 90.0, 83.33333, 80.0, 75.0, 70.0, 66.66667, 60.0, 50.0, 40.0, 33.33333, 30.0, 25.0,
    20.0, 16.66667, 14.28571, 12.5, 11.11111, 10.0, 5.0, 0.0, 0.0,
];

fn valid_fraction(f: f64) -> bool {
    VALID_FRACTIONS.iter().any(|v| (v - f.abs()).abs() < 0.0001)
}

/// The `<text>` of an element, as an HTML fragment according to its `format`.
fn rich(node: Option<&Node>) -> String {
    let Some(n) = node else { return String::new() };
    let text = n.child("text").map(|t| t.all_text()).unwrap_or_default();
    match n.attr("format") {
        Some("plain_text") | Some("plain") | Some("markdown") => escape(text.trim()),
        _ => sanitize(text.trim()),
    }
}

fn plain(node: Option<&Node>) -> String {
    node.and_then(|n| n.child("text"))
        .map(|t| t.all_text().trim().to_string())
        .unwrap_or_default()
}

fn fraction(a: &Node) -> Result<f64, Problem> {
    let raw = a.attr("fraction").unwrap_or("0").trim();
    let f = raw.parse::<f64>().map_err(|_| {
        Problem::new(
            "import_error.moodle_fraction",
            "the fraction is not a number",
        )
        .with("value", raw)
    })?;
    if !valid_fraction(f) {
        return Err(Problem::new(
            "import_error.moodle_fraction",
            format!("fraction {f} is not one of Moodle's valid grades (e.g. 100, 50, 33.33333)"),
        )
        .with("value", f));
    }
    Ok(f)
}

/// No answer is fully right.
fn no_key() -> Problem {
    Problem::new("import_error.moodle_no_key", "no answer has fraction 100")
}

fn question(q: &Node, category: &Option<String>) -> Result<Option<ParsedItem>, Problem> {
    let qtype = q.attr("type").unwrap_or("");
    let name = plain(q.child("name"));
    let stem = rich(q.child("questiontext"));
    let answers: Vec<&Node> = q.children_named("answer").collect();
    let base = |item_type, options, answer| ItemContent {
        item_type,
        stem: stem.clone(),
        options,
        answer,
        reference: None,
        rubric: vec![],
        explanation: Some(rich(q.child("generalfeedback"))).filter(|s| !s.is_empty()),
        difficulty: 3,
        score: q
            .child("defaultgrade")
            .and_then(|g| g.text.trim().parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .unwrap_or(1.0),
    };
    let content = match qtype {
        "category" | "description" => return Ok(None),
        "multichoice" => {
            let mut options = Vec::new();
            let mut correct = Vec::new();
            for (i, a) in answers.iter().enumerate() {
                let f = fraction(a)?;
                options.push(Choice {
                    key: option_key(i),
                    text: rich(Some(a)),
                });
                if f > 0.0 {
                    correct.push(option_key(i));
                }
            }
            let single = q
                .child("single")
                .map(|s| s.text.trim())
                .is_none_or(|s| s == "true" || s == "1");
            base(
                if single {
                    ItemType::SingleChoice
                } else {
                    ItemType::MultipleChoice
                },
                options,
                Answer::Keys(correct),
            )
        }
        "truefalse" => {
            let mut value = None;
            for a in &answers {
                if fraction(a)? >= 100.0 {
                    value = Some(plain(Some(a)).eq_ignore_ascii_case("true"));
                }
            }
            base(
                ItemType::TrueFalse,
                vec![],
                Answer::TrueFalse(value.ok_or_else(no_key)?),
            )
        }
        "shortanswer" => {
            let mut accepted = Vec::new();
            for a in &answers {
                if fraction(a)? >= 100.0 {
                    accepted.push(plain(Some(a)));
                }
            }
            base(ItemType::FillIn, vec![], Answer::Accepted(accepted))
        }
        "numerical" => {
            let a = answers
                .iter()
                .find(|a| fraction(a).is_ok_and(|f| f >= 100.0))
                .ok_or_else(no_key)?;
            let value = plain(Some(a))
                .parse::<f64>()
                .map_err(|_| Problem::new("import_error.moodle_number", "the answer is not a number"))?;
            let tolerance = a
                .child("tolerance")
                .and_then(|t| t.text.trim().parse::<f64>().ok())
                .unwrap_or(0.0);
            base(
                ItemType::Numerical,
                vec![],
                Answer::Numerical { value, tolerance },
            )
        }
        "matching" => {
            let pairs = q
                .children_named("subquestion")
                .map(|s| {
                    (
                        super::text::unescape(&rich(Some(s))),
                        plain(s.child("answer")),
                    )
                })
                .collect();
            base(ItemType::Matching, vec![], Answer::Pairs(pairs))
        }
        "essay" => {
            let mut c = base(ItemType::Essay, vec![], Answer::Assessed);
            c.reference = Some(rich(q.child("graderinfo"))).filter(|s| !s.is_empty());
            c
        }
        "cloze" | "multianswer" => {
            return Err(Problem::new(
                "import_error.moodle_cloze",
                format!("cloze question {name:?} has no equivalent in skillcert; split it into fill-in items"),
            )
            .with("name", &name))
        }
        other => {
            return Err(Problem::new(
                "import_error.moodle_type",
                format!("question type {other:?} ({name:?}) is not supported"),
            )
            .with("value", other))
        }
    };
    Ok(Some(ParsedItem {
        line: q.line,
        external_id: Some(name).filter(|n| !n.is_empty()),
        point: None,
        category: category.clone(),
        content,
    }))
}

pub fn read(bytes: &[u8], limits: &Limits) -> Parsed {
    let mut p = Parsed::default();
    let text = match utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            p.errors.push(e);
            return p;
        }
    };
    let root = match xml::parse(text, limits) {
        Ok(r) => r,
        Err(e) => {
            p.errors.push(e);
            return p;
        }
    };
    if root.name != "quiz" {
        p.errors.push(ImportError::at_path(
            root.line,
            root.name.clone(),
            Problem::new(
                "import_error.moodle_root",
                "a Moodle XML file starts with <quiz>",
            ),
        ));
        return p;
    }
    let mut category = None;
    for (i, q) in root.children_named("question").enumerate() {
        if q.attr("type") == Some("category") {
            category = Some(plain(q.child("category"))).filter(|c| !c.is_empty());
        }
        match question(q, &category) {
            Ok(Some(item)) => p.push_item(item),
            Ok(None) => {}
            Err(problem) => p.errors.push(ImportError::at_path(
                q.line,
                format!("/quiz/question[{}]", i + 1),
                problem,
            )),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_choice_and_true_false_with_categories() {
        let x = r#"<?xml version="1.0"?>
<quiz>
  <question type="category"><category><text>$course$/top/电工</text></category></question>
  <question type="multichoice">
    <name><text>频率</text></name>
    <questiontext format="html"><text><![CDATA[<p>我国工频是</p>]]></text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>50 Hz</text></answer>
    <answer fraction="0"><text>60 Hz</text></answer>
  </question>
  <question type="truefalse">
    <name><text>TF</text></name>
    <questiontext format="plain_text"><text>a &lt; b</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
  <question type="multichoice">
    <name><text>bad</text></name>
    <questiontext><text>x</text></questiontext>
    <answer fraction="33"><text>a</text></answer>
  </question>
</quiz>"#;
        let p = read(x.as_bytes(), &Limits::default());
        assert_eq!(p.items.len(), 2, "{:?}", p.errors);
        assert_eq!(p.items[0].category.as_deref(), Some("$course$/top/电工"));
        assert_eq!(p.items[0].content.stem, "<p>我国工频是</p>");
        assert_eq!(p.items[1].content.answer, Answer::TrueFalse(false));
        assert_eq!(p.items[1].content.stem, "a &lt; b");
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 17);
        assert!(p.errors[0].message.contains("33"));
    }
}
