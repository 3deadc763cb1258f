//! Readers and writers of question-bank files (DESIGN §4, layer 2): pure functions from
//! bytes to domain types and back, with a line (or element path) in every error.
//!
//! Every reader returns a [`Parsed`] holding what it could read *and* every error it
//! found; the importer writes nothing unless the error list is empty (all-or-nothing per
//! file). Readers are bounded by [`Limits`]: size, entry count, nesting depth and time.

pub mod aiken;
pub mod credential;
pub mod csv;
pub mod gift;
pub mod moodle_xml;
pub mod own;
pub mod qti;
pub mod report;
mod text;
pub mod xlsx;
mod xml;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::domain::item::ItemContent;
use crate::domain::standard::Standard;

pub use text::{escape as escape_html, sanitize as sanitize_html, unescape as unescape_html};

/// One item read from a file, with where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedItem {
    /// 1-based line (0 when the format has no lines, e.g. XLSX rows are lines too).
    pub line: usize,
    pub external_id: Option<String>,
    /// Assessment point code, when the file names one.
    pub point: Option<String>,
    /// Category or folder path in the source system, kept for reference.
    pub category: Option<String>,
    pub content: ItemContent,
}

/// Why a file, or something in it, cannot be imported: a message key (under
/// `import_error.`) with named arguments for the interface, and the same in English for
/// the CLI, the API's `message` and logs. Arguments are data (a number, a value quoted
/// from the file, an item's id), never words, so either language can fill them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<&'static str, String>,
    pub message: String,
}

impl Problem {
    pub fn new(code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            code,
            args: BTreeMap::new(),
            message: message.into(),
        }
    }

    /// Adds the argument `{name}` of the interface's message.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Problem {
        self.args.insert(name, value.to_string());
        self
    }

    /// The problem as it concerns one item of a file: `item "<id>": …` in English, the
    /// id an argument for the interface.
    pub fn in_item(mut self, id: &str) -> Problem {
        self.message = format!("item {id:?}: {}", self.message);
        self.args.insert("item", id.to_string());
        self
    }
}

/// A [`Problem`] with its place: `line` for text formats, `path` for XML elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportError {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub code: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<&'static str, String>,
    pub message: String,
}

impl ImportError {
    pub fn at(line: usize, problem: Problem) -> Self {
        ImportError {
            line,
            path: None,
            code: problem.code,
            args: problem.args,
            message: problem.message,
        }
    }

    pub fn at_path(line: usize, path: impl Into<String>, problem: Problem) -> Self {
        ImportError {
            path: Some(path.into()),
            ..ImportError::at(line, problem)
        }
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.path {
            Some(p) => write!(f, "line {} ({p}): {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// The catalogue entry of an occupation, as bank files carry it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OccupationEntry {
    pub code: String,
    pub edition: u16,
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    pub levels: Vec<u8>,
    #[serde(default)]
    pub certificate_kinds: Vec<String>,
}

/// What a reader found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub occupation: Option<OccupationEntry>,
    pub standards: Vec<Standard>,
    /// Items, each with the `(level, mode)` of the standard it was written against when
    /// the file says so (own format).
    pub items: Vec<ParsedItem>,
    pub item_standard: Vec<Option<(u8, crate::domain::standard::Mode)>>,
    pub errors: Vec<ImportError>,
}

impl Parsed {
    pub fn push_item(&mut self, item: ParsedItem) {
        self.items.push(item);
        self.item_standard.push(None);
    }

    pub fn error(&mut self, line: usize, problem: Problem) {
        self.errors.push(ImportError::at(line, problem));
    }

    /// Runs the type rules of every item, adding an error (with its line) for each one
    /// that breaks them.
    pub fn validate_items(&mut self) {
        for it in &self.items {
            if let Err(e) = it.content.validate() {
                // The item rules' own messages (`item_error.*`).
                let (code, detail) = e.code();
                let mut problem = Problem::new(code, e.to_string());
                if let Some(d) = detail {
                    problem = problem.with("detail", d);
                }
                self.errors.push(ImportError::at(it.line, problem));
            }
        }
    }
}

/// Bounds every reader respects, so a hostile file is refused quickly.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_items: usize,
    pub max_depth: usize,
    /// Largest total size of the files inside an archive.
    pub max_unpacked_bytes: u64,
    pub max_archive_entries: usize,
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 256 << 20,
            max_items: 500_000,
            max_depth: 64,
            max_unpacked_bytes: 512 << 20,
            max_archive_entries: 20_000,
            time: Duration::from_secs(120),
        }
    }
}

/// A deadline checked inside long loops.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn new(limits: &Limits) -> Self {
        Deadline(Instant::now() + limits.time)
    }

    pub fn passed(&self) -> bool {
        Instant::now() > self.0
    }
}

/// The formats `skillcert import --format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Auto,
    Toml,
    Qti,
    MoodleXml,
    Gift,
    Aiken,
    Csv,
    Xlsx,
}

/// Guesses the format from the file name and its first bytes.
pub fn detect(name: &str, bytes: &[u8]) -> Format {
    let lower = name.to_lowercase();
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_lowercase();
    if lower.ends_with(".toml") {
        Format::Toml
    } else if lower.ends_with(".xlsx") {
        Format::Xlsx
    } else if lower.ends_with(".csv") {
        Format::Csv
    } else if lower.ends_with(".gift") || lower.ends_with(".gift.txt") {
        Format::Gift
    } else if lower.ends_with(".zip") || bytes.starts_with(b"PK\x03\x04") {
        Format::Qti
    } else if head.contains("<quiz") {
        Format::MoodleXml
    } else if head.contains("<assessmentitem")
        || head.contains("<qti-assessment")
        || head.contains("<assessmenttest")
        || head.contains("imsqti")
    {
        Format::Qti
    } else if lower.ends_with(".xml") {
        Format::MoodleXml
    } else if head
        .lines()
        .any(|l| l.trim_start().to_uppercase().starts_with("ANSWER:"))
    {
        Format::Aiken
    } else {
        Format::Gift
    }
}

/// Reads one file of the given format (own-format folders are read by [`own::read_dir`]).
pub fn read(format: Format, name: &str, bytes: &[u8], limits: &Limits) -> Parsed {
    if bytes.len() > limits.max_bytes {
        let mut p = Parsed::default();
        p.error(
            0,
            Problem::new(
                "import_error.file_too_large",
                format!(
                    "the file has {} bytes; the limit is {}",
                    bytes.len(),
                    limits.max_bytes
                ),
            )
            .with("limit", limits.max_bytes),
        );
        return p;
    }
    let format = if format == Format::Auto {
        detect(name, bytes)
    } else {
        format
    };
    let mut parsed = match format {
        Format::Auto | Format::Gift => gift::read(bytes, limits),
        Format::Toml => own::read_items_file(bytes, limits),
        Format::Aiken => aiken::read(bytes, limits),
        Format::Csv => csv::read(bytes, limits),
        Format::Xlsx => xlsx::read(bytes, limits),
        Format::MoodleXml => moodle_xml::read(bytes, limits),
        Format::Qti => qti::read(name, bytes, limits),
    };
    if parsed.items.len() > limits.max_items {
        parsed.error(
            0,
            Problem::new(
                "import_error.too_many_items",
                format!(
                    "{} items; the limit is {}",
                    parsed.items.len(),
                    limits.max_items
                ),
            )
            .with("count", parsed.items.len())
            .with("limit", limits.max_items),
        );
    }
    parsed.validate_items();
    parsed
}
