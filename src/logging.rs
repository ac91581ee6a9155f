//! The log file: `tracing` events and panic reports go to
//! `STATE_DIR/konto.log`, never onto the screen. At the default level no
//! customer personal data is logged (ids and versions only).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where the log lives: `KONTO_STATE_DIR`, else the platform's state
/// directory (Linux: `~/.local/state/konto`), else `DATA_DIR/logs`.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("KONTO_STATE_DIR") {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "konto")
        .and_then(|d| d.state_dir().map(Path::to_path_buf))
        .unwrap_or_else(|| data_dir.join("logs"))
}

fn open_log(dir: &Path) -> std::io::Result<(File, PathBuf)> {
    fs::create_dir_all(dir)?;
    let path = dir.join("konto.log");
    let file = OpenOptions::new().create(true).append(true).open(&path)?;
    Ok((file, path))
}

/// Sends `tracing` events to the log file (level from `KONTO_LOG`, default
/// info). Returns the log's path, or None when it cannot be opened (konto
/// then runs without a log rather than not at all).
pub fn init(dir: &Path) -> Option<PathBuf> {
    let (file, path) = open_log(dir).ok()?;
    let level = match std::env::var("KONTO_LOG").as_deref() {
        Ok("debug") => tracing::Level::DEBUG,
        Ok("trace") => tracing::Level::TRACE,
        Ok("warn") => tracing::Level::WARN,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_max_level(level)
        .try_init();
    Some(path)
}

/// Writes a panic's message and backtrace to the log; returns the log path.
pub fn report_panic(dir: &Path, info: &std::panic::PanicHookInfo<'_>) -> Option<PathBuf> {
    let (mut file, path) = open_log(dir).ok()?;
    let backtrace = std::backtrace::Backtrace::force_capture();
    let _ = writeln!(
        file,
        "{} PANIC {info}\n{backtrace}",
        chrono::Utc::now().to_rfc3339()
    );
    Some(path)
}
