//! Headless commands that move customer data in and out: export, import,
//! list and show.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use super::progress::Progress;
use super::{DataFormat, ViewFormat, exit, fail, print_out, reader_gone, store_error_code};
use crate::domain::{Access, Cloud, Customer, CustomerView, FIELDS, Permission, sort_key};
use crate::exchange::{self, DataWriter, ImportProblem, ReadRecord, sheet, sniff};
use crate::listing::{Listing, RowRef};
use crate::query::Query;
use crate::store::{ImportOptions, ImportPhase, ImportRefused, Store, StoreError};
use crate::t;
use crate::text::{fit, safe, width};

/// Up to this many matches a filtered selection reads just their records
/// (one read each, ~30-50 µs at a million customers); beyond, reading every
/// record once is quicker.
const READ_EACH_MAX: usize = 100_000;

/// The cloud's customers matching `filter`, sorted by company name. A
/// filter is matched on the list rows first (as the app matches them), so
/// an export of 300 customers of a million reads 300 records, not all.
fn selected(store: &Store, cloud: Cloud, filter: Option<&str>) -> Result<Vec<Customer>, ExitCode> {
    let query = Query::new(filter.unwrap_or(""));
    let store_failed = |e: StoreError| fail(store_error_code(&e), e);
    // Which customers need attention only their records tell.
    if !query.is_empty() && !query.asks_attention() {
        let mut ids = Vec::new();
        each_matching_row(store, cloud, &query, |row| {
            ids.push(row.id().into_owned());
            Ok(ids.len() <= READ_EACH_MAX)
        })
        .map_err(|e| fail(exit::STORE, e))?;
        if ids.len() <= READ_EACH_MAX {
            let mut customers = Vec::with_capacity(ids.len());
            for id in &ids {
                match store.get(cloud, id).map_err(store_failed)? {
                    Some(c) => customers.push(c),
                    // The index and the records disagree (a store another
                    // tool wrote): the records decide, read them all.
                    None => return every_record_matching(store, cloud, &query),
                }
            }
            return Ok(customers);
        }
    }
    every_record_matching(store, cloud, &query)
}

fn every_record_matching(
    store: &Store,
    cloud: Cloud,
    query: &Query,
) -> Result<Vec<Customer>, ExitCode> {
    let mut customers = store
        .customers(cloud)
        .map_err(|e| fail(store_error_code(&e), e))?;
    customers.retain(|c| query.matches(c));
    customers.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    Ok(customers)
}

/// Calls `each` with every list row of the cloud that `query` matches, in
/// name order, a chunk of rows read at a time, until it returns false.
fn each_matching_row(
    store: &Store,
    cloud: Cloud,
    query: &Query,
    mut each: impl FnMut(RowRef) -> Result<bool, String>,
) -> Result<(), String> {
    const CHUNK: usize = 10_000;
    let mut matcher = crate::query::new_matcher();
    let mut scratch = crate::query::Scratch::default();
    let mut rows = store.rows(cloud);
    loop {
        let mut chunk = Listing::new(cloud);
        let read = rows
            .read(CHUNK, &mut |row| chunk.push_sorted(row))
            .map_err(|e| e.to_string())?;
        for &index in chunk.by_name() {
            let Some(row) = chunk.get(index as usize) else {
                continue;
            };
            let matches = query.is_empty()
                || query
                    .score(&row.fields(), &mut matcher, &mut scratch)
                    .is_some();
            if matches && !each(row)? {
                return Ok(());
            }
        }
        if read < CHUNK {
            return Ok(());
        }
    }
}

/// How an export writes CSV (`--delimiter`, `--bom`).
#[derive(Clone, Copy, Debug)]
pub struct CsvOut {
    pub delimiter: u8,
    pub bom: bool,
}

impl CsvOut {
    /// Commas, no byte order mark: what `konto list --format csv` writes.
    pub const PLAIN: CsvOut = CsvOut {
        delimiter: b',',
        bom: false,
    };
}

/// Writes the cloud's customers matching `filter` in name order: all of
/// them straight from the store one at a time (a million without holding
/// them), a filtered few as selected. A workbook is built whole (the xlsx
/// writer holds its sheet), after checking it fits the format.
fn write_data<W: exchange::WriteOwned + Send>(
    store: &Store,
    cloud: Cloud,
    filter: Option<&str>,
    format: DataFormat,
    csv: CsvOut,
    mut out: W,
) -> Result<usize, ExitCode> {
    let written = |e: String| fail(exit::STORE, e);
    let mut writer = match format {
        DataFormat::Json => DataWriter::json(out),
        DataFormat::Csv => sniff::csv_writer(out, csv.delimiter, csv.bom).map_err(written)?,
        DataFormat::Xlsx => {
            let customers = selected(store, cloud, filter)?;
            sheet::check_fits(customers.len()).map_err(|e| fail(exit::USAGE, e))?;
            sheet::write_xlsx(&customers, &mut out)
                .and_then(|()| out.flush().map_err(|e| e.to_string()))
                .map_err(written)?;
            return Ok(customers.len());
        }
    };
    let mut count = 0;
    if filter.is_none_or(|f| Query::new(f).is_empty()) {
        // Records are made into bytes on both cores, a part at a time, and
        // written here in name order.
        let records = writer.records();
        let output = |reason: String| StoreError::Unreadable {
            path: "output".into(),
            reason,
        };
        let spares = exchange::Spares::default();
        let make = |customers: &[CustomerView]| {
            let mut made = spares.take();
            records.make(customers, &mut made).map_err(output)?;
            Ok((customers.len(), made))
        };
        let mut take = |(made_count, made): (usize, Vec<u8>)| {
            count += made_count;
            writer.write_made_owned(made, &spares).map_err(output)
        };
        store
            .by_name_on_cores(cloud, &make, &mut take)
            .map_err(|e| fail(store_error_code(&e), e))?;
    } else {
        let customers = selected(store, cloud, filter)?;
        writer.write_all(&customers).map_err(written)?;
        count = customers.len();
    }
    writer.finish().map_err(written)?;
    Ok(count)
}

/// A file written by two threads, each part where it belongs (`pwrite`):
/// the kernel's copying of a million records' JSON (a gigabyte) took 3-4 s
/// on one thread, a third of an export, while both cores made the records.
/// Parts go to the threads in turn, at most one waiting for each. Small
/// writes (a header, the array's brackets) are collected into a part.
struct FileOnTwoThreads {
    /// Where the next part goes.
    at: u64,
    small: Vec<u8>,
    threads: Vec<PartWriter>,
    next: usize,
}

struct PartWriter {
    parts: std::sync::mpsc::SyncSender<(u64, Vec<u8>, exchange::Spares)>,
    done: std::thread::JoinHandle<std::io::Result<()>>,
}

impl FileOnTwoThreads {
    fn new(file: File) -> std::io::Result<FileOnTwoThreads> {
        let mut threads = Vec::new();
        for _ in 0..2 {
            let file = file.try_clone()?;
            let (parts, waiting) =
                std::sync::mpsc::sync_channel::<(u64, Vec<u8>, exchange::Spares)>(1);
            let done = std::thread::spawn(move || {
                for (at, part, spares) in waiting {
                    crate::positional::write_at(&file, at, &part)?;
                    spares.give(part);
                }
                Ok(())
            });
            threads.push(PartWriter { parts, done });
        }
        Ok(FileOnTwoThreads {
            at: 0,
            small: Vec::new(),
            threads,
            next: 0,
        })
    }

    fn send(&mut self, part: Vec<u8>, spares: &exchange::Spares) -> std::io::Result<()> {
        if part.is_empty() {
            return Ok(());
        }
        let at = self.at;
        self.at += part.len() as u64;
        let thread = self.next % self.threads.len().max(1);
        self.next += 1;
        match self.threads.get(thread) {
            Some(writer) if writer.parts.send((at, part, spares.clone())).is_ok() => Ok(()),
            // The thread has stopped: its error says why.
            _ => self.join().and(Err(std::io::ErrorKind::BrokenPipe.into())),
        }
    }

    /// Waits for every part to be written; the first error.
    fn join(&mut self) -> std::io::Result<()> {
        let mut result = Ok(());
        for writer in self.threads.drain(..) {
            drop(writer.parts);
            let written = writer
                .done
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            result = result.and(written);
        }
        result
    }
}

impl Write for FileOnTwoThreads {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.small.extend_from_slice(bytes);
        if self.small.len() >= 1 << 16 {
            let small = std::mem::take(&mut self.small);
            self.send(small, &exchange::Spares::default())?;
        }
        Ok(bytes.len())
    }

    /// Writes everything and waits for it: the file is complete after.
    fn flush(&mut self) -> std::io::Result<()> {
        let small = std::mem::take(&mut self.small);
        self.send(small, &exchange::Spares::default())?;
        self.join()
    }
}

impl exchange::WriteOwned for FileOnTwoThreads {
    fn write_owned(&mut self, bytes: Vec<u8>, spares: &exchange::Spares) -> std::io::Result<()> {
        let small = std::mem::take(&mut self.small);
        self.send(small, &exchange::Spares::default())?;
        self.send(bytes, spares)
    }
}

/// `Stdout`, not its lock: the workbook writer wants `Send`. Its own line
/// buffering passes a full buffer on in one write.
fn buffered_stdout() -> BufWriter<std::io::Stdout> {
    BufWriter::with_capacity(1 << 16, std::io::stdout())
}

/// Refuses a CSV-only flag (`--delimiter`, `--bom`, `--encoding`) given
/// for another format, naming the flag: a flag that would do nothing is
/// the operator's mistake to hear of, not to find in the file later.
/// `flags` are the flags and whether each was given; `format` names the
/// format used (`xlsx`, `ods`, `json`).
pub fn csv_only(kind: DataFormat, format: &str, flags: &[(&str, bool)]) -> Result<(), ExitCode> {
    match flags.iter().find(|(_, given)| *given) {
        Some((flag, _)) if kind != DataFormat::Csv => Err(fail(
            exit::USAGE,
            t!("cli.csv_only", flag = flag, format = format),
        )),
        _ => Ok(()),
    }
}

/// A format's name as `--format` takes it.
pub fn format_name(kind: DataFormat) -> &'static str {
    match kind {
        DataFormat::Json => "json",
        DataFormat::Csv => "csv",
        DataFormat::Xlsx => "xlsx",
    }
}

pub fn export(
    store: &Store,
    cloud: Cloud,
    format: DataFormat,
    filter: Option<&str>,
    out: Option<&Path>,
    csv: CsvOut,
) -> Result<(), ExitCode> {
    if format == DataFormat::Xlsx && out.is_none() && std::io::stdout().is_terminal() {
        return Err(fail(exit::USAGE, t!("cli.xlsx_to_terminal")));
    }
    let count = match out {
        Some(path) => {
            let opened = |e: std::io::Error| fail(exit::STORE, format!("{}: {e}", path.display()));
            let file = File::create(path).map_err(opened)?;
            // A workbook's writer may flush before it ends: not for this.
            if format != DataFormat::Xlsx && file.metadata().map_err(opened)?.is_file() {
                let file = FileOnTwoThreads::new(file).map_err(opened)?;
                write_data(store, cloud, filter, format, csv, file)?
            } else {
                write_data(store, cloud, filter, format, csv, BufWriter::new(file))?
            }
        }
        // Buffered: stdout is flushed at every line otherwise (a syscall
        // per line of a million records' JSON).
        None => write_data(store, cloud, filter, format, csv, buffered_stdout())?,
    };
    if let Some(path) = out {
        eprintln!(
            "{}",
            t!("cli.exported", count = count, path = path.display())
        );
    }
    Ok(())
}

fn print_problems(problems: &[ImportProblem]) {
    for p in problems {
        eprintln!("{p}");
    }
}

fn problems_in(problems: &[ImportProblem], file: &Path) -> String {
    match problems.len() {
        1 => t!("cli.problems_one", file = file.display()),
        n => t!("cli.problems_many", count = n, file = file.display()),
    }
}

/// Why an import was refused, said on stderr, as an exit code.
fn refused(refusal: ImportRefused, file: &Path, access: Access) -> ExitCode {
    match refusal {
        ImportRefused::Invalid(problems) => {
            print_problems(&problems);
            fail(exit::INVALID, problems_in(&problems, file))
        }
        ImportRefused::Conflicts(problems) => {
            print_problems(&problems);
            fail(exit::CONFLICT, t!("cli.conflicts", count = problems.len()))
        }
        // A sales agent may import account info, but not purchase permissions.
        ImportRefused::Permissions => {
            let why = access.may_change_permissions().err().unwrap_or_default();
            fail(exit::USAGE, t!("cli.not_allowed", reason = why))
        }
        ImportRefused::Store(e) => fail(store_error_code(&e), e),
    }
}

/// What an import file is: its format (default: from its extension) and,
/// for CSV, what the operator said of its separator and encoding.
#[derive(Clone, Copy, Debug)]
pub struct ImportFormat {
    pub format: Option<DataFormat>,
    pub told: sniff::Told,
}

impl ImportFormat {
    fn of(&self, file: &Path) -> DataFormat {
        self.format.unwrap_or(match extension(file).as_str() {
            "csv" | "tsv" | "txt" => DataFormat::Csv,
            "xlsx" | "xlsm" | "ods" => DataFormat::Xlsx,
            _ => DataFormat::Json,
        })
    }

    /// `--delimiter` and `--encoding` are for a CSV file only.
    fn check_told(&self, file: &Path) -> Result<(), ExitCode> {
        let kind = self.of(file);
        let format = match extension(file).as_str() {
            "ods" | "xlsm" if kind == DataFormat::Xlsx => "ods",
            _ => format_name(kind),
        };
        let told = [
            ("--delimiter", self.told.delimiter.is_some()),
            ("--encoding", self.told.encoding.is_some()),
        ];
        csv_only(kind, format, &told)
    }
}

/// A file's extension in lower case ("" without one).
fn extension(file: &Path) -> String {
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    extension.to_ascii_lowercase()
}

/// The records of an import file, parsed on a thread of their own (a
/// workbook's sheet as its cells are read, `sheet::sheet_records`); a CSV
/// file's separator and encoding are detected (or taken as told) and said.
fn records_of(
    file: &Path,
    format: ImportFormat,
    cloud: Cloud,
) -> Result<Box<dyn Iterator<Item = ReadRecord>>, ExitCode> {
    let kind = format.of(file);
    if kind == DataFormat::Xlsx {
        return Ok(Box::new(sheet::sheet_records(file, cloud)));
    }
    let input =
        File::open(file).map_err(|e| fail(exit::USAGE, format!("{}: {e}", file.display())))?;
    let input = std::io::BufReader::with_capacity(1 << 16, input);
    let records: Box<dyn Iterator<Item = ReadRecord> + Send> = match kind {
        DataFormat::Csv => {
            let (dialect, input) = sniff::open(input, format.told).map_err(|p| {
                print_problems(std::slice::from_ref(&p));
                fail(exit::INVALID, problems_in(&[p], file))
            })?;
            eprintln!(
                "{}",
                t!(
                    "cli.csv_dialect",
                    file = file.display(),
                    delimiter = sniff::delimiter_name(dialect.delimiter),
                    encoding = dialect.encoding
                )
            );
            exchange::csv_records_delimited(input, cloud, dialect.delimiter)
        }
        DataFormat::Json | DataFormat::Xlsx => Box::new(exchange::json_records(input, cloud)),
    };
    Ok(Box::new(crate::parallel::read_ahead(records)))
}

#[allow(clippy::too_many_arguments)]
pub fn import(
    store: &mut Store,
    cloud: Cloud,
    operator: &str,
    file: &Path,
    format: ImportFormat,
    dry_run: bool,
    force: bool,
    verbose: bool,
    access: Access,
) -> Result<(), ExitCode> {
    format.check_told(file)?;
    let records = records_of(file, format, cloud)?;
    let options = ImportOptions {
        operator,
        force,
        dry_run,
        permissions_allowed: access.may_change_permissions().is_ok(),
        keep_changes: dry_run && verbose,
    };
    let mut progress = Progress::new();
    let result = store.import(records, &options, &mut |phase, n| progress.show(phase, n));
    progress.clear();
    let report = result.map_err(|refusal| refused(refusal, file, access))?;
    if dry_run {
        println!("{}", t!("cli.dry_run", summary = report.summary()));
        for (who, changes) in &report.changes {
            println!("{}", safe(who));
            for c in changes {
                println!(
                    "    {}: {} → {}",
                    crate::domain::label_for_key(&c.field),
                    safe(&c.old),
                    safe(&c.new)
                );
            }
        }
        for (company, id) in &report.new_customers {
            let company = safe(company);
            println!("{}", t!("cli.new_customer", company = company, id = id));
        }
        return Ok(());
    }
    if report.forced > 0 {
        let summary = report.summary();
        println!(
            "{}",
            t!("cli.forced", summary = summary, count = report.forced)
        );
    } else {
        println!("{}", report.summary());
    }
    Ok(())
}

/// Columns for the terminal: stdout's width when it is one, else $COLUMNS,
/// else 120.
fn terminal_width() -> usize {
    if std::io::stdout().is_terminal()
        && let Ok((w, _)) = ratatui::crossterm::terminal::size()
    {
        return usize::from(w);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}

/// The table of the cloud's customers matching `query`, read from the
/// name index's list rows alone (name, domain, country, version and id are
/// all there): no record is decoded and a chunk of rows is held at a time,
/// where reading every record took 1.1 GB and seconds at a million.
fn print_table(store: &Store, cloud: Cloud, query: &Query) -> Result<(), String> {
    table(|each| each_matching_row(store, cloud, query, each))
}

/// The table of customers already read (`is:attention` needs their
/// records), in name order.
fn print_rows(listing: &Listing) -> Result<(), String> {
    table(|each| {
        for &index in listing.by_name() {
            if let Some(row) = listing.get(index as usize)
                && !each(row)?
            {
                break;
            }
        }
        Ok(())
    })
}

/// Prints the header, then the rows `rows` hands to its callback (which
/// answers whether to go on), fitted to the terminal.
fn table(
    rows: impl FnOnce(&mut dyn FnMut(RowRef) -> Result<bool, String>) -> Result<(), String>,
) -> Result<(), String> {
    let total = terminal_width().max(40);
    // Country (2) and version (7) are narrow; name, domain and id share the
    // rest 2:1.5:1.5 and are cut with … so no line is wider than the terminal.
    let rest = total.saturating_sub(4 + 7 + 4 * 2);
    let name = rest * 2 / 5;
    let domain = rest * 3 / 10;
    let id = rest.saturating_sub(name + domain);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut row = |cells: [&str; 5]| {
        let line = [
            fit(cells[0], name),
            fit(cells[1], domain),
            fit(cells[2], 4),
            fit(cells[3], 7),
            fit(cells[4], id),
        ]
        .join("  ");
        writeln!(out, "{}", line.trim_end())
    };
    // A reader that stops early (`| head`) ends the listing, not an error.
    let written = |result: std::io::Result<()>| match result {
        Err(e) if reader_gone(&e) => Ok(false),
        Err(e) => Err(e.to_string()),
        Ok(()) => Ok(true),
    };
    if !written(row(["COMPANY", "DOMAIN", "CC", "VERSION", "ID"]))? {
        return Ok(());
    }
    rows(&mut |r| {
        let version = r.version().to_string();
        written(row([r.name(), &r.domain(), r.country(), &version, &r.id()]))
    })?;
    written(out.flush()).map(|_| ())
}

pub fn list(
    store: &Store,
    cloud: Cloud,
    filter: Option<&str>,
    format: ViewFormat,
) -> Result<(), ExitCode> {
    let out = buffered_stdout;
    let plain = CsvOut::PLAIN;
    let query = Query::new(filter.unwrap_or(""));
    let result = match format {
        ViewFormat::Table if query.asks_attention() => {
            let customers = selected(store, cloud, filter)?;
            print_rows(&Listing::of_customers(cloud, &customers))
        }
        ViewFormat::Table => print_table(store, cloud, &query),
        ViewFormat::Json => {
            return write_data(store, cloud, filter, DataFormat::Json, plain, out()).map(drop);
        }
        ViewFormat::Csv => {
            return write_data(store, cloud, filter, DataFormat::Csv, plain, out()).map(drop);
        }
    };
    result.map_err(|e| fail(exit::STORE, e))
}

pub fn show(
    store: &Store,
    cloud: Cloud,
    id_or_domain: &str,
    format: ViewFormat,
) -> Result<(), ExitCode> {
    let by_id = store.get(cloud, id_or_domain);
    let found = match by_id {
        Ok(Some(c)) => Some(c),
        Ok(None) => store
            .find_by_domain(cloud, id_or_domain)
            .map_err(|e| fail(store_error_code(&e), e))?,
        Err(e) => return Err(fail(store_error_code(&e), e)),
    };
    let Some(c) = found else {
        return Err(fail(
            exit::INVALID,
            t!("cli.no_customer", key = id_or_domain, cloud = cloud.key()),
        ));
    };
    let mut out = Vec::new();
    match format {
        ViewFormat::Table => {
            let label_width = FIELDS.iter().map(|f| width(f.label)).max().unwrap_or(0) + 2;
            let mut line = |label: &str, value: &str| {
                out.extend_from_slice(format!("{}{value}\n", fit(label, label_width)).as_bytes());
            };
            for f in FIELDS {
                line(f.label, &safe(c.field(f.id)));
            }
            for p in Permission::ALL {
                let state = if c.permissions.get(p) {
                    "allowed"
                } else {
                    "not allowed"
                };
                line(p.title(), state);
            }
            line("Version", &c.version.to_string());
            line("Last updated", &c.updated.to_rfc3339());
            Ok(())
        }
        ViewFormat::Json => serde_json::to_writer_pretty(&mut out, &c)
            .map_err(|e| e.to_string())
            .map(|()| out.push(b'\n')),
        ViewFormat::Csv => exchange::write_csv(std::slice::from_ref(&c), &mut out),
    }
    .map_err(|e| fail(exit::STORE, e))?;
    print_out(&out)
}

/// `konto gen`: generated customers through the same checks and writes as
/// an import.
pub fn gen_customers(
    store: &mut Store,
    cloud: Cloud,
    operator: &str,
    count: usize,
    seed: u64,
) -> Result<(), ExitCode> {
    let started = std::time::Instant::now();
    let demo = crate::demo::demo_customers().map_err(|e| fail(exit::STORE, e))?;
    let customers = crate::generate::generate(&demo, count, seed, cloud);
    let generated = started.elapsed();
    let records = exchange::Incoming::numbered(customers).into_iter().map(Ok);
    let options = ImportOptions {
        operator,
        force: false,
        dry_run: false,
        permissions_allowed: true,
        keep_changes: false,
    };
    let mut planned = generated;
    let mut progress = Progress::new();
    let report = store
        .import(records, &options, &mut |phase, n| {
            if phase == ImportPhase::Writing {
                planned = started.elapsed();
            }
            progress.show(phase, n);
        })
        .map_err(|refusal| match refusal {
            ImportRefused::Invalid(problems) | ImportRefused::Conflicts(problems) => {
                print_problems(&problems);
                fail(exit::INVALID, t!("cli.gen_refused"))
            }
            ImportRefused::Permissions => fail(exit::INVALID, t!("cli.gen_refused")),
            ImportRefused::Store(e) => fail(store_error_code(&e), e),
        });
    progress.clear();
    let report = report?;
    // Where a slow bulk write spends its time (KONTO_LOG=debug).
    tracing::debug!(
        generate_ms = generated.as_millis() as u64,
        plan_ms = (planned - generated).as_millis() as u64,
        write_ms = (started.elapsed() - planned).as_millis() as u64,
        "gen"
    );
    let count = report.new;
    println!(
        "{}",
        t!("cli.generated", count = count, cloud = cloud.key())
    );
    Ok(())
}

/// `konto compact`: the store rewritten; prints the sizes.
pub fn compact(store: Store) -> Result<(), ExitCode> {
    let (before, after) = store.compact().map_err(|e| fail(store_error_code(&e), e))?;
    let mb = |b: u64| b as f64 / 1_000_000.0;
    let (before, after) = (format!("{:.1}", mb(before)), format!("{:.1}", mb(after)));
    println!("{}", t!("cli.compacted", before = before, after = after));
    Ok(())
}
