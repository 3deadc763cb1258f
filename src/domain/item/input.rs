//! Items as clients send them (API and forms), before they become [`ItemContent`].

use serde::Deserialize;

use super::{Answer, Choice, ItemContent, ItemType, RubricElement};

/// An item as clients send it (API and forms): the JSON shape of [`ItemJson`] plus the
/// reference, rubric and metadata.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ItemInput {
    #[serde(rename = "type")]
    pub item_type: ItemType,
    pub stem: String,
    #[serde(default)]
    pub options: Vec<Choice>,
    /// As in [`ItemJson::correct`].
    #[serde(default)]
    #[schema(value_type = Value)]
    pub correct: serde_json::Value,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub rubric: Vec<RubricElement>,
    #[serde(default)]
    pub explanation: Option<String>,
    #[serde(default = "default_difficulty")]
    pub difficulty: u8,
    #[serde(default = "default_score")]
    pub score: f64,
}

fn default_difficulty() -> u8 {
    3
}

fn default_score() -> f64 {
    1.0
}

impl ItemInput {
    /// The content, or why `correct` does not fit the type (a message key under
    /// `item_error.`). Texts are taken as given; the caller sanitises rich text.
    pub fn into_content(self) -> Result<ItemContent, &'static str> {
        use serde_json::Value as V;
        let strings = |v: &V| -> Option<Vec<String>> {
            v.as_array()?
                .iter()
                .map(|x| x.as_str().map(String::from))
                .collect()
        };
        let answer = match self.item_type {
            ItemType::TrueFalse => {
                Answer::TrueFalse(self.correct.as_bool().ok_or("item_error.correct_bool")?)
            }
            ItemType::SingleChoice | ItemType::MultipleChoice => {
                Answer::Keys(strings(&self.correct).ok_or("item_error.correct_keys")?)
            }
            ItemType::Ordering => {
                Answer::Order(strings(&self.correct).ok_or("item_error.correct_order")?)
            }
            ItemType::FillIn => {
                Answer::Accepted(strings(&self.correct).ok_or("item_error.correct_accepted")?)
            }
            ItemType::Numerical => {
                let value = self
                    .correct
                    .get("value")
                    .and_then(V::as_f64)
                    .ok_or("item_error.correct_numerical")?;
                let tolerance = self
                    .correct
                    .get("tolerance")
                    .and_then(V::as_f64)
                    .unwrap_or(0.0);
                Answer::Numerical { value, tolerance }
            }
            ItemType::Matching => Answer::Pairs(
                self.correct
                    .as_array()
                    .ok_or("item_error.correct_pairs")?
                    .iter()
                    .map(|p| match p.as_array().map(|a| a.as_slice()) {
                        Some([V::String(l), V::String(r)]) => Some((l.clone(), r.clone())),
                        _ => None,
                    })
                    .collect::<Option<_>>()
                    .ok_or("item_error.correct_pairs")?,
            ),
            ItemType::ShortAnswer | ItemType::Essay | ItemType::Practical => Answer::Assessed,
        };
        Ok(ItemContent {
            item_type: self.item_type,
            stem: self.stem,
            options: self.options,
            answer,
            reference: self.reference,
            rubric: self.rubric,
            explanation: self.explanation,
            difficulty: self.difficulty,
            score: self.score,
        })
    }
}
