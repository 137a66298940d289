//! Embeds templates/ and profiles/ (the presets) in the binary.

use std::fmt::Write;
use std::path::Path;

#[path = "src/render/guard_scan.rs"]
mod guard_scan;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let out_dir = std::env::var("OUT_DIR").unwrap();

    // The templates as text, compiled only when a render needs one (`render::Renderer`),
    // each with its whole-body guard; `--templates DIR` can still replace any template.
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=src/render/guard_scan.rs");
    let table = static_table(
        &Path::new(&root).join("templates"),
        |file| file.ends_with(".j2").then(|| file.to_string()),
        Some(guard_scan::whole_body_guard),
        "/// Bundled templates: (file name, source, whole-body guard), sorted by name.\npub static BUNDLED_TEMPLATES: &[(&str, &str, Option<&str>)]",
    );
    std::fs::write(Path::new(&out_dir).join("templates.rs"), table).unwrap();

    // Every profile in profiles/ is also a preset of the same name. The table holds static
    // text only: rendering one profile parses only the preset it names.
    println!("cargo:rerun-if-changed=profiles");
    let table = static_table(
        &Path::new(&root).join("profiles"),
        |file| file.strip_suffix(".yaml").map(str::to_string),
        None,
        "/// Bundled presets: (name, profile text), sorted by name.\npub static PRESETS: &[(&str, &str)]",
    );
    std::fs::write(Path::new(&out_dir).join("presets.rs"), table).unwrap();
}

/// A static table (`head` declares it) of (name, file text) for the files of `dir` that
/// `name_of` names, sorted by name, with what `derive` finds in the text as a third column;
/// the text is included, so the table is static data.
fn static_table(
    dir: &Path,
    name_of: fn(&str) -> Option<String>,
    derive: Option<fn(&str) -> Option<&str>>,
    head: &str,
) -> String {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let name = name_of(p.file_name()?.to_str()?)?;
            Some((name, p.display().to_string()))
        })
        .collect();
    files.sort();
    let mut out = format!("{head} = &[\n");
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={path}");
        let third = match derive {
            Some(derive) => {
                let text = std::fs::read_to_string(path).unwrap();
                format!(", {:?}", derive(&text))
            }
            None => String::new(),
        };
        writeln!(out, "    ({name:?}, include_str!({path:?}){third}),").unwrap();
    }
    out.push_str("];\n");
    out
}
