use super::*;
use std::path::PathBuf;
use tempfile::TempDir;

/// Writes `text` to a file in a directory of this test's own, removed when the directory is
/// dropped (even when the test fails); returns both.
fn file(name: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("dendrite-data-")
        .tempdir()
        .unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn labelled(label: &str) -> CsvColumns<'_> {
    CsvColumns {
        label: Some(label),
        ..Default::default()
    }
}

/// The error's message, checked to be one line that names the file.
fn message(name: &str, text: &str, columns: &CsvColumns<'_>) -> String {
    let (_dir, path) = file(name, text);
    let err = read_csv(&path, columns).unwrap_err().to_string();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    err
}

#[test]
fn reads_features_and_class_names_in_sorted_order() {
    let (_dir, path) = file("ok.csv", "a, b ,kind\n1,2,dog\n3,4.5,cat\n-1e3,0,dog\n");
    let d = read_csv(&path, &labelled("kind")).unwrap();
    assert_eq!(d.x, ndarray::array![[1.0, 2.0], [3.0, 4.5], [-1000.0, 0.0]]);
    assert_eq!(d.classes, ["cat", "dog"]);
    assert_eq!(d.labels, [1, 0, 1]);
    assert_eq!(d.features, ["a", "b"]);
}

#[test]
fn numeric_labels_are_their_distinct_values_in_numeric_order() {
    let (_dir, path) = file("int.csv", "y,x\n2,1\n0,1\n2,3\n");
    let d = read_csv(&path, &labelled("y")).unwrap();
    assert_eq!(d.classes, ["0", "2"]);
    assert_eq!(d.labels, [1, 0, 1]);
    // `1` and `1.0` are one class; 10 sorts after 9 (numbers, not text).
    let (_dir2, path) = file("num.csv", "y,x\n1,1\n10,1\n1.0,3\n9,4\n");
    let d = read_csv(&path, &labelled("y")).unwrap();
    assert_eq!(d.classes, ["1", "9", "10"]);
    assert_eq!(d.labels, [0, 2, 0, 1]);
    // A model's numeric classes are found by value.
    let classes = d.classes.clone();
    let columns = CsvColumns {
        label: Some("y"),
        classes: Some(&classes),
        ..Default::default()
    };
    let (_dir3, path) = file("num-known.csv", "y,x\n9.0,1\n1e1,1\n");
    assert_eq!(read_csv(&path, &columns).unwrap().labels, [1, 2]);
}

#[test]
fn features_are_chosen_by_name_in_the_given_order() {
    let (_dir, path) = file("pick.csv", "a,b,c,y\n1,2,3,0\n4,5,6,1\n");
    let features = ["c".to_owned(), "a".to_owned()];
    let columns = CsvColumns {
        label: Some("y"),
        features: Some(&features),
        classes: None,
    };
    let d = read_csv(&path, &columns).unwrap();
    assert_eq!(d.x, ndarray::array![[3.0, 1.0], [6.0, 4.0]]);
}

#[test]
fn rejects_ragged_row_naming_the_line() {
    let err = message("ragged.csv", "a,b,y\n1,2,0\n1,2\n", &labelled("y"));
    assert!(err.contains(":3: 2 fields, but the header has 3"), "{err}");
}

#[test]
fn rejects_missing_header() {
    let err = message("nohead.csv", "1,2,0\n3,4,1\n", &labelled("y"));
    assert!(err.contains(":1: no header line"), "{err}");
}

#[test]
fn rejects_unknown_column_listing_the_columns() {
    let err = message("unknown.csv", "a,b,y\n1,2,0\n", &labelled("label"));
    assert!(
        err.contains("no column `label`") && err.contains("a, b, y"),
        "{err}"
    );
}

#[test]
fn rejects_text_in_a_numeric_field_naming_line_and_column() {
    let err = message("text.csv", "a,b,y\n1,2,0\n1,abc,1\n", &labelled("y"));
    assert!(
        err.contains(":3: column `b`: `abc` is not a number"),
        "{err}"
    );
}

#[test]
fn rejects_empty_feature_field() {
    let err = message("empty_field.csv", "a,b,y\n1,,0\n", &labelled("y"));
    assert!(err.contains(":2: column `b` is empty"), "{err}");
}

#[test]
fn rejects_nan_and_infinity() {
    for bad in ["NaN", "inf", "-infinity"] {
        let err = message(
            "nan.csv",
            &format!("a,b,y\n1,2,0\n{bad},2,1\n"),
            &labelled("y"),
        );
        assert!(
            err.contains(&format!(":3: column `a`: `{bad}` is not a finite number")),
            "{err}"
        );
    }
}

#[test]
fn rejects_empty_file_and_header_only_file() {
    let err = message("empty.csv", "", &labelled("y"));
    assert!(err.contains("the file is empty"), "{err}");
    let err = message("header_only.csv", "a,y\n", &labelled("y"));
    assert!(err.contains("no data rows"), "{err}");
}

#[test]
fn rejects_a_single_class() {
    let err = message("single.csv", "a,y\n1,cat\n2,cat\n", &labelled("y"));
    assert!(err.contains("one class only (`cat`)"), "{err}");
}

#[test]
fn rejects_labels_outside_the_models_classes() {
    let classes = ["cat".to_owned(), "dog".to_owned()];
    let columns = CsvColumns {
        label: Some("y"),
        features: None,
        classes: Some(&classes),
    };
    let err = message("foreign.csv", "a,y\n1,cat\n2,cow\n", &columns);
    assert!(
        err.contains(":3: column `y`: `cow` is not one of the model's classes: cat, dog"),
        "{err}"
    );
}

#[test]
fn more_classes_than_outputs_is_refused() {
    let (_dir, path) = file("three.csv", "a,y\n1,a\n2,b\n3,c\n");
    let d = read_csv(&path, &labelled("y")).unwrap();
    let err = d.targets(2).unwrap_err().to_string();
    assert!(
        err.contains("holds 3 classes but the model's output layer has 2 units"),
        "{err}"
    );
    assert!(d.targets(1).is_err());
    assert_eq!(d.targets(3).unwrap().row(2).to_vec(), [0.0, 0.0, 1.0]);
}

#[test]
fn binary_targets_for_one_sigmoid_output_are_the_class_index() {
    let (_dir, path) = file("bin.csv", "a,y\n1,no\n2,yes\n");
    let d = read_csv(&path, &labelled("y")).unwrap();
    assert_eq!(d.targets(1).unwrap(), ndarray::array![[0.0], [1.0]]);
}

#[test]
fn standardization_uses_population_std_and_leaves_constants_finite() {
    let mut x = ndarray::array![[1.0f32, 5.0], [3.0, 5.0]];
    let s = Standardization::fit(x.view());
    assert_eq!(s.mean, [2.0, 5.0]);
    assert_eq!(s.std, [1.0, 1.0]);
    s.apply(&mut x);
    assert_eq!(x, ndarray::array![[-1.0, 0.0], [1.0, 0.0]]);
}

#[test]
fn test_split_is_seeded_and_partitions_the_rows() {
    let x = Array2::from_shape_fn((10, 1), |(r, _)| r as f32);
    let d = Dataset {
        x,
        labels: (0..10).map(|r| r % 2).collect(),
        classes: vec!["0".into(), "1".into()],
        features: vec!["a".into()],
    };
    let split = |seed| {
        let mut rng = crate::utils::set_random_seed(seed);
        d.clone().split_test(0.3, &mut rng).unwrap()
    };
    let (train, test) = split(7);
    let test = test.unwrap();
    assert_eq!((train.rows(), test.rows()), (7, 3));
    let mut all: Vec<f32> = train.x.iter().chain(test.x.iter()).copied().collect();
    all.sort_by(f32::total_cmp);
    assert_eq!(all, (0..10).map(|r| r as f32).collect::<Vec<_>>());
    assert_eq!(split(7).1.unwrap(), test);
    let mut rng = crate::utils::set_random_seed(0);
    assert!(d.split_test(0.01, &mut rng).is_err());
}

/// Found by fuzzing: a file whose only column is the label divided by zero features.
#[test]
fn rejects_a_file_with_no_feature_column() {
    let err = message("label_only.csv", "label\n1\n0\n", &labelled("label"));
    assert!(
        err.contains("label_only.csv:1: no feature columns"),
        "{err}"
    );
}

/// Codes as labels make as many classes as distinct codes (77771010 once made 77 million empty
/// classes); a column with more than MAX_CLASSES distinct values is refused at the line where
/// the limit is passed.
#[test]
fn large_codes_are_classes_and_too_many_classes_are_refused() {
    let (_dir, path) = file("huge.csv", "a,b,label\n1,3,0\n3,4,10\n6,4,77771010\n");
    let d = read_csv(&path, &labelled("label")).unwrap();
    assert_eq!(d.classes, ["0", "10", "77771010"]);
    let limit = crate::limits::MAX_CLASSES;
    let mut text = String::from("a,label\n");
    for i in 0..=limit {
        text.push_str(&format!("{i},c{i}\n"));
    }
    let err = message("many.csv", &text, &labelled("label"));
    assert!(
        err.contains(&format!(
            ":{}: column `label`: more than {limit} distinct classes",
            limit + 2
        )),
        "{err}"
    );
}

#[test]
fn tab_and_semicolon_separated_files_read_like_commas() {
    let comma = "a,b,kind\n1,2,dog\n3,4.5,cat\n";
    let (_dir, path) = file("comma.csv", comma);
    let expected = read_csv(&path, &labelled("kind")).unwrap();
    for (name, sep) in [("tabs.tsv", "\t"), ("semi.csv", ";")] {
        let (_dir, path) = file(name, &comma.replace(',', sep));
        let d = read_csv(&path, &labelled("kind")).unwrap();
        assert_eq!(
            (&d.x, &d.classes, &d.labels),
            (&expected.x, &expected.classes, &expected.labels)
        );
        assert_eq!(d.features, expected.features);
    }
    // A comma in the header wins: a semicolon is then part of a name or value.
    let err = message("mixed.csv", "a,b;c,kind\n1,2;3,dog\n", &labelled("kind"));
    assert!(err.contains("line 2") || err.contains(":2"), "{err}");
}
