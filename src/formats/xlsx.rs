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
