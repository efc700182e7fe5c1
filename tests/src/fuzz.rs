//! The bodies of the fuzz targets in `fuzz/`, shared with the regression tests that replay
//! their corpora on every CI run. Each takes untrusted bytes and must neither panic nor hang.

use dendrite_core::format::ModelView;
use dendrite_core::{Activation, Chain, Dense, Network};

/// Decodes `data` as a model file, as a whole file and as a flash region, and loads it into the
/// seed network's type. An accepted prefix must re-validate on its own; the forward pass must
/// run on whatever was accepted (extreme but finite weights may overflow to infinity: that is
/// arithmetic, not a decoding fault).
pub fn model_decode(data: &[u8]) {
    let _ = ModelView::from_bytes(data);
    let Ok(view) = ModelView::from_prefix(data) else {
        return;
    };
    let len = view.len();
    assert!(
        ModelView::from_bytes(&data[..len]).is_ok(),
        "prefix accepted, exact bytes refused"
    );
    let mut net: Network<3, Chain<3, 4, Dense<4, 2>>> = Network::new(Chain::new(
        Dense::zeroed(Activation::Relu),
        Dense::zeroed(Activation::Softmax),
    ));
    if net.load(&view).is_ok() {
        let _ = net.predict(&[0.5, -1.0, 2.0]);
    }
}
