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
    let mut script = String::from_utf8_lossy(&out).into_owned();
    match shell {
        clap_complete::Shell::Bash => script = fix_bash(&script),
        // clap_complete's fish script completes no positional values: add them.
        clap_complete::Shell::Fish => {
            for (sub, values) in &positional_values() {
                script.push_str(&format!(
                    "complete -c sts-gen -n \"__fish_sts_gen_using_subcommand {sub}\" -f -a \"{values}\"\n"
                ));
            }
        }
        _ => {}
    }
    print_out(&script)
}

/// (subcommand, its positional argument's possible values joined by spaces), such as the
/// preset names of `init`.
fn positional_values() -> Vec<(String, String)> {
    let cmd = <Cli as clap::CommandFactory>::command();
    cmd.get_subcommands()
        .filter_map(|sub| {
            let values: Vec<String> = sub
                .get_positionals()
                .flat_map(|a| a.get_possible_values())
                .map(|v| v.get_name().to_string())
                .collect();
            (!values.is_empty()).then(|| (sub.get_name().to_string(), values.join(" ")))
        })
        .collect()
}

/// clap_complete's bash script names a subcommand's state `sts__gen__subcmd__render` where
/// it walks the words but `sts__subcmd__gen__subcmd__render` in the arms that complete it
/// (it escapes the binary's `-` twice), so no flag or value of a subcommand ever completed.
/// One spelling for both.
fn fix_bash(script: &str) -> String {
    script.replace("sts__subcmd__gen", "sts__gen")
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

/// Environment variables sts-gen (or what it renders) reads, for the man page.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("STS_GEN_TEMPLATES", "Folder of templates replacing the built-in ones of the same file name (as --templates)."),
    ("STS_GEN_SECRET_SEED", "The seed that {generate: N} secret values derive from, so every machine renders the same values (at least 16 bytes)."),
    ("STS_GEN_SECRET_SEED_FILE", "A file holding that seed (as --secret-seed-file)."),
    ("STS_GEN_LOCK_TIMEOUT", "Seconds a writer of an output directory waits for another one's lock (default 60; fractions allowed; `inf` or a value too large to count waits without limit)."),
    ("STS_GEN_REQUIRE_SECRETS", "true: validate and lint PROFILE treat a fromEnv secret variable that is not set as an error, as render does (as --require-secrets); by default it is a note."),
    ("STS_GEN_SOURCE_DIR", "Read by the generated role init script in the pod, not by sts-gen: the folder it copies the ConfigMap files from (for running the script outside a pod)."),
    ("ARGOCD_APP_NAMESPACE", "The namespace when neither -n nor the profile names one (Argo CD sets it for config-management plugins)."),
    ("Variables named by fromEnv", "A profile's secret.data values of the form {fromEnv: VAR} are read from the environment at render time."),
];

/// Exit codes, for the man pages.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success (for diff and render --check: no difference)."),
    ("1", "Findings: diff or render --check found differences, lint found findings at or above --fail-on."),
    ("2", "Bad input or usage: the message is on standard error, nothing is on standard output and nothing is written."),
];

/// Text for a roff line: backslashes and leading control characters escaped, `-` as a
/// hyphen-minus (man renders a bare `-` as a hyphen, which breaks copied options).
fn roff_text(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with(['.', '\'']) {
        format!("\\&{t}")
    } else {
        t
    }
}

/// A `.SH` section of `.TP` items.
fn roff_section(title: &str, items: &[(&str, &str)]) -> String {
    let mut out = format!(".SH {title}\n");
    for (term, text) in items {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_text(term),
            roff_text(text)
        ));
    }
    out
}

/// One page: clap_mangen's sections, then ENVIRONMENT (the main page), EXIT STATUS and SEE
/// ALSO.
fn page(cmd: &clap::Command, main: bool) -> Result<String, String> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render(&mut out)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if main {
        text.push_str(&roff_section("ENVIRONMENT", ENVIRONMENT));
    }
    text.push_str(&roff_section("EXIT STATUS", EXIT_STATUS));
    if !main {
        text.push_str(".SH \"SEE ALSO\"\n\\fBsts\\-gen\\fR(1)\n");
    }
    Ok(text)
}

/// `sts-gen man [--dir DIR]`.
pub(super) fn man(dir: Option<&std::path::Path>) -> Result<(), String> {
    // Built, so that subcommands carry their `sts-gen-<name>` page names.
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        return print_out(&page(&cmd, true)?);
    };
    let mut pages = vec![("sts-gen.1".to_string(), page(&cmd, true)?)];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_display_name().unwrap_or(sub.get_name());
        pages.push((format!("{name}.1"), page(sub, false)?));
    }
    let mut written = String::new();
    for (file, text) in pages {
        let path = dir.join(&file);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push_str(&format!("{}\n", path.display()));
    }
    print_out(&written)
}

/// A unified diff coloured for a terminal (removed red, added green, hunk headers cyan), as
/// `git diff` does; unchanged when standard output is not a terminal or `NO_COLOR` is set to
/// anything non-empty (no-color.org).
pub(super) fn colour_diff(text: String) -> String {
    let tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if !tty || no_color {
        return text;
    }
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let code = if body.starts_with("+++") || body.starts_with("---") {
            "1"
        } else if body.starts_with('+') {
            "32"
        } else if body.starts_with('-') {
            "31"
        } else if body.starts_with("@@") {
            "36"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            out.push_str(&format!("\x1b[{code}m{body}\x1b[0m{nl}"));
        }
    }
    out
}
