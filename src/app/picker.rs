//! A small filterable chooser for fields with a fixed list of values (the
//! state of a country with a list, the culture).

use tui_input::Input;

use super::TextEdit;

use crate::countries::countries;
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
    /// The chooser for `field` of `record`, if that field has a list.
    pub fn for_field(field: FieldId, record: &Customer, current: &str) -> Option<Picker> {
        let country = countries().get(&record.billing.address.country)?;
        let (title, options): (String, Vec<PickOption>) = match field {
            FieldId::State if country.has_state_list() => (
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
            ),
            FieldId::Culture => (
                crate::t!("dialog.pick_culture", country = country.title()),
                country
                    .cultures
                    .iter()
                    .map(|c| option(c, c.clone()))
                    .collect(),
            ),
            _ => return None,
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
