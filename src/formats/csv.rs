//! CSV with the usual Chinese template columns — 题型, 题干, 选项A…选项F, 答案, 难度,
//! 鉴定点代码, 分数, 解析 (English names accepted too) — in UTF-8 with or without BOM,
//! or in GB18030 as Excel writes it on Chinese Windows. The row rules are shared with
//! XLSX ([`rows_to_items`]).

use super::text::escape;
use super::{Limits, Parsed, ParsedItem, Problem};
use crate::domain::item::{option_key, Answer, Choice, ItemContent, ItemType};

/// Decodes UTF-8 (BOM optional), falling back to GB18030 when the bytes are not UTF-8.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            (text.into_owned(), "GB18030")
        }
    }
}

#[derive(Default)]
struct Columns {
    item_type: Option<usize>,
    stem: Option<usize>,
    options: Vec<usize>,
    answer: Option<usize>,
    difficulty: Option<usize>,
    point: Option<usize>,
    score: Option<usize>,
    explanation: Option<usize>,
    id: Option<usize>,
}

fn columns(header: &[String]) -> Columns {
    let mut c = Columns::default();
    let mut options: Vec<(String, usize)> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{FEFF}');
        let lower = h.to_lowercase();
        match lower.as_str() {
            "题型" | "type" | "题目类型" => c.item_type = Some(i),
            "题干" | "stem" | "题目" | "试题内容" => c.stem = Some(i),
            "答案" | "answer" | "正确答案" | "标准答案" => c.answer = Some(i),
            "难度" | "difficulty" => c.difficulty = Some(i),
            "鉴定点代码" | "鉴定点" | "point" => c.point = Some(i),
            "分数" | "分值" | "score" => c.score = Some(i),
            "解析" | "explanation" | "答案解析" => c.explanation = Some(i),
            "编号" | "id" | "试题编号" => c.id = Some(i),
            _ => {
                let key = lower
                    .strip_prefix("选项")
                    .or_else(|| lower.strip_prefix("option_"))
                    .or_else(|| lower.strip_prefix("option "));
                if let Some(k) =
                    key.filter(|k| k.len() == 1 && k.chars().all(|c| c.is_ascii_alphabetic()))
                {
                    options.push((k.to_uppercase(), i));
                }
            }
        }
    }
    options.sort();
    c.options = options.into_iter().map(|(_, i)| i).collect();
    c
}

fn item_type(s: &str) -> Option<ItemType> {
    let t = s.trim();
    ItemType::from_code(&t.to_lowercase()).or(match t {
        "判断" | "判断题" => Some(ItemType::TrueFalse),
        "单选" | "单选题" | "单项选择" | "单项选择题" => Some(ItemType::SingleChoice),
        "多选" | "多选题" | "多项选择" | "多项选择题" => {
            Some(ItemType::MultipleChoice)
        }
        "填空" | "填空题" => Some(ItemType::FillIn),
        "简答" | "简答题" => Some(ItemType::ShortAnswer),
        "论述" | "论述题" => Some(ItemType::Essay),
        "操作" | "操作题" | "实操" | "实操题" => Some(ItemType::Practical),
        "排序" | "排序题" => Some(ItemType::Ordering),
        _ => None,
    })
}

fn difficulty(s: &str) -> Option<u8> {
    match s.trim() {
        "" => Some(3),
        "易" | "容易" => Some(1),
        "较易" => Some(2),
        "中" | "中等" | "适中" => Some(3),
        "较难" => Some(4),
        "难" | "困难" => Some(5),
        t => t.parse::<u8>().ok().filter(|d| (1..=5).contains(d)),
    }
}

fn tf(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "对" | "正确" | "√" | "✓" | "t" | "true" | "是" | "y" | "yes" | "a" => Some(true),
        "错" | "错误" | "×" | "✗" | "x" | "f" | "false" | "否" | "n" | "no" | "b" => {
            Some(false)
        }
        _ => None,
    }
}

/// Turns table rows (with their 1-based line or row numbers) into items, one error per
/// bad cell naming its line and column.
pub fn rows_to_items(
    header: &[String],
    rows: impl Iterator<Item = (usize, Vec<String>)>,
    limits: &Limits,
) -> Parsed {
    let mut p = Parsed::default();
    let c = columns(header);
    let (Some(type_col), Some(stem_col)) = (c.item_type, c.stem) else {
        p.error(
            1,
            Problem::new(
                "import_error.table_header",
                "the header needs at least the columns 题型 and 题干 (type, stem)",
            ),
        );
        return p;
    };
    for (line, row) in rows {
        if p.items.len() >= limits.max_items {
            p.error(
                line,
                Problem::new(
                    "import_error.too_many_items",
                    format!("more than {} items", limits.max_items),
                )
                .with("limit", limits.max_items),
            );
            break;
        }
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map(|s| s.trim()).unwrap_or("");
        if row.iter().all(|s| s.trim().is_empty()) {
            continue;
        }
        let Some(t) = item_type(cell(Some(type_col))) else {
            let value = cell(Some(type_col));
            p.error(
                line,
                Problem::new(
                    "import_error.table_type",
                    format!("题型 {value:?} is not a known item type (判断, 单选, 多选, 填空, 简答, 论述, 操作)"),
                )
                .with("value", value),
            );
            continue;
        };
        let options: Vec<Choice> = c
            .options
            .iter()
            .map(|i| cell(Some(*i)))
            .take_while(|s| !s.is_empty())
            .enumerate()
            .map(|(i, s)| Choice {
                key: option_key(i),
                text: escape(s),
            })
            .collect();
        let ans = cell(c.answer);
        let answer = match t {
            ItemType::TrueFalse => match tf(ans) {
                Some(b) => Answer::TrueFalse(b),
                None => {
                    p.error(
                        line,
                        Problem::new(
                            "import_error.table_true_false",
                            format!("答案 {ans:?}: a true/false answer is 对 or 错"),
                        )
                        .with("value", ans),
                    );
                    continue;
                }
            },
            ItemType::SingleChoice | ItemType::MultipleChoice => Answer::Keys(
                ans.chars()
                    .filter(|c| c.is_ascii_alphabetic())
                    .map(|c| c.to_ascii_uppercase().to_string())
                    .collect(),
            ),
            ItemType::Ordering => Answer::Order(
                ans.chars()
                    .filter(|c| c.is_ascii_alphabetic())
                    .map(|c| c.to_ascii_uppercase().to_string())
                    .collect(),
            ),
            ItemType::FillIn => Answer::Accepted(
                ans.split(['|', '｜', ';', '；'])
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
            ItemType::Numerical => match ans
                .split_once(['±', ':'])
                .map_or((ans.parse::<f64>().ok(), Some(0.0)), |(v, tol)| {
                    (v.trim().parse().ok(), tol.trim().parse().ok())
                }) {
                (Some(value), Some(tolerance)) => Answer::Numerical { value, tolerance },
                _ => {
                    p.error(
                        line,
                        Problem::new(
                            "import_error.table_numerical",
                            format!("答案 {ans:?}: a numerical answer is value or value±tolerance"),
                        )
                        .with("value", ans),
                    );
                    continue;
                }
            },
            _ => Answer::Assessed,
        };
        let Some(d) = difficulty(cell(c.difficulty)) else {
            let value = cell(c.difficulty);
            p.error(
                line,
                Problem::new(
                    "import_error.table_difficulty",
                    format!("难度 {value:?} is 1–5 or 易/较易/中等/较难/难"),
                )
                .with("value", value),
            );
            continue;
        };
        let score = match cell(c.score) {
            "" => 1.0,
            s => match s.parse::<f64>() {
                Ok(v) => v,
                Err(_) => {
                    p.error(
                        line,
                        Problem::new(
                            "import_error.table_score",
                            format!("分数 {s:?} is not a number"),
                        )
                        .with("value", s),
                    );
                    continue;
                }
            },
        };
        let reference = (!t.is_objective() && !ans.is_empty()).then(|| escape(ans));
        p.push_item(ParsedItem {
            line,
            external_id: Some(cell(c.id).to_string()).filter(|s| !s.is_empty()),
            point: Some(cell(c.point).to_string()).filter(|s| !s.is_empty()),
            category: None,
            content: ItemContent {
                item_type: t,
                stem: escape(cell(Some(stem_col))),
                options,
                answer,
                reference,
                rubric: vec![],
                explanation: Some(cell(c.explanation).to_string())
                    .filter(|s| !s.is_empty())
                    .map(|s| escape(&s)),
                difficulty: d,
                score,
            },
        });
    }
    p
}

pub fn read(bytes: &[u8], limits: &Limits) -> Parsed {
    let (text, _encoding) = decode(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut p = Parsed::default();
    for rec in reader.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map_or(0, |pos| pos.line() as usize);
                records.push((line, r.iter().map(String::from).collect::<Vec<_>>()));
            }
            Err(e) => {
                let line = e.position().map_or(0, |pos| pos.line() as usize);
                let what = format!("CSV: {e}");
                p.error(
                    line,
                    Problem::new("import_error.csv_syntax", what.clone()).with("detail", what),
                );
                return p;
            }
        }
        if records.len() > limits.max_items + 1 {
            break;
        }
    }
    let mut iter = records.into_iter();
    let Some((_, header)) = iter.next() else {
        p.error(1, Problem::new("import_error.empty", "the file is empty"));
        return p;
    };
    rows_to_items(&header, iter, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHEET: &str = "题型,题干,选项A,选项B,选项C,选项D,答案,难度,鉴定点代码,分数,解析\n\
单选,我国工频是（ ）。,50 Hz,60 Hz,100 Hz,,A,较易,A01,1,常识\n\
判断,潮湿场所用 12 V 电压。,,,,,对,2,A01,1,\n\
多选,安全电压有（ ）。,42 V,36 V,220 V,380 V,\"A,B\",中等,A02,2,\n\
填空,欧姆定律 I = ____。,,,,,U/R|U÷R,3,B01,2,\n\
单选,坏行,甲,乙,,,Q,3,B01,1,\n";

    #[test]
    fn reads_the_chinese_template_in_utf8_and_gb18030() {
        for bytes in [
            SHEET.as_bytes().to_vec(),
            encoding_rs::GB18030.encode(SHEET).0.into_owned(),
            [b"\xEF\xBB\xBF".as_slice(), SHEET.as_bytes()].concat(),
        ] {
            let mut p = read(&bytes, &Limits::default());
            p.validate_items();
            assert_eq!(p.items.len(), 5);
            assert_eq!(p.items[0].content.answer, Answer::Keys(vec!["A".into()]));
            assert_eq!(p.items[0].content.options.len(), 3);
            assert_eq!(p.items[0].content.difficulty, 2);
            assert_eq!(p.items[1].content.answer, Answer::TrueFalse(true));
            assert_eq!(
                p.items[2].content.answer,
                Answer::Keys(vec!["A".into(), "B".into()])
            );
            assert_eq!(
                p.items[3].content.answer,
                Answer::Accepted(vec!["U/R".into(), "U÷R".into()])
            );
            assert_eq!(p.items[2].point.as_deref(), Some("A02"));
            // The bad row is named by its line.
            assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
            assert_eq!(p.errors[0].line, 6);
        }
    }
}
