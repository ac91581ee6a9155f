//! Customers as a spreadsheet: `konto export --format xlsx` writes one
//! sheet with the export's columns (rust_xlsxwriter), `konto import` reads
//! the first sheet of an `.xlsx` or `.ods` (calamine) into the same records
//! a CSV file gives, with problems named by sheet, row and column.
//!
//! Every value is written as a text cell in a text-formatted column, so
//! Excel keeps a postal code's or a phone number's leading zeros, also in a
//! cell the operator types into.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use calamine::{Data, Reader};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::sniff::problem;
use super::{
    ImportProblem, Incoming, Location, collect_records, column_value, columns, from_columns,
};
use crate::domain::{Cloud, Customer, FIELDS, Permission};
use crate::t;
use crate::text::width;

/// Rows in one sheet of an xlsx workbook (Excel's limit), the header's
/// included.
pub const MAX_ROWS: usize = 1_048_576;

/// The exported sheet's name.
const SHEET: &str = "Customers";

/// Column widths in characters: wide enough for a short header, no wider
/// than a long street name needs.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 50;

/// Refuses, before anything is written, an export that would not fit in
/// one sheet.
pub fn check_fits(count: usize) -> Result<(), String> {
    if count < MAX_ROWS {
        Ok(())
    } else {
        Err(t!("cli.too_many_rows", count = count, max = MAX_ROWS - 1))
    }
}

/// Writes the customers as an xlsx workbook: the header frozen with an
/// autofilter, every value a text cell, columns as wide as their values.
pub fn write_xlsx(customers: &[Customer], out: impl Write + Send) -> Result<(), String> {
    check_fits(customers.len())?;
    let failed = |e: XlsxError| e.to_string();
    let mut workbook = Workbook::new();
    // Rows go to a temporary file as they are written, so a million
    // customers do not sit in memory as cells.
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(failed)?;
    sheet.set_name(SHEET).map_err(failed)?;
    let text = Format::new().set_num_format("@");
    let header = Format::new().set_num_format("@").set_bold();
    let cols = columns();
    let mut widths: Vec<usize> = cols.iter().map(|c| width(c)).collect();
    for (col, name) in (0u16..).zip(&cols) {
        sheet
            .write_string_with_format(0, col, *name, &header)
            .map_err(failed)?;
    }
    for (row, c) in (1u32..).zip(customers) {
        for ((col, name), widest) in (0u16..).zip(&cols).zip(&mut widths) {
            let value = column_value(c, name);
            *widest = (*widest).max(width(&value));
            sheet
                .write_string_with_format(row, col, value, &text)
                .map_err(failed)?;
        }
    }
    for (col, widest) in (0u16..).zip(widths) {
        let chars = widest.clamp(MIN_WIDTH, MAX_WIDTH) + 2;
        sheet.set_column_width(col, chars as f64).map_err(failed)?;
        sheet.set_column_format(col, &text).map_err(failed)?;
    }
    let last_col = u16::try_from(cols.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let last_row = u32::try_from(customers.len()).unwrap_or(u32::MAX);
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    sheet.autofilter(0, 0, last_row, last_col).map_err(failed)?;
    workbook.save_to_writer(out).map_err(failed)
}

/// Reads the first sheet of an `.xlsx` or `.ods` workbook: a header row
/// with the export's column names, then one customer a row. Empty rows are
/// skipped; every problem of every row is listed.
pub fn read_sheet(path: &Path, default_cloud: Cloud) -> Result<Vec<Incoming>, Vec<ImportProblem>> {
    let refused = |reason: String| vec![problem(Location::Line(1), reason)];
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|e| refused(t!("import.not_workbook", reason = e)))?;
    let Some(name) = workbook.sheet_names().first().cloned() else {
        return Err(refused(t!("import.no_sheet").to_string()));
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| refused(t!("import.not_workbook", reason = e)))?;
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let header: Arc<[String]> = rows
        .next()
        .map(|cells| {
            cells
                .iter()
                .map(|c| cell_text(c).trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    let sheet: Arc<str> = name.into();
    let at = |offset: u32| Location::Cell {
        sheet: sheet.clone(),
        row: first_row + offset + 1,
        header: header.clone(),
    };
    if !header.iter().any(|h| h == "company.name") {
        return Err(vec![problem(
            at(0),
            t!("import.no_name_column").to_string(),
        )]);
    }
    let mut values = Vec::new();
    let mut problems = Vec::new();
    for (offset, cells) in (1u32..).zip(rows) {
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        match row_values(&header, cells) {
            Ok(row) => values.push((at(offset), row)),
            Err(reason) => problems.push(problem(at(offset), reason)),
        }
    }
    let records = values
        .into_iter()
        .map(|(location, row)| from_columns(location, &row, default_cloud));
    collect_records(problems.into_iter().map(Err).chain(records))
}

/// A row as `column → value`; columns without a header and without a value
/// are the sheet's margin, not data.
fn row_values(header: &[String], cells: &[Data]) -> Result<BTreeMap<String, String>, String> {
    let mut values = BTreeMap::new();
    for (col, (name, cell)) in header.iter().zip(cells).enumerate() {
        if let Data::Error(e) = cell {
            let column = column_letters(col);
            return Err(t!("import.cell_error", column = column, error = e));
        }
        let text = cell_text(cell);
        if name.is_empty() && text.is_empty() {
            continue;
        }
        values.insert(name.clone(), text);
    }
    Ok(values)
}

/// A cell as the text konto reads. A number the spreadsheet made of a
/// postal code (1067) comes back as written, without `.0`, so the postal
/// check can say `did you mean 01067?`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
    }
}

/// A 0-based column number as a spreadsheet names it: A … Z, AA, AB …
pub fn column_letters(col: usize) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

impl Location {
    /// The spreadsheet column (`L`) of the field labelled `label`, for a
    /// problem found in a sheet's row.
    pub fn column_of(&self, label: &str) -> Option<String> {
        let Location::Cell { header, .. } = self else {
            return None;
        };
        let key = FIELDS
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.key)
            .or_else(|| {
                Permission::ALL
                    .iter()
                    .find(|p| p.title() == label)
                    .map(|p| p.key())
            })?;
        header.iter().position(|h| h == key).map(column_letters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::sample_customer;

    #[test]
    fn columns_are_named_as_spreadsheets_name_them() {
        let named: Vec<String> = [0, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(named, ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn one_sheet_holds_a_million_and_refuses_more_than_it_can() {
        assert!(check_fits(1_000_000).is_ok());
        assert!(check_fits(MAX_ROWS - 1).is_ok());
        let refused = check_fits(MAX_ROWS).unwrap_err();
        assert!(refused.contains("1048575"), "{refused}");
    }

    #[test]
    fn a_written_sheet_reads_back_as_text_cells_with_zeros_kept() {
        let mut c = sample_customer();
        c.billing.address.postal_code = "01067".into();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.xlsx");
        write_xlsx(
            std::slice::from_ref(&c),
            std::fs::File::create(&path).unwrap(),
        )
        .unwrap();
        let mut book = calamine::open_workbook_auto(&path).unwrap();
        let range = book.worksheet_range("Customers").unwrap();
        let postal = columns()
            .iter()
            .position(|c| *c == "billing.address.postal_code")
            .unwrap();
        assert_eq!(range.get((1, postal)), Some(&Data::String("01067".into())));
        let read = read_sheet(&path, Cloud::Commercial).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].customer, c);
    }

    #[test]
    fn numbers_read_as_they_were_typed() {
        assert_eq!(cell_text(&Data::Float(1067.0)), "1067");
        assert_eq!(cell_text(&Data::Float(2.5)), "2.5");
        assert_eq!(cell_text(&Data::Int(7)), "7");
    }
}
