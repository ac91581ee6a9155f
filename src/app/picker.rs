//! A small filterable chooser for fields with a fixed list of values (the
//! state of a country with a list, the culture).

use tui_input::Input;

use super::TextEdit;

use crate::countries::{Country, countries};
use crate::domain::{Customer, FieldId};

#[derive(Clone, Debug)]
pub struct PickOption {
    /// What is stored when picked.
    pub value: String,
    /// What the operator reads (and types to narrow).
    pub label: String,
    search: String,
}

#[derive(Clone, Debug)]
pub struct Picker {
    pub field: FieldId,
    pub title: String,
    pub options: Vec<PickOption>,
    pub query: Input,
    /// Indexes into `options` that match the query.
    pub matches: Vec<usize>,
    /// Index into `matches`.
    pub selected: usize,
}

/// The fields with a list: the state where the country has a list of
/// them, and the culture.
fn lists(field: FieldId, country: &Country) -> bool {
    (field == FieldId::State && country.has_state_list()) || field == FieldId::Culture
}

fn option(value: &str, label: String) -> PickOption {
    searched_as(value, label, &[])
}

/// An option that is also found by `more` (a state's other spellings).
fn searched_as(value: &str, label: String, more: &[String]) -> PickOption {
    let search = format!("{value} {label} {}", more.join(" ")).to_lowercase();
    PickOption {
        value: value.to_string(),
        label,
        search,
    }
}

impl Picker {
    /// Whether `field` has a list to pick from for a record of `country`.
    pub fn has_list(field: FieldId, country: &str) -> bool {
        countries()
            .get(country)
            .is_some_and(|country| lists(field, country))
    }

    /// The chooser for `field` of `record`, if that field has a list.
    pub fn for_field(field: FieldId, record: &Customer, current: &str) -> Option<Picker> {
        let country = countries().get(&record.billing.address.country)?;
        if !lists(field, country) {
            return None;
        }
        let (title, options): (String, Vec<PickOption>) = if field == FieldId::State {
            (
                crate::t!(
                    "dialog.pick_state",
                    label = country.state_title(),
                    country = country.title()
                ),
                country
                    .states
                    .iter()
                    .map(|s| {
                        searched_as(&s.code, format!("{:<4} {}", s.code, s.label()), &s.aliases)
                    })
                    .collect(),
            )
        } else {
            (
                crate::t!("dialog.pick_culture", country = country.title()),
                country
                    .cultures
                    .iter()
                    .map(|c| option(c, c.clone()))
                    .collect(),
            )
        };
        let mut picker = Picker {
            field,
            title,
            options,
            query: Input::default(),
            matches: Vec::new(),
            selected: 0,
        };
        picker.refilter();
        let current = current.trim().to_lowercase();
        if let Some(at) = picker
            .matches
            .iter()
            .position(|&i| picker.options[i].value.to_lowercase() == current)
        {
            picker.selected = at;
        }
        Some(picker)
    }

    fn refilter(&mut self) {
        let query = self.query.value().trim().to_lowercase();
        self.matches = (0..self.options.len())
            .filter(|&i| self.options[i].search.contains(&query))
            .collect();
        self.selected = 0;
    }

    pub fn edit(&mut self, edit: &TextEdit) {
        if edit.apply(&mut self.query) {
            self.refilter();
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.matches.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn chosen(&self) -> Option<&PickOption> {
        self.matches
            .get(self.selected)
            .and_then(|&i| self.options.get(i))
    }
}
