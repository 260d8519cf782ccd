//! Which key signs a record: `--key FILE`, else git's own commit-signing setup
//! (`gpg.format = ssh` with `user.signingkey`, as configured for the
//! checklist's directory), else none and the record is unsigned.
//!
//! Like `ssh-keygen -Y sign -f`, the file may be a private key, or a public
//! key whose private half ssh-agent holds; so may `user.signingkey`, which may
//! also be the key itself (`key::ssh-ed25519 AAAA…`). A passphrase-protected
//! private key is used through the agent.

use std::path::{Path, PathBuf};

use ssh_key::{PrivateKey, PublicKey};

use super::agent::Agent;
use super::identity::git_config;
use super::sshsig::{Key, fingerprint, supported};

/// Where the key came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--key`.
    Flag,
    /// git's `user.signingkey`.
    Git,
}

/// The key to sign with: `--key`'s, else git's signing key, else `None`.
pub fn find(flag: Option<&Path>, dir: &Path) -> Result<Option<(Key, Source)>, String> {
    if let Some(path) = flag {
        return load(&path.display().to_string(), &read_key_file(path)?)
            .map(|k| Some((k, Source::Flag)));
    }
    if git_config(dir, "gpg.format").as_deref() != Some("ssh") {
        return Ok(None);
    }
    let Some(configured) = git_config(dir, "user.signingkey") else {
        return Ok(None);
    };
    let where_ = "git's user.signingkey";
    let key = if let Some(literal) = configured.strip_prefix("key::") {
        load(where_, literal)
    } else {
        let path = expand_home(&configured);
        let text = read_key_file(&path).map_err(|e| format!("{where_}: {e}"))?;
        load(&path.display().to_string(), &text)
    }?;
    Ok(Some((key, Source::Git)))
}

fn read_key_file(path: &Path) -> Result<String, String> {
    let bytes = crate::bounded::read_at_most(path, 64 * 1024, "an SSH key")?;
    String::from_utf8(bytes).map_err(|_| format!("{}: not an SSH key", path.display()))
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// A key from a private or public key's text.
fn load(source: &str, text: &str) -> Result<Key, String> {
    let text = text.trim();
    if text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        let key = PrivateKey::from_openssh(text)
            .map_err(|e| format!("{source}: not an OpenSSH private key Candlefish can use: {e}"))?;
        check_algorithm(source, key.public_key())?;
        if key.is_encrypted() {
            return from_agent(source, key.public_key(), "is protected by a passphrase");
        }
        return Ok(Key::File {
            path: source.to_owned(),
            key,
        });
    }
    if text.starts_with("-----BEGIN") {
        return Err(format!(
            "{source}: not an OpenSSH key; Candlefish reads OpenSSH private keys (`ssh-keygen -t ed25519`) and public keys"
        ));
    }
    let public = PublicKey::from_openssh(text)
        .map_err(|e| format!("{source}: not an SSH key Candlefish can use: {e}"))?;
    check_algorithm(source, &public)?;
    from_agent(source, &public, "is a public key")
}

fn check_algorithm(source: &str, key: &PublicKey) -> Result<(), String> {
    if supported(&key.algorithm()) {
        return Ok(());
    }
    Err(format!(
        "{source}: {} keys cannot sign Candlefish records; use an Ed25519 or ECDSA P-256 key (README, \"Trust model\")",
        key.algorithm()
    ))
}

/// The agent's copy of `public`.
fn from_agent(source: &str, public: &PublicKey, why: &str) -> Result<Key, String> {
    let fp = fingerprint(public.key_data());
    let mut agent =
        Agent::from_env().map_err(|e| format!("{source} {why}, so ssh-agent must sign: {e}"))?;
    let held = agent.identities()?;
    match held.into_iter().find(|k| k.key_data() == public.key_data()) {
        Some(public) => Ok(Key::Agent { public }),
        None => Err(format!(
            "{source} {why}, so ssh-agent must sign, but it does not hold {fp} (add it: ssh-add)"
        )),
    }
}
