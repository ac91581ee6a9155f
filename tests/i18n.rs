//! The catalogues: both languages have every key, with the same
//! placeholders, and every text the code asks for is in them.

use std::path::{Path, PathBuf};

use konto::i18n::{Lang, catalogue, placeholders};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src_files(under: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(under),
        &mut files,
    );
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The string literals of Rust code outside comments, test modules and
/// lint attributes' reasons (`reason = "…"`, for the developers), with the
/// line they start on.
fn literals(code: &str) -> Vec<(usize, String)> {
    let code = code.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        // Char literals that hold a quote would confuse the scan below.
        let line = line.replace("'\"'", "");
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '/' && chars.clone().next() == Some('/') {
                break;
            }
            if c != '"' {
                continue;
            }
            let before = &line[..line.len() - chars.as_str().len() - 1];
            let is_reason = before.trim_end().ends_with("reason =");
            let mut literal = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    c => literal.push(c),
                }
            }
            if !is_reason {
                out.push((n + 1, literal));
            }
        }
    }
    out
}

fn is_key(text: &str) -> bool {
    catalogue(Lang::En).contains_key(text)
}

#[test]
fn both_catalogues_have_the_same_keys_and_placeholders() {
    let en = catalogue(Lang::En);
    let de = catalogue(Lang::De);
    assert!(en.len() > 200, "en.toml parses ({} keys)", en.len());
    // The files parse (an unparsable one would be an empty catalogue).
    for (name, text) in [
        ("en", include_str!("../assets/i18n/en.toml")),
        ("de", include_str!("../assets/i18n/de.toml")),
    ] {
        konto::i18n::parse(text).unwrap_or_else(|e| panic!("{name}.toml: {e}"));
    }
    let mut only_en: Vec<&String> = en.keys().filter(|k| !de.contains_key(*k)).collect();
    let mut only_de: Vec<&String> = de.keys().filter(|k| !en.contains_key(*k)).collect();
    only_en.sort();
    only_de.sort();
    assert!(only_en.is_empty(), "missing in de.toml: {only_en:?}");
    assert!(only_de.is_empty(), "missing in en.toml: {only_de:?}");
    for (key, text) in en {
        let german = &de[key];
        assert_eq!(
            placeholders(text),
            placeholders(german),
            "{key}: the placeholders differ"
        );
        assert!(!german.trim().is_empty(), "{key} is empty in German");
    }
}

#[test]
fn every_key_the_code_asks_for_is_in_the_catalogues() {
    // `t!("key"…)` (also over several lines), `t("key")`, and the key map's
    // label keys.
    let call = regex::Regex::new(r#"\bt!?\(\s*"([^"]+)""#).unwrap();
    let label = regex::Regex::new(r#""((?:keys|editing)\.[a-z_]+)""#).unwrap();
    let mut used = Vec::new();
    for (path, code) in src_files("src") {
        let code: String = code
            .split("#[cfg(test)]")
            .next()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let code = code.as_str();
        let mut found: Vec<String> = call.captures_iter(code).map(|c| c[1].to_string()).collect();
        if path.ends_with("keymap.rs") {
            found.extend(label.captures_iter(code).map(|c| c[1].to_string()));
        }
        used.extend(
            found
                .into_iter()
                .map(|key| (path.display().to_string(), key)),
        );
    }
    assert!(used.len() > 150, "the scan finds the keys ({})", used.len());
    for lang in Lang::ALL {
        for (at, key) in &used {
            assert!(
                catalogue(lang).contains_key(key),
                "{at}: {key} is not in {}.toml",
                lang.code()
            );
        }
    }
    // Keys the code builds: fields by their stable key, state labels by
    // the English one in countries.json.
    for lang in Lang::ALL {
        for f in konto::domain::FIELDS {
            let key = format!("field.{}", f.key);
            assert!(catalogue(lang).contains_key(&key), "{key}");
        }
        for country in konto::countries::countries().iter() {
            let key = format!("state_label.{}", country.state_label);
            assert!(catalogue(lang).contains_key(&key), "{key}");
            // Every country of the rules has its name (CLDR's).
            let key = format!("country.{}", country.code);
            assert!(catalogue(lang).contains_key(&key), "{key}");
        }
    }
}

#[test]
fn the_key_map_and_the_help_are_all_in_the_catalogue() {
    for mode in konto::keymap::KeyMode::ALL {
        for b in konto::keymap::bindings(mode) {
            assert!(is_key(b.label), "{mode:?}: label {}", b.label);
            assert!(is_key(b.help), "{mode:?}: help {}", b.help);
        }
    }
    for (_, key) in konto::keymap::EDITING_KEYS {
        assert!(is_key(key), "{key}");
    }
}

/// Whether a literal holds a word (two letters or more) outside its
/// `{placeholders}`.
fn has_words(literal: &str) -> bool {
    let mut words = String::new();
    let mut depth = 0;
    for c in literal.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            c if depth == 0 => words.push(c),
            _ => {}
        }
    }
    words
        .split(|c: char| !c.is_alphabetic())
        .any(|w| w.chars().count() >= 2)
}

/// The literals with words under the `dirs` that `allowed` does not let
/// pass, as `path:line: "literal"`.
fn words_outside_the_catalogue(dirs: &[&str], allowed: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for under in dirs {
        for (path, code) in src_files(under) {
            for (line, literal) in literals(&code) {
                if !is_key(&literal) && !allowed(&literal) && has_words(&literal) {
                    found.push(format!("{}:{line}: {literal:?}", path.display()));
                }
            }
        }
    }
    found
}

/// What may stand in a literal of the ui and app code: the product's name
/// and formats without words (`" {} · {} "`, `"v{}"`).
#[test]
fn the_ui_and_app_code_hold_no_words_of_their_own() {
    // The product's name, stored values (a data key's prefix, a
    // permission's on/off in the audit trail).
    let stored = [" konto ", "permissions.", "on", "off"];
    let found = words_outside_the_catalogue(&["src/ui", "src/app"], |l| stored.contains(&l));
    assert!(
        found.is_empty(),
        "texts outside the catalogue:\n{}",
        found.join("\n")
    );
}

/// The headless commands: their messages come from the catalogue; what
/// stays are names (environment variables, column and config values, all
/// one token) and data formats that are the same in every language.
#[test]
fn the_cli_code_holds_no_messages_of_its_own() {
    let token = |l: &str| {
        // Digits too: `utf-8` and `windows-1252` are values, not words.
        let lower = l
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        let upper = l
            .chars()
            .all(|c| c.is_ascii_uppercase() || "_=".contains(c));
        lower || upper
    };
    let formats = [
        // Every message's prefix.
        "konto: {message}",
        "konto: {}",
        // clap's --help (English, see the README).
        "Keep customers' account information up to date, from the terminal.",
        // `konto show --format table`: row labels and values are data.
        "not allowed",
        "Version",
        "Last updated",
        // The crash test's change and its machine-read acknowledgement.
        "Crashtown {}-{i}",
        "ack {} {} {}",
    ];
    let found = words_outside_the_catalogue(&["src/cli"], |l| token(l) || formats.contains(&l));
    assert!(
        found.is_empty(),
        "messages outside the catalogue:\n{}",
        found.join("\n")
    );
}

#[test]
fn german_is_german() {
    // Not a copy of the English file: most texts differ.
    let en = catalogue(Lang::En);
    let de = catalogue(Lang::De);
    // Country names are CLDR's, and many are the same in German (China,
    // Kosovo): they are not counted.
    let texts: Vec<_> = en
        .iter()
        .filter(|(k, _)| !k.starts_with("country."))
        .collect();
    let same = texts.iter().filter(|(k, v)| de.get(*k) == Some(v)).count();
    assert!(
        same * 10 < texts.len(),
        "{same} of {} texts are the same",
        texts.len()
    );
}
