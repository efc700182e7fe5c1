//! Utilities, as in `keras.utils`.

use crate::error::{Error, Result};
use crate::SeededRng;
use ndarray::{Array2, ArrayView1};
use rand::SeedableRng;

/// The one generator every random draw comes from (data, initial weights, shuffles), seeded
/// like Keras' `keras.utils.set_random_seed(seed)`.
pub fn set_random_seed(seed: u64) -> SeededRng {
    SeededRng::seed_from_u64(seed)
}

/// One-hot rows for integer class labels, as `keras.utils.to_categorical(y, num_classes)`.
///
/// # Errors
/// [`Error::InvalidLabel`] for a label that is not an integer in `0..num_classes`.
///
/// # Examples
/// ```
/// use dendrite_trainer::utils::to_categorical;
/// let y = to_categorical(&[1.0, 0.0, 2.0], 3)?;
/// assert_eq!(y.row(2).to_vec(), [0.0, 0.0, 1.0]);
/// # Ok::<(), dendrite_trainer::Error>(())
/// ```
pub fn to_categorical<'a>(
    labels: impl Into<ArrayView1<'a, f32>>,
    num_classes: usize,
) -> Result<Array2<f32>> {
    let labels = labels.into();
    let mut out = Array2::zeros((labels.len(), num_classes));
    for (index, &value) in labels.iter().enumerate() {
        let class = value as usize;
        if value < 0.0 || value.fract() != 0.0 || class >= num_classes {
            return Err(Error::InvalidLabel {
                index,
                value,
                num_classes,
            });
        }
        out[[index, class]] = 1.0;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn to_categorical_makes_one_hot_rows() {
        let y = to_categorical(&array![0.0f32, 1.0, 1.0], 2).unwrap();
        assert_eq!(y, array![[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]);
    }

    #[test]
    fn to_categorical_rejects_out_of_range_and_fractional_labels() {
        for bad in [2.0f32, -1.0, 0.5, f32::NAN] {
            let err = to_categorical(&[0.0, bad], 2).unwrap_err();
            assert!(
                matches!(err, Error::InvalidLabel { index: 1, .. }),
                "{bad}: {err}"
            );
        }
    }
}
