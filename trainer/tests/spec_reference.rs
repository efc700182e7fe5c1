//! `docs/spec-reference.md`'s key tables are the ones the spec's types generate: a key added,
//! removed or given another default in the code fails here until `cargo xtask docs` rewrites
//! the document.

use dendrite_trainer::spec::reference;
use std::path::Path;

#[test]
fn committed_spec_reference_is_the_generated_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/spec-reference.md");
    let doc = std::fs::read_to_string(&path).expect("docs/spec-reference.md");
    let generated = reference::regenerate(&doc).expect("the generated section's markers");
    assert!(
        doc == generated,
        "docs/spec-reference.md's key tables differ from the spec's types: run `cargo xtask docs`"
    );
}
