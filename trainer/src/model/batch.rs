//! `train_on_batch`: one optimizer step on one batch, as Keras' `Model.train_on_batch`.

use super::engine::{variable_sizes, Workspace};
use super::Sequential;
use crate::callbacks::Logs;
use crate::error::{Error, Result};
use ndarray::{AsArray, Ix2};

impl Sequential {
    /// One optimizer step on the whole of `(x, y)`, without shuffling; returns the batch's loss
    /// and metrics as computed before the step, as Keras' `train_on_batch`. The buffers are
    /// kept between calls (reallocated only for a larger batch), so a step allocates nothing.
    ///
    /// # Errors
    /// [`Error::NotCompiled`], [`Error::NotBuilt`] (call [`build`](Self::build) first), shape
    /// mismatches between the data and the model.
    ///
    /// # Examples
    /// ```
    /// use dendrite_trainer::layers::Dense;
    /// use dendrite_trainer::{utils, Loss, Metric, Optimizer, Sequential};
    /// use ndarray::array;
    ///
    /// let mut model = Sequential::new();
    /// model.add(Dense::new(1).input_dim(2))?;
    /// model.compile(Optimizer::from_name("sgd")?, Loss::MeanSquaredError, &[])?;
    /// model.build(&mut utils::set_random_seed(1))?;
    /// let (x, y) = (array![[1.0f32, 2.0], [0.5, -1.0]], array![[1.0f32], [0.0]]);
    /// let first = model.train_on_batch(&x, &y)?.get("loss").unwrap();
    /// for _ in 0..50 {
    ///     model.train_on_batch(&x, &y)?;
    /// }
    /// assert!(model.train_on_batch(&x, &y)?.get("loss").unwrap() < first);
    /// # Ok::<(), dendrite_trainer::Error>(())
    /// ```
    pub fn train_on_batch<'x>(
        &mut self,
        x: impl AsArray<'x, f32, Ix2>,
        y: impl AsArray<'x, f32, Ix2>,
    ) -> Result<Logs> {
        let (x, y) = (x.into(), y.into());
        self.check_data(x, y, "train_on_batch")?;
        self.require_built("train_on_batch")?;
        let (n, input, outputs) = (x.nrows(), self.input_dim, self.output_dim());
        let compiled = self.compiled.as_mut().ok_or(Error::NotCompiled {
            operation: "train_on_batch",
        })?;
        let layers = &mut self.layers;
        let state = compiled
            .state
            .get_or_insert_with(|| compiled.optimizer.state(&variable_sizes(layers)));
        let ws = match &mut compiled.workspace {
            Some(ws) if ws.capacity() >= n => ws,
            slot => slot.insert(Workspace::new(layers, input, n, outputs)),
        };
        let (mut loss_sum, mut metric_sums) = (0.0, vec![0.0; compiled.metrics.len()]);
        ws.load_range(x, Some(y), 0, n);
        match &mut self.dropout_rng {
            Some(d) => {
                use rand::SeedableRng;
                let mut rng = crate::SeededRng::seed_from_u64(d.seed.wrapping_add(d.steps));
                d.steps += 1;
                ws.forward_train(layers, n, &mut rng)
            }
            None => ws.forward(layers, n),
        };
        let metrics = &compiled.metrics;
        ws.score(
            layers,
            compiled.loss,
            metrics,
            n,
            &mut loss_sum,
            &mut metric_sums,
        );
        ws.backward(layers, compiled.loss, n);
        ws.apply(layers, &compiled.optimizer, state);
        let mut logs = Logs::default();
        logs.set("loss", loss_sum / n as f64);
        for (metric, sum) in metrics.iter().zip(metric_sums) {
            logs.set(metric.name(), metric.finish(sum / n as f64));
        }
        Ok(logs)
    }
}
