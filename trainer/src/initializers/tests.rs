//! Unit tests of the initializers.

use super::*;
use rand::SeedableRng;

fn stats(init: Initializer, fan_in: usize, fan_out: usize) -> (f64, f64, f64) {
    let mut rng = SeededRng::seed_from_u64(7);
    let mut v = vec![0.0f32; 200_000];
    init.fill(&mut v, fan_in, fan_out, &mut rng);
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    let max = v.iter().fold(0.0f64, |m, &x| m.max((x as f64).abs()));
    (mean, var.sqrt(), max)
}

#[test]
fn random_normal_has_keras_std_of_0_05() {
    let (mean, std, _) = stats(Initializer::random_normal(), 3, 4);
    assert!(
        mean.abs() < 1e-3 && (std - 0.05).abs() < 1e-3,
        "{mean} {std}"
    );
}

#[test]
fn uniform_initializers_stay_within_their_limits() {
    let (_, _, max) = stats(Initializer::GlorotUniform, 3, 4);
    assert!(max <= (6.0f64 / 7.0).sqrt() && max > 0.9 * (6.0f64 / 7.0).sqrt());
    let (_, _, max) = stats(Initializer::HeUniform, 6, 4);
    assert!(max <= 1.0 && max > 0.99);
    let (_, std, max) = stats(Initializer::random_uniform(), 3, 4);
    assert!(max <= 0.05 && (std - 0.1 / 12f64.sqrt()).abs() < 1e-3);
}

#[test]
fn truncated_normals_have_the_requested_variance() {
    let (_, std, max) = stats(Initializer::HeNormal, 8, 4);
    assert!((std - 0.5).abs() < 0.01, "{std}");
    assert!(max <= 2.0 * 0.5 / TRUNCATED_STD + 1e-6);
    let (_, std, _) = stats(Initializer::GlorotNormal, 3, 5);
    assert!((std - 0.5).abs() < 0.01, "{std}");
}

#[test]
fn names_round_trip() {
    for name in NAMES.split(", ") {
        assert_eq!(Initializer::from_name(name).unwrap().name(), name);
    }
    assert!(Initializer::from_name("orthogonal").is_err());
}
