//! An append-only log of typed records, one JSON object per line, that never
//! loses an acknowledged record. The sign-off store uses it, and so does the
//! launch-day runbook's journal (`runbook::journal`).
//!
//! Guarantees:
//!
//! - **Durable:** [`Log::append`] returns only after the line is written and the
//!   file and its directory are fsync'd. A caller that got `Ok` may tell a person
//!   "recorded".
//! - **Atomic per record:** a record is one `write` of one line. A crash can at
//!   worst leave a torn *last* line; the next writer starts on a fresh line, so a
//!   torn line never swallows a later record.
//! - **Serialized:** writers hold an exclusive lock on the file (`File::lock`),
//!   readers a shared one, so no reader sees another process's half-written line.
//! - **Never silently dropped:** [`Log::read`] returns every line it could not
//!   read as a [`Problem`] with its line number, next to the records it could.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::chain::{self, Link};

/// Logs larger than this are refused when read (a state file is text a person reviews).
pub const MAX_LOG_SIZE: u64 = 64 << 20;

/// One append-only JSON-lines file.
#[derive(Debug, Clone)]
pub struct Log {
    path: PathBuf,
}

/// A record and the line it is on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<R> {
    /// The 1-based line number.
    pub line: usize,
    /// The record.
    pub record: R,
}

/// A line that is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong with it, for people.
    pub message: String,
}

/// Everything a log holds: its records in order, and the lines that are not records.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents<R> {
    /// Records, in the order they were appended.
    pub entries: Vec<Entry<R>>,
    /// Lines that could not be read, in file order.
    pub problems: Vec<Problem>,
    /// Every non-empty line's hash and `prev`, for the hash chain
    /// ([`super::chain`]); read or not.
    pub links: Vec<Link>,
}

impl<R> Default for Contents<R> {
    fn default() -> Self {
        Contents {
            entries: Vec::new(),
            problems: Vec::new(),
            links: Vec::new(),
        }
    }
}

/// Why a log could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct LogError {
    /// The log's path.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

impl Log {
    /// The log at `path`. Nothing is opened or created until used.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Log { path: path.into() }
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, doing: &str, e: &io::Error) -> LogError {
        LogError {
            path: self.path.display().to_string(),
            message: format!("{doing}: {}", crate::bounded::io_reason(e)),
        }
    }

    /// Appends one record durably: creates the file (and its directory) when
    /// missing, takes the exclusive lock, starts a fresh line if the last one is
    /// torn, writes the record as one line, and fsyncs the file and its directory.
    pub fn append<R: Serialize>(&self, record: &R) -> Result<(), LogError> {
        let line = self.encode(record)?;
        self.append_with(|_| Ok(line))
    }

    /// Appends one record as [`Log::append`] does, carrying the hash chain: the
    /// record gets a `prev` field with the hash of the log's last line, or of
    /// `genesis` when the log is empty ([`chain`]). The last line is read under
    /// the same lock the write holds, so two writers cannot fork the chain.
    pub fn append_chained<R: Serialize>(&self, record: &R, genesis: &str) -> Result<(), LogError> {
        let value = serde_json::to_value(record).map_err(|e| LogError {
            path: self.path.display().to_string(),
            message: format!("cannot encode the record: {e}"),
        })?;
        self.append_with(|file| {
            let serde_json::Value::Object(mut map) = value else {
                return Err(LogError {
                    path: self.path.display().to_string(),
                    message: "a chained record must be a JSON object".to_owned(),
                });
            };
            let prev = self
                .last_line(file)?
                .map_or_else(|| genesis.to_owned(), |last| chain::hash(&last));
            map.insert(chain::FIELD.to_owned(), serde_json::Value::String(prev));
            self.encode(&map)
        })
    }

    fn encode<R: Serialize>(&self, record: &R) -> Result<String, LogError> {
        let mut line = serde_json::to_string(record).map_err(|e| LogError {
            path: self.path.display().to_string(),
            message: format!("cannot encode the record: {e}"),
        })?;
        line.push('\n');
        Ok(line)
    }

    /// The last non-empty line of the open, locked log, without its newline.
    fn last_line(&self, file: &mut File) -> Result<Option<Vec<u8>>, LogError> {
        let mut bytes = Vec::new();
        file.take(MAX_LOG_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.error("cannot read", &e))?;
        if bytes.len() as u64 > MAX_LOG_SIZE {
            return Err(LogError {
                path: self.path.display().to_string(),
                message: format!(
                    "holds more than {} MiB; larger logs are refused",
                    MAX_LOG_SIZE >> 20
                ),
            });
        }
        Ok(bytes
            .split(|b| *b == b'\n')
            .rev()
            .find(|line| !line.iter().all(u8::is_ascii_whitespace))
            .map(<[u8]>::to_vec))
    }

    /// Opens, locks and appends the line `build` makes from the locked file.
    fn append_with(
        &self,
        build: impl FnOnce(&mut File) -> Result<String, LogError>,
    ) -> Result<(), LogError> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_dir_durably(&dir).map_err(|e| self.error("cannot create its directory", &e))?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| self.error("cannot open for writing", &e))?;
        file.lock().map_err(|e| self.error("cannot lock", &e))?;
        let mut line = build(&mut file)?;
        let len = file
            .metadata()
            .map_err(|e| self.error("cannot read its size", &e))?
            .len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.read_exact_at(&mut last, len - 1)
                .map_err(|e| self.error("cannot read its last byte", &e))?;
            if last[0] != b'\n' {
                // A crash tore the last record: start ours on a line of its own.
                line.insert(0, '\n');
            }
        }
        file.write_all(line.as_bytes())
            .map_err(|e| self.error("cannot write", &e))?;
        file.sync_all()
            .map_err(|e| self.error("cannot flush to disk (fsync)", &e))?;
        // The directory entry must be durable too, or a new file may vanish.
        sync_dir(&dir).map_err(|e| self.error("cannot flush its directory (fsync)", &e))?;
        Ok(())
        // The lock is released when `file` closes.
    }

    /// Reads every record under a shared lock. A missing file is an empty log.
    pub fn read<R: DeserializeOwned>(&self) -> Result<Contents<R>, LogError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Contents::default()),
            Err(e) => return Err(self.error("cannot open", &e)),
        };
        file.lock_shared()
            .map_err(|e| self.error("cannot lock", &e))?;
        let len = file
            .metadata()
            .map_err(|e| self.error("cannot read its size", &e))?
            .len();
        if len > MAX_LOG_SIZE {
            return Err(LogError {
                path: self.path.display().to_string(),
                message: format!(
                    "is {} MiB; logs larger than {} MiB are refused",
                    len >> 20,
                    MAX_LOG_SIZE >> 20
                ),
            });
        }
        // Devices and pipes report no length: the read itself is bounded too.
        let mut bytes = Vec::new();
        (&mut file)
            .take(MAX_LOG_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.error("cannot read", &e))?;
        if bytes.len() as u64 > MAX_LOG_SIZE {
            return Err(LogError {
                path: self.path.display().to_string(),
                message: format!(
                    "holds more than {} MiB; larger logs are refused",
                    MAX_LOG_SIZE >> 20
                ),
            });
        }
        Ok(parse(&bytes))
    }
}

/// Splits a log's bytes into records and problems.
pub fn parse<R: DeserializeOwned>(bytes: &[u8]) -> Contents<R> {
    let mut contents = Contents::default();
    let ends_with_newline = bytes.last() == Some(&b'\n');
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // `split` yields an empty piece after a final newline; it is not a line.
    let count = if ends_with_newline || bytes.is_empty() {
        lines.len() - 1
    } else {
        lines.len()
    };
    for (index, raw) in lines.iter().take(count).enumerate() {
        let line = index + 1;
        let torn = index + 1 == count && !ends_with_newline;
        let Ok(text) = std::str::from_utf8(raw) else {
            contents.links.push(chain::link(line, raw));
            contents.problems.push(Problem {
                line,
                message: "not UTF-8 text".to_owned(),
            });
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        contents.links.push(chain::link(line, raw));
        match serde_json::from_str::<R>(text) {
            Ok(record) => contents.entries.push(Entry { line, record }),
            // The last line without its newline: a write cut short.
            Err(_) if torn => contents.problems.push(Problem {
                line,
                message: format!(
                    "incomplete record (a write was interrupted, so it was never acknowledged): {}",
                    crate::probe::expect::excerpt(text, 60)
                ),
            }),
            // Earlier lines: an append after a torn write starts a fresh line,
            // but a hand edit can also spread a record over several lines.
            Err(e) if e.is_eof() => contents.problems.push(Problem {
                line,
                message: format!(
                    "incomplete record (a write that was interrupted, or a record a hand edit spread over several lines; \
                     each record is one JSON object on one line): {}",
                    crate::probe::expect::excerpt(text, 60)
                ),
            }),
            Err(e) => contents.problems.push(Problem {
                line,
                message: format!(
                    "not a valid record ({}): {}",
                    strip_position(&e.to_string()),
                    crate::probe::expect::excerpt(text, 60)
                ),
            }),
        }
    }
    contents
}

/// serde_json ends messages with ` at line 1 column N`; in a log the line is ours.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// Creates `dir` and any missing parents, fsyncing each parent whose entries changed.
fn create_dir_durably(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir_durably(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    sync_dir(parent)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Rec {
        n: u32,
    }

    fn read(bytes: &str) -> Contents<Rec> {
        parse(bytes.as_bytes())
    }

    #[test]
    fn reads_records_with_line_numbers() {
        let c = read("{\"n\":1}\n\n{\"n\":2}\n");
        assert_eq!(c.problems, []);
        assert_eq!(
            c.entries,
            [
                Entry {
                    line: 1,
                    record: Rec { n: 1 }
                },
                Entry {
                    line: 3,
                    record: Rec { n: 2 }
                }
            ]
        );
    }

    #[test]
    fn a_record_spread_over_lines_is_not_called_torn() {
        let c = read("{\"n\":1}\n{\n\"n\": 2\n}\n{\"n\":3}\n");
        assert_eq!(c.entries.len(), 2);
        assert!(
            c.problems[0].message.contains("spread over several lines"),
            "{:?}",
            c.problems
        );
    }

    #[test]
    fn torn_and_corrupt_lines_are_reported_not_dropped() {
        let c = read("{\"n\":1}\nnonsense\n{\"n\":2}\n{\"n\":3");
        assert_eq!(c.entries.len(), 2);
        assert_eq!(c.problems.len(), 2);
        assert_eq!(c.problems[0].line, 2);
        assert!(c.problems[0].message.starts_with("not a valid record"));
        assert_eq!(c.problems[1].line, 4);
        assert!(c.problems[1].message.starts_with("incomplete record"));
    }

    #[test]
    fn a_complete_last_line_without_newline_is_a_record() {
        let c = read("{\"n\":1}\n{\"n\":2}");
        assert_eq!(c.entries.len(), 2);
        assert!(c.problems.is_empty());
    }

    #[test]
    fn appends_start_on_a_fresh_line_after_a_torn_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/log.jsonl");
        let log = Log::new(&path);
        log.append(&Rec { n: 1 }).unwrap();
        // A crash mid-write leaves half a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"n\":").unwrap();
        log.append(&Rec { n: 3 }).unwrap();
        let c: Contents<Rec> = log.read().unwrap();
        assert_eq!(
            c.entries.iter().map(|e| e.record.n).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].line, 2);
        assert!(c.problems[0].message.starts_with("incomplete record"));
        assert_eq!(c.entries[1].line, 3);
    }

    #[test]
    fn chained_appends_name_the_line_before() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path().join("log.jsonl"));
        let genesis = chain::genesis("launch");
        log.append_chained(&Rec { n: 1 }, &genesis).unwrap();
        log.append_chained(&Rec { n: 2 }, &genesis).unwrap();
        let c: Contents<Rec> = log.read().unwrap();
        assert_eq!(c.entries.len(), 2, "`prev` is not part of the record");
        assert_eq!(c.links[0].prev.as_deref(), Some(genesis.as_str()));
        assert_eq!(c.links[1].prev.as_ref(), Some(&c.links[0].hash));
        assert_eq!(chain::verify(&c.links, &genesis), (vec![], vec![]));
    }

    #[test]
    fn a_missing_log_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let c: Contents<Rec> = Log::new(dir.path().join("none.jsonl")).read().unwrap();
        assert!(c.entries.is_empty() && c.problems.is_empty());
    }
}
