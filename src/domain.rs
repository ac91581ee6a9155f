//! Plain customer types and the field catalogue.
//!
//! The catalogue (`FIELDS`) is the one place that lists every field of a customer
//! record: its label, its section, whether an operator may edit it and how long it
//! may be. The form, the detail pane, validation and export all read it, so adding
//! a field means adding one row here and one arm in `Customer::field`/`set_field`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The two Partner Center clouds; each has its own, separate set of customers.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Default,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    #[default]
    Commercial,
    Usgov,
}

impl Cloud {
    pub const ALL: [Cloud; 2] = [Cloud::Commercial, Cloud::Usgov];

    /// The name used on the command line and in stored keys.
    pub fn key(self) -> &'static str {
        match self {
            Cloud::Commercial => "commercial",
            Cloud::Usgov => "usgov",
        }
    }

    /// The name shown to operators.
    pub fn title(self) -> &'static str {
        match self {
            Cloud::Commercial => crate::t!("cloud.commercial"),
            Cloud::Usgov => crate::t!("cloud.usgov"),
        }
    }

    pub fn other(self) -> Cloud {
        match self {
            Cloud::Commercial => Cloud::Usgov,
            Cloud::Usgov => Cloud::Commercial,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyProfile {
    pub name: String,
    /// For example contoso.onmicrosoft.com, stored in lower case.
    pub domain: String,
    /// The customer's Microsoft Entra (Azure AD) tenant, a GUID.
    pub tenant_id: String,
    /// Required only in a few countries (see the country rules).
    pub registration_number: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    /// Its ISO 3166-1 alpha-2 code, for example DE.
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingProfile {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub culture: String,
    pub language: String,
    pub company_name: String,
    pub phone: String,
    pub address: Address,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchasePermissions {
    /// Whether the customer may purchase Azure reservations.
    pub azure_reservations: bool,
    /// Whether the customer may purchase an Azure savings plan.
    pub azure_savings_plan: bool,
}

/// The two "Allow customer to purchase" switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    AzureReservations,
    AzureSavingsPlan,
}

impl Permission {
    pub const ALL: [Permission; 2] = [Permission::AzureReservations, Permission::AzureSavingsPlan];

    pub fn title(self) -> &'static str {
        match self {
            Permission::AzureReservations => crate::t!("permission.reservations"),
            Permission::AzureSavingsPlan => crate::t!("permission.savings_plan"),
        }
    }

    /// Stable name for exports and audit entries.
    pub fn key(self) -> &'static str {
        match self {
            Permission::AzureReservations => "permissions.azure_reservations",
            Permission::AzureSavingsPlan => "permissions.azure_savings_plan",
        }
    }
}

impl PurchasePermissions {
    pub fn get(&self, permission: Permission) -> bool {
        match permission {
            Permission::AzureReservations => self.azure_reservations,
            Permission::AzureSavingsPlan => self.azure_savings_plan,
        }
    }

    pub fn set(&mut self, permission: Permission, allowed: bool) {
        match permission {
            Permission::AzureReservations => self.azure_reservations = allowed,
            Permission::AzureSavingsPlan => self.azure_savings_plan = allowed,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// With the cloud, the store's key; a new customer gets a GUID.
    pub id: String,
    /// The Partner Center cloud the customer belongs to.
    pub cloud: Cloud,
    /// The record's version, its ETag: every change raises it by one.
    pub version: u64,
    /// When the customer was created (RFC 3339, UTC).
    pub created: DateTime<Utc>,
    /// When the record last changed (RFC 3339, UTC).
    pub updated: DateTime<Utc>,
    pub company: CompanyProfile,
    pub billing: BillingProfile,
    pub permissions: PurchasePermissions,
}

/// Where a field is shown in the detail pane and the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Company,
    BillingContact,
    Address,
    Record,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Company => crate::t!("section.company"),
            Section::BillingContact => crate::t!("section.billing_contact"),
            Section::Address => crate::t!("section.address"),
            Section::Record => crate::t!("section.record"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldId {
    CompanyName,
    Domain,
    RegistrationNumber,
    FirstName,
    LastName,
    Email,
    Phone,
    Culture,
    Language,
    BillingCompanyName,
    Line1,
    Line2,
    City,
    State,
    PostalCode,
    Country,
    Id,
    TenantId,
}

/// One row of the field catalogue.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub id: FieldId,
    /// Stable machine name (export columns, audit entries).
    pub key: &'static str,
    /// The English label: a stable name, never shown as it is (`title`
    /// says it in the operator's language).
    pub label: &'static str,
    pub section: Section,
    pub editable: bool,
    /// Longest accepted value, in characters.
    pub max_len: usize,
}

const fn field(
    id: FieldId,
    key: &'static str,
    label: &'static str,
    section: Section,
    editable: bool,
    max_len: usize,
) -> FieldSpec {
    FieldSpec {
        id,
        key,
        label,
        section,
        editable,
        max_len,
    }
}

/// Every text field of a customer record, in display order.
#[rustfmt::skip]
pub const FIELDS: &[FieldSpec] = &[
    field(FieldId::CompanyName, "company.name", "Company name", Section::Company, true, 200),
    field(FieldId::Domain, "company.domain", "Primary domain", Section::Company, false, 255),
    field(FieldId::RegistrationNumber, "company.registration_number", "Registration number", Section::Company, true, 50),
    field(FieldId::FirstName, "billing.first_name", "First name", Section::BillingContact, true, 50),
    field(FieldId::LastName, "billing.last_name", "Last name", Section::BillingContact, true, 50),
    field(FieldId::Email, "billing.email", "Email", Section::BillingContact, true, 254),
    field(FieldId::Phone, "billing.phone", "Phone", Section::BillingContact, true, 40),
    field(FieldId::Culture, "billing.culture", "Culture", Section::BillingContact, true, 10),
    field(FieldId::Language, "billing.language", "Language", Section::BillingContact, true, 2),
    field(FieldId::BillingCompanyName, "billing.company_name", "Company on bill", Section::BillingContact, true, 200),
    field(FieldId::Line1, "billing.address.line1", "Address line 1", Section::Address, true, 200),
    field(FieldId::Line2, "billing.address.line2", "Address line 2", Section::Address, true, 200),
    field(FieldId::City, "billing.address.city", "City", Section::Address, true, 100),
    field(FieldId::State, "billing.address.state", "State/Region", Section::Address, true, 100),
    field(FieldId::PostalCode, "billing.address.postal_code", "Postal code", Section::Address, true, 20),
    field(FieldId::Country, "billing.address.country", "Country", Section::Address, false, 2),
    field(FieldId::Id, "id", "Customer id", Section::Record, false, 64),
    field(FieldId::TenantId, "company.tenant_id", "Tenant id", Section::Record, false, 64),
];

impl FieldSpec {
    /// The field's label in the operator's language.
    pub fn title(&self) -> &'static str {
        crate::i18n::lookup(&format!("field.{}", self.key)).unwrap_or(self.label)
    }
}

/// The catalogue row of a field.
pub fn spec(id: FieldId) -> &'static FieldSpec {
    // FIELDS lists every FieldId exactly once (a unit test checks it), so the
    // fallback is never reached; it keeps this total without a panic path.
    FIELDS.iter().find(|f| f.id == id).unwrap_or(&FIELDS[0])
}

impl Customer {
    /// The current value of a text field.
    pub fn field(&self, id: FieldId) -> &str {
        let b = &self.billing;
        let a = &b.address;
        match id {
            FieldId::CompanyName => &self.company.name,
            FieldId::Domain => &self.company.domain,
            FieldId::RegistrationNumber => &self.company.registration_number,
            FieldId::FirstName => &b.first_name,
            FieldId::LastName => &b.last_name,
            FieldId::Email => &b.email,
            FieldId::Phone => &b.phone,
            FieldId::Culture => &b.culture,
            FieldId::Language => &b.language,
            FieldId::BillingCompanyName => &b.company_name,
            FieldId::Line1 => &a.line1,
            FieldId::Line2 => &a.line2,
            FieldId::City => &a.city,
            FieldId::State => &a.state,
            FieldId::PostalCode => &a.postal_code,
            FieldId::Country => &a.country,
            FieldId::Id => &self.id,
            FieldId::TenantId => &self.company.tenant_id,
        }
    }

    /// Replace a text field's value (no validation: see `validate`).
    pub fn set_field(&mut self, id: FieldId, value: String) {
        let b = &mut self.billing;
        let slot = match id {
            FieldId::CompanyName => &mut self.company.name,
            FieldId::Domain => &mut self.company.domain,
            FieldId::RegistrationNumber => &mut self.company.registration_number,
            FieldId::FirstName => &mut b.first_name,
            FieldId::LastName => &mut b.last_name,
            FieldId::Email => &mut b.email,
            FieldId::Phone => &mut b.phone,
            FieldId::Culture => &mut b.culture,
            FieldId::Language => &mut b.language,
            FieldId::BillingCompanyName => &mut b.company_name,
            FieldId::Line1 => &mut b.address.line1,
            FieldId::Line2 => &mut b.address.line2,
            FieldId::City => &mut b.address.city,
            FieldId::State => &mut b.address.state,
            FieldId::PostalCode => &mut b.address.postal_code,
            FieldId::Country => &mut b.address.country,
            FieldId::Id => &mut self.id,
            FieldId::TenantId => &mut self.company.tenant_id,
        };
        *slot = value;
    }

    /// The fields whose values differ between two versions of a record, with
    /// old and new values; permissions are reported under their keys as on/off.
    pub fn diff(&self, newer: &Customer) -> Vec<FieldChange> {
        let mut changes: Vec<FieldChange> = FIELDS
            .iter()
            .filter(|f| self.field(f.id) != newer.field(f.id))
            .map(|f| FieldChange {
                field: f.key.to_string(),
                old: self.field(f.id).to_string(),
                new: newer.field(f.id).to_string(),
            })
            .collect();
        for p in Permission::ALL {
            let (old, new) = (self.permissions.get(p), newer.permissions.get(p));
            if old != new {
                changes.push(FieldChange {
                    field: p.key().to_string(),
                    old: on_off(old).to_string(),
                    new: on_off(new).to_string(),
                });
            }
        }
        changes
    }
}

pub fn on_off(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

/// The label of a stable field key (`billing.email` → "Email"), in the
/// operator's language.
pub fn label_for_key(key: &str) -> &str {
    if let Some(f) = FIELDS.iter().find(|f| f.key == key) {
        return f.title();
    }
    Permission::ALL
        .iter()
        .find(|p| p.key() == key)
        .map_or(key, |p| p.title())
}

impl Customer {
    /// Sets a field by its stable key, permissions included (`on`/`off`).
    /// Returns false for an unknown key.
    pub fn set_by_key(&mut self, key: &str, value: &str) -> bool {
        if let Some(f) = FIELDS.iter().find(|f| f.key == key) {
            self.set_field(f.id, value.to_string());
            return true;
        }
        match Permission::ALL.iter().find(|p| p.key() == key) {
            Some(p) => {
                self.permissions.set(*p, value == "on");
                true
            }
            None => false,
        }
    }
}

/// The order customers are listed in: company name without case or accents
/// ("Ärzte" sorts with "Arzte", not after "Z"), then id for a stable order.
pub fn sort_key(c: &Customer) -> (String, &str) {
    (fold_name(&c.company.name), c.id.as_str())
}

/// A company name without case or accents, as the list orders names.
pub fn fold_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd()
        .filter(|ch| !unicode_normalization::char::is_combining_mark(*ch))
        .flat_map(char::to_lowercase)
        .collect()
}

/// What an operator may do, as in Partner Center: an admin agent
/// everything, a sales agent account info but not purchase permissions, a
/// helpdesk agent only read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Admin,
    Sales,
    Helpdesk,
}

impl Role {
    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Sales => "sales",
            Role::Helpdesk => "helpdesk",
        }
    }

    /// The role's name in the operator's language.
    pub fn title(self) -> &'static str {
        match self {
            Role::Admin => crate::t!("role.admin"),
            Role::Sales => crate::t!("role.sales"),
            Role::Helpdesk => crate::t!("role.helpdesk"),
        }
    }
}

/// A role, and whether this run may write at all (`--read-only`). These are
/// guard-rails for honest mistakes; the store's file permissions are the
/// real boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Access {
    pub role: Role,
    pub read_only: bool,
}

impl Access {
    /// May change account info (the Update form, bulk changes, imports).
    pub fn may_edit(self) -> Result<(), String> {
        if self.read_only {
            return Err(crate::t!("access.read_only").into());
        }
        match self.role {
            Role::Admin | Role::Sales => Ok(()),
            Role::Helpdesk => Err(crate::t!("access.helpdesk").into()),
        }
    }

    /// May allow or stop purchases (the partner pays for them).
    pub fn may_change_permissions(self) -> Result<(), String> {
        self.may_edit()?;
        match self.role {
            Role::Admin => Ok(()),
            _ => Err(crate::t!("access.no_permissions", role = self.role.title())),
        }
    }

    /// May change these fields (keys as in the audit trail).
    pub fn may_change(self, keys: &[&str]) -> Result<(), String> {
        if keys.iter().any(|k| k.starts_with("permissions.")) {
            self.may_change_permissions()
        } else {
            self.may_edit()
        }
    }
}

/// What a committed change did, for the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    Update,
    PermissionOn,
    PermissionOff,
    Revert,
    Import,
}

impl AuditAction {
    pub fn title(self) -> &'static str {
        match self {
            AuditAction::Update => crate::t!("action.update"),
            AuditAction::PermissionOn => crate::t!("action.permission_on"),
            AuditAction::PermissionOff => crate::t!("action.permission_off"),
            AuditAction::Revert => crate::t!("action.revert"),
            AuditAction::Import => crate::t!("action.import"),
        }
    }
}

/// One audit entry: who changed what, when. One per committed version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: DateTime<Utc>,
    pub operator: String,
    pub cloud: Cloud,
    pub id: String,
    /// The version this change produced.
    pub version: u64,
    pub action: AuditAction,
    pub changes: Vec<FieldChange>,
    /// For a revert: the version whose change it undid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverts: Option<u64>,
    /// The operator's role when the change was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// One changed field, as recorded in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// A customer record borrowed, not owned: what an export decodes a stored
/// record into and writes, without the twenty strings a `Customer` would
/// allocate (and free) for each of a million records. It serialises to
/// the same JSON as the `Customer` it views (field for field, in order;
/// `CustomerView::of` names every field, so a field added to `Customer`
/// does not compile until it is added here too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerView<'a> {
    pub id: &'a str,
    pub cloud: Cloud,
    pub version: u64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub company: CompanyView<'a>,
    pub billing: BillingView<'a>,
    pub permissions: PurchasePermissions,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyView<'a> {
    pub name: &'a str,
    pub domain: &'a str,
    pub tenant_id: &'a str,
    pub registration_number: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressView<'a> {
    pub line1: &'a str,
    pub line2: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub postal_code: &'a str,
    pub country: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingView<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub culture: &'a str,
    pub language: &'a str,
    pub company_name: &'a str,
    pub phone: &'a str,
    #[serde(borrow)]
    pub address: AddressView<'a>,
}

impl<'a> CustomerView<'a> {
    pub fn of(c: &'a Customer) -> CustomerView<'a> {
        let Customer {
            id,
            cloud,
            version,
            created,
            updated,
            company,
            billing,
            permissions,
        } = c;
        let CompanyProfile {
            name,
            domain,
            tenant_id,
            registration_number,
        } = company;
        let BillingProfile {
            first_name,
            last_name,
            email,
            culture,
            language,
            company_name,
            phone,
            address,
        } = billing;
        let Address {
            line1,
            line2,
            city,
            state,
            postal_code,
            country,
        } = address;
        CustomerView {
            id,
            cloud: *cloud,
            version: *version,
            created: *created,
            updated: *updated,
            company: CompanyView {
                name,
                domain,
                tenant_id,
                registration_number,
            },
            billing: BillingView {
                first_name,
                last_name,
                email,
                culture,
                language,
                company_name,
                phone,
                address: AddressView {
                    line1,
                    line2,
                    city,
                    state,
                    postal_code,
                    country,
                },
            },
            permissions: *permissions,
        }
    }

    /// The owned record.
    pub fn to_customer(&self) -> Customer {
        let (c, b, a) = (&self.company, &self.billing, &self.billing.address);
        Customer {
            id: self.id.to_string(),
            cloud: self.cloud,
            version: self.version,
            created: self.created,
            updated: self.updated,
            company: CompanyProfile {
                name: c.name.to_string(),
                domain: c.domain.to_string(),
                tenant_id: c.tenant_id.to_string(),
                registration_number: c.registration_number.to_string(),
            },
            billing: BillingProfile {
                first_name: b.first_name.to_string(),
                last_name: b.last_name.to_string(),
                email: b.email.to_string(),
                culture: b.culture.to_string(),
                language: b.language.to_string(),
                company_name: b.company_name.to_string(),
                phone: b.phone.to_string(),
                address: Address {
                    line1: a.line1.to_string(),
                    line2: a.line2.to_string(),
                    city: a.city.to_string(),
                    state: a.state.to_string(),
                    postal_code: a.postal_code.to_string(),
                    country: a.country.to_string(),
                },
            },
            permissions: self.permissions,
        }
    }

    /// A text field's value, as `Customer::field`.
    pub fn field(&self, id: FieldId) -> &'a str {
        let b = &self.billing;
        let a = &b.address;
        match id {
            FieldId::CompanyName => self.company.name,
            FieldId::Domain => self.company.domain,
            FieldId::RegistrationNumber => self.company.registration_number,
            FieldId::FirstName => b.first_name,
            FieldId::LastName => b.last_name,
            FieldId::Email => b.email,
            FieldId::Phone => b.phone,
            FieldId::Culture => b.culture,
            FieldId::Language => b.language,
            FieldId::BillingCompanyName => b.company_name,
            FieldId::Line1 => a.line1,
            FieldId::Line2 => a.line2,
            FieldId::City => a.city,
            FieldId::State => a.state,
            FieldId::PostalCode => a.postal_code,
            FieldId::Country => a.country,
            FieldId::Id => self.id,
            FieldId::TenantId => self.company.tenant_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_lists_every_field_once() {
        let all = [
            FieldId::CompanyName,
            FieldId::Domain,
            FieldId::RegistrationNumber,
            FieldId::FirstName,
            FieldId::LastName,
            FieldId::Email,
            FieldId::Phone,
            FieldId::Culture,
            FieldId::Language,
            FieldId::BillingCompanyName,
            FieldId::Line1,
            FieldId::Line2,
            FieldId::City,
            FieldId::State,
            FieldId::PostalCode,
            FieldId::Country,
            FieldId::Id,
            FieldId::TenantId,
        ];
        assert_eq!(FIELDS.len(), all.len());
        for id in all {
            assert_eq!(FIELDS.iter().filter(|f| f.id == id).count(), 1, "{id:?}");
            assert_eq!(spec(id).id, id);
        }
        let mut keys: Vec<_> = FIELDS.iter().map(|f| f.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), FIELDS.len(), "keys are unique");
    }

    #[test]
    fn read_only_fields_are_the_identity_ones() {
        let read_only: Vec<_> = FIELDS
            .iter()
            .filter(|f| !f.editable)
            .map(|f| f.id)
            .collect();
        assert_eq!(
            read_only,
            [
                FieldId::Domain,
                FieldId::Country,
                FieldId::Id,
                FieldId::TenantId
            ]
        );
    }
}
