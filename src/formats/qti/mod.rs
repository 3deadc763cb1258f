//! IMS QTI 2.1 and 3.0: items (choice, text entry, extended text, order, match,
//! associate, inline choice, gap match, hottext) from a single item file, a test file
//! with its item references, or a zip package with `imsmanifest.xml`; and QTI 3.0
//! packages on export. QTI 3.0's kebab-case names (`qti-choice-interaction`,
//! `response-identifier`) are folded to QTI 2.1's (`choiceInteraction`,
//! `responseIdentifier`), so one reader serves both, and samples that mix the two
//! vocabularies are read tolerantly.
//!
//! Interactions skillcert's item model cannot hold (hotspot, graphic, slider, drawing,
//! upload, media, custom, several interactions in one item) and template items are
//! refused with a message naming the file and the item. Feedback (modal, inline, block)
//! never reaches a stem or an option: it would show the answer.

mod item;
mod write;

pub use item::item;
pub use write::{write_item, write_package};

use std::collections::HashMap;
use std::io::Read;

use super::text::utf8;
use super::xml::{self, Node};
use super::{ImportError, Limits, Parsed, Problem};

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

/// Folds QTI 3.0 names to QTI 2.1's in a whole tree.
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

/// A zip archive that cannot be read; the archive library's words are the detail.
fn unreadable(e: impl std::fmt::Display) -> Problem {
    Problem::new(
        "import_error.zip_unreadable",
        format!("not a readable zip archive: {e}"),
    )
    .with("detail", e)
}

fn too_large_unpacked(limits: &Limits) -> Problem {
    Problem::new(
        "import_error.zip_too_large",
        format!(
            "the archive unpacks to more than {} bytes",
            limits.max_unpacked_bytes
        ),
    )
    .with("limit", limits.max_unpacked_bytes)
}

/// Refuses archives that are too large unpacked, hold too many entries, or name paths
/// outside the package (`..`, absolute paths): checked from the central directory
/// before anything is inflated.
pub fn check_archive(bytes: &[u8], limits: &Limits) -> Result<(), Problem> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > limits.max_archive_entries {
        return Err(Problem::new(
            "import_error.zip_too_many_entries",
            format!(
                "the archive holds {} entries; the limit is {}",
                zip.len(),
                limits.max_archive_entries
            ),
        )
        .with("limit", limits.max_archive_entries));
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(unreadable)?;
        let name = f.name().to_string();
        if name.starts_with('/')
            || name.starts_with('\\')
            || name.split(['/', '\\']).any(|p| p == "..")
            || name.contains(':')
        {
            return Err(Problem::new(
                "import_error.zip_outside",
                format!("the archive entry {name:?} points outside the package"),
            )
            .with("name", &name));
        }
        total = total.saturating_add(f.size());
        if total > limits.max_unpacked_bytes {
            return Err(too_large_unpacked(limits));
        }
        if f.compressed_size() > 0 && f.size() / f.compressed_size().max(1) > 1000 {
            return Err(Problem::new(
                "import_error.zip_bomb",
                format!("the archive entry {name:?} is compressed more than 1000:1 (a zip bomb?)"),
            )
            .with("name", &name));
        }
    }
    Ok(())
}

/// Unpacks a checked archive into memory, reading no more than the declared sizes.
fn unpack(bytes: &[u8], limits: &Limits) -> Result<HashMap<String, Vec<u8>>, Problem> {
    check_archive(bytes, limits)?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    let mut files = HashMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index(i).map_err(unreadable)?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().replace('\\', "/");
        let declared = f.size();
        let mut buf = Vec::new();
        // Never trust the declared size alone: read at most one byte more than it.
        f.take(declared + 1)
            .read_to_end(&mut buf)
            .map_err(|e| unreadable(format!("{name}: {e}")))?;
        if buf.len() as u64 > declared {
            return Err(unreadable(format!(
                "{name}: the entry is larger than it says"
            )));
        }
        total += buf.len() as u64;
        if total > limits.max_unpacked_bytes {
            return Err(too_large_unpacked(limits));
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
        return match unpack(bytes, limits) {
            Ok(files) => read_package(&files, limits),
            Err(e) => {
                p.error(0, e);
                p
            }
        };
    }
    read_document(name, bytes, limits, resolve, &mut p);
    p
}

/// Reads a content package, its files given by their paths inside it (`/`-separated):
/// the items and tests its `imsmanifest.xml` lists, or every XML file when it has none.
/// A zip is unpacked into this; an unpacked package folder is read into it by the CLI.
pub fn read_package(files: &HashMap<String, Vec<u8>>, limits: &Limits) -> Parsed {
    let mut p = Parsed::default();
    {
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
                    Problem::new(
                        "import_error.qti_missing_file",
                        "the manifest names a file the package does not hold",
                    ),
                )),
            }
        }
    }
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
            Problem::new(
                "import_error.qti_too_many_documents",
                "the test refers to too many documents",
            ),
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
            Err(problem) => {
                let id = root.attr("identifier").unwrap_or("");
                p.errors
                    .push(ImportError::at_path(root.line, name, problem.in_item(id)));
            }
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
                        Problem::new(
                            "import_error.qti_ref_outside",
                            format!("item reference {href:?} points outside the test's folder"),
                        )
                        .with("name", href),
                    ));
                    continue;
                };
                match resolve(&path) {
                    Some(b) => read_document_once(&path, &b, limits, resolve, p, seen),
                    None => p.errors.push(ImportError::at_path(
                        r.line,
                        name,
                        Problem::new(
                            "import_error.qti_ref_missing",
                            format!("item {href:?} was not found"),
                        )
                        .with("name", href),
                    )),
                }
            }
        }
        other => p.errors.push(ImportError::at_path(
            root.line,
            name,
            Problem::new(
                "import_error.qti_not_qti",
                format!("<{other}> is neither a QTI item nor a test"),
            )
            .with("name", other),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::{Answer, ItemType};
    use std::io::Write;

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
