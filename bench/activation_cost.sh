#!/bin/sh
# Instructions per inference on the emulated Cortex-M4F (mps2-an386) of an iris 4-16-16-3
# network whose two hidden layers have each activation in turn (softmax out), trained by
# `dendrite train` (30 epochs, seed 1) and measured by `cargo xtask cost`.
#
#   bench/activation_cost.sh [DIR]    # DIR keeps the specs, models and JSON (default: a temp dir)
set -eu
cd "$(dirname "$0")/.."
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
cargo build -q -p dendrite-cli
for act in relu sigmoid tanh relu6 leaky_relu elu selu softplus softsign silu gelu \
    hard_sigmoid hard_silu exponential; do
    cat > "$dir/$act.toml" <<TOML
[data]
path = "$PWD/examples/data/iris_train.csv"
label = "species"
standardize = true
[[layers]]
units = 16
activation = "$act"
[[layers]]
units = 16
activation = "$act"
[[layers]]
activation = "softmax"
[compile]
optimizer = { name = "adam", learning_rate = 0.01 }
[fit]
epochs = 30
batch_size = 8
test_split = 0.0
seed = 1
TOML
    target/debug/dendrite train --spec "$dir/$act.toml" --verbose 0 --out "$dir/$act.postcard" \
        > /dev/null
    cargo xtask cost --json --board mps2-an386 --model "$dir/$act.postcard" > "$dir/$act.json"
    printf '%s %s\n' "$act" \
        "$(grep -o '"instructions_per_inference": [0-9.]*' "$dir/$act.json" | cut -d' ' -f2)"
done
