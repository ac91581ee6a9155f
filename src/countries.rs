//! Per-country address rules, read from `assets/countries.json` (data, not
//! code: adding a country is an edit of that file).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

const COUNTRIES_JSON: &str = include_str!("../assets/countries.json");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateEntry {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostalFormatSpec {
    pattern: String,
    format: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountrySpec {
    name: String,
    name_de: String,
    state_required: bool,
    state_label: String,
    states: Vec<StateEntry>,
    city_required: bool,
    postal_required: bool,
    postal_formats: Vec<PostalFormatSpec>,
    postal_example: String,
    postal_hint: String,
    postal_hint_de: String,
    phone_required: bool,
    registration_required: bool,
    cultures: Vec<String>,
    default_culture: String,
}

/// One country's rules, with its postal patterns compiled.
#[derive(Clone, Debug)]
pub struct Country {
    pub code: String,
    pub name: String,
    pub name_de: String,
    pub state_required: bool,
    pub state_label: String,
    pub states: Vec<StateEntry>,
    /// Each state's code, name and aliases folded (`fold`) → its index in
    /// `states`: folded once here, not for every record checked.
    state_index: HashMap<String, usize>,
    pub city_required: bool,
    pub postal_required: bool,
    postal_formats: Vec<(Regex, String)>,
    pub postal_example: String,
    pub postal_hint: String,
    pub postal_hint_de: String,
    pub phone_required: bool,
    pub registration_required: bool,
    pub cultures: Vec<String>,
    pub default_culture: String,
}

impl Country {
    /// The country's name in the operator's language.
    pub fn title(&self) -> &str {
        match crate::i18n::lang() {
            crate::i18n::Lang::De => &self.name_de,
            crate::i18n::Lang::En => &self.name,
        }
    }

    /// What the country calls its states (State, Province, …), in the
    /// operator's language.
    pub fn state_title(&self) -> &str {
        crate::i18n::lookup(&format!("state_label.{}", self.state_label))
            .unwrap_or(&self.state_label)
    }

    /// How its postal codes are written ("5 digits"), in the operator's
    /// language.
    pub fn postal_hint_text(&self) -> &str {
        match crate::i18n::lang() {
            crate::i18n::Lang::De => &self.postal_hint_de,
            crate::i18n::Lang::En => &self.postal_hint,
        }
    }

    pub fn has_postal_codes(&self) -> bool {
        !self.postal_formats.is_empty()
    }

    /// The postal code in the country's canonical form, if it fits one of
    /// the country's patterns (case, spaces and hyphens do not matter).
    pub fn normalise_postal(&self, value: &str) -> Option<String> {
        let compact: String = value
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect();
        self.postal_formats.iter().find_map(|(pattern, format)| {
            let captures = pattern.captures(&compact)?;
            let mut out = String::new();
            captures.expand(format, &mut out);
            Some(out)
        })
    }

    /// The state's code for a code, name or alias typed in any case.
    pub fn find_state(&self, value: &str) -> Option<&StateEntry> {
        self.state_index
            .get(&fold(value))
            .and_then(|&i| self.states.get(i))
    }

    pub fn has_state_list(&self) -> bool {
        !self.states.is_empty()
    }
}

/// Lower case without accents, for matching names as people type them.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.trim()
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// All countries konto knows the rules of.
#[derive(Debug, Default)]
pub struct Countries {
    by_code: BTreeMap<String, Country>,
}

impl Countries {
    pub fn parse(json: &str) -> Result<Countries, String> {
        let specs: BTreeMap<String, CountrySpec> =
            serde_json::from_str(json).map_err(|e| format!("country rules: {e}"))?;
        let mut by_code = BTreeMap::new();
        for (code, spec) in specs {
            let postal_formats = spec
                .postal_formats
                .into_iter()
                .map(|f| {
                    Regex::new(&f.pattern)
                        .map(|r| (r, f.format))
                        .map_err(|e| format!("country rules: {code}: {e}"))
                })
                .collect::<Result<_, _>>()?;
            let mut state_index = HashMap::new();
            // In list order, the first state to claim a spelling keeps it.
            for (i, state) in spec.states.iter().enumerate() {
                for spelling in [&state.code, &state.name].into_iter().chain(&state.aliases) {
                    state_index.entry(fold(spelling)).or_insert(i);
                }
            }
            let country = Country {
                code: code.clone(),
                name: spec.name,
                name_de: spec.name_de,
                state_required: spec.state_required,
                state_label: spec.state_label,
                states: spec.states,
                state_index,
                city_required: spec.city_required,
                postal_required: spec.postal_required,
                postal_formats,
                postal_example: spec.postal_example,
                postal_hint: spec.postal_hint,
                postal_hint_de: spec.postal_hint_de,
                phone_required: spec.phone_required,
                registration_required: spec.registration_required,
                cultures: spec.cultures,
                default_culture: spec.default_culture,
            };
            by_code.insert(code, country);
        }
        Ok(Countries { by_code })
    }

    pub fn get(&self, code: &str) -> Option<&Country> {
        self.by_code.get(code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Country> {
        self.by_code.values()
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

/// The rules shipped in `assets/` (parsed once). A unit test proves the
/// shipped file parses; were it ever broken, every country would be
/// "unknown" and no record could be saved — never a panic.
pub fn countries() -> &'static Countries {
    static COUNTRIES: OnceLock<Countries> = OnceLock::new();
    COUNTRIES.get_or_init(|| Countries::parse(COUNTRIES_JSON).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse_and_cover_the_required_countries() {
        let all = Countries::parse(COUNTRIES_JSON).unwrap();
        assert!(all.len() >= 30);
        for code in "US CA MX GB DE FR NL PL CH AT IT ES PT SE DK NO IE BE JP CN IN AU NZ BR ZA AE SA TR SG KR AM AZ BY HU KZ KG MD RU TJ UZ UA".split(' ') {
            assert!(all.get(code).is_some(), "{code} missing");
        }
        for country in all.iter() {
            assert!(
                country.cultures.contains(&country.default_culture),
                "{}",
                country.code
            );
            if country.has_postal_codes() {
                assert_eq!(
                    country.normalise_postal(&country.postal_example).as_deref(),
                    Some(country.postal_example.as_str()),
                    "{}: the example is canonical",
                    country.code
                );
            }
            assert_eq!(
                country.state_required,
                country.has_state_list(),
                "{}",
                country.code
            );
        }
    }

    #[test]
    fn postal_codes_are_normalised_to_the_canonical_form() {
        let c = countries();
        let cases = [
            ("US", "98052", "98052"),
            ("US", "980526399", "98052-6399"),
            ("US", "98052-6399", "98052-6399"),
            ("GB", "sw1a1aa", "SW1A 1AA"),
            ("GB", "M1 1AE", "M1 1AE"),
            ("CA", "k1a0b1", "K1A 0B1"),
            ("NL", "1012ab", "1012 AB"),
            ("PL", "00950", "00-950"),
            ("JP", "1000005", "100-0005"),
            ("BR", "01310100", "01310-100"),
            ("DE", " 10115 ", "10115"),
        ];
        for (country, input, expected) in cases {
            let got = c.get(country).unwrap().normalise_postal(input);
            assert_eq!(got.as_deref(), Some(expected), "{country} {input}");
        }
        for (country, input) in [
            ("DE", "1234"),
            ("US", "9805"),
            ("CA", "123456"),
            ("NL", "0123AB"),
        ] {
            assert_eq!(
                c.get(country).unwrap().normalise_postal(input),
                None,
                "{country} {input}"
            );
        }
    }

    #[test]
    fn states_are_found_by_code_name_or_alias_in_any_case() {
        let c = countries();
        let us = c.get("US").unwrap();
        assert_eq!(us.find_state("washington").unwrap().code, "WA");
        assert_eq!(us.find_state("wa").unwrap().code, "WA");
        assert_eq!(us.find_state(" New York ").unwrap().code, "NY");
        assert!(us.find_state("Bavaria").is_none());
        let ca = c.get("CA").unwrap();
        assert_eq!(ca.find_state("Quebec").unwrap().code, "QC");
        assert_eq!(ca.find_state("Québec").unwrap().code, "QC");
        let br = c.get("BR").unwrap();
        assert_eq!(br.find_state("sao paulo").unwrap().code, "SP");
    }
}
