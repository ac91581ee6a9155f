//! Customers as CSV and JSON for export and import. The columns come from
//! the field catalogue, so every field is exported under a stable name
//! (`billing.address.city`) and read back by the same name.

mod exported;
pub mod sheet;
pub mod sniff;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::{Cloud, Customer, CustomerView, FIELDS, Permission, label_for_key};
use crate::t;

/// Where a record came from in an import file, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a CSV file (the header is line 1).
    Line(u64),
    /// 1-based index of a record in a JSON array.
    Record(usize),
    /// 1-based row of a spreadsheet's sheet, with the sheet's header to
    /// name a field's column (`sheet::column_of`).
    Cell {
        sheet: Arc<str>,
        row: u32,
        header: Arc<[String]>,
    },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => f.write_str(&t!("import.line", n = n)),
            Location::Record(n) => f.write_str(&t!("import.record", n = n)),
            Location::Cell { sheet, row, .. } => f.write_str(&t!(
                "import.cell",
                sheet = crate::text::safe(sheet),
                row = row
            )),
        }
    }
}

/// A record read from an import file: the customer and which columns the
/// file carried (a missing `version` means "no version stated").
#[derive(Clone, Debug)]
pub struct Incoming {
    pub location: Location,
    pub customer: Customer,
    pub version_given: bool,
}

impl Incoming {
    /// Customers made by the program (`konto gen`), numbered as the
    /// records of a JSON file would be, no version stated.
    pub fn numbered(customers: Vec<Customer>) -> Vec<Incoming> {
        customers
            .into_iter()
            .enumerate()
            .map(|(i, customer)| Incoming {
                location: Location::Record(i + 1),
                customer,
                version_given: false,
            })
            .collect()
    }
}

/// Something wrong with one record of an import; nothing is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportProblem {
    pub location: Location,
    /// The customer, as far as known (name and id).
    pub customer: String,
    /// The field's label, when one field is at fault.
    pub field: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.location)?;
        if !self.customer.is_empty() {
            write!(f, " ({})", crate::text::safe(&self.customer))?;
        }
        match &self.field {
            Some(field) => match self.location.column_of(field) {
                Some(column) => {
                    let column = t!("import.column", column = column);
                    write!(f, ": {field} ({column}) {}", self.reason)
                }
                None => write!(f, ": {field} {}", self.reason),
            },
            None => write!(f, ": {}", self.reason),
        }
    }
}

/// Every column, in export order.
pub fn columns() -> Vec<&'static str> {
    let mut cols = vec!["id", "cloud", "version"];
    cols.extend(FIELDS.iter().map(|f| f.key).filter(|k| *k != "id"));
    cols.extend(Permission::ALL.iter().map(|p| p.key()));
    cols.extend(["created", "updated"]);
    cols
}

/// One customer's value in a column.
pub fn column_value(c: &Customer, column: &str) -> String {
    Column::of(column).value(&CustomerView::of(c)).into_owned()
}

/// What a column holds, found once for an export rather than by name for
/// every value (a fifth of a CSV export's time went to finding fields).
#[derive(Clone, Copy)]
enum Column {
    Cloud,
    Version,
    Created,
    Updated,
    Field(crate::domain::FieldId),
    Permission(Permission),
    Unknown,
}

impl Column {
    fn of(column: &str) -> Column {
        match column {
            "cloud" => Column::Cloud,
            "version" => Column::Version,
            "created" => Column::Created,
            "updated" => Column::Updated,
            _ => {
                if let Some(f) = FIELDS.iter().find(|f| f.key == column) {
                    return Column::Field(f.id);
                }
                match Permission::ALL.iter().find(|p| p.key() == column) {
                    Some(p) => Column::Permission(*p),
                    None => Column::Unknown,
                }
            }
        }
    }

    fn value<'a>(self, c: &CustomerView<'a>) -> std::borrow::Cow<'a, str> {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        match self {
            Column::Cloud => c.cloud.key().into(),
            Column::Version => c.version.to_string().into(),
            Column::Created => time(&c.created).into(),
            Column::Updated => time(&c.updated).into(),
            Column::Field(id) => c.field(id).into(),
            Column::Permission(p) => if c.permissions.get(p) {
                "true"
            } else {
                "false"
            }
            .into(),
            Column::Unknown => "".into(),
        }
    }
}

pub fn write_csv(customers: &[Customer], out: impl Write) -> Result<(), String> {
    let mut writer = DataWriter::csv(out)?;
    writer.write_all(customers)?;
    writer.finish()
}

pub fn write_json(customers: &[Customer], out: impl Write) -> Result<(), String> {
    let mut writer = DataWriter::json(out);
    writer.write_all(customers)?;
    writer.finish()
}

/// How customers become bytes, apart from where the bytes go: so that
/// parts of an export can be made on several threads (`Store::by_name_on_cores`)
/// and written in order with `DataWriter::write_made`.
#[derive(Clone, Copy, Debug)]
pub enum Records {
    /// Each record as in `serde_json`'s pretty array, after a comma.
    Json,
    /// Rows with this delimiter.
    Csv(u8),
}

impl Records {
    /// Appends `customers` to `out`.
    pub fn make(self, customers: &[CustomerView], out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Records::Json => {
                use serde::Serialize;
                use serde_json::ser::{Formatter, PrettyFormatter};
                for c in customers {
                    out.extend_from_slice(b",\n  ");
                    // Indented one level in, as an element of the array
                    // (what `to_writer_pretty` of the whole array writes).
                    let mut layout = PrettyFormatter::new();
                    layout
                        .begin_array(&mut std::io::sink())
                        .map_err(|e| e.to_string())?;
                    c.serialize(&mut serde_json::Serializer::with_formatter(
                        &mut *out, layout,
                    ))
                    .map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Records::Csv(delimiter) => {
                let columns: Vec<Column> = columns().into_iter().map(Column::of).collect();
                let mut rows = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .from_writer(out);
                for c in customers {
                    for column in &columns {
                        rows.write_field(column.value(c).as_bytes())
                            .map_err(|e| e.to_string())?;
                    }
                    rows.write_record(None::<&[u8]>)
                        .map_err(|e| e.to_string())?;
                }
                rows.flush().map_err(|e| e.to_string())
            }
        }
    }
}

/// Buffers that parts of an export are made in, used again once written:
/// a gigabyte of fresh buffers cost the export 90,000 more page faults
/// than the one it replaced.
#[derive(Clone, Default)]
pub struct Spares(Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

impl Spares {
    /// Buffers kept: two parts being made, two being written, two waiting.
    const KEPT: usize = 8;

    /// An empty buffer, one used before if there is one.
    pub fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut spares| spares.pop())
            .unwrap_or_default()
    }

    pub fn give(&self, mut bytes: Vec<u8>) {
        bytes.clear();
        if let Ok(mut spares) = self.0.lock()
            && spares.len() < Spares::KEPT
        {
            spares.push(bytes);
        }
    }
}

/// A writer that can take bytes over instead of copying them: a file
/// written on two threads (`cli::data`'s) queues them as they are, and
/// gives the buffer to `spares` once written.
pub trait WriteOwned: Write {
    fn write_owned(&mut self, bytes: Vec<u8>, spares: &Spares) -> std::io::Result<()> {
        self.write_all(&bytes)?;
        spares.give(bytes);
        Ok(())
    }
}

impl<W: Write> WriteOwned for std::io::BufWriter<W> {}

impl WriteOwned for Vec<u8> {}

impl<W: WriteOwned + ?Sized> WriteOwned for &mut W {
    fn write_owned(&mut self, bytes: Vec<u8>, spares: &Spares) -> std::io::Result<()> {
        (**self).write_owned(bytes, spares)
    }
}

/// Customers made at a time by `write_all` (bytes held: a few MB).
const PART: usize = 4_096;

/// Writes customers one at a time or made in parts, as JSON (what
/// `serde_json` writes for the whole array, pretty) or CSV: an export of a
/// million customers need not hold them.
pub struct DataWriter<W: Write> {
    out: W,
    records: Records,
    /// Whether a record was written (JSON's array was opened).
    started: bool,
    /// One record's bytes, made before they are written.
    record: Vec<u8>,
}

impl<W: Write> DataWriter<W> {
    pub fn json(out: W) -> DataWriter<W> {
        DataWriter {
            out,
            records: Records::Json,
            started: false,
            record: Vec::new(),
        }
    }

    /// A CSV writer, the header written.
    pub fn csv(out: W) -> Result<DataWriter<W>, String> {
        DataWriter::csv_delimited(out, b',')
    }

    /// A CSV writer with `delimiter` between fields (`sniff::csv_writer`
    /// adds a byte order mark), the header written.
    pub fn csv_delimited(mut out: W, delimiter: u8) -> Result<DataWriter<W>, String> {
        let mut header = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(Vec::new());
        header.write_record(columns()).map_err(|e| e.to_string())?;
        let header = header.into_inner().map_err(|e| e.to_string())?;
        out.write_all(&header).map_err(|e| e.to_string())?;
        Ok(DataWriter {
            out,
            records: Records::Csv(delimiter),
            started: false,
            record: Vec::new(),
        })
    }

    /// How this writer's records are made (for making them elsewhere).
    pub fn records(&self) -> Records {
        self.records
    }

    pub fn write(&mut self, c: &Customer) -> Result<(), String> {
        let mut record = std::mem::take(&mut self.record);
        record.clear();
        let made = self.records.make(&[CustomerView::of(c)], &mut record);
        let written = made.and_then(|()| self.write_made(&record));
        self.record = record;
        written
    }

    pub fn write_all(&mut self, customers: &[Customer]) -> Result<(), String> {
        let mut made = Vec::new();
        for part in customers.chunks(PART) {
            made.clear();
            let views: Vec<CustomerView> = part.iter().map(CustomerView::of).collect();
            self.records.make(&views, &mut made)?;
            self.write_made(&made)?;
        }
        Ok(())
    }

    /// Writes what `records().make` made, in order after what was written.
    pub fn write_made(&mut self, made: &[u8]) -> Result<(), String> {
        let io = |e: std::io::Error| e.to_string();
        if made.is_empty() {
            return Ok(());
        }
        match self.records {
            // The first record's comma opens the array instead.
            Records::Json if !self.started => {
                self.out.write_all(b"[").map_err(io)?;
                self.out.write_all(&made[1..]).map_err(io)?;
            }
            _ => self.out.write_all(made).map_err(io)?,
        }
        self.started = true;
        Ok(())
    }

    /// As `write_made`, handing the bytes over (`WriteOwned`).
    pub fn write_made_owned(&mut self, mut made: Vec<u8>, spares: &Spares) -> Result<(), String>
    where
        W: WriteOwned,
    {
        if made.is_empty() {
            spares.give(made);
            return Ok(());
        }
        if let Records::Json = self.records
            && !self.started
        {
            self.out.write_all(b"[").map_err(|e| e.to_string())?;
            made.remove(0);
        }
        self.started = true;
        self.out
            .write_owned(made, spares)
            .map_err(|e| e.to_string())
    }

    /// Ends the array (JSON) and flushes.
    pub fn finish(mut self) -> Result<(), String> {
        let end: &[u8] = match self.records {
            Records::Json if self.started => b"\n]\n",
            Records::Json => b"[]\n",
            Records::Csv(_) => b"",
        };
        self.out
            .write_all(end)
            .and_then(|()| self.out.flush())
            .map_err(|e| e.to_string())
    }
}

/// The JSON Schema of an export, as `konto schema` prints it: an array of
/// customer records. The records' layout comes from the types that are
/// written (schemars reads their serde attributes), each field's title and
/// longest value from the field catalogue, so the schema, the export and the
/// CSV columns (`column_docs`) agree by construction.
pub fn json_schema() -> serde_json::Value {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let mut root = settings
        .into_generator()
        .into_root_schema_for::<Vec<Customer>>()
        .to_value();
    root["title"] = "konto export".into();
    root["description"] = "What `konto export --format json` writes: every customer of a cloud, \
        sorted by company name. `konto import` reads the same records: a field left out \
        is empty, except that an existing customer keeps its fixed fields and a missing \
        version states none; a record without an id is a new customer. The CSV format has \
        one column per field, named by its path (billing.address.city)."
        .into();
    let record = &mut root["items"];
    for f in FIELDS {
        if let Some(property) = record.pointer_mut(&property_pointer(f.key)) {
            property["title"] = f.label.into();
            property["maxLength"] = f.max_len.into();
            if !f.editable {
                let said = property["description"].as_str().unwrap_or_default();
                let fixed = "Fixed once the customer exists.";
                property["description"] = format!("{said} {fixed}").trim_start().into();
            }
        }
    }
    for p in Permission::ALL {
        if let Some(property) = record.pointer_mut(&property_pointer(p.key())) {
            property["title"] = p.title().into();
        }
    }
    root
}

/// Where a column's property is in a record's schema (a JSON pointer):
/// `billing.address.city` is `/properties/billing/properties/address/…`.
fn property_pointer(column: &str) -> String {
    format!("/properties/{}", column.replace('.', "/properties/"))
}

/// Every CSV column in export order with what it holds, said from its
/// property in `json_schema` (so from the types and the field catalogue).
pub fn column_docs() -> Vec<(&'static str, String)> {
    let schema = json_schema();
    columns()
        .into_iter()
        .map(|column| {
            let property = schema["items"]
                .pointer(&property_pointer(column))
                .unwrap_or(&serde_json::Value::Null);
            (column, describe(property))
        })
        .collect()
}

/// A property's title and description, then what values it takes.
fn describe(property: &serde_json::Value) -> String {
    let text = |key: &str| property.get(key).and_then(|v| v.as_str());
    let mut said: Vec<String> = [text("title"), text("description")]
        .into_iter()
        .flatten()
        .map(|s| s.trim_end_matches('.').to_string())
        .collect();
    if let Some(values) = property.get("enum").and_then(|v| v.as_array()) {
        let values: Vec<&str> = values.iter().filter_map(|v| v.as_str()).collect();
        said.push(format!("One of {}", values.join(", ")));
    } else if let Some(n) = property.get("maxLength") {
        said.push(format!("At most {n} characters"));
    } else {
        match text("type") {
            Some("boolean") => said.push("true or false".into()),
            Some("integer") => said.push("A whole number".into()),
            _ => {}
        }
    }
    let mut text = said.join(". ");
    text.push('.');
    text
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" | "" => Some(false),
        _ => None,
    }
}

/// A cloud column's value; empty is `default_cloud`.
fn parse_cloud(value: &str, default_cloud: Cloud) -> Option<Cloud> {
    match value.trim() {
        "" => Some(default_cloud),
        "commercial" => Some(Cloud::Commercial),
        "usgov" => Some(Cloud::Usgov),
        _ => None,
    }
}

/// A time column's value (RFC 3339, any offset).
fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .ok()
        .map(|t| t.to_utc())
}

/// Whether `key` is a column of the export (`columns`).
fn is_column(key: &str) -> bool {
    matches!(key, "id" | "cloud" | "version" | "created" | "updated")
        || FIELDS.iter().any(|f| f.key == key)
        || Permission::ALL.iter().any(|p| p.key() == key)
}

/// Builds a customer from `column → value` (`from_columns`).
fn from_map(
    location: Location,
    values: &BTreeMap<String, String>,
    default_cloud: Cloud,
) -> ReadRecord {
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    from_columns(location, &values, default_cloud)
}

/// Builds a customer from (column, value) pairs sorted by column, each
/// column once (borrowed: a CSV row is not copied into a map of its own);
/// `default_cloud` fills a missing cloud column.
fn from_columns(
    location: Location,
    values: &[(&str, &str)],
    default_cloud: Cloud,
) -> Result<Incoming, ImportProblem> {
    let get = |column: &str| match values.binary_search_by(|(k, _)| (*k).cmp(column)) {
        Ok(at) => values[at].1,
        Err(_) => "",
    };
    // Made only for a problem: most records have none.
    let problem = |field: Option<&str>, reason: String| {
        let (name, id) = (get("company.name"), get("id"));
        ImportProblem {
            location: location.clone(),
            customer: match (name.is_empty(), id.is_empty()) {
                (false, false) => format!("{name}, {id}"),
                (false, true) => name.to_string(),
                _ => id.to_string(),
            },
            field: field.map(|k| label_for_key(k).to_string()),
            reason,
        }
    };
    if let Some((unknown, _)) = values.iter().find(|(k, _)| !is_column(k)) {
        return Err(problem(None, t!("import.unknown_column", column = unknown)));
    }
    let mut c = Customer {
        cloud: default_cloud,
        ..Customer::default()
    };
    let mut version_given = false;
    for &(key, value) in values {
        match key {
            "cloud" => {
                c.cloud = parse_cloud(value, default_cloud)
                    .ok_or_else(|| problem(None, t!("import.bad_cloud", value = value.trim())))?;
            }
            "version" => {
                if !value.trim().is_empty() {
                    c.version = value
                        .trim()
                        .parse()
                        .map_err(|_| problem(None, t!("import.bad_version", value = value)))?;
                    version_given = true;
                }
            }
            "created" | "updated" => {
                if !value.trim().is_empty() {
                    let time = parse_time(value).ok_or_else(|| {
                        problem(None, t!("import.bad_time", column = key, value = value))
                    })?;
                    if key == "created" {
                        c.created = time;
                    } else {
                        c.updated = time;
                    }
                }
            }
            _ if key.starts_with("permissions.") => {
                let allowed = parse_bool(value)
                    .ok_or_else(|| problem(Some(key), t!("import.bad_bool", value = value)))?;
                c.set_by_key(key, if allowed { "on" } else { "off" });
            }
            _ => {
                c.set_by_key(key, value);
            }
        }
    }
    Ok(Incoming {
        location,
        customer: c,
        version_given,
    })
}

/// One record of an import file as read: the record, or what is wrong
/// with it (its line or record number in the problem). This is what every
/// reader of an import format yields, one record at a time, and what
/// `Store::import` consumes: a reader for another format is an iterator of
/// these.
pub type ReadRecord = Result<Incoming, ImportProblem>;

/// The records of a CSV import, one at a time. A problem with the header
/// is the only item.
pub fn csv_records<'a>(
    input: impl Read + Send + 'a,
    default_cloud: Cloud,
) -> Box<dyn Iterator<Item = ReadRecord> + Send + 'a> {
    csv_records_delimited(input, default_cloud, b',')
}

/// `csv_records` of a file with `delimiter` between fields (see `sniff`).
pub fn csv_records_delimited<'a>(
    input: impl Read + Send + 'a,
    default_cloud: Cloud,
    delimiter: u8,
) -> Box<dyn Iterator<Item = ReadRecord> + Send + 'a> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(input);
    let header_problem = |reason: String| {
        Box::new(std::iter::once(Err(ImportProblem {
            location: Location::Line(1),
            customer: String::new(),
            field: None,
            reason,
        })))
    };
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(|h| h.trim().to_string()).collect(),
        Err(e) => return header_problem(e.to_string()),
    };
    if !headers.iter().any(|h| h == "company.name") {
        return header_problem(t!("import.no_name_column").to_string());
    }
    // The columns in `from_columns`' order: by name, a name given twice
    // taking the later column's value.
    let mut order: Vec<usize> = (0..headers.len()).collect();
    order.sort_by(|&a, &b| headers[a].cmp(&headers[b]).then(b.cmp(&a)));
    order.dedup_by(|later, kept| headers[*later] == headers[*kept]);
    Box::new(reader.into_records().map(move |row| {
        let row = row.map_err(|e| ImportProblem {
            location: Location::Line(e.position().map_or(0, |p| p.line())),
            customer: String::new(),
            field: None,
            reason: e.to_string(),
        })?;
        let line = row.position().map_or(0, |p| p.line());
        let values: Vec<(&str, &str)> = order
            .iter()
            .map(|&i| (headers[i].as_str(), row.get(i).unwrap_or("")))
            .collect();
        from_columns(Location::Line(line), &values, default_cloud)
    }))
}

/// The records of a JSON import (an array of customers as `konto export`
/// writes them), one at a time: a record that is not valid JSON is that
/// record's problem; an array whose structure breaks ends with a problem.
pub fn json_records<'a>(
    input: impl std::io::BufRead + Send + 'a,
    default_cloud: Cloud,
) -> impl Iterator<Item = ReadRecord> + Send + 'a {
    let mut array = crate::json_array::JsonArray::new(input);
    std::iter::from_fn(move || {
        let problem = |location, reason| {
            Some(Err(ImportProblem {
                location,
                customer: String::new(),
                field: None,
                reason,
            }))
        };
        let (n, element) = match array.next_element() {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(e) => {
                let reason = t!("import.not_json_array", reason = e.reason);
                return problem(Location::Record(e.element), reason);
            }
        };
        let location = Location::Record(n);
        match exported::read(&location, element, default_cloud) {
            Some(record) => Some(Ok(record)),
            None => Some(from_element(location, element, default_cloud)),
        }
    })
}

/// One JSON record of any shape, through its columns.
fn from_element(location: Location, element: &[u8], default_cloud: Cloud) -> ReadRecord {
    let value: serde_json::Value = serde_json::from_slice(element).map_err(|e| ImportProblem {
        location: location.clone(),
        customer: String::new(),
        field: None,
        reason: t!("import.bad_json", reason = e),
    })?;
    let mut flat = BTreeMap::new();
    flatten("", &value, &mut flat);
    from_map(location, &flat, default_cloud)
}

/// Every record of an import file, or every problem in it (so one run
/// lists all there is to fix).
pub fn collect_records(
    records: impl Iterator<Item = ReadRecord>,
) -> Result<Vec<Incoming>, Vec<ImportProblem>> {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        match record {
            Ok(record) => found.push(record),
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    }
}

/// Reads a whole CSV import (`csv_records`, collected).
pub fn read_csv(
    input: impl Read + Send,
    default_cloud: Cloud,
) -> Result<Vec<Incoming>, Vec<ImportProblem>> {
    collect_records(csv_records(input, default_cloud))
}

/// Flattens a JSON object into `a.b.c → value` pairs.
fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        serde_json::Value::Null => {
            out.insert(prefix.to_string(), String::new());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// Reads a whole JSON import (`json_records`, collected).
pub fn read_json(
    input: impl Read + Send,
    default_cloud: Cloud,
) -> Result<Vec<Incoming>, Vec<ImportProblem>> {
    collect_records(json_records(std::io::BufReader::new(input), default_cloud))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::sample_customer;

    #[test]
    fn json_written_one_record_at_a_time_is_serde_jsons_pretty_array() {
        let mut second = sample_customer();
        second.id = "c-2".into();
        second.company.name = "Zwei \"GmbH\"\n".into();
        for customers in [
            vec![],
            vec![sample_customer()],
            vec![sample_customer(), second],
        ] {
            let mut written = Vec::new();
            write_json(&customers, &mut written).unwrap();
            let mut whole = serde_json::to_vec_pretty(&customers).unwrap();
            whole.push(b'\n');
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }

    #[test]
    fn every_catalogue_field_and_permission_is_a_column() {
        let cols = columns();
        for f in FIELDS {
            assert!(cols.contains(&f.key), "{}", f.key);
        }
        assert!(cols.contains(&"permissions.azure_savings_plan"));
        assert_eq!(cols[0], "id");
    }

    /// The paths of a record schema's leaves (`billing.address.city`).
    fn leaves(schema: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else {
            out.push(prefix.to_string());
            return;
        };
        for (name, property) in properties {
            let path = match prefix {
                "" => name.clone(),
                _ => format!("{prefix}.{name}"),
            };
            leaves(property, &path, out);
        }
    }

    #[test]
    fn the_schema_has_a_property_for_each_column_and_no_other() {
        let schema = json_schema();
        let mut paths = Vec::new();
        leaves(&schema["items"], "", &mut paths);
        let mut cols: Vec<String> = columns().iter().map(|c| c.to_string()).collect();
        paths.sort();
        cols.sort();
        assert_eq!(paths, cols);
        for f in FIELDS {
            let property = &schema["items"].pointer(&property_pointer(f.key)).unwrap();
            assert_eq!(property["maxLength"], f.max_len, "{}", f.key);
            assert_eq!(property["title"], f.label, "{}", f.key);
        }
        let docs = column_docs();
        assert_eq!(docs.len(), columns().len());
        assert!(docs.iter().all(|(_, said)| said.len() > 10), "{docs:?}");
    }

    #[test]
    fn csv_round_trip_is_exact_with_unicode_and_empty_fields() {
        let mut c = sample_customer();
        c.company.name = "株式会社さくら, \"精機\"".into();
        c.billing.address.line2 = String::new();
        c.permissions.azure_savings_plan = true;
        let mut bytes = Vec::new();
        write_csv(std::slice::from_ref(&c), &mut bytes).unwrap();
        let back = read_csv(bytes.as_slice(), Cloud::Commercial).unwrap();
        assert_eq!(back[0].customer, c);
        assert!(back[0].version_given);
        assert_eq!(back[0].location, Location::Line(2));
    }

    #[test]
    fn json_round_trip_is_exact() {
        let c = sample_customer();
        let mut bytes = Vec::new();
        write_json(std::slice::from_ref(&c), &mut bytes).unwrap();
        let back = read_json(bytes.as_slice(), Cloud::Commercial).unwrap();
        assert_eq!(back[0].customer, c);
    }

    #[test]
    fn unknown_columns_and_bad_values_name_the_line() {
        let csv = "id,company.name,billing.citty\nc-1,Contoso,Ulm\n";
        let problems = read_csv(csv.as_bytes(), Cloud::Commercial).unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "line 2 (Contoso, c-1): unknown column \"billing.citty\" (see `konto export --format csv` for the names)"
        );
        let csv = "id,company.name,permissions.azure_reservations\nc-1,Contoso,maybe\n";
        let problems = read_csv(csv.as_bytes(), Cloud::Commercial).unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "line 2 (Contoso, c-1): Azure reservations is \"maybe\"; use true or false"
        );
    }
}
