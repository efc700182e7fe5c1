//! Bad inputs and failing runs at the command line: each is a one-line error that says what and
//! where, a non-zero exit, no panic, and nothing of the user's lost.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use tempfile::TempDir;

/// Runs the CLI with no input; one still running after five minutes is stuck, and fails the
/// test with its command line instead of stalling the suite.
fn dendrite(args: &[&str]) -> Output {
    use std::io::Read;
    use wait_timeout::ChildExt;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dendrite binary runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = child.wait_timeout(Duration::from_secs(300)).unwrap();
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("dendrite {args:?} still running after five minutes");
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A scratch directory of this test's own, removed when dropped (even when the test fails).
fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dendrite-bad-{name}-"))
        .tempdir()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The failure's message: a non-zero exit, one line on stderr, no panic.
fn failure(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "succeeded: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    err
}

/// The seed model, trained briefly into `out`.
fn trained(out: &Path) -> Vec<u8> {
    let o = dendrite(&[
        "train",
        "--epochs",
        "1",
        "--verbose",
        "0",
        "--out",
        path(out),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read(out).unwrap()
}

#[test]
fn diverging_training_stops_and_leaves_the_previous_model_untouched() {
    let dir = scratch("diverge");
    let model = dir.path().join("m.postcard");
    let before = trained(&model);
    let o = dendrite(&[
        "train",
        "--epochs",
        "5",
        "--learning-rate",
        "1e30",
        "--verbose",
        "0",
        "--out",
        path(&model),
    ]);
    let err = failure(&o);
    assert!(err.contains("training diverged: the loss became"), "{err}");
    assert!(err.contains("lower the learning rate"), "{err}");
    assert!(err.contains("was not written"), "{err}");
    assert_eq!(std::fs::read(&model).unwrap(), before, "the previous file");
}

#[test]
fn truncated_or_corrupted_model_files_are_refused_with_the_reason() {
    let dir = scratch("damaged");
    let good = trained(&dir.path().join("good.postcard"));
    let truncated = dir.path().join("truncated.postcard");
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    let corrupted = dir.path().join("corrupted.postcard");
    let mut bytes = good.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&corrupted, bytes).unwrap();
    let csv = dir.path().join("data.csv");
    std::fs::write(&csv, "a,b,c,label\n1,2,3,0\n4,5,6,1\n").unwrap();
    for (file, reason) in [(&truncated, "truncated"), (&corrupted, "CRC")] {
        let m = path(file);
        let runs = [
            vec!["info", m],
            vec!["predict", "--model", m, "0", "0", "0"],
            vec![
                "evaluate",
                "--model",
                m,
                "--data",
                path(&csv),
                "--label",
                "label",
            ],
        ];
        for args in runs {
            let err = failure(&dendrite(&args));
            assert!(err.contains(m), "{args:?}: {err}");
            assert!(
                err.to_lowercase().contains(&reason.to_lowercase()),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn evaluate_refuses_more_classes_than_the_model_has_outputs() {
    let dir = scratch("classes");
    let model = dir.path().join("m.postcard");
    trained(&model);
    let csv = dir.path().join("three.csv");
    std::fs::write(&csv, "a,b,c,kind\n1,2,3,x\n4,5,6,y\n7,8,9,z\n").unwrap();
    let args = [
        "evaluate",
        "--model",
        path(&model),
        "--data",
        path(&csv),
        "--label",
        "kind",
    ];
    let err = failure(&dendrite(&args));
    assert!(err.contains("three.csv"), "{err}");
    assert!(err.contains("kind"), "{err}");
}

/// Every kind of bad training input the issue of robustness lists, through `dendrite train`:
/// one line that names the file (and the line, for a bad row), a non-zero exit, no panic.
#[test]
fn each_bad_training_input_is_one_line_naming_the_file_and_line() {
    let dir = scratch("train-inputs");
    let out = dir.path().join("never.postcard");
    let header = "a,b,label\n";
    let csv_cases = [
        ("ragged.csv", "a,b,label\n1,2,0\n3,0\n", Some(":3:")),
        ("no-header.csv", "1,2,0\n3,4,1\n", Some(":1:")),
        ("text.csv", "a,b,label\n1,2,0\n3,abc,1\n", Some(":3:")),
        ("nan.csv", "a,b,label\n1,NaN,0\n3,4,1\n", Some(":2:")),
        ("inf.csv", "a,b,label\n1,2,0\n-inf,4,1\n", Some(":3:")),
        ("empty.csv", "", None),
        ("one-class.csv", "a,b,label\n1,2,0\n3,4,0\n", None),
        ("dup.csv", "a,a,label\n1,2,0\n3,4,1\n", Some(":1:")),
    ];
    for (name, text, line) in csv_cases {
        let csv = dir.path().join(name);
        std::fs::write(&csv, text).unwrap();
        let args = [
            "train",
            "--data",
            path(&csv),
            "--label",
            "label",
            "--out",
            path(&out),
        ];
        let err = failure(&dendrite(&args));
        assert!(err.contains(name), "{name}: {err}");
        if let Some(line) = line {
            assert!(err.contains(&format!("{name}{line}")), "{name}: {err}");
        }
    }
    let csv = dir.path().join("ok.csv");
    std::fs::write(&csv, format!("{header}1,2,0\n3,4,1\n")).unwrap();
    let unknown = [
        "train",
        "--data",
        path(&csv),
        "--label",
        "kind",
        "--out",
        path(&out),
    ];
    assert!(failure(&dendrite(&unknown)).contains("no column `kind`"));
    for (name, spec) in [
        ("bad-key.toml", "[fit]\nepochz = 3\n"),
        ("bad-value.toml", "[fit]\nepochs = \"many\"\n"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, spec).unwrap();
        let err = failure(&dendrite(&[
            "train",
            "--spec",
            path(&file),
            "--out",
            path(&out),
        ]));
        assert!(err.contains(&format!("{name}:2:")), "{name}: {err}");
    }
    assert!(!out.exists(), "no model written from bad input");
}

/// A small labelled CSV file `a,b,label` with two classes.
fn small_csv(dir: &Path, name: &str) -> PathBuf {
    let csv = dir.join(name);
    let mut text = String::from("a,b,label\n");
    for i in 0..20 {
        text.push_str(&format!("{i},{},{}\n", 20 - i, i % 2 + 1));
    }
    std::fs::write(&csv, text).unwrap();
    csv
}

/// Class 1: every number a user gives is range-checked where it is parsed, every size derived
/// from input has a stated limit checked before work starts, and very long names do not
/// overflow a formatting width.
#[test]
fn class1_out_of_range_numbers_and_sizes_are_refused_before_work() {
    let tmp = scratch("class1");
    let dir = tmp.path();
    let csv = small_csv(dir, "d.csv");
    let out = dir.join("never.postcard");
    let base = [
        "train",
        "--data",
        path(&csv),
        "--label",
        "label",
        "--out",
        path(&out),
    ];
    let flags: &[(&[&str], &str)] = &[
        (&["--validation-split", "-0.5"], "[0, 1)"),
        (&["--validation-split", "NaN"], "[0, 1)"),
        (&["--validation-split", "1.5"], "[0, 1)"),
        (&["--test-split", "1"], "[0, 1)"),
        (&["--epochs", "0"], "1 to"),
        (&["--epochs", "-3"], "whole number"),
        (&["--batch-size", "0"], "at least 1"),
        (&["--learning-rate", "-1"], "positive"),
        (&["--learning-rate", "inf"], "positive"),
        (&["--layers", "0"], "1 to 65535"),
        (&["--layers", "70000"], "1 to 65535"),
        (&["--seed", "-1"], "'-1'"),
    ];
    for (flag, expected) in flags {
        let args: Vec<&str> = base.iter().chain(flag.iter()).copied().collect();
        let o = dendrite(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flag:?}: {err}");
        assert!(!err.contains("panicked"), "{flag:?}: {err}");
        assert!(err.contains(expected), "{flag:?}: {err}");
    }
    // Spec files: the same ranges, named by key and file.
    for (name, text, expected) in [
        ("e0.toml", "[fit]\nepochs = 0\n", "fit.epochs"),
        (
            "vs.toml",
            "[fit]\nvalidation_split = -0.1\n",
            "fit.validation_split",
        ),
        ("bs.toml", "[fit]\nbatch_size = 0\n", "fit.batch_size"),
        ("w.toml", "[[layers]]\nunits = 100000\n", "layers[0].units"),
        (
            "n.toml",
            "[data]\ngenerator = \"seed\"\nsamples = 100000000000\n",
            "data.samples",
        ),
    ] {
        let spec = dir.join(name);
        std::fs::write(&spec, text).unwrap();
        let err = failure(&dendrite(&[
            "train",
            "--spec",
            path(&spec),
            "--out",
            path(&out),
        ]));
        assert!(
            err.contains(name) && err.contains(expected),
            "{name}: {err}"
        );
    }
    // Sizes: parameters (before any allocation), classes, name lengths.
    let err = failure(&dendrite(
        &[&base[..], &["--layers", "60000,60000"]].concat(),
    ));
    assert!(err.contains("at most 16777216"), "{err}");
    let many = dir.join("many.csv");
    let mut text = String::from("a,label\n");
    for i in 0..100_000 {
        text.push_str(&format!("{i},c{i}\n"));
    }
    std::fs::write(&many, text).unwrap();
    let args = [
        "train",
        "--data",
        path(&many),
        "--label",
        "label",
        "--out",
        path(&out),
    ];
    let err = failure(&dendrite(&args));
    assert!(
        err.contains("many.csv:4098:") && err.contains("4096"),
        "{err}"
    );
    // Feature columns beyond a model's widest input; one-hot targets beyond a GiB.
    let wide = dir.join("wide.csv");
    let header: Vec<String> = (0..70_000).map(|i| format!("c{i}")).collect();
    let row = vec!["1"; 70_000].join(",");
    std::fs::write(
        &wide,
        format!("{},label\n{row},0\n{row},1\n", header.join(",")),
    )
    .unwrap();
    let args = [
        "train",
        "--data",
        path(&wide),
        "--label",
        "label",
        "--out",
        path(&out),
    ];
    let err = failure(&dendrite(&args));
    assert!(
        err.contains("wide.csv:1: 70000 feature columns") && err.contains("65535"),
        "{err}"
    );
    let tall = dir.join("tall.csv");
    let mut text = String::from("a,label\n");
    for i in 0..70_000 {
        text.push_str(&format!("{i},{}\n", i % 4096));
    }
    std::fs::write(&tall, text).unwrap();
    let args = [
        "train",
        "--data",
        path(&tall),
        "--label",
        "label",
        "--out",
        path(&out),
    ];
    let err = failure(&dendrite(&args));
    assert!(
        err.contains("70000 rows × 4096 classes") && err.contains("268435456"),
        "{err}"
    );
    let long = "n".repeat(70_000);
    for (name, text) in [
        ("long-column.csv", format!("a,{long}\n1,0\n2,1\n")),
        ("long-class.csv", format!("a,label\n1,{long}\n2,x\n")),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        let args = [
            "train",
            "--data",
            path(&file),
            "--label",
            "label",
            "--out",
            path(&out),
        ];
        let err = failure(&dendrite(&args));
        assert!(err.contains("at most 256 bytes"), "{name}: {err}");
    }
    let spec = dir.join("long-layer.toml");
    std::fs::write(&spec, format!("[[layers]]\nname = \"{long}\"\nunits = 2\n")).unwrap();
    let err = failure(&dendrite(&[
        "train",
        "--spec",
        path(&spec),
        "--out",
        path(&out),
    ]));
    assert!(
        err.contains("layers[0].name") && err.contains("256"),
        "{err}"
    );
    assert!(!out.exists(), "no model written from bad input");
}

/// Class 2: readers of untrusted bytes are bounded.
#[test]
fn class2_model_and_input_reads_are_bounded() {
    let tmp = scratch("class2");
    let dir = tmp.path();
    let started = std::time::Instant::now();
    let err = failure(&dendrite(&["info", "/dev/zero"]));
    assert!(
        err.contains("/dev/zero") && err.contains("not a regular file"),
        "{err}"
    );
    let huge = dir.join("huge.postcard");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(65 << 20).unwrap(); // sparse: no disk used
    let err = failure(&dendrite(&["predict", "--model", path(&huge), "1"]));
    assert!(err.contains("limit of 64 MiB"), "{err}");
    let spec = dir.join("zero.toml");
    std::os::unix::fs::symlink("/dev/zero", &spec).unwrap();
    let err = failure(&dendrite(&["train", "--spec", path(&spec)]));
    assert!(err.contains("not a regular file"), "{err}");
    for args in [
        &["train", "--data", "/dev/zero", "--label", "x"][..],
        &["train", "--spec", path(&spec)],
    ] {
        let err = failure(&dendrite(args));
        assert!(
            err.contains("/dev/zero") || err.contains("zero.toml"),
            "{err}"
        );
    }
    let csv = dir.join("one-line.csv");
    std::fs::write(&csv, vec![b'7'; 9 << 20]).unwrap();
    let err = failure(&dendrite(&["train", "--data", path(&csv), "--label", "x"]));
    assert!(
        err.contains("one-line.csv: a line longer than 8 MiB"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 20, "refused quickly");
    // `run`: a line longer than any valid input ends the session with an error.
    let model = dir.join("m.postcard");
    trained(&model);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(["run", "--model", path(&model)])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(b"0 0 0\n");
        let _ = stdin.write_all(&vec![b'1'; 1 << 20]);
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("longer than"), "{err}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("class"),
        "first line answered"
    );
}

/// Class 3: no silent garbage.
#[test]
fn class3_nonfinite_inputs_columns_by_name_and_classes_by_value() {
    let tmp = scratch("class3");
    let dir = tmp.path();
    let csv = small_csv(dir, "d.csv");
    let model = dir.join("m.postcard");
    let train = |extra: &[&str]| {
        let args = [
            &[
                "train",
                "--data",
                path(&csv),
                "--label",
                "label",
                "--verbose",
                "0",
            ][..],
            &["--epochs", "30", "--out", path(&model)],
            extra,
        ]
        .concat();
        let o = dendrite(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    train(&[]);
    let info = String::from_utf8_lossy(&dendrite(&["info", path(&model)]).stdout).into_owned();
    assert!(
        info.contains("classes:       1, 2"),
        "labels {{1, 2}} are two classes: {info}"
    );
    assert!(info.contains("features:      a, b"), "{info}");
    for value in ["NaN", "inf", "-inf"] {
        let err = failure(&dendrite(&[
            "predict",
            "--model",
            path(&model),
            "--",
            "1",
            value,
        ]));
        assert!(
            err.contains("input value 2") && err.contains("finite"),
            "{err}"
        );
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(["run", "--model", path(&model)])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"1 2\nnan 2\n3 inf\n")
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2: input value 1 is NaN"), "{err}");
    assert!(err.contains("line 3: input value 2 is inf"), "{err}");
    assert!(err.contains("2 of 3 input lines failed"), "{err}");
    // The same rows with the columns reordered and an extra column: the same results.
    let reordered = dir.join("reordered.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut shuffled = String::from("extra,label,b,a\n");
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        shuffled.push_str(&format!("9,{},{},{}\n", f[2], f[1], f[0]));
    }
    std::fs::write(&reordered, shuffled).unwrap();
    let eval = |data: &Path| {
        let args = [
            "evaluate",
            "--model",
            path(&model),
            "--data",
            path(data),
            "--label",
            "label",
            "--json",
        ];
        let o = dendrite(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(eval(&csv), eval(&reordered));
    for cmd in ["predict", "export-vectors"] {
        let missing = dir.join("missing.csv");
        std::fs::write(&missing, "b,label\n1,1\n").unwrap();
        let out = dir.join("out.csv");
        let err = failure(&dendrite(&[
            cmd,
            "--model",
            path(&model),
            "--data",
            path(&missing),
            "--out",
            path(&out),
        ]));
        assert!(err.contains("no column `a`"), "{cmd}: {err}");
    }
    // Duplicate names, the label as a feature (in training, and a model's feature as the label).
    let args = [
        "evaluate",
        "--model",
        path(&model),
        "--data",
        path(&reordered),
        "--label",
        "a",
    ];
    assert!(failure(&dendrite(&args)).contains("--label a is one of the model's input features"));
    let dup = dir.join("dup.csv");
    std::fs::write(&dup, "a,b,b,label\n1,2,3,1\n4,5,6,2\n").unwrap();
    let args = [
        "evaluate",
        "--model",
        path(&model),
        "--data",
        path(&dup),
        "--label",
        "label",
    ];
    assert!(failure(&dendrite(&args)).contains("column `b` appears twice"));
    let args = [
        "train",
        "--data",
        path(&csv),
        "--label",
        "label",
        "--features",
        "a,label",
    ];
    assert!(failure(&dendrite(&args)).contains("`label` is the label and also a feature"));
    // `1` and `1.0` are one class; codes {5, 60000} are two classes.
    let codes = dir.join("codes.csv");
    std::fs::write(&codes, "a,label\n1,5\n2,60000\n3,5.0\n4,6e4\n").unwrap();
    let coded = dir.join("codes.postcard");
    let args = [
        "train",
        "--data",
        path(&codes),
        "--label",
        "label",
        "--epochs",
        "1",
        "--verbose",
        "0",
        "--out",
        path(&coded),
    ];
    assert!(dendrite(&args).status.success());
    let info = String::from_utf8_lossy(&dendrite(&["info", path(&coded)]).stdout).into_owned();
    assert!(info.contains("classes:       5, 60000"), "{info}");
    // Outputs beyond the classes never take a real class's name.
    let spec = dir.join("wide.toml");
    std::fs::write(
        &spec,
        "[data]\npath = \"codes.csv\"\nlabel = \"label\"\n[[layers]]\nunits = 4\nactivation = \"softmax\"\n",
    )
    .unwrap();
    let args = [
        "train",
        "--spec",
        path(&spec),
        "--verbose",
        "0",
        "--out",
        path(&coded),
    ];
    assert!(dendrite(&args).status.success());
    let info = String::from_utf8_lossy(&dendrite(&["info", path(&coded)]).stdout).into_owned();
    assert!(
        info.contains("classes:       5, 60000, unused_2, unused_3"),
        "{info}"
    );
    // --epochs 0; predict --data with a device flag; --json honoured with --data.
    let args = [
        "train",
        "--data",
        path(&csv),
        "--label",
        "label",
        "--epochs",
        "0",
    ];
    assert_eq!(dendrite(&args).status.code(), Some(2));
    for device in [&["--qemu"][..], &["--serial", "/dev/null"]] {
        let args = [
            &["predict", "--model", path(&model), "--data", path(&csv)][..],
            device,
        ]
        .concat();
        let err = failure(&dendrite(&args));
        assert!(
            err.contains("predict --data runs on the host only"),
            "{err}"
        );
    }
    let o = dendrite(&[
        "predict",
        "--model",
        path(&model),
        "--data",
        path(&csv),
        "--label",
        "label",
        "--json",
    ]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(rows.as_array().map(Vec::len), Some(20));
}

/// Class 2: a FIFO or a device given as an input (data, spec, Keras or TFLite file, Keras
/// configuration) is refused before it is opened: opening a FIFO with nothing writing to it
/// would wait forever.
#[test]
fn class2_fifos_as_inputs_are_refused_without_waiting() {
    let tmp = scratch("fifo-in");
    let dir = tmp.path();
    let model = dir.join("m.postcard");
    trained(&model);
    let fifo = dir.join("fifo.csv");
    let keras = dir.join("fifo.keras");
    for f in [&fifo, &keras] {
        assert!(Command::new("mkfifo").arg(f).status().unwrap().success());
    }
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        format!(
            "[data]\npath = {:?}\nlabel = \"label\"\n[[layers]]\nactivation = \"softmax\"\n",
            path(&fifo)
        ),
    )
    .unwrap();
    let out = dir.join("out.postcard");
    let data = ["--data", path(&fifo), "--label", "label"];
    for args in [
        [&["train", "--out", path(&out)][..], &data].concat(),
        vec!["train", "--spec", path(&spec), "--out", path(&out)],
        [&["evaluate", "--model", path(&model)][..], &data].concat(),
        [&["predict", "--model", path(&model)][..], &data].concat(),
        [&[
            "quantize",
            "--model",
            path(&model),
            "--out",
            path(&out),
            "--calibration",
            path(&fifo),
        ][..]]
        .concat(),
        vec!["import", path(&fifo), "--out", path(&out)],
        vec!["import", path(&keras), "--out", path(&out)],
        vec![
            "import",
            path(&model),
            "--config",
            path(&fifo),
            "--out",
            path(&out),
        ],
    ] {
        let err = failure(&dendrite(&args));
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
    assert!(!out.exists());
}

/// Class 4: outputs that are inputs, links, FIFOs, missing directories, flags without their
/// data: all refused before training, naming the user's path.
#[test]
fn class4_output_paths_are_checked_before_training() {
    let tmp = scratch("class4");
    let dir = tmp.path();
    let csv = small_csv(dir, "d.csv");
    let before = std::fs::read(&csv).unwrap();
    let train = |out: &Path, extra: &[&str]| {
        let args = [
            &[
                "train",
                "--data",
                path(&csv),
                "--label",
                "label",
                "--epochs",
                "2",
            ][..],
            &["--verbose", "0", "--out", path(out)],
            extra,
        ]
        .concat();
        dendrite(&args)
    };
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink(&csv, &link).unwrap();
    let hard = dir.join("hard.csv");
    std::fs::hard_link(&csv, &hard).unwrap();
    let dotted = dir.join(".").join("d.csv");
    for out in [&csv, &link, &hard, &dotted] {
        let err = failure(&train(out, &[]));
        assert!(err.contains("is also the input file"), "{err}");
    }
    assert_eq!(std::fs::read(&csv).unwrap(), before, "the data survives");
    let fifo = dir.join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let err = failure(&train(&fifo, &[]));
    assert!(err.contains("not a regular file"), "{err}");
    let missing = dir.join("no/such/dir/m.postcard");
    let err = failure(&train(&missing, &[]));
    assert!(
        err.contains("no/such/dir") && err.contains("does not exist"),
        "{err}"
    );
    let out = dir.join("m.postcard");
    for (plot, expected) in [
        ("missing/p.png", "does not exist"),
        ("p.svg", ".png"),
        ("p", ".png"),
    ] {
        let plot = dir.join(plot);
        let started = std::time::Instant::now();
        let err = failure(&train(&out, &["--plot", path(&plot)]));
        assert!(err.contains(expected) && err.contains(path(&plot)), "{err}");
        assert!(!err.contains(".tmp"), "{err}");
        assert!(started.elapsed().as_secs() < 10, "before training");
    }
    assert!(!out.exists());
    // A symbolic link --out is written through: the link stays, its target is replaced.
    let deployed = dir.join("deployed.postcard");
    std::fs::write(&deployed, b"old").unwrap();
    let current = dir.join("current.postcard");
    std::os::unix::fs::symlink(&deployed, &current).unwrap();
    assert!(train(&current, &[]).status.success());
    assert!(std::fs::symlink_metadata(&current)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(
        std::fs::read(&deployed).unwrap().starts_with(b"DNDR"),
        "target replaced"
    );
    // A checkpoint at --out, a flag that needs --data, a spec with two sources.
    let spec = dir.join("ck.toml");
    // The same file spelled differently: `dir/./m.postcard`.
    let checkpoint = dir.join(".").join("m.postcard");
    std::fs::write(
        &spec,
        format!(
            "[data]\npath = \"d.csv\"\nlabel = \"label\"\n[[layers]]\nactivation = \"softmax\"\n\
             [fit]\nvalidation_split = 0.2\n[callbacks.model_checkpoint]\npath = {:?}\n\
             monitor = \"val_loss\"\n",
            path(&checkpoint)
        ),
    )
    .unwrap();
    let err = failure(&dendrite(&[
        "train",
        "--spec",
        path(&spec),
        "--out",
        path(&out),
    ]));
    assert!(
        err.contains("model_checkpoint.path") && err.contains("also --out"),
        "{err}"
    );
    for flag in [&["--label", "species"][..], &["--features", "a,b"]] {
        let args = [&["train", "--out", path(&out)][..], flag].concat();
        let err = failure(&dendrite(&args));
        assert!(err.contains("needs --data"), "{err}");
    }
    let both = dir.join("both.toml");
    std::fs::write(
        &both,
        "[data]\npath = \"d.csv\"\ngenerator = \"seed\"\nlabel = \"label\"\n",
    )
    .unwrap();
    let err = failure(&dendrite(&[
        "train",
        "--spec",
        path(&both),
        "--out",
        path(&out),
    ]));
    assert!(
        err.contains("both.toml") && err.contains("both `path` and `generator`"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
    // Other writers: predict --out and export-vectors --out never replace their input.
    let model = dir.join("model.postcard");
    trained(&model);
    for cmd in ["predict", "export-vectors"] {
        let args = [
            cmd,
            "--model",
            path(&model),
            "--data",
            path(&link),
            "--label",
            "label",
            "--out",
            path(&csv),
        ];
        let err = failure(&dendrite(&args));
        assert!(err.contains("is also the input file"), "{cmd}: {err}");
    }
    assert_eq!(std::fs::read(&csv).unwrap(), before, "the data survives");
}

/// Class 5: one line, the thing named once, no debug forms.
#[test]
fn class5_error_text_is_one_line_without_repeats_or_debug_forms() {
    let tmp = scratch("class5");
    let dir = tmp.path();
    let missing = dir.join("missing.postcard");
    let csv = small_csv(dir, "d.csv");
    let runs: Vec<Vec<&str>> = vec![
        vec!["info", path(&missing)],
        vec!["predict", "--model", path(&missing), "1"],
        vec![
            "evaluate",
            "--model",
            path(&missing),
            "--data",
            path(&csv),
            "--label",
            "label",
        ],
        vec!["train", "--data", "/no/such.csv", "--label", "x"],
        vec!["train", "--spec", "/no/such.toml"],
    ];
    for args in runs {
        let err = failure(&dendrite(&args));
        assert_eq!(
            err.matches("No such file or directory").count(),
            1,
            "{args:?}: {err}"
        );
        assert!(!err.contains("(os error 2):"), "{args:?}: {err}");
    }
    // A wide header is listed by its start: the line stays readable.
    let wide = dir.join("wide.csv");
    let header: Vec<String> = (0..5000).map(|i| format!("column_{i}")).collect();
    std::fs::write(&wide, format!("{}\n", header.join(","))).unwrap();
    let err = failure(&dendrite(&[
        "train",
        "--data",
        path(&wide),
        "--label",
        "nope",
    ]));
    assert!(err.len() < 1000 && err.contains("(5000 in all)"), "{err}");
    let model = dir.join("m.postcard");
    trained(&model);
    let gif = dir.join("c.gif");
    let args = [
        "evaluate",
        "--model",
        path(&model),
        "--data",
        path(&csv),
        "--label",
        "label",
        "--plot",
        path(&gif),
    ];
    let err = failure(&dendrite(&args));
    assert!(
        !err.contains("ImageError") && !err.contains("Unsupported("),
        "{err}"
    );
    assert!(err.contains(".png"), "{err}");
}

/// Random command lines and spec files, built from fragments that mix valid and hostile
/// values: the binary never panics, exits 0 (success), 1 (a one-line error) or 2 (a usage
/// error), and never overwrites its input data.
mod random {
    use super::{path, small_csv};
    use proptest::prelude::*;
    use std::io::Write;
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::time::Duration;
    use wait_timeout::ChildExt;

    /// How long one random command may run.
    const LIMIT: Duration = Duration::from_secs(120);

    /// Files the fragments name, made once per test process.
    struct Files {
        dir: PathBuf,
        csv: PathBuf,
        csv_bytes: Vec<u8>,
        model: PathBuf,
    }

    fn files() -> &'static Files {
        static FILES: std::sync::OnceLock<Files> = std::sync::OnceLock::new();
        FILES.get_or_init(|| {
            // Kept for the whole test process: the directory outlives every case, so it lives
            // in cargo's scratch space for tests (under target/), not in the system's /tmp.
            let dir = tempfile::Builder::new()
                .prefix("dendrite-bad-random-")
                .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .unwrap()
                .keep();
            let csv = small_csv(&dir, "d.csv");
            let model = dir.join("model.postcard");
            super::trained(&model);
            let fifo = dir.join("fifo");
            let _ = Command::new("mkfifo").arg(&fifo).status();
            std::fs::create_dir_all(dir.join("subdir")).unwrap();
            let link = dir.join("link.csv");
            let _ = std::os::unix::fs::symlink(&csv, &link);
            Files {
                csv_bytes: std::fs::read(&csv).unwrap(),
                dir,
                csv,
                model,
            }
        })
    }

    /// Values, valid and not, for any flag or spec key.
    fn value() -> impl Strategy<Value = String> {
        let f = files();
        let names = |p: &str| f.dir.join(p).to_str().unwrap().to_owned();
        prop_oneof![
            Just("-1".to_owned()),
            Just("0".to_owned()),
            Just("1".to_owned()),
            Just("2".to_owned()),
            Just("0.5".to_owned()),
            Just("1.5".to_owned()),
            Just("NaN".to_owned()),
            Just("inf".to_owned()),
            Just("-inf".to_owned()),
            Just("1e40".to_owned()),
            Just("99999999999".to_owned()),
            Just("18446744073709551616".to_owned()),
            Just("abc".to_owned()),
            Just(String::new()),
            Just("16,8".to_owned()),
            Just("0,4".to_owned()),
            Just("70000".to_owned()),
            Just("60000,60000".to_owned()),
            Just("label".to_owned()),
            Just("a,b".to_owned()),
            Just("a,label".to_owned()),
            Just("x".repeat(70_000)),
            Just(path(&f.csv).to_owned()),
            Just(path(&f.model).to_owned()),
            Just(names("link.csv")),
            Just(names("fifo")),
            Just(names("subdir")),
            Just(names("missing/out.postcard")),
            Just(names("out.postcard")),
            Just(names("plot.png")),
            Just(names("plot.svg")),
            Just("/dev/zero".to_owned()),
        ]
    }

    /// Each subcommand's flags (a few from other subcommands, for usage errors).
    fn flags(sub: &str) -> &'static [&'static str] {
        match sub {
            "train" => &[
                "--data",
                "--label",
                "--features",
                "--layers",
                "--validation-split",
                "--validation-data",
                "--test-split",
                "--epochs",
                "--batch-size",
                "--seed",
                "--optimizer",
                "--learning-rate",
                "--out",
                "--plot",
                "--spec",
                "--json",
            ],
            "predict" => &[
                "--model",
                "--data",
                "--label",
                "--features",
                "--out",
                "--json",
                "--qemu",
                "--timeout",
            ],
            "evaluate" => &[
                "--model",
                "--data",
                "--label",
                "--features",
                "--json",
                "--plot",
                "--epochs",
            ],
            "export-vectors" => &[
                "--model",
                "--data",
                "--label",
                "--features",
                "--out",
                "--seed",
            ],
            "run" => &["--model", "--timeout", "--data"],
            _ => &["--json", "--model"],
        }
    }

    fn command_line() -> impl Strategy<Value = Vec<String>> {
        let sub = prop::sample::select(
            &[
                "train",
                "predict",
                "info",
                "evaluate",
                "export-vectors",
                "run",
            ][..],
        );
        sub.prop_flat_map(|sub| {
            let pair = (prop::sample::select(flags(sub)), value(), any::<bool>());
            (
                Just(sub),
                prop::collection::vec(pair, 0..6),
                prop::collection::vec(value(), 0..3),
            )
        })
        .prop_map(|(sub, pairs, positional)| {
            let mut args = vec![sub.to_owned()];
            for (flag, value, with_value) in pairs {
                args.push(flag.to_owned());
                if with_value {
                    args.push(value);
                }
            }
            if sub == "train" && !args.iter().any(|a| a == "--epochs") {
                args.extend(["--epochs".to_owned(), "2".to_owned()]);
            }
            let out = files().dir.join("default-out.postcard");
            if (sub == "train" || sub == "export-vectors") && !args.iter().any(|a| a == "--out") {
                args.extend(["--out".to_owned(), path(&out).to_owned()]);
            }
            if sub != "train" && !args.iter().any(|a| a == "--model") {
                args.extend(["--model".to_owned(), path(&files().model).to_owned()]);
            }
            args.extend(positional);
            args
        })
    }

    /// A spec file from fragments of every table.
    fn spec_text() -> impl Strategy<Value = String> {
        let line = (
            prop::sample::select(
                &[
                    "[data]\npath",
                    "[data]\ngenerator",
                    "[data]\nlabel",
                    "[data]\nsamples",
                    "[data]\nfeatures",
                    "[data]\nclasses",
                    "[[layers]]\nunits",
                    "[[layers]]\nname",
                    "[[layers]]\nactivation",
                    "[[layers]]\ninput_dim",
                    "[fit]\nepochs",
                    "[fit]\nbatch_size",
                    "[fit]\nvalidation_split",
                    "[fit]\ntest_split",
                    "[compile]\noptimizer",
                    "[compile]\nloss",
                    "[callbacks.model_checkpoint]\npath",
                    "[callbacks.early_stopping]\npatience",
                ][..],
            ),
            value(),
            any::<bool>(),
        );
        let base = prop::sample::select(
            &[
                "[data]\npath = \"d.csv\"\nlabel = \"label\"",
                "[data]\ngenerator = \"seed\"",
                "",
            ][..],
        );
        (base, prop::collection::vec(line, 0..6)).prop_map(|(base, lines)| {
            // Tables once each (a later key wins), a softmax output layer last.
            let mut tables: std::collections::BTreeMap<
                &str,
                std::collections::BTreeMap<&str, String>,
            > = Default::default();
            for l in base.lines().skip(1) {
                let (k, v) = l.split_once(" = ").unwrap();
                tables.entry("[data]").or_default().insert(k, v.to_owned());
            }
            for (key, v, quoted) in lines {
                let (table, key) = key.split_once('\n').unwrap();
                let v = match (v.parse::<f64>(), quoted) {
                    (Ok(_), false) => v,
                    _ if key == "features" || key == "classes" => format!("[{v:?}]"),
                    _ if key == "generator" => "\"seed\"".to_owned(),
                    _ => format!("{v:?}"),
                };
                tables.entry(table).or_default().insert(key, v);
            }
            let mut text = String::new();
            for (table, keys) in &tables {
                text.push_str(&format!("{table}\n"));
                for (k, v) in keys {
                    text.push_str(&format!("{k} = {v}\n"));
                }
            }
            text.push_str("[[layers]]\nactivation = \"softmax\"\n");
            text
        })
    }

    fn check(args: &[String], stdin: &[u8]) -> Result<(), TestCaseError> {
        let f = files();
        let mut child = Command::new(env!("CARGO_BIN_EXE_dendrite"))
            .args(args)
            .current_dir(&f.dir)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin);
        drop(input);
        let mut stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stderr, &mut text);
            text
        });
        let shown: Vec<String> = args.iter().map(|a| a.chars().take(80).collect()).collect();
        // Every case is small (at most a few seconds of training); a command still running
        // after this long is stuck (a FIFO opened for reading, a loop that never ends).
        let status = child.wait_timeout(LIMIT).unwrap();
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let err = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
        let Some(status) = status else {
            return Err(TestCaseError::fail(format!(
                "{shown:?} still running after {LIMIT:?}: {err}"
            )));
        };
        prop_assert!(!err.contains("panicked"), "{shown:?}: {err}");
        let code = status.code();
        if std::env::var_os("DENDRITE_SHOW").is_some() {
            eprintln!("{code:?} {shown:?} {}", err.lines().next().unwrap_or(""));
        }
        prop_assert!(matches!(code, Some(0..=2)), "{shown:?}: {code:?} {err}");
        if code == Some(1) && args[0] != "run" {
            let lines = err.lines().filter(|l| !l.trim().is_empty()).count();
            prop_assert_eq!(lines, 1, "{:?}: {}", shown, err);
        }
        prop_assert_eq!(&std::fs::read(&f.csv).unwrap(), &f.csv_bytes, "{:?}", shown);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn random_command_lines_never_panic(args in command_line(), stdin in prop::collection::vec(any::<u8>(), 0..64)) {
            check(&args, &stdin)?;
        }

        #[test]
        fn random_spec_files_never_panic(text in spec_text(), n in 0u32..1000) {
            let f = files();
            let spec = f.dir.join(format!("spec-{n}.toml"));
            std::fs::write(&spec, &text).unwrap();
            let out = f.dir.join("spec-out.postcard");
            let mut args: Vec<String> = ["train", "--spec", path(&spec), "--verbose", "0", "--out", path(&out)]
                .map(str::to_owned)
                .to_vec();
            // A spec's many epochs over many generated samples is valid and hours long: the
            // command line's `--epochs` overrides it (the spec's value is still checked).
            if text.lines().any(|l| l.strip_prefix("epochs = ").and_then(|v| v.parse::<u64>().ok()).is_some_and(|n| n > 100)) {
                args.extend(["--epochs".to_owned(), "2".to_owned()]);
            }
            check(&args, b"")?;
        }
    }
}

/// Class 1, names from elsewhere: a model made with the library (whose names the CLI's limits
/// do not reach) with 70,000-character layer and class names prints its summary and is
/// evaluated without overflowing a formatting width.
#[test]
fn class1_very_long_names_do_not_overflow_formatting() {
    use dendrite_trainer::layers::Dense;
    use dendrite_trainer::{Activation, Preprocessing, Sequential};
    let tmp = scratch("long-names");
    let dir = tmp.path();
    let long = "n".repeat(70_000);
    let mut model = Sequential::new();
    model
        .add(
            Dense::new(2)
                .input_dim(2)
                .name(long.clone())
                .activation(Activation::Softmax),
        )
        .unwrap();
    assert!(model.summary().contains(&long[..100]));
    let mut rng = dendrite_trainer::utils::set_random_seed(1);
    model.build(&mut rng).unwrap();
    let file = dir.join("long.postcard");
    let preprocessing = Preprocessing {
        labels: vec![long.clone(), "y".to_owned()],
        ..Preprocessing::identity(2)
    };
    model.save(&file, &preprocessing).unwrap();
    let csv = dir.join("d.csv");
    std::fs::write(&csv, format!("a,b,label\n1,2,{long}\n3,4,y\n")).unwrap();
    for args in [
        vec![
            "evaluate",
            "--model",
            path(&file),
            "--data",
            path(&csv),
            "--label",
            "label",
        ],
        vec!["info", path(&file)],
        vec!["predict", "--model", path(&file), "1", "2"],
    ] {
        let o = dendrite(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

/// Class 4, the converters: `quantize --out` and `import --out` never replace their own input
/// (the same file by inode: the path itself, a symbolic link, a hard link, another spelling),
/// and say so before any work.
#[test]
fn class4_quantize_and_import_refuse_their_input_as_output() {
    let tmp = scratch("class4-int8");
    let dir = tmp.path();
    let model = dir.join("model.postcard");
    let model_bytes = trained(&model);
    let csv = dir.join("calibration.csv");
    std::fs::write(&csv, "weight,height,age\n70,175,30\n55,160,40\n90,185,25\n").unwrap();
    let csv_bytes = std::fs::read(&csv).unwrap();
    let spellings = |file: &Path, stem: &str| {
        let link = dir.join(format!("{stem}.link"));
        std::os::unix::fs::symlink(file, &link).unwrap();
        let hard = dir.join(format!("{stem}.hard"));
        std::fs::hard_link(file, &hard).unwrap();
        vec![
            file.to_owned(),
            link,
            hard,
            dir.join(".").join(file.file_name().unwrap()),
        ]
    };
    for out in spellings(&model, "model")
        .into_iter()
        .chain(spellings(&csv, "calibration"))
    {
        let err = failure(&dendrite(&[
            "quantize",
            "--model",
            path(&model),
            "--calibration",
            path(&csv),
            "--out",
            path(&out),
        ]));
        assert!(
            err.contains("--out") && err.contains("is also the input file"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read(&model).unwrap(),
        model_bytes,
        "the model survives"
    );
    assert_eq!(std::fs::read(&csv).unwrap(), csv_bytes, "the data survives");

    // A TFLite file and a Keras file given as their own --out.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../trainer/tests/fixtures");
    for (name, source) in [
        (
            "m.tflite",
            fixtures.join("tflite/dense_softmax.int8.tflite"),
        ),
        ("m.keras", fixtures.join("keras/dense_relu.keras")),
    ] {
        let copy = dir.join(name);
        std::fs::copy(&source, &copy).unwrap();
        let before = std::fs::read(&copy).unwrap();
        for out in spellings(&copy, name) {
            let err = failure(&dendrite(&["import", path(&copy), "--out", path(&out)]));
            assert!(
                err.contains("--out") && err.contains("is also the input file"),
                "{name}: {err}"
            );
        }
        assert_eq!(std::fs::read(&copy).unwrap(), before, "{name} survives");
    }
    // Other outputs are still written.
    let int8 = dir.join("model.int8.postcard");
    let ok = dendrite(&[
        "quantize",
        "--model",
        path(&model),
        "--calibration",
        path(&csv),
        "--out",
        path(&int8),
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(std::fs::read(&int8).unwrap().starts_with(b"DNDR"));
}

/// A reader that closes the output early (`dendrite … | head -1`) ends the command quietly: a
/// zero exit and nothing on stderr, not a panic or an error about a broken pipe. The CSV and
/// JSON predictions of 1,439 rows are over 200 KB, more than a pipe holds, so the write that
/// finds the pipe closed is certain.
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let model = root.join("tests/models/digits.postcard");
    let data = root.join("examples/data/digits_train.csv");
    let predict = ["predict", "--model", path(&model), "--data", path(&data)];
    for extra in [
        &["--label", "digit"][..],
        &["--label", "digit", "--json"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dendrite"))
            .args(predict)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The reader is dropped here: the pipe is closed with most of the output unwritten.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{extra:?}: {err}");
        assert!(err.is_empty(), "{extra:?}: {err}");
    }
}
