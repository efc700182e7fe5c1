//! `cargo xtask uf2`: UF2 files for the Raspberry Pi Pico's USB boot loader (hold BOOTSEL while
//! plugging it in, copy the file onto the drive that appears), so a Pico owner without a debug
//! probe can flash the firmware and, separately, a model into the WEIGHTS region.
//!
//! UF2 (Microsoft's USB Flashing Format): 512-byte blocks, each carrying 256 bytes for one
//! flash address, tagged with the RP2040's family ID. The addresses come from the board table.

use anyhow::{bail, ensure, Context, Result};
use object::{Object, ObjectSegment};
use std::path::{Path, PathBuf};

const MAGIC_START0: u32 = 0x0A32_4655;
const MAGIC_START1: u32 = 0x9E5D_5157;
const MAGIC_END: u32 = 0x0AB1_6F30;
/// Flag: the block's file-size field holds a family ID.
const FLAG_FAMILY_ID: u32 = 0x0000_2000;
/// The RP2040's family ID (the Pico SDK's `RP2040_FAMILY_ID`).
const FAMILY_RP2040: u32 = 0xE48B_FF56;
/// Payload per block: the RP2040 boot loader writes 256-byte flash pages.
const PAYLOAD: usize = 256;

/// `cargo xtask uf2 --model FILE [--out OUT]` or `cargo xtask uf2 --firmware [ELF] [--out OUT]`.
pub fn run_verb(args: &[String]) -> Result<()> {
    let board = &dendrite_boards::RP_PICO;
    let mut args = args.iter();
    let mut input: Option<(bool, Option<PathBuf>)> = None;
    let mut out: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => {
                let file = args.next().context("--model needs a model file")?;
                input = Some((true, Some(file.into())));
            }
            "--firmware" => input = Some((false, None)),
            "--out" => out = Some(args.next().context("--out needs a file name")?.into()),
            other if matches!(input, Some((false, None))) => {
                input = Some((false, Some(other.into())));
            }
            other => bail!("unexpected argument `{other}` ({USAGE})"),
        }
    }
    let Some((is_model, file)) = input else {
        bail!("nothing to convert ({USAGE})")
    };
    let (file, chunks) = if is_model {
        let file = file.context("--model needs a model file")?;
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        dendrite_core::format::ModelView::from_prefix(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: not a model file ({e:?})", file.display()))?;
        ensure!(
            bytes.len() <= board.weights.length as usize,
            "{}: {} bytes, more than the {}-byte WEIGHTS region",
            file.display(),
            bytes.len(),
            board.weights.length
        );
        (file, vec![(board.weights.origin, bytes)])
    } else {
        let file = file.unwrap_or_else(|| {
            crate::shell::root()
                .join("firmware/target")
                .join(board.target)
                .join("release/dendrite-rp-pico")
        });
        let chunks = elf_segments(&file)?;
        (file, chunks)
    };
    let uf2 = encode(&chunks)?;
    let out = out.unwrap_or_else(|| file.with_extension("uf2"));
    std::fs::write(&out, &uf2).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "{}: {} blocks for the Pico's boot loader (BOOTSEL), from {}",
        out.display(),
        uf2.len() / 512,
        file.display()
    );
    Ok(())
}

const USAGE: &str = "cargo xtask uf2 --model FILE [--out OUT] | uf2 --firmware [ELF] [--out OUT]";

/// The loadable contents of an ELF image, by physical (load) address.
fn elf_segments(path: &Path) -> Result<Vec<(u32, Vec<u8>)>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file =
        object::File::parse(&*bytes).with_context(|| format!("parsing {}", path.display()))?;
    let mut chunks = Vec::new();
    for segment in file.segments() {
        let data = segment
            .data()
            .with_context(|| format!("{}: a segment", path.display()))?;
        if data.is_empty() {
            continue;
        }
        // Initialized data is stored at its load address in flash, not its RAM address.
        let (offset, _) = segment.file_range();
        let paddr = load_address(&bytes, offset).unwrap_or(segment.address());
        chunks.push((u32::try_from(paddr)?, data.to_vec()));
    }
    ensure!(!chunks.is_empty(), "{}: nothing to load", path.display());
    Ok(chunks)
}

/// The physical address of the ELF32 program header whose file offset is `offset`.
fn load_address(elf: &[u8], offset: u64) -> Option<u64> {
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?))
    };
    let half = |at: usize| -> Option<u16> {
        Some(u16::from_le_bytes(elf.get(at..at + 2)?.try_into().ok()?))
    };
    let (phoff, phentsize, phnum) = (word(0x1C)? as usize, half(0x2A)? as usize, half(0x2C)?);
    (0..usize::from(phnum)).find_map(|i| {
        let ph = phoff + i * phentsize;
        // PT_LOAD, at this file offset: p_paddr.
        (word(ph)? == 1 && u64::from(word(ph + 4)?) == offset)
            .then(|| word(ph + 12).map(u64::from))?
    })
}

/// UF2 blocks for `chunks` (address, bytes): 256-byte pages, aligned, the gaps of a page
/// filled with 0xFF (erased flash).
fn encode(chunks: &[(u32, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut pages: std::collections::BTreeMap<u32, [u8; PAYLOAD]> = Default::default();
    for (addr, data) in chunks {
        for (i, &byte) in data.iter().enumerate() {
            let at = addr
                .checked_add(u32::try_from(i)?)
                .context("a segment runs past 4 GiB")?;
            let page = at & !(PAYLOAD as u32 - 1);
            pages.entry(page).or_insert([0xFF; PAYLOAD])[(at - page) as usize] = byte;
        }
    }
    let total = u32::try_from(pages.len())?;
    let mut out = Vec::with_capacity(pages.len() * 512);
    for (n, (addr, payload)) in pages.iter().enumerate() {
        for word in [
            MAGIC_START0,
            MAGIC_START1,
            FLAG_FAMILY_ID,
            *addr,
            PAYLOAD as u32,
            u32::try_from(n)?,
            total,
            FAMILY_RP2040,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(payload);
        out.resize(out.len() + (476 - PAYLOAD), 0);
        out.extend_from_slice(&MAGIC_END.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(block: &[u8], index: usize) -> u32 {
        u32::from_le_bytes(block[index * 4..index * 4 + 4].try_into().unwrap())
    }

    #[test]
    fn blocks_follow_the_uf2_layout() {
        // 300 bytes from the middle of a page: three pages, the gaps erased.
        let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let uf2 = encode(&[(0x101F_0080, data.clone())]).unwrap();
        assert_eq!(uf2.len(), 2 * 512);
        for (n, block) in uf2.chunks(512).enumerate() {
            assert_eq!(word(block, 0), MAGIC_START0);
            assert_eq!(word(block, 1), MAGIC_START1);
            assert_eq!(word(block, 2), FLAG_FAMILY_ID);
            assert_eq!(word(block, 3), 0x101F_0000 + 256 * n as u32);
            assert_eq!(word(block, 4), 256);
            assert_eq!(word(block, 5), n as u32);
            assert_eq!(word(block, 6), 2);
            assert_eq!(word(block, 7), FAMILY_RP2040);
            assert_eq!(word(block, 127), MAGIC_END);
        }
        assert_eq!(&uf2[32..32 + 0x80], &[0xFF; 0x80][..]);
        assert_eq!(&uf2[32 + 0x80..32 + 256], &data[..128]);
        assert_eq!(&uf2[512 + 32..512 + 32 + 172], &data[128..]);
        assert_eq!(uf2[512 + 32 + 172], 0xFF);
    }
}
