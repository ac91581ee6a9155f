//! The Update form: one line editor per field of the catalogue, checked as
//! the operator goes.

use std::collections::BTreeMap;

use tui_input::Input;

use super::TextEdit;

use ratatui::layout::{Position, Rect};

use crate::domain::{Customer, FIELDS, FieldId, FieldSpec, Section};
use crate::draft::Draft;
use crate::layout;
use crate::text::width as width_of;
use crate::validate::{Policy, check_field, warning};

/// One line of the form.
#[derive(Clone, Debug)]
pub struct FormField {
    pub spec: &'static FieldSpec,
    pub input: Input,
}

/// What every form has: a line editor per field of the catalogue, the
/// focus and the messages. What only a single or only a bulk form has is in
/// its `kind`.
#[derive(Clone, Debug)]
pub struct Form {
    /// The record the fields started from: the customer as it was when the
    /// form opened (its version is the one the edit is based on), or for a
    /// bulk form an empty one.
    pub original: Customer,
    /// Every field of the catalogue, read-only ones included (shown dimmed).
    pub fields: Vec<FormField>,
    /// Index into `fields`; always an editable field.
    pub focus: usize,
    /// Current messages by field; a field with a message is re-checked on
    /// every keystroke until it is right.
    pub errors: BTreeMap<FieldId, String>,
    pub kind: FormKind,
    policy: Policy,
    /// Who changed the customer since the form opened, when, and what
    /// (the banner over the form); None while it is the stored version.
    pub changed_elsewhere: Option<String>,
}

/// What only one kind of form has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormKind {
    /// One customer's account.
    Single {
        /// The operator has seen the warnings and wants to go on.
        warnings_confirmed: bool,
    },
    /// The same change to several customers: the fields start empty and
    /// only the filled ones are applied.
    Bulk {
        /// The customers it applies to.
        ids: Vec<String>,
        /// Submitted before its customers' records were read: they are
        /// asked for then (not when the form opens, which would hold its
        /// first frame for every record), and the submit goes on once
        /// they are.
        reading: bool,
    },
}

impl FormKind {
    /// An edit makes warnings worth a look again.
    fn forget_warnings(&mut self) {
        if let FormKind::Single { warnings_confirmed } = self {
            *warnings_confirmed = false;
        }
    }
}

/// One line of the form as drawn, top to bottom (see `Form::lines`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormLine {
    Section(Section),
    /// The blank line before a section.
    Gap,
    /// The field at this index of `fields`; its message stands beside it
    /// unless a `Message` line follows.
    Field(usize),
    /// The message of the field at this index, under it (too wide beside).
    Message(usize),
}

/// A submit found the record changed since the form opened: a merge of
/// base (the form's version), theirs (stored now) and mine (typed).
#[derive(Clone, Debug)]
pub struct Conflict {
    pub theirs: Customer,
    /// Keys of the fields changed since the form's version.
    pub fields: Vec<String>,
    /// The fields both sides changed, to different values, with the
    /// operator's choice (true: theirs). Mine until chosen otherwise:
    /// konto never drops what was typed by itself.
    pub choices: Vec<(FieldId, bool)>,
    /// Index into `choices`.
    pub selected: usize,
}

/// How one field merges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// Neither side changed it.
    Unchanged,
    /// Only they changed it: theirs.
    Theirs,
    /// Only I changed it: mine.
    Mine,
    /// Both changed it to the same value.
    Same,
    /// Both changed it differently: the choice (true: theirs).
    Chosen(bool),
}

impl Conflict {
    pub fn new(form: &Form, theirs: Customer, fields: Vec<String>) -> Conflict {
        let choices = FIELDS
            .iter()
            .filter(|f| f.editable && form.is_changed(f.id))
            .filter(|f| {
                let stored = theirs.field(f.id);
                stored != form.original.field(f.id) && stored != form.value(f.id)
            })
            .map(|f| (f.id, false))
            .collect();
        Conflict {
            theirs,
            fields,
            choices,
            selected: 0,
        }
    }

    /// How field `id` merges.
    pub fn merge_of(&self, form: &Form, id: FieldId) -> Merge {
        if let Some((_, theirs)) = self.choices.iter().find(|(f, _)| *f == id) {
            return Merge::Chosen(*theirs);
        }
        let theirs_changed = self.theirs.field(id) != form.original.field(id);
        match (theirs_changed, form.is_changed(id)) {
            (false, false) => Merge::Unchanged,
            (true, false) => Merge::Theirs,
            (false, true) => Merge::Mine,
            (true, true) => Merge::Same,
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.choices.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Takes theirs (true) or mine for the selected field.
    pub fn choose(&mut self, take_theirs: bool) {
        if let Some((_, choice)) = self.choices.get_mut(self.selected) {
            *choice = take_theirs;
        }
    }

    pub fn selected_field(&self) -> Option<FieldId> {
        self.choices.get(self.selected).map(|(id, _)| *id)
    }
}

impl Form {
    pub fn new(customer: &Customer, policy: &Policy) -> Form {
        let fields = FIELDS
            .iter()
            .map(|spec| FormField {
                spec,
                input: Input::new(customer.field(spec.id).to_string()),
            })
            .collect();
        let mut form = Form {
            original: customer.clone(),
            fields,
            focus: 0,
            errors: BTreeMap::new(),
            kind: FormKind::Single {
                warnings_confirmed: false,
            },
            policy: policy.clone(),
            changed_elsewhere: None,
        };
        form.focus = form.next_editable(0, 1).unwrap_or(0);
        form
    }

    /// A bulk form for the customers `ids`: every field empty.
    pub fn bulk(ids: Vec<String>, policy: &Policy) -> Form {
        let mut form = Form::new(&Customer::default(), policy);
        form.kind = FormKind::Bulk {
            ids,
            reading: false,
        };
        form
    }

    /// The form of `customer` with the values of a draft typed on it: a
    /// draft typed on an older version is a conflict, as any stale edit.
    pub fn from_draft(customer: &Customer, draft: &Draft, policy: &Policy) -> Form {
        let mut form = Form::new(customer, policy);
        form.original.version = draft.version.min(customer.version);
        for (key, value) in &draft.values {
            if let Some(spec) = FIELDS.iter().find(|f| f.key == key) {
                form.focus_field(spec.id);
                form.set_focused(value);
            }
        }
        form.focus_field(FieldId::CompanyName);
        form.errors.clear();
        form
    }

    pub fn is_bulk(&self) -> bool {
        matches!(self.kind, FormKind::Bulk { .. })
    }

    /// A bulk form submitted before its customers' records were read.
    pub fn is_reading(&self) -> bool {
        matches!(self.kind, FormKind::Bulk { reading: true, .. })
    }

    pub fn focused(&self) -> Option<&FormField> {
        self.fields.get(self.focus)
    }

    pub fn focused_id(&self) -> Option<FieldId> {
        self.focused().map(|f| f.spec.id)
    }

    pub fn value(&self, id: FieldId) -> &str {
        self.fields
            .iter()
            .find(|f| f.spec.id == id)
            .map_or("", |f| f.input.value())
    }

    /// The record as typed (not yet validated or normalised).
    pub fn proposed(&self) -> Customer {
        let mut record = self.original.clone();
        for f in self.fields.iter().filter(|f| f.spec.editable) {
            record.set_field(f.spec.id, f.input.value().to_string());
        }
        record
    }

    pub fn is_changed(&self, id: FieldId) -> bool {
        self.value(id) != self.original.field(id)
    }

    pub fn is_dirty(&self) -> bool {
        self.fields.iter().any(|f| self.is_changed(f.spec.id))
    }

    /// The first editable field at or after `start` going in `step` direction
    /// (wrapping around), if there is any.
    fn next_editable(&self, start: usize, step: isize) -> Option<usize> {
        let n = self.fields.len();
        (0..n)
            .map(|i| (start as isize + step * i as isize).rem_euclid(n as isize) as usize)
            .find(|&i| self.fields[i].spec.editable)
    }

    /// Moves focus to the next (`step` = 1) or previous (-1) editable field,
    /// checking the field being left.
    pub fn move_focus(&mut self, step: isize) {
        if !self.is_bulk() {
            self.check_focused();
        }
        let start = (self.focus as isize + step).rem_euclid(self.fields.len() as isize) as usize;
        if let Some(i) = self.next_editable(start, step) {
            self.focus = i;
        }
    }

    pub fn focus_field(&mut self, id: FieldId) {
        if let Some(i) = self.fields.iter().position(|f| f.spec.id == id) {
            self.focus = i;
        }
    }

    /// The form's lines in a body `width` columns wide. The drawing and the
    /// mouse both go by it, so a click lands on the field that is drawn there.
    pub fn lines(&self, width: u16) -> Vec<FormLine> {
        let (_, message_columns) = layout::form_columns(width);
        let mut lines = Vec::new();
        let mut section = None;
        for (i, field) in self.fields.iter().enumerate() {
            if section != Some(field.spec.section) {
                if section.is_some() {
                    lines.push(FormLine::Gap);
                }
                section = Some(field.spec.section);
                lines.push(FormLine::Section(field.spec.section));
            }
            lines.push(FormLine::Field(i));
            if self
                .errors
                .get(&field.spec.id)
                .is_some_and(|m| width_of(m) > message_columns)
            {
                lines.push(FormLine::Message(i));
            }
        }
        lines
    }

    /// The first of `lines` shown in a body `height` lines high: just enough
    /// scrolling to keep the focused field in view, with one line below it
    /// (for a message under it) when there is room.
    pub fn scroll(&self, lines: &[FormLine], height: u16) -> usize {
        let focus_line = lines
            .iter()
            .position(|l| *l == FormLine::Field(self.focus))
            .unwrap_or(0);
        (focus_line + 2)
            .saturating_sub(usize::from(height))
            .min(focus_line)
    }

    /// A click at (`column`, `row`) of the screen, whose form body is
    /// `body`: focuses the editable field on that line (checking the one
    /// left, as Tab does), with the cursor at the clicked character.
    pub fn click(&mut self, body: Rect, column: u16, row: u16) {
        if !body.contains(Position::new(column, row)) {
            return;
        }
        let lines = self.lines(body.width);
        let line = self.scroll(&lines, body.height) + usize::from(row - body.y);
        let Some(FormLine::Field(index) | FormLine::Message(index)) = lines.get(line).copied()
        else {
            return;
        };
        if !self.fields.get(index).is_some_and(|f| f.spec.editable) {
            return;
        }
        let (input_columns, _) = layout::form_columns(body.width);
        // Where the clicked value is drawn from: a focused field scrolls
        // with its cursor, the others show their start.
        let shown_from = match self.fields.get(index) {
            Some(field) if index == self.focus => field.input.visual_scroll(input_columns),
            Some(_) | None => 0,
        };
        if index != self.focus {
            if !self.is_bulk() {
                self.check_focused();
            }
            self.focus = index;
        }
        let input_x = usize::from(column - body.x).checked_sub(layout::FORM_LABEL_COLUMNS + 2);
        if let (Some(x), Some(field)) = (input_x, self.fields.get_mut(index))
            && x < input_columns
        {
            let cursor = char_at_column(field.input.value(), shown_from + x);
            field.input = std::mem::take(&mut field.input).with_cursor(cursor);
        }
    }

    /// Applies an edit to the focused field.
    pub fn edit(&mut self, edit: &TextEdit) {
        if let Some(field) = self.fields.get_mut(self.focus) {
            edit.apply(&mut field.input);
            let id = field.spec.id;
            self.kind.forget_warnings();
            if self.errors.contains_key(&id) {
                self.check_focused();
            }
        }
    }

    /// Replaces the focused field's value (a pick from a list) and checks it.
    pub fn set_focused(&mut self, value: &str) {
        if let Some(field) = self.fields.get_mut(self.focus) {
            field.input = Input::new(value.to_string());
            self.kind.forget_warnings();
            self.check_focused();
        }
    }

    /// Checks the focused field and records or clears its message.
    fn check_focused(&mut self) {
        let Some(id) = self.focused_id() else {
            return;
        };
        let proposed = self.proposed();
        match check_field(id, proposed.field(id), &proposed, &self.policy) {
            Ok(_) => {
                self.errors.remove(&id);
            }
            Err(message) => {
                self.errors.insert(id, message);
            }
        }
    }

    /// Validates every field. On success returns the normalised record; on
    /// failure records every message and focuses the first bad field.
    pub fn validate(&mut self) -> Option<Customer> {
        let proposed = self.proposed();
        let mut normalised = proposed.clone();
        self.errors.clear();
        for f in self.fields.iter().filter(|f| f.spec.editable) {
            match check_field(
                f.spec.id,
                proposed.field(f.spec.id),
                &proposed,
                &self.policy,
            ) {
                Ok(value) => normalised.set_field(f.spec.id, value),
                Err(message) => {
                    self.errors.insert(f.spec.id, message);
                }
            }
        }
        let first_bad = self
            .fields
            .iter()
            .position(|f| self.errors.contains_key(&f.spec.id));
        match first_bad {
            Some(i) => {
                self.focus = i;
                None
            }
            None => Some(normalised),
        }
    }

    /// A new form on `theirs` (the stored record); with `reapply`, the fields
    /// this form changed keep the values typed here.
    pub fn rebased(&self, theirs: &Customer, reapply: bool) -> Form {
        let mut form = Form::new(theirs, &self.policy);
        if reapply {
            for (mine, field) in self.fields.iter().zip(form.fields.iter_mut()) {
                if mine.spec.editable && self.is_changed(mine.spec.id) {
                    field.input = mine.input.clone();
                }
            }
        }
        form.focus = self.focus;
        form
    }

    /// A new form on the stored record of `conflict` with the merge as
    /// chosen: theirs where only they changed a field, mine where only I
    /// did, and each field both changed as chosen.
    pub fn merged(&self, conflict: &Conflict) -> Form {
        let mut form = self.rebased(&conflict.theirs, true);
        let focus = form.focus;
        for (id, take_theirs) in &conflict.choices {
            if *take_theirs {
                form.focus_field(*id);
                form.set_focused(conflict.theirs.field(*id));
            }
        }
        form.focus = focus;
        form
    }

    /// The draft of a form with changes, or None when nothing was changed
    /// (a bulk form is not kept: its marks are not part of it).
    pub fn draft(&self) -> Option<Draft> {
        if !self.is_dirty() || self.is_bulk() {
            return None;
        }
        let values = FIELDS
            .iter()
            .filter(|f| f.editable)
            .map(|f| (f.key.to_string(), self.value(f.id).to_string()))
            .collect();
        Some(Draft {
            cloud: self.original.cloud,
            id: self.original.id.clone(),
            company: self.original.company.name.clone(),
            version: self.original.version,
            values,
        })
    }

    /// Warnings for the fields this edit changed (old data is not nagged
    /// about), as `(field, message)`.
    pub fn warnings(&self, normalised: &Customer) -> Vec<(FieldId, String)> {
        FIELDS
            .iter()
            .filter(|f| normalised.field(f.id) != self.original.field(f.id))
            .filter_map(|f| warning(f.id, normalised.field(f.id)).map(|m| (f.id, m)))
            .collect()
    }
}

/// The filled fields of a bulk form, as (field, value).
pub fn filled(fields: &[FormField]) -> Vec<(FieldId, String)> {
    fields
        .iter()
        .filter(|f| f.spec.editable && !f.input.value().trim().is_empty())
        .map(|f| (f.spec.id, f.input.value().to_string()))
        .collect()
}

/// The index of the character at display column `column` of `text` (the
/// end when the text is shorter).
fn char_at_column(text: &str, column: usize) -> usize {
    let mut at = 0;
    for (i, c) in text.chars().enumerate() {
        at += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if at > column {
            return i;
        }
    }
    text.chars().count()
}
