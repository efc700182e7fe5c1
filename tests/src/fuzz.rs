//! The bodies of the fuzz targets in `fuzz/`, shared with the regression tests that replay
//! their corpora on every CI run. Each takes untrusted bytes and must neither panic nor hang.

mod device;

pub use device::{firmware_serve, protocol_diff};

use dendrite_core::act::{Relu, Softmax};
use dendrite_core::format::ModelView;
use dendrite_core::{Chain, Dense, Network};

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
    let mut net: Network<3, Chain<3, 4, Relu, Dense<4, 2, Softmax>>> =
        Network::new(Chain::new(Dense::zeroed(), Dense::zeroed()));
    if net.load(&view).is_ok() {
        let _ = net.predict(&[0.5, -1.0, 2.0]);
    }
}

/// Feeds `data` byte by byte into the firmware's frame receiver and decodes every frame as a
/// request, as the device does, and as a response, as the host does. A decoded request must
/// re-encode into a frame that decodes to the same request.
pub fn frame_decode(data: &[u8]) {
    use dendrite_core::protocol::{self, FrameReceiver, Request, Response};
    use dendrite_firmware::network::FRAME;
    let mut receiver = FrameReceiver::<[u8; FRAME]>::new();
    for &byte in data {
        let Some(Ok(frame)) = receiver.push(byte) else {
            continue;
        };
        let mut copy = frame.to_vec();
        let _ = protocol::decode::<Response>(&mut copy);
        if let Ok(request) = protocol::decode::<Request>(frame) {
            // A request the frame held re-encodes into as many bytes.
            let mut buf = [0u8; FRAME];
            let encoded = protocol::encode(&request, &mut buf).expect("a decoded request fits");
            let mut again = encoded.to_vec();
            let back: Request = protocol::decode(&mut again).expect("re-encoded request decodes");
            assert_eq!(
                format!("{back:?}"),
                format!("{request:?}"),
                "request changed in a round trip"
            );
        }
    }
}

/// Reads `data` as a CSV file with a `label` column, as `dendrite train --data` does. Whatever
/// the bytes, the result is a dataset or an error naming where the file is wrong.
pub fn csv_read(data: &[u8]) {
    use dendrite_trainer::data::{read_csv_from, CsvColumns};
    let columns = CsvColumns {
        label: Some("label"),
        ..CsvColumns::default()
    };
    let path = std::path::Path::new("fuzz.csv");
    if let Err(e) = read_csv_from(data, path, &columns) {
        assert!(
            e.to_string().contains("fuzz.csv"),
            "error without the file name: {e}"
        );
    }
}

/// Parses `data` as a model spec file, as `dendrite train --spec` does, and builds the model it
/// describes for 3 inputs and 2 classes.
pub fn spec_parse(data: &[u8]) {
    use dendrite_trainer::spec::ModelSpec;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = ModelSpec::from_toml(text, "fuzz.toml") {
        if let Ok(mut model) = spec.build(3, 2) {
            let _ = spec.compile(&mut model);
        }
    }
}

/// Reads `data` as a Keras file (`.keras` archive, `.h5` model or weights), as `dendrite
/// import` does, and converts what it accepts to a model file: damage is an error, never a
/// panic.
pub fn keras_read(data: &[u8]) {
    use dendrite_trainer::keras::KerasModel;
    let path = std::path::Path::new("fuzz.keras");
    if let Ok(model) = KerasModel::from_bytes(data.to_vec(), path, None) {
        let _ = model.to_model_bytes(Vec::new());
    }
}

/// Reads `data` as a TFLite flatbuffer, as `dendrite import m.tflite` does, then writes what
/// was accepted as a model file and runs it once: an accepted file must encode, and run or say
/// why not.
pub fn tflite_read(data: &[u8]) {
    use dendrite_trainer::tflite::{import, Imported};
    let Ok(imported) = import(data) else {
        return;
    };
    if let Imported::Int8 { model, .. } = &imported {
        let _ = model.predict_quantized(&vec![0; model.inputs()]);
    }
    if let Ok(bytes) = imported.to_model_bytes() {
        if let Ok(host) =
            dendrite_trainer::HostModel::from_bytes(&bytes, std::path::Path::new("fuzz.tflite"))
        {
            let _ = host.predict(&vec![0.5; host.input()]);
        }
    }
}
