//! Spreadsheets both ways, run as the real binary: xlsx export and import,
//! ods import, and the CSV that Excel writes in a German-speaking office
//! (`;` between fields, Windows-1252).

mod common;

use common::{stderr, stdout};

use std::io::{Read, Write};
use std::path::Path;
use std::process::Output;

use calamine::{Data, Reader};
use konto::domain::Cloud;
use konto::store::{DEFAULT_CACHE_BYTES, Store};

fn konto(dir: &Path, args: &[&str]) -> Output {
    common::konto_in(dir, "en", args)
}

fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
    store.seed_if_new(&common::customers()).unwrap();
    dir
}

fn stored(dir: &Path, id: &str) -> konto::domain::Customer {
    let store = Store::open(dir, DEFAULT_CACHE_BYTES).unwrap();
    store.get(Cloud::Commercial, id).unwrap().unwrap()
}

fn succeeded(out: &Output) {
    assert!(out.status.success(), "{}", stderr(out));
}

/// Every cell of the workbook's first sheet as text, and the sheet's name.
fn read_cells(path: &Path) -> (String, Vec<Vec<String>>) {
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => panic!("a cell that is not text: {other:?}"),
                })
                .collect()
        })
        .collect();
    (name, rows)
}

/// A workbook as an operator's spreadsheet program would save it after
/// editing: the same cells, written anew.
fn write_cells(path: &Path, sheet: &str, rows: &[Vec<String>]) {
    write_sheet(path, sheet, rows, 0, true);
}

/// The rows as a sheet, each row from column `first_col` on; with
/// `keep_empty` false an empty value has no cell at all (as a spreadsheet
/// program saves a cell it never held a value).
fn write_sheet(path: &Path, sheet: &str, rows: &[Vec<String>], first_col: u16, keep_empty: bool) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, row) in (0u32..).zip(rows) {
        for (c, value) in (first_col..).zip(row) {
            if keep_empty || !value.is_empty() {
                ws.write_string(r, c, value).unwrap();
            }
        }
    }
    book.save(path).unwrap();
}

/// The XML of a workbook's first sheet.
fn sheet_xml(path: &Path) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0].iter().position(|h| h == name).unwrap()
}

fn row_of(rows: &[Vec<String>], id: &str) -> usize {
    rows.iter().position(|r| r[0] == id).unwrap()
}

/// The store's customers exported as xlsx and read back as cells.
fn exported(dir: &Path) -> (String, Vec<Vec<String>>) {
    let file = dir.join("customers.xlsx");
    let out = file.to_str().unwrap();
    succeeded(&konto(dir, &["export", "--format", "xlsx", "--out", out]));
    read_cells(&file)
}

fn moved_c1_to_ulm(rows: &mut [Vec<String>]) {
    let city = column(rows, "billing.address.city");
    let c1 = row_of(rows, "c-1");
    rows[c1][city] = "Ulm".into();
}

/// Imports a file made with `moved_c1_to_ulm`: one update, the rest
/// unchanged.
fn imports_c1_moved_to_ulm(dir: &Path, file: &Path) {
    let out = konto(dir, &["import", file.to_str().unwrap()]);
    succeeded(&out);
    assert_eq!(stdout(&out).trim(), "0 new, 1 updated, 4 unchanged");
    assert_eq!(stored(dir, "c-1").billing.address.city, "Ulm");
}

#[test]
fn an_xlsx_export_is_text_cells_under_a_frozen_filtered_header() {
    let dir = seeded();
    let file = dir.path().join("customers.xlsx");
    let out = konto(
        dir.path(),
        &[
            "export",
            "--format",
            "xlsx",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    succeeded(&out);
    let (sheet, rows) = read_cells(&file);
    assert_eq!(sheet, "Customers");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0], konto::exchange::columns());
    let postal = column(&rows, "billing.address.postal_code");
    assert_eq!(rows[row_of(&rows, "c-1")][postal], "70173");

    let xml = sheet_xml(&file);
    assert!(xml.contains(r#"state="frozen""#), "{xml}");
    assert!(xml.contains("<autoFilter"), "{xml}");
    assert!(xml.contains("customWidth"), "{xml}");
}

#[test]
fn an_xlsx_round_trip_with_one_cell_changed_is_a_one_field_update() {
    let dir = seeded();
    let (sheet, mut rows) = exported(dir.path());
    moved_c1_to_ulm(&mut rows);
    let edited = dir.path().join("edited.xlsx");
    write_cells(&edited, &sheet, &rows);

    let before = stored(dir.path(), "c-1");
    let out = konto(dir.path(), &["import", edited.to_str().unwrap()]);
    succeeded(&out);
    assert_eq!(stdout(&out).trim(), "0 new, 1 updated, 4 unchanged");
    let after = stored(dir.path(), "c-1");
    assert_eq!(after.billing.address.city, "Ulm");
    assert_eq!(after.version, before.version + 1);
    let mut expected = before.clone();
    expected.billing.address.city = "Ulm".into();
    expected.version = after.version;
    expected.updated = after.updated;
    assert_eq!(after, expected, "only the city changed");
}

#[test]
fn problems_in_a_sheet_name_the_sheet_row_and_column_and_nothing_is_written() {
    let dir = seeded();
    let (_, mut rows) = exported(dir.path());
    let postal = column(&rows, "billing.address.postal_code");
    let city = column(&rows, "billing.address.city");
    let c1 = row_of(&rows, "c-1");
    // Dresden's code as Excel leaves it after taking it for a number.
    rows[c1][postal] = "1067".into();
    rows[c1 + 1][city] = "Ulm".into();
    let edited = dir.path().join("edited.xlsx");
    // Columns are named as the sheet names them, also where the table
    // starts right of column A.
    for first_col in [0, 2] {
        write_sheet(&edited, "Kunden", &rows, first_col, true);
        let out = konto(dir.path(), &["import", edited.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let letter = konto::exchange::sheet::column_letters(postal + usize::from(first_col));
        let said = stderr(&out);
        let expected = format!(
            "sheet \"Kunden\", row {} (Zeppelin Logistik AG, c-1): Postal code (column {letter})",
            c1 + 1
        );
        assert!(said.contains(&expected), "{said}");
        assert!(said.contains("did you mean 01067?"), "{said}");
    }
    assert_eq!(stored(dir.path(), "c-1").version, 1);
    assert_ne!(
        stored(dir.path(), &rows[c1 + 1][0]).billing.address.city,
        "Ulm"
    );
}

#[test]
fn cells_left_out_in_the_middle_of_a_row_read_as_empty() {
    let dir = seeded();
    let (sheet, mut rows) = exported(dir.path());
    moved_c1_to_ulm(&mut rows);
    let gap = |row: &Vec<String>| {
        row.windows(3)
            .any(|w| !w[0].is_empty() && w[1].is_empty() && !w[2].is_empty())
    };
    assert!(
        rows[1..].iter().all(gap),
        "every row has an empty value mid-row"
    );
    let sparse = dir.path().join("sparse.xlsx");
    write_sheet(&sparse, &sheet, &rows, 0, false);
    let values = rows.iter().flatten().filter(|v| !v.is_empty()).count();
    assert_eq!(sheet_xml(&sparse).matches("<c ").count(), values);

    imports_c1_moved_to_ulm(dir.path(), &sparse);
}

#[test]
fn a_problem_thousands_of_rows_down_names_its_row_after_skipped_empty_rows() {
    let dir = tempfile::tempdir().unwrap();
    succeeded(&konto(dir.path(), &["gen", "--count", "5000"]));
    let (sheet, mut rows) = exported(dir.path());
    let empty_rows = 3;
    for _ in 0..empty_rows {
        rows.insert(1_500, Vec::new());
    }
    let late = rows.len() - 7;
    let allowed = column(&rows, "permissions.azure_reservations");
    rows[late][allowed] = "maybe".into();
    let id = rows[late][0].clone();
    let edited = dir.path().join("late.xlsx");
    write_cells(&edited, &sheet, &rows);

    let out = konto(dir.path(), &["import", edited.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    let letter = konto::exchange::sheet::column_letters(allowed);
    let row = late + 1;
    assert!(
        said.contains(&format!("sheet \"Customers\", row {row} (")),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "{id}): Azure reservations (column {letter}) is \"maybe\""
        )),
        "{said}"
    );
    assert!(said.contains("1 problem in"), "{said}");
}

#[test]
fn a_header_only_sheet_imports_nothing_and_an_empty_workbook_is_refused() {
    let dir = seeded();
    let (sheet, rows) = exported(dir.path());
    let header_only = dir.path().join("header.xlsx");
    write_cells(&header_only, &sheet, &rows[..1]);
    let out = konto(dir.path(), &["import", header_only.to_str().unwrap()]);
    succeeded(&out);
    assert_eq!(stdout(&out).trim(), "0 new, 0 updated, 0 unchanged");

    let empty = dir.path().join("empty.xlsx");
    rust_xlsxwriter::Workbook::new().save(&empty).unwrap();
    let out = konto(dir.path(), &["import", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("sheet \"Sheet1\", row 1: the header has no company.name column"),
        "{said}"
    );
}

#[test]
fn csv_flags_for_another_format_are_refused_not_ignored() {
    let dir = seeded();
    let refused = |args: &[&str], flag: &str| {
        let out = konto(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let said = stderr(&out);
        let expected = format!("{flag} applies to CSV only");
        assert!(said.contains(&expected), "{said}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    };
    let xlsx = dir.path().join("out.xlsx");
    let xlsx = xlsx.to_str().unwrap();
    let to_xlsx = ["export", "--format", "xlsx", "--out", xlsx];
    refused(
        &[&to_xlsx[..], &["--delimiter", ";"]].concat(),
        "--delimiter",
    );
    refused(&[&to_xlsx[..], &["--bom"]].concat(), "--bom");
    refused(&["export", "--bom"], "--bom");
    refused(
        &["export", "--format", "json", "--delimiter", "tab"],
        "--delimiter",
    );
    assert!(!Path::new(xlsx).exists());

    succeeded(&konto(dir.path(), &to_xlsx));
    let json = dir.path().join("customers.json");
    std::fs::write(&json, konto(dir.path(), &["export"]).stdout).unwrap();
    let json = json.to_str().unwrap();
    refused(
        &["import", xlsx, "--encoding", "windows-1252"],
        "--encoding",
    );
    refused(&["import", xlsx, "--delimiter", ";"], "--delimiter");
    refused(&["import", json, "--encoding", "utf-8"], "--encoding");
    succeeded(&konto(dir.path(), &["import", xlsx]));
}

/// A minimal OpenDocument spreadsheet, as LibreOffice's is in essence.
fn write_ods(path: &Path, rows: &[Vec<String>]) {
    let mut table = String::new();
    for row in rows {
        table.push_str("<table:table-row>");
        for value in row {
            let value = value.replace('&', "&amp;").replace('<', "&lt;");
            table.push_str(&format!(
                r#"<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>"#
            ));
        }
        table.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Tabelle1">{table}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn an_ods_file_imports_like_an_xlsx() {
    let dir = seeded();
    let (_, mut rows) = exported(dir.path());
    moved_c1_to_ulm(&mut rows);
    let ods = dir.path().join("kunden.ods");
    write_ods(&ods, &rows);

    imports_c1_moved_to_ulm(dir.path(), &ods);
}

#[test]
fn a_csv_for_german_excel_has_a_bom_and_semicolons_and_reads_back_unchanged() {
    let dir = seeded();
    let file = dir.path().join("kunden.csv");
    let path = file.to_str().unwrap();
    let args = [
        "export",
        "--format",
        "csv",
        "--delimiter",
        ";",
        "--bom",
        "--out",
        path,
    ];
    succeeded(&konto(dir.path(), &args));
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFid;cloud;version;"));

    let out = konto(dir.path(), &["import", path]);
    succeeded(&out);
    assert_eq!(stdout(&out).trim(), "0 new, 0 updated, 5 unchanged");
    assert!(
        stderr(&out).contains("fields separated by ';', text in UTF-8"),
        "{}",
        stderr(&out)
    );
}

/// The export as Excel's plain "CSV" saves it on a German Windows: `;`
/// between fields, Windows-1252, one company renamed in it. (Without the
/// Japanese customer, whose name Windows-1252 cannot hold.)
fn excel_csv(dir: &Path, new_name: &str) -> std::path::PathBuf {
    let out = konto(dir, &["export", "--format", "csv", "--delimiter", ";"]);
    succeeded(&out);
    let text: String = stdout(&out)
        .replace("Zeppelin Logistik AG;", &format!("{new_name};"))
        .lines()
        .filter(|line| !line.starts_with("c-4;"))
        .map(|line| format!("{line}\r\n"))
        .collect();
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    let file = dir.join("excel.csv");
    std::fs::write(&file, bytes).unwrap();
    file
}

#[test]
fn excels_windows_csv_is_detected_said_and_read_as_written() {
    let dir = seeded();
    let file = excel_csv(dir.path(), "Zeppelin Lüftungsbau AG");
    let out = konto(dir.path(), &["import", file.to_str().unwrap()]);
    succeeded(&out);
    assert!(
        stderr(&out).contains("fields separated by ';', text in Windows-1252"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out).trim(), "0 new, 1 updated, 3 unchanged");
    assert_eq!(
        stored(dir.path(), "c-1").company.name,
        "Zeppelin Lüftungsbau AG"
    );
}

#[test]
fn a_told_separator_or_encoding_that_does_not_fit_says_what_to_use() {
    let dir = seeded();
    let file = excel_csv(dir.path(), "Zeppelin Lüftungsbau AG");
    let path = file.to_str().unwrap();
    let out = konto(dir.path(), &["import", path, "--delimiter", ","]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("use --delimiter ';'"),
        "{}",
        stderr(&out)
    );

    let out = konto(dir.path(), &["import", path, "--encoding", "utf-8"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("use --encoding windows-1252"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stored(dir.path(), "c-1").version, 1);

    let told = [
        "import",
        path,
        "--delimiter",
        ";",
        "--encoding",
        "windows-1252",
    ];
    succeeded(&konto(dir.path(), &told));
    assert_eq!(
        stored(dir.path(), "c-1").company.name,
        "Zeppelin Lüftungsbau AG"
    );
}
