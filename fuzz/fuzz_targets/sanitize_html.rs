//! The rich-text sanitiser on arbitrary text: never panics, and what it lets through
//! holds no script, no event handler and no address that runs script, and is stable
//! when cleaned again (so a stored stem does not change on every edit, and a browser
//! reads the tree that was checked).
#![no_main]

use libfuzzer_sys::fuzz_target;
use skillcert::formats::sanitize_html;

fuzz_target!(|data: &[u8]| {
    let Ok(html) = std::str::from_utf8(data) else {
        return;
    };
    let clean = sanitize_html(html);
    for (tag, attrs) in tags(&clean) {
        let tag = tag.to_ascii_lowercase();
        assert!(
            !matches!(
                tag.as_str(),
                "script" | "iframe" | "object" | "embed" | "base" | "style"
            ),
            "{clean}"
        );
        for (name, value) in attrs {
            let name = name.to_ascii_lowercase();
            assert!(!name.starts_with("on"), "event handler {name} in {clean}");
            if matches!(name.as_str(), "href" | "src" | "action" | "formaction") {
                // As a browser's URL parser reads it: tabs and new lines dropped
                // anywhere, leading controls and spaces trimmed.
                let url: String = value
                    .replace("&#9;", "")
                    .replace("&#10;", "")
                    .chars()
                    .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                    .collect::<String>()
                    .to_ascii_lowercase();
                let url = url.trim_start_matches(|c: char| c <= ' ');
                for scheme in ["javascript:", "vbscript:", "data:text/html"] {
                    assert!(!url.starts_with(scheme), "{name}={value} in {clean}");
                }
            }
        }
    }
    assert_eq!(
        sanitize_html(&clean),
        clean,
        "cleaning twice changed {html:?}"
    );
});

/// The start tags of the sanitiser's output with their attributes. Its output is
/// serialised HTML: attribute values always in double quotes, `"` inside them escaped,
/// and a `<` in text always escaped, so this small reader is enough.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' || i + 1 >= b.len() || !b[i + 1].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let name = html[start..i].to_string();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                break;
            }
            let a = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
                i += 1;
            }
            let attr = html[a..i].to_string();
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                assert!(i < b.len() && b[i] == b'"', "unquoted value in {html}");
                i += 1;
                let v = i;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                value = html[v..i].to_string();
                i += 1;
            }
            attrs.push((attr, value));
        }
        out.push((name, attrs));
    }
    out
}
