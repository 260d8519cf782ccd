//! Throwaway PostgreSQL clusters for the tests: Debian's binaries, `initdb` in
//! a temp dir, run as the unprivileged `postgres` user when the tests run as
//! root (CI does; PostgreSQL refuses to run as root), on a free loopback port,
//! optionally with TLS from a test CA and WAL archiving to a temp dir; a
//! streaming replica made with `pg_basebackup -R`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::daemon::{Daemon, find, free_port};

/// The superuser's password in every test cluster.
pub const SUPER_PASSWORD: &str = "super-pw-5e1f";

const HINT: &str = "install it with `apt-get install postgresql` (scripts/test does)";

/// The directory of PostgreSQL's binaries: the newest /usr/lib/postgresql/N/bin.
pub fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p): &(u32, PathBuf)| p.join("initdb").is_file())
        .collect();
    found.sort();
    match found.pop() {
        Some((_, dir)) => dir,
        None => find("initdb", &[], HINT)
            .parent()
            .expect("bin dir")
            .to_owned(),
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A command for a PostgreSQL server binary, as the `postgres` user when we are root.
fn server_command(program: &str, cwd: &Path) -> Command {
    let path = bin_dir().join(program);
    let mut command = if running_as_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(path);
        c
    } else {
        Command::new(path)
    };
    command
        .current_dir(cwd)
        .env("PGPASSWORD", SUPER_PASSWORD)
        .env_remove("PGDATA");
    command
}

fn hand_over(path: &Path) {
    if running_as_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(path)
            .status()
            .expect("chown");
        assert!(status.success(), "chown postgres {}", path.display());
    }
}

fn run(mut command: Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How to start a cluster.
#[derive(Default)]
pub struct Options {
    /// Certificate and key (PEM) for TLS.
    pub tls: Option<(String, String)>,
    /// Archive WAL to a directory (`archive_command` copies there).
    pub archive: bool,
}

/// A running cluster.
pub struct Pg {
    pub port: u16,
    /// Where archived WAL goes, when archiving.
    pub archive: PathBuf,
    dir: tempfile::TempDir,
    daemon: Option<Daemon>,
}

impl Pg {
    /// A new primary.
    pub fn start(options: &Options) -> Pg {
        let dir = tempfile::Builder::new()
            .prefix("candlefish-pg")
            .tempdir()
            .expect("tempdir");
        let root = dir.path();
        let archive = root.join("archive");
        std::fs::create_dir_all(&archive).expect("archive dir");
        std::fs::write(root.join("pw"), SUPER_PASSWORD).expect("pwfile");
        let mut conf = String::from(
            "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 30\nshared_buffers = 16MB\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nwal_level = replica\nmax_wal_senders = 5\nwal_sender_timeout = 5s\nwal_receiver_status_interval = 1s\nlog_min_messages = warning\n",
        );
        if options.archive {
            conf.push_str(&format!(
                "archive_mode = on\narchive_command = 'cp %p {}/%f'\n",
                archive.display()
            ));
        }
        if let Some((cert, key)) = &options.tls {
            std::fs::write(root.join("server.crt"), cert).expect("cert");
            std::fs::write(root.join("server.key"), key).expect("key");
            conf.push_str(&format!(
                "ssl = on\nssl_cert_file = '{0}/server.crt'\nssl_key_file = '{0}/server.key'\n",
                root.display()
            ));
        }
        hand_over(root);
        if options.tls.is_some() {
            std::fs::set_permissions(
                root.join("server.key"),
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )
            .expect("chmod key");
        }
        let data = root.join("data");
        let mut initdb = server_command("initdb", root);
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .arg(format!("--pwfile={}", root.join("pw").display()));
        run(initdb, "initdb");
        let path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&path).expect("postgresql.conf");
        text.push_str(&conf);
        std::fs::write(&path, text).expect("postgresql.conf");
        let mut pg = Pg {
            port: 0,
            archive,
            dir,
            daemon: None,
        };
        pg.launch(&data);
        pg
    }

    /// A streaming replica of `primary`, made with `pg_basebackup -R`.
    pub fn replica_of(primary: &Pg) -> Pg {
        let dir = tempfile::Builder::new()
            .prefix("candlefish-pgr")
            .tempdir()
            .expect("tempdir");
        let root = dir.path();
        hand_over(root);
        let data = root.join("data");
        let mut backup = server_command("pg_basebackup", root);
        backup
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-R",
                "-X",
                "stream",
                "--no-sync",
                "-D",
            ])
            .arg(&data);
        run(backup, "pg_basebackup");
        let mut pg = Pg {
            port: 0,
            archive: root.join("archive"),
            dir,
            daemon: None,
        };
        pg.launch(&data);
        pg
    }

    fn launch(&mut self, data: &Path) {
        for _ in 0..3 {
            let port = free_port();
            let mut command = server_command("postgres", self.dir.path());
            command.arg("-D").arg(data).args(["-p", &port.to_string()]);
            let mut daemon = Daemon::spawn(
                "postgres",
                command,
                &self.dir.path().join(format!("log-{port}")),
            );
            std::thread::sleep(Duration::from_millis(100));
            if daemon.exited() && daemon.logs().contains("in use") {
                continue;
            }
            daemon.wait_for_port(port, Duration::from_secs(30));
            self.port = port;
            self.daemon = Some(daemon);
            // Accepting TCP is not accepting queries yet.
            for _ in 0..200 {
                if self.try_sql("SELECT 1").is_ok() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            panic!(
                "postgres never answered:\n{}",
                self.daemon.as_ref().map(Daemon::logs).unwrap_or_default()
            );
        }
        panic!("postgres could not find a free port");
    }

    /// `postgres://user:password@127.0.0.1:PORT/db` plus `query` (e.g. `?sslmode=disable`).
    pub fn url(&self, user: &str, password: &str, db: &str, query: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{db}{query}",
            self.port
        )
    }

    /// Runs SQL as the superuser in database `postgres`; the output, or psql's error.
    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        self.try_sql_in("postgres", sql)
    }

    /// Runs SQL as the superuser in `db`.
    pub fn try_sql_in(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(bin_dir().join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .env("PGPASSWORD", SUPER_PASSWORD)
            .env("PGSSLMODE", "disable")
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs SQL as the superuser, panicking on an error.
    #[track_caller]
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs SQL in `db` as the superuser, panicking on an error.
    #[track_caller]
    pub fn sql_in(&self, db: &str, sql: &str) -> String {
        self.try_sql_in(db, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Waits until `sql` returns `want`.
    #[track_caller]
    pub fn wait_for(&self, sql: &str, want: &str, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        loop {
            let got = self.try_sql(sql);
            if got.as_deref() == Ok(want) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{sql} gave {got:?}, not {want}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
