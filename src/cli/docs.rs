//! Documents generated from the command line and the profile types: shell completions, the
//! man page and the profile's JSON Schema.

use super::{print_out, Cli};
use sts_gen::profile;

/// `sts-gen completions SHELL`.
pub(super) fn completions(shell: clap_complete::Shell) -> Result<(), String> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "sts-gen",
        &mut out,
    );
    print_out(&String::from_utf8_lossy(&out))
}

/// `sts-gen schema [--overlay]`.
pub(super) fn schema(overlay: bool) -> Result<(), String> {
    let schema = if overlay {
        profile::schema::overlay_schema()
    } else {
        profile::schema::profile_schema()
    };
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => print_out(&(text + "\n")),
        Err(e) => Err(format!("cannot print the schema: {e}")),
    }
}

/// `sts-gen man`.
pub(super) fn man() -> Result<(), String> {
    let mut out = Vec::new();
    match clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out) {
        Ok(()) => print_out(&String::from_utf8_lossy(&out)),
        Err(e) => Err(format!("cannot render the man page: {e}")),
    }
}
