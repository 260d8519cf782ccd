//! Server processes for the tests (PostgreSQL, Redis, Prometheus): found on
//! the machine or failed with an install hint, run with their output in a log
//! file, and stopped when the handle is dropped — or, for a handle kept in a
//! `static` that is never dropped, when the test process exits: a small
//! guardian shell reads our end of a pipe and stops the server at EOF.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The first of `places` (or `name` on PATH) that exists, else a panic with `hint`.
pub fn find(name: &str, places: &[&str], hint: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    places
        .iter()
        .map(PathBuf::from)
        .chain(on_path)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed (looked in {} and on PATH): {hint}",
                places.join(", ")
            )
        })
}

/// A free loopback port (free when asked; servers retry if it is taken).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running server process.
pub struct Daemon {
    child: Child,
    guardian: Option<(Child, ChildStdin)>,
    log: PathBuf,
    name: String,
}

impl Daemon {
    /// Starts `command` with stdout and stderr in `log`, stopped with SIGINT
    /// (then SIGKILL) when dropped or when this process exits.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Daemon {
        let file = std::fs::File::create(log).expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {name}: {e}"));
        let pid = child.id();
        let mut guardian = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "read _ ; kill -INT {pid} 2>/dev/null; sleep 5; kill -KILL {pid} 2>/dev/null"
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("guardian shell");
        let stdin = guardian.stdin.take().expect("guardian stdin");
        Daemon {
            child,
            guardian: Some((guardian, stdin)),
            log: log.to_owned(),
            name: name.to_owned(),
        }
    }

    /// What the server logged.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the server accepts TCP connections on `port` (or panics with its log).
    pub fn wait_for_port(&mut self, port: u16, within: Duration) {
        let deadline = Instant::now() + within;
        while TcpStream::connect_timeout(
            &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            Duration::from_millis(200),
        )
        .is_err()
        {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited with {status}:\n{}", self.name, self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {port} within {within:?}:\n{}",
                self.name,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.exited() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The server is gone: stop the guardian before closing its pipe, so
        // it never signals a process id that may have been reused.
        if let Some((mut guardian, stdin)) = self.guardian.take() {
            let _ = guardian.kill();
            let _ = guardian.wait();
            drop(stdin);
        }
    }
}
