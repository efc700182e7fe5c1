//! Float against int8 on the same rows: accuracy, loss, largest output difference, sizes.

use super::QuantizedModel;
use crate::host::HostModel;
use serde::Serialize;

/// How an int8 model compares with the float model it came from, on one data set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Rows compared.
    pub rows: usize,
    /// Share of rows where the float model's top class is the label (classification only).
    pub float_accuracy: Option<f64>,
    /// The same for the int8 model.
    pub int8_accuracy: Option<f64>,
    /// Mean cross-entropy of the float model's outputs against the labels (classification).
    pub float_loss: Option<f64>,
    /// The same for the int8 model's dequantized outputs.
    pub int8_loss: Option<f64>,
    /// Share of rows where both models pick the same top output.
    pub agreement: f64,
    /// The largest absolute difference between a float and a dequantized int8 output.
    pub max_abs_diff: f32,
    /// Bytes of float weights and biases.
    pub float_bytes: usize,
    /// Bytes of int8 weights, int32 biases and requantization parameters.
    pub int8_bytes: usize,
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 {
                (i, x)
            } else {
                best
            }
        })
        .0
}

/// Runs both models on `x` (raw rows, row-major) and compares them; `labels` (one class index
/// per row) adds accuracy and cross-entropy.
///
/// # Errors
/// dendrite-core's reason when a row has the wrong width.
pub fn compare(
    float: &HostModel,
    int8: &QuantizedModel,
    x: &[f32],
    labels: Option<&[usize]>,
) -> crate::Result<Comparison> {
    let inputs = float.input().max(1);
    let (mut agree, mut max_abs_diff) = (0usize, 0.0f32);
    let (mut hits, mut loss) = ([0usize; 2], [0.0f64; 2]);
    let mut rows = 0;
    for (i, row) in x.chunks_exact(inputs).enumerate() {
        let f = float.predict(row)?;
        let q = int8.predict(row).map_err(|e| crate::Error::Export {
            layer: "int8 network".into(),
            reason: e.to_string(),
        })?;
        for (a, b) in f.iter().zip(&q) {
            max_abs_diff = max_abs_diff.max((a - b).abs());
        }
        agree += usize::from(argmax(&f) == argmax(&q));
        if let Some(&label) = labels.and_then(|l| l.get(i)) {
            for (k, out) in [&f, &q].into_iter().enumerate() {
                hits[k] += usize::from(argmax(out) == label);
                let p = f64::from(out.get(label).copied().unwrap_or(0.0)).max(1e-7);
                loss[k] -= p.ln();
            }
        }
        rows += 1;
    }
    let n = rows.max(1) as f64;
    let labelled = labels.is_some() && float.output() > 1;
    let share = |v: usize| labelled.then(|| v as f64 / n);
    let mean = |v: f64| labelled.then(|| v / n);
    Ok(Comparison {
        rows,
        float_accuracy: share(hits[0]),
        int8_accuracy: share(hits[1]),
        float_loss: mean(loss[0]),
        int8_loss: mean(loss[1]),
        agreement: agree as f64 / n,
        max_abs_diff,
        float_bytes: 4 * float.param_count(),
        int8_bytes: int8.int8.parameter_bytes(),
    })
}
