//! Bulk reads and writes with `COPY`: the list's rows come out in
//! PostgreSQL's binary format (no per-row queries: a million rows in about
//! a second), bulk writes go in as text.

use std::collections::VecDeque;
use std::io::{BufReader, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use postgres::Transaction;

use super::columns::{AUDIT_COLUMNS, CUSTOMER_COLUMNS, Value, audit_values, customer_values};
use super::target::PgTarget;
use crate::domain::{AuditEntry, Cloud, Customer};
use crate::listing::{Row, RowText};
use crate::store::{HEAD_ROWS, StoreError};

/// 2000-01-01 (PostgreSQL's epoch) in microseconds since 1970.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Rows per message from the reading thread after the first page.
const BATCH: usize = 20_000;

type Batch = Result<Vec<Row>, StoreError>;

/// The list rows of a cloud in name order, read by a thread with its own
/// connection (so the app's connection stays free for saves meanwhile).
pub struct Rows {
    batches: Receiver<Batch>,
    pending: VecDeque<Row>,
    done: bool,
}

impl Rows {
    pub fn start(target: PgTarget, cloud: Cloud) -> Rows {
        let (sender, batches) = sync_channel(2);
        std::thread::spawn(move || {
            if let Err(e) = read_rows(&target, cloud, &sender) {
                let _ = sender.send(Err(e));
            }
        });
        Rows {
            batches,
            pending: VecDeque::new(),
            done: false,
        }
    }

    /// Hands up to `max` more rows to `each`; returns how many (fewer
    /// than `max`: the list is complete).
    pub fn read(
        &mut self,
        max: usize,
        each: &mut dyn FnMut(&RowText),
    ) -> Result<usize, StoreError> {
        let mut read = 0;
        while read < max {
            if let Some(row) = self.pending.pop_front() {
                each(&row.as_text());
                read += 1;
                continue;
            }
            if self.done {
                break;
            }
            match self.batches.recv() {
                Ok(Ok(batch)) => self.pending = batch.into(),
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The reader is done (it hangs up after its last batch).
                Err(_) => self.done = true,
            }
        }
        Ok(read)
    }
}

/// The query behind the list: a row's text as the list shows and searches
/// it (see `listing::Row::of`), in the name order sled's index keeps.
fn rows_query(cloud: Cloud) -> String {
    format!(
        "COPY (SELECT id, company_name, company_domain, \
           CASE WHEN billing_first_name <> '' AND billing_last_name <> '' \
                  THEN billing_first_name || ' ' || billing_last_name \
                WHEN billing_first_name <> '' THEN billing_first_name \
                ELSE billing_last_name END, \
           billing_email, billing_address_city, billing_address_country, \
           updated, version \
         FROM konto.customers WHERE cloud = '{}' ORDER BY sort_name, id) \
         TO STDOUT (FORMAT binary)",
        cloud.key()
    )
}

fn read_rows(
    target: &PgTarget,
    cloud: Cloud,
    sender: &SyncSender<Batch>,
) -> Result<(), StoreError> {
    let mut client = target.connect()?;
    let reader = client
        .copy_out(&rows_query(cloud))
        .map_err(|e| super::failed(target, &e))?;
    let mut input = BufReader::with_capacity(1 << 20, reader);
    let bad = |what: &str| StoreError::BadRecord {
        key: target.label().to_string(),
        reason: format!("COPY: {what}"),
    };
    let io = |e: std::io::Error| super::failed_io(target, &e);
    let mut signature = [0u8; 19];
    input.read_exact(&mut signature).map_err(io)?;
    if &signature[..11] != b"PGCOPY\n\xff\r\n\0" {
        return Err(bad("not binary COPY output"));
    }
    let extension =
        u32::from_be_bytes([signature[15], signature[16], signature[17], signature[18]]);
    std::io::copy(
        &mut (&mut input).take(u64::from(extension)),
        &mut std::io::sink(),
    )
    .map_err(io)?;
    let mut size = HEAD_ROWS;
    let mut batch = Vec::with_capacity(size);
    let mut field = Vec::new();
    loop {
        let mut count = [0u8; 2];
        input.read_exact(&mut count).map_err(io)?;
        match i16::from_be_bytes(count) {
            -1 => break,
            9 => {}
            _ => return Err(bad("unexpected number of columns")),
        }
        let mut text = || -> Result<String, StoreError> {
            read_field(&mut input, &mut field).map_err(io)?;
            String::from_utf8(std::mem::take(&mut field)).map_err(|_| bad("text is not UTF-8"))
        };
        let (id, name, domain, contact, email, city, country) = (
            text()?,
            text()?,
            text()?,
            text()?,
            text()?,
            text()?,
            text()?,
        );
        let mut number = || -> Result<i64, StoreError> {
            read_field(&mut input, &mut field).map_err(io)?;
            let bytes: [u8; 8] = field
                .as_slice()
                .try_into()
                .map_err(|_| bad("not a bigint"))?;
            Ok(i64::from_be_bytes(bytes))
        };
        // A timestamp is sent as microseconds since 2000-01-01.
        let (updated, version) = (number()? + PG_EPOCH_MICROS, number()?);
        let row = Row {
            id,
            name,
            domain,
            contact,
            email,
            city,
            country,
            updated,
            version: u64::try_from(version).unwrap_or(0),
        };
        batch.push(row);
        if batch.len() == size {
            if sender.send(Ok(std::mem::take(&mut batch))).is_err() {
                // Nobody reads any more (the app switched clouds or quit).
                return Ok(());
            }
            size = BATCH;
            batch.reserve(size);
        }
    }
    if !batch.is_empty() {
        let _ = sender.send(Ok(batch));
    }
    Ok(())
}

/// One field of a binary COPY tuple into `into` (a NULL is empty).
fn read_field(input: &mut impl Read, into: &mut Vec<u8>) -> std::io::Result<()> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    into.clear();
    let len = i32::from_be_bytes(len);
    if len > 0 {
        into.resize(len as usize, 0);
        input.read_exact(into)?;
    }
    Ok(())
}

/// A value in COPY's text format: backslash, tab and line breaks escaped.
fn escaped(value: &str, out: &mut String) {
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            ch => out.push(ch),
        }
    }
}

/// Items written with one COPY, a line each (`values` gives an item's
/// columns); stops at the first item that could not be read or written (the
/// COPY is then abandoned, so nothing of it stays). Returns how many were
/// copied.
fn copy_lines<T, B: std::borrow::Borrow<T>>(
    tx: &mut Transaction,
    target: &PgTarget,
    sql: &str,
    items: impl Iterator<Item = Result<B, StoreError>>,
    values: impl Fn(&T) -> Result<Vec<Value>, StoreError>,
) -> Result<usize, StoreError> {
    let fail = |e: postgres::Error| super::failed(target, &e);
    let mut writer = tx.copy_in(sql).map_err(fail)?;
    let mut text = String::with_capacity(1 << 20);
    let mut count = 0;
    for item in items {
        for (i, value) in values(item?.borrow())?.into_iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            match value.copy_text() {
                Some(v) => escaped(&v, &mut text),
                None => text.push_str("\\N"),
            }
        }
        text.push('\n');
        count += 1;
        if text.len() > (1 << 20) {
            writer
                .write_all(text.as_bytes())
                .map_err(|e| super::failed_io(target, &e))?;
            text.clear();
        }
    }
    writer
        .write_all(text.as_bytes())
        .map_err(|e| super::failed_io(target, &e))?;
    writer.finish().map_err(fail)?;
    Ok(count)
}

/// Customers, copied into `konto.customers`.
pub fn copy_in_customers<B: std::borrow::Borrow<Customer>>(
    tx: &mut Transaction,
    target: &PgTarget,
    customers: impl Iterator<Item = Result<B, StoreError>>,
) -> Result<usize, StoreError> {
    let sql = format!("COPY konto.customers ({CUSTOMER_COLUMNS}) FROM STDIN");
    copy_lines(tx, target, &sql, customers, |c: &Customer| {
        Ok(customer_values(c))
    })
}

/// Audit entries, copied into `konto.audit`.
pub fn copy_in_audit<B: std::borrow::Borrow<AuditEntry>>(
    tx: &mut Transaction,
    target: &PgTarget,
    entries: impl Iterator<Item = Result<B, StoreError>>,
) -> Result<usize, StoreError> {
    let sql = format!("COPY konto.audit ({AUDIT_COLUMNS}) FROM STDIN");
    copy_lines(tx, target, &sql, entries, audit_values)
}
