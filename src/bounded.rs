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
    Io(std::io::Error),
    /// It holds more than the limit.
    TooLarge,
}

/// The bytes of `path`, at most `limit` of them.
pub fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_files_are_bounded_alike() {
        assert!(matches!(
            read_at_most(Path::new("/dev/zero"), 1024),
            Err(ReadError::TooLarge)
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_at_most(&path, 5).unwrap(), b"12345");
        assert!(matches!(read_at_most(&path, 4), Err(ReadError::TooLarge)));
        assert!(matches!(
            read_at_most(&dir.path().join("missing"), 4),
            Err(ReadError::Io(_))
        ));
    }
}
