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
    // 1,024 inputs to 16 units: 66 KB of weights.
    let wide = architecture(1024, &[(16, Relu), (1024, Softmax)]);
    let budget = Budget {
        weights_len: 1 << 20,
        ..MPS2
    };
    let err = check(&wide, 1000, &budget).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("the model does not fit mps2-an386: the firmware for 1024-16-1024"),
        "{text}"
    );
    assert!(text.ends_with("the board has 49152"), "{text}");
    assert!(matches!(err, FitError::Ram { need, .. } if need > 4 * (1024 * 16 + 16 * 1024)));
}
