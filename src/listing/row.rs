//! A customer as the list needs it: enough to draw its row, filter and sort
//! it, and nothing of what only the detail pane and the form show.

use serde::{Deserialize, Serialize};

use crate::domain::Customer;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub domain: String,
    /// "First Last" of the billing contact.
    pub contact: String,
    pub email: String,
    pub city: String,
    pub country: String,
    /// When the record last changed, in microseconds since 1970.
    pub updated: i64,
    pub version: u64,
}

impl Row {
    pub fn of(c: &Customer) -> Row {
        let b = &c.billing;
        let contact = match (b.first_name.is_empty(), b.last_name.is_empty()) {
            (false, false) => format!("{} {}", b.first_name, b.last_name),
            (false, true) => b.first_name.clone(),
            _ => b.last_name.clone(),
        };
        Row {
            id: c.id.clone(),
            name: c.company.name.clone(),
            domain: c.company.domain.clone(),
            contact,
            email: b.email.clone(),
            city: b.address.city.clone(),
            country: b.address.country.clone(),
            updated: c.updated.timestamp_micros(),
            version: c.version,
        }
    }
}

/// A row borrowed from its encoding (the store's name index hands rows
/// over this way, so loading a million allocates nothing per row). Fields
/// in `Row`'s order: postcard encodes both alike.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct RowText<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub domain: &'a str,
    pub contact: &'a str,
    pub email: &'a str,
    pub city: &'a str,
    pub country: &'a str,
    pub updated: i64,
    pub version: u64,
}

impl RowText<'_> {
    pub fn to_row(&self) -> Row {
        Row {
            id: self.id.into(),
            name: self.name.into(),
            domain: self.domain.into(),
            contact: self.contact.into(),
            email: self.email.into(),
            city: self.city.into(),
            country: self.country.into(),
            updated: self.updated,
            version: self.version,
        }
    }
}

impl Row {
    pub fn as_text(&self) -> RowText<'_> {
        RowText {
            id: &self.id,
            name: &self.name,
            domain: &self.domain,
            contact: &self.contact,
            email: &self.email,
            city: &self.city,
            country: &self.country,
            updated: self.updated,
            version: self.version,
        }
    }
}
