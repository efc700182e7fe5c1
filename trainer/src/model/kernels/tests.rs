//! Unit tests of the matrix kernels.

use super::*;

/// The reference: one sequential sum per element, from -0, separate multiply and add.
fn naive(
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_>,
    b: &[f32],
    bias: Option<&[f32]>,
) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = -0.0f32;
            for p in 0..k {
                s += a.at(i, p) * b[p * n + j];
            }
            c[i * n + j] = match bias {
                Some(bias) => s + bias[j],
                None => s,
            };
        }
    }
    c
}

fn values(len: usize, salt: f32) -> Vec<f32> {
    (0..len)
        .map(|i| ((i as f32 + salt) * 0.731).sin() * 3.0)
        .collect()
}

#[test]
fn gemm_equals_the_sequential_sum_bit_for_bit_for_every_shape() {
    for (m, n, k) in [
        (1, 1, 1),
        (3, 2, 4),
        (8, 4, 3),
        (9, 17, 5),
        (256, 64, 64),
        (6, 9, 13),
    ] {
        let (a, b, bias) = (values(m * k, 1.0), values(k * n, 2.0), values(n, 3.0));
        let mut panel = vec![0.0; MR * k];
        for strided in [Strided::row_major(&a, k), Strided::transposed(&a, m)] {
            for bias in [None, Some(&bias[..])] {
                let mut c = vec![f32::NAN; m * n];
                gemm((m, n, k), strided, &b, bias, &mut c, &mut panel);
                let want = naive(m, n, k, strided, &b, bias);
                let same = c.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{m}×{n}×{k}: {c:?} vs {want:?}");
            }
        }
    }
}

#[test]
fn transpose_and_column_sums() {
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let mut t = [0.0; 6];
    transpose(&a, 2, 3, &mut t);
    assert_eq!(t, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let mut sums = [0.0; 3];
    column_sums(&a, 3, &mut sums);
    assert_eq!(sums, [5.0, 7.0, 9.0]);
}
