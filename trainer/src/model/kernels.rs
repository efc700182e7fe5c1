//! Matrix products for the training engine, written for its shapes: a few to a few hundred
//! rows, a few to a few dozen columns.
//!
//! Every element of a product is one sequential sum, `((-0 + a₀b₀) + a₁b₁) + …`, in the order of
//! the shared dimension, with a separate multiply and add (never a fused multiply-add). The
//! blocking below only decides which elements are computed together, never the order within
//! one, so the bits depend on neither the shapes nor the CPU: these loops are compiled for the
//! target's baseline features (SSE2 on x86_64) and nothing is chosen at run time. (`ndarray`'s
//! products pick FMA or AVX kernels at run time, which round differently from one machine to
//! the next.) LLVM turns the fixed-size tiles into SIMD registers: 4 rows × 8 columns is eight
//! SSE accumulators, two loads of B and four broadcasts of A per step of the shared dimension.

/// Rows of C computed together.
const MR: usize = 4;
/// Columns of C computed together (two SSE registers).
const NR: usize = 8;

/// The scratch space [`gemm`] needs for a shared dimension of `k`.
pub(crate) const fn panel_len(k: usize) -> usize {
    MR * k
}

/// A matrix in memory with arbitrary strides: element `(i, p)` is at `data[i * rows + p * cols]`.
#[derive(Clone, Copy)]
pub(crate) struct Strided<'a> {
    pub(crate) data: &'a [f32],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
}

impl<'a> Strided<'a> {
    /// A row-major matrix with `width` columns.
    pub(crate) fn row_major(data: &'a [f32], width: usize) -> Self {
        Strided {
            data,
            rows: width,
            cols: 1,
        }
    }

    /// The transpose of a row-major matrix with `width` columns.
    pub(crate) fn transposed(data: &'a [f32], width: usize) -> Self {
        Strided {
            data,
            rows: 1,
            cols: width,
        }
    }

    fn at(&self, i: usize, p: usize) -> f32 {
        self.data[i * self.rows + p * self.cols]
    }
}

/// `C = A · B (+ bias)`: C is `m × n` row-major, A is `m × k` (any strides), B is `k × n`
/// row-major, `bias` has `n` values added after each sum. `panel` is scratch space of at least
/// `MR · k` values.
///
/// # Panics
/// When a slice is shorter than its shape: shapes are fixed by the model, a mismatch is a bug.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    (m, n, k): (usize, usize, usize),
    a: Strided<'_>,
    b: &[f32],
    bias: Option<&[f32]>,
    c: &mut [f32],
    panel: &mut [f32],
) {
    let (b, c) = (&b[..k * n], &mut c[..m * n]);
    let mut i = 0;
    while i < m {
        let rows = MR.min(m - i);
        // Phase 1: pack the rows' A values as k groups of `rows`, contiguous.
        let panel = &mut panel[..rows * k];
        for (p, group) in panel.chunks_exact_mut(rows).enumerate() {
            for (r, v) in group.iter_mut().enumerate() {
                *v = a.at(i + r, p);
            }
        }
        // Phase 2: full tiles of NR columns, then the leftover columns one by one.
        let c_rows = &mut c[i * n..(i + rows) * n];
        let mut j = 0;
        while j + NR <= n {
            match rows {
                MR => tile::<MR, NR>(panel, b, n, j, bias, c_rows),
                _ => tile::<1, NR>(panel, b, n, j, bias, c_rows),
            }
            j += NR;
        }
        while j < n {
            match rows {
                MR => tile::<MR, 1>(panel, b, n, j, bias, c_rows),
                _ => tile::<1, 1>(panel, b, n, j, bias, c_rows),
            }
            j += 1;
        }
        i += rows;
    }
}

/// One `R × C` tile of the product at column `j`; `panel` holds the tile's A values as
/// groups of `R` (or of 1 when `R` is 1 and the panel has fewer than `MR` rows).
#[inline(always)]
fn tile<const R: usize, const C: usize>(
    panel: &[f32],
    b: &[f32],
    n: usize,
    j: usize,
    bias: Option<&[f32]>,
    c: &mut [f32],
) {
    let rows = c.len() / n;
    if R == 1 && rows > 1 {
        // Fewer than MR rows left: one row at a time, reading every `rows`-th panel value.
        for r in 0..rows {
            let mut acc = [-0.0f32; C];
            for (group, b_row) in panel.chunks_exact(rows).zip(b.chunks_exact(n)) {
                let x = group[r];
                let b_part: &[f32; C] = b_row[j..j + C].try_into().expect("C columns");
                for (acc, &w) in acc.iter_mut().zip(b_part) {
                    *acc += x * w;
                }
            }
            store(&acc, bias, j, &mut c[r * n..(r + 1) * n]);
        }
        return;
    }
    let mut acc = [[-0.0f32; C]; R];
    for (group, b_row) in panel.chunks_exact(R).zip(b.chunks_exact(n)) {
        let xs: &[f32; R] = group.try_into().expect("R rows");
        let b_part: &[f32; C] = b_row[j..j + C].try_into().expect("C columns");
        for (acc_row, &x) in acc.iter_mut().zip(xs) {
            for (acc, &w) in acc_row.iter_mut().zip(b_part) {
                *acc += x * w;
            }
        }
    }
    for (r, acc_row) in acc.iter().enumerate() {
        store(acc_row, bias, j, &mut c[r * n..(r + 1) * n]);
    }
}

/// Writes one row's sums (plus the bias) at column `j` of `c_row`.
#[inline(always)]
fn store<const C: usize>(acc: &[f32; C], bias: Option<&[f32]>, j: usize, c_row: &mut [f32]) {
    let out = &mut c_row[j..j + C];
    match bias {
        Some(bias) => {
            for ((o, &s), &b) in out.iter_mut().zip(acc).zip(&bias[j..j + C]) {
                *o = s + b;
            }
        }
        None => out.copy_from_slice(acc),
    }
}

/// `out = aᵀ`: `a` is `rows × cols` row-major, `out` is `cols × rows` row-major.
pub(crate) fn transpose(a: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    for (i, row) in a.chunks_exact(cols).take(rows).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            out[j * rows + i] = v;
        }
    }
}

/// `out[j] = Σ_r a[r, j]`, summed over rows in order (the bias gradient).
pub(crate) fn column_sums(a: &[f32], width: usize, out: &mut [f32]) {
    out.fill(-0.0);
    for row in a.chunks_exact(width) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

#[cfg(test)]
mod tests;
