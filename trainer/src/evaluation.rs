//! Scoring an exported model on labelled samples: loss, accuracy, per-class precision, recall
//! and F1, and the confusion matrix, all from dendrite-core's forward pass (the firmware's
//! numbers, not the trainer's).

use crate::error::Result;
use crate::losses::EPSILON;
use crate::HostModel;
use ndarray::ArrayView2;
use serde::Serialize;

/// How a model did on a labelled data set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// The number of samples.
    pub samples: usize,
    /// Mean cross-entropy: categorical for several outputs, binary for one sigmoid output.
    pub loss: f64,
    /// Share of samples whose predicted class is the true one.
    pub accuracy: f64,
    /// Class names, in output order.
    pub classes: Vec<String>,
    /// Per class, in output order.
    pub per_class: Vec<ClassScores>,
    /// Unweighted means of the per-class precision, recall and F1.
    pub macro_avg: Scores,
    /// `confusion[true][predicted]`: sample counts.
    pub confusion: Vec<Vec<u64>>,
}

/// Precision, recall and F1 (0 where undefined, as scikit-learn's `zero_division=0`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Correct predictions of the class over all predictions of it.
    pub precision: f64,
    /// Correct predictions of the class over its samples.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// One class's scores and its number of samples.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScores {
    /// The class name.
    pub class: String,
    /// Its scores.
    #[serde(flatten)]
    pub scores: Scores,
    /// Its number of samples.
    pub support: u64,
}

/// The class names of `model`: its stored labels, else the output indices.
pub fn class_names(model: &HostModel) -> Vec<String> {
    if model.labels().is_empty() {
        let n = model.layers().last().map_or(0, |l| l.units).max(2);
        (0..n).map(|i| i.to_string()).collect()
    } else {
        model.labels().to_vec()
    }
}

/// Runs every row of raw inputs `x` through `model` and scores it against `labels` (class
/// indices into [`class_names`]).
///
/// # Errors
/// [`crate::Error::ColumnMismatch`] when `x` does not have the model's number of inputs;
/// [`crate::Error::InvalidOption`] when the model does not classify (regression, anomaly).
pub fn evaluate(model: &HostModel, x: ArrayView2<'_, f32>, labels: &[u32]) -> Result<Evaluation> {
    if model.class_of(&[]).is_none() {
        return Err(crate::Error::InvalidOption {
            option: "task",
            value: model.task().name().to_owned(),
            expected: "a classification model: class scores need classes",
        });
    }
    let classes = class_names(model);
    let n = classes.len();
    let mut confusion = vec![vec![0u64; n]; n];
    let mut loss = 0.0f64;
    let mut input = vec![0.0f32; x.ncols()];
    for (row, &label) in x.rows().into_iter().zip(labels) {
        input.iter_mut().zip(row).for_each(|(d, &s)| *d = s);
        let outputs = model.predict(&input)?;
        loss += sample_loss(&outputs, label as usize);
        // The class by dendrite-core's rule, the firmware's.
        let predicted = model.class_of(&outputs).unwrap_or(0).min(n - 1);
        confusion[(label as usize).min(n - 1)][predicted] += 1;
    }
    Ok(score(confusion, classes, loss))
}

/// Cross-entropy of one sample, with Keras' clipping of probabilities to [ε, 1 − ε].
fn sample_loss(outputs: &[f32], label: usize) -> f64 {
    let clip = |p: f32| f64::from(p.clamp(EPSILON, 1.0 - EPSILON));
    match outputs {
        [p] if label == 1 => -clip(*p).ln(),
        [p] => -(1.0 - clip(*p)).ln(),
        _ => -clip(outputs.get(label).copied().unwrap_or(0.0)).ln(),
    }
}

/// Accuracy and per-class scores from a confusion matrix.
pub fn score(confusion: Vec<Vec<u64>>, classes: Vec<String>, loss_sum: f64) -> Evaluation {
    let samples: u64 = confusion.iter().flatten().sum();
    let correct: u64 = (0..confusion.len()).map(|i| confusion[i][i]).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_class: Vec<ClassScores> = classes
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let tp = confusion[c][c];
            let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
            let support: u64 = confusion[c].iter().sum();
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            ClassScores {
                class: name.clone(),
                scores: Scores {
                    precision,
                    recall,
                    f1,
                },
                support,
            }
        })
        .collect();
    let k = per_class.len().max(1) as f64;
    let mean = |f: fn(&Scores) -> f64| per_class.iter().map(|c| f(&c.scores)).sum::<f64>() / k;
    let macro_avg = Scores {
        precision: mean(|s| s.precision),
        recall: mean(|s| s.recall),
        f1: mean(|s| s.f1),
    };
    Evaluation {
        samples: samples as usize,
        loss: loss_sum / samples.max(1) as f64,
        accuracy: ratio(correct, samples),
        classes,
        per_class,
        macro_avg,
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made case, worked out on paper: 10 samples of 3 classes.
    #[test]
    fn scores_a_hand_made_confusion_matrix() {
        let confusion = vec![vec![3, 1, 0], vec![0, 2, 2], vec![0, 0, 2]];
        let classes = ["a", "b", "c"].map(str::to_owned).to_vec();
        let e = score(confusion, classes, 5.0);
        assert_eq!(e.samples, 10);
        assert_eq!(e.loss, 0.5);
        assert_eq!(e.accuracy, 0.7);
        let a = &e.per_class[0];
        assert_eq!(
            (a.scores.precision, a.scores.recall, a.support),
            (1.0, 0.75, 4)
        );
        assert!((a.scores.f1 - 6.0 / 7.0).abs() < 1e-12);
        let b = &e.per_class[1].scores;
        assert_eq!((b.precision, b.recall), (2.0 / 3.0, 0.5));
        assert!((b.f1 - 4.0 / 7.0).abs() < 1e-12);
        let c = &e.per_class[2].scores;
        assert_eq!((c.precision, c.recall, c.f1), (0.5, 1.0, 2.0 / 3.0));
        assert!((e.macro_avg.recall - (0.75 + 0.5 + 1.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_class_never_predicted_scores_zero_not_nan() {
        let e = score(
            vec![vec![2, 0], vec![1, 0]],
            vec!["x".into(), "y".into()],
            0.0,
        );
        assert_eq!(e.per_class[1].scores, Scores::default());
        assert!((e.per_class[0].scores.precision - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn losses_clip_like_keras() {
        assert!((sample_loss(&[0.25, 0.75], 1) - -(0.75f32 as f64).ln()).abs() < 1e-9);
        assert!((sample_loss(&[0.0, 1.0], 0) - -(1e-7f32 as f64).ln()).abs() < 1e-9);
        assert!((sample_loss(&[0.2], 0) - -(0.8f32 as f64).ln()).abs() < 1e-6);
    }
}
