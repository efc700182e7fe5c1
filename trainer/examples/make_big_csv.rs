//! Writes a large CSV file for measuring `dendrite train` on big data: `rows` samples of 10
//! features and a binary label (default 1,000,000 rows, to `big.csv`).
//!
//! ```text
//! cargo run --release --example make_big_csv -- [ROWS] [FILE]
//! /usr/bin/time -v target/release/dendrite train --data big.csv --label label \
//!     --layers 32 --epochs 1 --verbose 0 --out big.postcard
//! ```
//!
//! The features are drawn from a seeded generator (same file on every run): two Gaussian
//! clouds whose means differ in every feature, so the classes can be learned.

use dendrite_trainer::utils::set_random_seed;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use std::io::{BufWriter, Write};

const FEATURES: usize = 10;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let path = args.next().unwrap_or_else(|| "big.csv".to_owned());
    let mut out = BufWriter::new(std::fs::File::create(&path)?);
    let header: Vec<String> = (0..FEATURES).map(|i| format!("x{i}")).collect();
    writeln!(out, "{},label", header.join(","))?;
    let mut rng = set_random_seed(7);
    for _ in 0..rows {
        let label = usize::from(rng.random::<bool>());
        for i in 0..FEATURES {
            let noise: f32 = StandardNormal.sample(&mut rng);
            let shift = if label == 1 { 0.5 } else { -0.5 };
            write!(
                out,
                "{:.4},",
                noise + shift * (i as f32 + 1.0) / FEATURES as f32
            )?;
        }
        writeln!(out, "{label}")?;
    }
    out.flush()?;
    println!("wrote {path} ({rows} rows, {FEATURES} features and a label)");
    Ok(())
}
