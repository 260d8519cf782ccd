//! Reading a file with a size limit that holds whatever the path is: a
//! regular file, a pipe, a device such as `/dev/zero`. The length the file
//! system reports is not trusted (it is 0 for devices and pipes); at most
//! `limit + 1` bytes are read, and more than `limit` is an error.

use std::io::Read as _;
use std::path::Path;

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io {
        /// The path, as given.
        path: String,
        /// What the system said.
        error: std::io::Error,
    },
    /// It holds more than the limit.
    TooLarge {
        /// The path, as given.
        path: String,
        /// `holds more than 16 MiB; a checklist is at most that`.
        problem: String,
    },
}

impl std::fmt::Display for ReadError {
    /// `cannot read x.yaml: no such file`, or `x.yaml holds more than …`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io { path, error } => write!(f, "cannot read {path}: {}", io_reason(error)),
            ReadError::TooLarge { path, problem } => write!(f, "{path} {problem}"),
        }
    }
}

impl From<ReadError> for String {
    fn from(e: ReadError) -> String {
        e.to_string()
    }
}

/// The bytes of `path`, at most `limit` of them; `what` names what the file
/// should be (`a checklist`) for the message when it holds more.
pub fn read_at_most(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, ReadError> {
    let cannot = |error: std::io::Error| ReadError::Io {
        path: path.display().to_string(),
        error,
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        let size =
            crate::probe::web::exchange::format_bytes(usize::try_from(limit).unwrap_or(usize::MAX));
        return Err(ReadError::TooLarge {
            path: path.display().to_string(),
            problem: format!("holds more than {size}; {what} is at most that"),
        });
    }
    Ok(bytes)
}

/// An I/O error as people say it: `no such file`, `permission denied`.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "it is a directory, not a file".to_owned(),
        std::io::ErrorKind::NotADirectory => "a part of the path is not a directory".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_files_are_bounded_alike() {
        let zero = read_at_most(Path::new("/dev/zero"), 1 << 20, "a thing").unwrap_err();
        assert_eq!(
            zero.to_string(),
            "/dev/zero holds more than 1 MiB; a thing is at most that"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_at_most(&path, 5, "x").unwrap(), b"12345");
        assert!(
            read_at_most(&path, 4, "x")
                .unwrap_err()
                .to_string()
                .ends_with("holds more than 4 bytes; x is at most that")
        );
        let missing = read_at_most(&dir.path().join("missing"), 4, "x").unwrap_err();
        assert!(
            missing.to_string().ends_with("missing: no such file"),
            "{missing}"
        );
    }
}
