//! XLSX workbooks with the Chinese template columns (see [`super::csv`]): the first
//! sheet, the first row as header, row numbers as lines. Read with calamine.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};

use super::csv::rows_to_items;
use super::{Limits, Parsed, Problem};

/// Columns a template sheet may use; wider sheets are refused.
const MAX_COLUMNS: u32 = 64;

fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => {
            if *b {
                "对".into()
            } else {
                "错".into()
            }
        }
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(_) => String::new(),
    }
}

/// Reads the first sheet cell by cell. calamine's whole-sheet range would allocate the
/// rectangle between the first and last cell, so a two-cell sheet spanning A1:XFD1048576
/// could exhaust memory; here only cells that exist are kept, within bounds.
fn unreadable_sheet(e: impl std::fmt::Display) -> Problem {
    Problem::new(
        "import_error.xlsx_unreadable",
        format!("the first sheet cannot be read: {e}"),
    )
    .with("detail", e)
}

pub fn read(bytes: &[u8], limits: &Limits) -> Parsed {
    // calamine 0.35 panics on some malformed sheets (a cell reference whose column
    // overflows, found by `cargo fuzz`); a file must be refused, never take the
    // import down, so such a panic becomes the file's error.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_workbook(bytes, limits)
    })) {
        Ok(p) => p,
        Err(_) => {
            let mut p = Parsed::default();
            p.error(
                0,
                Problem::new(
                    "import_error.xlsx_unreadable",
                    "not a readable XLSX workbook: its sheet is malformed",
                )
                .with("detail", "malformed sheet"),
            );
            p
        }
    }
}

fn read_workbook(bytes: &[u8], limits: &Limits) -> Parsed {
    let mut p = Parsed::default();
    // The archive bounds of QTI packages apply here too: refuse bombs before calamine
    // inflates anything.
    if let Err(e) = super::qti::check_archive(bytes, limits) {
        p.error(0, e);
        return p;
    }
    let mut book: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => {
            let what = format!("not a readable XLSX workbook: {e}");
            p.error(
                0,
                Problem::new("import_error.xlsx_unreadable", what).with("detail", e),
            );
            return p;
        }
    };
    let Some(first) = book.sheet_names().first().cloned() else {
        p.error(
            0,
            Problem::new("import_error.xlsx_no_sheet", "the workbook has no sheet"),
        );
        return p;
    };
    let mut reader = match book.worksheet_cells_reader(&first) {
        Ok(r) => r,
        Err(e) => {
            p.error(0, unreadable_sheet(e));
            return p;
        }
    };
    let max_rows = limits.max_items as u32 + 1;
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    loop {
        match reader.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                if c >= MAX_COLUMNS {
                    p.error(
                        r as usize + 1,
                        Problem::new(
                            "import_error.xlsx_too_wide",
                            format!("the sheet is wider than {MAX_COLUMNS} columns"),
                        )
                        .with("limit", MAX_COLUMNS),
                    );
                    return p;
                }
                if r >= max_rows {
                    p.error(
                        r as usize + 1,
                        Problem::new(
                            "import_error.too_many_items",
                            format!("the sheet has more than {max_rows} rows"),
                        )
                        .with("limit", limits.max_items),
                    );
                    return p;
                }
                let text = cell_text(cell.get_value());
                if text.is_empty() {
                    continue;
                }
                let row = rows.entry(r).or_default();
                if row.len() <= c as usize {
                    row.resize(c as usize + 1, String::new());
                }
                row[c as usize] = text;
            }
            Ok(None) => break,
            Err(e) => {
                p.error(0, unreadable_sheet(e));
                return p;
            }
        }
    }
    let mut iter = rows.into_iter().map(|(r, cells)| (r as usize + 1, cells));
    let Some((_, header)) = iter.next() else {
        p.error(
            1,
            Problem::new("import_error.empty", "the first sheet is empty"),
        );
        return p;
    };
    rows_to_items(&header, iter, limits)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::domain::item::Answer;

    fn cell(r: usize, c: usize, v: &str) -> String {
        let col = (b'A' + c as u8) as char;
        format!(
            "<c r=\"{col}{r}\" t=\"inlineStr\"><is><t>{}</t></is></c>",
            crate::formats::escape_html(v)
        )
    }

    /// A minimal workbook as Excel writes it (inline strings), built by hand.
    pub fn workbook(rows: &[Vec<&str>]) -> Vec<u8> {
        let sheet_rows: String = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    "<row r=\"{}\">{}</row>",
                    i + 1,
                    r.iter()
                        .enumerate()
                        .map(|(c, v)| cell(i + 1, c, v))
                        .collect::<String>()
                )
            })
            .collect();
        let files = [
            ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
            ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
            ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="试题" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_rows}</sheetData></worksheet>"#)),
        ];
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            for (name, body) in files {
                z.start_file(name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                z.write_all(body.as_bytes()).unwrap();
            }
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn a_sparse_sheet_spanning_the_whole_grid_is_refused_quickly() {
        let huge = far_cell_workbook();
        let t0 = std::time::Instant::now();
        let p = read(&huge, &Limits::default());
        assert!(t0.elapsed() < std::time::Duration::from_secs(2));
        assert!(
            p.errors[0].message.contains("columns") || p.errors[0].message.contains("rows"),
            "{:?}",
            p.errors
        );
    }

    fn far_cell_workbook() -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let sheet = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>题型</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#;
        let base = workbook(&[vec!["题型"]]);
        let mut src = zip::ZipArchive::new(std::io::Cursor::new(base)).unwrap();
        for i in 0..src.len() {
            let mut f = src.by_index(i).unwrap();
            let name = f.name().to_string();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut body).unwrap();
            z.start_file(name.clone(), zip::write::SimpleFileOptions::default())
                .unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                z.write_all(sheet.as_bytes()).unwrap();
            } else {
                z.write_all(&body).unwrap();
            }
        }
        z.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_the_chinese_template_from_a_workbook() {
        let book = workbook(&[
            vec![
                "题型",
                "题干",
                "选项A",
                "选项B",
                "选项C",
                "答案",
                "难度",
                "鉴定点代码",
                "分数",
            ],
            vec![
                "单选",
                "我国工频是（ ）。",
                "50 Hz",
                "60 Hz",
                "100 Hz",
                "A",
                "2",
                "A01",
                "1",
            ],
            vec![
                "判断",
                "验电器使用前应先验证良好。",
                "",
                "",
                "",
                "对",
                "1",
                "A01",
                "1",
            ],
            vec!["多选", "坏行（ ）。", "甲", "乙", "丙", "", "9", "A01", "2"],
        ]);
        let mut p = read(&book, &Limits::default());
        p.validate_items();
        assert_eq!(p.items.len(), 2, "{:?}", p.errors);
        assert_eq!(p.items[0].content.answer, Answer::Keys(vec!["A".into()]));
        assert_eq!(p.items[1].content.answer, Answer::TrueFalse(true));
        assert_eq!(p.items[1].line, 3);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 4, "row numbers are the lines");
    }
}
