//! The demo customers shipped in `assets/`, seeded into an empty store.

use crate::domain::{
    Address, BillingProfile, Cloud, CompanyProfile, Customer, PurchasePermissions,
};

/// Compiled into the binary so `cargo run` works from any directory.
const DEMO_JSON: &str = include_str!("../assets/demo-customers.json");

/// The demo customers of both clouds.
pub fn demo_customers() -> Result<Vec<Customer>, serde_json::Error> {
    serde_json::from_str(DEMO_JSON)
}

/// One plausible customer, for tests and examples.
pub fn sample_customer() -> Customer {
    let time = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    Customer {
        id: "0b6f6a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b".into(),
        cloud: Cloud::Commercial,
        version: 1,
        created: time,
        updated: time,
        company: CompanyProfile {
            name: "Contoso Küchenbau GmbH".into(),
            domain: "contosokuechen.onmicrosoft.com".into(),
            tenant_id: "5e7c1b2a-3d4f-4a6b-9c8d-7e6f5a4b3c2d".into(),
            registration_number: String::new(),
        },
        billing: BillingProfile {
            first_name: "Jürgen".into(),
            last_name: "Weiß".into(),
            email: "j.weiss@contoso-kuechen.de".into(),
            culture: "de-DE".into(),
            language: "de".into(),
            company_name: "Contoso Küchenbau GmbH".into(),
            phone: "+4971112345678".into(),
            address: Address {
                line1: "Königstraße 27".into(),
                line2: String::new(),
                city: "Stuttgart".into(),
                state: String::new(),
                postal_code: "70173".into(),
                country: "DE".into(),
            },
        },
        permissions: PurchasePermissions::default(),
    }
}
