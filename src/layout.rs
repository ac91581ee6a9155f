//! Where things go on the screen. Shared by `ui` (which draws there) and `app`
//! (which needs the list's height to page and to keep the selection in view).

use ratatui::layout::{Constraint, Layout, Rect};

/// The regions of the main screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub list: Rect,
    pub detail: Rect,
    pub status: Rect,
    pub keys: Rect,
}

/// The smallest terminal konto draws its screens in; below it says how
/// large it needs to be instead of drawing a broken layout.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// Below this width the detail goes under the list instead of beside it.
pub const SIDE_BY_SIDE_WIDTH: u16 = 90;

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

pub fn screen(area: Rect) -> Screen {
    let [header, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let halves = [Constraint::Percentage(50), Constraint::Percentage(50)];
    let [list, detail] = if area.width >= SIDE_BY_SIDE_WIDTH {
        Layout::horizontal(halves).areas(body)
    } else {
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(body)
    };
    Screen {
        header,
        list,
        detail,
        status,
        keys,
    }
}

/// How many customers the list shows at once in a terminal of this size
/// (the list pane has a border on each side).
pub fn list_rows(width: u16, height: u16) -> usize {
    let list = screen(Rect::new(0, 0, width, height)).list;
    usize::from(list.height.saturating_sub(2)).max(1)
}

/// The Update form's columns: a 2-column margin (the change marker), the
/// label, the input, then the field's message where it fits.
pub const FORM_LABEL_COLUMNS: usize = 22;
pub const FORM_INPUT_COLUMNS: usize = 44;

/// Where the form's lines go: over list and detail, inside its border.
pub fn form_body(area: Rect) -> Rect {
    let screen = screen(area);
    screen
        .list
        .union(screen.detail)
        .inner(ratatui::layout::Margin::new(1, 1))
}

/// The form's input and message widths in a body `width` columns wide.
pub fn form_columns(width: u16) -> (usize, usize) {
    let width = usize::from(width);
    let input = FORM_INPUT_COLUMNS.min(width.saturating_sub(FORM_LABEL_COLUMNS + 2));
    let message = width.saturating_sub(FORM_LABEL_COLUMNS + 2 + input + 1);
    (input, message)
}
