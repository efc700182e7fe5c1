//! PNG pictures of a training run and of an evaluation, drawn with plotters: the loss and
//! accuracy per epoch ([`training_curves`]), the confusion matrix ([`confusion_matrix`]), and a
//! regression model's predictions against the truth with their residuals ([`regression`]).
//!
//! Text is set in DejaVu Sans, embedded in the binary (see `trainer/assets/`), so the pictures
//! look the same on every machine and need no system fonts.

use crate::History;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

const FONT: &str = "sans-serif";
const TRAIN_COLOR: RGBColor = RGBColor(31, 119, 180);
const VAL_COLOR: RGBColor = RGBColor(255, 127, 14);

/// A picture that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct PlotError {
    path: std::path::PathBuf,
    reason: String,
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes = include_bytes!("../assets/DejaVuSans.ttf");
        // The font is compiled in and known to parse; a failure would only lose the text.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, bytes);
    });
}

fn failed(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> PlotError + '_ {
    move |e| PlotError {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// Pictures are written as PNG: any other extension is refused before drawing (the image
/// encoder would otherwise fail with its own internal error).
fn check_png(path: &Path) -> Result<(), PlotError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        Ok(())
    } else {
        Err(failed(path)(
            &"not a .png file name: pictures are written as PNG",
        ))
    }
}

/// Draws `history`'s loss (left) and accuracy (right) per epoch, training and validation, with
/// labelled axes and a legend, into a 1200 × 500 PNG at `path`.
///
/// # Errors
/// [`PlotError`] when the history is empty, `path` does not end in `.png`, or the file cannot
/// be written.
pub fn training_curves(history: &History, path: &Path) -> Result<(), PlotError> {
    check_png(path)?;
    register_font();
    let err = failed(path);
    if history.epoch.is_empty() {
        return Err(err(&"no epochs to draw"));
    }
    let root = BitMapBackend::new(path, (1200, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (left, right) = root.split_horizontally(600);
    panel(&left, history, "loss", "Loss").map_err(|e| err(&e))?;
    panel(&right, history, "accuracy", "Accuracy").map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// One chart: `name` and `val_name` per epoch (epochs counted from 1, as Keras prints them).
fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    history: &History,
    name: &str,
    title: &str,
) -> DrawResult {
    let val_name = format!("val_{name}");
    let series: Vec<(&str, &[f64], RGBColor)> = [
        (name, TRAIN_COLOR, "training"),
        (val_name.as_str(), VAL_COLOR, "validation"),
    ]
    .into_iter()
    .filter_map(|(key, color, label)| history.get(key).map(|v| (label, v, color)))
    .collect();
    if series.is_empty() {
        area.titled(&format!("{title}: not recorded"), (FONT, 22))?;
        return Ok(());
    }
    let epochs = history.epoch.len();
    let values = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (lo, hi) = if name == "accuracy" {
        (lo.clamp(0.0, 1.0), 1.0)
    } else {
        (0.0, hi.max(1e-6))
    };
    let margin = ((hi - lo) * 0.05).max(1e-3);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{title} per epoch"), (FONT, 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(1f64..(epochs.max(2) as f64), (lo - margin)..(hi + margin))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(name)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 18))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (label, values, color) in series {
        let points = values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(3)));
    }
    let position = if name == "accuracy" {
        SeriesLabelPosition::LowerRight
    } else {
        SeriesLabelPosition::UpperRight
    };
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Draws `counts` (rows: true class, columns: predicted class) as a heatmap with the count in
/// every cell and the class names on both axes, into a PNG at `path`. Cells are shaded by the
/// share of their row, so a class with few samples reads as clearly as a large one.
///
/// # Errors
/// [`PlotError`] when the matrix is empty or not square, `path` does not end in `.png`, or the
/// file cannot be written.
pub fn confusion_matrix(
    counts: &[Vec<u64>],
    classes: &[String],
    path: &Path,
) -> Result<(), PlotError> {
    check_png(path)?;
    register_font();
    let err = failed(path);
    let n = counts.len();
    if n == 0 || counts.iter().any(|r| r.len() != n) || classes.len() != n {
        return Err(err(
            &"the confusion matrix must be square, one row and column per class",
        ));
    }
    let longest = classes.iter().map(|c| c.chars().count()).max().unwrap_or(1) as u32;
    let label_px = (longest * 10 + 30).clamp(60, 240);
    let cell = (560 / n as u32).clamp(40, 140);
    let side = cell * n as u32;
    let root =
        BitMapBackend::new(path, (side + label_px + 60, side + label_px + 70)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    heatmap(&root, counts, classes, label_px).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

fn heatmap(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    counts: &[Vec<u64>],
    classes: &[String],
    label_px: u32,
) -> DrawResult {
    let n = counts.len();
    let mut chart = ChartBuilder::on(root)
        .caption("Confusion matrix", (FONT, 24))
        .margin(20)
        .x_label_area_size(label_px.min(80))
        .y_label_area_size(label_px)
        .build_cartesian_2d(0f64..n as f64, n as f64..0f64)?;
    let name = |v: &f64| {
        let i = v.floor() as usize;
        if (v - v.floor() - 0.5).abs() < 1e-6 {
            classes.get(i).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(2 * n + 1)
        .y_labels(2 * n + 1)
        .x_label_formatter(&name)
        .y_label_formatter(&name)
        .x_desc("predicted class")
        .y_desc("true class")
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .draw()?;
    for (t, row) in counts.iter().enumerate() {
        let total = row.iter().sum::<u64>().max(1) as f64;
        for (p, &count) in row.iter().enumerate() {
            let share = count as f64 / total;
            let shade = (255.0 * (1.0 - 0.85 * share)) as u8;
            let fill = RGBColor(
                shade,
                shade.saturating_add(((255 - shade) as f64 * 0.25) as u8),
                255,
            );
            let (x, y) = (p as f64, t as f64);
            chart.draw_series([Rectangle::new([(x, y), (x + 1.0, y + 1.0)], fill.filled())])?;
            chart.draw_series([Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                RGBColor(200, 200, 200),
            )])?;
            let color = if share > 0.5 { WHITE } else { BLACK };
            let style = TextStyle::from((FONT, 22).into_font()).color(&color).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ),
            );
            chart.draw_series([Text::new(count.to_string(), (x + 0.5, y + 0.5), style)])?;
        }
    }
    Ok(())
}

/// One color per regression target, in order (then around again).
const TARGET_COLORS: [RGBColor; 6] = [
    TRAIN_COLOR,
    VAL_COLOR,
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Draws a regression model's values against the truth into a 1200 × 500 PNG at `path`: on the
/// left each sample's predicted value against its true value, with the diagonal `y = x` where
/// a perfect model's points lie; on the right the residuals (predicted − true) against the true
/// value, around a zero line. `truth` and `predicted` hold one row per sample and one column
/// per target (named by `targets`, one color each, in the targets' units).
///
/// # Errors
/// [`PlotError`] when there are no samples, the shapes differ, `path` does not end in `.png`,
/// or the file cannot be written.
pub fn regression(
    truth: ndarray::ArrayView2<'_, f32>,
    predicted: ndarray::ArrayView2<'_, f32>,
    targets: &[String],
    path: &Path,
) -> Result<(), PlotError> {
    check_png(path)?;
    register_font();
    let err = failed(path);
    if truth.nrows() == 0 || truth.ncols() == 0 {
        return Err(err(&"no samples to draw"));
    }
    if truth.dim() != predicted.dim() || targets.len() != truth.ncols() {
        return Err(err(
            &"the true and predicted values must have the same samples and targets",
        ));
    }
    let root = BitMapBackend::new(path, (1200, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (left, right) = root.split_horizontally(600);
    let series = |j: usize| {
        truth
            .column(j)
            .iter()
            .zip(predicted.column(j))
            .map(|(&t, &p)| (f64::from(t), f64::from(p)))
            .filter(|(t, p)| t.is_finite() && p.is_finite())
            .collect::<Vec<_>>()
    };
    let columns: Vec<Vec<(f64, f64)>> = (0..targets.len()).map(series).collect();
    scatter(&left, &columns, targets, false).map_err(|e| err(&e))?;
    scatter(&right, &columns, targets, true).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

/// The smallest and largest of `values`, widened by 5 % (and to a non-empty range).
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let margin = ((hi - lo) * 0.05).max(1e-6 * hi.abs().max(1.0));
    (lo - margin, hi + margin)
}

/// One regression chart: predicted against true with the diagonal, or (`residuals`) predicted
/// minus true against true with the zero line.
fn scatter(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    columns: &[Vec<(f64, f64)>],
    targets: &[String],
    residuals: bool,
) -> DrawResult {
    let point = |&(t, p): &(f64, f64)| if residuals { (t, p - t) } else { (t, p) };
    let points = || columns.iter().flatten().map(point);
    let (x_lo, x_hi) = span(points().map(|(x, _)| x));
    let (y_lo, y_hi) = if residuals {
        let (lo, hi) = span(points().map(|(_, y)| y));
        let reach = lo.abs().max(hi.abs());
        (-reach, reach)
    } else {
        // The same range on both axes, so the diagonal is at 45 degrees.
        let (lo, hi) = span(points().flat_map(|(x, y)| [x, y]));
        (lo, hi)
    };
    let (x_lo, x_hi) = if residuals {
        (x_lo, x_hi)
    } else {
        (y_lo, y_hi)
    };
    let (title, y_desc) = if residuals {
        ("Residuals", "predicted - true")
    } else {
        ("Predicted against true", "predicted")
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc("true")
        .y_desc(y_desc)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 18))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let reference = if residuals {
        [(x_lo, 0.0), (x_hi, 0.0)]
    } else {
        [(x_lo, x_lo), (x_hi, x_hi)]
    };
    chart.draw_series(LineSeries::new(reference, BLACK.stroke_width(1)))?;
    for (j, (column, name)) in columns.iter().zip(targets).enumerate() {
        let color = TARGET_COLORS[j % TARGET_COLORS.len()];
        chart
            .draw_series(
                column
                    .iter()
                    .map(|p| Circle::new(point(p), 3, color.mix(0.6).filled())),
            )?
            .label(name.as_str())
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    }
    if targets.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 16))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}
