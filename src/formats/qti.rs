//! IMS QTI 2.1 and 3.0: items (choice, text entry, extended text, order, match,
//! associate, inline choice, gap match, hottext) from a single item file, a test file
//! with its item references, or a zip package with `imsmanifest.xml`; and QTI 3.0
//! packages on export. QTI 3.0's kebab-case names (`qti-choice-interaction`,
//! `response-identifier`) are folded to QTI 2.1's (`choiceInteraction`,
//! `responseIdentifier`), so one reader serves both, and samples that mix the two
//! vocabularies are read tolerantly.
//!
//! Interactions skillcert's item model cannot hold (hotspot, graphic, slider, drawing,
//! upload, media, custom, several interactions in one item) are refused with a message
//! naming the item.

use std::collections::HashMap;
use std::io::{Read, Write};

use super::text::{escape, sanitize, utf8};
use super::xml::{self, Node};
use super::{ImportError, Limits, Parsed, ParsedItem};
use crate::domain::item::{option_key, Answer, Choice, ItemContent, ItemType, RubricElement};

/// `qti-choice-interaction` → `choiceInteraction`; `max-choices` → `maxChoices`.
fn camel(s: &str) -> String {
    let s = s.strip_prefix("qti-").unwrap_or(s);
    let mut out = String::with_capacity(s.len());
    let mut up = false;
    for c in s.chars() {
        if c == '-' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn normalise(node: &mut Node) {
    if node.name.starts_with("qti-") {
        node.name = camel(&node.name);
    }
    for (k, _) in &mut node.attrs {
        if k.contains('-') && !k.starts_with("data-") && !k.starts_with("aria-") {
            *k = camel(k);
        }
    }
    for c in &mut node.children {
        normalise(c);
    }
}

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

fn html(n: &Node) -> String {
    sanitize(n.inner_html(&|_| None).trim())
}

/// Reads one `assessmentItem`.
pub fn item(root: &Node, line: usize) -> Result<ParsedItem, String> {
    let mut root = root.clone();
    normalise(&mut root);
    if root.name != "assessmentItem" {
        return Err(format!("<{}> is not an assessment item", root.name));
    }
    let id = root.attr("identifier").map(String::from);
    let body = root.child("itemBody").ok_or("the item has no itemBody")?;
    let mut unsupported = Vec::new();
    find_all(body, UNSUPPORTED, &mut unsupported);
    if let Some(u) = unsupported.first() {
        return Err(format!(
            "{} in item {:?} has no equivalent in skillcert",
            u.name,
            id.as_deref().unwrap_or("")
        ));
    }
    let mut interactions = Vec::new();
    let all: Vec<&str> = BLOCK_INTERACTIONS
        .iter()
        .chain(INLINE_INTERACTIONS)
        .copied()
        .collect();
    find_all(body, &all, &mut interactions);
    let Some(inter) = interactions.first().copied() else {
        return Err(format!(
            "item {:?} has no interaction",
            id.as_deref().unwrap_or("")
        ));
    };
    if interactions.len() > 1 {
        return Err(format!(
            "item {:?} has {} interactions; skillcert items have one",
            id.as_deref().unwrap_or(""),
            interactions.len()
        ));
    }
    let decls = declarations(&root);
    let decl = decls.get(inter.attr("responseIdentifier").unwrap_or("RESPONSE"));
    let correct: Vec<String> = decl.map(|d| d.correct.clone()).unwrap_or_default();
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
        } else if n.name == "gapText" || n.name == "rubricBlock" || n.name == "modalFeedback" {
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
        |keys: &HashMap<String, String>, values: &[String]| -> Result<Vec<String>, String> {
            values
                .iter()
                .map(|v| {
                    keys.get(v).cloned().ok_or_else(|| {
                        format!("the correct response names {v:?}, which is not a choice")
                    })
                })
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
                let v = correct.first().ok_or("no correct response")?;
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
            let texts: HashMap<String, String> =
                choice_list(inter, &["simpleAssociableChoice", "gapText", "gapImg"])
                    .iter()
                    .map(|c| {
                        (
                            c.attr("identifier").unwrap_or("").to_string(),
                            c.all_text()
                                .split_whitespace()
                                .collect::<Vec<_>>()
                                .join(" "),
                        )
                    })
                    .collect();
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
                let (a, b) = v
                    .split_once(' ')
                    .ok_or_else(|| format!("{v:?} is not a pair"))?;
                let (a, b) = (
                    label(a.trim()).ok_or(format!("{a:?} is not a choice"))?,
                    label(b.trim()).ok_or(format!("{b:?} is not a choice"))?,
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
                        let t = c
                            .all_text()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ");
                        if !pairs.iter().any(|(_, r)| *r == t) {
                            pairs.push((String::new(), t));
                        }
                    }
                }
            }
            (ItemType::Matching, Answer::Pairs(pairs))
        }
        "textEntryInteraction" => {
            let d = decl.ok_or("the text entry has no response declaration")?;
            if matches!(d.base_type.as_str(), "float" | "integer") {
                let value = correct
                    .first()
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or("the numeric correct response is not a number")?;
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
            find_all(&root, &["rubricBlock"], &mut blocks);
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
                        b.inner_html(&|n: &Node| n.attr("data-points").map(|_| String::new()))
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
        other => return Err(format!("{other} is not supported")),
    };
    let explanation = root
        .children_named("modalFeedback")
        .find(|m| m.attr("identifier") == Some("EXPLANATION"))
        .map(html)
        .filter(|s| !s.is_empty());
    let difficulty = outcome_default(&root, "DIFFICULTY")
        .map(|d| d as u8)
        .filter(|d| (1..=5).contains(d))
        .unwrap_or(3);
    let score = outcome_default(&root, "MAXSCORE")
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

/// Refuses archives that are too large unpacked, hold too many entries, or name paths
/// outside the package (`..`, absolute paths): checked from the central directory
/// before anything is inflated.
pub fn check_archive(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip archive: {e}"))?;
    if zip.len() > limits.max_archive_entries {
        return Err(format!(
            "the archive holds {} entries; the limit is {}",
            zip.len(),
            limits.max_archive_entries
        ));
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| format!("zip entry {i}: {e}"))?;
        let name = f.name().to_string();
        if name.starts_with('/')
            || name.starts_with('\\')
            || name.split(['/', '\\']).any(|p| p == "..")
            || name.contains(':')
        {
            return Err(format!(
                "the archive entry {name:?} points outside the package"
            ));
        }
        total = total.saturating_add(f.size());
        if total > limits.max_unpacked_bytes {
            return Err(format!(
                "the archive unpacks to more than {} bytes",
                limits.max_unpacked_bytes
            ));
        }
        if f.compressed_size() > 0 && f.size() / f.compressed_size().max(1) > 1000 {
            return Err(format!(
                "the archive entry {name:?} is compressed more than 1000:1 (a zip bomb?)"
            ));
        }
    }
    Ok(())
}

/// Unpacks a checked archive into memory, reading no more than the declared sizes.
fn unpack(bytes: &[u8], limits: &Limits) -> Result<HashMap<String, Vec<u8>>, String> {
    check_archive(bytes, limits)?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut files = HashMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index(i).map_err(|e| format!("zip entry {i}: {e}"))?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().replace('\\', "/");
        let declared = f.size();
        let mut buf = Vec::new();
        // Never trust the declared size alone: read at most one byte more than it.
        f.take(declared + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("{name}: {e}"))?;
        if buf.len() as u64 > declared {
            return Err(format!("{name}: the entry is larger than it says"));
        }
        total += buf.len() as u64;
        if total > limits.max_unpacked_bytes {
            return Err(format!(
                "the archive unpacks to more than {} bytes",
                limits.max_unpacked_bytes
            ));
        }
        files.insert(name, buf);
    }
    Ok(files)
}

fn join(base: &str, href: &str) -> Option<String> {
    if href.starts_with('/') || href.contains("://") || href.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = base
        .rsplit_once('/')
        .map(|(d, _)| d.split('/').collect())
        .unwrap_or_default();
    for p in href.split('/') {
        match p {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            x => parts.push(x),
        }
    }
    Some(parts.join("/"))
}

/// Reads QTI from a file: a zip package, an item, or a test whose item references are
/// resolved through `resolve` (paths relative to the test, never outside its folder).
pub fn read_with(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    resolve: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Parsed {
    let mut p = Parsed::default();
    if bytes.starts_with(b"PK\x03\x04") {
        let files = match unpack(bytes, limits) {
            Ok(f) => f,
            Err(e) => {
                p.error(0, e);
                return p;
            }
        };
        let mut hrefs: Vec<String> = Vec::new();
        if let Some(manifest) = files.get("imsmanifest.xml") {
            match utf8(manifest).and_then(|t| xml::parse(t, limits)) {
                Ok(m) => {
                    let mut res = Vec::new();
                    m.descendants("resource", &mut res);
                    for r in res {
                        let t = r.attr("type").unwrap_or("");
                        if t.contains("imsqti_item") || t.contains("imsqti_test") {
                            if let Some(h) = r.attr("href") {
                                hrefs.push(h.to_string());
                            }
                        }
                    }
                }
                Err(mut e) => {
                    e.path = Some("imsmanifest.xml".into());
                    p.errors.push(e);
                    return p;
                }
            }
        } else {
            let mut names: Vec<&String> = files.keys().filter(|n| n.ends_with(".xml")).collect();
            names.sort();
            hrefs = names.into_iter().cloned().collect();
        }
        // One set for the package: a test and the manifest may name the same items.
        let mut seen = std::collections::HashSet::new();
        let lookup = |path: &str| files.get(path).cloned();
        for h in hrefs {
            match files.get(&h) {
                Some(b) => read_document_once(&h, b, limits, &lookup, &mut p, &mut seen),
                None => p.errors.push(ImportError::at_path(
                    0,
                    h.clone(),
                    "the manifest names a file the package does not hold",
                )),
            }
        }
        return p;
    }
    read_document(name, bytes, limits, resolve, &mut p);
    p
}

pub fn read(name: &str, bytes: &[u8], limits: &Limits) -> Parsed {
    read_with(name, bytes, limits, &|_| None)
}

fn read_document(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    resolve: &dyn Fn(&str) -> Option<Vec<u8>>,
    p: &mut Parsed,
) {
    let mut seen = std::collections::HashSet::new();
    read_document_once(name, bytes, limits, resolve, p, &mut seen);
}

/// Reads a document unless it was read already: a test that refers to itself, or two
/// tests referring to each other, must not recurse forever or multiply the work.
fn read_document_once(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    resolve: &dyn Fn(&str) -> Option<Vec<u8>>,
    p: &mut Parsed,
    seen: &mut std::collections::HashSet<String>,
) {
    if !seen.insert(name.to_string()) {
        return;
    }
    if seen.len() > limits.max_archive_entries {
        p.errors.push(ImportError::at_path(
            0,
            name,
            "the test refers to too many documents",
        ));
        return;
    }
    let text = match utf8(bytes) {
        Ok(t) => t,
        Err(mut e) => {
            e.path = Some(name.into());
            p.errors.push(e);
            return;
        }
    };
    let mut root = match xml::parse(text, limits) {
        Ok(r) => r,
        Err(mut e) => {
            e.path = Some(name.into());
            p.errors.push(e);
            return;
        }
    };
    normalise(&mut root);
    match root.name.as_str() {
        "assessmentItem" => match item(&root, root.line) {
            Ok(it) => p.push_item(it),
            Err(msg) => p.errors.push(ImportError::at_path(root.line, name, msg)),
        },
        "assessmentTest" => {
            let mut refs = Vec::new();
            root.descendants("assessmentItemRef", &mut refs);
            for r in refs {
                let Some(href) = r.attr("href") else { continue };
                let Some(path) = join(name, href) else {
                    p.errors.push(ImportError::at_path(
                        r.line,
                        name,
                        format!("item reference {href:?} points outside the test's folder"),
                    ));
                    continue;
                };
                match resolve(&path) {
                    Some(b) => read_document_once(&path, &b, limits, resolve, p, seen),
                    None => p.errors.push(ImportError::at_path(
                        r.line,
                        name,
                        format!("item {href:?} was not found"),
                    )),
                }
            }
        }
        other => p.errors.push(ImportError::at_path(
            root.line,
            name,
            format!("<{other}> is neither a QTI item nor a test"),
        )),
    }
}

// ---- Export (QTI 3.0) ----

fn x(s: &str) -> String {
    escape(s)
}

fn value_list(vals: &[String]) -> String {
    vals.iter()
        .map(|v| format!("<qti-value>{}</qti-value>", x(v)))
        .collect()
}

/// One item as a QTI 3.0 document. `id` must be an XML name (letters first).
pub fn write_item(id: &str, point: Option<&str>, c: &ItemContent) -> String {
    let decl;
    let body;
    let mut processing = "<qti-response-processing template=\"https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml\"/>".to_string();
    let prompt = format!("<qti-prompt>{}</qti-prompt>", c.stem);
    let choices = |tag: &str| -> String {
        c.options
            .iter()
            .map(|o| format!("<{tag} identifier=\"{}\">{}</{tag}>", x(&o.key), o.text))
            .collect()
    };
    match (&c.item_type, &c.answer) {
        (ItemType::TrueFalse, Answer::TrueFalse(b)) => {
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"identifier\"><qti-correct-response><qti-value>{b}</qti-value></qti-correct-response></qti-response-declaration>");
            body = format!("<qti-choice-interaction class=\"skillcert-true-false\" response-identifier=\"RESPONSE\" max-choices=\"1\">{prompt}<qti-simple-choice identifier=\"true\">对</qti-simple-choice><qti-simple-choice identifier=\"false\">错</qti-simple-choice></qti-choice-interaction>");
        }
        (ItemType::SingleChoice | ItemType::MultipleChoice, Answer::Keys(k)) => {
            let card = if c.item_type == ItemType::SingleChoice {
                "single"
            } else {
                "multiple"
            };
            let max = if card == "single" { 1 } else { 0 };
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"{card}\" base-type=\"identifier\"><qti-correct-response>{}</qti-correct-response></qti-response-declaration>", value_list(k));
            body = format!("<qti-choice-interaction response-identifier=\"RESPONSE\" max-choices=\"{max}\">{prompt}{}</qti-choice-interaction>", choices("qti-simple-choice"));
        }
        (ItemType::Ordering, Answer::Order(k)) => {
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"ordered\" base-type=\"identifier\"><qti-correct-response>{}</qti-correct-response></qti-response-declaration>", value_list(k));
            body = format!("<qti-order-interaction response-identifier=\"RESPONSE\">{prompt}{}</qti-order-interaction>", choices("qti-simple-choice"));
        }
        (ItemType::FillIn, Answer::Accepted(a)) => {
            let first = a.first().cloned().unwrap_or_default();
            let map: String = a
                .iter()
                .map(|v| format!("<qti-map-entry map-key=\"{}\" mapped-value=\"1\"/>", x(v)))
                .collect();
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"string\"><qti-correct-response><qti-value>{}</qti-value></qti-correct-response><qti-mapping default-value=\"0\">{map}</qti-mapping></qti-response-declaration>", x(&first));
            body = format!("<div class=\"skillcert-stem\">{}</div><p><qti-text-entry-interaction response-identifier=\"RESPONSE\"/></p>", c.stem);
            processing = "<qti-response-processing template=\"https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml\"/>".into();
        }
        (ItemType::Numerical, Answer::Numerical { value, tolerance }) => {
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"float\"><qti-correct-response><qti-value>{value}</qti-value></qti-correct-response></qti-response-declaration>");
            body = format!("<div class=\"skillcert-stem\">{}</div><p><qti-text-entry-interaction response-identifier=\"RESPONSE\"/></p>", c.stem);
            processing = format!("<qti-response-processing><qti-response-condition><qti-response-if><qti-equal tolerance-mode=\"absolute\" tolerance=\"{tolerance} {tolerance}\"><qti-variable identifier=\"RESPONSE\"/><qti-correct identifier=\"RESPONSE\"/></qti-equal><qti-set-outcome-value identifier=\"SCORE\"><qti-base-value base-type=\"float\">1</qti-base-value></qti-set-outcome-value></qti-response-if></qti-response-condition></qti-response-processing>");
        }
        (ItemType::Matching, Answer::Pairs(pairs)) => {
            let mut rights: Vec<&str> = Vec::new();
            for (_, r) in pairs {
                if !rights.contains(&r.as_str()) {
                    rights.push(r);
                }
            }
            let lefts: Vec<&(String, String)> =
                pairs.iter().filter(|(l, _)| !l.is_empty()).collect();
            let correct: Vec<String> = lefts
                .iter()
                .enumerate()
                .map(|(i, (_, r))| {
                    format!(
                        "L{} R{}",
                        i + 1,
                        rights.iter().position(|x| x == r).unwrap_or(0) + 1
                    )
                })
                .collect();
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"multiple\" base-type=\"directedPair\"><qti-correct-response>{}</qti-correct-response></qti-response-declaration>", value_list(&correct));
            let left: String = lefts.iter().enumerate().map(|(i, (l, _))| format!("<qti-simple-associable-choice identifier=\"L{}\" match-max=\"1\">{}</qti-simple-associable-choice>", i + 1, x(l))).collect();
            let right: String = rights.iter().enumerate().map(|(i, r)| format!("<qti-simple-associable-choice identifier=\"R{}\" match-max=\"0\">{}</qti-simple-associable-choice>", i + 1, x(r))).collect();
            body = format!("<qti-match-interaction response-identifier=\"RESPONSE\" max-associations=\"0\">{prompt}<qti-simple-match-set>{left}</qti-simple-match-set><qti-simple-match-set>{right}</qti-simple-match-set></qti-match-interaction>");
        }
        (t, _) => {
            let class = match t {
                ItemType::Practical => " class=\"skillcert-practical\"",
                ItemType::ShortAnswer => " class=\"skillcert-short-answer\"",
                _ => "",
            };
            decl = "<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"string\"/>".into();
            let mut scorer = String::new();
            if let Some(r) = &c.reference {
                scorer.push_str(&format!("<div class=\"skillcert-reference\">{r}</div>"));
            }
            for e in &c.rubric {
                scorer.push_str(&format!(
                    "<p data-points=\"{}\" data-veto=\"{}\">{}</p>",
                    e.points,
                    e.veto,
                    x(&e.element)
                ));
            }
            let rubric = if scorer.is_empty() {
                String::new()
            } else {
                format!("<qti-rubric-block use=\"scoring\" view=\"scorer\"><qti-content-body>{scorer}</qti-content-body></qti-rubric-block>")
            };
            body = format!("{rubric}<qti-extended-text-interaction{class} response-identifier=\"RESPONSE\">{prompt}</qti-extended-text-interaction>");
            processing = String::new();
        }
    }
    let point_attr = point
        .map(|p| format!(" data-skillcert-point=\"{}\"", x(p)))
        .unwrap_or_default();
    let explanation = c
        .explanation
        .as_ref()
        .map(|e| format!("<qti-modal-feedback outcome-identifier=\"FEEDBACK\" identifier=\"EXPLANATION\" show-hide=\"show\"><qti-content-body>{e}</qti-content-body></qti-modal-feedback>"))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qti-assessment-item xmlns=\"http://www.imsglobal.org/xsd/imsqtiasi_v3p0\" identifier=\"{id}\" title=\"{id}\" adaptive=\"false\" time-dependent=\"false\">\n{decl}\n<qti-outcome-declaration identifier=\"SCORE\" cardinality=\"single\" base-type=\"float\"/>\n<qti-outcome-declaration identifier=\"MAXSCORE\" cardinality=\"single\" base-type=\"float\"><qti-default-value><qti-value>{}</qti-value></qti-default-value></qti-outcome-declaration>\n<qti-outcome-declaration identifier=\"DIFFICULTY\" cardinality=\"single\" base-type=\"integer\"><qti-default-value><qti-value>{}</qti-value></qti-default-value></qti-outcome-declaration>\n<qti-outcome-declaration identifier=\"FEEDBACK\" cardinality=\"single\" base-type=\"identifier\"/>\n<qti-item-body{point_attr}>{body}</qti-item-body>\n{processing}\n{explanation}\n</qti-assessment-item>\n",
        c.score, c.difficulty, id = x(id)
    )
}

/// A QTI 3.0 content package (zip) of the given items: `(identifier, point, content)`.
pub fn write_package(items: &[(String, Option<String>, ItemContent)]) -> std::io::Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut resources = String::new();
        for (id, point, content) in items {
            let path = format!("items/{id}.xml");
            zip.start_file(&path, opts).map_err(std::io::Error::other)?;
            zip.write_all(write_item(id, point.as_deref(), content).as_bytes())?;
            resources.push_str(&format!(
                "<resource identifier=\"R-{id}\" type=\"imsqti_item_xmlv3p0\" href=\"{path}\"><file href=\"{path}\"/></resource>\n",
                id = x(id),
                path = x(&path)
            ));
        }
        zip.start_file("imsmanifest.xml", opts)
            .map_err(std::io::Error::other)?;
        zip.write_all(
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1\" identifier=\"skillcert-export\">\n<metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion></metadata>\n<organizations/>\n<resources>\n{resources}</resources>\n</manifest>\n").as_bytes(),
        )?;
        zip.finish().map_err(std::io::Error::other)?;
    }
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_qti21_choice_and_a_qti3_text_entry() {
        let qti21 = r#"<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="c1" title="t">
<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>ChoiceB</value></correctResponse></responseDeclaration>
<itemBody><p>Intro</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><prompt>Pick</prompt>
<simpleChoice identifier="ChoiceA">a</simpleChoice><simpleChoice identifier="ChoiceB">b</simpleChoice></choiceInteraction></itemBody></assessmentItem>"#;
        let p = read("c.xml", qti21.as_bytes(), &Limits::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let c = &p.items[0].content;
        assert_eq!(
            (c.item_type, &c.answer),
            (ItemType::SingleChoice, &Answer::Keys(vec!["B".into()]))
        );
        assert_eq!(c.stem, "<p>Intro</p>Pick");
        let qti3 = r#"<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="t1">
<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"><qti-correct-response><qti-value>York</qti-value></qti-correct-response>
<qti-mapping default-value="0"><qti-map-entry map-key="York" mapped-value="1"/><qti-map-entry map-key="york" mapped-value="1"/><qti-map-entry map-key="Yorkshire" mapped-value="0.5"/></qti-mapping></qti-response-declaration>
<qti-item-body><p>Capital of Yorkshire: <qti-text-entry-interaction response-identifier="RESPONSE"/></p></qti-item-body></qti-assessment-item>"#;
        let p = read("t.xml", qti3.as_bytes(), &Limits::default());
        assert_eq!(
            p.items[0].content.answer,
            Answer::Accepted(vec!["York".into(), "york".into()])
        );
        assert!(p.items[0].content.stem.contains("_____"));
    }

    #[test]
    fn a_test_that_refers_to_itself_is_read_once() {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file("t.xml", zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(br#"<assessmentTest identifier="t"><testPart><assessmentSection><assessmentItemRef identifier="a" href="t.xml"/><assessmentItemRef identifier="b" href="t.xml"/></assessmentSection></testPart></assessmentTest>"#).unwrap();
            z.finish().unwrap();
        }
        let p = read("loop.zip", &buf.into_inner(), &Limits::default());
        assert!(p.items.is_empty());
    }

    #[test]
    fn refuses_hostile_archives() {
        // Zip slip.
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file(
                "../../etc/evil.xml",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(b"<x/>").unwrap();
            z.finish().unwrap();
        }
        let p = read("evil.zip", &buf.into_inner(), &Limits::default());
        assert!(p.errors[0].message.contains("outside"), "{:?}", p.errors);
        // A bomb: 50 MB of zeros.
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file(
                "bomb.xml",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            z.write_all(&vec![0u8; 50 << 20]).unwrap();
            z.finish().unwrap();
        }
        let p = read("bomb.zip", &buf.into_inner(), &Limits::default());
        assert!(p.errors[0].message.contains("bomb"), "{:?}", p.errors);
    }
}
