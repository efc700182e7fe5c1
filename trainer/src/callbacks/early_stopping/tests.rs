//! Unit tests of early stopping.

use super::*;
use crate::layers::Dense;

fn model() -> Sequential {
    let mut m = Sequential::new();
    m.add(Dense::new(1).input_dim(1)).unwrap();
    m.build(&mut crate::utils::set_random_seed(0)).unwrap();
    m
}

fn set_kernel(m: &mut Sequential, v: f32) {
    let d = m.dense_layers_mut().next().unwrap();
    d.set_weights(ndarray::array![[v]], ndarray::array![0.0])
        .unwrap();
}

fn kernel(m: &mut Sequential) -> f32 {
    m.dense_layers_mut().next().unwrap().kernel()[[0, 0]]
}

/// Runs `values` of `val_loss` through the callback, the kernel set to the epoch number;
/// returns the epochs run and the kernel at the end.
fn run(mut early: EarlyStopping, values: &[f64]) -> (usize, f32, EarlyStopping) {
    let mut m = model();
    early.on_train_begin(&TrainParams {
        epochs: values.len(),
        steps: 1,
    });
    let mut ran = 0;
    for (epoch, &v) in values.iter().enumerate() {
        set_kernel(&mut m, epoch as f32);
        let mut logs = Logs::default();
        logs.set("val_loss", v);
        ran += 1;
        if early.on_epoch_end(epoch, &logs, &mut m).is_break() {
            break;
        }
    }
    (ran, kernel(&mut m), early)
}

#[test]
fn stops_after_patience_epochs_without_improvement() {
    let early = EarlyStopping::new("val_loss", Mode::Auto, 0.0, 2);
    let (ran, kernel, early) = run(early, &[1.0, 0.8, 0.9, 0.85, 0.7, 0.6]);
    assert_eq!(ran, 4);
    assert_eq!(early.stopped_epoch, Some(3));
    assert_eq!(early.best_epoch(), Some(1));
    assert_eq!(
        kernel, 3.0,
        "weights are left alone without restore_best_weights"
    );
}

#[test]
fn restores_the_best_weights_when_stopping() {
    let early = EarlyStopping::new("val_loss", Mode::Auto, 0.0, 1).restore_best_weights(true);
    let (ran, kernel, _) = run(early, &[1.0, 0.5, 0.7, 0.4]);
    assert_eq!((ran, kernel), (3, 1.0));
}

#[test]
fn restores_the_best_weights_when_epochs_run_out() {
    let early = EarlyStopping::new("val_loss", Mode::Auto, 0.0, 5).restore_best_weights(true);
    let (ran, kernel, early) = run(early, &[1.0, 0.5, 0.7, 0.6]);
    assert_eq!((ran, kernel, early.stopped_epoch), (4, 1.0, None));
}

#[test]
fn improvements_below_min_delta_do_not_count() {
    let early = EarlyStopping::new("val_loss", Mode::Auto, 0.1, 1);
    let (ran, _, early) = run(early, &[1.0, 0.95, 0.5]);
    assert_eq!((ran, early.best_epoch()), (2, Some(0)));
}

#[test]
fn accuracy_is_maximized_and_missing_quantities_are_flagged() {
    let mut m = model();
    let mut early = EarlyStopping::new("val_accuracy", Mode::Auto, 0.0, 0);
    early.on_train_begin(&TrainParams {
        epochs: 3,
        steps: 1,
    });
    let mut logs = Logs::default();
    logs.set("val_accuracy", 0.5);
    assert!(early.on_epoch_end(0, &logs, &mut m).is_continue());
    logs.set("val_accuracy", 0.6);
    assert!(early.on_epoch_end(1, &logs, &mut m).is_continue());
    logs.set("val_accuracy", 0.55);
    assert!(early.on_epoch_end(2, &logs, &mut m).is_break());
    let mut early = EarlyStopping::new("val_loss", Mode::Auto, 0.0, 0);
    assert!(early
        .on_epoch_end(0, &Logs::default(), &mut m)
        .is_continue());
    assert!(early.missing);
}
