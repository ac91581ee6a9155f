//! Field validation: pure functions from a value (and the record it belongs
//! to) to the value as it will be stored, or a message that says what to do.
//!
//! The same checks guard every way into the store: the form calls them while
//! the operator types, and `store::commit` calls `check_record` again.

use email_address::{EmailAddress, Options as EmailOptions};

use crate::countries::{Country, countries};
use crate::domain::{Customer, FIELDS, FieldId, spec};
use crate::t;

/// Settings that shape validation beyond the record itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// The partner's own domain: customers' billing emails may not use it.
    pub partner_domain: Option<String>,
}

/// A refused field: which one and why, in words an operator can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: FieldId,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Messages are written to follow the label: "Postal code for Germany is …".
        let text = crate::t!(
            "form.field_message",
            field = spec(self.field).title(),
            message = self.message
        );
        f.write_str(&text)
    }
}

/// Control characters (C0, DEL, C1) and bidirectional overrides are never part
/// of a customer's data: they could rewrite an operator's terminal or hide text.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Legal forms that are not a company name on their own.
const BARE_LEGAL_FORMS: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "gbr",
    "ug",
    "plc",
    "corp",
    "corporation",
    "co",
    "company",
    "sa",
    "sas",
    "sarl",
    "sl",
    "srl",
    "spa",
    "bv",
    "nv",
    "ab",
    "as",
    "oy",
    "aps",
    "kk",
    "pty",
    "ptyltd",
    "ltda",
    "spzoo",
    "sro",
    "kft",
    "zrt",
    "ooo",
    "株式会社",
    "有限会社",
    "合同会社",
];

/// The rules of the record's country, or a message naming what to use.
pub fn country_of(record: &Customer) -> Result<&'static Country, String> {
    let code = record.billing.address.country.trim();
    if let Some(country) = countries().get(code) {
        return Ok(country);
    }
    let upper = code.to_uppercase();
    if upper == "UK" {
        return Err(t!("validate.uk").into());
    }
    match countries().get(&upper) {
        Some(_) => Err(t!("validate.upper_case", code = upper)),
        None if code.is_empty() => Err(t!("validate.country_required").into()),
        None => Err(t!("validate.country_unknown", code = code)),
    }
}

/// Checks one field's value in the context of its record and returns the value
/// as it will be stored (trimmed and normalised), or what is wrong with it.
pub fn check_field(
    field: FieldId,
    value: &str,
    record: &Customer,
    policy: &Policy,
) -> Result<String, String> {
    if let Some(c) = value.chars().find(|c| is_forbidden_char(*c)) {
        return Err(t!(
            "validate.control_char",
            code = format!("{:04X}", c as u32)
        ));
    }
    let value = value.trim();
    let max = spec(field).max_len;
    let len = value.chars().count();
    if len > max {
        return Err(t!("validate.too_long", len = len, max = max));
    }
    if field == FieldId::Country {
        return country_of(record).map(|c| c.code.clone());
    }
    let country = country_of(record).map_err(|e| t!("validate.country_prefix", message = e));
    match field {
        FieldId::CompanyName | FieldId::BillingCompanyName => check_company_name(value),
        FieldId::FirstName | FieldId::LastName | FieldId::Line1 => required(value),
        FieldId::Email => check_email(value, policy),
        FieldId::Phone => check_phone(value, country?),
        FieldId::Culture => check_culture(value, country?),
        FieldId::Language => check_language(value, record),
        FieldId::City if value.is_empty() => {
            when_empty(country?.city_required, || t!("validate.required").into())
        }
        FieldId::State => check_state(value, country?, record),
        FieldId::PostalCode => check_postal(value, country?, record),
        FieldId::RegistrationNumber => check_registration(value, country?),
        FieldId::Domain => check_domain(value),
        FieldId::TenantId => check_tenant_id(value),
        FieldId::City | FieldId::Line2 | FieldId::Id | FieldId::Country => Ok(value.to_string()),
    }
}

/// The fields a customer keeps for life once it exists: the country (as in
/// Partner Center) and its identity in Microsoft's cloud. The customer id and
/// the cloud are the store's key, so a record that changes them names another
/// customer instead.
pub const FIXED_FIELDS: [FieldId; 3] = [FieldId::Domain, FieldId::TenantId, FieldId::Country];

/// A stored customer's fixed fields as the store holds them, put into a
/// proposed record: a proposal may leave them out (empty) or give them in
/// another case (`de` is `DE`), but not change them; a change is an error
/// naming the field and both values, and then nothing is touched.
pub fn take_fixed_fields(
    stored: &Customer,
    proposed: &mut Customer,
) -> Result<(), Vec<FieldError>> {
    let changed: Vec<FieldError> = FIXED_FIELDS
        .iter()
        .filter_map(|&field| {
            let (old, new) = (stored.field(field).trim(), proposed.field(field).trim());
            (!new.is_empty() && !old.eq_ignore_ascii_case(new)).then(|| FieldError {
                field,
                message: t!("validate.fixed", old = old, new = new),
            })
        })
        .collect();
    if !changed.is_empty() {
        return Err(changed);
    }
    for field in FIXED_FIELDS {
        proposed.set_field(field, stored.field(field).to_string());
    }
    Ok(())
}

/// Checks and normalises what only a new customer brings: its primary domain
/// and tenant id (for a stored customer they are fixed, see
/// `take_fixed_fields`, so a store written by an older konto is never
/// judged by these rules after the fact).
pub fn normalise_identity(record: &mut Customer) -> Result<(), Vec<FieldError>> {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for field in [FieldId::Domain, FieldId::TenantId] {
        match check_field(field, record.field(field), record, &Policy::default()) {
            Ok(value) => values.push((field, value)),
            Err(message) => errors.push(FieldError { field, message }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for (field, value) in values {
        record.set_field(field, value);
    }
    Ok(())
}

/// A primary domain as DNS writes it: lower case, two labels or more of
/// letters, digits and inner hyphens (`contoso.onmicrosoft.com`).
fn check_domain(value: &str) -> Result<String, String> {
    let domain = value.to_ascii_lowercase();
    if domain.is_empty() {
        return Err(t!("validate.domain_required").into());
    }
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
        return Err(t!("validate.domain").into());
    }
    Ok(domain)
}

/// A tenant id is a GUID; stored in its lower-case hyphenated form.
fn check_tenant_id(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err(t!("validate.required").into());
    }
    uuid::Uuid::parse_str(value)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| t!("validate.tenant_id").into())
}

/// Something that is allowed but probably a mistake; asked about once.
pub fn warning(field: FieldId, value: &str) -> Option<String> {
    if !matches!(field, FieldId::CompanyName | FieldId::BillingCompanyName) {
        return None;
    }
    let lower = value.trim().to_lowercase();
    let web_suffix = [
        ".com", ".net", ".org", ".io", ".de", ".co.uk", ".info", ".biz",
    ];
    if let Some(suffix) = web_suffix.iter().find(|s| lower.ends_with(*s)) {
        return Some(t!("validate.web_address", suffix = suffix));
    }
    let digits: Vec<char> = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() > 1 && digits.iter().all(|c| c.is_ascii_digit()) {
        return Some(t!("validate.only_digits").into());
    }
    None
}

fn required(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err(t!("validate.required").into())
    } else {
        Ok(value.to_string())
    }
}

/// What an empty value means for a field the country may require.
fn when_empty(required: bool, message: impl FnOnce() -> String) -> Result<String, String> {
    if required {
        Err(message())
    } else {
        Ok(String::new())
    }
}

fn check_company_name(value: &str) -> Result<String, String> {
    required(value)?;
    if !value.chars().any(char::is_alphanumeric) {
        return Err(t!("validate.punctuation").into());
    }
    if value.chars().count() == 1 {
        return Err(t!("validate.single_char").into());
    }
    let compact: String = value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if BARE_LEGAL_FORMS.contains(&compact.as_str()) {
        return Err(t!("validate.legal_form", value = value));
    }
    Ok(value.to_string())
}

fn check_email(value: &str, policy: &Policy) -> Result<String, String> {
    required(value)?;
    let options = EmailOptions {
        minimum_sub_domains: 2,
        allow_domain_literal: false,
        allow_display_text: false,
        allow_long_local_parts: false,
    };
    let parsed = EmailAddress::parse_with_options(value, options)
        .map_err(|e| t!("validate.email_detail", reason = e))?;
    let domain = parsed.domain().to_lowercase();
    if domain
        .split('.')
        .next_back()
        .is_some_and(|tld| tld.len() < 2)
    {
        return Err(t!("validate.email").into());
    }
    if let Some(partner) = policy.partner_domain.as_deref().map(str::to_lowercase)
        && (domain == partner || domain.ends_with(&format!(".{partner}")))
    {
        return Err(t!("validate.own_domain", domain = partner));
    }
    Ok(format!("{}@{domain}", parsed.local_part()))
}

fn check_phone(value: &str, country: &Country) -> Result<String, String> {
    if value.is_empty() {
        return when_empty(country.phone_required, || {
            t!("validate.phone_required", country = country.title())
        });
    }
    let hint = || t!("validate.phone", country = country.title());
    match phone_e164(&country.code, value) {
        Some(e164) => Ok(e164),
        None => Err(hint()),
    }
}

/// The E.164 form of a phone number typed for a country, or None when it is
/// not a valid number there.
fn phone_e164(country: &str, value: &str) -> Option<String> {
    phone_memo(PhoneForm::E164, country, value, || {
        phonenumber::parse(country.parse().ok(), value)
            .ok()
            .filter(phonenumber::is_valid)
            .map(|n| n.format().mode(phonenumber::Mode::E164).to_string())
    })
}

/// A stored (E.164) phone number as people in its country write it; the
/// value as it is when it is no valid number.
pub fn phone_for_display(value: &str, country_code: &str) -> String {
    if PHONES.load(std::sync::atomic::Ordering::Acquire) == PHONES_LOADING {
        // Shown as stored until the rules are loaded (see `warm_up_phones`).
        return value.to_string();
    }
    phone_memo(PhoneForm::Display, country_code, value, || {
        let region = country_code.parse().ok();
        let number = phonenumber::parse(region, value)
            .ok()
            .filter(phonenumber::is_valid)?;
        let mode = if number.country().id() == region {
            phonenumber::Mode::National
        } else {
            phonenumber::Mode::International
        };
        Some(number.format().mode(mode).to_string())
    })
    .unwrap_or_else(|| value.to_string())
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum PhoneForm {
    E164,
    Display,
}

/// Phone parsing, memoised: every commit re-checks the whole record and
/// every frame shows the selected customer's phone, while parsing is slow
/// when numbers of many countries alternate (phonenumber keeps only 100
/// compiled patterns) and a record's phone rarely changes. Bounded by
/// clearing; the functions are pure, so the memo changes nothing but time.
fn phone_memo(
    form: PhoneForm,
    country: &str,
    value: &str,
    parse: impl FnOnce() -> Option<String>,
) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    const LIMIT: usize = 50_000;
    /// (form, country, as typed) → the result.
    type Memo = HashMap<(PhoneForm, String, String), Option<String>>;
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let key = (form, country.to_string(), value.to_string());
    if let Some(hit) = memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return hit;
    }
    let parsed = parse();
    if let Ok(mut m) = memo.lock() {
        if m.len() >= LIMIT {
            m.clear();
        }
        m.insert(key, parsed.clone());
    }
    parsed
}

/// Whether phonenumber's metadata is loaded: unknown (loaded on first use,
/// blocking), loading on its own thread (phones are shown as stored), ready.
static PHONES: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(PHONES_ON_USE);
const PHONES_ON_USE: u8 = 0;
const PHONES_LOADING: u8 = 1;
const PHONES_READY: u8 = 2;

/// Loads phonenumber's metadata (~70 ms, once per process) on a thread of
/// its own, so the first frame does not wait for it: until it is loaded,
/// phones are drawn as stored, and `phones_ready` tells when to redraw.
pub fn warm_up_phones() {
    use std::sync::atomic::Ordering;
    PHONES.store(PHONES_LOADING, Ordering::Release);
    std::thread::spawn(|| {
        let _ = phonenumber::parse(None, "+49 30 1234567");
        PHONES.store(PHONES_READY, Ordering::Release);
    });
}

/// False only while `warm_up_phones` is still loading.
pub fn phones_ready() -> bool {
    PHONES.load(std::sync::atomic::Ordering::Acquire) != PHONES_LOADING
}

fn check_culture(value: &str, country: &Country) -> Result<String, String> {
    let wanted = value.to_lowercase();
    match country.cultures.iter().find(|c| c.to_lowercase() == wanted) {
        Some(culture) => Ok(culture.clone()),
        None => Err(t!(
            "validate.culture",
            country = country.title(),
            cultures = country.cultures.join(", ")
        )),
    }
}

fn check_language(value: &str, record: &Customer) -> Result<String, String> {
    let lower = value.to_lowercase();
    if lower.len() != 2 || !lower.chars().all(|c| c.is_ascii_lowercase()) {
        let from_culture = record.billing.culture.split('-').next().unwrap_or("en");
        return Err(t!(
            "validate.language",
            example = from_culture.to_lowercase()
        ));
    }
    Ok(lower)
}

fn check_state(value: &str, country: &Country, record: &Customer) -> Result<String, String> {
    if value.is_empty() {
        return when_empty(country.state_required, || {
            let message = t!("validate.state_required", country = country.title());
            match state_of_record_postal(country, record) {
                Some((postal, state)) => t!(
                    "validate.state_from_postal",
                    message = message,
                    postal = postal,
                    state = state.label(),
                    code = state.code
                ),
                None => message,
            }
        });
    }
    if !country.has_state_list() {
        return Ok(value.to_string());
    }
    match country.find_state(value) {
        Some(state) => Ok(state.code.clone()),
        None => {
            // The example is the state of the record's postal code, where
            // the data knows it.
            let example = state_of_record_postal(country, record)
                .map(|(_, state)| state)
                .or(country.states.first())
                .map(|s| t!("validate.state_example", code = s.code, name = s.label()))
                .unwrap_or_default();
            Err(t!(
                "validate.state",
                value = value,
                label = state_word(country),
                country = country.title(),
                example = example
            ))
        }
    }
}

/// The record's postal code (canonical) and the state it belongs to, where
/// both are known.
fn state_of_record_postal<'c>(
    country: &'c Country,
    record: &Customer,
) -> Option<(String, &'c crate::countries::StateEntry)> {
    let postal = country.normalise_postal(&record.billing.address.postal_code)?;
    let state = country.state_of_postal(&postal)?;
    Some((postal, state))
}

/// How the country's postal codes are written, after `key`'s words: with
/// the hint where there is one, else an example alone.
fn postal_format(key_hint: &'static str, key_like: &'static str, country: &Country) -> String {
    match country.postal_hint_text() {
        Some(hint) => crate::i18n::tr(
            key_hint,
            &[
                ("country", &country.title()),
                ("hint", &hint),
                ("example", &country.postal_example()),
            ],
        ),
        None => crate::i18n::tr(
            key_like,
            &[
                ("country", &country.title()),
                ("example", &country.postal_example()),
            ],
        ),
    }
}

fn check_postal(value: &str, country: &Country, record: &Customer) -> Result<String, String> {
    if !country.has_postal_codes() {
        return Ok(value.to_string());
    }
    if value.is_empty() {
        return when_empty(country.postal_required, || {
            postal_format(
                "validate.postal_required",
                "validate.postal_required_like",
                country,
            )
        });
    }
    let Some(postal) = country.normalise_postal(value) else {
        let message = postal_format("validate.postal", "validate.postal_like", country);
        return Err(match with_leading_zero(country, value) {
            Some(suggestion) => t!(
                "validate.did_you_mean",
                message = message,
                suggestion = suggestion
            ),
            None => message,
        });
    };
    let state = country.find_state(&record.billing.address.state);
    if let Some(state) = state.filter(|s| !country.postal_fits_state(&postal, s)) {
        return Err(match country.state_of_postal(&postal) {
            Some(other) => t!(
                "validate.postal_other_state",
                postal = postal,
                other = other.label(),
                other_code = other.code,
                state = state.label(),
                label = state_word(country)
            ),
            None => t!(
                "validate.postal_not_in_state",
                postal = postal,
                state = state.label(),
                code = state.code
            ),
        });
    }
    Ok(postal)
}

/// A postal code of digits that is one once its leading zero is put back
/// (a spreadsheet drops it: 1067 for 01067). One zero only: `123` is no
/// German code, whatever `00123` matches.
fn with_leading_zero(country: &Country, value: &str) -> Option<String> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if compact.is_empty() || !compact.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    country.normalise_postal(&format!("0{compact}"))
}

/// The state label as a word inside a sentence: lower case in English
/// ("a state of …"); German nouns keep their capital.
fn state_word(country: &Country) -> String {
    match crate::i18n::lang() {
        crate::i18n::Lang::En => country.state_title().to_lowercase(),
        crate::i18n::Lang::De => country.state_title().to_string(),
    }
}

fn check_registration(value: &str, country: &Country) -> Result<String, String> {
    if value.is_empty() {
        return when_empty(country.registration_required, || {
            t!("validate.registration_required", country = country.title())
        });
    }
    if !value
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '/' | '.'))
    {
        return Err(t!("validate.registration").into());
    }
    Ok(value.to_string())
}

/// Validates every field a record carries (the editable ones and the
/// country); returns the normalised record or every error, in catalogue order.
pub fn check_record(record: &Customer, policy: &Policy) -> Result<Customer, Vec<FieldError>> {
    let mut normalised = record.clone();
    normalise_record(&mut normalised, policy).map(|()| normalised)
}

/// `check_record` in place: the record is normalised when every field is
/// valid and left as it was otherwise. (An import of a million records
/// would otherwise hold a second copy of each.)
pub fn normalise_record(record: &mut Customer, policy: &Policy) -> Result<(), Vec<FieldError>> {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    // Every field is checked against the record as given: a normalised
    // country or culture must not change how the others are judged.
    for f in FIELDS
        .iter()
        .filter(|f| f.editable || f.id == FieldId::Country)
    {
        let value = record.field(f.id);
        match check_field(f.id, value, record, policy) {
            Ok(v) if v == value => {}
            Ok(v) => values.push((f.id, v)),
            Err(message) => errors.push(FieldError {
                field: f.id,
                message,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for (field, value) in values {
        record.set_field(field, value);
    }
    Ok(())
}

/// A fingerprint of what decides whether a record passes: the rules'
/// code and data, the field catalogue and the crates' versions (phone and
/// email parsing). Verdicts kept from an earlier check count only under
/// the same fingerprint; a rebuild of the same code keeps it (the
/// program's own file would not: every link changes it).
pub fn rules_fingerprint() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    for part in [
        include_str!("validate.rs"),
        include_str!("countries.rs"),
        include_str!("domain.rs"),
        include_str!("../assets/countries.json"),
        include_str!("../Cargo.lock"),
    ] {
        part.hash(&mut hasher);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests;
