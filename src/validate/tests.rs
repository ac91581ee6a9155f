use super::*;
use crate::demo::sample_customer;

/// A record in `country` (the sample, moved there).
fn in_country(country: &str) -> Customer {
    let mut r = sample_customer();
    r.billing.address.country = country.into();
    r
}

fn check(field: FieldId, value: &str, country: &str) -> Result<String, String> {
    check_field(field, value, &in_country(country), &Policy::default())
}

#[test]
fn postal_codes_per_country_valid_invalid_and_normalised() {
    let valid = [
        ("US", "98052", "98052"),
        ("US", "98052 6399", "98052-6399"),
        ("CA", "m5v2t6", "M5V 2T6"),
        ("MX", "06600", "06600"),
        ("GB", "ec1a1bb", "EC1A 1BB"),
        ("DE", "10115", "10115"),
        ("FR", "75008", "75008"),
        ("NL", "1012 ab", "1012 AB"),
        ("PL", "00-950", "00-950"),
        ("CH", "8001", "8001"),
        ("AT", "1010", "1010"),
        ("SE", "11122", "111 22"),
        ("JP", "100-0005", "100-0005"),
        ("IN", "400001", "400001"),
        ("AU", "2000", "2000"),
        ("BR", "01310-100", "01310-100"),
        ("IE", "D02X285", "D02 X285"),
        ("PT", "1000-001", "1000-001"),
    ];
    for (country, input, stored) in valid {
        assert_eq!(
            check(FieldId::PostalCode, input, country),
            Ok(stored.into()),
            "{country} {input}"
        );
    }
    let invalid = [
        ("DE", "1234"),
        ("DE", "123456"),
        ("US", "9805"),
        ("CA", "M5V"),
        ("NL", "1012"),
        ("GB", "12345"),
        ("JP", "1000"),
    ];
    for (country, input) in invalid {
        assert!(
            check(FieldId::PostalCode, input, country).is_err(),
            "{country} {input}"
        );
    }
}

#[test]
fn a_german_postal_code_of_four_digits_says_what_to_do() {
    let message = check(FieldId::PostalCode, "1067", "DE").unwrap_err();
    assert_eq!(
        message,
        "for Germany is 5 digits, e.g. 26133; did you mean 01067?"
    );
    let message = check(FieldId::PostalCode, "123456", "DE").unwrap_err();
    assert_eq!(message, "for Germany is 5 digits, e.g. 26133");
    // Where the examples' shape says too little, an example alone.
    let message = check(FieldId::PostalCode, "12345", "BM").unwrap_err();
    assert_eq!(message, "for Bermuda is written like FL 07");
}

/// A record in `country` with `state` and `postal`.
fn address(country: &str, state: &str, postal: &str) -> Customer {
    let mut r = in_country(country);
    r.billing.address.state = state.into();
    r.billing.address.postal_code = postal.into();
    r
}

fn check_in(field: FieldId, record: &Customer) -> Result<String, String> {
    check_field(field, record.field(field), record, &Policy::default())
}

#[test]
fn a_postal_code_of_another_state_is_refused_naming_that_state() {
    let r = address("US", "NY", "98052");
    assert_eq!(
        check_in(FieldId::PostalCode, &r),
        Err(
            "98052 belongs to Washington (WA), not to New York; set the state to WA or correct the postal code"
                .into()
        )
    );
    // Local names are shown with the Latin ones.
    let r = address("JP", "大阪府", "1540023");
    let err = check_in(FieldId::PostalCode, &r).unwrap_err();
    assert!(
        err.starts_with("154-0023 belongs to Tokyo (東京都) (13), not to Osaka (大阪府)"),
        "{err}"
    );
    let r = address("ES", "Barcelona", "28039");
    assert!(
        check_in(FieldId::PostalCode, &r)
            .unwrap_err()
            .contains("belongs to Madrid (M)")
    );
    // The state's own codes pass, in any spelling of the state.
    for (country, state, postal) in [
        ("US", "wa", "98052"),
        ("ES", "Madrid", "28039"),
        ("JP", "Tokyo", "154-0023"),
        ("IT", "Roma", "00144"),
        ("CA", "Ontario", "K1A 0B1"),
    ] {
        let r = address(country, state, postal);
        assert!(
            check_in(FieldId::PostalCode, &r).is_ok(),
            "{country} {state} {postal}"
        );
    }
    // A state the record does not name yet is not judged here.
    assert!(check_in(FieldId::PostalCode, &address("US", "", "98052")).is_ok());
    assert!(check_in(FieldId::PostalCode, &address("US", "Bavaria", "98052")).is_ok());
}

#[test]
fn a_missing_state_is_named_from_the_postal_code() {
    let r = address("ES", "", "28039");
    assert_eq!(
        check_in(FieldId::State, &r),
        Err("is required for Spain (Ctrl-P lists them); postal code 28039 is in Madrid: M".into())
    );
    let err = check_in(FieldId::State, &address("ES", "Bayern", "28039")).unwrap_err();
    assert!(err.contains("e.g. M or Madrid"), "{err}");
}

#[test]
fn country_prefixes_people_type_are_taken_off() {
    assert_eq!(
        check(FieldId::PostalCode, "CH-2544", "CH"),
        Ok("2544".into())
    );
    assert_eq!(
        check(FieldId::PostalCode, "SE-114 55", "SE"),
        Ok("114 55".into())
    );
    assert_eq!(
        check_in(FieldId::PostalCode, &address("JP", "13", "〒154-0023")),
        Ok("154-0023".into())
    );
}

#[test]
fn states_need_a_list_entry_where_libaddressinput_requires_one() {
    for (country, typed, code) in [
        ("ES", "Madrid", "M"),
        ("IT", "Milano", "MI"),
        ("JP", "東京都", "13"),
        ("KR", "서울특별시", "11"),
        ("RU", "Moskva", "MOW"),
        ("TW", "Taipei City", "TPE"),
        ("CO", "Antioquia", "ANT"),
    ] {
        assert_eq!(
            check(FieldId::State, typed, country),
            Ok(code.into()),
            "{country} {typed}"
        );
        assert!(
            check(FieldId::State, "Nowhere", country).is_err(),
            "{country}"
        );
        assert!(
            check(FieldId::State, "", country).is_err(),
            "{country}: required"
        );
    }
}

#[test]
fn postal_code_is_required_where_the_country_has_them() {
    assert!(
        check(FieldId::PostalCode, "", "DE")
            .unwrap_err()
            .contains("required")
    );
    assert_eq!(
        check(FieldId::PostalCode, "", "AE"),
        Ok(String::new()),
        "AE has no postal codes"
    );
}

#[test]
fn states_accept_names_and_store_codes() {
    assert_eq!(check(FieldId::State, "washington", "US"), Ok("WA".into()));
    assert_eq!(check(FieldId::State, "WA", "US"), Ok("WA".into()));
    assert_eq!(check(FieldId::State, " wa ", "US"), Ok("WA".into()));
    // Aliases, and names without their accents.
    assert_eq!(
        check(FieldId::State, "federal district", "BR"),
        Ok("DF".into())
    );
    assert_eq!(check(FieldId::State, "CEARA", "BR"), Ok("CE".into()));
    assert_eq!(check(FieldId::State, "ontario", "CA"), Ok("ON".into()));
    assert_eq!(
        check(FieldId::State, "New South Wales", "AU"),
        Ok("NSW".into())
    );
    assert_eq!(check(FieldId::State, "Maharashtra", "IN"), Ok("MH".into()));
    assert_eq!(check(FieldId::State, "Jalisco", "MX"), Ok("JAL".into()));
    let err = check(FieldId::State, "Bavaria", "US").unwrap_err();
    assert!(err.contains("not a state of United States"), "{err}");
    assert!(
        check(FieldId::State, "", "US")
            .unwrap_err()
            .contains("required")
    );
    // Countries without a list take any region, or none.
    assert_eq!(check(FieldId::State, "Bayern", "DE"), Ok("Bayern".into()));
    assert_eq!(check(FieldId::State, "", "DE"), Ok(String::new()));
}

#[test]
fn phones_are_stored_in_e164() {
    assert_eq!(
        check(FieldId::Phone, "030 1234567", "DE"),
        Ok("+49301234567".into())
    );
    assert_eq!(
        check(FieldId::Phone, "(425) 882-8080", "US"),
        Ok("+14258828080".into())
    );
    assert_eq!(
        check(FieldId::Phone, "+44 20 7946 0958", "GB"),
        Ok("+442079460958".into())
    );
    assert_eq!(
        check(FieldId::Phone, "", "DE"),
        Ok(String::new()),
        "optional in DE"
    );
    assert!(
        check(FieldId::Phone, "", "IN")
            .unwrap_err()
            .contains("required for India")
    );
    assert!(
        check(FieldId::Phone, "", "HU").is_err(),
        "registration-number countries need a phone"
    );
    assert!(check(FieldId::Phone, "12", "DE").is_err());
    assert!(check(FieldId::Phone, "call me", "DE").is_err());
}

#[test]
fn phones_are_shown_in_the_national_format() {
    assert_eq!(phone_for_display("+49301234567", "DE"), "030 1234567");
    assert_eq!(phone_for_display("+14258828080", "US"), "(425) 882-8080");
    assert_eq!(phone_for_display("not a number", "US"), "not a number");
}

#[test]
fn emails_are_parsed_not_guessed() {
    let ok = |v: &str| check(FieldId::Email, v, "DE");
    assert_eq!(
        ok("Anna.Kowalska@Kowalski-Logistyka.PL"),
        Ok("Anna.Kowalska@kowalski-logistyka.pl".into())
    );
    for bad in [
        "",
        "anna",
        "anna@",
        "@x.de",
        "a@b",
        "a b@c.de",
        "a@@b.de",
        "Anna <a@b.de>",
        "a@[1.2.3.4]",
    ] {
        assert!(ok(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_partner_domain_is_refused_for_customers() {
    let policy = Policy {
        partner_domain: Some("fabrikam.com".into()),
    };
    let record = in_country("DE");
    let err = check_field(FieldId::Email, "me@fabrikam.com", &record, &policy).unwrap_err();
    assert!(err.contains("your own domain"), "{err}");
    assert!(check_field(FieldId::Email, "me@mail.Fabrikam.com", &record, &policy).is_err());
    assert!(check_field(FieldId::Email, "me@notfabrikam.com", &record, &policy).is_ok());
}

#[test]
fn cultures_must_fit_the_country() {
    assert_eq!(check(FieldId::Culture, "de-de", "DE"), Ok("de-DE".into()));
    assert_eq!(check(FieldId::Culture, "fr-CH", "CH"), Ok("fr-CH".into()));
    assert_eq!(check(FieldId::Culture, "it-ch", "CH"), Ok("it-CH".into()));
    let err = check(FieldId::Culture, "en-US", "DE").unwrap_err();
    assert!(err.contains("for Germany must be one of de-DE"), "{err}");
}

#[test]
fn language_is_two_letters() {
    assert_eq!(check(FieldId::Language, "DE", "DE"), Ok("de".into()));
    assert!(check(FieldId::Language, "deu", "DE").is_err());
    assert!(check(FieldId::Language, "d1", "DE").is_err());
}

#[test]
fn company_names_are_real_names() {
    let name = |v: &str| check(FieldId::CompanyName, v, "DE");
    assert_eq!(name("  Contoso GmbH "), Ok("Contoso GmbH".into()));
    assert_eq!(name("3M"), Ok("3M".into()));
    assert!(name("").is_err());
    assert!(name("X").unwrap_err().contains("single character"));
    assert!(name("...").unwrap_err().contains("punctuation"));
    for bare in ["GmbH", "Inc.", "LLC", "Ltd", "Sp. z o.o.", "株式会社"] {
        assert!(
            name(bare).unwrap_err().contains("only a legal form"),
            "{bare}"
        );
    }
}

#[test]
fn odd_company_names_are_warnings_not_errors() {
    assert!(warning(FieldId::CompanyName, "Contoso.com").is_some());
    assert!(warning(FieldId::CompanyName, "1111").is_some());
    assert!(warning(FieldId::CompanyName, "Contoso GmbH").is_none());
    assert!(check(FieldId::CompanyName, "Contoso.com", "DE").is_ok());
}

#[test]
fn names_and_address_lines_have_their_lengths() {
    assert!(check(FieldId::FirstName, "", "DE").is_err());
    assert!(check(FieldId::FirstName, &"a".repeat(50), "DE").is_ok());
    assert!(
        check(FieldId::FirstName, &"a".repeat(51), "DE")
            .unwrap_err()
            .contains("at most 50")
    );
    assert!(check(FieldId::Line1, "", "DE").is_err());
    assert!(check(FieldId::Line1, &"a".repeat(201), "DE").is_err());
    assert_eq!(check(FieldId::Line2, "", "DE"), Ok(String::new()));
}

#[test]
fn registration_number_only_where_the_country_needs_it() {
    assert!(
        check(FieldId::RegistrationNumber, "", "HU")
            .unwrap_err()
            .contains("Hungary")
    );
    assert_eq!(
        check(FieldId::RegistrationNumber, "01-09-123456", "HU"),
        Ok("01-09-123456".into())
    );
    assert_eq!(
        check(FieldId::RegistrationNumber, "", "DE"),
        Ok(String::new())
    );
}

#[test]
fn uk_is_refused_with_the_right_code() {
    let err = check(FieldId::Country, "UK", "UK").unwrap_err();
    assert!(err.contains("GB"), "{err}");
    // Every country-dependent field says the country is the problem.
    let err = check(FieldId::PostalCode, "SW1A 1AA", "UK").unwrap_err();
    assert!(err.starts_with("country:"), "{err}");
}

#[test]
fn control_characters_are_refused_everywhere() {
    let r = in_country("DE");
    for f in FIELDS.iter().filter(|f| f.editable) {
        let err = check_field(f.id, "Evil\u{1b}[2J", &r, &Policy::default()).unwrap_err();
        assert!(err.contains("U+001B"), "{err}");
        assert!(check_field(f.id, "a\u{202E}b", &r, &Policy::default()).is_err());
    }
}

#[test]
fn check_record_lists_every_error_and_normalises_the_rest() {
    let mut r = in_country("DE");
    r.company.name.clear();
    r.billing.email = "nope".into();
    r.billing.phone = "030 1234567".into();
    let errors = check_record(&r, &Policy::default()).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
    assert_eq!(fields, [FieldId::CompanyName, FieldId::Email]);
    // In place, an invalid record is left exactly as it was given.
    let given = r.clone();
    assert!(normalise_record(&mut r, &Policy::default()).is_err());
    assert_eq!(r, given);
    r.company.name = "Contoso".into();
    r.billing.email = "a@contoso.de".into();
    let ok = check_record(&r, &Policy::default()).unwrap();
    assert_eq!(ok.billing.phone, "+49301234567");
    normalise_record(&mut r, &Policy::default()).unwrap();
    assert_eq!(r, ok);
}

#[test]
fn the_demo_customers_are_all_valid() {
    for c in crate::demo::demo_customers().unwrap() {
        if let Err(errors) = check_record(&c, &Policy::default()) {
            panic!(
                "{} ({}): {errors:?}",
                c.company.name, c.billing.address.country
            );
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const COUNTRIES: &[&str] = &[
        "US", "DE", "GB", "CA", "JP", "IN", "BR", "NL", "CH", "HU", "AE", "XX",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any input: no panic, and whatever is accepted is accepted again,
        /// unchanged, once normalised.
        #[test]
        fn validators_never_panic_and_are_idempotent(
            value in any::<String>(),
            field in 0usize..FIELDS.len(),
            country in 0usize..COUNTRIES.len(),
        ) {
            let field = FIELDS[field].id;
            let record = in_country(COUNTRIES[country]);
            let policy = Policy { partner_domain: Some("fabrikam.com".into()) };
            if let Ok(normalised) = check_field(field, &value, &record, &policy) {
                prop_assert_eq!(check_field(field, &normalised, &record, &policy), Ok(normalised.clone()));
            }
        }

        /// Inputs shaped like the real thing, to reach past the first check.
        #[test]
        fn plausible_inputs_are_idempotent(
            value in "[ a-zA-Z0-9+()./@-]{0,24}",
            field in 0usize..FIELDS.len(),
            country in 0usize..COUNTRIES.len(),
        ) {
            let field = FIELDS[field].id;
            let record = in_country(COUNTRIES[country]);
            if let Ok(normalised) = check_field(field, &value, &record, &Policy::default()) {
                prop_assert_eq!(check_field(field, &normalised, &record, &Policy::default()), Ok(normalised.clone()));
            }
        }
    }
}
