//! Aiken: single-answer multiple choice in plain text, as Moodle reads it.
//!
//! ```text
//! 我国工频交流电的频率是：
//! A) 50 Hz
//! B) 60 Hz
//! ANSWER: A
//! ```
//!
//! Error messages follow Moodle's wording so that people moving from Moodle recognise
//! them, each with its line.

use super::text::{escape, utf8};
use super::{Limits, Parsed, ParsedItem, Problem};
use crate::domain::item::{Answer, Choice, ItemContent, ItemType};

enum State {
    Idle,
    Stem {
        text: String,
        line: usize,
    },
    Options {
        text: String,
        line: usize,
        options: Vec<Choice>,
    },
}

/// `A) text`, `A. text`, `A)text`.
fn option_line(line: &str) -> Option<(String, &str)> {
    let mut chars = line.chars();
    let key = chars.next().filter(|c| c.is_ascii_uppercase())?;
    let sep = chars.next()?;
    if sep != ')' && sep != '.' {
        return None;
    }
    Some((key.to_string(), line[2..].trim()))
}

// Moodle's own words (its suite expects them); the interface uses the message keys.
fn not_started(n: usize) -> Problem {
    Problem::new(
        "import_error.aiken_not_started",
        format!("Question not started on line {n}"),
    )
}

fn too_few_answers(text: &str, n: usize) -> Problem {
    Problem::new(
        "import_error.aiken_too_few_answers",
        format!(
            "Error importing question {text}: Question must have at least 2 answers on line {n}"
        ),
    )
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
    let mut state = State::Idle;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if p.items.len() > limits.max_items {
            p.error(
                n,
                Problem::new("import_error.too_many_items", "too many questions")
                    .with("limit", limits.max_items),
            );
            return p;
        }
        if let Some(answer) = line
            .strip_prefix("ANSWER:")
            .or_else(|| line.strip_prefix("answer:"))
        {
            match std::mem::replace(&mut state, State::Idle) {
                State::Idle => p.error(n, not_started(n)),
                State::Stem { text, .. } => p.error(n, too_few_answers(&text, n)),
                State::Options { text, options, .. } if options.len() < 2 => {
                    p.error(n, too_few_answers(&text, n))
                }
                State::Options {
                    text,
                    line,
                    options,
                } => {
                    let key = answer.trim().to_uppercase();
                    if !options.iter().any(|o| o.key == key) {
                        p.error(
                            n,
                            Problem::new(
                                "import_error.aiken_unknown_answer",
                                format!("Error importing question {text}: the answer {key:?} on line {n} is not one of the options"),
                            )
                            .with("answer", &key),
                        );
                        continue;
                    }
                    p.push_item(ParsedItem {
                        line,
                        external_id: None,
                        point: None,
                        category: None,
                        content: ItemContent {
                            item_type: ItemType::SingleChoice,
                            stem: escape(&text),
                            options,
                            answer: Answer::Keys(vec![key]),
                            reference: None,
                            rubric: vec![],
                            explanation: None,
                            difficulty: 3,
                            score: 1.0,
                        },
                    });
                }
            }
            continue;
        }
        if let Some((key, option)) = option_line(line) {
            state = match std::mem::replace(&mut state, State::Idle) {
                State::Idle => {
                    p.error(n, not_started(n));
                    State::Idle
                }
                State::Stem { text, line } => State::Options {
                    text,
                    line,
                    options: vec![Choice {
                        key,
                        text: escape(option),
                    }],
                },
                State::Options {
                    text,
                    line,
                    mut options,
                } => {
                    options.push(Choice {
                        key,
                        text: escape(option),
                    });
                    State::Options {
                        text,
                        line,
                        options,
                    }
                }
            };
            continue;
        }
        state = match std::mem::replace(&mut state, State::Idle) {
            State::Idle => State::Stem {
                text: line.to_string(),
                line: n,
            },
            State::Stem { mut text, line: l } => {
                text.push('\n');
                text.push_str(line);
                State::Stem { text, line: l }
            }
            State::Options { text, .. } => {
                p.error(
                    n,
                    Problem::new(
                        "import_error.aiken_unfinished",
                        format!("Error importing question {text}: Question not completed before next question start on line {n}"),
                    ),
                );
                State::Stem {
                    text: line.to_string(),
                    line: n,
                }
            }
        };
    }
    match state {
        State::Idle => {}
        State::Stem { text, line } | State::Options { text, line, .. } => {
            p.error(
                line,
                Problem::new(
                    "import_error.aiken_unfinished",
                    format!("Error importing question {text}: Question not completed before the end of the file"),
                ),
            )
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_questions_and_names_each_error_line() {
        let text = "题干一\nA) 对\nB) 错\nANSWER: B\n\nA) 孤立选项\n题干二\nA)甲\nB)乙\n题干三\nA. x\nB. y\nANSWER: A\n";
        let p = read(text.as_bytes(), &Limits::default());
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.items[0].content.answer, Answer::Keys(vec!["B".into()]));
        assert_eq!(p.items[1].line, 10);
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![6, 10]);
    }
}
