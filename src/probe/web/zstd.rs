//! `zstd` response bodies (RFC 8878, as HTTP uses it per RFC 9659), decoded
//! as they arrive with ruzstd (pure Rust). ruzstd reads whole blocks from a
//! reader, so the bytes of a block still on the wire wait in `pending`: only
//! complete blocks are handed to it, told apart by their 3-byte headers. Frames
//! may follow each other; skippable frames are skipped.
//!
//! Memory stays bounded whatever the server sends: `pending` holds at most one
//! block (128 KiB) and a chunk; a frame that asks for a window over
//! [`MAX_WINDOW`] (the most HTTP decoders must support) is refused before
//! anything is allocated; decoding goes at most [`STEP`] bytes past what has
//! been handed on, so the [`Sink`]'s limit and the caller's ratio check see
//! every step.

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use super::decode::Sink;

/// The largest window a frame may ask for: 8 MiB, as RFC 9659 sets for HTTP.
pub const MAX_WINDOW: u64 = 8 << 20;

/// How far one decoding step runs before its output is handed on.
const STEP: usize = 64 << 10;

/// The most bytes a block's content takes (RFC 8878 §3.1.1.2.3).
const MAX_BLOCK: usize = 128 << 10;

/// The longest frame header: magic, descriptor, window, dictionary id, content size.
const MAX_HEADER: usize = 4 + 1 + 1 + 4 + 8;

/// Why decoding stopped.
#[derive(Debug)]
pub enum Error {
    /// The sink is full.
    Full,
    /// The bytes are not a zstd body Candlefish accepts.
    Corrupt(String),
}

/// A zstd body being decoded into a sink.
pub struct Zstd {
    pending: Vec<u8>,
    frame: Option<Frame>,
    /// Bytes of a skippable frame still to skip.
    skip: usize,
    sink: Sink,
}

struct Frame {
    decoder: FrameDecoder,
    checksum: bool,
}

impl Zstd {
    /// A decoder into `sink`.
    pub fn new(sink: Sink) -> Zstd {
        Zstd {
            pending: Vec::new(),
            frame: None,
            skip: 0,
            sink,
        }
    }

    /// The sink, as it stands.
    pub fn sink(&self) -> &Sink {
        &self.sink
    }

    /// The sink, for taking its bytes.
    pub fn sink_mut(&mut self) -> &mut Sink {
        &mut self.sink
    }

    /// Feeds compressed bytes: decodes every complete block among them.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.pending.extend_from_slice(chunk);
        self.pump(false)
    }

    /// The end of the body: what is left must be whole frames.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.pump(true)?;
        if self.frame.is_some() || self.skip > 0 || !self.pending.is_empty() {
            return Err(Error::Corrupt("the body ends inside a frame".to_owned()));
        }
        Ok(())
    }

    fn pump(&mut self, end: bool) -> Result<(), Error> {
        loop {
            if self.skip > 0 {
                let n = self.skip.min(self.pending.len());
                self.pending.drain(..n);
                self.skip -= n;
                if self.skip > 0 {
                    return Ok(());
                }
            }
            if self.frame.is_none() && !self.start_frame(end)? {
                return Ok(());
            }
            if self.frame.is_some() && !self.decode_blocks()? {
                return Ok(());
            }
        }
    }

    /// Reads the next frame's header from `pending`; false when there is not
    /// enough of it yet (or nothing at all).
    fn start_frame(&mut self, end: bool) -> Result<bool, Error> {
        if self.pending.is_empty() {
            return Ok(false);
        }
        let mut decoder = FrameDecoder::new();
        decoder.set_max_window_size(MAX_WINDOW);
        let mut source = self.pending.as_slice();
        match decoder.reset(&mut source) {
            Ok(()) => {
                let used = self.pending.len() - source.len();
                // The frame header descriptor's bit 2: a checksum ends the frame.
                let checksum = self.pending[4] & 0x04 != 0;
                self.pending.drain(..used);
                self.frame = Some(Frame { decoder, checksum });
                Ok(true)
            }
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                length,
                ..
            })) => {
                self.pending.drain(..8);
                self.skip = length as usize;
                Ok(true)
            }
            Err(FrameDecoderError::WindowSizeTooBig { requested, .. }) => {
                Err(Error::Corrupt(format!(
                    "a frame asks for a {} MiB window, more than the 8 MiB HTTP allows",
                    requested >> 20
                )))
            }
            Err(_) if self.pending.len() < MAX_HEADER && !end => Ok(false),
            Err(e) => Err(Error::Corrupt(e.to_string())),
        }
    }

    /// Decodes the complete blocks at the start of `pending`; false when
    /// the next block is not all here yet.
    fn decode_blocks(&mut self) -> Result<bool, Error> {
        let Some(frame) = self.frame.as_mut() else {
            return Ok(false);
        };
        let (ready, last) = complete_blocks(&self.pending, frame.checksum)?;
        if ready == 0 {
            return Ok(false);
        }
        let mut source = &self.pending[..ready];
        while !source.is_empty() {
            frame
                .decoder
                .decode_blocks(&mut source, BlockDecodingStrategy::UptoBytes(STEP))
                .map_err(|e| Error::Corrupt(e.to_string()))?;
            hand_on(&mut frame.decoder, &mut self.sink)?;
        }
        self.pending.drain(..ready);
        if last {
            hand_on(&mut frame.decoder, &mut self.sink)?;
            if frame.checksum
                && frame.decoder.get_checksum_from_data() != frame.decoder.get_calculated_checksum()
            {
                return Err(Error::Corrupt(
                    "the frame's checksum does not match".to_owned(),
                ));
            }
            self.frame = None;
        }
        Ok(true)
    }
}

/// Moves what the decoder may give up into the sink.
fn hand_on(decoder: &mut FrameDecoder, sink: &mut Sink) -> Result<(), Error> {
    match decoder.collect_to_writer(&mut *sink) {
        Ok(_) => Ok(()),
        Err(_) if sink.truncated => Err(Error::Full),
        Err(e) => Err(Error::Corrupt(e.to_string())),
    }
}

/// How many bytes at the start of `bytes` are whole blocks (with the
/// checksum after the last block, when the frame has one), and whether the
/// frame's last block is among them.
fn complete_blocks(bytes: &[u8], checksum: bool) -> Result<(usize, bool), Error> {
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 3) {
        let value = u32::from(header[0]) | u32::from(header[1]) << 8 | u32::from(header[2]) << 16;
        let last = value & 1 == 1;
        let size = (value >> 3) as usize;
        let content = match (value >> 1) & 3 {
            1 => 1,
            3 => return Err(Error::Corrupt("a block of the reserved type".to_owned())),
            _ => size,
        };
        if size > MAX_BLOCK {
            return Err(Error::Corrupt(format!(
                "a block of {size} bytes, more than the 128 KiB a block may hold"
            )));
        }
        let end = at + 3 + content + if last && checksum { 4 } else { 0 };
        if end > bytes.len() {
            break;
        }
        at = end;
        if last {
            return Ok((at, true));
        }
    }
    Ok((at, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

    /// A block header: last flag, type (0 raw, 1 RLE), size.
    fn block(last: bool, kind: u32, size: u32) -> [u8; 3] {
        let v = u32::from(last) | kind << 1 | size << 3;
        [v as u8, (v >> 8) as u8, (v >> 16) as u8]
    }

    /// A single-segment frame holding `text` in one raw block.
    fn raw_frame(text: &[u8]) -> Vec<u8> {
        let mut f = MAGIC.to_vec();
        f.extend([0x20, text.len() as u8]);
        f.extend(block(true, 0, text.len() as u32));
        f.extend(text);
        f
    }

    fn decode(body: &[u8], chunk: usize, limit: usize) -> (Result<(), String>, Sink) {
        let mut z = Zstd::new(Sink::new(limit, true));
        let result = body
            .chunks(chunk)
            .try_for_each(|c| z.feed(c))
            .and_then(|()| z.finish())
            .map_err(|e| format!("{e:?}"));
        (result, std::mem::take(z.sink_mut()))
    }

    #[test]
    fn frames_decode_whole_or_a_byte_at_a_time_and_skippable_ones_are_skipped() {
        let mut body = raw_frame(b"hello, ");
        body.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
        body.extend(raw_frame(b"world"));
        for chunk in [1, 2, 5, body.len()] {
            let (result, sink) = decode(&body, chunk, 1 << 20);
            assert_eq!(result, Ok(()), "chunk {chunk}");
            assert_eq!(sink.bytes, b"hello, world", "chunk {chunk}");
        }
    }

    #[test]
    fn a_run_of_rle_blocks_fills_the_sink_and_stops() {
        // 1 MiB window; each 4-byte RLE block makes 128 KiB of zeros.
        let mut body = MAGIC.to_vec();
        body.extend([0x00, 0x50]);
        for _ in 0..100 {
            body.extend(block(false, 1, 128 << 10));
            body.push(0);
        }
        let mut z = Zstd::new(Sink::new(1 << 20, false));
        let stopped = body.chunks(64).find_map(|c| z.feed(c).err());
        assert!(matches!(stopped, Some(Error::Full)), "{stopped:?}");
        assert_eq!(z.sink().seen, 1 << 20);
    }

    #[test]
    fn wide_windows_truncation_bad_checksums_and_garbage_are_refused() {
        // A 16 MiB window (exponent 14).
        let mut wide = MAGIC.to_vec();
        wide.extend([0x00, 0x70]);
        wide.extend(block(true, 0, 1));
        wide.push(b'x');
        let (result, _) = decode(&wide, 4, 1 << 20);
        assert!(result.unwrap_err().contains("16 MiB window"));
        let whole = raw_frame(b"hello");
        let (result, _) = decode(&whole[..whole.len() - 2], 3, 1 << 20);
        assert!(result.unwrap_err().contains("ends inside a frame"));
        let mut summed = MAGIC.to_vec();
        summed.extend([0x24, 5]);
        summed.extend(block(true, 0, 5));
        summed.extend(b"hello");
        summed.extend([1, 2, 3, 4]);
        let (result, _) = decode(&summed, 7, 1 << 20);
        assert!(result.unwrap_err().contains("checksum"));
        let (result, _) = decode(b"definitely not zstd at all", 5, 1 << 20);
        assert!(result.is_err());
        let mut reserved = MAGIC.to_vec();
        reserved.extend([0x20, 1]);
        reserved.extend(block(true, 3, 1));
        let (result, _) = decode(&reserved, 1, 1 << 20);
        assert!(result.unwrap_err().contains("reserved"));
    }
}
