//! A real nginx for the tests, because nginx is what users deploy in front of
//! their APIs: started from a generated config on a free loopback port, with
//! its own prefix and temp directories in a tempdir, as the current user, in
//! the foreground (`daemon off`), and killed when the handle is dropped.
//!
//! ```ignore
//! let nginx = Nginx::builder()
//!     .http("limit_req_zone $binary_remote_addr zone=api:1m rate=5r/s;")
//!     .server("location / { return 200 'ok'; }")
//!     .file("html/index.html", "hello")
//!     .ssl(&cert_pem, &key_pem, "location / { return 200 'secure'; }")
//!     .start();
//! nginx.url("/")        // http://127.0.0.1:PORT/
//! nginx.https_url("/")  // https://127.0.0.1:SSL_PORT/
//! ```
//!
//! A missing nginx fails the test with the install hint; it never skips.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where nginx is looked for after `PATH` (Debian installs it in /usr/sbin,
/// which is not on a normal user's PATH).
const PLACES: [&str; 5] = [
    "/usr/sbin/nginx",
    "/usr/local/sbin/nginx",
    "/usr/local/nginx/sbin/nginx",
    "/opt/homebrew/bin/nginx",
    "/usr/local/bin/nginx",
];

/// The nginx binary: `$CANDLEFISH_NGINX`, then `PATH`, then the usual places.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CANDLEFISH_NGINX") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("nginx"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(PLACES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed (looked on PATH and in {}): install it with `apt-get install nginx` (scripts/test does), or set CANDLEFISH_NGINX",
                PLACES.join(", ")
            )
        })
}

/// An HTTPS server block: certificate and key files (PEM), and what goes inside.
#[derive(Debug, Clone)]
pub struct Ssl {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub server: String,
}

/// How to start an nginx.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    main: String,
    http: String,
    server: String,
    ssl: Option<Ssl>,
    files: Vec<(String, String)>,
}

impl Builder {
    /// Directives at the top of the configuration (`load_module`, …).
    pub fn main(mut self, directives: &str) -> Self {
        self.main.push_str(directives);
        self.main.push('\n');
        self
    }

    /// Directives at `http` level (`map`, `limit_req_zone`, …).
    pub fn http(mut self, directives: &str) -> Self {
        self.http.push_str(directives);
        self.http.push('\n');
        self
    }

    /// Directives inside the plain-HTTP `server` block (locations, …).
    pub fn server(mut self, directives: &str) -> Self {
        self.server.push_str(directives);
        self.server.push('\n');
        self
    }

    /// Adds an HTTPS `server` block on a port of its own.
    pub fn ssl(mut self, cert: &Path, key: &Path, directives: &str) -> Self {
        self.ssl = Some(Ssl {
            cert: cert.to_owned(),
            key: key.to_owned(),
            server: directives.to_owned(),
        });
        self
    }

    /// Writes a file under the prefix directory (`root html;` serves `html/…`).
    pub fn file(mut self, relative: &str, contents: &str) -> Self {
        self.files.push((relative.to_owned(), contents.to_owned()));
        self
    }

    /// Starts nginx and waits until it accepts connections.
    pub fn start(self) -> Nginx {
        let mut last_error = String::new();
        // A free port can be taken between choosing and binding it: try again.
        for _ in 0..3 {
            match self.try_start() {
                Ok(nginx) => return nginx,
                Err(e) => last_error = e,
            }
        }
        panic!("nginx did not start:\n{last_error}");
    }

    fn try_start(&self) -> Result<Nginx, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let prefix = dir.path().to_owned();
        for sub in ["logs", "html", "temp"] {
            std::fs::create_dir_all(prefix.join(sub)).map_err(|e| e.to_string())?;
        }
        for (relative, contents) in &self.files {
            let path = prefix.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&path, contents).map_err(|e| e.to_string())?;
        }
        let port = free_port();
        let ssl_port = self.ssl.as_ref().map(|_| free_port());
        let config = self.config(&prefix, port, ssl_port);
        let config_path = prefix.join("nginx.conf");
        std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
        let log_path = prefix.join("logs/stderr.log");
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let child = Command::new(binary())
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("could not run {}: {e}", binary().display()))?;
        let mut nginx = Nginx {
            port,
            ssl_port,
            child,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let up = [Some(port), ssl_port]
                .into_iter()
                .flatten()
                .all(|p| TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, p))).is_ok());
            if up {
                return Ok(nginx);
            }
            if let Ok(Some(status)) = nginx.child.try_wait() {
                return Err(format!("nginx exited with {status}: {}", nginx.logs()));
            }
            if Instant::now() > deadline {
                return Err(format!("nginx did not listen within 15s: {}", nginx.logs()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn config(&self, prefix: &Path, port: u16, ssl_port: Option<u16>) -> String {
        let p = prefix.display();
        let mut config = format!(
            "{main}daemon off;
master_process off;
worker_processes 1;
pid {p}/logs/nginx.pid;
error_log {p}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {p}/temp/client_body;
    proxy_temp_path {p}/temp/proxy;
    fastcgi_temp_path {p}/temp/fastcgi;
    uwsgi_temp_path {p}/temp/uwsgi;
    scgi_temp_path {p}/temp/scgi;
    default_type text/plain;
{http}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {p}/html;
{server}
    }}
",
            main = self.main,
            http = self.http,
            server = self.server,
        );
        if let (Some(ssl), Some(ssl_port)) = (&self.ssl, ssl_port) {
            config.push_str(&format!(
                "    server {{
        listen 127.0.0.1:{ssl_port} ssl;
        server_name localhost;
        root {p}/html;
        ssl_certificate {cert};
        ssl_certificate_key {key};
{server}
    }}
",
                cert = ssl.cert.display(),
                key = ssl.key.display(),
                server = ssl.server,
            ));
        }
        config.push_str("}\n");
        config
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running nginx; killed when dropped.
pub struct Nginx {
    pub port: u16,
    pub ssl_port: Option<u16>,
    child: Child,
    dir: tempfile::TempDir,
}

impl Nginx {
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `https://127.0.0.1:SSL_PORT{path}`; panics without an ssl block.
    pub fn https_url(&self, path: &str) -> String {
        let port = self.ssl_port.expect("this nginx has no ssl server block");
        format!("https://127.0.0.1:{port}{path}")
    }

    /// The prefix directory (config, logs, html).
    #[allow(dead_code)]
    pub fn prefix(&self) -> &Path {
        self.dir.path()
    }

    /// What nginx wrote to its logs, for failure messages.
    pub fn logs(&self) -> String {
        ["logs/stderr.log", "logs/error.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn nginx_serves_from_a_generated_config_and_stops_when_dropped() {
    let nginx = Nginx::builder()
        .server("location /hello { return 200 'hello from nginx'; }")
        .file("html/page.txt", "a static page")
        .start();
    let get = |path: &str| {
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect(("127.0.0.1", nginx.port)).expect("connect");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read");
        reply
    };
    assert!(
        get("/hello").ends_with("hello from nginx"),
        "{}",
        nginx.logs()
    );
    assert!(get("/page.txt").ends_with("a static page"));
    let port = nginx.port;
    drop(nginx);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nginx still listens after drop"
    );
}
