//! Items (试题, DESIGN §3.2): the types, their answer keys and rubrics, and the checks
//! every item passes before it is stored, whatever file it came from. The JSON form of
//! an item ([`ItemJson`]) is the contract of `skillcert import --dry-run --json` and of
//! the API. The review life cycle is in [`lifecycle`].

mod input;
mod lifecycle;

pub use input::ItemInput;
pub use lifecycle::{transition, ItemStatus, Transition, TransitionError};

use serde::{Deserialize, Serialize};

/// Item types. Moodle's and GIFT's automatically scored "short answer" is our `FillIn`;
/// our `ShortAnswer` is the 简答 that assessors score.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    TrueFalse,
    SingleChoice,
    MultipleChoice,
    FillIn,
    Numerical,
    Matching,
    Ordering,
    ShortAnswer,
    Essay,
    Practical,
}

impl ItemType {
    pub const ALL: [ItemType; 10] = [
        ItemType::TrueFalse,
        ItemType::SingleChoice,
        ItemType::MultipleChoice,
        ItemType::FillIn,
        ItemType::Numerical,
        ItemType::Matching,
        ItemType::Ordering,
        ItemType::ShortAnswer,
        ItemType::Essay,
        ItemType::Practical,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ItemType::TrueFalse => "true_false",
            ItemType::SingleChoice => "single_choice",
            ItemType::MultipleChoice => "multiple_choice",
            ItemType::FillIn => "fill_in",
            ItemType::Numerical => "numerical",
            ItemType::Matching => "matching",
            ItemType::Ordering => "ordering",
            ItemType::ShortAnswer => "short_answer",
            ItemType::Essay => "essay",
            ItemType::Practical => "practical",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == s)
    }

    /// Scored by the machine (objective) rather than by assessors.
    pub fn is_objective(self) -> bool {
        !matches!(
            self,
            ItemType::ShortAnswer | ItemType::Essay | ItemType::Practical
        )
    }

    pub fn has_options(self) -> bool {
        matches!(
            self,
            ItemType::SingleChoice | ItemType::MultipleChoice | ItemType::Ordering
        )
    }
}

/// One option of a choice or ordering item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choice {
    pub key: String,
    pub text: String,
}

/// The answer key, per type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Answer {
    TrueFalse(bool),
    /// Correct option keys (one for single choice, at least two for multiple choice).
    Keys(Vec<String>),
    /// Accepted strings of a fill-in item, matched after normalisation.
    Accepted(Vec<String>),
    Numerical {
        value: f64,
        tolerance: f64,
    },
    /// `(left, right)` pairs of a matching item.
    Pairs(Vec<(String, String)>),
    /// Option keys in the right order.
    Order(Vec<String>),
    /// Scored by assessors against the reference and rubric.
    Assessed,
}

/// A scoring element of a rubric; a veto element (否决项) fails the whole task when
/// it is not met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RubricElement {
    pub element: String,
    pub points: f64,
    #[serde(default)]
    pub veto: bool,
}

/// Everything an item version holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemContent {
    pub item_type: ItemType,
    pub stem: String,
    pub options: Vec<Choice>,
    pub answer: Answer,
    pub reference: Option<String>,
    pub rubric: Vec<RubricElement>,
    pub explanation: Option<String>,
    /// 1 easy … 5 hard.
    pub difficulty: u8,
    pub score: f64,
}

/// Keys `A`, `B`, … for options in order.
pub fn option_key(i: usize) -> String {
    let mut n = i;
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (n % 26) as u8) as char);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s
}

/// Why an item is not acceptable; each is a message an author can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("the stem is empty")]
    EmptyStem,
    #[error("{0} needs at least {1} options")]
    TooFewOptions(&'static str, usize),
    #[error("an option is empty")]
    EmptyOption,
    #[error("two options have the same key {0}")]
    DuplicateKey(String),
    #[error("single choice needs exactly one correct option")]
    SingleNeedsOne,
    #[error("multiple choice needs at least two correct options")]
    MultipleNeedsTwo,
    #[error("the answer names option {0}, which does not exist")]
    UnknownKey(String),
    #[error("the answer does not fit a {0} item")]
    AnswerType(&'static str),
    #[error("a fill-in item needs at least one accepted answer")]
    NoAccepted,
    #[error("the tolerance must be zero or positive")]
    Tolerance,
    #[error("a matching item needs at least two pairs")]
    TooFewPairs,
    #[error("the order must name every option exactly once")]
    Order,
    #[error("a practical task needs a rubric")]
    NoRubric,
    #[error("difficulty is 1 to 5")]
    Difficulty,
    #[error("the score must be positive")]
    Score,
    #[error("an item has at most {0} options")]
    TooManyOptions(usize),
    #[error("{0} is longer than {1} characters")]
    TooLong(&'static str, usize),
}

impl ItemError {
    /// The message key (under `item_error.`) and its detail, for the interface.
    pub fn code(&self) -> (&'static str, Option<String>) {
        match self {
            ItemError::EmptyStem => ("item_error.empty_stem", None),
            ItemError::TooFewOptions(_, n) => ("item_error.too_few_options", Some(n.to_string())),
            ItemError::EmptyOption => ("item_error.empty_option", None),
            ItemError::DuplicateKey(k) => ("item_error.duplicate_key", Some(k.clone())),
            ItemError::SingleNeedsOne => ("item_error.single_needs_one", None),
            ItemError::MultipleNeedsTwo => ("item_error.multiple_needs_two", None),
            ItemError::UnknownKey(k) => ("item_error.unknown_key", Some(k.clone())),
            ItemError::AnswerType(_) => ("item_error.answer_type", None),
            ItemError::NoAccepted => ("item_error.no_accepted", None),
            ItemError::Tolerance => ("item_error.tolerance", None),
            ItemError::TooFewPairs => ("item_error.too_few_pairs", None),
            ItemError::Order => ("item_error.order", None),
            ItemError::NoRubric => ("item_error.no_rubric", None),
            ItemError::Difficulty => ("item_error.difficulty", None),
            ItemError::Score => ("item_error.score", None),
            ItemError::TooManyOptions(n) => ("item_error.too_many_options", Some(n.to_string())),
            ItemError::TooLong(_, n) => ("item_error.too_long", Some(n.to_string())),
        }
    }

    /// The input field at fault, as the API names it (`correct` for the answer).
    pub fn field(&self) -> &'static str {
        match self {
            ItemError::EmptyStem => "stem",
            ItemError::TooFewOptions(..)
            | ItemError::EmptyOption
            | ItemError::DuplicateKey(_)
            | ItemError::TooManyOptions(_) => "options",
            ItemError::SingleNeedsOne
            | ItemError::MultipleNeedsTwo
            | ItemError::UnknownKey(_)
            | ItemError::AnswerType(_)
            | ItemError::NoAccepted
            | ItemError::Tolerance
            | ItemError::TooFewPairs
            | ItemError::Order => "correct",
            ItemError::NoRubric => "rubric",
            ItemError::Difficulty => "difficulty",
            ItemError::Score => "score",
            ItemError::TooLong("option", _) => "options",
            ItemError::TooLong(field, _) => field,
        }
    }
}

/// Options an item may have (A–Z).
pub const MAX_OPTIONS: usize = 26;
/// Characters of a stem, a reference answer or an explanation (rich text): a long case
/// description fits; a megabyte pasted by mistake does not.
pub const MAX_RICH_TEXT: usize = 20_000;
/// Characters of one option, accepted answer, matching side or rubric element.
pub const MAX_SHORT_TEXT: usize = 2_000;

impl ItemContent {
    /// Checks the item against the rules of its type.
    pub fn validate(&self) -> Result<(), ItemError> {
        if self.stem.trim().is_empty() {
            return Err(ItemError::EmptyStem);
        }
        self.check_lengths()?;
        if !(1..=5).contains(&self.difficulty) {
            return Err(ItemError::Difficulty);
        }
        if !(self.score > 0.0 && self.score.is_finite()) {
            return Err(ItemError::Score);
        }
        if self.options.len() > MAX_OPTIONS {
            return Err(ItemError::TooManyOptions(MAX_OPTIONS));
        }
        let keys: Vec<&str> = self.options.iter().map(|o| o.key.as_str()).collect();
        let mut seen = std::collections::HashSet::new();
        for k in &keys {
            if !seen.insert(*k) {
                return Err(ItemError::DuplicateKey(k.to_string()));
            }
        }
        if self.options.iter().any(|o| o.text.trim().is_empty()) {
            return Err(ItemError::EmptyOption);
        }
        let known = |k: &String| {
            if keys.contains(&k.as_str()) {
                Ok(())
            } else {
                Err(ItemError::UnknownKey(k.clone()))
            }
        };
        let t = self.item_type.code();
        match (self.item_type, &self.answer) {
            (ItemType::TrueFalse, Answer::TrueFalse(_)) => Ok(()),
            (ItemType::SingleChoice, Answer::Keys(k)) => {
                if self.options.len() < 2 {
                    return Err(ItemError::TooFewOptions(t, 2));
                }
                if k.len() != 1 {
                    return Err(ItemError::SingleNeedsOne);
                }
                k.iter().try_for_each(known)
            }
            (ItemType::MultipleChoice, Answer::Keys(k)) => {
                if self.options.len() < 3 {
                    return Err(ItemError::TooFewOptions(t, 3));
                }
                let mut uniq = k.clone();
                uniq.sort();
                uniq.dedup();
                if uniq.len() < 2 {
                    return Err(ItemError::MultipleNeedsTwo);
                }
                k.iter().try_for_each(known)
            }
            (ItemType::FillIn, Answer::Accepted(a)) => {
                if a.iter().all(|s| s.trim().is_empty()) {
                    Err(ItemError::NoAccepted)
                } else {
                    Ok(())
                }
            }
            (ItemType::Numerical, Answer::Numerical { value, tolerance }) => {
                if !value.is_finite() || !tolerance.is_finite() || *tolerance < 0.0 {
                    Err(ItemError::Tolerance)
                } else {
                    Ok(())
                }
            }
            (ItemType::Matching, Answer::Pairs(p)) => {
                if p.len() < 2 {
                    Err(ItemError::TooFewPairs)
                } else {
                    Ok(())
                }
            }
            (ItemType::Ordering, Answer::Order(o)) => {
                if self.options.len() < 2 {
                    return Err(ItemError::TooFewOptions(t, 2));
                }
                let mut a: Vec<&str> = o.iter().map(String::as_str).collect();
                let mut b = keys.clone();
                a.sort_unstable();
                b.sort_unstable();
                if a != b {
                    Err(ItemError::Order)
                } else {
                    Ok(())
                }
            }
            (ItemType::Practical, Answer::Assessed) => {
                if self.rubric.is_empty() {
                    Err(ItemError::NoRubric)
                } else {
                    Ok(())
                }
            }
            (ItemType::ShortAnswer | ItemType::Essay, Answer::Assessed) => Ok(()),
            _ => Err(ItemError::AnswerType(t)),
        }
    }

    /// The normalised stem and key used to find duplicates in a bank: white space
    /// collapsed, full-width ASCII folded to half-width, case folded.
    pub fn duplicate_key(&self) -> String {
        let key = serde_json::to_string(&self.answer).unwrap_or_default();
        format!(
            "{}|{}|{}",
            self.item_type.code(),
            normalise_text(&self.stem),
            normalise_text(&key)
        )
    }

    /// Rich text up to [`MAX_RICH_TEXT`] characters, every shorter text up to
    /// [`MAX_SHORT_TEXT`].
    fn check_lengths(&self) -> Result<(), ItemError> {
        let long = |s: &str, max: usize| s.chars().count() > max;
        let rich = [
            ("stem", Some(&self.stem)),
            ("reference", self.reference.as_ref()),
            ("explanation", self.explanation.as_ref()),
        ];
        for (field, text) in rich {
            if text.is_some_and(|t| long(t, MAX_RICH_TEXT)) {
                return Err(ItemError::TooLong(field, MAX_RICH_TEXT));
            }
        }
        let mut short: Vec<&str> = self.options.iter().map(|o| o.text.as_str()).collect();
        short.extend(self.rubric.iter().map(|r| r.element.as_str()));
        match &self.answer {
            Answer::Accepted(a) => short.extend(a.iter().map(String::as_str)),
            Answer::Pairs(p) => short.extend(p.iter().flat_map(|(l, r)| [l.as_str(), r.as_str()])),
            _ => {}
        }
        if short.iter().any(|t| long(t, MAX_SHORT_TEXT)) {
            return Err(ItemError::TooLong("option", MAX_SHORT_TEXT));
        }
        Ok(())
    }

    /// The item as shown to someone not reading keys: the answer, the reference answer,
    /// the rubric and the explanation removed.
    pub fn without_keys(&self) -> ItemContent {
        ItemContent {
            answer: Answer::Assessed,
            reference: None,
            rubric: Vec::new(),
            explanation: None,
            ..self.clone()
        }
    }

    pub fn to_json(&self) -> ItemJson {
        let correct = match &self.answer {
            Answer::TrueFalse(b) => serde_json::json!(b),
            Answer::Keys(k) => serde_json::json!(k),
            Answer::Accepted(a) => serde_json::json!(a),
            Answer::Numerical { value, tolerance } => {
                serde_json::json!({"value": value, "tolerance": tolerance})
            }
            Answer::Pairs(p) => {
                serde_json::json!(p.iter().map(|(l, r)| [l, r]).collect::<Vec<_>>())
            }
            Answer::Order(o) => serde_json::json!(o),
            Answer::Assessed => serde_json::Value::Null,
        };
        ItemJson {
            item_type: self.item_type,
            stem: self.stem.clone(),
            options: self.options.clone(),
            correct,
        }
    }
}

/// The item shape of `--dry-run --json` and of the API.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemJson {
    #[serde(rename = "type")]
    pub item_type: ItemType,
    pub stem: String,
    pub options: Vec<Choice>,
    /// A boolean for true_false, option keys for choice types, accepted strings for
    /// fill_in, `{"value","tolerance"}` for numerical, `[[left,right],…]` for matching,
    /// keys in order for ordering, `null` for essay, short_answer and practical.
    #[schema(value_type = Value)]
    pub correct: serde_json::Value,
}

/// Folds text for comparisons: NFKC-like width folding of ASCII, collapsed white space,
/// lower case, trimmed.
pub fn normalise_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(answer: &str) -> ItemContent {
        ItemContent {
            item_type: ItemType::SingleChoice,
            stem: "我国交流电的频率是（ ）。".into(),
            options: ["50 Hz", "60 Hz", "100 Hz"]
                .iter()
                .enumerate()
                .map(|(i, t)| Choice {
                    key: option_key(i),
                    text: t.to_string(),
                })
                .collect(),
            answer: Answer::Keys(vec![answer.into()]),
            reference: None,
            rubric: vec![],
            explanation: None,
            difficulty: 2,
            score: 1.0,
        }
    }

    #[test]
    fn option_keys_run_past_z() {
        assert_eq!(option_key(0), "A");
        assert_eq!(option_key(25), "Z");
        assert_eq!(option_key(26), "AA");
    }

    #[test]
    fn answers_must_fit_the_options() {
        assert!(single("A").validate().is_ok());
        assert_eq!(
            single("D").validate(),
            Err(ItemError::UnknownKey("D".into()))
        );
        let mut two = single("A");
        two.answer = Answer::Keys(vec!["A".into(), "B".into()]);
        assert_eq!(two.validate(), Err(ItemError::SingleNeedsOne));
        let mut tf = single("A");
        tf.item_type = ItemType::TrueFalse;
        assert_eq!(tf.validate(), Err(ItemError::AnswerType("true_false")));
    }

    #[test]
    fn duplicates_ignore_width_and_spacing() {
        let a = single("A");
        let mut b = single("A");
        b.stem = "我国交流电的频率是（　）。 ".into();
        b.stem = b.stem.replace('（', "(").replace('）', ")");
        let mut c = a.clone();
        c.stem = "  我国交流电的频率是（ ）。".into();
        assert_eq!(a.duplicate_key(), b.duplicate_key());
        assert_eq!(a.duplicate_key(), c.duplicate_key());
        assert_ne!(a.duplicate_key(), single("B").duplicate_key());
        assert_eq!(normalise_text("ＡＢＣ　d"), "abc d");
    }
}
