use super::*;
use dendrite_core::Activation::{Relu, Softmax};

fn architecture(input: u16, layers: &[(u16, dendrite_core::Activation)]) -> Architecture {
    Architecture {
        input,
        layers: layers.iter().copied().collect(),
    }
}

const MPS2: Budget = Budget {
    board: "mps2-an386",
    weights_len: 16 * 1024,
    ram_len: 48 * 1024,
};

#[test]
fn the_seed_and_the_digits_model_fit_an_mps2_board() {
    assert_eq!(
        check(&architecture(3, &[(4, Relu), (2, Softmax)]), 196, &MPS2),
        Ok(())
    );
    let digits = architecture(64, &[(32, Relu), (10, Softmax)]);
    assert_eq!(check(&digits, 10_300, &MPS2), Ok(()));
}

#[test]
fn a_file_larger_than_the_weights_region_is_named_with_both_figures() {
    let err = check(&architecture(3, &[(2, Softmax)]), 20_000, &MPS2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the model does not fit mps2-an386: its file is 20000 bytes, the board's weights \
         region holds 16384"
    );
}

#[test]
fn a_network_larger_than_the_ram_is_named_with_both_figures() {
    // 8,192 inputs: two frames of 32 KB each.
    let wide = architecture(8192, &[(16, Relu), (4, Softmax)]);
    let budget = Budget {
        weights_len: 1 << 20,
        ..MPS2
    };
    let err = check(&wide, 1000, &budget).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("the model does not fit mps2-an386: the firmware for 8192-16-4"),
        "{text}"
    );
    assert!(text.ends_with("the board has 49152"), "{text}");
    assert!(matches!(err, FitError::Ram { need, .. } if need > 2 * 4 * 8192));
}

#[test]
fn weights_read_in_place_take_no_ram() {
    // An autoencoder of about 270,000 weights (1 MB in f32, 270 KB in int8), all in the
    // weights region: RAM holds the frames and the activations.
    let autoencoder = architecture(
        640,
        &[
            (128, Relu),
            (128, Relu),
            (128, Relu),
            (128, Relu),
            (8, Relu),
            (128, Relu),
            (128, Relu),
            (640, dendrite_core::Activation::Linear),
        ],
    );
    let budget = Budget {
        weights_len: 1 << 20,
        ..MPS2
    };
    assert_eq!(check(&autoencoder, 280_000, &budget), Ok(()));
    let (need, activations, _) = static_ram(&autoencoder);
    assert_eq!(activations, 4 * 2 * 640);
    assert!(need < 32 * 1024, "{need}"); // the frames for 640 values dominate
}
