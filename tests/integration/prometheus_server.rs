//! A real Prometheus for the tests (Debian's `prometheus`): a generated config
//! and rule file, one-second scrape and evaluation intervals, scraping what
//! the test serves, on a free loopback port, its TSDB in a temp dir.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::daemon::{Daemon, find, free_port};

/// A running Prometheus.
pub struct Prometheus {
    pub port: u16,
    _daemon: Daemon,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `jobs` (`(name, host:port)`) with `rules` (a rule file's YAML).
    pub fn start(jobs: &[(&str, &str)], rules: &str) -> Prometheus {
        let binary = find(
            "prometheus",
            &["/usr/bin/prometheus", "/usr/local/bin/prometheus"],
            "install it with `apt-get install prometheus` (scripts/test does)",
        );
        let dir = tempfile::Builder::new()
            .prefix("candlefish-prom")
            .tempdir()
            .expect("tempdir");
        let mut config = String::from(
            "global: { scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s }\nrule_files: [rules.yml]\nscrape_configs:\n",
        );
        for (name, target) in jobs {
            config.push_str(&format!(
                "  - job_name: {name}\n    static_configs: [{{ targets: ['{target}'] }}]\n"
            ));
        }
        std::fs::write(dir.path().join("prometheus.yml"), config).expect("config");
        std::fs::write(dir.path().join("rules.yml"), rules).expect("rules");
        let port = free_port();
        let mut command = Command::new(binary);
        command
            .current_dir(dir.path())
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"));
        let mut daemon = Daemon::spawn("prometheus", command, &dir.path().join("log"));
        daemon.wait_for_port(port, Duration::from_secs(30));
        Prometheus {
            port,
            _daemon: daemon,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until `path` (an API path) answers with a body containing `needle`.
    pub fn wait_for(&self, path: &str, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let client = reqwest::blocking_get;
        loop {
            let body = client(&format!("{}{path}", self.url()));
            if body.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never held {needle}: {body}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A plain GET over a TCP socket (HTTP/1.0), the body as text.
mod reqwest {
    use std::io::{Read, Write};

    pub fn blocking_get(url: &str) -> String {
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let Ok(mut stream) = std::net::TcpStream::connect(host) else {
            return String::new();
        };
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
        let _ = write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
        let mut out = String::new();
        let _ = stream.read_to_string(&mut out);
        out
    }
}
