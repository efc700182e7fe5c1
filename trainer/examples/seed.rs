//! The seed tutorial, line for line as its Keras script: people's weight, height and age in,
//! gender out.
//!
//! ```text
//! cargo run --release -p dendrite-trainer --example seed
//! ```

use dendrite_trainer::layers::{ActivationLayer, Dense};
use dendrite_trainer::Activation::{Relu, Softmax};
use dendrite_trainer::Sequential;
use dendrite_trainer::{datasets, utils, FitOptions, Initializer, Loss, Metric, Optimizer};
use ndarray::array;

// Kept on one line per Keras statement, so it reads against the Keras script line by line.
#[rustfmt::skip]
fn main() -> Result<(), dendrite_trainer::Error> {
    // import numpy as np  (one generator behind every random draw)
    let mut rng = utils::set_random_seed(42);

    // n = 1000; weight, height, age = np.random.normal(size=n) ...; the first 500 are male
    let (data, gender) = datasets::seed(1000, &mut rng);

    let random_normal = Initializer::random_normal();
    // model = Sequential()
    let mut model = Sequential::new();
    // model.add(Dense(4, input_dim=3, kernel_initializer='random_normal', name="Dense1"))
    model.add(Dense::new(4).input_dim(3).kernel_initializer(random_normal).name("Dense1"))?;
    // model.add(Activation('relu', name="hidden"))
    model.add(ActivationLayer::new(Relu).name("hidden"))?;
    // model.add(Dense(2, input_dim=4, kernel_initializer='random_normal', name="Dense2"))
    model.add(Dense::new(2).input_dim(4).kernel_initializer(random_normal).name("Dense2"))?;
    // model.add(Activation('softmax', name="output"))
    model.add(ActivationLayer::new(Softmax).name("output"))?;
    // model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])
    model.compile(Optimizer::from_name("rmsprop")?, Loss::CategoricalCrossentropy, &[Metric::Accuracy])?;

    // gender_one_hot = utils.to_categorical(gender, num_classes=2)
    let gender_one_hot = utils::to_categorical(&gender, 2)?;
    // model.fit(data, gender_one_hot, epochs=10, batch_size=8)
    let options = FitOptions { epochs: 10, batch_size: 8, ..FitOptions::default() };
    model.fit(&data, &gender_one_hot, &options, &mut rng)?;

    // test_data = np.array([[0, 0, 0]]); probability = model.predict(test_data)
    let test_data = array![[0.0f32, 0.0, 0.0]];
    let probability = model.predict(&test_data)?;
    // print('female' if probability[0, 0] > 0.5 else 'male')
    println!("{}", if probability[[0, 0]] > 0.5 { "female" } else { "male" });
    Ok(())
}
