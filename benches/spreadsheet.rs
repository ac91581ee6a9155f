//! Spreadsheets at size: N generated customers exported as xlsx (what
//! `konto export --format xlsx` does after reading them), then that file
//! imported into an empty store through the same path as `konto import
//! FILE.xlsx` (read the sheet, validate, plan, write in transactions, fsync).
//!
//! cargo bench --bench spreadsheet                            # 100,000 rows
//! KONTO_BENCH_ROWS=1000000 KONTO_BENCH_EXPORT_ONLY=1 cargo bench --bench spreadsheet

use std::time::Instant;

use calamine::Reader;
use konto::domain::Cloud;
use konto::exchange::sheet::{read_sheet, write_xlsx};
use konto::store::{DEFAULT_CACHE_BYTES, Store};

/// The allocator `konto import` writes with (see `konto::alloc`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let rows: usize = std::env::var("KONTO_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let demo = konto::demo::demo_customers().expect("demo customers");
    let customers = konto::generate::generate(&demo, rows, 7, Cloud::Commercial);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("customers.xlsx");

    let start = Instant::now();
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
    write_xlsx(&customers, file).expect("export");
    let exported = start.elapsed();
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!("xlsx of {rows} customers ({:.1} MB)", size as f64 / 1e6);
    println!("  export           {:>8.2} s", exported.as_secs_f64());
    if std::env::var_os("KONTO_BENCH_EXPORT_ONLY").is_some() {
        return;
    }
    // The same cells as Excel saves a workbook: strings in the shared table
    // (konto writes them inline, a row at a time, to stay in constant memory).
    let excel = dir.path().join("saved-by-excel.xlsx");
    save_with_shared_strings(&customers, &excel);
    drop(customers);

    // Where reading goes: calamine's parse alone, before the import's read.
    let start = Instant::now();
    let mut book = calamine::open_workbook_auto(&path).expect("workbook");
    let cells = book.worksheet_range("Customers").expect("sheet").get_size();
    let parsed = start.elapsed();
    drop(book);

    let start = Instant::now();
    let as_excel = read_sheet(&excel, Cloud::Commercial).expect("valid sheet");
    let read_excel = start.elapsed();
    drop(as_excel);

    let mut store = Store::open(&dir.path().join("store"), DEFAULT_CACHE_BYTES).expect("store");
    let start = Instant::now();
    let incoming = read_sheet(&path, Cloud::Commercial).expect("valid sheet");
    let read = start.elapsed();
    let plan = store.plan_import(incoming, false).expect("valid rows");
    let planned = start.elapsed();
    store.apply_import("bench", &plan).expect("import");
    let total = start.elapsed();
    assert_eq!(plan.new.len(), rows);

    let rate = |d: std::time::Duration| rows as f64 / d.as_secs_f64();
    println!(
        "  (calamine's parse of the {}x{} cells alone: {:.2} s)",
        cells.0,
        cells.1,
        parsed.as_secs_f64()
    );
    println!("  import: read     {:>8.2} s", read.as_secs_f64());
    println!(
        "  validate + plan  {:>8.2} s",
        (planned - read).as_secs_f64()
    );
    println!(
        "  write + fsync    {:>8.2} s",
        (total - planned).as_secs_f64()
    );
    println!(
        "  read of the same sheet saved with shared strings (as Excel does): {:.2} s ({:.0} rows/s)",
        read_excel.as_secs_f64(),
        rate(read_excel)
    );
    println!(
        "  import total     {:>8.2} s  ({:.0} rows/s; read alone {:.0} rows/s)",
        total.as_secs_f64(),
        rate(total),
        rate(read)
    );
}

/// The customers as a workbook with every string in the shared strings
/// table, the way Excel writes one.
fn save_with_shared_strings(customers: &[konto::domain::Customer], path: &std::path::Path) {
    let columns = konto::exchange::columns();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Customers").expect("name");
    for (col, name) in (0u16..).zip(&columns) {
        sheet.write_string(0, col, *name).expect("cell");
    }
    for (row, c) in (1u32..).zip(customers) {
        for (col, name) in (0u16..).zip(&columns) {
            let value = konto::exchange::column_value(c, name);
            sheet.write_string(row, col, value).expect("cell");
        }
    }
    book.save(path).expect("save");
}
