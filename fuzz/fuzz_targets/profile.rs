//! Fuzz target: arbitrary bytes through the whole pipeline, load → model → render → check →
//! emit. Any input may be rejected (an `Err`); none may panic, hang or exhaust memory.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sts_gen::render::Renderer;

/// Compiling the embedded templates is costly: do it once per process.
static RENDERER: OnceLock<Renderer> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let renderer =
        RENDERER.get_or_init(|| Renderer::new(None).expect("the embedded templates compile"));
    // `/nonexistent`: a `fromFile` can never read a real file during fuzzing.
    let Ok(loaded) = sts_gen::profile::load_bytes("fuzz.yaml", data, Path::new("/nonexistent"))
    else {
        return;
    };
    let Ok(docs) = sts_gen::build(&loaded, &sts_gen::model::Options::default(), renderer) else {
        return;
    };
    let yaml = sts_gen::emit::to_yaml(&docs);
    let json = sts_gen::emit::to_json(&docs);
    // Keep the optimizer from dropping the emit stage.
    std::hint::black_box((yaml, json));
});
