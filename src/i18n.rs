//! German and English. Every text an operator reads comes from a catalogue,
//! `assets/i18n/en.toml` or `assets/i18n/de.toml`, compiled in. A key is its
//! table path joined with dots (`[status]` `saved = …` is `status.saved`);
//! `{name}` in a text is filled by the argument of that name:
//!
//! ```
//! konto::i18n::set_lang(konto::i18n::Lang::De);
//! assert_eq!(konto::t!("status.sorted", order = "Land"), "Sortiert nach Land");
//! ```
//!
//! The language (and the time zone dates are shown in) is per thread, as the
//! theme is: `ui::draw` and `app::update` set it from the state, so tests
//! running side by side in German and English do not disturb each other. A
//! key missing from a catalogue never stops konto: the English text is used,
//! else the key itself.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    #[default]
    En,
    De,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The code used on the command line and in the config (`en`, `de`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language a POSIX locale (`de_DE.UTF-8`, `de`, `C`) asks for:
    /// German for `de` and `de_*`, English for anything else.
    pub fn from_locale(locale: &str) -> Lang {
        let language = locale.split(['_', '.', '@', '-']).next().unwrap_or("");
        if language.eq_ignore_ascii_case("de") {
            Lang::De
        } else {
            Lang::En
        }
    }
}

/// The language konto speaks: the `--lang` flag, else the config's
/// `language`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: the first
/// that is set and not empty, as POSIX reads them), else English.
pub fn resolve(
    flag: Option<Lang>,
    config: Option<&str>,
    lc_all: Option<&str>,
    lc_messages: Option<&str>,
    lang: Option<&str>,
) -> Lang {
    flag.or_else(|| config.and_then(Lang::from_code))
        .or_else(|| {
            [lc_all, lc_messages, lang]
                .into_iter()
                .flatten()
                .find(|v| !v.is_empty())
                .map(Lang::from_locale)
        })
        .unwrap_or_default()
}

/// Where dates are shown: in UTC (tests, for screens that do not depend on
/// the machine) or in the operator's local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Zone {
    #[default]
    Utc,
    Local,
}

impl Zone {
    /// The offset from UTC at `time` (local time changes with summer time).
    pub fn offset_at(self, time: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Utc => Utc.fix(),
            Zone::Local => chrono::Local
                .offset_from_utc_datetime(&time.naive_utc())
                .fix(),
        }
    }
}

/// Language and time zone: how texts and dates are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Locale {
    pub lang: Lang,
    pub zone: Zone,
}

thread_local! {
    static CURRENT: Cell<Locale> = const { Cell::new(Locale { lang: Lang::En, zone: Zone::Utc }) };
}

pub fn set_locale(locale: Locale) {
    CURRENT.with(|c| c.set(locale));
}

pub fn locale() -> Locale {
    CURRENT.with(Cell::get)
}

/// Sets the language of this thread (the zone stays).
pub fn set_lang(lang: Lang) {
    set_locale(Locale { lang, ..locale() });
}

pub fn lang() -> Lang {
    locale().lang
}

const EN_TOML: &str = include_str!("../assets/i18n/en.toml");
const DE_TOML: &str = include_str!("../assets/i18n/de.toml");

type Catalogue = HashMap<String, String>;

/// A catalogue's text, flattened to `dotted.key → text`. A file that does not
/// parse gives an empty catalogue (a test makes sure both parse).
pub fn parse(text: &str) -> Result<Catalogue, String> {
    fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) -> Result<(), String> {
        for (key, value) in table {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::String(text) => {
                    out.insert(path, text.clone());
                }
                toml::Value::Table(inner) => flatten(&path, inner, out)?,
                _ => return Err(format!("{path}: a text is expected")),
            }
        }
        Ok(())
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Catalogue::new();
    flatten("", &table, &mut out)?;
    Ok(out)
}

pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static EN: OnceLock<Catalogue> = OnceLock::new();
    static DE: OnceLock<Catalogue> = OnceLock::new();
    let (cell, text) = match lang {
        Lang::En => (&EN, EN_TOML),
        Lang::De => (&DE, DE_TOML),
    };
    cell.get_or_init(|| parse(text).unwrap_or_default())
}

/// The text of `key` in the current language, or in English where the
/// current catalogue lacks it.
pub fn lookup(key: &str) -> Option<&'static str> {
    catalogue(lang())
        .get(key)
        .or_else(|| catalogue(Lang::En).get(key))
        .map(String::as_str)
}

/// The text of `key` (see `t!`).
pub fn t(key: &'static str) -> &'static str {
    lookup(key).unwrap_or(key)
}

/// The text of `key` with its `{name}` placeholders filled. With a `count`
/// of 1 the catalogue's `key_one` is used where it has one ("1 customer",
/// not "1 customers").
pub fn tr(key: &'static str, args: &[(&str, &dyn Display)]) -> String {
    let one = args
        .iter()
        .any(|(name, value)| *name == "count" && value.to_string() == "1");
    let singular = one.then(|| lookup(&format!("{key}_one"))).flatten();
    fill(singular.unwrap_or_else(|| t(key)), args)
}

/// Replaces each `{name}` in `text` with its argument; unknown names stay.
pub fn fill(text: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let arg = after
            .find('}')
            .and_then(|close| Some((args.iter().find(|(n, _)| *n == &after[..close])?, close)));
        match arg {
            Some(((_, value), close)) => {
                out.push_str(&value.to_string());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a text, sorted.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// A moment as the language writes it, at `offset` from UTC: German
/// `26.11.2026, 14:56`, English `26 Nov 2026, 14:56`.
pub fn format_time(time: DateTime<Utc>, offset: FixedOffset, lang: Lang) -> String {
    let local = time.with_timezone(&offset);
    match lang {
        Lang::De => local.format("%d.%m.%Y, %H:%M").to_string(),
        Lang::En => local.format("%-d %b %Y, %H:%M").to_string(),
    }
}

/// The hour and minute of a moment in this thread's zone (`14:03`).
pub fn clock(time: DateTime<Utc>) -> String {
    let zone = locale().zone;
    time.with_timezone(&zone.offset_at(time))
        .format("%H:%M")
        .to_string()
}

/// A moment in this thread's language and zone.
pub fn time(time: DateTime<Utc>) -> String {
    let Locale { lang, zone } = locale();
    format_time(time, zone.offset_at(time), lang)
}

/// `t!("key")` is the text of `key`; `t!("key", name = value, …)` fills the
/// placeholders `{name}`.
#[macro_export]
macro_rules! t {
    ($key:literal) => {
        $crate::i18n::t($key)
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::tr(
            $key,
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),+],
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_the_config_then_the_locale() {
        let de = Some(Lang::De);
        let en = Some(Lang::En);
        assert_eq!(
            resolve(en, Some("de"), Some("de_DE.UTF-8"), None, None),
            Lang::En
        );
        assert_eq!(resolve(de, Some("en"), None, None, None), Lang::De);
        assert_eq!(
            resolve(None, Some("de"), Some("en_US"), None, None),
            Lang::De
        );
        assert_eq!(
            resolve(None, Some("en"), Some("de_DE"), None, None),
            Lang::En
        );
        assert_eq!(
            resolve(None, None, Some("de_AT.UTF-8"), None, None),
            Lang::De
        );
        assert_eq!(resolve(None, None, None, None, None), Lang::En);
    }

    #[test]
    fn the_locale_is_read_as_posix_does() {
        // LC_ALL before LC_MESSAGES before LANG; empty ones do not count.
        assert_eq!(
            resolve(None, None, Some("C"), Some("de_DE"), None),
            Lang::En
        );
        assert_eq!(
            resolve(None, None, Some(""), Some("de_DE"), Some("en")),
            Lang::De
        );
        assert_eq!(
            resolve(None, None, None, None, Some("de_CH.UTF-8")),
            Lang::De
        );
        assert_eq!(resolve(None, None, None, None, Some("de")), Lang::De);
        assert_eq!(resolve(None, None, None, None, Some("dex_XX")), Lang::En);
        assert_eq!(resolve(None, None, None, None, Some("POSIX")), Lang::En);
        assert_eq!(
            resolve(None, Some("xx"), None, None, Some("de_DE")),
            Lang::De
        );
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        let args: &[(&str, &dyn Display)] = &[("name", &"Contoso"), ("n", &3)];
        assert_eq!(
            fill("Saved {name} (version {n})", args),
            "Saved Contoso (version 3)"
        );
        assert_eq!(fill("{other} {name", args), "{other} {name");
        assert_eq!(
            placeholders("{b} and {a} and {b}, not { } or {x y}"),
            ["a", "b"]
        );
    }

    #[test]
    fn a_missing_key_falls_back_to_english_then_to_the_key() {
        set_lang(Lang::De);
        assert_eq!(t("no.such.key"), "no.such.key");
        assert_eq!(lookup("no.such.key"), None);
        set_lang(Lang::En);
    }

    #[test]
    fn dates_are_written_the_languages_way_at_the_given_offset() {
        let time = DateTime::parse_from_rfc3339("2026-11-26T13:56:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let berlin = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(format_time(time, berlin, Lang::De), "26.11.2026, 14:56");
        assert_eq!(format_time(time, berlin, Lang::En), "26 Nov 2026, 14:56");
        let utc = Utc.fix();
        assert_eq!(format_time(time, utc, Lang::En), "26 Nov 2026, 13:56");
        let early = FixedOffset::west_opt(14 * 3600).unwrap();
        assert_eq!(format_time(time, early, Lang::De), "25.11.2026, 23:56");
    }
}
