//! Redis servers for the tests: Debian's `redis-server` on a free loopback
//! port, its directory in a temp dir, with the options each test gives
//! (`--appendonly yes`, `--requirepass …`, `--replicaof …`, TLS).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::daemon::{Daemon, find, free_port};

/// A running redis-server.
pub struct Redis {
    pub port: u16,
    /// The password, if any (for the test's own commands).
    pub password: Option<String>,
    tls: bool,
    _daemon: Daemon,
    _dir: tempfile::TempDir,
}

impl Redis {
    /// Starts redis-server with `args` (each `--name value` pair as two strings).
    pub fn start(args: &[&str]) -> Redis {
        Redis::launch(args, None)
    }

    /// Starts a TLS-only redis-server serving `cert` (PEM chain and key).
    pub fn start_tls(cert: &str, key: &str, args: &[&str]) -> Redis {
        Redis::launch(args, Some((cert, key)))
    }

    fn launch(args: &[&str], tls: Option<(&str, &str)>) -> Redis {
        let binary = find(
            "redis-server",
            &["/usr/bin/redis-server", "/usr/local/bin/redis-server"],
            "install it with `apt-get install redis-server` (scripts/test does)",
        );
        let dir = tempfile::Builder::new()
            .prefix("candlefish-redis")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let mut command = Command::new(binary);
        command
            .args(["--bind", "127.0.0.1", "--dir"])
            .arg(dir.path())
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--logfile",
                "",
            ]);
        match tls {
            Some((cert, key)) => {
                std::fs::write(dir.path().join("cert.pem"), cert).expect("cert");
                std::fs::write(dir.path().join("key.pem"), key).expect("key");
                command
                    .args([
                        "--port",
                        "0",
                        "--tls-port",
                        &port.to_string(),
                        "--tls-auth-clients",
                        "no",
                        "--tls-cert-file",
                    ])
                    .arg(dir.path().join("cert.pem"))
                    .arg("--tls-key-file")
                    .arg(dir.path().join("key.pem"));
            }
            None => {
                command.args(["--port", &port.to_string()]);
            }
        }
        command.args(args);
        let password = args
            .iter()
            .position(|a| *a == "--requirepass")
            .map(|i| args[i + 1].to_owned());
        let mut daemon = Daemon::spawn("redis-server", command, &dir.path().join("log"));
        daemon.wait_for_port(port, Duration::from_secs(20));
        Redis {
            port,
            password,
            tls: tls.is_some(),
            _daemon: daemon,
            _dir: dir,
        }
    }

    /// `redis://127.0.0.1:PORT` (or `rediss://`) with `auth` (`:pw@`, `user:pw@`) before the host.
    pub fn url(&self, auth: &str) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://{auth}127.0.0.1:{}", self.port)
    }

    /// Sends one command (RESP, plain TCP) and returns the raw reply.
    pub fn command(&self, parts: &[&str]) -> String {
        let mut stream = self.connect();
        let reply = send(&mut stream, parts);
        drop(stream);
        reply
    }

    /// A plain connection, authenticated when the server has a password.
    pub fn connect(&self) -> TcpStream {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        if let Some(pw) = &self.password {
            let reply = send(&mut stream, &["AUTH", pw]);
            assert!(reply.starts_with("+OK"), "AUTH: {reply}");
        }
        stream
    }

    /// Waits until INFO holds `needle`.
    pub fn wait_for_info(&self, needle: &str, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        loop {
            let info = self.command(&["INFO", "everything"]);
            if info.contains(needle) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "INFO never held {needle}:\n{info}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Sends a command as RESP and reads what comes back within a moment.
pub fn send(stream: &mut TcpStream, parts: &[&str]) -> String {
    let mut text = format!("*{}\r\n", parts.len());
    for p in parts {
        text.push_str(&format!("${}\r\n{p}\r\n", p.len()));
    }
    stream.write_all(text.as_bytes()).expect("send");
    let mut buffer = vec![0u8; 1 << 16];
    let mut out = Vec::new();
    loop {
        let n = stream.read(&mut buffer).expect("read reply");
        out.extend_from_slice(&buffer[..n]);
        if n == 0 || complete(&out) {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a RESP reply is whole (enough for simple replies, bulk strings and flat arrays).
fn complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    match text.chars().next() {
        Some('+' | '-' | ':') => text.ends_with("\r\n"),
        Some('$') => {
            let Some((head, rest)) = text.split_once("\r\n") else {
                return false;
            };
            let len: i64 = head[1..].parse().unwrap_or(0);
            len < 0 || rest.len() >= len as usize + 2
        }
        Some('*') => {
            let Some((head, _)) = text.split_once("\r\n") else {
                return false;
            };
            let count: usize = head[1..].parse().unwrap_or(0);
            text.ends_with("\r\n") && text.matches("\r\n").count() > count
        }
        _ => false,
    }
}
