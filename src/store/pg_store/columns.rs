//! Customers and audit entries as rows: one column per field of the
//! catalogue (`company.name` is `company_name`), so the table reads like an
//! export. Times keep their nanoseconds: PostgreSQL's timestamps hold
//! microseconds, the rest is a column of its own (a record read back is
//! the record written, to the nanosecond, as on sled).

use chrono::{DateTime, Timelike, Utc};
use postgres::Row;
use postgres::types::ToSql;

use crate::domain::{AuditEntry, Cloud, Customer, FIELDS, FieldId};
use crate::store::StoreError;
use crate::store::error::damaged;

/// The columns of `konto.customers` in the order every query names them:
/// cloud, the catalogue's fields, version, times, permissions, sort key.
pub const CUSTOMER_COLUMNS: &str = "cloud, id, company_name, company_domain, \
    company_registration_number, billing_first_name, billing_last_name, billing_email, \
    billing_phone, billing_culture, billing_language, billing_company_name, \
    billing_address_line1, billing_address_line2, billing_address_city, billing_address_state, \
    billing_address_postal_code, billing_address_country, company_tenant_id, version, \
    created, created_nanos, updated, updated_nanos, permissions_azure_reservations, \
    permissions_azure_savings_plan, sort_name";

/// The columns of `konto.audit`.
pub const AUDIT_COLUMNS: &str =
    "cloud, id, version, time, time_nanos, operator, action, changes, reverts, role";

/// The catalogue's fields in `CUSTOMER_COLUMNS`' order (after `cloud`).
fn text_fields() -> impl Iterator<Item = FieldId> {
    // The catalogue lists the id after the address; the table has it first.
    std::iter::once(FieldId::Id).chain(FIELDS.iter().map(|f| f.id).filter(|&id| id != FieldId::Id))
}

/// Microseconds (what a timestamp column holds) and the nanoseconds left.
fn split_time(time: &DateTime<Utc>) -> (DateTime<Utc>, i32) {
    let nanos = time.nanosecond();
    let micros = time.with_nanosecond(nanos - nanos % 1000).unwrap_or(*time);
    (micros, (nanos % 1000) as i32)
}

fn join_time(key: &str, micros: DateTime<Utc>, nanos: i32) -> Result<DateTime<Utc>, StoreError> {
    let extra =
        u32::try_from(nanos).map_err(|_| damaged(key.as_bytes(), "negative nanoseconds"))?;
    micros
        .with_nanosecond(micros.nanosecond() + extra)
        .ok_or_else(|| damaged(key.as_bytes(), "time out of range"))
}

/// A value of a row, as a query parameter or as COPY's text writes it:
/// both come from one list of a record's or an entry's values.
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Time(DateTime<Utc>),
    Nanos(i32),
    Bool(bool),
    Json(serde_json::Value),
}

impl Value {
    fn text(value: impl Into<String>) -> Value {
        Value::Text(Some(value.into()))
    }

    fn param(self) -> Box<dyn ToSql + Sync> {
        match self {
            Value::Text(t) => Box::new(t),
            Value::Int(n) => Box::new(n),
            Value::Time(t) => Box::new(t),
            Value::Nanos(n) => Box::new(n),
            Value::Bool(b) => Box::new(b),
            Value::Json(j) => Box::new(j),
        }
    }

    /// The value as COPY's text format writes it, unescaped (None: NULL).
    pub fn copy_text(self) -> Option<String> {
        match self {
            Value::Text(t) => t,
            Value::Int(n) => n.map(|n| n.to_string()),
            Value::Time(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            Value::Nanos(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if b { "t" } else { "f" }.to_string()),
            Value::Json(j) => Some(j.to_string()),
        }
    }
}

/// Values as query parameters.
pub fn params(values: Vec<Value>) -> Vec<Box<dyn ToSql + Sync>> {
    values.into_iter().map(Value::param).collect()
}

/// A record's values in `CUSTOMER_COLUMNS`' order.
pub fn customer_values(c: &Customer) -> Vec<Value> {
    let mut values = vec![Value::text(c.cloud.key())];
    values.extend(text_fields().map(|id| Value::text(c.field(id))));
    let (created, created_nanos) = split_time(&c.created);
    let (updated, updated_nanos) = split_time(&c.updated);
    values.extend([
        Value::Int(Some(c.version as i64)),
        Value::Time(created),
        Value::Nanos(created_nanos),
        Value::Time(updated),
        Value::Nanos(updated_nanos),
        Value::Bool(c.permissions.azure_reservations),
        Value::Bool(c.permissions.azure_savings_plan),
        Value::text(crate::domain::sort_key(c).0),
    ]);
    values
}

fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn column_count(columns: &str) -> usize {
    columns.split(',').count()
}

pub fn insert_sql() -> String {
    let n = column_count(CUSTOMER_COLUMNS);
    format!(
        "INSERT INTO konto.customers ({CUSTOMER_COLUMNS}) VALUES ({})",
        placeholders(1, n)
    )
}

/// An update of every column but the key, where the stored version is the
/// one read (the last parameter).
pub fn update_sql() -> String {
    let names: Vec<&str> = CUSTOMER_COLUMNS.split(',').map(str::trim).collect();
    let n = names.len();
    let set: Vec<String> = names
        .iter()
        .enumerate()
        .skip(2)
        .map(|(i, name)| format!("{name} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE konto.customers SET {} WHERE cloud = $1 AND id = $2 AND version = ${}",
        set.join(", "),
        n + 1
    )
}

pub fn insert_audit_sql() -> String {
    let n = column_count(AUDIT_COLUMNS);
    format!(
        "INSERT INTO konto.audit ({AUDIT_COLUMNS}) VALUES ({})",
        placeholders(1, n)
    )
}

fn cloud_of(key: &str) -> Result<Cloud, StoreError> {
    Cloud::ALL
        .into_iter()
        .find(|c| c.key() == key)
        .ok_or_else(|| damaged(key.as_bytes(), "unknown cloud"))
}

fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i)
        .map_err(|e| damaged(format!("column {i}").as_bytes(), e))
}

/// A record from a row of `CUSTOMER_COLUMNS`.
pub fn customer_of(row: &Row) -> Result<Customer, StoreError> {
    let mut c = Customer {
        cloud: cloud_of(get(row, 0)?)?,
        ..Customer::default()
    };
    let mut i = 1;
    for id in text_fields() {
        c.set_field(id, get::<String>(row, i)?);
        i += 1;
    }
    let key = c.id.clone();
    c.version = u64::try_from(get::<i64>(row, i)?).unwrap_or(0);
    c.created = join_time(&key, get(row, i + 1)?, get(row, i + 2)?)?;
    c.updated = join_time(&key, get(row, i + 3)?, get(row, i + 4)?)?;
    c.permissions.azure_reservations = get(row, i + 5)?;
    c.permissions.azure_savings_plan = get(row, i + 6)?;
    Ok(c)
}

/// An entry's values in `AUDIT_COLUMNS`' order.
pub fn audit_values(e: &AuditEntry) -> Result<Vec<Value>, StoreError> {
    let (time, nanos) = split_time(&e.time);
    let json = |v: serde_json::Result<serde_json::Value>| v.map_err(crate::store::error::encoding);
    // The action and the role as their serde names (`permission-on`, `sales`).
    let name = |v: serde_json::Value| v.as_str().map(str::to_string);
    Ok(vec![
        Value::text(e.cloud.key()),
        Value::text(e.id.as_str()),
        Value::Int(Some(e.version as i64)),
        Value::Time(time),
        Value::Nanos(nanos),
        Value::text(e.operator.as_str()),
        Value::Text(name(json(serde_json::to_value(e.action))?)),
        Value::Json(json(serde_json::to_value(&e.changes))?),
        Value::Int(e.reverts.map(|v| v as i64)),
        Value::Text(
            e.role
                .map(|r| json(serde_json::to_value(r)))
                .transpose()?
                .and_then(name),
        ),
    ])
}

/// An audit entry from a row of `AUDIT_COLUMNS`.
pub fn audit_of(row: &Row) -> Result<AuditEntry, StoreError> {
    let id: String = get(row, 1)?;
    let bad = |e: serde_json::Error| damaged(id.as_bytes(), e);
    let action: String = get(row, 6)?;
    let role: Option<String> = get(row, 9)?;
    Ok(AuditEntry {
        cloud: cloud_of(get(row, 0)?)?,
        version: u64::try_from(get::<i64>(row, 2)?).unwrap_or(0),
        time: join_time(&id, get(row, 3)?, get(row, 4)?)?,
        operator: get(row, 5)?,
        action: serde_json::from_value(serde_json::Value::String(action)).map_err(bad)?,
        changes: serde_json::from_value(get(row, 7)?).map_err(bad)?,
        reverts: get::<Option<i64>>(row, 8)?.map(|v| v as u64),
        role: role
            .map(|r| serde_json::from_value(serde_json::Value::String(r)))
            .transpose()
            .map_err(bad)?,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalogue field's column: its key with `_` for `.`.
    fn column_of(key: &str) -> String {
        key.replace('.', "_")
    }

    #[test]
    fn the_columns_are_the_catalogues_fields() {
        let names: Vec<&str> = CUSTOMER_COLUMNS.split(',').map(str::trim).collect();
        let fields: Vec<String> = text_fields()
            .map(|id| column_of(crate::domain::spec(id).key))
            .collect();
        assert_eq!(names[1..=fields.len()], fields[..]);
        // Every column is in the table the first migration makes.
        for name in names {
            assert!(
                super::super::schema::MIGRATIONS[0]
                    .1
                    .contains(&format!("    {name} ")),
                "{name} is not created"
            );
        }
    }

    #[test]
    fn times_keep_their_nanoseconds() {
        let time = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap_or_default();
        let (micros, nanos) = split_time(&time);
        assert_eq!(micros.nanosecond(), 123_456_000);
        assert_eq!(join_time("k", micros, nanos).ok(), Some(time));
    }
}
