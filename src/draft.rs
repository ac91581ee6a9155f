//! An unsaved edit kept on disk when konto has to stop with a form open
//! (the terminal went away, or konto was told to stop), so the next start
//! can offer it back. The form makes its draft (`app::Form::draft`); this
//! module only keeps it on disk.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::Cloud;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub cloud: Cloud,
    pub id: String,
    pub company: String,
    /// The version the edit was based on.
    pub version: u64,
    /// Field key → value as typed.
    pub values: BTreeMap<String, String>,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("draft.json")
}

/// Writes the draft (beside, then renamed, so it is never half written).
pub fn save(data_dir: &Path, draft: &Draft) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(draft).map_err(std::io::Error::other)?;
    let target = path(data_dir);
    let partial = target.with_extension("json.partial");
    fs::write(&partial, json)?;
    fs::File::open(&partial)?.sync_all()?;
    fs::rename(partial, target)
}

/// The saved draft, if there is a readable one.
pub fn load(data_dir: &Path) -> Option<Draft> {
    let bytes = fs::read(path(data_dir)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn remove(data_dir: &Path) {
    let _ = fs::remove_file(path(data_dir));
}
