//! Data sets: the seed tutorial's people (weight, height, age → gender).

use crate::SeededRng;
use ndarray::{Array1, Array2};
use rand_distr::{Distribution, StandardNormal};

/// The seed tutorial's data, drawn exactly as its NumPy script does: `n` people, each of
/// weight, height and age standard normal (all `n` weights first, then heights, then ages);
/// the first half are male (class 1) with weight +1, height +1, age -1; the rest female
/// (class 0).
///
/// Returns the `(n, 3)` features `[weight, height, age]` and the `n` labels (0.0 or 1.0).
///
/// # Examples
/// ```
/// use dendrite_trainer::{datasets, utils};
/// let mut rng = utils::set_random_seed(1);
/// let (x, gender) = datasets::seed(1000, &mut rng);
/// assert_eq!(x.dim(), (1000, 3));
/// assert_eq!(gender.sum(), 500.0);
/// ```
pub fn seed(n: usize, rng: &mut SeededRng) -> (Array2<f32>, Array1<f32>) {
    let mut column = || -> Vec<f32> { (0..n).map(|_| StandardNormal.sample(&mut *rng)).collect() };
    let (weight, height, age) = (column(), column(), column());
    let males = n / 2;
    let x = Array2::from_shape_fn((n, 3), |(i, j)| {
        let shift = if i < males { [1.0, 1.0, -1.0][j] } else { 0.0 };
        [weight[i], height[i], age[i]][j] + shift
    });
    let gender = Array1::from_shape_fn(n, |i| if i < males { 1.0 } else { 0.0 });
    (x, gender)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::set_random_seed;

    #[test]
    fn males_are_heavier_taller_and_younger() {
        let mut rng = set_random_seed(3);
        let (x, gender) = seed(20_000, &mut rng);
        let mean = |rows: std::ops::Range<usize>, j: usize| {
            rows.clone().map(|i| x[[i, j]] as f64).sum::<f64>() / rows.len() as f64
        };
        for (j, shift) in [1.0, 1.0, -1.0].into_iter().enumerate() {
            assert!((mean(0..10_000, j) - shift).abs() < 0.05);
            assert!(mean(10_000..20_000, j).abs() < 0.05);
        }
        assert_eq!(gender[0], 1.0);
        assert_eq!(gender[19_999], 0.0);
    }
}
