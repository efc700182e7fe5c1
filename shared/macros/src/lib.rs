//! `dendrite-macros`: [`model!`], a typed network from a model file, at compile time.
//!
//! Use it through dendrite-core (`dendrite_core::model!`, feature `macros`), whose crate page
//! shows a whole program; the generated code names `::dendrite_core` items.
//!
//! The model file is read with dendrite-core's own reader: its `format`, `quant`, `wire` and
//! `activation` modules are compiled into this crate from their source files, so the macro
//! validates a file exactly as the device does (magic, version, checksum, shapes, finite values)
//! without a dependency on dendrite-core, which would be a cycle (dendrite-core re-exports the
//! macro).
// The reader's unit tests are dendrite-core's and run there; in this crate's test build they
// would name items it does not have.
#![cfg(not(test))]

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// dendrite-core's model-file reader, from its sources (see the crate documentation).
#[allow(dead_code, unused_imports, missing_docs, clippy::all)]
#[path = "../../src/activation.rs"]
mod activation;
#[allow(dead_code, unused_imports, missing_docs, clippy::all)]
#[path = "../../src/format/mod.rs"]
mod format;
#[allow(dead_code, unused_imports, missing_docs, clippy::all)]
#[path = "../../src/kernel.rs"]
mod kernel;
#[allow(dead_code, unused_imports, missing_docs, clippy::all)]
#[path = "../../src/quant/mod.rs"]
mod quant;
#[allow(dead_code, unused_imports, missing_docs, clippy::all)]
#[path = "../../src/wire.rs"]
mod wire;
use activation::Activation;
use format::{ModelView, Task};

/// A type for the model in a model file, checked at compile time.
///
/// ```text
/// dendrite_core::model!(Seed, "models/seed.postcard");
/// dendrite_core::model!(Seed, "models/seed.postcard", env = "DENDRITE_MODEL");
/// dendrite_core::model!(Seed, "models/seed.postcard", region);
/// ```
///
/// The path is relative to the directory of the crate's `Cargo.toml`. With `env = "VAR"`, the
/// environment variable `VAR`, when set and not empty, names the file instead (relative paths
/// again from the crate's directory), and changing it rebuilds the crate. A missing or invalid
/// file is a compile error that names the file and the reason.
///
/// The macro defines a `pub struct Seed` (the name given) with
/// - the constants `INPUT`, `OUTPUT`, `ARCHITECTURE`, `LAYERS`, `CLASSES` (class names, or
///   target names for regression), `FEATURES`, `MEAN` and `STD` (the input standardization),
///   `TASK` and `CRC`, all from the file;
/// - `Seed::new()` (a `const fn`): the model **compiled in**, its weights statics in flash. Not
///   generated with `region`, which builds in the architecture only;
/// - `Seed::from_region(&'static [u8])`: the model of the same architecture at the start of a
///   flash region, validated at start-up;
/// - `predict(&[f32; INPUT]) -> [f32; OUTPUT]`, `predict_into(&x, &mut outputs)` (the outputs
///   written into the caller's array, the same bits), `class(&outputs)` (Dendrite's class rule,
///   `dendrite_core::class_of`), `class_name(class)` and `predict_batch`.
///
/// Either way the forward pass reads the weights in place: the model costs the RAM of its
/// activations only. With `region`, an int8 model keeps each layer as one reference to its
/// words in the file (`dendrite_core::Int8WordsRef`), its arrays and parameters found when it
/// runs: a few bytes a layer in the model value.
///
/// An **int8** model file (`dendrite quantize`, or a TFLite int8 model through `dendrite
/// import`) gives the same API over a `dendrite_core::Int8NetworkRef`: `predict` standardizes
/// in f32, quantizes, runs the int8 layers and dequantizes, the bits of the host's int8 path.
/// Its type also has `INPUT_QUANTIZATION`, `OUTPUT_QUANTIZATION`, `predict_quantized` (the int8
/// outputs), `forward_quantized` (int8 in, int8 out) and `predict_with::<D>` and
/// `predict_into_with::<D>`, which take their inner products from a target's
/// `dendrite_core::quant::Dot` kernel (an f32 type has both too, which ignore `D`, so code
/// written for both kinds compiles for either). `DTYPE` says which kind
/// a type is; `from_region` refuses a model file of the other kind (`UnsupportedLayer`).
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(code) => code,
        Err((message, span)) => compile_error(&message, span),
    }
}

type Error = (String, Span);

/// What the invocation asks for.
struct Args {
    name: Ident,
    path: String,
    path_span: Span,
    env: Option<String>,
    region_only: bool,
}

fn parse(input: TokenStream) -> Result<Args, Error> {
    let usage = "expected `model!(Name, \"path/to/model.postcard\")`, optionally followed by \
                 `, env = \"VAR\"` and `, region`";
    let mut tokens = input.into_iter().peekable();
    let name = match tokens.next() {
        Some(TokenTree::Ident(name)) => name,
        other => return Err((usage.into(), span_of(other.as_ref()))),
    };
    comma(tokens.next(), usage)?;
    let (path, path_span) = string(tokens.next(), usage)?;
    let mut args = Args {
        name,
        path,
        path_span,
        env: None,
        region_only: false,
    };
    while let Some(token) = tokens.next() {
        comma(Some(token), usage)?;
        match tokens.next() {
            None => break,
            Some(TokenTree::Ident(option)) if option.to_string() == "region" => {
                args.region_only = true;
            }
            Some(TokenTree::Ident(option)) if option.to_string() == "env" => {
                match tokens.next() {
                    Some(TokenTree::Punct(p)) if p.as_char() == '=' => {}
                    other => return Err((usage.into(), span_of(other.as_ref()))),
                }
                args.env = Some(string(tokens.next(), usage)?.0);
            }
            other => return Err((usage.into(), span_of(other.as_ref()))),
        }
    }
    Ok(args)
}

fn span_of(token: Option<&TokenTree>) -> Span {
    token.map_or_else(Span::call_site, TokenTree::span)
}

fn comma(token: Option<TokenTree>, usage: &str) -> Result<(), Error> {
    match token {
        Some(TokenTree::Punct(p)) if p.as_char() == ',' => Ok(()),
        other => Err((usage.into(), span_of(other.as_ref()))),
    }
}

/// The value of a string literal (plain or raw, without escapes but `\\` and `\"`).
fn string(token: Option<TokenTree>, usage: &str) -> Result<(String, Span), Error> {
    let Some(TokenTree::Literal(lit)) = token else {
        return Err((usage.into(), span_of(token.as_ref())));
    };
    let text = lit.to_string();
    let raw = text
        .strip_prefix('r')
        .map(|t| t.trim_matches('#'))
        .and_then(|t| t.strip_prefix('"')?.strip_suffix('"'));
    let value = match raw {
        Some(raw) => raw.to_owned(),
        None => {
            let inner = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .ok_or_else(|| (usage.to_owned(), lit.span()))?;
            unescape(inner).ok_or_else(|| {
                (
                    "only `\\\\` and `\\\"` escapes are supported in the path; use a raw string"
                        .to_owned(),
                    lit.span(),
                )
            })?
        }
    };
    Ok((value, lit.span()))
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                c @ ('\\' | '"') => out.push(c),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn expand(input: TokenStream) -> Result<TokenStream, Error> {
    let args = parse(input)?;
    let chosen = args
        .env
        .as_deref()
        .and_then(|var| std::env::var(var).ok())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| args.path.clone());
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let file = base.join(&chosen);
    let bytes = std::fs::read(&file).map_err(|e| {
        (
            format!("model file `{chosen}` cannot be read: {e}"),
            args.path_span,
        )
    })?;
    let view = ModelView::from_bytes(&bytes).map_err(|e| {
        (
            format!("model file `{chosen}` is invalid: {e}"),
            args.path_span,
        )
    })?;
    let code = generate(&args, &chosen, &file, &view);
    code.parse().map_err(|e| {
        (
            format!("dendrite-macros generated invalid code (a bug): {e:?}"),
            Span::call_site(),
        )
    })
}

/// A float as a Rust literal that reads back to the same bits (`Debug` is the shortest
/// round-trip representation; the file's values are finite).
fn float(v: f32) -> String {
    format!("{v:?}f32")
}

fn floats<'a>(values: impl IntoIterator<Item = &'a f32>) -> String {
    let mut out = String::from("[");
    for v in values {
        let _ = write!(out, "{},", float(*v));
    }
    out.push(']');
    out
}

fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> (usize, String) {
    let mut out = String::from("[");
    let mut count = 0;
    for v in values {
        let _ = write!(out, "{v:?},");
        count += 1;
    }
    out.push(']');
    (count, out)
}

fn marker(a: Activation) -> String {
    format!("::dendrite_core::act::{a:?}")
}

/// `QuantParams { scale, zero_point }` as a Rust expression.
fn quant_params(p: quant::QuantParams) -> String {
    format!(
        "::dendrite_core::quant::QuantParams {{ scale: {}, zero_point: {} }}",
        float(p.scale),
        p.zero_point
    )
}

fn ints(values: impl IntoIterator<Item = impl std::fmt::Display>) -> String {
    let mut out = String::from("[");
    for v in values {
        let _ = write!(out, "{v},");
    }
    out.push(']');
    out
}

/// The typed layers of a model: their type, their value (over the statics of `module`, when
/// compiled in) and the statics.
struct Layers {
    ty: String,
    value: String,
    statics: String,
}

/// `ChainRef<w0, w1, A0, ChainRef<… DenseRef<w_{n-1}, w_n, A_{n-1}>>>` (or their int8
/// counterparts, prefixed `Int8`), and its value from the per-layer values `layer(i)`.
fn chain(
    prefix: &str,
    widths: &[usize],
    layers: &[format::LayerView<'_>],
    layer: impl Fn(usize) -> String,
) -> (String, String) {
    let n = layers.len();
    let mut ty = format!(
        "::dendrite_core::{prefix}DenseRef<'static, {}, {}, {}>",
        widths[n - 1],
        widths[n],
        marker(layers[n - 1].activation)
    );
    let mut value = layer(n - 1);
    for i in (0..n - 1).rev() {
        ty = format!(
            "::dendrite_core::{prefix}ChainRef<'static, {}, {}, {}, {ty}>",
            widths[i],
            widths[i + 1],
            marker(layers[i].activation)
        );
        value = format!(
            "::dendrite_core::{prefix}ChainRef::new({}, {value})",
            layer(i)
        );
    }
    (ty, value)
}

fn f32_layers(
    module: &str,
    widths: &[usize],
    layers: &[format::LayerView<'_>],
    compiled_in: bool,
) -> Layers {
    let (ty, value) = chain("", widths, layers, |i| {
        format!("::dendrite_core::DenseRef::new(&{module}::K{i}, &{module}::B{i})")
    });
    let mut statics = String::new();
    for (i, layer) in layers.iter().enumerate().filter(|_| compiled_in) {
        let weights: Vec<f32> = layer.kernel.iter().collect();
        let mut rows = String::from("[");
        for row in weights.chunks(widths[i].max(1)) {
            rows.push_str(&floats(row));
            rows.push(',');
        }
        rows.push(']');
        let bias: Vec<f32> = layer.bias.iter().collect();
        let _ = write!(
            statics,
            "pub static K{i}: [[f32; {}]; {}] = {rows};\npub static B{i}: [f32; {}] = {};\n",
            widths[i],
            widths[i + 1],
            widths[i + 1],
            floats(&bias)
        );
    }
    Layers { ty, value, statics }
}

fn int8_layers(
    module: &str,
    widths: &[usize],
    layers: &[format::LayerView<'_>],
    compiled_in: bool,
) -> Layers {
    // Every layer is int8 (the reader refuses a model that mixes weight types).
    let q = |i: usize| layers[i].int8.expect("an int8 layer");
    let (ty, value) = chain("Int8", widths, layers, |i| {
        let l = q(i);
        let activation = match (l.softmax, l.lut) {
            (Some(p), _) => format!(
                "::dendrite_core::quant::QuantizedActivation::Softmax(\
                 ::dendrite_core::quant::SoftmaxParams {{ input_multiplier: {}, \
                 input_left_shift: {}, diff_min: {} }})",
                p.input_multiplier, p.input_left_shift, p.diff_min
            ),
            (None, Some(_)) => {
                format!("::dendrite_core::quant::QuantizedActivation::Lut(&{module}::T{i})")
            }
            (None, None) => "::dendrite_core::quant::QuantizedActivation::None".to_owned(),
        };
        format!(
            "::dendrite_core::Int8DenseRef::new(&{module}::W{i}, &{module}::B{i}, \
             &{module}::M{i}, &{module}::S{i}, ::dendrite_core::Int8Params {{ input: {}, \
             output: {}, activation_output: {}, activation_min: {}, activation_max: {} }}, \
             {activation})",
            quant_params(l.input),
            quant_params(l.output),
            quant_params(l.activation_output),
            l.activation_min,
            l.activation_max
        )
    });
    // Read from a region, each layer is one reference to its words in the file, its arrays
    // and parameters found at offsets fixed by its widths when it runs
    // (`dendrite_core::Int8WordsRef`): 4 bytes a layer in the network value, not 60.
    let ty = if compiled_in {
        ty
    } else {
        words_chain(widths, layers)
    };
    let mut statics = String::new();
    for i in (0..layers.len()).filter(|_| compiled_in) {
        let l = q(i);
        let (fan_in, units) = (widths[i], widths[i + 1]);
        let mut rows = String::from("[");
        for row in l.weights.chunks(fan_in.max(1)) {
            rows.push_str(&ints(row));
            rows.push(',');
        }
        rows.push(']');
        let _ = writeln!(
            statics,
            "pub static W{i}: [[i8; {fan_in}]; {units}] = {rows};\n\
             pub static B{i}: [i32; {units}] = {};\n\
             pub static M{i}: [i32; {units}] = {};\n\
             pub static S{i}: [i32; {units}] = {};",
            ints(l.bias.iter()),
            ints(l.multiplier.iter()),
            ints(l.shift.iter()),
        );
        if let Some(lut) = l.lut {
            let _ = writeln!(statics, "pub static T{i}: [i8; 256] = {};", ints(lut));
        }
    }
    Layers { ty, value, statics }
}

/// `Int8WordsChainRef<w0, w1, WORDS0, A0, … Int8WordsRef<w_{n-1}, w_n, WORDS, A_{n-1}>>`: the
/// int8 layers read from a region, each one reference to its words, whose count
/// `dendrite_core::int8_layer_words` computes.
fn words_chain(widths: &[usize], layers: &[format::LayerView<'_>]) -> String {
    let n = layers.len();
    let words = |i: usize| {
        format!(
            "{{ ::dendrite_core::int8_layer_words({}, {}, ::dendrite_core::Activation::{:?}) }}",
            widths[i + 1],
            widths[i],
            layers[i].activation
        )
    };
    let mut ty = format!(
        "::dendrite_core::Int8WordsRef<'static, {}, {}, {}, {}>",
        widths[n - 1],
        widths[n],
        words(n - 1),
        marker(layers[n - 1].activation)
    );
    for i in (0..n - 1).rev() {
        ty = format!(
            "::dendrite_core::Int8WordsChainRef<'static, {}, {}, {}, {}, {ty}>",
            widths[i],
            widths[i + 1],
            words(i),
            marker(layers[i].activation)
        );
    }
    ty
}

fn generate(args: &Args, chosen: &str, file: &Path, view: &ModelView<'_>) -> String {
    let int8 = view.layers().any(|l| l.dtype == format::DType::I8);
    let name = args.name.to_string();
    let module = format!("__dendrite_model_{name}");
    let arch = view.architecture();
    let input = usize::from(arch.input);
    let output = usize::from(arch.output());
    let layers: Vec<_> = view.layers().collect();
    let mut widths = vec![input];
    widths.extend(layers.iter().map(|l| usize::from(l.units)));
    let n = layers.len();

    let compiled_in = !args.region_only;
    let Layers {
        ty,
        value,
        statics: layer_statics,
    } = if int8 {
        int8_layers(&module, &widths, &layers, compiled_in)
    } else {
        f32_layers(&module, &widths, &layers, compiled_in)
    };

    let mean: Vec<f32> = view.mean().iter().collect();
    let std: Vec<f32> = view.std().iter().collect();
    let mut statics = String::new();
    if compiled_in {
        let _ = write!(
            statics,
            "pub static MEAN: [f32; {input}] = {};\npub static STD: [f32; {input}] = {};\n{layer_statics}",
            floats(&mean),
            floats(&std)
        );
    }
    let env_dependency = args.env.as_ref().map_or(String::new(), |var| {
        format!("const _: ::core::option::Option<&str> = ::core::option_env!({var:?});\n")
    });

    let (class_count, classes) = strings(view.classes());
    let (feature_count, features) = strings(view.features());
    let task = match view.task() {
        Task::Classification => "::dendrite_core::format::Task::Classification".to_owned(),
        Task::Regression { mean, std } => format!(
            "::dendrite_core::format::Task::Regression {{ mean: &{}, std: &{} }}",
            floats(&mean.iter().collect::<Vec<_>>()),
            floats(&std.iter().collect::<Vec<_>>())
        ),
        Task::Anomaly { threshold } => format!(
            "::dendrite_core::format::Task::Anomaly {{ threshold: {} }}",
            float(threshold)
        ),
    };
    let mut layer_list = String::from("[");
    for l in &layers {
        let _ = write!(
            layer_list,
            "({}, ::dendrite_core::Activation::{:?}),",
            l.units, l.activation
        );
    }
    layer_list.push(']');
    let last = layers[n - 1].activation;

    let network = if int8 {
        format!("::dendrite_core::Int8NetworkRef<'static, {input}, {output}, {module}::Layers>")
    } else {
        format!("::dendrite_core::NetworkRef<'static, {input}, {module}::Layers>")
    };
    let network_new = if int8 {
        "::dendrite_core::Int8NetworkRef::new"
    } else {
        "::dendrite_core::NetworkRef::new"
    };
    let constructor = if compiled_in {
        format!(
            "/// The model compiled into the program: its weights are statics (in flash on the \
             target), read in place by [`predict`](Self::predict).\n\
             pub const fn new() -> Self {{\n\
                 {name}({network_new}(&{module}::MEAN, &{module}::STD, {value}))\n\
             }}\n"
        )
    } else {
        String::new()
    };
    let default = if compiled_in {
        format!(
            "impl ::core::default::Default for {name} {{\n\
                 fn default() -> Self {{ Self::new() }}\n\
             }}\n"
        )
    } else {
        String::new()
    };
    let dtype = if int8 { "I8" } else { "F32" };
    let int8_api = if int8 {
        let (first, last_q) = (
            layers[0].int8.expect("an int8 layer").input,
            layers[n - 1].int8.expect("an int8 layer").activation_output,
        );
        format!(
            r#"
    /// The quantization of the standardized inputs (TFLite's `QUANTIZE`).
    pub const INPUT_QUANTIZATION: ::dendrite_core::quant::QuantParams = {};
    /// The quantization of the int8 outputs ([`predict`](Self::predict) dequantizes them).
    pub const OUTPUT_QUANTIZATION: ::dendrite_core::quant::QuantParams = {};

    /// [`predict_into`](Self::predict_into) with the inner products of `D`, a target's faster
    /// kernel (`dendrite_core::quant::Dot`): the same bits.
    ///
    /// The pass holds two int8 buffers of the widest activation ({width} values), each layer
    /// writing into the one its input is not in, and dequantizes the last one straight into
    /// `out`: the f32 outputs are the caller's array, not the pass's.
    #[inline(never)]
    pub fn predict_into_with<D: ::dendrite_core::quant::Dot>(&self, x: &[f32; {input}], out: &mut [f32; {output}]) {{
        let (mut a, mut b) = ([0i8; {width}], [0i8; {width}]);
        self.0.predict_into::<D>(x, &mut a, &mut b, out)
    }}

    /// [`predict`](Self::predict) with the inner products of `D`, a target's faster kernel
    /// (`dendrite_core::quant::Dot`): the same bits. The outputs are returned in an array of
    /// this frame ({output_bytes} bytes); [`predict_into_with`](Self::predict_into_with) writes
    /// them into the caller's.
    #[inline]
    pub fn predict_with<D: ::dendrite_core::quant::Dot>(&self, x: &[f32; {input}]) -> [f32; {output}] {{
        let mut out = [0.0; {output}];
        self.predict_into_with::<D>(x, &mut out);
        out
    }}

    /// The int8 outputs of one raw input, before the dequantization: standardization,
    /// quantization, the int8 layers.
    pub fn predict_quantized(&self, x: &[f32; {input}]) -> [i8; {output}] {{
        self.0.predict_quantized(x)
    }}

    /// [`predict_quantized`](Self::predict_quantized) with the inner products of `D`.
    pub fn predict_quantized_with<D: ::dendrite_core::quant::Dot>(&self, x: &[f32; {input}]) -> [i8; {output}] {{
        self.0.predict_quantized_with::<D>(x)
    }}

    /// The int8 layers on int8 inputs (what TFLite's interpreter computes for a model with
    /// int8 input and output tensors).
    pub fn forward_quantized(&self, x: &[i8; {input}]) -> [i8; {output}] {{
        self.0.forward_quantized::<::dendrite_core::quant::Scalar>(x)
    }}
"#,
            quant_params(first),
            quant_params(last_q),
            width = widths.iter().copied().max().unwrap_or(0),
            output_bytes = 4 * output,
        )
    } else {
        format!(
            r#"
    /// [`predict`](Self::predict): an f32 model has no integer inner products, so `D` (a
    /// `dendrite_core::quant::Dot` kernel for int8 models) is not used. Code written for both
    /// kinds of model calls this one.
    #[inline(always)]
    pub fn predict_with<D: ::dendrite_core::quant::Dot>(&self, x: &[f32; {input}]) -> [f32; {output}] {{
        self.predict(x)
    }}

    /// [`predict_into`](Self::predict_into); `D` is not used, as in
    /// [`predict_with`](Self::predict_with).
    #[inline(always)]
    pub fn predict_into_with<D: ::dendrite_core::quant::Dot>(&self, x: &[f32; {input}], out: &mut [f32; {output}]) {{
        self.predict_into(x, out)
    }}
"#
        )
    };
    let (predict_body, predict_into_body) = if int8 {
        (
            "self.predict_with::<::dendrite_core::quant::Scalar>(x)",
            "self.predict_into_with::<::dendrite_core::quant::Scalar>(x, out)",
        )
    } else {
        ("self.0.predict(x)", "self.0.predict_into(x, out)")
    };
    let crc = view.crc();
    let path_literal = format!("{:?}", file.display().to_string());
    let kind = if int8 { "an int8" } else { "an f32" };

    format!(
        r#"
/// A Dendrite model of architecture `{arch}`, from the model file `{chosen}` ({kind} model).
#[derive(Clone, Copy, Debug)]
pub struct {name}({network});

#[doc(hidden)]
#[allow(non_snake_case, clippy::all, clippy::pedantic)]
pub mod {module} {{
    /// The layers, typed by their widths and activations.
    pub type Layers = {ty};
    {statics}
    // The model file and the variable that names it are inputs of this crate: editing either
    // rebuilds it.
    const _: &[u8] = ::core::include_bytes!({path_literal});
    {env_dependency}
}}

#[allow(clippy::all, clippy::pedantic)]
impl {name} {{
    /// The number of inputs.
    pub const INPUT: usize = {input};
    /// The number of outputs.
    pub const OUTPUT: usize = {output};
    /// The architecture, as `dendrite info` prints it.
    pub const ARCHITECTURE: &'static str = "{arch}";
    /// Each layer's width and activation, input side first.
    pub const LAYERS: [(u16, ::dendrite_core::Activation); {n}] = {layer_list};
    /// How the layers store their weights: every model file of this type has the same.
    pub const DTYPE: ::dendrite_core::format::DType = ::dendrite_core::format::DType::{dtype};
    /// The class names (the target names for a regression), one per class, when the file has
    /// them.
    pub const CLASSES: [&'static str; {class_count}] = {classes};
    /// The input feature names, when the file has them.
    pub const FEATURES: [&'static str; {feature_count}] = {features};
    /// The input standardization's mean, per input.
    pub const MEAN: [f32; {input}] = {mean};
    /// The input standardization's standard deviation, per input.
    pub const STD: [f32; {input}] = {std};
    /// What the outputs mean.
    pub const TASK: ::dendrite_core::format::Task<&'static [f32]> = {task};
    /// The model file's CRC-32.
    pub const CRC: u32 = {crc:#010x};

    {constructor}

    /// The model of this architecture and weight type at the start of `region` (a flash region
    /// that `dendrite flash` or probe-rs rewrites), validated (magic, version, checksum, finite
    /// values, architecture); its weights are read in place.
    ///
    /// # Errors
    /// Why the region holds no model of this architecture, `UnsupportedLayer` when its
    /// weights are of the other type (f32 or int8), or `Unaligned` when it does not start at a
    /// 4-byte-aligned address.
    pub fn from_region(
        region: &'static [u8],
    ) -> ::core::result::Result<Self, ::dendrite_core::format::DecodeError> {{
        <{network}>::from_region(region).map({name})
    }}

    /// The model of this architecture and weight type in a validated model file, read in
    /// place (what [`from_region`](Self::from_region) does after validating the region).
    ///
    /// # Errors
    /// As [`from_region`](Self::from_region), but for the file's own validation.
    pub fn from_view(
        view: &::dendrite_core::format::ModelView<'static>,
    ) -> ::core::result::Result<Self, ::dendrite_core::format::DecodeError> {{
        <{network}>::view(view).map({name})
    }}

    /// The forward pass: standardization, then every layer, on one raw input.
    #[inline(never)]
    pub fn predict(&self, x: &[f32; {input}]) -> [f32; {output}] {{
        {predict_body}
    }}

    /// [`predict`](Self::predict), the outputs written into the caller's `out` (every value
    /// overwritten): the same bits, without an output array of the pass's own.
    #[inline(never)]
    pub fn predict_into(&self, x: &[f32; {input}], out: &mut [f32; {output}]) {{
        {predict_into_body}
    }}
{int8_api}
    /// The class that `outputs` pick: Dendrite's one class rule (`dendrite_core::class_of`).
    pub fn class(&self, outputs: &[f32; {output}]) -> usize {{
        ::dendrite_core::class_of(outputs, ::dendrite_core::Activation::{last:?})
    }}

    /// The name of `class`, when the file names its classes.
    pub fn class_name(&self, class: usize) -> ::core::option::Option<&'static str> {{
        Self::CLASSES.get(class).copied()
    }}

    /// [`predict`](Self::predict) on each input, into `outputs` in order; stops at the end of
    /// the shorter slice and returns how many it ran.
    pub fn predict_batch(&self, inputs: &[[f32; {input}]], outputs: &mut [[f32; {output}]]) -> usize {{
        let mut count = 0;
        for (x, y) in inputs.iter().zip(outputs) {{
            self.predict_into(x, y);
            count += 1;
        }}
        count
    }}

    /// The network itself: its layers and standardization, borrowed in place.
    pub const fn network(&self) -> &{network} {{
        &self.0
    }}
}}
{default}
"#,
        mean = floats(&mean),
        std = floats(&std),
    )
}

/// `compile_error!("message")` at `span`.
fn compile_error(message: &str, span: Span) -> TokenStream {
    let mut literal = Literal::string(message);
    literal.set_span(span);
    let mut bang = Punct::new('!', Spacing::Alone);
    bang.set_span(span);
    let mut group = Group::new(
        Delimiter::Parenthesis,
        TokenStream::from(TokenTree::Literal(literal)),
    );
    group.set_span(span);
    let mut semi = Punct::new(';', Spacing::Alone);
    semi.set_span(span);
    [
        TokenTree::Ident(Ident::new("compile_error", span)),
        TokenTree::Punct(bang),
        TokenTree::Group(group),
        TokenTree::Punct(semi),
    ]
    .into_iter()
    .collect()
}
