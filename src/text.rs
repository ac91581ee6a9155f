//! Text made safe and measured for the terminal.
//!
//! Customer data may hold anything. Before a string that came from data is
//! drawn, control characters and bidirectional overrides become visible
//! placeholders, so nothing in a record can move the cursor, retitle the window,
//! write the clipboard or reorder what the operator reads. Widths are display
//! columns (umlauts 1, CJK 2, combining marks 0).

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::validate::is_forbidden_char;

/// The visible stand-in for a character that must not reach the terminal.
fn placeholder(c: char) -> char {
    match c {
        // C0 controls have their own "symbol for" pictures: ␀ … ␟.
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
        '\u{7f}' => '␡',
        _ => '\u{FFFD}',
    }
}

/// `s` with every control character and bidi override replaced by a visible
/// placeholder; borrowed unchanged when there is nothing to replace.
pub fn safe(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_forbidden_char) {
        Cow::Owned(
            s.chars()
                .map(|c| {
                    if is_forbidden_char(c) {
                        placeholder(c)
                    } else {
                        c
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `columns` display columns, ending in `…` when cut, and
/// padded with spaces to exactly `columns`.
pub fn fit(s: &str, columns: usize) -> String {
    let s = safe(s);
    let mut out = String::with_capacity(columns + 4);
    if width(&s) <= columns {
        out.push_str(&s);
    } else {
        let mut used = 0;
        let budget = columns.saturating_sub(1);
        for c in s.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > budget {
                break;
            }
            used += w;
            out.push(c);
        }
        if columns > 0 {
            out.push('…');
        }
    }
    let pad = columns.saturating_sub(width(&out));
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// The part of `s` that starts `columns` display columns in (for a line
/// editor scrolled sideways).
pub fn skip_columns(s: &str, columns: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        if used >= columns {
            return &s[i..];
        }
        used += c.width().unwrap_or(0);
    }
    ""
}

/// `s` (made safe) broken into lines of at most `columns` display columns at
/// spaces; a word longer than a line is cut.
pub fn wrap(s: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in safe(s).split(' ') {
        let needed = width(&line) + usize::from(!line.is_empty()) + width(word);
        if !line.is_empty() && needed > columns {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        if width(&line) > columns {
            lines.push(fit(&line, columns).trim_end().to_string());
            line.clear();
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_become_visible() {
        assert_eq!(safe("a\u{1b}[2Jb"), "a␛[2Jb");
        assert_eq!(safe("bell\u{7}"), "bell␇");
        assert_eq!(safe("x\u{202E}y"), "x\u{FFFD}y");
        assert_eq!(safe("c1\u{9b}"), "c1\u{FFFD}");
        assert!(matches!(safe("Müller"), Cow::Borrowed(_)));
    }

    #[test]
    fn fit_counts_display_columns() {
        assert_eq!(fit("Müller", 8), "Müller  ");
        assert_eq!(
            fit("株式会社さくら", 8),
            "株式会… ",
            "a wide char that does not fit leaves a pad"
        );
        assert_eq!(width(&fit("株式会社さくら", 8)), 8);
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("", 3), "   ");
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn wrap_breaks_at_spaces_by_display_width() {
        assert_eq!(
            wrap("Allow Müller to buy", 11),
            ["Allow", "Müller to", "buy"]
        );
        assert_eq!(wrap("株式会社 さくら", 8), ["株式会社", "さくら"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("abcdefghij", 4), ["abc…"]);
    }

    #[test]
    fn skip_columns_steps_over_wide_characters() {
        assert_eq!(skip_columns("株式会社", 2), "式会社");
        assert_eq!(skip_columns("abc", 5), "");
        assert_eq!(skip_columns("abc", 0), "abc");
    }
}
