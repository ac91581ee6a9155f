//! The real binary in a pseudo-terminal, its screen parsed by vt100.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

const BIN: &str = env!("CARGO_BIN_EXE_konto");

/// A konto process in a pseudo-terminal whose screen is parsed by vt100.
pub struct Session {
    pub child: Box<dyn Child + Send + Sync>,
    pub writer: Box<dyn Write + Send>,
    pub screen: Arc<Mutex<vt100::Parser>>,
    pub bytes: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    pub fn start(data_dir: &Path, cols: u16, rows: u16) -> Session {
        Session::start_with(data_dir, cols, rows, &[])
    }

    pub fn start_with(data_dir: &Path, cols: u16, rows: u16, env: &[(&str, &str)]) -> Session {
        Session::start_on(data_dir, cols, rows, env, &[])
    }

    /// With more arguments (e.g. `--store URL`).
    pub fn start_on(
        data_dir: &Path,
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(BIN);
        cmd.arg("--data-dir");
        cmd.arg(data_dir);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("USER", "e2e");
        cmd.env_remove("NO_COLOR");
        cmd.env("KONTO_STATE_DIR", data_dir.join("state"));
        cmd.env("KONTO_CONFIG", data_dir.join("config.toml"));
        cmd.env("KONTO_LANG", "en");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().unwrap(),
            cols.try_into().unwrap(),
            0,
        )));
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let (screen_in, bytes_in) = (screen.clone(), bytes.clone());
        // Drain the output continuously so the child never blocks on a full pty.
        std::thread::spawn(move || {
            let _keep_master_open = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen_in.lock().unwrap().process(&buf[..n]);
                bytes_in.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Session {
            child,
            writer,
            screen,
            bytes,
        }
    }

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text` (polling the parsed screen).
    pub fn wait_for(&self, text: &str) {
        self.wait_for_any(&[text]);
    }

    /// Whether the screen shows `text` within `time`.
    pub fn shows_within(&self, text: &str, time: Duration) -> bool {
        let deadline = Instant::now() + time;
        while Instant::now() < deadline {
            if self.contents().contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Waits until the screen shows one of `texts`.
    pub fn wait_for_any(&self, texts: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let screen = self.contents();
            if texts.iter().any(|t| screen.contains(t)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "timed out waiting for {texts:?}; screen:\n{}",
            self.contents()
        );
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends Esc and waits until `open` has gone from the screen. Only then
    /// may the next key follow: an Esc read together with a letter is
    /// Alt-letter, and while a new screen is drawn, text of the one before
    /// (a key bar's "q quit") can still show below its top.
    pub fn close_with_esc(&mut self, open: &str) {
        self.send("\x1b");
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.contents().contains(open) {
            assert!(
                Instant::now() < deadline,
                "Esc did not close {open:?}; screen:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("konto did not exit; screen:\n{}", self.contents());
    }
}

impl Session {
    /// Renames the selected customer through the Update form (clear the
    /// field, type, Ctrl-S, confirm the review) and waits until it is saved.
    pub fn save_company_name(&mut self, name: &str) {
        self.send("u");
        self.wait_for("Update account");
        self.send("\x15"); // Ctrl-U: clear the field
        self.send(name);
        self.send("\x13"); // Ctrl-S
        self.wait_for("Review changes");
        self.send("\r");
        self.wait_for(&format!("Saved {name} (version"));
    }
}

impl Drop for Session {
    /// A failed test must not leave its konto running.
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
