//! Reading postcard's wire format by hand, from the front of a byte slice.
//!
//! The messages and the model file are *written* with postcard (serde); on the target they are
//! *read* here instead, because serde's generic decoder costs several kilobytes of flash and a
//! kilobyte of stack for what are a handful of varints and byte strings. The serde-derived
//! decoders stay the reference: property tests check these readers against them.
//!
//! Postcard's encodings used by Dendrite: unsigned integers as varints (7 bits a byte, low
//! first, at most `ceil(bits / 7)` bytes, the last one holding only the remaining bits), enums as
//! their variant index (a varint `u32`), byte strings and `str` as a varint length then the
//! bytes, `f32` as 4 little-endian bytes, arrays as their elements.

/// Why reading stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireError {
    /// The bytes ended first.
    End,
    /// The bytes are not a valid encoding (an overlong varint, a length above its bound,
    /// invalid UTF-8).
    Invalid,
}

/// A cursor over postcard-encoded bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.0
    }

    /// One byte.
    pub(crate) fn byte(&mut self) -> Result<u8, WireError> {
        let (&first, rest) = self.0.split_first().ok_or(WireError::End)?;
        self.0 = rest;
        Ok(first)
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let (taken, rest) = self.0.split_at_checked(n).ok_or(WireError::End)?;
        self.0 = rest;
        Ok(taken)
    }

    /// A varint of at most `bytes` bytes, the last one below `last_limit` (postcard's rule for
    /// each integer width).
    fn varint(&mut self, bytes: u32, last_limit: u8) -> Result<u32, WireError> {
        let mut value = 0u32;
        for i in 0..bytes {
            let byte = self.byte()?;
            value |= u32::from(byte & 0x7F) << (7 * i);
            if byte & 0x80 == 0 {
                let fits = i + 1 < bytes || byte < last_limit;
                return if fits {
                    Ok(value)
                } else {
                    Err(WireError::Invalid)
                };
            }
        }
        Err(WireError::Invalid)
    }

    /// A `u32` (at most 5 bytes, the fifth below 16).
    pub(crate) fn varint_u32(&mut self) -> Result<u32, WireError> {
        self.varint(5, 0x10)
    }

    /// A `u16` (at most 3 bytes, the third below 4).
    pub(crate) fn varint_u16(&mut self) -> Result<u16, WireError> {
        // Cannot fail: 3 bytes of which the last holds 2 bits make at most 16 bits.
        self.varint(3, 0x04).map(|v| v as u16)
    }

    /// A sequence or byte-string length no larger than `max`.
    pub(crate) fn len(&mut self, max: usize) -> Result<usize, WireError> {
        let len = usize::try_from(self.varint_u32()?).map_err(|_| WireError::Invalid)?;
        if len <= max {
            Ok(len)
        } else {
            Err(WireError::Invalid)
        }
    }

    /// A byte string (`&[u8]`).
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.len(u32::MAX as usize)?;
        self.take(len)
    }

    /// A `str`, checked to be UTF-8 but handed out as bytes: see [`is_utf8`].
    pub(crate) fn str_bytes(&mut self) -> Result<&'a [u8], WireError> {
        let bytes = self.bytes()?;
        if is_utf8(bytes) {
            Ok(bytes)
        } else {
            Err(WireError::Invalid)
        }
    }

    /// An `f32`.
    pub(crate) fn f32(&mut self) -> Result<f32, WireError> {
        let (bytes, rest) = self.0.split_first_chunk::<4>().ok_or(WireError::End)?;
        self.0 = rest;
        Ok(f32::from_le_bytes(*bytes))
    }
}

/// Whether `bytes` is UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), exactly as `core::str::from_utf8` decides.
///
/// The target validates names and labels at boot but never reads them; `core::str::from_utf8`
/// would cost it flash for its fast paths and a 256-byte table. The host turns
/// the checked bytes into `&str` with `core::str::from_utf8` when it reads them. A property test
/// checks this function against `core::str::from_utf8` on arbitrary bytes.
pub(crate) fn is_utf8(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some((&lead, tail)) = rest.split_first() {
        // The continuation count, and the range of the first continuation byte (which is where
        // overlong forms, surrogates and values above U+10FFFF show).
        let (count, low, high) = match lead {
            0x00..=0x7F => (0, 0, 0),
            0xC2..=0xDF => (1, 0x80, 0xBF),
            0xE0 => (2, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
            0xED => (2, 0x80, 0x9F),
            0xF0 => (3, 0x90, 0xBF),
            0xF1..=0xF3 => (3, 0x80, 0xBF),
            0xF4 => (3, 0x80, 0x8F),
            _ => return false,
        };
        let Some((continuation, after)) = tail.split_at_checked(count) else {
            return false;
        };
        let mut ranges = core::iter::once((low, high)).chain(core::iter::repeat((0x80, 0xBF)));
        let valid = continuation
            .iter()
            .all(|&b| ranges.next().is_some_and(|(lo, hi)| (lo..=hi).contains(&b)));
        if !valid {
            return false;
        }
        rest = after;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varints_read_as_postcard_writes_them(v in any::<u32>(), w in any::<u16>()) {
            let bytes = postcard::to_allocvec(&(v, w)).expect("serializes");
            let mut r = Reader(&bytes);
            prop_assert_eq!(r.varint_u32(), Ok(v));
            prop_assert_eq!(r.varint_u16(), Ok(w));
            prop_assert!(r.rest().is_empty());
        }

        #[test]
        fn utf8_check_agrees_with_core(bytes in prop::collection::vec(any::<u8>(), 0..24)) {
            prop_assert_eq!(is_utf8(&bytes), core::str::from_utf8(&bytes).is_ok());
        }

        #[test]
        fn utf8_check_accepts_every_string(s in any::<String>()) {
            prop_assert!(is_utf8(s.as_bytes()));
            let mut cut = s.into_bytes();
            if let Some(last) = cut.pop() {
                prop_assert_eq!(is_utf8(&cut), core::str::from_utf8(&cut).is_ok(), "{:x}", last);
            }
        }

        #[test]
        fn strings_and_floats_read_as_postcard_writes_them(s in ".{0,40}", x in any::<f32>()) {
            let bytes = postcard::to_allocvec(&(s.as_str(), x)).expect("serializes");
            let mut r = Reader(&bytes);
            prop_assert_eq!(r.str_bytes(), Ok(s.as_bytes()));
            prop_assert_eq!(r.f32().map(f32::to_bits), Ok(x.to_bits()));
        }

        #[test]
        fn varints_are_refused_exactly_when_postcard_refuses_them(bytes in prop::collection::vec(any::<u8>(), 0..6)) {
            let ours = Reader(&bytes).varint_u16().ok();
            let theirs = postcard::take_from_bytes::<u16>(&bytes).ok().map(|(v, _)| v);
            prop_assert_eq!(ours, theirs);
            let ours = Reader(&bytes).varint_u32().ok();
            let theirs = postcard::take_from_bytes::<u32>(&bytes).ok().map(|(v, _)| v);
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn utf8_edges_agree_with_core() {
        let cases: [&[u8]; 12] = [
            b"",
            b"Dense1",
            "女生".as_bytes(),
            &[0xC0, 0x80],
            &[0xE0, 0x9F, 0xBF],
            &[0xED, 0xA0, 0x80],
            &[0xED, 0x9F, 0xBF],
            &[0xF4, 0x90, 0x80, 0x80],
            &[0xF4, 0x8F, 0xBF, 0xBF],
            &[0xF0, 0x8F, 0xBF, 0xBF],
            &[0xE2, 0x82],
            &[0x80],
        ];
        for bytes in cases {
            assert_eq!(
                is_utf8(bytes),
                core::str::from_utf8(bytes).is_ok(),
                "{bytes:x?}"
            );
        }
    }

    #[test]
    fn an_overlong_u16_is_invalid_and_a_short_one_ends() {
        assert_eq!(
            Reader(&[0xFF, 0xFF, 0x04]).varint_u16(),
            Err(WireError::Invalid)
        );
        assert_eq!(Reader(&[0xFF, 0xFF, 0x03]).varint_u16(), Ok(u16::MAX));
        assert_eq!(Reader(&[0x80]).varint_u16(), Err(WireError::End));
    }
}
