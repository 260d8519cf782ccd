//! `tcp`: connects to a port within the deadline and, optionally, checks what
//! the server says first (its banner), sends a line and checks the reply.
//!
//! ```yaml
//! probe:
//!   tcp: { host: git.example.com, port: 22, banner: { matches: '^SSH-2\.0-' } }
//! ```
//!
//! Every read is bounded: at most `read_bytes` per phase, and no longer than
//! `read_timeout` waiting, so a server that trickles bytes or never stops
//! talking is judged on what it said in time.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::checklist::scalar::{Dur, format_duration};
use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check};
use crate::probe::reply::{ReplyExpect, quote, validate_waits};
use crate::probe::tls::connect_error;
use crate::probe::{Context, Probe};

/// The most `read_bytes` may be.
pub const MAX_READ_BYTES: usize = 1 << 20;

/// Configuration of a `tcp` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpProbe {
    /// The host name or IP address to connect to (required).
    pub host: Text,
    /// The TCP port (required).
    pub port: u16,
    /// A connection slower than this fails (default: only the probe's timeout).
    #[serde(default)]
    pub max_connect_time: Option<Dur>,
    /// What the server sends first must look like this (default: not read).
    #[serde(default)]
    pub banner: Option<ReplyExpect>,
    /// Text sent once connected (after the banner, if one is expected). Secret
    /// when it uses the environment.
    #[serde(default)]
    pub send: Option<Text>,
    /// What the server answers to `send` must look like this.
    #[serde(default)]
    pub expect: Option<ReplyExpect>,
    /// The most bytes read for the banner, and again for the reply (default 4096).
    #[serde(default = "default_read_bytes")]
    pub read_bytes: usize,
    /// How long to wait for the banner, and again for the reply (default `5s`).
    #[serde(default = "default_read_timeout")]
    pub read_timeout: Dur,
}

fn default_read_bytes() -> usize {
    4096
}

fn default_read_timeout() -> Dur {
    Dur(Duration::from_secs(5))
}

impl Probe for TcpProbe {
    fn target(&self) -> String {
        if self.host.contains(':') {
            format!("tcp [{}]:{}", self.host.as_str(), self.port)
        } else {
            format!("tcp {}:{}", self.host.as_str(), self.port)
        }
    }

    fn secrets(&self) -> Vec<String> {
        self.send
            .iter()
            .filter(|s| s.from_env())
            .flat_map(|s| std::iter::once(s.as_str().to_owned()).chain(s.env_parts().to_vec()))
            .collect()
    }

    fn validate(&self, timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        if self.host.trim().is_empty() {
            problems.push("host is empty".to_owned());
        }
        if self.port == 0 {
            problems.push("port 0 cannot be connected to".to_owned());
        }
        if self.expect.is_some() && self.send.is_none() {
            problems.push(
                "`expect` checks the answer to `send`, and nothing is sent: add `send`, or use `banner` for what the server says first"
                    .to_owned(),
            );
        }
        for (label, reply) in [("banner", &self.banner), ("expect", &self.expect)] {
            if reply.as_ref().is_some_and(ReplyExpect::is_empty) {
                problems.push(format!(
                    "`{label}` expects nothing: give contains, matches or equals"
                ));
            }
        }
        if self.read_bytes == 0 || self.read_bytes > MAX_READ_BYTES {
            problems.push(format!(
                "read_bytes must be between 1 and {MAX_READ_BYTES}, not {}",
                self.read_bytes
            ));
        }
        problems.extend(validate_waits(
            self.read_timeout,
            self.max_connect_time,
            timeout,
        ));
        problems
    }

    async fn run(&self, _ctx: &Context) -> Finding {
        let started = Instant::now();
        crate::probe::stage(format!(
            "connecting to {}:{}",
            self.host.as_str(),
            self.port
        ));
        let mut stream = match TcpStream::connect((self.host.as_str(), self.port)).await {
            Ok(stream) => stream,
            Err(e) => return Finding::error(connect_error(&self.host, self.port, &e)),
        };
        let connected = started.elapsed();
        let mut checks: Vec<Check> = Vec::new();
        let mut summary = format!("connected in {}", format_duration(connected));
        if let Some(max) = self.max_connect_time {
            checks.push(check(
                connected <= max.0,
                format!("a connection within {max}"),
                format_duration(connected),
            ));
        }
        let peer = format!("{}:{}", self.host.as_str(), self.port);
        if let Some(banner) = &self.banner {
            crate::probe::stage(format!(
                "waiting for the banner from {peer} (connected in {})",
                format_duration(connected)
            ));
            let got = read_reply(&mut stream, banner, self.read_bytes, self.read_timeout.0).await;
            checks.push(got.check("banner", banner));
            summary.push_str(&format!(", banner {}", quote(&got.bytes)));
        }
        if let Some(send) = &self.send {
            crate::probe::stage(format!("sending to {peer}"));
            if let Err(e) = stream.write_all(send.as_bytes()).await {
                checks.push(check(
                    false,
                    "to send the request",
                    format!("an error: {e}"),
                ));
                return Finding::from_checks(checks, &summary, "");
            }
            if let Some(expect) = &self.expect {
                crate::probe::stage(format!("waiting for the reply from {peer}"));
                let got =
                    read_reply(&mut stream, expect, self.read_bytes, self.read_timeout.0).await;
                checks.push(got.check("reply", expect));
                summary.push_str(&format!(", reply {}", quote(&got.bytes)));
            }
        }
        Finding::from_checks(checks, &summary, "")
    }
}

/// What was read, and why reading stopped.
struct Reply {
    bytes: Vec<u8>,
    end: End,
}

enum End {
    Matched,
    Full,
    Closed,
    Quiet(Duration),
    Failed(String),
}

impl Reply {
    fn check(&self, what: &str, expect: &ReplyExpect) -> Check {
        let expected = format!("{what} {}", expect.describe());
        let got = quote(&self.bytes);
        let observed = match &self.end {
            End::Matched => got,
            End::Full => format!("{got} (the first {} bytes)", self.bytes.len()),
            End::Closed => format!("{got} (then the connection closed)"),
            End::Quiet(wait) if self.bytes.is_empty() => {
                format!("nothing within {}", format_duration(*wait))
            }
            End::Quiet(wait) => format!(
                "{got} ({} bytes within {})",
                self.bytes.len(),
                format_duration(*wait)
            ),
            End::Failed(e) => format!("{got} (then {e})"),
        };
        check(matches!(self.end, End::Matched), expected, observed)
    }
}

/// Reads until `expect` holds, `cap` bytes arrived, the peer closed, or `wait` passed.
async fn read_reply(
    stream: &mut TcpStream,
    expect: &ReplyExpect,
    cap: usize,
    wait: Duration,
) -> Reply {
    let deadline = tokio::time::Instant::now() + wait;
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; cap.clamp(1, 16 * 1024)];
    let end = loop {
        if !bytes.is_empty() && expect.holds(&String::from_utf8_lossy(&bytes)) {
            break End::Matched;
        }
        if bytes.len() >= cap {
            break End::Full;
        }
        let room = (cap - bytes.len()).min(chunk.len());
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk[..room])).await {
            Err(_) => break End::Quiet(wait),
            Ok(Ok(0)) => break End::Closed,
            Ok(Ok(n)) => {
                bytes.extend_from_slice(&chunk[..n]);
                // If the probe's deadline comes first, it says what had come.
                crate::probe::stage(format!(
                    "still reading after {} bytes: {}",
                    bytes.len(),
                    crate::probe::reply::quote(&bytes)
                ));
            }
            Ok(Err(e)) => break End::Failed(e.to_string()),
        }
    };
    Reply { bytes, end }
}
