//! XLSX workbooks with the Chinese template columns (see [`super::csv`]): the first
//! sheet, the first row as header, row numbers as lines. Read with calamine.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::csv::rows_to_items;
use super::{Limits, Parsed};

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => {
            if *b {
                "对".into()
            } else {
                "错".into()
            }
        }
        other => other.to_string(),
    }
}

pub fn read(bytes: &[u8], limits: &Limits) -> Parsed {
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
            p.error(0, format!("not a readable XLSX workbook: {e}"));
            return p;
        }
    };
    let Some(Ok(range)) = book.worksheet_range_at(0) else {
        p.error(0, "the workbook has no readable first sheet");
        return p;
    };
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = range.rows().enumerate().map(|(i, r)| {
        (
            start_row + i + 1,
            r.iter().map(cell_text).collect::<Vec<_>>(),
        )
    });
    let Some((_, header)) = rows.next() else {
        p.error(1, "the first sheet is empty");
        return p;
    };
    rows_to_items(&header, rows, limits)
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
