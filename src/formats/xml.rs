//! A small, bounded XML tree for the Moodle XML and QTI readers, built on quick-xml.
//! Hostile input is refused, not survived: any DOCTYPE (and so any DTD or entity
//! declaration) is an error, unknown entities are errors (quick-xml never resolves
//! external ones), and depth, node count and time are bounded.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::text::{line_of, LineIndex};
use super::{Deadline, ImportError, Limits, Problem};

#[derive(Debug, Clone, Default)]
pub struct Node {
    /// Local name, without namespace prefix.
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// Text and CDATA directly inside this element, concatenated.
    pub text: String,
    pub line: usize,
}

/// Elements per document: far above any real bank file, far below what would exhaust
/// memory as a tree.
const MAX_ELEMENTS: usize = 2_000_000;

/// Name of the pseudo-elements that keep text in document order among the children.
pub const TEXT: &str = "#text";

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Every descendant (depth first) with this name.
    pub fn descendants<'a>(&'a self, name: &str, out: &mut Vec<&'a Node>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.descendants(name, out);
        }
    }

    /// The text of the element and all its descendants, in document order.
    pub fn all_text(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            if c.name == TEXT {
                s.push_str(&c.text);
            } else {
                s.push_str(&c.all_text());
            }
        }
        s
    }

    /// The children serialised back to XML (for rich text), with `replace` deciding what
    /// to put in place of an element (`None` keeps it as is).
    pub fn inner_html(&self, replace: &dyn Fn(&Node) -> Option<String>) -> String {
        let mut out = String::new();
        for c in &self.children {
            if c.name == TEXT {
                out.push_str(&super::text::escape(&c.text));
                continue;
            }
            if let Some(r) = replace(c) {
                out.push_str(&r);
                continue;
            }
            out.push('<');
            out.push_str(&c.name);
            for (k, v) in &c.attrs {
                out.push_str(&format!(" {k}=\"{}\"", super::text::escape(v)));
            }
            out.push('>');
            out.push_str(&c.inner_html(replace));
            out.push_str(&format!("</{}>", c.name));
        }
        out
    }
}

fn push_text(node: &mut Node, s: &str) {
    node.text.push_str(s);
    match node.children.last_mut() {
        Some(last) if last.name == TEXT => last.text.push_str(s),
        _ => node.children.push(Node {
            name: TEXT.into(),
            text: s.to_string(),
            ..Default::default()
        }),
    }
}

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    match s.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => s.into_owned(),
    }
}

/// Parses a document into its root element.
pub fn parse(text: &str, limits: &Limits) -> Result<Node, ImportError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let deadline = Deadline::new(limits);
    let mut stack: Vec<Node> = vec![Node {
        name: "#document".into(),
        ..Default::default()
    }];
    let mut nodes = 0usize;
    let lines = LineIndex::new(text);
    let err = |pos: usize, p: Problem| ImportError::at(lines.line(pos), p);
    // A syntax error of the XML itself: the parser's words are the detail.
    let syntax =
        |what: String| Problem::new("import_error.xml_syntax", what.clone()).with("detail", what);
    loop {
        let pos = reader.buffer_position() as usize;
        let ev = reader
            .read_event()
            .map_err(|e| err(pos, syntax(format!("XML: {e}"))))?;
        if deadline.passed() {
            return Err(err(
                pos,
                Problem::new(
                    "import_error.too_slow",
                    "the document takes too long to read",
                ),
            ));
        }
        match ev {
            Event::DocType(_) => {
                return Err(err(
                    pos,
                    Problem::new(
                        "import_error.xml_doctype",
                        "DOCTYPE declarations (DTDs, entities) are not allowed",
                    ),
                ))
            }
            Event::Start(_) | Event::Empty(_)
                if {
                    nodes += 1;
                    nodes > MAX_ELEMENTS
                } =>
            {
                return Err(err(
                    pos,
                    Problem::new(
                        "import_error.xml_too_many_elements",
                        "the document has too many elements",
                    ),
                ));
            }
            Event::Start(e) => {
                if stack.len() > limits.max_depth {
                    return Err(err(
                        pos,
                        Problem::new(
                            "import_error.xml_too_deep",
                            format!("elements nest deeper than {}", limits.max_depth),
                        )
                        .with("limit", limits.max_depth),
                    ));
                }
                let node = element(&e, &lines, pos)?;
                stack.push(node);
            }
            Event::Empty(e) => {
                let node = element(&e, &lines, pos)?;
                stack.last_mut().expect("document node").children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().expect("balanced by quick-xml");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Err(err(pos, syntax("unbalanced end tag".into()))),
                }
            }
            Event::Text(t) => {
                let s = t
                    .decode()
                    .map_err(|e| err(pos, syntax(format!("XML text: {e}"))))?;
                let s = quick_xml::escape::unescape(&s)
                    .map_err(|e| err(pos, syntax(format!("XML entity: {e}"))))?;
                push_text(stack.last_mut().expect("document node"), &s);
            }
            Event::GeneralRef(r) => {
                let name = r
                    .decode()
                    .map_err(|e| err(pos, syntax(format!("XML: {e}"))))?;
                let resolved = match name.as_ref() {
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "amp" => "&".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    n if n.starts_with('#') => {
                        let code = if let Some(h) = n.strip_prefix("#x") {
                            u32::from_str_radix(h, 16).ok()
                        } else {
                            n[1..].parse().ok()
                        };
                        code.and_then(char::from_u32)
                            .map(String::from)
                            .ok_or_else(|| {
                                err(pos, syntax(format!("bad character reference &{n};")))
                            })?
                    }
                    n => {
                        return Err(err(
                            pos,
                            Problem::new(
                                "import_error.xml_entity",
                                format!("unknown entity &{n}; (entities are not resolved)"),
                            )
                            .with("entity", format!("&{n};")),
                        ))
                    }
                };
                push_text(stack.last_mut().expect("document node"), &resolved);
            }
            Event::CData(c) => {
                push_text(
                    stack.last_mut().expect("document node"),
                    &String::from_utf8_lossy(&c),
                );
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(ImportError::at(
            line_of(text, text.len()),
            Problem::new(
                "import_error.xml_unfinished",
                "the document ends inside an element",
            ),
        ));
    }
    let doc = stack.pop().expect("document node");
    doc.children
        .into_iter()
        .find(|c| c.name != TEXT)
        .ok_or_else(|| {
            ImportError::at(
                1,
                Problem::new(
                    "import_error.xml_no_root",
                    "the document has no root element",
                ),
            )
        })
}

fn element(
    e: &quick_xml::events::BytesStart<'_>,
    lines: &LineIndex,
    pos: usize,
) -> Result<Node, ImportError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let syntax = |what: String| {
            Problem::new("import_error.xml_syntax", what.clone()).with("detail", what)
        };
        let a =
            a.map_err(|e| ImportError::at(lines.line(pos), syntax(format!("XML attribute: {e}"))))?;
        let v = a.decode_and_unescape_value(e.decoder()).map_err(|e| {
            ImportError::at(lines.line(pos), syntax(format!("XML attribute value: {e}")))
        })?;
        attrs.push((local(a.key.as_ref()), v.into_owned()));
    }
    Ok(Node {
        name: local(e.name().as_ref()),
        attrs,
        line: lines.line(pos),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_dtds_and_entity_expansion() {
        let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<quiz>&xxe;</quiz>";
        let e = parse(xxe, &Limits::default()).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("DOCTYPE"));
        let e = parse("<a>&lol;</a>", &Limits::default()).unwrap_err();
        assert!(e.message.contains("entit"), "{e:?}");
    }

    #[test]
    fn refuses_deep_nesting_quickly() {
        let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        let t0 = std::time::Instant::now();
        let e = parse(&deep, &Limits::default()).unwrap_err();
        assert!(e.message.contains("nest"));
        assert!(t0.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn keeps_text_cdata_and_lines() {
        let n = parse(
            "<q>\n <t a=\"1\">x &amp; <![CDATA[<b>y</b>]]></t>\n</q>",
            &Limits::default(),
        )
        .unwrap();
        let t = n.child("t").unwrap();
        assert_eq!(t.text, "x & <b>y</b>");
        assert_eq!(t.all_text(), "x & <b>y</b>");
        let mixed = parse("<p>a <b>b</b> c</p>", &Limits::default()).unwrap();
        assert_eq!(mixed.all_text(), "a b c");
        assert_eq!(mixed.inner_html(&|_| None), "a <b>b</b> c");
        assert_eq!(t.line, 2);
        assert_eq!(t.attr("a"), Some("1"));
    }
}
