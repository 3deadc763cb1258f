//! Every word a person reads comes from the locale files. Three nets catch a code shown
//! untranslated: every page of every role, rendered in Chinese over a scenario with one
//! of everything, must show no code (`skill_level`, `item.read_key`, `suspended`);
//! every dotted code the source hands out (error codes, audit actions) must have its
//! words; and every enumeration has words for each of its values (in `src/web/i18n.rs`).

mod common;

use std::collections::BTreeSet;

use common::leaks::{code_words, leaked_codes};
use common::scenario::{signed_in, Scenario};
use common::TestApp;
use skillcert::web::i18n::{I18n, Lang};

/// The text a reader sees: element text without scripts, styles and code, and the attributes
/// that browsers show (titles, placeholders, labels, alternative text).
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let tag = &rest[open..];
        // Scripts and styles are not read; their contents go with them. Code (commands,
        // hashes) is shown as written on purpose.
        let skip_to = ["<script", "<style", "<code"]
            .iter()
            .find(|t| tag.starts_with(*t))
            .and_then(|t| tag.find(&format!("</{}>", &t[1..])));
        let end = skip_to.unwrap_or(0)
            + tag[skip_to.unwrap_or(0)..]
                .find('>')
                .unwrap_or(tag.len() - 1);
        rest = &tag[end + 1..];
    }
    out.push_str(rest);
    for attr in ["title=\"", "placeholder=\"", "aria-label=\"", "alt=\""] {
        for part in html.split(attr).skip(1) {
            out.push(' ');
            out.push_str(part.split('"').next().unwrap_or(""));
        }
    }
    out
}

#[test]
fn the_leak_detector_finds_codes_and_leaves_words() {
    let words = code_words();
    let html = r#"<p title="skill_level">状态：suspended，操作 item.read_key</p>
        <script>var x = "in_progress";</script><p>2.5 小时 50 Hz PE</p>
        <table><tr><td>difficulty</td><td>zhangsan</td></tr></table>"#;
    assert_eq!(
        leaked_codes(&visible_text(html), &words),
        ["suspended", "item.read_key", "difficulty", "skill_level"]
    );
}

#[tokio::test]
async fn no_page_shows_a_code_untranslated() {
    let app = TestApp::spawn().await;
    let scenario = Scenario::seed(&app).await;
    // Account names are what people typed, not codes.
    let mut words = code_words();
    for (_, login) in &scenario.logins {
        words.remove(login.as_str());
    }
    let mut leaks = BTreeSet::new();
    let mut check = |who: &str, path: &str, html: &str| {
        let text = visible_text(html);
        for code in leaked_codes(&text, &words) {
            // Where it shows, for whoever fixes it.
            let at = text.find(&code).unwrap_or(0);
            let from = text.floor_char_boundary(at.saturating_sub(40));
            let to = text.ceil_char_boundary((at + code.len() + 40).min(text.len()));
            let around = text[from..to]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            leaks.insert(format!("{who} {path}: {code} in “{around}”"));
        }
    };
    for (role, login) in &scenario.logins {
        let c = signed_in(&app, login).await;
        for path in scenario.pages(role) {
            let (s, html) = c.get_text(&path).await;
            assert_eq!(s, 200, "{role} {path}");
            check(role, &path, &html);
        }
    }
    for path in ["/login", "/exam/login", "/shortage", "/verify"] {
        let (s, html) = app.client().get_text(path).await;
        assert_eq!(s, 200, "{path}");
        check("public", path, &html);
    }
    let (s, html) = scenario.candidate.get_text("/exam").await;
    assert_eq!(s, 200);
    check("candidate", "/exam", &html);
    assert!(
        leaks.is_empty(),
        "codes shown untranslated:\n{}",
        leaks.into_iter().collect::<Vec<_>>().join("\n")
    );
    app.stop().await;
}

/// Dotted codes in the source: error and field codes (`org.name_taken`) are keys of
/// their own; audit actions (`item.read_key`) are keys under `audit_action`. Test
/// modules and file names are not codes.
#[test]
fn every_dotted_code_in_the_source_has_words() {
    let i18n = I18n::load().unwrap();
    let has = |key: &str| i18n.has(Lang::Zh, key) && i18n.has(Lang::En, key);
    let mut missing = BTreeSet::new();
    let mut files = Vec::new();
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    walk(&src, &mut files);
    const FILES: [&str; 12] = [
        "xml", "toml", "zip", "png", "db", "key", "json", "csv", "xlsx", "txt", "md", "gift",
    ];
    for path in files {
        // Constraint names map to field errors in the dialect; they are never shown.
        if path.ends_with("store/dialect.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        // A code is a whole literal of lower-case words joined by dots.
        for (i, _) in code.match_indices('"') {
            let rest = &code[i + 1..];
            let len = rest
                .find(|c: char| {
                    !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
                })
                .unwrap_or(rest.len());
            let lit = &rest[..len];
            let parts: Vec<&str> = lit.split('.').collect();
            if !rest[len..].starts_with('"')
                || parts.len() < 2
                || parts
                    .iter()
                    .any(|p| !p.starts_with(|c: char| c.is_ascii_lowercase()))
                || FILES.contains(parts.last().unwrap())
            {
                continue;
            }
            if !has(lit) && !has(&format!("audit_action.{lit}")) {
                let rel = path.strip_prefix(&src).unwrap().display().to_string();
                missing.insert(format!("{rel}: {lit}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "codes without words:\n{}",
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Import errors reach the author in their language: each broken file below is read
/// by its reader, and every error renders in Chinese with its arguments filled in
/// (no `{placeholder}` left, not the reader's English; a syntax error quotes the
/// parser after the Chinese words).
#[test]
fn import_errors_are_translated_with_their_arguments() {
    use skillcert::formats::{read, Format, Limits};
    let i18n = I18n::load().unwrap();
    let cases: [(Format, &str, &[u8]); 8] = [
        (Format::Gift, "a.gift", b"::q1:: Stem {=A ~B\n"),
        (Format::Gift, "b.gift", b"::q2:: 2+2? {#four}\n"),
        (Format::Aiken, "a.txt", b"Stem\nA. one\nB. two\nANSWER: C\n"),
        (Format::Csv, "a.csv", "题型,题干,答案\n连线,x,A\n判断,y,也许\n".as_bytes()),
        (
            Format::MoodleXml,
            "m.xml",
            br#"<quiz><question type="cloze"><name><text>c1</text></name></question></quiz>"#,
        ),
        (
            Format::Qti,
            "t.xml",
            br#"<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="tpl"><templateDeclaration identifier="A" cardinality="single" baseType="integer"/><itemBody/></assessmentItem>"#,
        ),
        (Format::Toml, "items.toml", b"[[item]]\ntype = \"true_false\"\n"),
        (Format::Qti, "bad.xml", b"<a><b></a>"),
    ];
    for (format, name, bytes) in cases {
        let parsed = read(format, name, bytes, &Limits::default());
        assert!(!parsed.errors.is_empty(), "{name} has no error");
        for e in &parsed.errors {
            let zh = i18n.import_error(Lang::Zh, e);
            // A syntax error quotes its parser (the detail after the Chinese words).
            let quotes_parser = e.code.ends_with("_syntax") || e.code.ends_with("_unreadable");
            assert!(
                !zh.contains('{') && zh != e.code && (quotes_parser || !zh.contains(&e.message)),
                "{name}: {} rendered as {zh:?}",
                e.code
            );
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{name}: {zh:?} is not Chinese"
            );
        }
    }
}
