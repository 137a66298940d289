//! What the commands print: text on stdout, and the one-line summary of an `--output-dir`
//! write on stderr.

use std::path::Path;

use sts_gen::sink;

/// Prints to stdout; a closed pipe (`| head`) is not an error worth a message.
pub(super) fn print_out(text: &str) -> Result<(), String> {
    match sink::stdout(text) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write to stdout: {e}")),
    }
}

/// `DIR: N objects written (a new, c changed, u unchanged), r removed; S Secrets written (mode
/// 0600)`, counted against what DIR holds before the write; `DIR: up to date (...)` when the
/// write changes nothing. Secret files are counted, never named. `changes` is None when the
/// directory could not be compared.
pub(super) fn summary(
    dir: &Path,
    files: &[sink::dir::OutFile],
    changes: Option<&sink::diff::Changes>,
) -> String {
    let is_object = |name: &str| name != "kustomization.yaml";
    let objects = files.iter().filter(|f| is_object(&f.name)).count();
    let secrets = files.iter().filter(|f| f.private).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let secrets = plural(secrets, "Secret");
    let Some(changes) = changes else {
        return format!(
            "{}: {} written; {secrets} written",
            dir.display(),
            plural(objects, "object")
        );
    };
    if changes.is_empty() {
        return format!(
            "{}: up to date ({}, {secrets})",
            dir.display(),
            plural(objects, "object")
        );
    }
    let added = changes.added.iter().filter(|f| is_object(f)).count();
    let changed = changes
        .changed
        .iter()
        .filter(|(f, ..)| is_object(f))
        .count();
    let mode = if secrets.starts_with("0 ") {
        ""
    } else {
        " (mode 0600)"
    };
    format!(
        "{}: {} written ({added} new, {changed} changed, {} unchanged), {} removed; {secrets} written{mode}",
        dir.display(),
        plural(objects, "object"),
        objects - added - changed,
        changes.removed.len()
    )
}
