//! Keras 3's progress display: `Epoch 3/10`, then
//! `125/125 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.7570 - loss: 0.5592`.

use super::{Callback, Logs, TrainParams};
use crate::model::Verbosity;
use crate::Sequential;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// How often the live bar is redrawn. Drawing and formatting on every batch would cost far
/// more than the batch itself for small models (the seed model trains an epoch in well under a
/// millisecond: BENCHMARKS.md, W1), so the bar only appears once an epoch has run this long, and
/// then refreshes at this rate.
const REFRESH: Duration = Duration::from_millis(50);

/// Prints one line per epoch to stdout, with a live bar on stderr while a slow epoch runs (only
/// when stderr is a terminal and the verbosity asks for it).
#[derive(Debug)]
pub struct ProgbarLogger {
    verbose: Verbosity,
    params: TrainParams,
    /// Whether this run may draw a live bar at all.
    live: bool,
    bar: Option<ProgressBar>,
    started: Instant,
    refreshed: Instant,
}

impl ProgbarLogger {
    /// A logger printing at `verbose`.
    pub fn new(verbose: Verbosity) -> Self {
        ProgbarLogger {
            verbose,
            params: TrainParams {
                epochs: 0,
                steps: 0,
            },
            live: verbose == Verbosity::ProgressBar && std::io::stderr().is_terminal(),
            bar: None,
            started: Instant::now(),
            refreshed: Instant::now(),
        }
    }

    fn live_bar(&self) -> Option<ProgressBar> {
        let style = ProgressStyle::with_template("{pos}/{len} {bar:20.green/dim} {elapsed}{msg}")
            .ok()?
            .progress_chars("━━━");
        let bar = ProgressBar::with_draw_target(
            Some(self.params.steps as u64),
            ProgressDrawTarget::stderr(),
        );
        Some(bar.with_style(style))
    }
}

impl Callback for ProgbarLogger {
    fn on_train_begin(&mut self, params: &TrainParams) {
        self.params = *params;
    }

    fn on_epoch_begin(&mut self, epoch: usize) {
        println!("Epoch {}/{}", epoch + 1, self.params.epochs);
        self.started = Instant::now();
        self.refreshed = self.started;
    }

    fn on_train_batch_end(&mut self, step: usize, logs: &Logs) {
        if !self.live || self.refreshed.elapsed() < REFRESH {
            return;
        }
        self.refreshed = Instant::now();
        if self.bar.is_none() {
            self.bar = self.live_bar();
        }
        if let Some(bar) = &self.bar {
            bar.set_position(step as u64);
            bar.set_message(format_logs(logs));
        }
    }

    fn on_epoch_end(&mut self, _: usize, logs: &Logs, _: &mut Sequential) -> ControlFlow<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        println!(
            "{}",
            epoch_line(self.verbose, self.params.steps, elapsed, logs)
        );
        ControlFlow::Continue(())
    }
}

/// The line Keras 3 prints at the end of an epoch.
pub(crate) fn epoch_line(verbose: Verbosity, steps: usize, elapsed: f64, logs: &Logs) -> String {
    let per_step = format_time(elapsed / steps.max(1) as f64);
    let seconds = elapsed as u64;
    match verbose {
        Verbosity::OneLinePerEpoch => {
            format!(
                "{steps}/{steps} - {seconds}s - {per_step}/step{}",
                format_logs(logs)
            )
        }
        _ => format!(
            "{steps}/{steps} {} {seconds}s {per_step}/step{}",
            "━".repeat(20),
            format_logs(logs)
        ),
    }
}

/// ` - accuracy: 0.7570 - loss: 0.5592`: sorted by name, four decimals (scientific below 1e-3).
fn format_logs(logs: &Logs) -> String {
    let mut text = String::new();
    for (name, value) in logs.sorted() {
        if value.abs() > 1e-3 {
            text += &format!(" - {name}: {value:.4}");
        } else {
            text += &format!(" - {name}: {value:.4e}");
        }
    }
    text
}

/// Keras' `_format_time`: whole seconds, milliseconds or microseconds.
fn format_time(seconds: f64) -> String {
    if seconds >= 1.0 || seconds == 0.0 {
        format!("{seconds:.0}s")
    } else if seconds >= 1e-3 {
        format!("{:.0}ms", seconds * 1e3)
    } else {
        format!("{:.0}us", seconds * 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_line_reads_like_keras_3() {
        let mut logs = Logs::default();
        logs.set("loss", 0.559_24);
        logs.set("accuracy", 0.757);
        let line = epoch_line(Verbosity::ProgressBar, 125, 0.25, &logs);
        assert_eq!(
            line,
            "125/125 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.7570 - loss: 0.5592"
        );
        let line = epoch_line(Verbosity::OneLinePerEpoch, 125, 0.011, &logs);
        assert_eq!(
            line,
            "125/125 - 0s - 88us/step - accuracy: 0.7570 - loss: 0.5592"
        );
    }

    #[test]
    fn tiny_values_switch_to_scientific_notation() {
        let mut logs = Logs::default();
        logs.set("loss", 0.000_123_4);
        assert_eq!(format_logs(&logs), " - loss: 1.2340e-4");
    }
}
