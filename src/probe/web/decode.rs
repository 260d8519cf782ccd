//! Compressed response bodies: the web probes ask for `gzip, deflate, br,
//! zstd` (what browsers accept) and decode what comes back as it
//! arrives, so every limit holds for the **decoded** bytes: the body limit
//! counts decoded bytes, and a body that grows more than [`MAX_RATIO`] times
//! its compressed size (past [`RATIO_FLOOR`]) is stopped as a compression
//! bomb. Decoders are flate2 (pure Rust, miniz_oxide), brotli-decompressor
//! and ruzstd ([`super::zstd`], which also refuses windows over 8 MiB).
//!
//! The response headers are kept as the server sent them (`Content-Encoding`
//! included): only the body is decoded.

use std::io::Write;

/// The `Accept-Encoding` sent unless the checklist sets its own.
pub const ACCEPT: &str = "gzip, deflate, br, zstd";

/// The most a body may grow when decoded, once past [`RATIO_FLOOR`].
pub const MAX_RATIO: usize = 200;

/// Decoded bytes below which the ratio is not judged (small, repetitive
/// bodies compress very well and are harmless).
pub const RATIO_FLOOR: usize = 64 << 10;

/// A content coding Candlefish decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `gzip` (or `x-gzip`).
    Gzip,
    /// `deflate`: zlib-wrapped, or raw deflate as some servers send it.
    Deflate,
    /// `br`.
    Brotli,
    /// `zstd`.
    Zstd,
}

impl Encoding {
    /// The coding a `Content-Encoding` value names: `Ok(None)` for none or
    /// `identity`, `Err` with the name for a coding Candlefish does not decode
    /// (several codings stacked included).
    pub fn from_header(value: Option<&str>) -> Result<Option<Encoding>, String> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        match value.to_ascii_lowercase().as_str() {
            "identity" => Ok(None),
            "gzip" | "x-gzip" => Ok(Some(Encoding::Gzip)),
            "deflate" => Ok(Some(Encoding::Deflate)),
            "br" => Ok(Some(Encoding::Brotli)),
            "zstd" => Ok(Some(Encoding::Zstd)),
            _ => Err(value.to_owned()),
        }
    }

    /// The name as HTTP writes it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }
}

/// Where decoded bytes go: kept up to the limit (or only counted).
#[derive(Debug, Default)]
pub struct Sink {
    /// The bytes kept.
    pub bytes: Vec<u8>,
    /// Decoded bytes taken, at most the limit.
    pub seen: usize,
    /// Whether more came than the limit.
    pub truncated: bool,
    limit: usize,
    keep: bool,
}

impl Sink {
    /// A sink for at most `limit` bytes, kept when `keep`.
    pub fn new(limit: usize, keep: bool) -> Sink {
        Sink {
            limit,
            keep,
            ..Sink::default()
        }
    }

    /// Takes `data`; false once the limit is passed.
    pub fn take(&mut self, data: &[u8]) -> bool {
        let room = self.limit - self.seen;
        let take = data.len().min(room);
        if self.keep {
            self.bytes.extend_from_slice(&data[..take]);
        }
        self.seen += take;
        if data.len() > room {
            self.truncated = true;
        }
        !self.truncated
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.take(buf) {
            Ok(buf.len())
        } else {
            Err(std::io::Error::other(FULL))
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const FULL: &str = "the body limit is reached";

enum Writer {
    Pending(Sink),
    Gzip(flate2::write::MultiGzDecoder<Sink>),
    Zlib(flate2::write::ZlibDecoder<Sink>),
    Raw(flate2::write::DeflateDecoder<Sink>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Sink>>),
    Zstd(Box<super::zstd::Zstd>),
}

/// Decodes one body chunk by chunk into a [`Sink`].
pub struct Decoder {
    encoding: Encoding,
    writer: Option<Writer>,
    /// Compressed bytes fed in.
    pub wire: usize,
}

/// Why decoding stopped short of the end of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The decoded body passed the limit: the sink says how far it got.
    Full,
    /// The body grows past [`MAX_RATIO`]: a compression bomb.
    Bomb(String),
    /// The bytes are not valid for the coding.
    Corrupt(String),
}

impl Decoder {
    /// A decoder for `encoding` into `sink`.
    pub fn new(encoding: Encoding, sink: Sink) -> Decoder {
        let writer = match encoding {
            // Several gzip members in a row are one body, as browsers read it.
            Encoding::Gzip => Writer::Gzip(flate2::write::MultiGzDecoder::new(sink)),
            // zlib or raw deflate: told apart by the first two bytes.
            Encoding::Deflate => Writer::Pending(sink),
            Encoding::Brotli => Writer::Brotli(Box::new(
                brotli_decompressor::DecompressorWriter::new(sink, 4096),
            )),
            Encoding::Zstd => Writer::Zstd(Box::new(super::zstd::Zstd::new(sink))),
        };
        Decoder {
            encoding,
            writer: Some(writer),
            wire: 0,
        }
    }

    /// The sink, as it stands.
    pub fn sink(&self) -> &Sink {
        match self.writer.as_ref() {
            Some(Writer::Pending(sink)) => sink,
            Some(Writer::Gzip(w)) => w.get_ref(),
            Some(Writer::Zlib(w)) => w.get_ref(),
            Some(Writer::Raw(w)) => w.get_ref(),
            Some(Writer::Brotli(w)) => w.get_ref(),
            Some(Writer::Zstd(w)) => w.sink(),
            None => unreachable!("a decoder always holds its writer"),
        }
    }

    /// Feeds compressed bytes.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Stop> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.wire += chunk.len();
        if let Some(Writer::Pending(_)) = &self.writer
            && let Some(Writer::Pending(sink)) = self.writer.take()
        {
            let zlib = chunk.len() >= 2
                && chunk[0] & 0x0f == 8
                && (u16::from(chunk[0]) << 8 | u16::from(chunk[1])) % 31 == 0;
            self.writer = Some(if zlib {
                Writer::Zlib(flate2::write::ZlibDecoder::new(sink))
            } else {
                Writer::Raw(flate2::write::DeflateDecoder::new(sink))
            });
        }
        let written = match self.writer.as_mut() {
            Some(Writer::Gzip(w)) => w.write_all(chunk),
            Some(Writer::Zlib(w)) => w.write_all(chunk),
            Some(Writer::Raw(w)) => w.write_all(chunk),
            Some(Writer::Brotli(w)) => w.write_all(chunk),
            Some(Writer::Zstd(w)) => w.feed(chunk).map_err(zstd_error),
            _ => Ok(()),
        };
        // The body limit is the plainer reason: it wins when both hold.
        self.judge(written)?;
        let seen = self.sink().seen;
        if seen > RATIO_FLOOR && seen > self.wire.saturating_mul(MAX_RATIO) {
            return Err(Stop::Bomb(format!(
                "the {} body grows more than {MAX_RATIO} times its size when decoded ({} bytes from {} bytes sent), so Candlefish stopped reading it (a compression bomb?)",
                self.encoding.name(),
                seen,
                self.wire
            )));
        }
        Ok(())
    }

    /// The end of the body: the stream must be complete.
    pub fn finish(&mut self) -> Result<(), Stop> {
        if self.wire == 0 {
            return Ok(());
        }
        let done = match self.writer.as_mut() {
            Some(Writer::Gzip(w)) => w.try_finish(),
            Some(Writer::Zlib(w)) => w.try_finish(),
            Some(Writer::Raw(w)) => w.try_finish(),
            Some(Writer::Brotli(w)) => w.flush().and_then(|()| w.close()),
            Some(Writer::Zstd(w)) => w.finish().map_err(zstd_error),
            _ => Ok(()),
        };
        self.judge(done)
    }

    fn judge(&self, result: std::io::Result<()>) -> Result<(), Stop> {
        match result {
            Ok(()) => Ok(()),
            Err(_) if self.sink().truncated => Err(Stop::Full),
            Err(e) => Err(Stop::Corrupt(format!(
                "the {} body could not be decoded ({e})",
                self.encoding.name()
            ))),
        }
    }

    /// The decoded body.
    pub fn into_sink(mut self) -> Sink {
        match self.writer.take() {
            Some(Writer::Pending(sink)) => sink,
            // The decoders are done with: take what they wrote.
            Some(Writer::Gzip(mut w)) => std::mem::take(w.get_mut()),
            Some(Writer::Zlib(mut w)) => std::mem::take(w.get_mut()),
            Some(Writer::Raw(mut w)) => std::mem::take(w.get_mut()),
            Some(Writer::Brotli(mut w)) => std::mem::take(w.get_mut()),
            Some(Writer::Zstd(mut w)) => std::mem::take(w.sink_mut()),
            None => Sink::default(),
        }
    }
}

/// A zstd stop as the other decoders report theirs: the sink says whether it was full.
fn zstd_error(error: super::zstd::Error) -> std::io::Error {
    match error {
        super::zstd::Error::Full => std::io::Error::other(FULL),
        super::zstd::Error::Corrupt(why) => std::io::Error::other(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn codings_are_named_as_http_writes_them() {
        assert_eq!(
            Encoding::from_header(Some("GZIP")),
            Ok(Some(Encoding::Gzip))
        );
        assert_eq!(Encoding::from_header(Some("identity")), Ok(None));
        assert_eq!(Encoding::from_header(None), Ok(None));
        assert_eq!(
            Encoding::from_header(Some("zstd")),
            Ok(Some(Encoding::Zstd))
        );
        assert_eq!(Encoding::from_header(Some("zst")), Err("zst".to_owned()));
        assert_eq!(
            Encoding::from_header(Some("gzip, br")),
            Err("gzip, br".to_owned())
        );
    }

    #[test]
    fn gzip_and_both_deflates_decode() {
        let text = br#"{"status":"ok"}"#;
        let mut d = Decoder::new(Encoding::Gzip, Sink::new(1 << 20, true));
        for chunk in gzip(text).chunks(3) {
            d.feed(chunk).unwrap();
        }
        d.finish().unwrap();
        assert_eq!(d.into_sink().bytes, text);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(text).unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(text).unwrap();
        for body in [zlib.finish().unwrap(), raw.finish().unwrap()] {
            let mut d = Decoder::new(Encoding::Deflate, Sink::new(1 << 20, true));
            d.feed(&body).unwrap();
            d.finish().unwrap();
            assert_eq!(d.into_sink().bytes, text);
        }
    }

    #[test]
    fn limits_hold_for_decoded_bytes_and_bombs_stop() {
        let zeros = gzip(&vec![0u8; 4 << 20]);
        let mut d = Decoder::new(Encoding::Gzip, Sink::new(1 << 20, false));
        assert_eq!(d.feed(&zeros), Err(Stop::Full));
        assert!(d.sink().seen <= (1 << 20));
        let mut chunked = Decoder::new(Encoding::Gzip, Sink::new(64 << 20, false));
        let stopped = zeros.chunks(100).find_map(|c| chunked.feed(c).err());
        assert!(matches!(stopped, Some(Stop::Bomb(_))), "{stopped:?}");
        assert!(chunked.sink().seen < (1 << 20), "{}", chunked.sink().seen);
        let mut small = Decoder::new(Encoding::Gzip, Sink::new(1000, true));
        let text = gzip(&[b'a'; 5000]);
        // flate2 hands decoded bytes on at the next write or at the end.
        let result = small.feed(&text).and_then(|()| small.finish());
        assert_eq!(result, Err(Stop::Full));
        assert_eq!(small.sink().seen, 1000);
        let mut broken = Decoder::new(Encoding::Gzip, Sink::new(1000, true));
        assert!(matches!(
            broken.feed(b"not gzip at all"),
            Err(Stop::Corrupt(_))
        ));
    }
}
