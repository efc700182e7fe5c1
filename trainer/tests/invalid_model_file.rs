//! A refused model file keeps dendrite-core's reason as a value, not as text.

use dendrite_core::format::DecodeError;
use dendrite_trainer::{Error, HostModel};
use std::path::Path;

#[test]
fn the_decoders_reason_is_typed() {
    let origin = Path::new("model.postcard");
    let err = HostModel::from_bytes(&[], origin).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidModelFile {
                reason: DecodeError::Empty,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("model.postcard: not a valid model file: "),
        "{err}"
    );
}
