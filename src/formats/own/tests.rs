//! Reading and writing bank folders in the own TOML format.

use super::*;

const STD: &str = r#"
level = 5
mode = "theory"

[[area]]
code = "A"
name = "安全"
weight = 100

[[area.point]]
code = "A01"
name = "安全电压"
importance = "X"
"#;

const ITEMS: &str = r#"
[[item]]
id = "T-1"
point = "A01"
type = "single_choice"
difficulty = 2
score = 1.0
stem = "我国规定的安全电压等级不包括（ ）。"
options = ["42 V", "36 V", "24 V", "110 V"]
answer = "D"

[[item]]
id = "T-2"
point = "A01"
type = "true_false"
difficulty = 1
score = 1.0
stem = "潮湿环境应使用 12 V 安全电压。"
answer = true

[[item]]
id = "T-3"
point = "A99"
type = "multiple_choice"
difficulty = 3
score = 2.0
stem = "x"
options = ["a", "b", "c"]
answer = "A"
"#;

fn files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("standard-5-theory.toml".into(), STD.as_bytes().to_vec()),
        ("items-5-theory.toml".into(), ITEMS.as_bytes().to_vec()),
    ]
}

#[test]
fn errors_carry_the_line_of_their_item() {
    let mut p = read_files(&files(), &Limits::default());
    p.validate_items();
    assert_eq!(p.items.len(), 3);
    let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
    // Item 3 names an unknown point and has one correct key for a multiple choice.
    assert_eq!(lines, vec![21, 21], "{:?}", p.errors);
    assert!(p.errors[0].message.contains("A99"));
}

#[test]
fn a_syntax_error_names_its_line() {
    let bad = vec![(
        "items-5-theory.toml".to_string(),
        b"[[item]]\nid = \"x\nstem = 1\n".to_vec(),
    )];
    let p = read_files(&bad, &Limits::default());
    assert_eq!(p.errors[0].line, 2, "{:?}", p.errors);
}
