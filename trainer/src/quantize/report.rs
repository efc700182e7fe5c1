//! Float against int8 on the same rows: accuracy, loss, largest output difference, sizes.

use super::QuantizedModel;
use crate::host::HostModel;
use dendrite_core::format::Task;
use serde::Serialize;

/// How an int8 model compares with the float model it came from, on one data set.
///
/// The scores follow the model's task: a classifier's accuracy and cross-entropy against class
/// labels; a regression model's mean squared and absolute errors against the targets, in their
/// units; an anomaly detector's mean reconstruction error and, against 0/1 labels, the share of
/// rows its flag gets right.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The model's task: `classification`, `regression` or `anomaly`.
    pub task: &'static str,
    /// Rows compared.
    pub rows: usize,
    /// Share of rows the float model gets right: its top class is the label (classification),
    /// or its anomaly flag equals the label (anomaly detection); with labels only.
    pub float_accuracy: Option<f64>,
    /// The same for the int8 model.
    pub int8_accuracy: Option<f64>,
    /// The float model's mean loss: cross-entropy against the labels (classification), squared
    /// error against the targets in their units (regression), reconstruction error (anomaly
    /// detection, without labels too).
    pub float_loss: Option<f64>,
    /// The same for the int8 model's dequantized outputs.
    pub int8_loss: Option<f64>,
    /// The float model's mean absolute error against the targets, in their units (regression).
    pub float_mae: Option<f64>,
    /// The same for the int8 model.
    pub int8_mae: Option<f64>,
    /// Share of rows where both models give the same answer: the same top output
    /// (classification), the same anomaly flag (anomaly detection); none for a regression.
    pub agreement: Option<f64>,
    /// The largest absolute difference between a float and a dequantized int8 output (for a
    /// regression, in the targets' units).
    pub max_abs_diff: f32,
    /// Bytes of float weights and biases.
    pub float_bytes: usize,
    /// Bytes of int8 weights, int32 biases and requantization parameters.
    pub int8_bytes: usize,
}

/// What is known of the rows compared, for the scores beside the agreement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Truth<'a> {
    /// One class index per row (classification).
    Classes(&'a [usize]),
    /// The targets, row-major, one value per output in the targets' units (regression).
    Targets(&'a [f32]),
    /// Whether each row is anomalous (anomaly detection).
    Anomalies(&'a [bool]),
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

/// Running sums of one model's scores.
#[derive(Default)]
struct Sums {
    hits: usize,
    loss: f64,
    abs: f64,
}

/// Runs both models on `x` (raw rows, row-major) and compares them; `truth` adds the task's
/// scores (see [`Comparison`]).
///
/// # Errors
/// dendrite-core's reason when a row has the wrong width.
pub fn compare(
    float: &HostModel,
    int8: &QuantizedModel,
    x: &[f32],
    truth: Option<Truth<'_>>,
) -> crate::Result<Comparison> {
    let inputs = float.input().max(1);
    let outputs = float.output().max(1);
    let task = float.task();
    let (mut agree, mut max_abs_diff) = (0usize, 0.0f32);
    let mut sums = [Sums::default(), Sums::default()];
    let mut rows = 0;
    for (i, row) in x.chunks_exact(inputs).enumerate() {
        // What the outputs mean: a regression's values in the targets' units.
        let f = float.values(&float.predict(row)?);
        let q = float.values(&int8.predict(row).map_err(|e| crate::Error::Export {
            layer: "int8 network".into(),
            reason: e.to_string(),
        })?);
        for (a, b) in f.iter().zip(&q) {
            max_abs_diff = max_abs_diff.max((a - b).abs());
        }
        match task {
            Task::Classification => agree += usize::from(argmax(&f) == argmax(&q)),
            Task::Anomaly { .. } => {
                let flag = |out: &[f32]| float.reconstruction(row, out).map(|r| r.anomalous);
                agree += usize::from(flag(&f) == flag(&q));
            }
            Task::Regression { .. } => {}
        }
        for (s, out) in sums.iter_mut().zip([&f, &q]) {
            match (task, truth) {
                (Task::Classification, Some(Truth::Classes(labels))) => {
                    if let Some(&label) = labels.get(i) {
                        s.hits += usize::from(argmax(out) == label);
                        let p = f64::from(out.get(label).copied().unwrap_or(0.0)).max(1e-7);
                        s.loss -= p.ln();
                    }
                }
                (Task::Regression { .. }, Some(Truth::Targets(targets))) => {
                    let want = targets.chunks_exact(outputs).nth(i).unwrap_or(&[]);
                    for (&y, &v) in want.iter().zip(out) {
                        let e = f64::from(v) - f64::from(y);
                        s.loss += e * e / outputs as f64;
                        s.abs += e.abs() / outputs as f64;
                    }
                }
                (Task::Anomaly { .. }, truth) => {
                    s.loss += f64::from(float.reconstruction_error(row, out));
                    if let Some(Truth::Anomalies(flags)) = truth {
                        let flagged = float.reconstruction(row, out).is_some_and(|r| r.anomalous);
                        s.hits += usize::from(flags.get(i) == Some(&flagged));
                    }
                }
                _ => {}
            }
        }
        rows += 1;
    }
    let n = rows.max(1) as f64;
    let scored = match (task, truth) {
        (Task::Classification, Some(Truth::Classes(_))) => float.output() > 1,
        (Task::Regression { .. }, Some(Truth::Targets(_))) => true,
        _ => false,
    };
    let labelled_anomalies = matches!(
        (task, truth),
        (Task::Anomaly { .. }, Some(Truth::Anomalies(_)))
    );
    let anomaly = matches!(task, Task::Anomaly { .. });
    let regression = matches!(task, Task::Regression { .. });
    let accuracy =
        |s: &Sums| ((scored && !regression) || labelled_anomalies).then(|| s.hits as f64 / n);
    let loss = |s: &Sums| (scored || anomaly).then(|| s.loss / n);
    let mae = |s: &Sums| (scored && regression).then(|| s.abs / n);
    Ok(Comparison {
        task: match task {
            Task::Classification => "classification",
            Task::Regression { .. } => "regression",
            Task::Anomaly { .. } => "anomaly",
        },
        rows,
        float_accuracy: accuracy(&sums[0]),
        int8_accuracy: accuracy(&sums[1]),
        float_loss: loss(&sums[0]),
        int8_loss: loss(&sums[1]),
        float_mae: mae(&sums[0]),
        int8_mae: mae(&sums[1]),
        agreement: (!regression).then(|| agree as f64 / n),
        max_abs_diff,
        float_bytes: 4 * float.param_count(),
        int8_bytes: int8.int8.parameter_bytes(),
    })
}
