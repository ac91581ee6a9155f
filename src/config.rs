//! The config file: `config.toml` in the user's config directory
//! (`KONTO_CONFIG` overrides the path). Everything in it is optional; command
//! line flags and environment variables win over it. A file that does not
//! parse, or holds a wrong value, stops konto with a message naming the
//! file, the line and the key; unknown keys are warned about.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::keymap::{KeyMode, Keymap};
use crate::t;

#[derive(Debug, Default, Deserialize)]
pub struct Config {
    pub theme: Option<String>,
    pub cloud: Option<String>,
    pub operator: Option<String>,
    pub partner_domain: Option<String>,
    pub role: Option<String>,
    pub language: Option<String>,
    pub cache_mb: Option<u64>,
    pub mouse: Option<bool>,
    /// Where the customers are: a PostgreSQL URL or a directory.
    pub store: Option<String>,
    /// `[keys.MODE]` tables of `action = ["key", …]`.
    #[serde(default)]
    pub keys: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

const KNOWN: &[&str] = &[
    "theme",
    "cloud",
    "operator",
    "partner_domain",
    "role",
    "language",
    "cache_mb",
    "mouse",
    "store",
    "keys",
];

/// The config file's path: `KONTO_CONFIG`, else the platform's config
/// directory (Linux: `~/.config/konto/config.toml`).
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KONTO_CONFIG") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "konto").map(|d| d.config_dir().join("config.toml"))
}

/// Reads the config (a missing file is an empty config). Returns it with
/// warnings about keys konto does not know.
pub fn load(path: &Path) -> Result<(Config, Vec<String>), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Config::default(), Vec::new()));
        }
        Err(e) => return Err(t!("config.error", path = path.display(), reason = e)),
    };
    let fail = |e: toml::de::Error| {
        t!(
            "config.error",
            path = path.display(),
            reason = e.to_string().trim_end()
        )
    };
    let table: toml::Table = toml::from_str(&text).map_err(fail)?;
    let warnings: Vec<String> = table
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .map(|k| t!("config.unknown_key", path = path.display(), key = k))
        .collect();
    let config: Config = toml::from_str(&text).map_err(fail)?;
    let check = |key: &str, value: &Option<String>, allowed: &[&str]| match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(t!(
            "config.not_one_of",
            path = path.display(),
            key = key,
            value = v,
            allowed = allowed.join(", ")
        )),
        _ => Ok(()),
    };
    check("theme", &config.theme, &["dark", "light", "high-contrast"])?;
    check("cloud", &config.cloud, &["commercial", "usgov"])?;
    check("role", &config.role, &["admin", "sales", "helpdesk"])?;
    check("language", &config.language, &["en", "de"])?;
    // The key map must build, or konto does not start.
    keymap(&config).map_err(|e| t!("config.error", path = path.display(), reason = e))?;
    Ok((config, warnings))
}

/// The default key map with the config's `[keys.MODE]` overrides.
pub fn keymap(config: &Config) -> Result<Keymap, String> {
    let mut map = Keymap::default();
    for (mode_name, actions) in &config.keys {
        let Some(mode) = KeyMode::ALL.iter().find(|m| m.config_name() == mode_name) else {
            let names: Vec<&str> = KeyMode::ALL.iter().map(|m| m.config_name()).collect();
            return Err(t!(
                "config.not_a_mode",
                mode = mode_name,
                modes = names.join(", ")
            ));
        };
        for (action, keys) in actions {
            map.rebind(*mode, action, keys)
                .map_err(|e| t!("config.in_mode", mode = mode_name, reason = e))?;
        }
    }
    Ok(map)
}

/// A commented default config, for `konto config init`.
pub const DEFAULT_TEXT: &str = r#"# konto configuration. Everything is optional; command-line flags and
# environment variables (KONTO_THEME, KONTO_ROLE, …) win over this file.

# theme = "dark"              # dark | light | high-contrast (NO_COLOR turns colour off)
# cloud = "commercial"        # commercial | usgov: the cloud konto opens on
# operator = "anna"           # recorded in the audit trail (default: $USER)
# partner_domain = "fabrikam.com"   # customers' emails may not use it
# role = "admin"              # admin | sales | helpdesk
# language = "de"             # en | de (default: LC_ALL, LC_MESSAGES, LANG; de_* is German)
# cache_mb = 4                # sled's page cache
# mouse = true                # false leaves the mouse to the terminal

# Key bindings per mode: action = ["key", …]. Keys are written u, G, Enter,
# Esc, Tab, Shift-Tab, Space, Up, Down, PgUp, PgDn, Home, End, F1, Ctrl-S …
# The help (?) lists every mode's actions; the modes are browse, filter, form,
# confirm, review, pick, history, conflict, notice, help.
#
# [keys.browse]
# update = ["e", "Enter"]
# history = ["H"]
#
# [keys.form]
# submit = ["Ctrl-S", "F2"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<(Config, Vec<String>), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        load(&path)
            .map(|(c, w)| {
                (
                    c,
                    w.into_iter()
                        .map(|w| w.replace(&path.display().to_string(), "FILE"))
                        .collect(),
                )
            })
            .map_err(|e| e.replace(&path.display().to_string(), "FILE"))
    }

    #[test]
    fn the_default_text_is_a_valid_config() {
        let (config, warnings) = load_text(DEFAULT_TEXT).unwrap();
        assert!(warnings.is_empty());
        assert!(config.theme.is_none());
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let err = load_text("theme = \"dark\"\nrole = admin\n").unwrap_err();
        assert!(err.starts_with("config FILE: "), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn a_wrong_type_names_the_key() {
        let err = load_text("cache_mb = \"lots\"\n").unwrap_err();
        assert!(err.contains("cache_mb"), "{err}");
        assert!(err.contains("line 1"), "{err}");
        let err = load_text("theme = \"pink\"\n").unwrap_err();
        assert_eq!(
            err,
            "config FILE: theme = \"pink\" is not one of dark, light, high-contrast"
        );
    }

    #[test]
    fn unknown_keys_are_warned_about_not_fatal() {
        let (_, warnings) = load_text("colour = \"red\"\n").unwrap();
        assert_eq!(warnings, ["config FILE: unknown key \"colour\" is ignored"]);
    }

    #[test]
    fn a_bad_key_binding_stops_konto() {
        let err = load_text("[keys.browse]\nupdate = [\"Hyper-U\"]\n").unwrap_err();
        assert!(
            err.contains("[keys.browse]") && err.contains("is not a key"),
            "{err}"
        );
        let err = load_text("[keys.lobby]\nupdate = [\"e\"]\n").unwrap_err();
        assert!(err.contains("is not a mode"), "{err}");
    }
}
