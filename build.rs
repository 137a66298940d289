//! Embeds templates/ and profiles/ (the presets) in the binary.

use std::fmt::Write;

fn main() {
    // `--templates DIR` can still replace any template at run time.
    minijinja_embed::embed_templates!("templates");

    // Every profile in profiles/ is also a preset of the same name. The table holds static
    // text only: rendering one profile parses only the preset it names.
    println!("cargo:rerun-if-changed=profiles");
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("profiles");
    let mut presets: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            (name, p.display().to_string())
        })
        .collect();
    presets.sort();
    let mut out = String::from("/// Bundled presets: (name, profile text), sorted by name.\npub static PRESETS: &[(&str, &str)] = &[\n");
    for (name, path) in &presets {
        println!("cargo:rerun-if-changed={path}");
        writeln!(out, "    ({name:?}, include_str!({path:?})),").unwrap();
    }
    out.push_str("];\n");
    let dst = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("presets.rs");
    std::fs::write(dst, out).unwrap();
}
