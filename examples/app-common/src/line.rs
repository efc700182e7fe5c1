//! The JSON line of a window: `{"inputs":[…],"outputs":[…],"class":N}` and a newline.

/// The line a program prints when no row of its trace is a window (none has as many values as
/// the model has inputs), before it ends with a failure status.
pub const NO_WINDOW: &[u8] =
    b"{\"error\":\"no line of the trace has as many values as the model has inputs\"}\n";

/// The most bytes `ryu` writes for one f32 (`-0.0000012345679`, a sign, `0.`, five zeros and
/// nine digits), and the comma before it.
const FLOAT: usize = 16 + 1;
/// `{"inputs":[`, `],"outputs":[`, `],"class":`, `}` and the newline.
const FRAME: usize = 11 + 13 + 10 + 2;
/// The digits of the largest `usize` of a 64-bit host.
const DECIMAL: usize = 20;

/// The most bytes of a window's line with `inputs` inputs and `outputs` outputs: the size of a
/// buffer that [`format_line`] always fills.
pub const fn line_capacity(inputs: usize, outputs: usize) -> usize {
    FRAME + (inputs + outputs) * FLOAT + DECIMAL
}

/// Writes a window's line through `write`, in pieces (a polled UART's byte loop, say):
/// `{"inputs":[…],"outputs":[…],"class":N}` and a newline, each float in its shortest form that
/// reads back to the same bits.
pub fn write_line(write: &mut impl FnMut(&[u8]), inputs: &[f32], outputs: &[f32], class: usize) {
    write(b"{\"inputs\":");
    write_floats(write, inputs);
    write(b",\"outputs\":");
    write_floats(write, outputs);
    write(b",\"class\":");
    write_decimal(write, class);
    write(b"}\n");
}

/// A window's line (as [`write_line`] writes it) in `buf`, for one transfer (a DMA UART's).
///
/// # Errors
///
/// [`LineTooLong`], with the line's length, when `buf` is shorter than the line; a buffer of
/// [`line_capacity`] bytes is always long enough.
pub fn format_line<'b>(
    buf: &'b mut [u8],
    inputs: &[f32],
    outputs: &[f32],
    class: usize,
) -> Result<&'b [u8], LineTooLong> {
    let mut len = 0;
    write_line(
        &mut |piece: &[u8]| {
            if let Some(dest) = buf.get_mut(len..len + piece.len()) {
                dest.copy_from_slice(piece);
            }
            len += piece.len();
        },
        inputs,
        outputs,
        class,
    );
    buf.get(..len).ok_or(LineTooLong { needed: len })
}

/// `[a,b,…]`, each float in its shortest round-trip form.
fn write_floats(write: &mut impl FnMut(&[u8]), values: &[f32]) {
    let mut buffer = ryu::Buffer::new();
    write(b"[");
    for (i, &v) in values.iter().enumerate() {
        if i > 0 {
            write(b",");
        }
        write(buffer.format(v).as_bytes());
    }
    write(b"]");
}

/// Writes `n` in decimal through `write`, without `core::fmt` (and, taking a `usize`, without
/// 64-bit division on a 32-bit core).
pub fn write_decimal(write: &mut impl FnMut(&[u8]), mut n: usize) {
    let mut digits = [0u8; DECIMAL];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        start -= 1;
        if n == 0 {
            break;
        }
    }
    write(digits.get(start..).unwrap_or_default());
}

/// A window's line did not fit the buffer given to [`format_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    /// The line's length in bytes.
    pub needed: usize,
}

impl core::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "a window's line of {} bytes is longer than its buffer",
            self.needed
        )
    }
}

impl core::error::Error for LineTooLong {}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(inputs: &[f32], outputs: &[f32], class: usize) -> String {
        let mut out = Vec::new();
        write_line(
            &mut |b: &[u8]| out.extend_from_slice(b),
            inputs,
            outputs,
            class,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_line_is_the_json_of_the_window() {
        assert_eq!(
            line(&[1.42, 1.05, -0.88], &[0.12975296, 0.87024707], 1),
            "{\"inputs\":[1.42,1.05,-0.88],\"outputs\":[0.12975296,0.87024707],\"class\":1}\n"
        );
        assert_eq!(
            line(&[], &[1.0], 4_294_967_295),
            "{\"inputs\":[],\"outputs\":[1.0],\"class\":4294967295}\n"
        );
    }

    #[test]
    fn every_printed_float_reads_back_to_its_bits_within_the_bound() {
        // A spread of bit patterns over every exponent, and the longest forms.
        let mut bits = 0x9E37_79B9u32;
        let specials = [
            f32::MIN_POSITIVE,
            -1.234_567_9e-6,
            f32::MAX,
            -f32::MIN_POSITIVE,
        ];
        let values = (0..200_000)
            .map(|_| {
                bits = bits.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                f32::from_bits(bits)
            })
            .filter(|v| v.is_finite())
            .chain(specials);
        for v in values {
            let mut buffer = ryu::Buffer::new();
            let text = buffer.format(v);
            assert!(text.len() < FLOAT, "{text}: longer than the bound");
            assert_eq!(
                text.parse::<f32>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
        }
    }

    #[test]
    fn format_line_fills_a_buffer_of_the_capacity_and_refuses_a_shorter_one() {
        let inputs = [-1.234_567_9e-6f32; 3];
        let outputs = [-f32::MIN_POSITIVE; 2];
        let mut buf = [0u8; line_capacity(3, 2)];
        let expected = line(&inputs, &outputs, usize::MAX);
        let got = format_line(&mut buf, &inputs, &outputs, usize::MAX).unwrap();
        assert_eq!(got, expected.as_bytes());

        let mut short = [0u8; 20];
        let err = format_line(&mut short, &inputs, &outputs, 0).unwrap_err();
        assert_eq!(err.needed, line(&inputs, &outputs, 0).len());
    }

    #[test]
    fn decimals_have_no_leading_zeros() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (1200, "1200"),
            (u32::MAX as usize, "4294967295"),
        ] {
            let mut out = Vec::new();
            write_decimal(&mut |b: &[u8]| out.extend_from_slice(b), n);
            assert_eq!(out, text.as_bytes());
        }
    }
}
