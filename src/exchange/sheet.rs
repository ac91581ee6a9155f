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

use calamine::{Data, DataRef, Reader, Sheets, Xlsx};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::sniff::problem;
use super::{
    ImportProblem, Incoming, Location, ReadRecord, collect_records, column_value, columns, from_map,
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

/// Columns in one sheet (Excel's limit, `XFD`): a cell said to be further
/// right is a broken sheet, not a reason to make a row that wide.
const MAX_COLUMNS: u32 = 16_384;

/// What reading a sheet hands its records to: false once the import has
/// stopped listening (reading then stops).
type Give<'g> = &'g mut dyn FnMut(ReadRecord) -> bool;

/// The records of the first sheet of an `.xlsx` or `.ods` workbook, one at
/// a time as `Store::import` takes them, read on a thread of their own a
/// few batches ahead of the caller (`parallel::make_ahead`): the first row
/// with a value is the header with the export's column names, then one
/// customer a row; empty rows are skipped. A problem with the workbook or
/// the header is the last item.
pub fn sheet_records(
    path: &Path,
    default_cloud: Cloud,
) -> impl Iterator<Item = ReadRecord> + use<> {
    let path = path.to_path_buf();
    crate::parallel::make_ahead(move |give| read_workbook(&path, default_cloud, give))
}

/// Reads the first sheet of an `.xlsx` or `.ods` workbook whole
/// (`sheet_records`, collected): every record, or every problem.
pub fn read_sheet(path: &Path, default_cloud: Cloud) -> Result<Vec<Incoming>, Vec<ImportProblem>> {
    collect_records(sheet_records(path, default_cloud))
}

fn read_workbook(path: &Path, default_cloud: Cloud, give: Give) {
    let refused = |reason: String| Err(problem(Location::Line(1), reason));
    let mut workbook = match calamine::open_workbook_auto(path) {
        Ok(workbook) => workbook,
        Err(e) => {
            give(refused(t!("import.not_workbook", reason = e)));
            return;
        }
    };
    let Some(name) = workbook.sheet_names().first().cloned() else {
        give(refused(t!("import.no_sheet").to_string()));
        return;
    };
    let mut rows = SheetRows::new(&name, default_cloud);
    let read = match &mut workbook {
        Sheets::Xlsx(xlsx) => stream_xlsx(xlsx, &name, &mut rows, give),
        // calamine streams cells of xlsx only: an ods (or xls, xlsb) sheet
        // is read whole as a range, then handed on a cell at a time.
        other => match other.worksheet_range(&name) {
            Ok(range) => whole_range(&range, &mut rows, give),
            Err(e) => Err(e.to_string()),
        },
    };
    match read {
        Ok(()) => rows.finish(give),
        Err(reason) => rows.broken(t!("import.not_workbook", reason = reason), give),
    }
}

/// Hands the sheet's cells on as calamine's cell reader reads them from the
/// sheet's XML (`Xlsx::worksheet_cells_reader`): memory holds one row and
/// the workbook's shared strings, not the sheet.
fn stream_xlsx<RS: std::io::Read + std::io::Seek>(
    xlsx: &mut Xlsx<RS>,
    name: &str,
    rows: &mut SheetRows,
    give: Give,
) -> Result<(), String> {
    let mut cells = match xlsx.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        // A chart sheet has no cells: as `worksheet_range` reads it, empty.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    while let Some(cell) = cells.next_cell().map_err(|e| e.to_string())? {
        let (row, col) = cell.get_position();
        let value = cell.get_value();
        if *value != DataRef::Empty && !rows.cell(row, col, Data::from(value.clone()), give)? {
            break;
        }
    }
    Ok(())
}

/// Hands on the cells of a sheet read whole, at their places in the sheet.
fn whole_range(
    range: &calamine::Range<Data>,
    rows: &mut SheetRows,
    give: Give,
) -> Result<(), String> {
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    for (row, col, value) in range.used_cells() {
        let (row, col) = (first_row + row as u32, first_col + col as u32);
        if !rows.cell(row, col, value.clone(), give)? {
            break;
        }
    }
    Ok(())
}

/// A sheet's cells, in row order, made rows and the rows records: the
/// first row with a value is the header, every later one a customer.
struct SheetRows {
    sheet: Arc<str>,
    default_cloud: Cloud,
    /// Known once its row is read.
    header: Option<Arc<[String]>>,
    /// The row being put together (0-based) and its cells by column, the
    /// cells the sheet leaves out empty.
    row: u32,
    cells: Vec<Data>,
    /// Nothing more is read: the header was refused, or the import stopped
    /// listening.
    stopped: bool,
}

impl SheetRows {
    fn new(sheet: &str, default_cloud: Cloud) -> SheetRows {
        SheetRows {
            sheet: sheet.into(),
            default_cloud,
            header: None,
            row: 0,
            cells: Vec::new(),
            stopped: false,
        }
    }

    /// The place of the sheet's 0-based row `row`, as a problem names it.
    fn at(&self, row: u32) -> Location {
        Location::Cell {
            sheet: self.sheet.clone(),
            row: row.saturating_add(1),
            header: self.header.clone().unwrap_or_else(|| Arc::from([])),
        }
    }

    /// Takes the next cell with a value; a cell of a later row ends the row
    /// before. False once reading should stop.
    fn cell(&mut self, row: u32, col: u32, value: Data, give: Give) -> Result<bool, String> {
        if row != self.row {
            self.end_row(give);
            self.row = row;
        }
        if col >= MAX_COLUMNS {
            return Err(t!("import.too_many_columns").to_string());
        }
        let col = col as usize;
        match self.cells.get_mut(col) {
            Some(place) => *place = value,
            None => {
                self.cells.resize(col, Data::Empty);
                self.cells.push(value);
            }
        }
        Ok(!self.stopped)
    }

    /// Hands on the row put together (the header is kept); an empty row is
    /// skipped.
    fn end_row(&mut self, give: Give) {
        if self.stopped || self.cells.iter().all(|c| matches!(c, Data::Empty)) {
            self.cells.clear();
            return;
        }
        let at = self.at(self.row);
        let record = match &self.header {
            Some(header) => match row_values(header, self.cells.drain(..)) {
                Ok(values) => from_map(at, &values, self.default_cloud),
                Err(reason) => Err(problem(at, reason)),
            },
            None => {
                let header: Arc<[String]> = self
                    .cells
                    .drain(..)
                    .map(|c| cell_text(c).trim().to_string())
                    .collect();
                let named = header.iter().any(|h| h == "company.name");
                self.header = Some(header);
                if named {
                    return;
                }
                self.stopped = true;
                Err(problem(
                    self.at(self.row),
                    t!("import.no_name_column").to_string(),
                ))
            }
        };
        self.cells.clear();
        self.stopped |= !give(record);
    }

    /// Ends the last row; a sheet without a header row is refused.
    fn finish(mut self, give: Give) {
        self.end_row(give);
        if self.header.is_none() && !self.stopped {
            give(Err(problem(
                self.at(0),
                t!("import.no_name_column").to_string(),
            )));
        }
    }

    /// The sheet could not be read on: the reason, named at the row
    /// reading stopped in (a sheet that could not be read at all, as the
    /// whole file's problem).
    fn broken(self, reason: String, give: Give) {
        if self.stopped {
            return;
        }
        let location = match self.header {
            Some(_) => self.at(self.row),
            None => Location::Line(1),
        };
        give(Err(problem(location, reason)));
    }
}

/// A row as `column → value`; columns without a header and without a value
/// are the sheet's margin, not data (a value right of the header is under
/// an empty name, which the import refuses as an unknown column).
fn row_values(
    header: &[String],
    cells: impl Iterator<Item = Data>,
) -> Result<BTreeMap<String, String>, String> {
    let mut values = BTreeMap::new();
    for (col, cell) in cells.enumerate() {
        if let Data::Error(e) = cell {
            let column = column_letters(col);
            return Err(t!("import.cell_error", column = column, error = e));
        }
        let name = header.get(col).map_or("", String::as_str);
        let text = cell_text(cell);
        if name.is_empty() && text.is_empty() {
            continue;
        }
        values.insert(name.to_string(), text);
    }
    Ok(values)
}

/// A cell as the text konto reads. A number the spreadsheet made of a
/// postal code (1067) comes back as written, without `.0`, so the postal
/// check can say `did you mean 01067?`.
fn cell_text(cell: Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s,
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

    /// What `SheetRows` makes of cells given as (row, column, text), with
    /// `open` false once `stop_after` items were taken.
    fn records_of(cells: &[(u32, u32, Data)], stop_after: usize) -> Vec<ReadRecord> {
        let mut taken = Vec::new();
        let mut give = |record| {
            taken.push(record);
            taken.len() < stop_after
        };
        let mut rows = SheetRows::new("Blatt", Cloud::Commercial);
        for (row, col, value) in cells {
            if !rows.cell(*row, *col, value.clone(), &mut give).unwrap() {
                return taken;
            }
        }
        rows.finish(&mut give);
        taken
    }

    fn text(s: &str) -> Data {
        Data::String(s.into())
    }

    #[test]
    fn cells_become_rows_at_their_places_in_the_sheet() {
        let cells = [
            (2, 1, text("id")),
            (2, 3, text("company.name")),
            (4, 1, text("c-1")),
            (4, 3, text("Contoso")),
            (5, 3, text("Fabrikam")),
            (5, 4, text("stray")),
            (7, 2, Data::Error(calamine::CellErrorType::Ref)),
        ];
        let read = records_of(&cells, usize::MAX);
        let rows: Vec<String> = read
            .iter()
            .map(|r| match r {
                Ok(incoming) => format!("{} {}", incoming.location, incoming.customer.company.name),
                Err(problem) => problem.to_string(),
            })
            .collect();
        assert_eq!(
            rows,
            [
                "sheet \"Blatt\", row 5 Contoso",
                "sheet \"Blatt\", row 6 (Fabrikam): unknown column \"\" (see `konto export --format csv` for the names)",
                "sheet \"Blatt\", row 8: column C holds the spreadsheet error #REF!; type the value in its place",
            ]
        );
    }

    #[test]
    fn a_sheet_without_a_header_is_refused_and_reading_stops_when_told() {
        let refused = records_of(&[(0, 0, text("name"))], usize::MAX);
        assert_eq!(refused.len(), 1);
        let said = refused[0].as_ref().unwrap_err().to_string();
        assert!(
            said.starts_with("sheet \"Blatt\", row 1: the header has no company.name"),
            "{said}"
        );
        assert_eq!(records_of(&[], usize::MAX).len(), 1, "an empty sheet");

        let many: Vec<(u32, u32, Data)> = std::iter::once((0, 0, text("company.name")))
            .chain((1..100).map(|row| (row, 0, text("Contoso"))))
            .collect();
        assert_eq!(records_of(&many, usize::MAX).len(), 99);
        assert_eq!(records_of(&many, 10).len(), 10, "stops when nobody listens");
    }

    #[test]
    fn numbers_read_as_they_were_typed() {
        assert_eq!(cell_text(Data::Float(1067.0)), "1067");
        assert_eq!(cell_text(Data::Float(2.5)), "2.5");
        assert_eq!(cell_text(Data::Int(7)), "7");
    }
}
