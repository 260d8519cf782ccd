//! The real binary on a pseudo-terminal, driven like a person would: wait
//! for a prompt, type an answer, press Ctrl-C. The terminal work is Python's
//! `pty` module (`pty_driver.py`; python3 is installed by `scripts/test`):
//! the command becomes the session leader of a new terminal, so Ctrl-C
//! reaches it as SIGINT through the line discipline, not as a signal sent
//! from outside.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::{binary, root};

/// One scripted session.
pub struct Pty {
    args: Vec<String>,
    env: Vec<(String, String)>,
    steps: Vec<Value>,
}

/// How it went.
#[derive(Debug)]
pub struct Session {
    /// The exit code.
    pub code: Option<i32>,
    /// Everything the terminal showed (typed answers echoed).
    pub transcript: String,
}

impl Pty {
    pub fn new(args: &[&str]) -> Self {
        Pty {
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: vec![
                ("NO_COLOR".into(), "1".into()),
                ("TERM".into(), "xterm".into()),
                ("GIT_CONFIG_GLOBAL".into(), "/dev/null".into()),
                ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
                ("USER".into(), "tester".into()),
                (
                    "PATH".into(),
                    std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
                ),
            ],
            steps: Vec::new(),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Waits until `regex` matches what came after the previous match.
    pub fn expect(mut self, regex: &str) -> Self {
        self.steps.push(json!({ "expect": regex }));
        self
    }

    /// Types `text` (add `\n` for Enter).
    pub fn send(mut self, text: &str) -> Self {
        self.steps.push(json!({ "send": text }));
        self
    }

    /// Waits for `regex`, then types `line` and Enter.
    pub fn answer(self, regex: &str, line: &str) -> Self {
        self.expect(regex).send(&format!("{line}\n"))
    }

    /// Presses Ctrl-C.
    pub fn ctrl_c(mut self) -> Self {
        self.steps.push(json!({ "ctrl_c": true }));
        self
    }

    /// Runs the session in `dir`; panics with the transcript when a step fails.
    #[track_caller]
    pub fn run(self, dir: &Path) -> Session {
        let mut argv = vec![binary().display().to_string()];
        argv.extend(self.args);
        let env: serde_json::Map<String, Value> = self
            .env
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let script = json!({
            "argv": argv,
            "env": env,
            "cwd": dir,
            "timeout": 60,
            "steps": self.steps,
        });
        let driver = root().join("tests/integration/pty_driver.py");
        let mut child = Command::new("python3")
            .arg(&driver)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("python3 drives the PTY tests (install it: apt-get install python3): {e}")
            });
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.to_string().as_bytes())
            .expect("write the script");
        let output = child.wait_with_output().expect("run the PTY driver");
        let result: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "the PTY driver said nothing readable ({e}):\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let transcript = result["transcript"]
            .as_str()
            .unwrap_or_default()
            .replace("\r\n", "\n");
        assert!(
            result["ok"] == true,
            "PTY session: {}\n--- transcript\n{transcript}",
            result["error"]
        );
        Session {
            code: result["code"].as_i64().and_then(|c| i32::try_from(c).ok()),
            transcript,
        }
    }
}
