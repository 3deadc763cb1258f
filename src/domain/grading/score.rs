//! Automatic scoring of objective items (DESIGN §3.5): true/false and single choice
//! exact; multiple choice all-or-nothing or half for a correct subset by the plan's
//! template; fill-in by normalised match; numerical within the tolerance; matching by
//! pairs (proportional when the template allows partial credit); ordering exact.
//! Answers arrive as the exam page saves them (shown option positions, typed text);
//! the paper's option order maps shown positions back to the item's own keys.

use serde::{Deserialize, Serialize};

use crate::domain::exam::PartialCredit;
use crate::domain::item::{option_key, Answer, ItemContent, ItemType};

/// How one position of a paper came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Correct,
    Partial,
    Wrong,
    /// Nothing was answered.
    Blank,
    /// Scored by assessors (short answer, essay, practical): waits in the marking queue.
    Pending,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Correct => "correct",
            Outcome::Partial => "partial",
            Outcome::Wrong => "wrong",
            Outcome::Blank => "blank",
            Outcome::Pending => "pending",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [
            Outcome::Correct,
            Outcome::Partial,
            Outcome::Wrong,
            Outcome::Blank,
            Outcome::Pending,
        ]
        .into_iter()
        .find(|o| o.code() == s)
    }
}

/// The score of one paper position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemScore {
    pub position: u32,
    pub points: f64,
    pub max_points: f64,
    pub outcome: Outcome,
}

/// One position to score: the item version, the points the paper gives it, the order
/// its options were shown in (shown position → the item's own option index; empty when
/// not shuffled) and the candidate's saved answer (`None` or JSON `null` when blank).
pub struct Scoring<'a> {
    pub position: u32,
    pub content: &'a ItemContent,
    pub points: f64,
    pub option_order: &'a [u8],
    pub answer: Option<&'a serde_json::Value>,
}

/// Scores one position. Points are rounded to hundredths, so sums stay exact enough to
/// compare with a pass mark.
pub fn score_item(s: &Scoring<'_>, partial: PartialCredit) -> ItemScore {
    let max = s.points;
    let done = |fraction: f64| {
        let outcome = if fraction >= 1.0 {
            Outcome::Correct
        } else if fraction > 0.0 {
            Outcome::Partial
        } else {
            Outcome::Wrong
        };
        ItemScore {
            position: s.position,
            points: round2(max * fraction.clamp(0.0, 1.0)),
            max_points: max,
            outcome,
        }
    };
    if !s.content.item_type.is_objective() {
        return ItemScore {
            position: s.position,
            points: 0.0,
            max_points: max,
            outcome: Outcome::Pending,
        };
    }
    let answer = match s.answer {
        Some(v) if !v.is_null() => v,
        _ => {
            return ItemScore {
                position: s.position,
                points: 0.0,
                max_points: max,
                outcome: Outcome::Blank,
            }
        }
    };
    let c = s.content;
    let fraction = match (&c.answer, c.item_type) {
        (Answer::TrueFalse(key), ItemType::TrueFalse) => match answer.as_bool() {
            Some(given) => f64::from(u8::from(given == *key)),
            None => 0.0,
        },
        (Answer::Keys(keys), ItemType::SingleChoice | ItemType::MultipleChoice) => {
            let Some(given) = chosen_keys(c, s.option_order, answer) else {
                return done(0.0);
            };
            choice_fraction(c.item_type, keys, &given, partial)
        }
        (Answer::Accepted(accepted), ItemType::FillIn) => match answer.as_str() {
            Some(text) => {
                let given = normalise_text(text);
                let hit = accepted.iter().any(|a| normalise_text(a) == given);
                f64::from(u8::from(hit))
            }
            None => 0.0,
        },
        (Answer::Numerical { value, tolerance }, ItemType::Numerical) => {
            match answer.as_str().and_then(parse_number) {
                Some(x) => f64::from(u8::from((x - value).abs() <= tolerance + 1e-9)),
                None => 0.0,
            }
        }
        (Answer::Pairs(pairs), ItemType::Matching) => {
            let right = matching_right(pairs, answer);
            let total = pairs.len().max(1) as f64;
            match partial {
                PartialCredit::None => f64::from(u8::from(right == pairs.len())),
                PartialCredit::HalfForSubset => right as f64 / total,
            }
        }
        (Answer::Order(order), ItemType::Ordering) => {
            let given = ordering_keys(c, s.option_order, answer);
            f64::from(u8::from(given.as_deref() == Some(order.as_slice())))
        }
        // An item whose key does not fit its type never passes the item checks; if one
        // ever reached a paper it scores nothing rather than guessing.
        _ => 0.0,
    };
    done(fraction)
}

/// Multiple choice: all or nothing, or half for a non-empty subset of the keys with no
/// wrong option when the template says so. Single choice: exact.
pub fn choice_fraction(
    t: ItemType,
    keys: &[String],
    given: &[String],
    partial: PartialCredit,
) -> f64 {
    let mut want: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut got: Vec<&str> = given.iter().map(String::as_str).collect();
    want.sort_unstable();
    want.dedup();
    got.sort_unstable();
    got.dedup();
    if got.is_empty() {
        return 0.0;
    }
    if got == want {
        return 1.0;
    }
    let subset = got.iter().all(|g| want.contains(g));
    match (t, partial, subset) {
        (ItemType::MultipleChoice, PartialCredit::HalfForSubset, true) => 0.5,
        _ => 0.0,
    }
}

/// The item's own option keys of the shown positions the candidate chose.
fn chosen_keys(c: &ItemContent, order: &[u8], answer: &serde_json::Value) -> Option<Vec<String>> {
    answer
        .as_array()?
        .iter()
        .map(|v| {
            let shown = usize::try_from(v.as_u64()?).ok()?;
            original_key(c, order, shown)
        })
        .collect()
}

fn original_key(c: &ItemContent, order: &[u8], shown: usize) -> Option<String> {
    let orig = match order.is_empty() {
        true => shown,
        false => usize::from(*order.get(shown)?),
    };
    c.options.get(orig).map(|o| o.key.clone())
}

/// An ordering as the item's own keys: shown positions, or the shown labels typed as
/// text ("BDAC", "B D A C", "B,D,A,C").
fn ordering_keys(c: &ItemContent, order: &[u8], answer: &serde_json::Value) -> Option<Vec<String>> {
    if let Some(arr) = answer.as_array() {
        return arr
            .iter()
            .map(|v| original_key(c, order, usize::try_from(v.as_u64()?).ok()?))
            .collect();
    }
    let text = normalise_text(answer.as_str()?);
    let labels: Vec<String> = (0..c.options.len()).map(option_key).collect();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([' ', ',', '-']);
        if rest.is_empty() {
            break;
        }
        // Longest label first (AA before A) for orderings of more than 26 options.
        let (shown, label) = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| rest.starts_with(&l.to_lowercase()))
            .max_by_key(|(_, l)| l.len())?;
        out.push(original_key(c, order, shown)?);
        rest = &rest[label.len()..];
    }
    Some(out)
}

/// How many pairs of a matching the candidate got right. The page saves one entry per
/// left-hand item in the item's order (the chosen right-hand text), or the pairs typed
/// as text, one per line or separated by commas or semicolons, each `left-right` (also
/// `：`, `:`, `=`, `→`), where the left may be its label (A for the first).
fn matching_right(pairs: &[(String, String)], answer: &serde_json::Value) -> usize {
    if let Some(arr) = answer.as_array() {
        return pairs
            .iter()
            .zip(arr)
            .filter(|((_, r), given)| {
                given
                    .as_str()
                    .is_some_and(|g| normalise_text(g) == normalise_text(r))
            })
            .count();
    }
    let Some(text) = answer.as_str() else {
        return 0;
    };
    let text = normalise_text(text);
    let mut right = vec![false; pairs.len()];
    for entry in text.split(['\n', ',', ';']) {
        let Some((l, r)) = entry.split_once(['-', ':', '=', '→']) else {
            continue;
        };
        let (l, r) = (l.trim(), r.trim().trim_start_matches('>').trim());
        for (i, (pl, pr)) in pairs.iter().enumerate() {
            let left_is = l == normalise_text(pl) || l == option_key(i).to_lowercase();
            if left_is && r == normalise_text(pr) {
                right[i] = true;
            }
        }
    }
    right.iter().filter(|r| **r).count()
}

/// Text as fill-in answers are compared: full-width forms folded to ASCII (the Chinese
/// input methods type ＡＢＣ１２３ and full-width punctuation), Chinese punctuation that
/// separates folded to its ASCII twin, case folded, runs of white space collapsed and
/// the ends trimmed.
pub fn normalise_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for ch in s.chars() {
        let ch = match ch {
            '\u{3000}' => ' ',
            // Full-width ASCII (including ，；：) to ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(ch as u32 - 0xFEE0).unwrap_or(ch),
            '、' => ',',
            '。' => '.',
            other => other,
        };
        if ch.is_whitespace() && ch != '\n' {
            space = true;
            continue;
        }
        if space && !out.is_empty() && !out.ends_with('\n') && ch != '\n' {
            out.push(' ');
        }
        space = false;
        out.extend(ch.to_lowercase());
    }
    out.trim().to_string()
}

/// A number as typed: full-width digits and the minus sign (−) are folded, and commas
/// are thousands separators (1,000), as Chinese writing uses them.
fn parse_number(s: &str) -> Option<f64> {
    let t = normalise_text(s).replace('\u{2212}', "-");
    let t = t.trim();
    t.replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
