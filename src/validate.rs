//! Field validation: pure functions from a value (and the record it belongs to)
//! to a normalised value or a message that says what to do.

use crate::domain::{Customer, FIELDS, FieldId, spec};

/// A refused field: which one and why, in words an operator can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: FieldId,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", spec(self.field).label, self.message)
    }
}

/// Checks one field's value in the context of its record and returns the value
/// as it will be stored (trimmed), or what is wrong with it.
pub fn check_field(field: FieldId, value: &str, _record: &Customer) -> Result<String, String> {
    if let Some(c) = value.chars().find(|c| is_forbidden_char(*c)) {
        return Err(format!(
            "contains the control character U+{:04X}; remove it",
            c as u32
        ));
    }
    let value = value.trim();
    let max = spec(field).max_len;
    let len = value.chars().count();
    if len > max {
        return Err(format!(
            "is {len} characters long; at most {max} are allowed"
        ));
    }
    match field {
        FieldId::CompanyName if value.is_empty() => Err("is required".into()),
        FieldId::Line1 if value.is_empty() => Err("is required".into()),
        FieldId::Email => check_email(value),
        _ => Ok(value.to_string()),
    }
}

/// Control characters (C0, DEL, C1) and bidirectional overrides are never part
/// of a customer's data: they could rewrite an operator's terminal or hide text.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// For now: `local@domain.tld` with no spaces; a real parser comes with the
/// country-aware validation.
fn check_email(value: &str) -> Result<String, String> {
    const HINT: &str = "must look like name@example.com";
    if value.is_empty() {
        return Err("is required".into());
    }
    let Some((local, domain)) = value.split_once('@') else {
        return Err(HINT.into());
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let ok = !local.is_empty()
        && !value.chars().any(char::is_whitespace)
        && !domain.contains('@')
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|tld| tld.len() >= 2);
    if ok {
        Ok(value.to_string())
    } else {
        Err(HINT.into())
    }
}

/// Validates every editable field of a record; returns the normalised record or
/// every error found, in catalogue order.
pub fn check_record(record: &Customer) -> Result<Customer, Vec<FieldError>> {
    let mut normalised = record.clone();
    let mut errors = Vec::new();
    for f in FIELDS.iter().filter(|f| f.editable) {
        match check_field(f.id, record.field(f.id), record) {
            Ok(v) => normalised.set_field(f.id, v),
            Err(message) => errors.push(FieldError {
                field: f.id,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(normalised)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Customer {
        crate::demo::sample_customer()
    }

    #[test]
    fn company_name_and_line1_are_required() {
        let r = record();
        assert!(check_field(FieldId::CompanyName, "  ", &r).is_err());
        assert!(check_field(FieldId::Line1, "", &r).is_err());
        assert_eq!(check_field(FieldId::Line2, "", &r), Ok(String::new()));
    }

    #[test]
    fn values_are_trimmed() {
        let r = record();
        assert_eq!(
            check_field(FieldId::CompanyName, "  Contoso GmbH ", &r),
            Ok("Contoso GmbH".into())
        );
    }

    #[test]
    fn email_must_look_like_an_address() {
        let r = record();
        for good in ["a@b.de", "anna.kowalska@kowalski-logistyka.pl"] {
            assert!(check_field(FieldId::Email, good, &r).is_ok(), "{good}");
        }
        for bad in [
            "", "anna", "anna@", "@x.de", "a@b", "a@b.c", "a b@c.de", "a@@b.de", "a@b..de",
        ] {
            assert!(check_field(FieldId::Email, bad, &r).is_err(), "{bad}");
        }
    }

    #[test]
    fn control_characters_are_refused_everywhere() {
        let r = record();
        for f in FIELDS.iter().filter(|f| f.editable) {
            let err = check_field(f.id, "Evil\u{1b}[2J", &r).unwrap_err();
            assert!(err.contains("U+001B"), "{err}");
            assert!(check_field(f.id, "a\u{202E}b", &r).is_err());
        }
    }

    #[test]
    fn length_limits_come_from_the_catalogue() {
        let r = record();
        let long = "x".repeat(51);
        let err = check_field(FieldId::FirstName, &long, &r).unwrap_err();
        assert!(err.contains("at most 50"), "{err}");
    }

    #[test]
    fn check_record_lists_every_error() {
        let mut r = record();
        r.company.name.clear();
        r.billing.email = "nope".into();
        let errors = check_record(&r).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, [FieldId::CompanyName, FieldId::Email]);
    }
}
