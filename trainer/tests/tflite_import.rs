//! TFLite files made by TensorFlow's own converter (`bench/tflite_fixtures.py`), imported and
//! run by Dendrite: the int8 outputs equal those of TFLite's interpreter with its reference
//! kernels bit for bit.

use dendrite_core::{kernel, Activation};
use dendrite_trainer::quantize::{quantize, QuantizedModel};
use dendrite_trainer::tflite::{import, FloatLayer, ImportError, Imported};
use dendrite_trainer::HostModel;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tflite")
}

fn load(name: &str) -> (Imported, Value) {
    let dir = fixtures();
    let bytes = std::fs::read(dir.join(format!("{name}.tflite"))).expect("fixture file");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap())
            .unwrap();
    (
        import(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")),
        doc,
    )
}

fn rows<T>(doc: &Value, key: &str, f: impl Fn(&Value) -> T) -> Vec<Vec<T>> {
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(&f).collect())
        .collect()
}

fn int(v: &Value) -> i8 {
    i8::try_from(v.as_i64().unwrap()).unwrap()
}

fn float(v: &Value) -> f32 {
    v.as_f64().unwrap() as f32
}

/// Runs an int8-in, int8-out fixture; returns the number of outputs compared.
fn assert_int8_bit_exact(name: &str) -> usize {
    let (imported, doc) = load(name);
    let Imported::Int8 {
        model,
        float_input: false,
        float_output: false,
    } = imported
    else {
        panic!("{name}: expected an int8 model with int8 input and output");
    };
    let inputs = rows(&doc, "inputs", int);
    let expected = rows(&doc, "outputs", int);
    let mut mismatches = Vec::new();
    for (i, (x, want)) in inputs.iter().zip(&expected).enumerate() {
        let got = model.predict_quantized(x).unwrap();
        if &got != want {
            mismatches.push((i, got, want.clone()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{name}: {} of {} rows differ, first: {:?}",
        mismatches.len(),
        inputs.len(),
        mismatches.first()
    );
    inputs.len() * expected[0].len()
}

#[test]
fn softmax_model_per_channel_matches_tflite_bit_for_bit() {
    assert_eq!(assert_int8_bit_exact("dense_softmax.int8"), 64 * 4);
}

#[test]
fn softmax_model_per_tensor_matches_tflite_bit_for_bit() {
    let (imported, _) = load("dense_softmax.int8_per_tensor");
    let Imported::Int8 { model, .. } = &imported else {
        panic!()
    };
    assert!(
        model.layers.iter().all(|l| l.weight_scales.len() == 1),
        "fixture is per-tensor"
    );
    assert_int8_bit_exact("dense_softmax.int8_per_tensor");
}

#[test]
fn logistic_model_matches_tflite_bit_for_bit() {
    assert_int8_bit_exact("dense_sigmoid.int8");
}

#[test]
fn tanh_model_with_relu6_matches_tflite_bit_for_bit() {
    assert_int8_bit_exact("dense_tanh.int8");
}

#[test]
fn linear_regression_model_matches_tflite_bit_for_bit() {
    assert_int8_bit_exact("regression.int8");
}

/// An imported float model's outputs for `x`, layer by layer through dendrite-core's kernel.
fn float_forward(layers: &[FloatLayer], x: &[f32]) -> Vec<f32> {
    let mut a = x.to_vec();
    for layer in layers {
        let mut out = vec![0.0; layer.bias.len()];
        kernel::dense(&a, &layer.kernel, &layer.bias, layer.activation, &mut out);
        a = out;
    }
    a
}

#[test]
fn flattened_input_model_matches_tflite_bit_for_bit() {
    // Keras' Flatten on a 2×4 input: the RESHAPE's new shape is computed at run time (SHAPE,
    // STRIDED_SLICE, PACK), which the import skips; the 8 values keep their order.
    let (imported, _) = load("flatten.int8");
    let Imported::Int8 { model, .. } = &imported else {
        panic!("expected an int8 model")
    };
    assert_eq!(model.layers[0].weights.len(), 8 * 10);
    assert_eq!(assert_int8_bit_exact("flatten.int8"), 64 * 3);
}

#[test]
fn float16_model_widens_its_weights_and_matches_tflite_bit_for_bit() {
    // Float16 weights and biases, widened by DEQUANTIZE operators, then TFLite's float32
    // kernels: the widening is exact, and relu and linear layers sum in Dendrite's order.
    let (imported, doc) = load("regression.f16");
    let Imported::Float {
        inputs,
        standardization: None,
        layers,
    } = imported
    else {
        panic!("expected a float model")
    };
    assert_eq!(inputs, 8);
    // Every weight is a float16 value (its widening back and forth is exact).
    for w in layers.iter().flat_map(|l| l.kernel.iter().chain(&l.bias)) {
        assert_eq!(f32::from(half::f16::from_f32(*w)).to_bits(), w.to_bits());
    }
    for (x, want) in rows(&doc, "inputs", float)
        .iter()
        .zip(rows(&doc, "outputs", float))
    {
        let a = float_forward(&layers, x);
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&want));
    }
}

#[test]
fn float_io_int8_model_quantizes_and_dequantizes_as_tflite() {
    let (imported, doc) = load("dense_softmax.int8_float_io");
    let Imported::Int8 {
        model,
        float_input: true,
        float_output: true,
    } = imported
    else {
        panic!("expected QUANTIZE ... DEQUANTIZE around int8 layers");
    };
    for (x, want) in rows(&doc, "inputs", float)
        .iter()
        .zip(rows(&doc, "outputs", float))
    {
        let got = model.predict(x).unwrap();
        let (got, want): (Vec<u32>, Vec<u32>) = (
            got.iter().map(|v| v.to_bits()).collect(),
            want.iter().map(|v| v.to_bits()).collect(),
        );
        assert_eq!(got, want);
    }
}

#[test]
fn float_model_matches_tflite_within_float_rounding() {
    let (imported, doc) = load("dense_softmax.f32");
    let Imported::Float {
        inputs,
        standardization: None,
        layers,
    } = imported
    else {
        panic!("expected a float model")
    };
    assert_eq!(inputs, 7);
    let mut worst = 0.0f32;
    for (x, want) in rows(&doc, "inputs", float)
        .iter()
        .zip(rows(&doc, "outputs", float))
    {
        let a = float_forward(&layers, x);
        for (g, w) in a.iter().zip(&want) {
            worst = worst.max((g - w).abs());
        }
    }
    // TFLite sums in another order and uses its own exp: a few ulps of the probabilities.
    assert!(worst < 1e-5, "largest difference {worst}");
}

#[test]
fn refuses_bytes_that_are_not_tflite() {
    assert!(matches!(
        import(b"not a flatbuffer at all"),
        Err(ImportError::Flatbuffer(_))
    ));
    assert!(matches!(import(&[]), Err(ImportError::Flatbuffer(_))));
}

#[test]
fn refuses_unsupported_operator_by_name() {
    let bytes = std::fs::read(fixtures().join("unsupported.f32.tflite")).unwrap();
    let err = import(&bytes).unwrap_err();
    assert_eq!(err, ImportError::UnsupportedOperator("ABS".into()), "{err}");
    assert!(err.to_string().contains("operator ABS is not supported"));
}

/// Ulps between two positive floats.
fn ulps(a: f32, b: f32) -> u32 {
    a.to_bits().abs_diff(b.to_bits())
}

#[test]
fn dendrite_quantizer_reproduces_the_tflite_converter() {
    // The float model and the representative rows TFLite's converter used for its int8 sibling.
    let (float_model, doc) = load("dense_softmax.f32");
    let bytes = float_model.to_model_bytes().unwrap();
    let host = HostModel::from_bytes(&bytes, Path::new("dense_softmax.f32")).unwrap();
    let calibration: Vec<f32> = rows(&doc, "calibration", float).concat();
    let ours = quantize(&host, &calibration).unwrap().int8;
    let (Imported::Int8 { model: theirs, .. }, int8_doc) = load("dense_softmax.int8") else {
        panic!("an int8 model")
    };
    assert_eq!(ours.layers.len(), theirs.layers.len());
    for (a, b) in ours.layers.iter().zip(&theirs.layers) {
        // Weights, their scales and the biases: the converter's, to the bit.
        assert_eq!(
            (&a.weights, &a.weight_scales, &a.bias),
            (&b.weights, &b.weight_scales, &b.bias)
        );
        assert_eq!(
            std::mem::discriminant(&a.activation),
            std::mem::discriminant(&b.activation)
        );
        for (p, q) in [
            (a.input, b.input),
            (a.output, b.output),
            (a.activation_output, b.activation_output),
        ] {
            assert_eq!(p.zero_point, q.zero_point);
            // The ranges come from a float forward pass over the calibration rows; the
            // converter's calibrator sums in another order, so a range end can differ in its
            // last bits, and the scale by an ulp.
            assert!(ulps(p.scale, q.scale) <= 2, "{p:?} vs {q:?}");
        }
    }
    // On the interpreter's own inputs, the int8 outputs of Dendrite's quantization equal those
    // TFLite's interpreter computes for the converter's (an ulp of scale could move a rounding;
    // on these rows none does).
    let (inputs, expected) = (
        rows(&int8_doc, "inputs", int),
        rows(&int8_doc, "outputs", int),
    );
    let (mut same, mut total) = (0, 0);
    for (x, want) in inputs.iter().zip(&expected) {
        let got = ours.predict_quantized(x).unwrap();
        same += got.iter().zip(want).filter(|(a, b)| a == b).count();
        total += want.len();
    }
    eprintln!("Dendrite-quantized vs converter-quantized: {same} of {total} int8 outputs equal");
    assert_eq!(same, total);
}

#[test]
fn corrupted_files_are_refused_or_imported_never_a_panic() {
    // Every fixture with bytes flipped, cut or zeroed: a value in every case, never a panic.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut refused = 0;
    for name in [
        "dense_softmax.int8",
        "dense_sigmoid.int8",
        "dense_softmax.int8_float_io",
        "dense_softmax.f32",
        "flatten.int8",
        "regression.f16",
        "normalized.f32",
        "normalized.f16",
        "act_selu.f32",
        "act_softsign.f32",
        "act_silu.f32",
        "act_leaky_relu.f32",
    ] {
        let original = std::fs::read(fixtures().join(format!("{name}.tflite"))).unwrap();
        for _ in 0..500 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            if next() % 8 == 0 {
                bytes.truncate((next() % bytes.len() as u64) as usize);
            }
            if let Ok(Imported::Int8 { model, .. }) = import(&bytes) {
                // An imported model either runs or says why not.
                let _ = model.predict_quantized(&vec![0; model.inputs()]);
            } else {
                refused += 1;
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn int8_models_survive_the_model_file_bit_for_bit() {
    for name in [
        "dense_softmax.int8",
        "dense_sigmoid.int8",
        "dense_tanh.int8",
        "regression.int8",
        "dense_softmax.int8_per_tensor",
    ] {
        let (imported, doc) = load(name);
        let bytes = imported.to_model_bytes().unwrap();
        let from_file = QuantizedModel::from_model_bytes(&bytes).unwrap();
        for (x, want) in rows(&doc, "inputs", int)
            .iter()
            .zip(rows(&doc, "outputs", int))
        {
            assert_eq!(from_file.int8.predict_quantized(x).unwrap(), want, "{name}");
        }
        // The host model runs the file's int8 layers: raw inputs on the int8 grid quantize to
        // the interpreter's inputs, and its int8 outputs are the interpreter's.
        let host = HostModel::from_bytes(&bytes, Path::new(name)).unwrap();
        let input = from_file.int8.input().unwrap();
        for (x, want) in rows(&doc, "inputs", int)
            .iter()
            .zip(rows(&doc, "outputs", int))
        {
            let raw: Vec<f32> = x
                .iter()
                .map(|&q| input.scale * (i32::from(q) - input.zero_point) as f32)
                .collect();
            assert_eq!(host.predict_quantized(&raw).unwrap(), Some(want), "{name}");
        }
    }
}

/// Imports a float fixture, writes it as a model file and runs the file on the interpreter's
/// inputs; returns the standardization and the largest difference from the interpreter's
/// outputs.
fn standardized_fixture(name: &str) -> (dendrite_trainer::tflite::Standardization, f32) {
    let (imported, doc) = load(name);
    let Imported::Float {
        standardization: Some(standardization),
        ..
    } = &imported
    else {
        panic!("{name}: expected a float model with a standardization")
    };
    let bytes = imported.to_model_bytes().unwrap();
    let host = HostModel::from_bytes(&bytes, Path::new(name)).unwrap();
    let (mean, std) = host.standardization();
    assert_eq!(
        (mean, std),
        (&standardization.mean[..], &standardization.std[..])
    );
    let mut worst = 0.0f32;
    for (x, want) in rows(&doc, "inputs", float)
        .iter()
        .zip(rows(&doc, "outputs", float))
    {
        for (g, w) in host.predict(x).unwrap().iter().zip(&want) {
            worst = worst.max((g - w).abs());
        }
    }
    (standardization.clone(), worst)
}

#[test]
fn normalization_layer_folds_into_the_standardization() {
    // Keras' Normalization, converted by TFLite to a SUB of the mean then a MUL by the
    // reciprocal 1 / max(sqrt(variance), 1e-7).
    let (imported, doc) = load("normalized.f32");
    let (standardization, worst) = standardized_fixture("normalized.f32");
    // The means are the layer's, to the bit; the stds its sqrt(variance), within the two
    // roundings of the converter's reciprocal and of ours.
    let keras_mean: Vec<f32> = doc["normalization"]["mean"]
        .as_array()
        .unwrap()
        .iter()
        .map(float)
        .collect();
    assert_eq!(bits(&standardization.mean), bits(&keras_mean));
    for (s, v) in standardization
        .std
        .iter()
        .zip(doc["normalization"]["variance"].as_array().unwrap())
    {
        let keras = float(v).sqrt().max(1e-7);
        assert!(ulps(*s, keras) <= 2, "std {s}, Keras {keras}");
    }
    // The standardized values, TFLite's `(x - mean) * c` against the model file's
    // `(x - mean) / (1 / c)`: equal or an ulp apart.
    let (mut same, mut total, mut most) = (0, 0, 0);
    for (x, want) in rows(&doc, "inputs", float)
        .iter()
        .zip(rows(&doc, "standardized", float))
    {
        let mut v = x.clone();
        kernel::standardize(&mut v, &standardization.mean, &standardization.std);
        for (a, b) in v.iter().zip(&want) {
            let apart = a.to_bits().abs_diff(b.to_bits());
            most = most.max(apart);
            same += usize::from(apart == 0);
            total += 1;
        }
    }
    eprintln!("standardized values equal to TFLite's: {same} of {total}, at most {most} ulp apart");
    assert!(most <= 1, "{most} ulps");
    assert!(same * 2 > total, "{same} of {total}");
    // The probabilities: the ulp of the inputs and TFLite's summation order and exp.
    eprintln!("normalized.f32: largest output difference from TFLite {worst:e}");
    assert!(worst < 1e-5, "largest difference {worst}");
    let Imported::Float { inputs, layers, .. } = imported else {
        unreachable!()
    };
    assert_eq!((inputs, layers.len()), (6, 2));
}

#[test]
fn normalization_folds_the_same_with_optimizations_and_float16_constants() {
    let (plain, _) = standardized_fixture("normalized.f32");
    // Optimize.DEFAULT without a representative dataset leaves these small tensors float32.
    let (optimized, worst) = standardized_fixture("normalized.f32_optimized");
    assert_eq!(optimized, plain);
    assert!(worst < 1e-5, "largest difference {worst}");
    // Float16 constants, widened by DEQUANTIZE: the means and factors rounded to float16.
    let (half, worst) = standardized_fixture("normalized.f16");
    for (m, p) in half.mean.iter().zip(&plain.mean) {
        assert_eq!(m.to_bits(), f32::from(half::f16::from_f32(*p)).to_bits());
    }
    assert!(worst < 1e-5, "largest difference {worst}");
}

fn refusal(name: &str) -> ImportError {
    let bytes = std::fs::read(fixtures().join(format!("{name}.tflite"))).unwrap();
    import(&bytes).expect_err(name)
}

fn assert_not_standardization(name: &str, operator: &str, index: usize, why: &str) {
    let err = refusal(name);
    let message = err.to_string();
    match &err {
        ImportError::NotStandardization {
            operator: o,
            index: i,
            why: w,
        } => assert!(
            o == operator && *i == index && w.contains(why),
            "{name}: {message}"
        ),
        other => panic!("{name}: {other}"),
    }
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with(&format!("{operator} at operator {index} of the graph")),
        "{message}"
    );
}

#[test]
fn quantized_standardization_in_an_int8_file_is_refused_by_name() {
    assert_not_standardization("normalized.int8", "SUB", 0, "quantized");
}

#[test]
fn mul_and_add_after_a_layer_are_refused_by_name_and_place() {
    // Keras' Rescaling after a relu layer: MUL then ADD after the FULLY_CONNECTED.
    assert_not_standardization("rescaled.f32", "MUL", 1, "after FULLY_CONNECTED layer 1");
}

#[test]
fn mul_of_two_activations_is_refused() {
    assert_not_standardization("squared.f32", "MUL", 0, "the input with itself");
}

#[test]
fn standardization_with_a_fused_activation_is_refused() {
    // A relu6 right after the Normalization, fused by the converter into the MUL.
    assert_not_standardization("normalized_relu6.f32", "MUL", 1, "fused Relu6");
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn keras_activations_import_and_match_tflite_within_float_rounding() {
    // Keras' activation on the first layer, and what Dendrite reads from the converter's
    // operators: one operator, a fused activation, or a small graph recognised whole.
    // hard_sigmoid: the converter folds its + 3 into the bias and its / 6 into the next
    // layer's weights, leaving a relu6 layer.
    let cases = [
        ("relu6", Activation::Relu6),
        ("leaky_relu", Activation::LeakyRelu),
        ("elu", Activation::Elu),
        ("selu", Activation::Selu),
        ("softplus", Activation::Softplus),
        ("softsign", Activation::Softsign),
        ("silu", Activation::Silu),
        ("gelu", Activation::Gelu),
        ("hard_sigmoid", Activation::Relu6),
        ("hard_silu", Activation::HardSilu),
        ("exponential", Activation::Exponential),
    ];
    for (keras, activation) in cases {
        let name = format!("act_{keras}.f32");
        let (imported, doc) = load(&name);
        let Imported::Float { layers, .. } = &imported else {
            panic!("{name}: expected a float model")
        };
        let read: Vec<Activation> = layers.iter().map(|l| l.activation).collect();
        assert_eq!(read, [activation, Activation::Linear], "{name}");
        // Through the model file, as `dendrite predict` runs it.
        let bytes = imported.to_model_bytes().unwrap();
        let host = HostModel::from_bytes(&bytes, Path::new(&name)).unwrap();
        let (mut worst, mut same, mut total) = (0.0f32, 0, 0);
        for (x, want) in rows(&doc, "inputs", float)
            .iter()
            .zip(rows(&doc, "outputs", float))
        {
            for (g, w) in host.predict(x).unwrap().iter().zip(&want) {
                worst = worst.max((g - w).abs() / w.abs().max(1.0));
                same += usize::from(g.to_bits() == w.to_bits());
                total += 1;
            }
        }
        eprintln!("{keras}: {same} of {total} outputs equal TFLite's, largest relative difference {worst:e}");
        // Comparisons and exact arithmetic: the same bits as TFLite's kernels.
        if ["relu6", "leaky_relu", "softsign", "hard_sigmoid"].contains(&keras) {
            assert_eq!(same, total, "{name}");
        }
        // TFLite's kernels use the C library's exp, log and erfc and sum in their own order;
        // its softplus graph computes log(exp(z) + 1), Dendrite TensorFlow's log1p form.
        assert!(worst < 1e-5, "{name}: largest relative difference {worst}");
    }
}

#[test]
fn softsign_graph_is_bit_exact() {
    // ABS, ADD 1, DIV: the very operations of dendrite-core's softsign.
    let (imported, doc) = load("act_softsign.f32");
    let Imported::Float { layers, .. } = imported else {
        panic!()
    };
    let mut hidden = vec![0.0; 10];
    let mut z = vec![0.0; 10];
    for x in rows(&doc, "inputs", float) {
        kernel::dense(
            &x,
            &layers[0].kernel,
            &layers[0].bias,
            Activation::Linear,
            &mut z,
        );
        kernel::dense(
            &x,
            &layers[0].kernel,
            &layers[0].bias,
            layers[0].activation,
            &mut hidden,
        );
        for (h, z) in hidden.iter().zip(&z) {
            assert_eq!(h.to_bits(), (z / (1.0 + z.abs())).to_bits());
        }
    }
}

#[test]
fn activations_dendrite_lacks_are_refused_by_name_and_parameter() {
    for (name, needle) in [
        ("leaky_relu_0.3.f32", "LEAKY_RELU at operator 1 with alpha 0.3"),
        ("gelu_approximate.f32", "GELU at operator 1 with approximate=true"),
        // hard_sigmoid's / 6 on the last layer: a MUL after the layer.
        (
            "hard_sigmoid_last.f32",
            "MUL at operator 1 of the graph is not a standardization of the float input (after FULLY_CONNECTED layer 1)",
        ),
    ] {
        let err = refusal(name);
        let message = err.to_string();
        assert!(message.contains(needle), "{name}: {message}");
        assert!(!message.contains('\n'));
    }
}

/// The fixture's bytes with every occurrence of `from` (a float32 constant) replaced by `to`;
/// returns them and the number replaced.
fn with_constant(name: &str, from: f32, to: f32) -> (Vec<u8>, usize) {
    let mut bytes = std::fs::read(fixtures().join(format!("{name}.tflite"))).unwrap();
    let (from, to) = (from.to_le_bytes(), to.to_le_bytes());
    let mut replaced = 0;
    for at in 0..bytes.len() - 3 {
        if bytes[at..at + 4] == from {
            bytes[at..at + 4].copy_from_slice(&to);
            replaced += 1;
        }
    }
    (bytes, replaced)
}

#[test]
fn operator_graphs_that_are_not_exactly_an_activation_are_refused_by_name() {
    // selu's λ changed: no longer Keras' selu, so its first operator is refused by name.
    let (bytes, n) = with_constant("act_selu.f32", dendrite_core::SELU_SCALE, 1.05);
    assert_eq!(n, 1);
    assert_eq!(
        import(&bytes).unwrap_err(),
        ImportError::UnsupportedOperator("GREATER".into())
    );
    // softplus' `+ 1` changed to `+ 2`: EXP alone is the exponential activation, and the ADD
    // after the layer is refused by name and place.
    let (bytes, n) = with_constant("act_softplus.f32", 1.0, 2.0);
    assert_eq!(n, 1);
    let err = import(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("ADD at operator 2 of the graph is not a standardization"),
        "{err}"
    );
    // The same files unchanged are the activations.
    for name in ["act_selu.f32", "act_softplus.f32"] {
        assert!(matches!(load(name).0, Imported::Float { .. }));
    }
}

#[test]
fn normalization_along_the_last_axis_of_a_2d_input_broadcasts_over_its_rows() {
    // Input 2 x 4, Normalization(axis=-1), Flatten: constants of shape [1, 1, 4].
    let (s, worst) = standardized_fixture("normalized_2d.f32");
    assert_eq!(s.mean.len(), 8);
    assert_eq!(bits(&s.mean[..4]), bits(&s.mean[4..]));
    assert_eq!(bits(&s.std[..4]), bits(&s.std[4..]));
    assert!(s.mean[..4].windows(2).any(|w| w[0] != w[1]));
    eprintln!("normalized_2d.f32: largest output difference from TFLite {worst:e}");
    assert!(worst < 1e-5, "largest difference {worst}");
}
