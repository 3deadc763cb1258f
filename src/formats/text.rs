//! Text helpers shared by the readers: decoding, line numbers, and the rule that stems
//! and option texts are stored as sanitised HTML fragments (plain-text sources are
//! escaped, HTML sources are cleaned with ammonia, a maintained whitelist sanitiser).

use super::{ImportError, Problem};

/// UTF-8 text without a BOM, or the line of the first invalid byte.
pub fn utf8(bytes: &[u8]) -> Result<&str, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        ImportError::at(
            line,
            Problem::new("import_error.not_utf8", "the file is not valid UTF-8 text"),
        )
    })
}

/// Plain text as an HTML fragment.
pub fn escape(plain: &str) -> String {
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// MathML Core elements kept in rich text (formulas in stems and options: QTI items
/// carry them). Left out on purpose: `annotation-xml` (it may hold HTML), `mglyph` and
/// `malignmark` (namespace-confusion tricks), `maction` (behaviour).
const MATHML_TAGS: &[&str] = &[
    "math",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "mrow",
    "mfrac",
    "msqrt",
    "mroot",
    "mstyle",
    "merror",
    "mpadded",
    "mphantom",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mmultiscripts",
    "mprescripts",
    "none",
    "mtable",
    "mtr",
    "mtd",
    "semantics",
    "annotation",
];

/// An HTML fragment reduced to a safe subset: no scripts, no event handlers, no
/// `javascript:` links; formatting, tables, lists, images, sub/superscripts and MathML
/// formulas stay.
///
/// Cleaned until a further cleaning changes nothing (at most five passes, else the
/// fragment is kept as escaped text): ammonia's output can re-parse into
/// another tree (markup the parser nested while an element since removed was open, e.g.
/// one heading inside another), so one pass would leave a stem that changes on every
/// save and a browser reading a different tree than the one that was checked (found by
/// the `sanitize_html` fuzz target).
pub fn sanitize(html: &str) -> String {
    let mut out = clean_once(html);
    for _ in 0..4 {
        let again = clean_once(&out);
        if again == out {
            return out;
        }
        out = again;
    }
    // Still changing after five passes (none seen so far): keep it as plain text.
    escape(html)
}

fn clean_once(html: &str) -> String {
    ammonia::Builder::default()
        .add_tags(["u", "sub", "sup", "span"])
        .add_tags(MATHML_TAGS)
        .add_tag_attributes("math", ["display", "alttext"])
        .add_tag_attributes("mi", ["mathvariant"])
        .add_tag_attributes("mtd", ["columnspan", "rowspan"])
        .clean(html)
        .to_string()
}

/// The text of an HTML fragment, for comparisons and plain outputs.
pub fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Line numbers of byte offsets in O(log n) each: large files name thousands of places,
/// and counting newlines from the start for each would be quadratic.
pub struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|nl| *nl < offset) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitising_removes_scripts_and_keeps_formatting() {
        let s = sanitize("<b>粗体</b><script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:x\">l</a>");
        assert!(s.contains("<b>粗体</b>"));
        assert!(!s.contains("script") && !s.contains("onerror") && !s.contains("javascript"));
        assert_eq!(
            sanitize(&sanitize("a < b & <i>c</i>")),
            sanitize("a < b & <i>c</i>")
        );
    }

    #[test]
    fn sanitising_twice_changes_nothing_even_when_the_parser_nests_headings() {
        // The fuzz target's find: one pass leaves an <h6> inside an <h6>.
        let input = ">IIII/mo><h6>mi><eo>=</mo>]mn>>IIII/mo><h6>mi><eo>=</mo>]m1<";
        let once = sanitize(input);
        assert_eq!(sanitize(&once), once);
        assert_ne!(clean_once(&clean_once(input)), clean_once(input));
    }

    #[test]
    fn the_line_index_agrees_with_counting() {
        let t = "a\nbc\n\nd";
        let idx = LineIndex::new(t);
        for off in 0..=t.len() {
            assert_eq!(idx.line(off), line_of(t, off), "offset {off}");
        }
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let e = utf8(b"ok\nstill ok\nbad \xFF here").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(utf8(b"\xEF\xBB\xBFbom").unwrap(), "bom");
    }
}
