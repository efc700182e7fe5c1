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
        ("[[layers]]\nunits = 3\nactivation = \"gelu\"\n", "layers[0].activation: unknown activation `gelu`"),
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
