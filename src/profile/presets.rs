//! The bundled presets: every profile in `profiles/`, embedded at build time.

include!(concat!(env!("OUT_DIR"), "/presets.rs"));

/// The text of a preset.
pub fn get(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Every preset name, sorted.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// A preset's one-line description: its first comment line.
pub fn description(text: &str) -> &str {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix('#'))
        .map(str::trim)
        .unwrap_or("")
}

/// Keys of a preset that are not inherited: an installation's identity and its site
/// placement come from the user's profile.
pub const NOT_INHERITED: &[&[&str]] = &[
    &["name"],
    &["namespace"],
    &["createNamespace"],
    &["storage", "local"],
];
