//! Flatbuffers written here, operator by operator, for the forms TensorFlow's converter does not
//! emit from a Keras model (the fixtures in `trainer/tests/fixtures/tflite/` cover those it does).

use super::{import, ImportError, Imported, Standardization};
use crate::tflite::schema::{
    ActivationFunctionType, Buffer, BuiltinOperator, BuiltinOptions, FullyConnectedOptions,
    LeakyReluOptions, Model, Operator, OperatorCode, SubGraph, Tensor, TensorType,
};
use dendrite_core::Activation;

/// A float32 tensor: its shape and, for a constant, its values.
struct T(Vec<i32>, Option<Vec<f32>>);

/// One operator: code, inputs, outputs, options.
struct Op(BuiltinOperator, Vec<i32>, Vec<i32>, Option<BuiltinOptions>);

/// A one-subgraph float32 model, its input tensor 0 and output the last tensor (without the
/// `TFL3` file identifier, which the import does not read).
fn model(tensors: &[T], ops: Vec<Op>) -> Vec<u8> {
    let mut buffers = vec![Buffer::default()];
    let tensors = tensors
        .iter()
        .map(|T(shape, data)| {
            let buffer = data.as_ref().map_or(0, |values| {
                buffers.push(Buffer {
                    data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
                    ..Buffer::default()
                });
                buffers.len() - 1
            });
            Tensor {
                shape: Some(shape.clone()),
                type_: TensorType::Float32,
                buffer: buffer as u32,
                ..Tensor::default()
            }
        })
        .collect::<Vec<_>>();
    let last = tensors.len() as i32 - 1;
    let mut codes: Vec<BuiltinOperator> = Vec::new();
    let operators = ops
        .into_iter()
        .map(|Op(code, inputs, outputs, options)| {
            let index = codes.iter().position(|&c| c == code).unwrap_or_else(|| {
                codes.push(code);
                codes.len() - 1
            });
            Operator {
                opcode_index: index as u32,
                inputs: Some(inputs),
                outputs: Some(outputs),
                builtin_options: options,
            }
        })
        .collect();
    let model = Model {
        version: 3,
        operator_codes: Some(
            codes
                .into_iter()
                .map(|c| OperatorCode {
                    deprecated_builtin_code: (c as i32).min(127) as i8,
                    builtin_code: c,
                    version: 1,
                    ..OperatorCode::default()
                })
                .collect(),
        ),
        subgraphs: Some(vec![SubGraph {
            tensors: Some(tensors),
            inputs: Some(vec![0]),
            outputs: Some(vec![last]),
            operators: Some(operators),
            name: None,
        }]),
        description: None,
        buffers: Some(buffers),
    };
    planus::Builder::new().finish(&model, None).to_vec()
}

/// FULLY_CONNECTED 2 → 2 on tensor `x`, writing tensor `y`; weights in tensors 1 and 2.
fn dense(x: i32, y: i32, fused: ActivationFunctionType) -> Op {
    Op(
        BuiltinOperator::FullyConnected,
        vec![x, 1, 2],
        vec![y],
        Some(BuiltinOptions::FullyConnectedOptions(Box::new(
            FullyConnectedOptions {
                fused_activation_function: fused,
                ..FullyConnectedOptions::default()
            },
        ))),
    )
}

/// Tensors 0 (input), 1 and 2 (weights, bias), then `rest`.
fn tensors(rest: Vec<T>) -> Vec<T> {
    let mut t = vec![
        T(vec![1, 2], None),
        T(vec![2, 2], Some(vec![1.0, 2.0, 3.0, 4.0])),
        T(vec![2], Some(vec![0.5, -0.5])),
    ];
    t.extend(rest);
    t
}

fn activation(
    code: BuiltinOperator,
    options: Option<BuiltinOptions>,
) -> Result<Activation, ImportError> {
    let bytes = model(
        &tensors(vec![T(vec![1, 2], None), T(vec![1, 2], None)]),
        vec![
            dense(0, 3, ActivationFunctionType::None),
            Op(code, vec![3], vec![4], options),
        ],
    );
    match import(&bytes)? {
        Imported::Float { layers, .. } => Ok(layers[0].activation),
        other => panic!("{other:?}"),
    }
}

#[test]
fn relu6_operator_after_a_layer_is_its_activation() {
    assert_eq!(
        activation(BuiltinOperator::Relu6, None),
        Ok(Activation::Relu6)
    );
}

#[test]
fn leaky_relu_takes_only_kerass_slope() {
    let alpha = |alpha| {
        Some(BuiltinOptions::LeakyReluOptions(Box::new(
            LeakyReluOptions { alpha },
        )))
    };
    assert_eq!(
        activation(BuiltinOperator::LeakyRelu, alpha(0.2)),
        Ok(Activation::LeakyRelu)
    );
    let err = activation(BuiltinOperator::LeakyRelu, alpha(0.01)).unwrap_err();
    assert!(
        err.to_string()
            .contains("LEAKY_RELU at operator 1 with alpha 0.01"),
        "{err}"
    );
}

#[test]
fn an_activation_dendrite_lacks_is_refused_by_name() {
    assert_eq!(
        activation(BuiltinOperator::Relu0To1, None),
        Err(ImportError::UnsupportedOperator("RELU_0_TO_1".into()))
    );
}

/// The model `input → first(c1) → second(c2) → FULLY_CONNECTED`, with constants of `shape`.
fn standardized(
    first: BuiltinOperator,
    c1: Vec<f32>,
    second: BuiltinOperator,
    c2: Vec<f32>,
    shape: Vec<i32>,
) -> Result<Option<Standardization>, ImportError> {
    let bytes = model(
        &tensors(vec![
            T(shape.clone(), Some(c1)),
            T(vec![1, 2], None),
            T(shape, Some(c2)),
            T(vec![1, 2], None),
            T(vec![1, 2], None),
        ]),
        vec![
            Op(first, vec![0, 3], vec![4], None),
            Op(second, vec![4, 5], vec![6], None),
            dense(6, 7, ActivationFunctionType::None),
        ],
    );
    match import(&bytes)? {
        Imported::Float {
            standardization, ..
        } => Ok(standardization),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sub_then_div_by_per_feature_constants_is_the_standardization() {
    use BuiltinOperator::{Div, Sub};
    let s = standardized(Sub, vec![1.0, -2.0], Div, vec![4.0, 0.5], vec![2]).unwrap();
    assert_eq!(
        s,
        Some(Standardization {
            mean: vec![1.0, -2.0],
            std: vec![4.0, 0.5],
        })
    );
}

#[test]
fn add_then_mul_by_scalars_is_the_standardization_broadcast() {
    use BuiltinOperator::{Add, Mul};
    // x + 3 is x - (-3) bit for bit; x * 4 is x / 0.25, both exact.
    let s = standardized(Add, vec![3.0], Mul, vec![4.0], vec![]).unwrap();
    assert_eq!(
        s,
        Some(Standardization {
            mean: vec![-3.0, -3.0],
            std: vec![0.25, 0.25],
        })
    );
}

#[test]
fn scaling_before_the_shift_or_twice_is_refused() {
    use BuiltinOperator::{Div, Mul, Sub};
    let why = |r: Result<_, ImportError>| match r {
        Err(ImportError::NotStandardization {
            operator,
            index,
            why,
        }) => (operator, index, why),
        other => panic!("{other:?}"),
    };
    let (operator, index, reason) = why(standardized(Mul, vec![2.0], Sub, vec![1.0], vec![1]));
    assert_eq!((operator.as_str(), index), ("SUB", 1));
    assert!(reason.contains("after a MUL or DIV"), "{reason}");
    let (operator, _, reason) = why(standardized(Div, vec![2.0], Mul, vec![3.0], vec![1]));
    assert_eq!(operator, "MUL");
    assert!(reason.contains("after a MUL or DIV"), "{reason}");
}

#[test]
fn zero_negative_and_misshapen_constants_are_refused() {
    use BuiltinOperator::{Div, Mul, Sub};
    for (second, c2) in [
        (Mul, vec![0.0, 1.0]),
        (Div, vec![-1.0, 1.0]),
        (Mul, vec![1e-45, 1.0]),
    ] {
        let err = standardized(Sub, vec![0.0, 0.0], second, c2, vec![2]).unwrap_err();
        assert!(
            err.to_string().contains("zero, negative or not finite"),
            "{err}"
        );
    }
    // Three values for two inputs.
    let bytes = model(
        &tensors(vec![
            T(vec![3], Some(vec![1.0, 2.0, 3.0])),
            T(vec![1, 2], None),
            T(vec![1, 2], None),
        ]),
        vec![
            Op(BuiltinOperator::Sub, vec![0, 3], vec![4], None),
            dense(4, 5, ActivationFunctionType::None),
        ],
    );
    let err = import(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .contains("a constant of shape [3] that does not broadcast to the input's [1, 2]"),
        "{err}"
    );
}

#[test]
fn constant_minus_input_is_refused() {
    let bytes = model(
        &tensors(vec![
            T(vec![2], Some(vec![1.0, 2.0])),
            T(vec![1, 2], None),
            T(vec![1, 2], None),
        ]),
        vec![
            Op(BuiltinOperator::Sub, vec![3, 0], vec![4], None),
            dense(4, 5, ActivationFunctionType::None),
        ],
    );
    let err = import(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .contains("a constant on the left of the input"),
        "{err}"
    );
}

#[test]
fn constants_broadcast_as_tflite_broadcasts() {
    use super::standardize::broadcast;
    let v = [1.0, 2.0];
    // Along the last axis of a [1, 2, 2] input, along the middle one, a scalar of any rank.
    assert_eq!(
        broadcast(&v, &[1, 1, 2], &[1, 2, 2]),
        Some(vec![1.0, 2.0, 1.0, 2.0])
    );
    assert_eq!(
        broadcast(&v, &[2, 1], &[1, 2, 2]),
        Some(vec![1.0, 1.0, 2.0, 2.0])
    );
    assert_eq!(
        broadcast(&[3.0], &[1, 1, 1, 1], &[1, 2]),
        Some(vec![3.0, 3.0])
    );
    assert_eq!(broadcast(&[3.0], &[], &[1, 2]), Some(vec![3.0, 3.0]));
    // Not broadcastable: another extent, a leading dimension that is not 1, data short of the
    // shape.
    assert_eq!(broadcast(&v, &[2], &[1, 3]), None);
    assert_eq!(broadcast(&v, &[2, 1, 2], &[1, 2]), None);
    assert_eq!(broadcast(&v, &[3], &[1, 3]), None);
}
