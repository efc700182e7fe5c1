//! Reading a CSV file into a numeric matrix, row by row: only the f32 features and one class
//! index per row are kept, never the text.

use super::{DataError, Dataset};
use crate::limits::{MAX_VALUES, MAX_WIDTH};
use csv::{ErrorKind, StringRecord};
use ndarray::Array2;
use std::collections::HashMap;
use std::path::Path;

/// Which columns of a CSV file to read, and how to read the labels.
#[derive(Clone, Copy, Debug, Default)]
pub struct CsvColumns<'a> {
    /// The label column, if the file has one to read.
    pub label: Option<&'a str>,
    /// The feature columns by name, in this order; `None`: every column but the label.
    pub features: Option<&'a [String]>,
    /// The classes labels must be among (a trained model's), in output order; `None`: the
    /// classes are the file's labels (see [`read_csv`]).
    pub classes: Option<&'a [String]>,
}

/// Reads `path`: a header line of column names, then one sample per line. Fields are separated
/// by commas, or by tabs or semicolons when the header line has no comma.
///
/// Features must be finite numbers. Without known classes, the classes are the label's
/// distinct values: when every label is a number, in increasing numeric order and compared as
/// numbers (`1` and `1.0` are one class, named `1`; labels `1, 2` are two classes), otherwise
/// as names in sorted order, so the same labels give the same outputs whatever the row order.
///
/// # Errors
/// A [`DataError`] naming the file, the line and the column: a path that is not a regular file
/// (a FIFO or a device, refused before it is opened), ragged rows, a missing header,
/// duplicate or over-long column names, unknown columns, the label named as a feature, empty,
/// non-numeric or non-finite features, labels outside known classes, more than
/// [`MAX_CLASSES`](crate::limits::MAX_CLASSES) classes, a file with no rows, or (without known
/// classes) a single class.
pub fn read_csv(path: &Path, columns: &CsvColumns<'_>) -> Result<Dataset, DataError> {
    let file = crate::limits::open_regular(path).map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })?;
    let buffered = std::io::BufReader::with_capacity(1 << 16, file);
    read_csv_from(buffered, path, columns)
}

/// Reads CSV text from `input` as [`read_csv`] reads a file; `path` names it in errors.
///
/// # Errors
/// As [`read_csv`].
pub fn read_csv_from(
    input: impl std::io::Read,
    path: &Path,
    columns: &CsvColumns<'_>,
) -> Result<Dataset, DataError> {
    use std::io::BufRead;
    let mut input = std::io::BufReader::with_capacity(
        1 << 16,
        LineLimit::new(input, crate::limits::MAX_CSV_LINE_BYTES),
    );
    let head = input.fill_buf().map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter(head))
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut record = StringRecord::new();
    if !reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        return Err(DataError::Empty {
            path: path.to_owned(),
        });
    }
    let layout = Layout::new(path, &record, columns)?;
    let mut x: Vec<f32> = Vec::new();
    let mut labels = Labels::new(columns.classes);
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        let line = record.position().map_or(0, |p| p.line());
        // Checked before the row is added: the buffer never grows past the limit.
        if x.len() + layout.features.len() > MAX_VALUES {
            return Err(DataError::TooLarge {
                path: path.to_owned(),
                line,
                reason: format!(
                    "more than {MAX_VALUES} feature values (1 GiB); use fewer rows or columns"
                ),
            });
        }
        layout.parse_features(path, line, &record, &mut x)?;
        if let Some(index) = layout.label {
            labels.push(path, line, &layout.names[index], &record[index])?;
        }
    }
    let rows = x.len() / layout.features.len();
    if rows == 0 {
        return Err(DataError::NoRows {
            path: path.to_owned(),
        });
    }
    x.shrink_to_fit();
    let x = Array2::from_shape_vec((rows, layout.features.len()), x)
        .expect("the row count is the number of values divided by the width");
    let (labels, classes) = match layout.label {
        Some(index) => labels.finish(path, &layout.names[index], columns.classes)?,
        None => (
            Vec::new(),
            columns.classes.map(<[_]>::to_vec).unwrap_or_default(),
        ),
    };
    if rows.saturating_mul(classes.len()) > MAX_VALUES {
        return Err(DataError::TooLarge {
            path: path.to_owned(),
            line: 1,
            reason: format!(
                "{rows} rows × {} classes is more than {MAX_VALUES} one-hot targets (1 GiB); use \
                 fewer rows or classes",
                classes.len()
            ),
        });
    }
    let features = layout
        .features
        .iter()
        .map(|&i| layout.names[i].clone())
        .collect();
    Ok(Dataset {
        x,
        labels,
        classes,
        features,
    })
}

/// The field separator of a file whose first bytes are `head`: a comma, unless the header line
/// has none and has tabs (a TSV file) or semicolons (the CSV of locales whose decimal mark is a
/// comma).
fn delimiter(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    [b',', b'\t', b';']
        .into_iter()
        .find(|d| line.contains(d))
        .unwrap_or(b',')
}

/// A reader that fails once a line grows longer than `limit` bytes, so a file without line
/// breaks (or `/dev/zero`) cannot make the CSV parser buffer a record without bound.
struct LineLimit<R> {
    inner: R,
    limit: usize,
    run: usize,
}

impl<R> LineLimit<R> {
    fn new(inner: R, limit: usize) -> Self {
        LineLimit {
            inner,
            limit,
            run: 0,
        }
    }
}

impl<R: std::io::Read> std::io::Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        // The line the chunk continues, and the one it leaves open, are both checked.
        let first = chunk.iter().position(|&b| b == b'\n');
        let continued = self.run + first.unwrap_or(n);
        self.run = match chunk.iter().rposition(|&b| b == b'\n') {
            Some(at) => n - at - 1,
            None => continued,
        };
        if continued.max(self.run) > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a line longer than {} MiB: not a CSV file of samples",
                    self.limit >> 20
                ),
            ));
        }
        Ok(n)
    }
}

/// Where the label and the features are in each row.
struct Layout {
    names: Vec<String>,
    label: Option<usize>,
    features: Vec<usize>,
}

impl Layout {
    fn new(
        path: &Path,
        header: &StringRecord,
        columns: &CsvColumns<'_>,
    ) -> Result<Self, DataError> {
        if header.iter().all(|f| f.parse::<f64>().is_ok()) {
            return Err(DataError::MissingHeader {
                path: path.to_owned(),
                first: header.iter().collect::<Vec<_>>().join(","),
            });
        }
        let names: Vec<String> = header.iter().map(str::to_owned).collect();
        check_header(path, &names)?;
        let find = |column: &str| {
            names
                .iter()
                .position(|n| n == column)
                .ok_or_else(|| DataError::UnknownColumn {
                    path: path.to_owned(),
                    column: column.to_owned(),
                    available: listing(&names),
                })
        };
        let label = columns.label.map(find).transpose()?;
        let features: Vec<usize> = match columns.features {
            Some(wanted) => wanted.iter().map(|c| find(c)).collect::<Result<_, _>>()?,
            None => (0..names.len()).filter(|&i| Some(i) != label).collect(),
        };
        if let Some(index) = label.filter(|l| features.contains(l)) {
            return Err(DataError::LabelIsFeature {
                path: path.to_owned(),
                column: names[index].clone(),
            });
        }
        if features.is_empty() {
            return Err(DataError::NoFeatures {
                path: path.to_owned(),
            });
        }
        if features.len() > MAX_WIDTH {
            return Err(DataError::TooLarge {
                path: path.to_owned(),
                line: 1,
                reason: format!(
                    "{} feature columns; a model takes at most {MAX_WIDTH} inputs",
                    features.len()
                ),
            });
        }
        Ok(Layout {
            names,
            label,
            features,
        })
    }

    /// Appends the row's features to `x`.
    fn parse_features(
        &self,
        path: &Path,
        line: u64,
        record: &StringRecord,
        x: &mut Vec<f32>,
    ) -> Result<(), DataError> {
        for &i in &self.features {
            let field = &record[i];
            let column = || self.names[i].clone();
            let value: f32 = field.parse().map_err(|_| {
                if field.is_empty() {
                    DataError::EmptyField {
                        path: path.to_owned(),
                        line,
                        column: column(),
                    }
                } else {
                    DataError::NotANumber {
                        path: path.to_owned(),
                        line,
                        column: column(),
                        value: field.to_owned(),
                    }
                }
            })?;
            if !value.is_finite() {
                return Err(DataError::NotFinite {
                    path: path.to_owned(),
                    line,
                    column: column(),
                    value: field.to_owned(),
                });
            }
            x.push(value);
        }
        Ok(())
    }
}

/// Labels as read: an index into the known classes, or into the distinct strings seen so far
/// (renumbered once the whole file is read).
struct Labels<'a> {
    known: Option<&'a [String]>,
    seen: Vec<String>,
    /// The line each of `seen` first appears on.
    first_line: Vec<u64>,
    ids: HashMap<String, u32>,
    rows: Vec<u32>,
}

impl<'a> Labels<'a> {
    fn new(known: Option<&'a [String]>) -> Self {
        Labels {
            known,
            seen: Vec::new(),
            first_line: Vec::new(),
            ids: HashMap::new(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, path: &Path, line: u64, column: &str, value: &str) -> Result<(), DataError> {
        let id = match self.known {
            Some(classes) => {
                known_class(classes, value).ok_or_else(|| DataError::UnknownClass {
                    path: path.to_owned(),
                    line,
                    column: column.to_owned(),
                    value: value.to_owned(),
                    classes: classes.join(", "),
                })?
            }
            None if value.is_empty() => {
                return Err(DataError::EmptyField {
                    path: path.to_owned(),
                    line,
                    column: column.to_owned(),
                })
            }
            None => match self.ids.get(value) {
                Some(&id) => id,
                None if self.seen.len() == crate::limits::MAX_CLASSES => {
                    return Err(DataError::ClassLimit {
                        path: path.to_owned(),
                        line,
                        column: column.to_owned(),
                    })
                }
                None => {
                    crate::limits::check_name("class", value).map_err(|reason| {
                        DataError::Malformed {
                            path: path.to_owned(),
                            line,
                            reason: format!("column `{column}`: {reason}"),
                        }
                    })?;
                    let id = self.seen.len() as u32;
                    self.seen.push(value.to_owned());
                    self.first_line.push(line);
                    self.ids.insert(value.to_owned(), id);
                    id
                }
            },
        };
        self.rows.push(id);
        Ok(())
    }

    /// The class index per row and the class names.
    fn finish(
        self,
        path: &Path,
        column: &str,
        known: Option<&[String]>,
    ) -> Result<(Vec<u32>, Vec<String>), DataError> {
        if let Some(classes) = known {
            return Ok((self.rows, classes.to_vec()));
        }
        let (renumber, classes) = match numeric_classes(&self.seen) {
            Some(numeric) => numeric,
            None => {
                let mut sorted = self.seen.clone();
                sorted.sort();
                let rank = |s: &String| sorted.binary_search(s).unwrap_or(0) as u32;
                (self.seen.iter().map(rank).collect(), sorted)
            }
        };
        if classes.len() == 1 {
            return Err(DataError::SingleClass {
                path: path.to_owned(),
                column: column.to_owned(),
                class: classes[0].clone(),
            });
        }
        let rows = self.rows.iter().map(|&id| renumber[id as usize]).collect();
        Ok((rows, classes))
    }
}

/// Numeric labels: the classes are the distinct values in increasing order, named by their
/// shortest spelling (`1` and `1.0` are one class, `1`; labels `{1, 2}` make two classes, not
/// three). `None` when some label is not a finite number.
fn numeric_classes(seen: &[String]) -> Option<(Vec<u32>, Vec<String>)> {
    let values: Vec<f64> = seen
        .iter()
        .map(|s| s.parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()?;
    let mut distinct = values.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let rank = |v: &f64| distinct.partition_point(|d| d < v) as u32;
    let names = distinct.iter().map(|&v| number_name(v)).collect();
    Some((values.iter().map(rank).collect(), names))
}

/// A numeric class's name: `2` for 2.0, `0.5` for 0.5 (Rust's shortest round-trip form).
fn number_name(v: f64) -> String {
    let v = if v == 0.0 { 0.0 } else { v };
    v.to_string()
}

/// The index of `value` among a model's classes: by name, or by numeric value for numeric
/// classes (`1.0` finds class `1`).
fn known_class(classes: &[String], value: &str) -> Option<u32> {
    let by_name = classes.iter().position(|c| c == value);
    let by_number = || {
        let n: f64 = value.parse().ok().filter(|v: &f64| v.is_finite())?;
        classes
            .iter()
            .position(|c| c.parse::<f64>().is_ok_and(|c| c == n))
    };
    by_name.or_else(by_number).map(|i| i as u32)
}

/// The header's names for a message: all of them, or the first 20 and how many there are.
fn listing(names: &[String]) -> String {
    const SHOWN: usize = 20;
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!("{}, … ({} in all)", names[..SHOWN].join(", "), names.len())
}

/// Header names: each at most [`MAX_NAME_BYTES`](crate::limits::MAX_NAME_BYTES) and given once.
fn check_header(path: &Path, names: &[String]) -> Result<(), DataError> {
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    for name in names {
        crate::limits::check_name("column", name).map_err(|reason| DataError::Malformed {
            path: path.to_owned(),
            line: 1,
            reason,
        })?;
        if !seen.insert(name.as_str()) {
            return Err(DataError::DuplicateColumn {
                path: path.to_owned(),
                column: name.clone(),
            });
        }
    }
    Ok(())
}

/// One line naming the file and the line for the csv crate's errors.
fn csv_error(path: &Path, error: csv::Error) -> DataError {
    let line = error.position().map_or(0, |p| p.line());
    let text = error.to_string();
    match error.into_kind() {
        ErrorKind::Io(source) => DataError::Io {
            path: path.to_owned(),
            source,
        },
        ErrorKind::UnequalLengths {
            expected_len,
            len,
            pos,
            ..
        } => DataError::Ragged {
            path: path.to_owned(),
            line: pos.map_or(line, |p| p.line()),
            expected: expected_len,
            found: len,
        },
        ErrorKind::Utf8 { pos, err } => DataError::Malformed {
            path: path.to_owned(),
            line: pos.map_or(line, |p| p.line()),
            reason: format!("not UTF-8 text ({err})"),
        },
        _ => DataError::Malformed {
            path: path.to_owned(),
            line,
            reason: text,
        },
    }
}
