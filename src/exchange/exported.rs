//! A JSON record in exactly the shape `konto export` writes, read straight
//! into a customer.
//!
//! The general reader turns a record into a `serde_json::Value`, flattens it
//! into a map of column names and builds the customer from that: it takes
//! every shape an operator may hand over (a number for a postal code, a
//! missing column, `"yes"` for a permission) and names what is wrong. At a
//! million records that map was most of an import's reading (a third of its
//! CPU). Records exported by konto, or written like them, have every field
//! with its exported type and nothing else: those are deserialised directly
//! here, and anything else goes the general way, so the result is the same
//! whichever way a record is read (tested below).

use serde::Deserialize;

use super::{Incoming, Location, parse_cloud, parse_time};
use crate::domain::{BillingProfile, Cloud, CompanyProfile, Customer, PurchasePermissions};

/// `Customer` as exported, with the values the general reader checks (the
/// cloud, the times) as text, checked the same way.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Exported {
    id: String,
    cloud: String,
    version: u64,
    created: String,
    updated: String,
    company: CompanyProfile,
    billing: BillingProfile,
    permissions: PurchasePermissions,
}

/// The record `element`, if it is in the export's shape and its cloud and
/// times read; `None` sends it the general way (which also reports what is
/// wrong with it).
pub fn read(location: &Location, element: &[u8], default_cloud: Cloud) -> Option<Incoming> {
    let e: Exported = serde_json::from_slice(element).ok()?;
    let time = |value: &str| match value.trim() {
        "" => Some(Customer::default().created),
        _ => parse_time(value),
    };
    let customer = Customer {
        id: e.id,
        cloud: parse_cloud(&e.cloud, default_cloud)?,
        version: e.version,
        created: time(&e.created)?,
        updated: time(&e.updated)?,
        company: e.company,
        billing: e.billing,
        permissions: e.permissions,
    };
    Some(Incoming {
        location: location.clone(),
        customer,
        version_given: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{from_element, write_json};

    fn both_ways(element: &str) -> (Option<Incoming>, String) {
        let location = Location::Record(1);
        let direct = read(&location, element.as_bytes(), Cloud::Usgov);
        let general = from_element(location, element.as_bytes(), Cloud::Usgov);
        (direct, format!("{general:?}"))
    }

    #[test]
    fn exported_records_read_directly_as_the_general_reader_reads_them() {
        let mut customers = crate::demo::demo_customers().unwrap_or_default();
        customers[0].company.name = "Müller \"&\" Söhne\\\u{1b}[31m 東京".into();
        customers[1].cloud = Cloud::Usgov;
        customers[1].permissions.azure_savings_plan = true;
        customers[2].billing.address.line2 = "\n\t".into();
        let mut json = Vec::new();
        write_json(&customers, &mut json).unwrap();
        let records: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        assert_eq!(records.len(), customers.len());
        for (record, customer) in records.iter().zip(&customers) {
            let (direct, general) = both_ways(&record.to_string());
            let direct = direct.expect("an exported record is in the export's shape");
            assert_eq!(&direct.customer, customer);
            assert_eq!(format!("{:?}", Ok::<_, ()>(direct)), general);
        }
    }

    #[test]
    fn any_other_shape_goes_the_general_way() {
        let mut customers = crate::demo::demo_customers().unwrap_or_default();
        customers.truncate(1);
        let mut json = Vec::new();
        write_json(&customers, &mut json).unwrap();
        let records: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        let exported = records[0].to_string();
        let with = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut record = records[0].clone();
            change(&mut record);
            record.to_string()
        };
        let changed = [
            // A column more, a column missing, another type, null.
            with(&|r| r["extra"] = 1.into()),
            with(&|r| drop(r.as_object_mut().map(|o| o.remove("version")))),
            with(&|r| r["version"] = "1".into()),
            with(&|r| r["billing"]["address"]["line2"] = serde_json::Value::Null),
            // Values the general reader refuses or reads its own way.
            with(&|r| r["cloud"] = "moon".into()),
            with(&|r| r["cloud"] = "".into()),
            with(&|r| r["created"] = "not a time".into()),
        ];
        for (n, element) in changed.iter().enumerate() {
            assert_ne!(element, &exported, "change {n} applies");
            let (direct, general) = both_ways(element);
            // The cloud left empty is the default one, both ways.
            let empty_cloud = n == 5;
            assert_eq!(direct.is_some(), empty_cloud, "change {n}");
            if let Some(direct) = direct {
                assert_eq!(format!("{:?}", Ok::<_, ()>(direct)), general);
            }
        }
    }
}
