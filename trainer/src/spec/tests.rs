use super::*;

fn parse(text: &str) -> Result<ModelSpec, SpecError> {
    ModelSpec::from_toml(text, "test.toml")
}

fn error(text: &str) -> String {
    let spec = parse(text);
    let err = match spec {
        Err(e) => e,
        Ok(s) => match s
            .build(4, 3)
            .and_then(|mut m| s.compile(&mut m).map(|()| m))
        {
            Err(e) => e,
            Ok(_) => s.callbacks.check().unwrap_err(),
        },
    };
    err.to_string()
}

const LAYERS: &str =
    "[[layers]]\nunits = 8\nactivation = \"relu\"\n[[layers]]\nactivation = \"softmax\"\n";

#[test]
fn the_shipped_specs_parse_and_build() {
    for (text, inputs, classes) in [
        (include_str!("../../../examples/seed.toml"), 3, 2),
        (include_str!("../../../examples/iris.toml"), 4, 3),
    ] {
        let spec = parse(text).unwrap();
        let mut model = spec.build(inputs, classes).unwrap();
        spec.compile(&mut model).unwrap();
        spec.callbacks.check().unwrap();
    }
}

#[test]
fn output_units_default_to_the_classes() {
    let spec = parse(LAYERS).unwrap();
    assert_eq!(spec.build(4, 5).unwrap().output_dim(), 5);
    let binary = format!(
        "{}\n[compile]\nloss = \"binary_crossentropy\"\n",
        LAYERS.replace("softmax", "sigmoid")
    );
    let spec = parse(&binary).unwrap();
    let mut model = spec.build(4, 2).unwrap();
    assert_eq!(model.output_dim(), 1);
    spec.compile(&mut model).unwrap();
    assert_eq!(model.loss(), Some(Loss::BinaryCrossentropy));
}

#[test]
fn unknown_keys_are_named() {
    let err = error(&format!("{LAYERS}[fit]\nepoch = 3\n"));
    assert!(err.contains("unknown field `epoch`"), "{err}");
    let err = error("[[layers]]\nunits = 3\nactivaton = \"relu\"\n");
    assert!(err.contains("unknown field `activaton`"), "{err}");
    let err = error(&format!("{LAYERS}[callbacks.early_stoping]\n"));
    assert!(err.contains("early_stoping"), "{err}");
    let err = error(&format!(
        "{LAYERS}[compile]\noptimizer = {{ name = \"adam\", lr = 0.1 }}\n"
    ));
    assert!(err.contains("unknown field `lr`"), "{err}");
}

#[test]
fn bad_values_are_named_by_key() {
    let cases = [
        ("[[layers]]\nunits = 3\nactivation = \"mish\"\n", "layers[0].activation: unknown activation `mish`"),
        ("[[layers]]\nunits = 3\nkernel_initializer = \"orthogonal\"\n[compile]\nloss = \"mse\"", "layers[0].kernel_initializer"),
        ("[[layers]]\nactivation = \"relu\"\n[[layers]]\nunits = 3\n[compile]\nloss = \"mse\"", "layers[0].units: a hidden Dense layer needs `units`"),
        ("[[layers]]\nunits = 2\nactivation = \"softmax\"\n", "layers[0].units: 2 outputs cannot tell 3 classes apart"),
        ("[[layers]]\nunits = 3\ninput_dim = 7\nactivation = \"softmax\"\n", "layers[0].input_dim: 7, but the data has 4 features"),
        (&format!("{LAYERS}[compile]\noptimizer = \"adagrad\"\n"), "compile.optimizer.name: unknown optimizer"),
        (&format!("{LAYERS}[compile]\noptimizer = {{ name = \"adam\", rho = 0.9 }}\n"), "compile.optimizer.rho: `adam` takes no `rho`"),
        (&format!("{LAYERS}[compile]\noptimizer = {{ name = \"sgd\", learning_rate = -1.0 }}\n"), "compile.optimizer.learning_rate: -1"),
        (&format!("{LAYERS}[compile]\nloss = \"hinge\"\n"), "compile.loss: unknown loss `hinge`"),
        (&format!("{LAYERS}[compile]\nloss = \"binary_crossentropy\"\n"), "compile.loss"),
        (&format!("{LAYERS}[callbacks.early_stopping]\nmonitor = \"val_los\"\n"), "callbacks.early_stopping.monitor: `val_los` is not logged"),
        (&format!("{LAYERS}[callbacks.learning_rate_schedule]\nschedule = \"step\"\nfactor = 2.0\nevery = 3\n"), "callbacks.learning_rate_schedule.factor"),
    ];
    for (text, expected) in cases {
        let err = error(text);
        assert!(err.contains(expected), "{text}\n=> {err}");
    }
}

#[test]
fn wrong_types_are_named_by_key() {
    let err = error(&format!("{LAYERS}[fit]\nepochs = \"ten\"\n"));
    assert!(err.contains("epochs") && err.contains("test.toml"), "{err}");
    let err = error(&format!(
        "{LAYERS}[callbacks.learning_rate_schedule]\nschedule = \"cosine\"\n"
    ));
    assert!(err.contains("cosine"), "{err}");
}

#[test]
fn dropout_regularizers_and_class_weight_parse() {
    let spec = parse(
        r#"
        [[layers]]
        units = 8
        activation = "relu"
        kernel_regularizer = "l2"
        bias_regularizer = { l1 = 0.001, l2 = 0.002 }
        [[layers]]
        type = "dropout"
        rate = 0.2
        [[layers]]
        activation = "softmax"
        kernel_regularizer = { l1 = 0.05 }
        [fit]
        class_weight = { setosa = 2.0, 2 = 0.5 }
        "#,
    )
    .unwrap();
    let model = spec.build(4, 3).unwrap();
    assert_eq!(model.layers()[1].type_name(), "Dropout");
    assert_eq!(model.count_params(), 5 * 8 + 9 * 3);
    let classes = ["setosa", "versicolor", "virginica"].map(String::from);
    let weights = spec.fit.class_weight.as_ref().unwrap().resolve(&classes);
    assert_eq!(weights, Ok(ClassWeight::PerClass(vec![2.0, 1.0, 0.5])));
    let balanced = parse("[fit]\nclass_weight = \"balanced\"\n").unwrap();
    let resolved = balanced.fit.class_weight.unwrap().resolve(&classes);
    assert_eq!(resolved, Ok(ClassWeight::Balanced));
}

#[test]
fn training_feature_errors_name_their_key() {
    for (text, key) in [
        ("[[layers]]\ntype = \"dropout\"\n", "layers[0].rate"),
        ("[[layers]]\nunits = 4\n[[layers]]\ntype = \"dropout\"\nrate = 1.5\n[[layers]]\nactivation = \"softmax\"\n", "layers[1].rate"),
        ("[[layers]]\nunits = 4\n[[layers]]\ntype = \"dropout\"\nrate = 0.5\nunits = 3\n[[layers]]\nactivation = \"softmax\"\n", "layers[1].units"),
        ("[[layers]]\nunits = 4\nrate = 0.5\n[[layers]]\nactivation = \"softmax\"\n", "layers[0].rate"),
        ("[[layers]]\nunits = 4\nkernel_regularizer = \"l3\"\n", "layers[0].kernel_regularizer"),
        ("[[layers]]\nunits = 4\nbias_regularizer = { l2 = -1.0 }\n", "layers[0].bias_regularizer"),
        ("[[layers]]\nunits = 4\nkernel_regularizer = {}\n", "layers[0].kernel_regularizer"),
        ("[[layers]]\ntype = \"activation\"\nactivation = \"relu\"\nkernel_regularizer = \"l2\"\n", "layers[0].kernel_regularizer"),
        (&format!("{LAYERS}[fit]\nclass_weight = \"even\"\n"), "fit.class_weight"),
    ] {
        let message = error(text);
        assert!(message.contains(key), "{key}: {message}");
    }
    let spec = parse(&format!(
        "{LAYERS}[fit]\nclass_weight = {{ daisy = 2.0 }}\n"
    ))
    .unwrap();
    let classes = ["setosa", "versicolor"].map(String::from);
    let err = spec
        .fit
        .class_weight
        .unwrap()
        .resolve(&classes)
        .unwrap_err();
    assert!(err.contains("daisy"), "{err}");
}
