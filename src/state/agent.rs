//! Signing with a key held by ssh-agent (`$SSH_AUTH_SOCK`): the two requests of
//! the agent protocol a signer needs, "list identities" and "sign this".
//!
//! The maintained agent clients (`ssh-agent-client-rs`, `ssh-agent-lib`) turn
//! on every key type of `ssh-key`, which brings in the `rsa` crate and its open
//! advisory; this is the message framing only, with the key and signature
//! encodings from `ssh-key` and `ssh-encoding`. The agent does the
//! cryptography. Replies are bounded in size and time.

use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use ssh_encoding::{Decode as _, Encode as _};
use ssh_key::public::KeyData;
use ssh_key::{PublicKey, Signature};

const REQUEST_IDENTITIES: u8 = 11;
const IDENTITIES_ANSWER: u8 = 12;
const SIGN_REQUEST: u8 = 13;
const SIGN_RESPONSE: u8 = 14;
const FAILURE: u8 = 5;
/// No agent reply a signer needs is this large.
const MAX_REPLY: u32 = 256 * 1024;
/// An agent may ask its user to confirm a signature (`ssh-add -c`).
const TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable naming the agent's socket.
pub const SOCKET_VAR: &str = "SSH_AUTH_SOCK";

/// A connection to ssh-agent.
pub struct Agent {
    stream: UnixStream,
}

impl Agent {
    /// Connects to the agent at `$SSH_AUTH_SOCK`.
    pub fn from_env() -> Result<Agent, String> {
        let socket = std::env::var_os(SOCKET_VAR)
            .filter(|s| !s.is_empty())
            .ok_or("no ssh-agent: SSH_AUTH_SOCK is not set")?;
        Agent::connect(Path::new(&socket))
    }

    /// Connects to the agent listening on `socket`.
    pub fn connect(socket: &Path) -> Result<Agent, String> {
        let stream = UnixStream::connect(socket)
            .map_err(|e| format!("cannot reach ssh-agent at {}: {e}", socket.display()))?;
        stream
            .set_read_timeout(Some(TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
            .map_err(|e| format!("ssh-agent: {e}"))?;
        Ok(Agent { stream })
    }

    /// The public keys the agent holds.
    pub fn identities(&mut self) -> Result<Vec<PublicKey>, String> {
        let reply = self.call(&[REQUEST_IDENTITIES])?;
        let mut body = expect(&reply, IDENTITIES_ANSWER, "list its keys")?;
        let count = u32::decode(&mut body).map_err(malformed)?;
        let mut keys = Vec::new();
        for _ in 0..count {
            let blob = Vec::<u8>::decode(&mut body).map_err(malformed)?;
            let comment = String::decode(&mut body).map_err(malformed)?;
            // Keys of types Candlefish cannot use (RSA, security keys) are skipped.
            if let Ok(data) = KeyData::decode(&mut blob.as_slice()) {
                keys.push(PublicKey::new(data, comment));
            }
        }
        Ok(keys)
    }

    /// Asks the agent to sign `data` with `key`.
    pub fn sign(&mut self, key: &KeyData, data: &[u8]) -> Result<Signature, String> {
        let mut request = vec![SIGN_REQUEST];
        let mut blob = Vec::new();
        key.encode(&mut blob).map_err(malformed)?;
        blob.encode(&mut request).map_err(malformed)?;
        data.encode(&mut request).map_err(malformed)?;
        0u32.encode(&mut request).map_err(malformed)?;
        let reply = self.call(&request)?;
        let mut body = expect(&reply, SIGN_RESPONSE, "sign")?;
        let blob = Vec::<u8>::decode(&mut body).map_err(malformed)?;
        Signature::try_from(blob.as_slice()).map_err(malformed)
    }

    /// Sends one message, reads one reply (length-prefixed, bounded).
    fn call(&mut self, message: &[u8]) -> Result<Vec<u8>, String> {
        let io = |e: std::io::Error| format!("ssh-agent: {e}");
        let len = u32::try_from(message.len()).map_err(|_| "ssh-agent: request too large")?;
        self.stream.write_all(&len.to_be_bytes()).map_err(io)?;
        self.stream.write_all(message).map_err(io)?;
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).map_err(io)?;
        let len = u32::from_be_bytes(len);
        if len == 0 || len > MAX_REPLY {
            return Err(format!("ssh-agent sent a reply of {len} bytes"));
        }
        let mut reply = vec![0u8; len as usize];
        self.stream.read_exact(&mut reply).map_err(io)?;
        Ok(reply)
    }
}

fn expect<'a>(reply: &'a [u8], wanted: u8, doing: &str) -> Result<&'a [u8], String> {
    match reply.split_first() {
        Some((kind, body)) if *kind == wanted => Ok(body),
        Some((&FAILURE, _)) => Err(format!("ssh-agent refused to {doing}")),
        Some((kind, _)) => Err(format!("ssh-agent answered message {kind} to `{doing}`")),
        None => Err("ssh-agent sent an empty reply".to_owned()),
    }
}

fn malformed(e: impl std::fmt::Display) -> String {
    format!("ssh-agent: malformed message: {e}")
}
