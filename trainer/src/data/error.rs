//! What reading a user's data can go wrong with: each message is one line naming the file, the
//! line and the column, and saying what to do.

use std::path::PathBuf;

/// A CSV file the trainer cannot use, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file has no header line at all.
    #[error("{path}: the file is empty: give a header line with the column names, then one row per sample")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The first line holds numbers, not column names.
    #[error("{path}:1: no header line: the first line `{first}` looks like data; add a line with the column names")]
    MissingHeader {
        /// The file.
        path: PathBuf,
        /// The first line, as read.
        first: String,
    },
    /// There is no feature column to learn from: the header holds only the label (or
    /// `--features` named none).
    #[error("{path}:1: no feature columns: besides the label, the file needs at least one column of numbers")]
    NoFeatures {
        /// The file.
        path: PathBuf,
    },
    /// A column named on the command line or in the spec is not in the header.
    #[error("{path}:1: no column `{column}` in the header; the columns are: {available}")]
    UnknownColumn {
        /// The file.
        path: PathBuf,
        /// The name asked for.
        column: String,
        /// The header's names, comma-separated.
        available: String,
    },
    /// A row does not have as many fields as the header.
    #[error("{path}:{line}: {found} fields, but the header has {expected}: every row needs one value per column")]
    Ragged {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// Fields in the header.
        expected: u64,
        /// Fields in the row.
        found: u64,
    },
    /// The CSV itself is malformed (bad quoting, invalid UTF-8).
    #[error("{path}:{line}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The parser's complaint.
        reason: String,
    },
    /// A feature field is empty.
    #[error("{path}:{line}: column `{column}` is empty: every feature needs a number")]
    EmptyField {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The column's name.
        column: String,
    },
    /// A feature field is not a number.
    #[error(
        "{path}:{line}: column `{column}`: `{value}` is not a number; features must be numeric"
    )]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The column's name.
        column: String,
        /// The field.
        value: String,
    },
    /// A feature field is NaN or infinite.
    #[error("{path}:{line}: column `{column}`: `{value}` is not a finite number; remove or fill in the row")]
    NotFinite {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The column's name.
        column: String,
        /// The field.
        value: String,
    },
    /// A label is not one of the model's classes.
    #[error(
        "{path}:{line}: column `{column}`: `{value}` is not one of the model's classes: {classes}"
    )]
    UnknownClass {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The label column's name.
        column: String,
        /// The label.
        value: String,
        /// The classes the model knows, comma-separated.
        classes: String,
    },
    /// The header has a data row under it, but no data rows.
    #[error("{path}: no data rows under the header: give at least one sample")]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// Every row has the same label: there is nothing to tell apart.
    #[error("{path}: column `{column}` holds one class only (`{class}`): a classifier needs at least two")]
    SingleClass {
        /// The file.
        path: PathBuf,
        /// The label column.
        column: String,
        /// The one class.
        class: String,
    },
    /// The label column holds more distinct values than
    /// [`MAX_CLASSES`](crate::limits::MAX_CLASSES).
    #[error("{path}:{line}: column `{column}`: more than {max} distinct classes (a classifier here has at most {max} outputs); is `{column}` the label column?", max = crate::limits::MAX_CLASSES)]
    ClassLimit {
        /// The file.
        path: PathBuf,
        /// The line where the limit was passed (1-based, header included).
        line: u64,
        /// The label column.
        column: String,
    },
    /// The file holds more than a stated limit of [`crate::limits`] allows.
    #[error("{path}:{line}: {reason}")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The line where the limit was passed (1 for the header).
        line: u64,
        /// Which limit, with its value.
        reason: String,
    },
    /// Two header columns have the same name, so a column named by the user or the model is
    /// ambiguous.
    #[error(
        "{path}:1: column `{column}` appears twice in the header: give every column its own name"
    )]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated name.
        column: String,
    },
    /// The label column is also named as a feature: the model would read the answer.
    #[error(
        "{path}:1: column `{column}` is the label and also a feature: leave it out of the features"
    )]
    LabelIsFeature {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// The labels name more classes than the model has outputs.
    #[error("{path}: column `{column}` holds {found} classes but the model's output layer has {outputs} units: give the output layer {found} units (or leave `units` out of the last layer)")]
    TooManyClasses {
        /// The file.
        path: PathBuf,
        /// The label column.
        column: String,
        /// Classes found.
        found: usize,
        /// Units of the output layer.
        outputs: usize,
    },
    /// A split leaves one side without samples, or the fraction is out of range.
    #[error("{option} = {value}: {reason}")]
    BadSplit {
        /// The option.
        option: &'static str,
        /// The value given.
        value: f64,
        /// Why it cannot be used.
        reason: String,
    },
}
