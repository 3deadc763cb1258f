//! skillcert's own bank format (question-banks/FORMAT.md): a folder per occupation with
//! `occupation.toml`, `standard-<level>-<mode>.toml` and `items-<level>-<mode>.toml`.
//! Readable and diffable by authors; [`write_files`] → [`read_files`] gives back exactly
//! the same bank.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::text::{line_of, sanitize, utf8, LineIndex};
use super::{ImportError, Limits, OccupationEntry, Parsed, ParsedItem, Problem};
use crate::domain::item::{option_key, Answer, Choice, ItemContent, ItemType, RubricElement};
use crate::domain::standard::{Area, Importance, Mode, Point, Standard};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StandardFile {
    level: u8,
    mode: String,
    #[serde(default)]
    area: Vec<AreaFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaFile {
    code: String,
    name: String,
    weight: u32,
    #[serde(default)]
    point: Vec<PointFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointFile {
    code: String,
    name: String,
    importance: String,
}

#[derive(Debug, Deserialize)]
struct ItemsFileIn {
    #[serde(default)]
    item: Vec<toml::Spanned<ItemFile>>,
}

#[derive(Debug, Serialize)]
struct ItemsFileOut {
    item: Vec<ItemFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    point: Option<String>,
    #[serde(rename = "type")]
    item_type: String,
    difficulty: u8,
    score: f64,
    stem: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<toml::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    rubric: Vec<RubricElement>,
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> ImportError {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
    let message = e.message().to_string();
    // The usual mistake, a field left out, is named in the reader's language; other
    // TOML errors quote the parser.
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'));
    let problem = match missing {
        Some(field) => {
            Problem::new("import_error.toml_missing_field", &message).with("field", field)
        }
        None => Problem::new("import_error.toml_syntax", &message).with("detail", &message),
    };
    ImportError::at_path(line, file, problem)
}

/// A standard's own rule broken (`standard_error.*`).
fn standard_problem(e: &crate::domain::standard::StandardError) -> Problem {
    let (code, detail) = e.code();
    let problem = Problem::new(code, e.to_string());
    match detail {
        Some(d) => problem.with("detail", d),
        None => problem,
    }
}

/// Reads the files of one bank folder, given as `(file name, bytes)`.
pub fn read_files(files: &[(String, Vec<u8>)], limits: &Limits) -> Parsed {
    let mut p = Parsed::default();
    let mut names: Vec<&(String, Vec<u8>)> = files.iter().collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let mut item_files = Vec::new();
    for (name, bytes) in names {
        let text = match utf8(bytes) {
            Ok(t) => t,
            Err(mut e) => {
                e.path = Some(name.clone());
                p.errors.push(e);
                continue;
            }
        };
        if name == "occupation.toml" {
            match toml::from_str::<OccupationEntry>(text) {
                Ok(o) => p.occupation = Some(o),
                Err(e) => p.errors.push(toml_error(name, text, &e)),
            }
        } else if name.starts_with("standard-") && name.ends_with(".toml") {
            match toml::from_str::<StandardFile>(text) {
                Ok(s) => match standard_from_file(s) {
                    Ok(std) => {
                        if let Err(e) = std.validate() {
                            p.errors.push(ImportError::at_path(
                                0,
                                name.clone(),
                                standard_problem(&e),
                            ));
                        }
                        p.standards.push(std);
                    }
                    Err(problem) => p
                        .errors
                        .push(ImportError::at_path(0, name.clone(), problem)),
                },
                Err(e) => p.errors.push(toml_error(name, text, &e)),
            }
        } else if name.starts_with("items-") && name.ends_with(".toml") {
            item_files.push((name.clone(), text));
        }
    }
    for (name, text) in item_files {
        let target = name
            .trim_start_matches("items-")
            .trim_end_matches(".toml")
            .split_once('-')
            .and_then(|(l, m)| Some((l.parse::<u8>().ok()?, Mode::from_code(m)?)));
        let Some((level, mode)) = target else {
            p.errors.push(ImportError::at_path(
                0,
                name,
                Problem::new(
                    "import_error.own_file_name",
                    "items files are named items-<level>-<theory|skills>.toml",
                ),
            ));
            continue;
        };
        let before = p.items.len();
        read_items_text(&name, text, limits, &mut p);
        for slot in &mut p.item_standard[before..] {
            *slot = Some((level, mode));
        }
        // Every point named must exist in that standard.
        if let Some(std) = p
            .standards
            .iter()
            .find(|s| s.level == level && s.mode == mode)
        {
            let codes = std.point_codes();
            let missing: Vec<(usize, String)> = p.items[before..]
                .iter()
                .filter_map(|it| {
                    it.point
                        .as_ref()
                        .filter(|pt| !codes.contains(pt.as_str()))
                        .map(|pt| (it.line, pt.clone()))
                })
                .collect();
            for (line, pt) in missing {
                p.errors.push(ImportError::at_path(
                    line,
                    name.clone(),
                    Problem::new(
                        "import_error.point_unknown",
                        format!(
                            "assessment point {pt} is not in the level {level} {} standard",
                            mode.code()
                        ),
                    )
                    .with("point", &pt)
                    .with("level", level),
                ));
            }
        } else {
            p.errors.push(ImportError::at_path(
                0,
                name.clone(),
                Problem::new(
                    "import_error.own_no_standard",
                    format!("no standard-{level}-{}.toml for these items", mode.code()),
                )
                .with("name", format!("standard-{level}-{}.toml", mode.code())),
            ));
        }
    }
    p
}

/// Reads a single items file given on its own (no standard to check points against).
pub fn read_items_file(bytes: &[u8], limits: &Limits) -> Parsed {
    let mut p = Parsed::default();
    match utf8(bytes) {
        Ok(text) => read_items_text("items.toml", text, limits, &mut p),
        Err(e) => p.errors.push(e),
    }
    p
}

fn read_items_text(name: &str, text: &str, limits: &Limits, p: &mut Parsed) {
    let file: ItemsFileIn = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            p.errors.push(toml_error(name, text, &e));
            return;
        }
    };
    if file.item.len() > limits.max_items {
        p.errors.push(ImportError::at_path(
            0,
            name,
            Problem::new(
                "import_error.too_many_items",
                format!(
                    "{} items; the limit is {}",
                    file.item.len(),
                    limits.max_items
                ),
            )
            .with("count", file.item.len())
            .with("limit", limits.max_items),
        ));
        return;
    }
    let lines = LineIndex::new(text);
    for spanned in file.item {
        let line = lines.line(spanned.span().start);
        let it = spanned.into_inner();
        match item_from_file(&it) {
            Ok(content) => p.push_item(ParsedItem {
                line,
                external_id: it.id.clone(),
                point: it.point.clone(),
                category: None,
                content,
            }),
            Err(problem) => p.errors.push(ImportError::at_path(line, name, problem)),
        }
    }
}

fn standard_from_file(s: StandardFile) -> Result<Standard, Problem> {
    let mode = Mode::from_code(&s.mode).ok_or_else(|| {
        Problem::new(
            "import_error.own_mode",
            format!("mode {:?} is not theory or skills", s.mode),
        )
        .with("value", &s.mode)
    })?;
    let mut areas = Vec::new();
    for a in s.area {
        let mut points = Vec::new();
        for pt in a.point {
            let importance = Importance::from_code(&pt.importance).ok_or_else(|| {
                Problem::new(
                    "import_error.own_importance",
                    format!("point {}: importance is X, Y or Z", pt.code),
                )
                .with("point", &pt.code)
            })?;
            points.push(Point {
                code: pt.code,
                name: pt.name,
                importance,
            });
        }
        areas.push(Area {
            code: a.code,
            name: a.name,
            weight: a.weight,
            points,
        });
    }
    Ok(Standard {
        level: s.level,
        mode,
        areas,
    })
}

fn keys_of(v: &toml::Value) -> Option<Vec<String>> {
    match v {
        toml::Value::String(s) => Some(
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != ',')
                .map(|c| c.to_ascii_uppercase().to_string())
                .collect(),
        ),
        toml::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(|s| s.trim().to_ascii_uppercase()))
            .collect(),
        _ => None,
    }
}

fn item_from_file(it: &ItemFile) -> Result<ItemContent, Problem> {
    let item_type = ItemType::from_code(&it.item_type).ok_or_else(|| {
        Problem::new(
            "import_error.table_type",
            format!("unknown item type {:?}", it.item_type),
        )
        .with("value", &it.item_type)
    })?;
    let options: Vec<Choice> = it
        .options
        .iter()
        .enumerate()
        .map(|(i, t)| Choice {
            key: option_key(i),
            text: sanitize(t),
        })
        .collect();
    // The answer written the wrong way for the type; `what` shows the right way (TOML).
    let need = |what: &str| {
        Problem::new(
            "import_error.own_answer",
            format!("{} items need answer = {what}", item_type.code()),
        )
        .with("expected", format!("answer = {what}"))
    };
    let answer = match (item_type, &it.answer) {
        (ItemType::TrueFalse, Some(toml::Value::Boolean(b))) => Answer::TrueFalse(*b),
        (ItemType::TrueFalse, _) => return Err(need("true or false")),
        (ItemType::SingleChoice | ItemType::MultipleChoice, Some(v)) => {
            Answer::Keys(keys_of(v).ok_or_else(|| need("\"B\" or \"ACD\""))?)
        }
        (ItemType::Ordering, Some(v)) => Answer::Order(keys_of(v).ok_or_else(|| need("\"CABD\""))?),
        (ItemType::FillIn, Some(toml::Value::String(s))) => Answer::Accepted(vec![s.clone()]),
        (ItemType::FillIn, Some(toml::Value::Array(a))) => Answer::Accepted(
            a.iter()
                .map(|x| x.as_str().map(String::from))
                .collect::<Option<_>>()
                .ok_or_else(|| need("[\"accepted\", …]"))?,
        ),
        (ItemType::Numerical, Some(toml::Value::Table(t))) => {
            let num = |k: &str| {
                t.get(k)
                    .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            };
            Answer::Numerical {
                value: num("value").ok_or_else(|| need("{ value = …, tolerance = … }"))?,
                tolerance: num("tolerance").unwrap_or(0.0),
            }
        }
        (ItemType::Matching, Some(toml::Value::Array(a))) => Answer::Pairs(
            a.iter()
                .map(|pair| match pair.as_array().map(|p| p.as_slice()) {
                    Some([toml::Value::String(l), toml::Value::String(r)]) => {
                        Some((l.clone(), r.clone()))
                    }
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(|| need("[[\"left\", \"right\"], …]"))?,
        ),
        (ItemType::ShortAnswer | ItemType::Essay | ItemType::Practical, None) => Answer::Assessed,
        (ItemType::ShortAnswer | ItemType::Essay | ItemType::Practical, Some(_)) => {
            return Err(Problem::new(
                "import_error.own_assessed_answer",
                format!(
                    "{} items have a reference and a rubric, not an answer",
                    item_type.code()
                ),
            ))
        }
        (_, None) => {
            return Err(Problem::new(
                "import_error.own_no_answer",
                format!("{} items need an answer", item_type.code()),
            ))
        }
        _ => return Err(need("a value of the right kind")),
    };
    Ok(ItemContent {
        item_type,
        stem: sanitize(&it.stem),
        options,
        answer,
        reference: it.reference.as_deref().map(sanitize),
        rubric: it.rubric.clone(),
        explanation: it.explanation.as_deref().map(sanitize),
        difficulty: it.difficulty,
        score: it.score,
    })
}

fn answer_to_toml(a: &Answer) -> Option<toml::Value> {
    use toml::Value as V;
    Some(match a {
        Answer::TrueFalse(b) => V::Boolean(*b),
        Answer::Keys(k) | Answer::Order(k) => V::String(k.concat()),
        Answer::Accepted(a) => V::Array(a.iter().cloned().map(V::String).collect()),
        Answer::Numerical { value, tolerance } => {
            let mut t = toml::map::Map::new();
            t.insert("value".into(), V::Float(*value));
            t.insert("tolerance".into(), V::Float(*tolerance));
            V::Table(t)
        }
        Answer::Pairs(p) => V::Array(
            p.iter()
                .map(|(l, r)| V::Array(vec![V::String(l.clone()), V::String(r.clone())]))
                .collect(),
        ),
        Answer::Assessed => return None,
    })
}

/// One item to write, with its id and point.
pub struct ItemOut<'a> {
    pub external_id: Option<&'a str>,
    pub point: Option<&'a str>,
    pub content: &'a ItemContent,
}

/// The files of a bank folder: `occupation.toml`, and a standard and an items file per
/// standard. `items` maps `(level, mode)` to the items written against that standard.
pub fn write_files(
    occupation: &OccupationEntry,
    standards: &[Standard],
    items: &BTreeMap<(u8, Mode), Vec<ItemOut<'_>>>,
) -> Result<Vec<(String, String)>, toml::ser::Error> {
    let mut out = vec![(
        "occupation.toml".to_string(),
        toml::to_string_pretty(occupation)?,
    )];
    for s in standards {
        let file = StandardFile {
            level: s.level,
            mode: s.mode.code().into(),
            area: s
                .areas
                .iter()
                .map(|a| AreaFile {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    weight: a.weight,
                    point: a
                        .points
                        .iter()
                        .map(|p| PointFile {
                            code: p.code.clone(),
                            name: p.name.clone(),
                            importance: p.importance.code().into(),
                        })
                        .collect(),
                })
                .collect(),
        };
        out.push((
            format!("standard-{}-{}.toml", s.level, s.mode.code()),
            toml::to_string_pretty(&file)?,
        ));
        let list = items
            .get(&(s.level, s.mode))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let file = ItemsFileOut {
            item: list
                .iter()
                .map(|i| ItemFile {
                    id: i.external_id.map(String::from),
                    point: i.point.map(String::from),
                    item_type: i.content.item_type.code().into(),
                    difficulty: i.content.difficulty,
                    score: i.content.score,
                    stem: i.content.stem.clone(),
                    options: i.content.options.iter().map(|o| o.text.clone()).collect(),
                    answer: answer_to_toml(&i.content.answer),
                    reference: i.content.reference.clone(),
                    explanation: i.content.explanation.clone(),
                    rubric: i.content.rubric.clone(),
                })
                .collect(),
        };
        out.push((
            format!("items-{}-{}.toml", s.level, s.mode.code()),
            toml::to_string_pretty(&file)?,
        ));
    }
    Ok(out)
}

/// Reads a bank folder from disk (only the bank's own `*.toml` files).
pub fn read_dir(dir: &std::path::Path, limits: &Limits) -> std::io::Result<Parsed> {
    let mut files = Vec::new();
    let mut total = 0usize;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".toml") || !entry.file_type()?.is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        total += bytes.len();
        files.push((name, bytes));
    }
    if total > limits.max_bytes {
        let mut p = Parsed::default();
        p.error(
            0,
            Problem::new(
                "import_error.file_too_large",
                format!(
                    "the folder holds {total} bytes; the limit is {}",
                    limits.max_bytes
                ),
            )
            .with("limit", limits.max_bytes),
        );
        return Ok(p);
    }
    let mut p = read_files(&files, limits);
    p.validate_items();
    Ok(p)
}

#[cfg(test)]
mod tests;
