//! Who is signing, when `--by` is not given: git's `user.name` and
//! `user.email` (as configured for the checklist's directory), else `$USER`.
//!
//! This is attribution, not authentication: the name is recorded as given, and
//! anyone who can write the store can write any name. Review the store in git.

use std::path::Path;
use std::process::{Command, Stdio};

/// `Name <email>`, `Name`, or `$USER`; `None` when none of them is known.
pub fn default_signer(dir: &Path) -> Option<String> {
    let name = git_config(dir, "user.name");
    let email = git_config(dir, "user.email");
    match (name, email) {
        (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
        (Some(name), None) => Some(name),
        (None, Some(email)) => Some(email),
        (None, None) => std::env::var("USER")
            .ok()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty()),
    }
}

pub fn git_config(dir: &Path, key: &str) -> Option<String> {
    let output = Command::new("git")
        .args(["config", "--get", key])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let value = String::from_utf8(output.stdout).ok()?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}
