//! `summary()`: the table Keras 3 prints.

use super::Sequential;

/// Default inner widths of Keras 3's three columns (layer, output shape, parameter count).
const WIDTHS: [usize; 3] = [31, 22, 13];

impl Sequential {
    /// The Keras 3 summary table: one row per layer (name and type, output shape, parameter
    /// count), then the totals.
    ///
    /// # Examples
    /// ```
    /// use dendrite_trainer::{layers::Dense, Sequential};
    /// let mut model = Sequential::new();
    /// model.add(Dense::new(2).input_dim(3))?;
    /// assert!(model.summary().contains(" Total params: 8 (32.00 B)"));
    /// # Ok::<(), dendrite_trainer::Error>(())
    /// ```
    pub fn summary(&self) -> String {
        let rows = self.summary_rows();
        let mut widths = WIDTHS;
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                // Capped: a longer name (a library user's layer names are not limited)
                // overflows its own cell only, not the formatter's width.
                *w = (*w).max(cell.chars().count()).min(120);
            }
        }
        let mut out = format!("Model: \"{}\"\n", self.name);
        out += &rule(['┏', '━', '┳', '┓'], widths);
        out += &line('┃', ["Layer (type)", "Output Shape", "Param #"], widths);
        out += &rule(['┡', '━', '╇', '┩'], widths);
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out += &rule(['├', '─', '┼', '┤'], widths);
            }
            out += &line('│', [&row[0], &row[1], &row[2]], widths);
        }
        out += &rule(['└', '─', '┴', '┘'], widths);
        let params = self.count_params();
        out += &format!(" Total params: {}\n", count_with_size(params));
        out += &format!(" Trainable params: {}\n", count_with_size(params));
        out += &format!(" Non-trainable params: {}\n", count_with_size(0));
        out
    }

    fn summary_rows(&self) -> Vec<[String; 3]> {
        let mut fan_in = self.input_dim;
        let mut rows = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let params = layer.param_count(fan_in);
            fan_in = layer.output_dim(fan_in);
            rows.push([
                format!("{} ({})", layer.name(), layer.type_name()),
                format!("(None, {fan_in})"),
                thousands(params),
            ]);
        }
        rows
    }
}

/// A horizontal rule: `[left, fill, junction, right]`.
fn rule([left, fill, junction, right]: [char; 4], widths: [usize; 3]) -> String {
    let cells: Vec<String> = widths
        .iter()
        .map(|&w| fill.to_string().repeat(w + 2))
        .collect();
    format!("{left}{}{right}\n", cells.join(&junction.to_string()))
}

/// A row: the first two cells left-aligned, the parameter count right-aligned.
fn line(sep: char, [a, b, c]: [&str; 3], [wa, wb, wc]: [usize; 3]) -> String {
    format!("{sep} {a:<wa$} {sep} {b:<wb$} {sep} {c:>wc$} {sep}\n")
}

/// `26 (104.00 B)`: the count and the size of that many f32s, as Keras prints them.
fn count_with_size(count: usize) -> String {
    format!(
        "{} ({})",
        thousands(count),
        readable_size(count as f64 * 4.0)
    )
}

/// `4160` → `4,160`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Keras' `readable_memory_size`: powers of 1024, two decimals.
fn readable_size(mut bytes: f64) -> String {
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        if bytes / 1024.0 < 1.0 {
            return format!("{bytes:.2} {unit}");
        }
        bytes /= 1024.0;
    }
    format!("{bytes:.2} PB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_counts_like_keras() {
        assert_eq!(thousands(4160), "4,160");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(26), "26");
        assert_eq!(readable_size(104.0), "104.00 B");
        assert_eq!(readable_size(16640.0), "16.25 KB");
    }
}
