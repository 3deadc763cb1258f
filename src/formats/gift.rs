//! GIFT, Moodle's text format: `::title:: stem {answers}` with `=` right, `~` wrong,
//! `%w%` weights, `->` matching, `#` numerical and feedback, `####` general feedback,
//! `$CATEGORY:` lines and `\` escapes. Written by hand: no maintained Rust GIFT parser
//! exists. Mapping: true/false → `true_false`; one `=` among `~` → `single_choice`;
//! weighted `~%n%` with several positive weights → `multiple_choice`; only `=` answers →
//! `fill_in`; `a -> b` → `matching`; `#` → `numerical`; `{}` → `essay`. A question
//! without an answer block is a description and is skipped.

use super::text::{escape, sanitize, utf8};
use super::{Limits, Parsed, ParsedItem, Problem};
use crate::domain::item::{option_key, Answer, Choice, ItemContent, ItemType};

/// Positions of `needle` in `s` not preceded by a backslash escape.
fn find_unescaped(s: &str, needle: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = from;
    while i + needle.len() <= b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        // Needles are ASCII, so a byte match is always on a character boundary.
        if b[i..].starts_with(needle.as_bytes()) {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(x) => out.push(x),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Text with its GIFT format prefix applied: `[plain]` and `[markdown]` are escaped,
/// `[html]` and the default `[moodle]` format are sanitised HTML.
fn rich(raw: &str, default: Format) -> String {
    // An answer may carry its own format tag: `=[plain]blue`.
    let (format, raw) = match take_format(raw) {
        (f, rest) if rest.len() != raw.len() => (f, rest),
        _ => (default, raw),
    };
    let t = unescape(raw.trim());
    match format {
        Format::Plain | Format::Markdown => escape(&t),
        Format::Html | Format::Moodle => sanitize(&t),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Moodle,
    Html,
    Plain,
    Markdown,
}

fn take_format(s: &str) -> (Format, &str) {
    let t = s.trim_start();
    for (tag, f) in [
        ("[html]", Format::Html),
        ("[moodle]", Format::Moodle),
        ("[plain]", Format::Plain),
        ("[markdown]", Format::Markdown),
    ] {
        if let Some(rest) = t.strip_prefix(tag) {
            return (f, rest);
        }
    }
    (Format::Moodle, s)
}

struct RawAnswer {
    correct_marker: bool,
    weight: Option<f64>,
    text: String,
}

/// Splits an answer block into `=`/`~` answers (feedback after `#` dropped).
fn answers(block: &str) -> Vec<RawAnswer> {
    let mut starts = Vec::new();
    let b = block.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'=' | b'~' => {
                // `->` inside a matching answer is not a marker; neither is `=` right
                // after `%` weights.
                starts.push(i);
            }
            _ => {}
        }
        i += 1;
    }
    let mut out = Vec::new();
    for (n, s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(block.len());
        let mut body = &block[s + 1..end];
        let correct_marker = b[*s] == b'=';
        let mut weight = None;
        if let Some(rest) = body.strip_prefix('%') {
            if let Some(close) = rest.find('%') {
                weight = rest[..close].trim().parse::<f64>().ok();
                body = &rest[close + 1..];
            }
        }
        let text = match find_unescaped(body, "#", 0) {
            Some(h) => &body[..h],
            None => body,
        };
        out.push(RawAnswer {
            correct_marker,
            weight,
            text: text.trim().to_string(),
        });
    }
    out
}

fn parse_number_spec(spec: &str) -> Option<(f64, f64)> {
    let spec = match find_unescaped(spec, "#", 0) {
        Some(h) => &spec[..h],
        None => spec,
    }
    .trim();
    if let Some((lo, hi)) = spec.split_once("..") {
        let (lo, hi) = (
            lo.trim().parse::<f64>().ok()?,
            hi.trim().parse::<f64>().ok()?,
        );
        return Some(((lo + hi) / 2.0, (hi - lo).abs() / 2.0));
    }
    if let Some((v, t)) = spec.split_once(':') {
        return Some((v.trim().parse().ok()?, t.trim().parse().ok()?));
    }
    Some((spec.parse().ok()?, 0.0))
}

/// An answer block left open.
fn unclosed() -> Problem {
    Problem::new(
        "import_error.gift_unclosed",
        "the answer block is not closed with }",
    )
}

fn parse_question(
    chunk: &str,
    line: usize,
    category: &Option<String>,
) -> Result<Option<ParsedItem>, Problem> {
    let mut rest = chunk.trim();
    let mut title = None;
    if let Some(after) = rest.strip_prefix("::") {
        let close = find_unescaped(after, "::", 0).ok_or_else(|| {
            Problem::new(
                "import_error.gift_title_open",
                "the title is not closed with ::",
            )
        })?;
        title = Some(unescape(&after[..close]));
        rest = after[close + 2..].trim_start();
    }
    let Some(open) = find_unescaped(rest, "{", 0) else {
        // A description: text without answers.
        return Ok(None);
    };
    let close = find_unescaped(rest, "}", open + 1).ok_or_else(unclosed)?;
    let (format, prefix) = take_format(&rest[..open]);
    let suffix = rest[close + 1..].trim();
    let mut block = rest[open + 1..close].trim().to_string();
    if let Some(g) = find_unescaped(&block, "####", 0) {
        block.truncate(g);
    }
    let block = block.trim();
    let stem_raw = if suffix.is_empty() {
        prefix.trim().to_string()
    } else {
        format!("{} _____ {}", prefix.trim(), suffix)
    };
    let stem = rich(&stem_raw, format);
    let base = |item_type, options, answer| ItemContent {
        item_type,
        stem: stem.clone(),
        options,
        answer,
        reference: None,
        rubric: vec![],
        explanation: None,
        difficulty: 3,
        score: 1.0,
    };
    let content = if block.is_empty() {
        base(ItemType::Essay, vec![], Answer::Assessed)
    } else if let Some(num) = block.strip_prefix('#') {
        let num = num.trim();
        let first = if num.starts_with('=') || num.starts_with('~') {
            answers(num)
                .into_iter()
                .find(|a| a.correct_marker && a.weight.is_none_or(|w| w >= 100.0))
                .map(|a| a.text)
                .ok_or_else(|| {
                    Problem::new(
                        "import_error.gift_numerical_key",
                        "a numerical question needs a fully correct answer",
                    )
                })?
        } else {
            // `{#3:2 ~#wrong}`: the simple form, then feedback for wrong answers.
            let end = [find_unescaped(num, "~", 0), find_unescaped(num, "#", 0)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(num.len());
            num[..end].to_string()
        };
        let (value, tolerance) = parse_number_spec(&first).ok_or_else(|| {
            Problem::new(
                "import_error.gift_number",
                format!("{first:?} is not a number, n:tolerance or min..max"),
            )
            .with("value", &first)
        })?;
        base(
            ItemType::Numerical,
            vec![],
            Answer::Numerical { value, tolerance },
        )
    } else if let Some(tf) = tf_value(block) {
        base(ItemType::TrueFalse, vec![], Answer::TrueFalse(tf))
    } else {
        let list = answers(block);
        if list.is_empty() {
            // `{One}`: a single correct short answer needs no `=`.
            let accepted = vec![unescape(take_format(block).1.trim())];
            return Ok(Some(ParsedItem {
                line,
                external_id: title,
                point: None,
                category: category.clone(),
                content: base(ItemType::FillIn, vec![], Answer::Accepted(accepted)),
            }));
        }
        let has_wrong = list.iter().any(|a| !a.correct_marker);
        if list.iter().all(|a| a.correct_marker)
            && list
                .iter()
                .any(|a| find_unescaped(&a.text, "->", 0).is_some())
        {
            let mut pairs = Vec::new();
            for a in &list {
                let arrow = find_unescaped(&a.text, "->", 0).ok_or_else(|| {
                    Problem::new(
                        "import_error.gift_pair",
                        "every matching answer needs left -> right",
                    )
                })?;
                let left = take_format(&a.text[..arrow]).1;
                pairs.push((unescape(left.trim()), unescape(a.text[arrow + 2..].trim())));
            }
            base(ItemType::Matching, vec![], Answer::Pairs(pairs))
        } else if !has_wrong && list.iter().all(|a| a.weight.is_none()) {
            base(
                ItemType::FillIn,
                vec![],
                Answer::Accepted(
                    list.iter()
                        .map(|a| unescape(take_format(&a.text).1.trim()))
                        .collect(),
                ),
            )
        } else if !has_wrong && list.iter().any(|a| a.weight.is_some()) {
            // Short answer with partial-credit alternatives: only fully correct ones count.
            let accepted = list
                .iter()
                .filter(|a| a.weight.is_none_or(|w| w >= 100.0))
                .map(|a| unescape(&a.text))
                .collect();
            base(ItemType::FillIn, vec![], Answer::Accepted(accepted))
        } else {
            let options: Vec<Choice> = list
                .iter()
                .enumerate()
                .map(|(i, a)| Choice {
                    key: option_key(i),
                    text: rich(&a.text, format),
                })
                .collect();
            let correct: Vec<String> = list
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    if a.correct_marker {
                        a.weight.is_none_or(|w| w > 0.0)
                    } else {
                        a.weight.is_some_and(|w| w > 0.0)
                    }
                })
                .map(|(i, _)| option_key(i))
                .collect();
            let single = list.iter().filter(|a| a.correct_marker).count() == 1
                && list
                    .iter()
                    .all(|a| a.weight.is_none_or(|w| w <= 0.0 || w >= 100.0));
            if correct.is_empty() {
                return Err(Problem::new(
                    "import_error.gift_no_key",
                    "no answer is marked correct (= or a positive %weight%)",
                ));
            }
            let t = if single && correct.len() == 1 {
                ItemType::SingleChoice
            } else {
                ItemType::MultipleChoice
            };
            base(t, options, Answer::Keys(correct))
        }
    };
    Ok(Some(ParsedItem {
        line,
        external_id: title,
        point: None,
        category: category.clone(),
        content,
    }))
}

fn tf_value(block: &str) -> Option<bool> {
    let word = match find_unescaped(block, "#", 0) {
        Some(h) => &block[..h],
        None => block,
    }
    .trim();
    match word.to_uppercase().as_str() {
        "T" | "TRUE" => Some(true),
        "F" | "FALSE" => Some(false),
        _ => None,
    }
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
    let deadline = super::Deadline::new(limits);
    let mut category: Option<String> = None;
    let mut chunk = String::new();
    let mut chunk_line = 0;
    let mut depth: i32 = 0;
    let flush = |chunk: &mut String, line: usize, category: &Option<String>, p: &mut Parsed| {
        if chunk.trim().is_empty() {
            chunk.clear();
            return;
        }
        match parse_question(chunk, line, category) {
            Ok(Some(item)) => p.push_item(item),
            Ok(None) => {}
            Err(problem) => p.error(line, problem),
        }
        chunk.clear();
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if deadline.passed() || p.items.len() > limits.max_items {
            p.error(
                n,
                Problem::new(
                    "import_error.too_slow",
                    "the file is too large to read in the time allowed",
                ),
            );
            return p;
        }
        let trimmed = raw.trim();
        if depth == 0 && trimmed.starts_with("//") {
            continue;
        }
        if depth == 0 && trimmed.is_empty() {
            flush(&mut chunk, chunk_line, &category, &mut p);
            continue;
        }
        if depth == 0 && chunk.trim().is_empty() {
            if let Some(cat) = trimmed.strip_prefix("$CATEGORY:") {
                category = Some(cat.trim().to_string());
                continue;
            }
            chunk_line = n;
        }
        let b = raw.as_bytes();
        let mut j = 0;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 1,
                b'{' => depth += 1,
                b'}' => depth -= 1,
                _ => {}
            }
            j += 1;
        }
        if depth < 0 {
            p.error(
                n,
                Problem::new(
                    "import_error.gift_stray_close",
                    "a } closes no answer block",
                ),
            );
            depth = 0;
        }
        chunk.push_str(raw);
        chunk.push('\n');
    }
    if depth > 0 {
        p.error(chunk_line, unclosed());
        return p;
    }
    flush(&mut chunk, chunk_line, &category, &mut p);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> ItemContent {
        let p = read(src.as_bytes(), &Limits::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.items.len(), 1);
        p.items[0].content.clone()
    }

    #[test]
    fn reads_every_question_kind() {
        assert_eq!(one("触电急救首先要{T}").answer, Answer::TrueFalse(true));
        let sc = one("::Q1:: 我国工频是 {=50 Hz ~60 Hz ~100 Hz}");
        assert_eq!(
            (sc.item_type, sc.answer),
            (ItemType::SingleChoice, Answer::Keys(vec!["A".into()]))
        );
        let mc = one("选出安全电压 {~%50%36 V ~%50%24 V ~%-100%220 V}");
        assert_eq!(
            (mc.item_type, mc.answer),
            (
                ItemType::MultipleChoice,
                Answer::Keys(vec!["A".into(), "B".into()])
            )
        );
        assert_eq!(
            one("首都是 {=北京 =北京市}").answer,
            Answer::Accepted(vec!["北京".into(), "北京市".into()])
        );
        assert_eq!(
            one("3 加 0 {#3:2}").answer,
            Answer::Numerical {
                value: 3.0,
                tolerance: 2.0
            }
        );
        assert_eq!(
            one("范围 {#1..5}").answer,
            Answer::Numerical {
                value: 3.0,
                tolerance: 2.0
            }
        );
        let m = one("配对 {=猫 -> 喵 =狗 -> 汪}");
        assert_eq!(
            m.answer,
            Answer::Pairs(vec![("猫".into(), "喵".into()), ("狗".into(), "汪".into())])
        );
        assert_eq!(one("谈谈体会 {}").item_type, ItemType::Essay);
    }

    #[test]
    fn escapes_comments_categories_and_missing_words() {
        let src =
            "// comment\n$CATEGORY: $course$/电工\n\n价格 \\{含税\\} 是 {=10\\=十 ~20} 元。\n";
        let p = read(src.as_bytes(), &Limits::default());
        assert_eq!(p.items.len(), 1, "{:?}", p.errors);
        let it = &p.items[0];
        assert_eq!(it.category.as_deref(), Some("$course$/电工"));
        assert_eq!(it.line, 4);
        assert_eq!(it.content.stem, "价格 {含税} 是 _____ 元。");
        assert_eq!(it.content.options[0].text, "10=十");
    }

    #[test]
    fn an_unclosed_block_names_its_line() {
        let p = read(b"ok {T}\n\nbroken {=a ~b\n", &Limits::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 3);
    }
}
