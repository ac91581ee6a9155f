//! Arbitrary bytes into the import parsers (CSV and JSON) and every record
//! they accept into the validators: nothing may panic, and a record the
//! validators accept must be accepted again, unchanged, once normalised.
#![no_main]

use konto::domain::Cloud;
use konto::exchange::{read_csv, read_json};
use konto::validate::{Policy, check_record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let policy = Policy {
        partner_domain: Some("fabrikam.com".into()),
    };
    for parsed in [read_csv(data, Cloud::Commercial), read_json(data, Cloud::Commercial)] {
        let Ok(records) = parsed else { continue };
        for record in records {
            if let Ok(normalised) = check_record(&record.customer, &policy) {
                assert_eq!(check_record(&normalised, &policy).as_ref(), Ok(&normalised));
            }
        }
    }
});
