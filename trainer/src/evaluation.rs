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
    /// For a two-class model (two outputs, or one sigmoid output): the positive class's
    /// precision and recall and the ROC AUC. `None` for more classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary: Option<BinaryScores>,
}

/// A two-class model's scores, with the second class (index 1, the second label) as the
/// positive one, as scikit-learn's `pos_label=1` on labels 0 and 1.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BinaryScores {
    /// The positive class's name.
    pub positive: String,
    /// Samples predicted positive that are positive, over all predicted positive (0 when
    /// none is).
    pub precision: f64,
    /// Positive samples predicted positive, over all positive samples (0 when there are none).
    pub recall: f64,
    /// Area under the ROC curve of the positive class's score ([`roc_auc`]); `None` when the
    /// samples hold only one class (it is then undefined, as scikit-learn refuses it).
    pub roc_auc: Option<f64>,
}

/// The area under the ROC curve of `scores` (higher: more likely positive) against `positive`:
/// the probability that a random positive sample scores above a random negative one, ties
/// counting one half. Computed exactly, as scikit-learn's `roc_auc_score` defines it (tied
/// scores are one point of the curve): the count of pairs is an integer, divided once. `None`
/// without both a positive and a negative sample.
///
/// ```
/// use dendrite_trainer::evaluation::roc_auc;
/// // Positives score 0.9 and 0.5, negatives 0.5 and 0.1: 3 pairs won, one tied, of 4.
/// let auc = roc_auc(&[0.9, 0.5, 0.5, 0.1], &[true, true, false, false]);
/// assert_eq!(auc, Some(0.875));
/// ```
pub fn roc_auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    let mut ranked: Vec<(f32, bool)> = scores
        .iter()
        .copied()
        .zip(positive.iter().copied())
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Twice the number of (positive, negative) pairs the positive wins, a tie counting one.
    let (mut twice_won, mut negatives_below) = (0u128, 0u128);
    let (mut positives, mut negatives) = (0u128, 0u128);
    for group in ranked.chunk_by(|a, b| a.0.total_cmp(&b.0).is_eq()) {
        let pos = group.iter().filter(|(_, p)| *p).count() as u128;
        let neg = group.len() as u128 - pos;
        twice_won += pos * (2 * negatives_below + neg);
        negatives_below += neg;
        positives += pos;
        negatives += neg;
    }
    let pairs = positives * negatives;
    (pairs > 0).then(|| twice_won as f64 / (2 * pairs) as f64)
}

/// The positive class's score in a two-class model's `outputs`: the single output, the second
/// of a softmax's two probabilities, or the difference of two other outputs (which ranks the
/// samples as the class rule, an argmax, splits them).
fn positive_score(outputs: &[f32], last: dendrite_core::Activation) -> f32 {
    match outputs {
        [p] => *p,
        [_, p] if last == dendrite_core::Activation::Softmax => *p,
        [a, b] => b - a,
        _ => 0.0,
    }
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
    let last = model
        .architecture()
        .layers
        .last()
        .map_or(dendrite_core::Activation::Linear, |&(_, a)| a);
    let mut scores = Vec::with_capacity(labels.len());
    for (row, &label) in x.rows().into_iter().zip(labels) {
        input.iter_mut().zip(row).for_each(|(d, &s)| *d = s);
        let outputs = model.predict(&input)?;
        loss += sample_loss(&outputs, label as usize);
        scores.push(positive_score(&outputs, last));
        // The class by dendrite-core's rule, the firmware's.
        let predicted = model.class_of(&outputs).unwrap_or(0).min(n - 1);
        confusion[(label as usize).min(n - 1)][predicted] += 1;
    }
    let mut report = score(confusion, classes, loss);
    if n == 2 {
        let positive: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
        report.binary = Some(BinaryScores {
            positive: report.classes[1].clone(),
            precision: report.per_class[1].scores.precision,
            recall: report.per_class[1].scores.recall,
            roc_auc: roc_auc(&scores, &positive),
        });
    }
    Ok(report)
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
        binary: None,
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
    fn roc_auc_counts_ties_as_one_half() {
        // Every positive above every negative, and the reverse.
        assert_eq!(roc_auc(&[0.9, 0.8, 0.1], &[true, true, false]), Some(1.0));
        assert_eq!(roc_auc(&[0.1, 0.8, 0.9], &[true, false, false]), Some(0.0));
        // All tied: one half, whatever the order.
        assert_eq!(roc_auc(&[0.5; 4], &[true, false, true, false]), Some(0.5));
        // One class only: undefined.
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(roc_auc(&[], &[]), None);
    }

    #[test]
    fn losses_clip_like_keras() {
        assert!((sample_loss(&[0.25, 0.75], 1) - -(0.75f32 as f64).ln()).abs() < 1e-9);
        assert!((sample_loss(&[0.0, 1.0], 0) - -(1e-7f32 as f64).ln()).abs() < 1e-9);
        assert!((sample_loss(&[0.2], 0) - -(0.8f32 as f64).ln()).abs() < 1e-6);
    }
}
