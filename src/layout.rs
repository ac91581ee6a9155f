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

pub fn screen(area: Rect) -> Screen {
    let [header, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [list, detail] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
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
