//! The first two steps of each optimizer on one weight (w = 1, gradients 0.5 then -0.25),
//! against values worked out by hand (in f64) from Keras 3's update formulas. Tolerance 2e-7:
//! the optimizers run in f32, whose spacing near 1.0 is 1.2e-7.

use super::*;

fn steps(optimizer: Optimizer) -> [f32; 2] {
    let mut state = optimizer.state(&[1]);
    let mut w = [1.0f32];
    let mut out = [0.0; 2];
    for (o, g) in out.iter_mut().zip([0.5f32, -0.25]) {
        state.begin_step(&optimizer);
        state.update(&optimizer, 0, &mut w, &[g]);
        *o = w[0];
    }
    out
}

fn assert_steps(optimizer: Optimizer, expected: [f64; 2]) {
    let got = steps(optimizer);
    for (g, e) in got.iter().zip(expected) {
        assert!(
            (f64::from(*g) - e).abs() < 2e-7,
            "{optimizer:?}: {got:?} vs {expected:?}"
        );
    }
}

#[test]
fn sgd_steps_by_learning_rate() {
    // w -= 0.01·g
    assert_steps(Optimizer::from_name("sgd").unwrap(), [0.995, 0.9975]);
}

#[test]
fn sgd_momentum_follows_keras_3() {
    // m = 0.9m - 0.01g; w += m
    let momentum = Sgd {
        momentum: 0.9,
        ..Sgd::default()
    };
    assert_steps(Optimizer::Sgd(momentum), [0.995, 0.993]);
    // w += 0.9m - 0.01g
    let nesterov = Sgd {
        momentum: 0.9,
        nesterov: true,
        ..Sgd::default()
    };
    assert_steps(Optimizer::Sgd(nesterov), [0.9905, 0.9912]);
}

#[test]
fn rmsprop_puts_epsilon_inside_the_square_root() {
    // v = 0.9v + 0.1g²; w -= 0.001·g / sqrt(v + 1e-7)
    let rmsprop = Optimizer::from_name("rmsprop").unwrap();
    assert_steps(rmsprop, [0.996_837_728_664_367_9, 0.998_312_145_661_715_7]);
    // A tiny gradient tells the two conventions apart: sqrt(v) + eps would step 10x further.
    let mut state = rmsprop.state(&[1]);
    let mut w = [1.0f32];
    state.begin_step(&rmsprop);
    state.update(&rmsprop, 0, &mut w, &[1e-4]);
    assert!(
        (f64::from(w[0]) - 0.999_685_341_612_236_2).abs() < 2e-7,
        "{}",
        w[0]
    );
}

#[test]
fn rmsprop_momentum_accumulates_the_scaled_step() {
    // m = 0.5m + 0.001·g / sqrt(v + 1e-7); w -= m
    let rmsprop = RmsProp {
        momentum: 0.5,
        ..RmsProp::default()
    };
    assert_steps(
        Optimizer::RmsProp(rmsprop),
        [0.996_837_728_664_367_9, 0.996_731_009_993_899_6],
    );
}

#[test]
fn adam_folds_bias_correction_into_the_step_size() {
    // α = 0.001·sqrt(1 - 0.999ᵗ)/(1 - 0.9ᵗ); m += 0.1(g - m); v += 0.001(g² - v);
    // w -= α·m / (sqrt(v) + 1e-7)
    let adam = Optimizer::from_name("adam").unwrap();
    assert_steps(adam, [0.999_000_006_324_515_4, 0.998_733_670_792_079_2]);
}

#[test]
fn keras_defaults() {
    assert_eq!(Optimizer::from_name("sgd").unwrap().learning_rate(), 0.01);
    assert_eq!(
        RmsProp::default(),
        RmsProp {
            learning_rate: 0.001,
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7
        }
    );
    assert_eq!(
        Adam::default(),
        Adam {
            learning_rate: 0.001,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7
        }
    );
    let err = Optimizer::from_name("adagrad").unwrap_err().to_string();
    assert!(err.contains("sgd, rmsprop, adam"), "{err}");
}

#[test]
fn iterations_count_steps() {
    let adam = Optimizer::from_name("adam").unwrap();
    let mut state = adam.state(&[2, 1]);
    assert_eq!(state.variables(), 2);
    state.begin_step(&adam);
    state.begin_step(&adam);
    assert_eq!(state.iterations(), 2);
}
