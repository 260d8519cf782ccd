//! Does the server still speak TLS 1.0 or 1.1? rustls cannot, so this sends a
//! hand-built ClientHello offering only those versions over a plain TCP socket
//! and reads the first record back: a ServerHello names the version the server
//! chose, an alert or a closed connection means it refused. At most a few bytes
//! are read, under a deadline.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long the legacy check may take, connection included.
pub const DEADLINE: Duration = Duration::from_secs(3);

/// What the server did with a TLS 1.0/1.1-only ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Legacy {
    /// It answered with a ServerHello for this version (`0x0301` is TLS 1.0).
    Accepted(u16),
    /// It refused: an alert, a closed connection, or a hello for a newer version.
    Refused(String),
    /// It could not be told: no connection, no answer before the deadline.
    Unknown(String),
}

/// The name of a TLS protocol version number.
pub fn version_name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301 => "TLS 1.0".to_owned(),
        0x0302 => "TLS 1.1".to_owned(),
        0x0303 => "TLS 1.2".to_owned(),
        0x0304 => "TLS 1.3".to_owned(),
        other => format!("version 0x{other:04x}"),
    }
}

/// Offers TLS 1.0 and 1.1 to `addr` (sending `sni` if given) and reports what came back.
pub async fn check(host: &str, port: u16, sni: Option<&str>) -> Legacy {
    match tokio::time::timeout(DEADLINE, exchange(host, port, sni)).await {
        Ok(result) => result,
        Err(_) => Legacy::Unknown(format!(
            "no answer to a TLS 1.0/1.1 hello within {}s",
            DEADLINE.as_secs()
        )),
    }
}

async fn exchange(host: &str, port: u16, sni: Option<&str>) -> Legacy {
    let mut stream = match TcpStream::connect((host, port)).await {
        Ok(stream) => stream,
        Err(e) => return Legacy::Unknown(format!("could not connect: {e}")),
    };
    if let Err(e) = stream.write_all(&client_hello(sni)).await {
        return Legacy::Refused(format!("closed the connection ({e})"));
    }
    let mut header = [0u8; 5];
    if stream.read_exact(&mut header).await.is_err() {
        return Legacy::Refused("closed the connection".to_owned());
    }
    let mut body = [0u8; 6];
    let wanted = usize::from(u16::from_be_bytes([header[3], header[4]])).min(body.len());
    if stream.read_exact(&mut body[..wanted]).await.is_err() {
        return Legacy::Refused("closed the connection mid-record".to_owned());
    }
    interpret(header, &body[..wanted])
}

/// Reads the first record of the answer: its 5-byte header and up to 6 bytes of body.
fn interpret(header: [u8; 5], body: &[u8]) -> Legacy {
    const HANDSHAKE: u8 = 22;
    const ALERT: u8 = 21;
    const SERVER_HELLO: u8 = 2;
    match header[0] {
        ALERT if body.len() >= 2 => Legacy::Refused(format!("alert {}", alert_name(body[1]))),
        HANDSHAKE if body.len() >= 6 && body[0] == SERVER_HELLO => {
            let version = u16::from_be_bytes([body[4], body[5]]);
            if version <= 0x0302 {
                Legacy::Accepted(version)
            } else {
                Legacy::Refused(format!("answered with {}", version_name(version)))
            }
        }
        _ => Legacy::Unknown("the answer is not TLS".to_owned()),
    }
}

fn alert_name(code: u8) -> String {
    match code {
        40 => "handshake_failure".to_owned(),
        47 => "illegal_parameter".to_owned(),
        50 => "decode_error".to_owned(),
        70 => "protocol_version".to_owned(),
        71 => "insufficient_security".to_owned(),
        80 => "internal_error".to_owned(),
        86 => "inappropriate_fallback".to_owned(),
        112 => "unrecognized_name".to_owned(),
        other => format!("{other}"),
    }
}

/// A ClientHello record offering TLS 1.0 and 1.1 with common CBC suites.
fn client_hello(sni: Option<&str>) -> Vec<u8> {
    const SUITES: &[u16] = &[
        0xc013, 0xc014, 0xc009, 0xc00a, // ECDHE with AES-CBC-SHA
        0x0033, 0x0039, // DHE-RSA with AES-CBC-SHA
        0x002f, 0x0035, 0x000a, // RSA with AES-CBC-SHA and 3DES
        0x00ff, // renegotiation info SCSV
    ];
    let mut extensions = Vec::new();
    if let Some(name) = sni.filter(|n| !n.is_empty() && n.len() < 256) {
        let name = name.as_bytes();
        let mut list = vec![0u8];
        push_u16(&mut list, name.len());
        list.extend_from_slice(name);
        let mut data = Vec::new();
        push_u16(&mut data, list.len());
        data.extend(list);
        push_extension(&mut extensions, 0x0000, &data);
    }
    // supported_groups: x25519, secp256r1, secp384r1
    push_extension(
        &mut extensions,
        0x000a,
        &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
    );
    // ec_point_formats: uncompressed
    push_extension(&mut extensions, 0x000b, &[1, 0]);

    let mut hello = vec![0x03, 0x02]; // highest version offered: TLS 1.1
    hello.extend(random());
    hello.push(0); // no session id
    push_u16(&mut hello, SUITES.len() * 2);
    for suite in SUITES {
        hello.extend(suite.to_be_bytes());
    }
    hello.extend([1, 0]); // compression: null
    push_u16(&mut hello, extensions.len());
    hello.extend(extensions);

    let mut handshake = vec![1]; // ClientHello
    let len = hello.len();
    handshake.extend([(len >> 16) as u8, (len >> 8) as u8, len as u8]);
    handshake.extend(hello);

    let mut record = vec![22, 0x03, 0x01]; // handshake record, TLS 1.0
    push_u16(&mut record, handshake.len());
    record.extend(handshake);
    record
}

fn push_u16(out: &mut Vec<u8>, n: usize) {
    out.extend((n as u16).to_be_bytes());
}

fn push_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend(kind.to_be_bytes());
    push_u16(out, data.len());
    out.extend_from_slice(data);
}

/// 32 bytes the server will not mistake for a replay: the clock and a hash seed.
fn random() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&hasher.finish().to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_lengths_add_up() {
        let record = client_hello(Some("example.com"));
        assert_eq!(&record[..3], &[22, 3, 1]);
        let record_len = usize::from(u16::from_be_bytes([record[3], record[4]]));
        assert_eq!(record_len, record.len() - 5);
        let hs_len =
            (usize::from(record[6]) << 16) | (usize::from(record[7]) << 8) | usize::from(record[8]);
        assert_eq!(hs_len, record.len() - 9);
        assert_eq!(&record[9..11], &[3, 2]);
        assert!(record.windows(11).any(|w| w == b"example.com"));
    }

    #[test]
    fn answers_are_read_from_the_first_record() {
        assert_eq!(
            interpret([22, 3, 1, 0, 80], &[2, 0, 0, 76, 3, 1]),
            Legacy::Accepted(0x0301)
        );
        assert_eq!(
            interpret([21, 3, 1, 0, 2], &[2, 70]),
            Legacy::Refused("alert protocol_version".into())
        );
        assert!(matches!(
            interpret([22, 3, 3, 0, 80], &[2, 0, 0, 76, 3, 3]),
            Legacy::Refused(_)
        ));
        assert!(matches!(
            interpret(*b"HTTP/", b"1.1 40"),
            Legacy::Unknown(_)
        ));
    }
}
