//! Writers of the results-and-certificates report a body sends upward (成绩及发证信息
//!表): one row per candidate in the usual column order, as CSV (UTF-8 with a byte-order
//! mark, so spreadsheet programs read the Chinese correctly) and as XLSX (written with
//! `rust_xlsxwriter`). Pure: rows in, bytes out.

/// One candidate's line of the report, already in words.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub admission_no: String,
    pub name: String,
    /// Masked: the report leaves the system.
    pub document: String,
    pub occupation_code: String,
    pub occupation: String,
    pub level: String,
    /// Out of 100, empty when not scored (absent).
    pub theory: String,
    pub irregularities: String,
    pub outcome: String,
    pub certificate_no: String,
    pub certificate_status: String,
    pub issued_on: String,
}

/// The column headings, in the order of the upward report.
pub const HEADINGS: [&str; 13] = [
    "序号",
    "准考证号",
    "姓名",
    "证件号码",
    "职业编码",
    "职业（工种）",
    "等级",
    "理论成绩",
    "违纪处理",
    "结论",
    "证书编号",
    "证书状态",
    "发证日期",
];

fn cells(i: usize, r: &ReportRow) -> [String; 13] {
    [
        (i + 1).to_string(),
        r.admission_no.clone(),
        r.name.clone(),
        r.document.clone(),
        r.occupation_code.clone(),
        r.occupation.clone(),
        r.level.clone(),
        r.theory.clone(),
        r.irregularities.clone(),
        r.outcome.clone(),
        r.certificate_no.clone(),
        r.certificate_status.clone(),
        r.issued_on.clone(),
    ]
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is written
/// with a leading apostrophe, so a name typed as `=HYPERLINK(…)` stays text (CSV
/// injection).
fn defused(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

pub fn results_csv(rows: &[ReportRow]) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        // Writing to a Vec cannot fail.
        let _ = w.write_record(HEADINGS);
        for (i, r) in rows.iter().enumerate() {
            let _ = w.write_record(cells(i, r).iter().map(|c| defused(c)));
        }
        let _ = w.flush();
    }
    out
}

pub fn results_xlsx(title: &str, rows: &[ReportRow]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    sheet
        .write_string_with_format(0, 0, title, &bold)
        .map_err(e)?;
    for (c, h) in HEADINGS.iter().enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *h, &bold)
            .map_err(e)?;
    }
    for (i, r) in rows.iter().enumerate() {
        for (c, v) in cells(i, r).iter().enumerate() {
            // Strings throughout: admission and certificate numbers keep their zeros.
            sheet.write_string((i + 2) as u32, c as u16, v).map_err(e)?;
        }
    }
    sheet.set_column_width(1, 14).map_err(e)?;
    sheet.set_column_width(3, 20).map_err(e)?;
    sheet.set_column_width(10, 24).map_err(e)?;
    book.save_to_buffer().map_err(e)
}

/// A cell of a statistics sheet: counts and rates as numbers, names as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

/// One sheet of a statistics workbook: its name, headings and rows.
pub struct Sheet {
    pub name: String,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A workbook of statistics sheets (季报/年报): a bold title row, the headings, rows.
pub fn sheets_xlsx(title: &str, sheets: &[Sheet]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(&s.name).map_err(e)?;
        sheet
            .write_string_with_format(0, 0, title, &bold)
            .map_err(e)?;
        for (c, h) in s.headings.iter().enumerate() {
            sheet
                .write_string_with_format(1, c as u16, h, &bold)
                .map_err(e)?;
        }
        for (i, row) in s.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = ((i + 2) as u32, c as u16);
                match v {
                    // XLSX text is never a formula, so nothing to defuse here.
                    Cell::Text(t) => sheet.write_string(r, c, t).map_err(e)?,
                    Cell::Number(n) => sheet.write_number(r, c, *n).map_err(e)?,
                    Cell::Empty => sheet,
                };
            }
        }
        sheet.set_column_width(0, 28).map_err(e)?;
    }
    book.save_to_buffer().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> ReportRow {
        ReportRow {
            admission_no: "00001000001".into(),
            name: name.into(),
            document: "1101**********002X".into(),
            occupation_code: "4-10-01-05".into(),
            occupation: "养老护理员".into(),
            level: "五级/初级工".into(),
            theory: "89".into(),
            irregularities: "扣分 10".into(),
            outcome: "合格".into(),
            certificate_no: "S000032320100265000001".into(),
            certificate_status: "有效".into(),
            issued_on: "2026-12-04".into(),
        }
    }

    #[test]
    fn csv_has_a_bom_the_headings_and_defused_formulas() {
        let bytes = results_csv(&[row("张三"), row("=HYPERLINK(\"x\")")]);
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("序号,准考证号,姓名"));
        assert!(lines.next().unwrap().starts_with("1,00001000001,张三,"));
        assert!(lines.next().unwrap().contains("'=HYPERLINK"));
    }

    #[test]
    fn xlsx_reads_back_with_the_same_cells() {
        let bytes = results_xlsx("报表", &[row("张三")]).unwrap();
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let cell = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string());
        assert_eq!(cell(1, 2).as_deref(), Some("姓名"));
        assert_eq!(cell(2, 1).as_deref(), Some("00001000001"));
        assert_eq!(cell(2, 10).as_deref(), Some("S000032320100265000001"));
    }
}
