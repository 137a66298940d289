//! `sts-gen lint`: its arguments and the command, over a profile or any manifests.

use std::process::ExitCode;

use clap::Args;

use super::*;

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Rendering options for a profile (`PROFILE` may also be manifests or a folder of them).
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: LintFormat,
    /// Exit 1 when a finding of this severity or above remains.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Print the rules and exit.
    #[arg(long)]
    pub rules: bool,
}

/// `--fail-on` levels: the clap face of [`sts_gen::lint::Severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Worth fixing; fails the run only with `--fail-on warning`.
    Warning,
    /// Wrong: the objects do not work as written.
    Error,
}

impl FailOn {
    /// The lowest severity that fails the run.
    fn severity(self) -> sts_gen::lint::Severity {
        match self {
            FailOn::Warning => sts_gen::lint::Severity::Warning,
            FailOn::Error => sts_gen::lint::Severity::Error,
        }
    }
}

/// `sts-gen lint` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    /// One line per finding and a summary line.
    Text,
    /// `{"findings": [...], "suppressed": [...], "notes": [...], "objects": N}`.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning): rule metadata and a result per finding.
    Sarif,
}

pub(super) fn lint_cmd(args: &LintArgs) -> ExitCode {
    use sts_gen::lint;
    if args.rules {
        return match print_out(&lint::rules_text()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(EXIT_BAD_INPUT),
        };
    }
    let (report, stdin_text) = match lint_input(args) {
        Ok(r) => r,
        Err(message) => {
            for line in message.lines() {
                eprintln!("error: {line}");
            }
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let text = match args.output {
        LintFormat::Text => report.to_text(),
        LintFormat::Json => report.to_json(),
        LintFormat::Sarif => lint::to_sarif(
            &report,
            &args.common.profile,
            env!("CARGO_PKG_VERSION"),
            &|file: &str| {
                // Manifests read from standard input cannot be read again: the text kept.
                if file == "<stdin>" {
                    return stdin_text.clone();
                }
                sts_gen::shared::read_limited(
                    std::path::Path::new(file),
                    sts_gen::shared::MAX_MANIFEST_FILE_BYTES,
                )
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            },
        ),
    };
    if let Err(message) = print_out(&text) {
        eprintln!("error: {message}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    if report.fails(args.fail_on.severity()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Lints the input: a profile (rendered first), manifests, or a folder of either. Returns
/// the report and the manifests read from standard input, if any (SARIF finds lines in them).
fn lint_input(args: &LintArgs) -> Result<(sts_gen::lint::Report, Option<String>), String> {
    use sts_gen::lint;
    let input = args.common.profile.as_str();
    let path = std::path::Path::new(input);
    let mut report = lint::Report::default();
    let mut manifests: Vec<(String, String)> = Vec::new();
    if input == "-" {
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err("nothing to lint; pass a profile, a manifest file or folder, or `-` with either on standard input (see --help)".into());
        }
        let bytes = sts_gen::shared::read_to_limit(
            std::io::stdin(),
            sts_gen::shared::MAX_MANIFEST_FILE_BYTES,
        )
        .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|_| "<stdin>: not UTF-8 text".to_string())?;
        if lint::is_profile(&text) {
            let loaded = profile::load_layers_all(
                "<stdin>",
                text.as_bytes(),
                std::path::Path::new("."),
                &args.common.layers(),
            )
            .map_err(|e| Failure::Load(e).to_string())?;
            report.extend(lint_profile(args, &loaded)?);
        } else {
            manifests.push(("<stdin>".into(), text));
        }
    } else {
        let files = if path.is_dir() {
            let files = lint::manifest_files(path).map_err(|e| e.to_string())?;
            if files.is_empty() {
                return Err(format!(
                    "{input}: no *.yaml, *.yml or *.json file in this folder"
                ));
            }
            files
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            let shown = file.display().to_string();
            let text =
                sts_gen::shared::read_limited(&file, sts_gen::shared::MAX_MANIFEST_FILE_BYTES)
                    .and_then(|b| {
                        String::from_utf8(b).map_err(|_| std::io::Error::other("not UTF-8 text"))
                    })
                    .map_err(|e| format!("{shown}: {}", sts_gen::shared::io_reason(&e)))?;
            if lint::is_profile(&text) {
                let loaded = profile::load_file_all(&shown, &args.common.layers())
                    .map_err(|e| Failure::Load(e).to_string())?;
                report.extend(lint_profile(args, &loaded)?);
            } else {
                manifests.push((shown, text));
            }
        }
    }
    if !manifests.is_empty() {
        // Manifests of every file are linted together: cross-object rules span files.
        let mut docs = Vec::new();
        let mut ignores = lint::Ignores::default();
        for (source, text) in &manifests {
            let (d, comments) = lint::parse_manifests(source, text).map_err(|e| e.to_string())?;
            docs.extend(d);
            ignores.by_source.extend(comments);
        }
        // `-n`: where objects without a namespace land, as with `kubectl apply -n`.
        if let Some(ns) = &args.common.namespace {
            sts_gen::shared::names::dns_label(ns, 63)
                .map_err(|e| format!("--namespace `{ns}` {}", e.message))?;
            lint::default_namespace(&mut docs, ns);
        }
        report.extend(lint::lint_manifests(
            sts_gen::check::type_documents(docs),
            &ignores,
        ));
    }
    if report.objects == 0 && report.notes.is_empty() {
        return Err(format!("{input}: nothing to lint (no Kubernetes object)"));
    }
    let stdin_text = manifests
        .into_iter()
        .find(|(source, _)| source == "<stdin>")
        .map(|(_, text)| text);
    Ok((report, stdin_text))
}

/// Renders a loaded profile and lints its objects, with the profile's `lintIgnore`.
fn lint_profile(
    args: &LintArgs,
    loaded: &profile::Loaded,
) -> Result<sts_gen::lint::Report, String> {
    let renderer =
        render::Renderer::new(args.common.templates.as_deref()).map_err(|e| e.to_string())?;
    let mut opts = options(&args.common, None)?;
    opts.secrets_may_be_missing = !args.common.require_secrets;
    let mut notes = Vec::new();
    let docs = sts_gen::build_reporting(loaded, &opts, &renderer, &mut notes)
        .map_err(|e: Failure| e.to_string())?;
    // Lint reports its own findings; of the model's warnings, only the notes are news.
    notes.retain(|n| n.starts_with("note: "));
    notes.iter().for_each(|n| eprintln!("{n}"));
    let ignores = sts_gen::lint::Ignores {
        all: loaded.profile.lint_ignore.clone(),
        ..Default::default()
    };
    let version = Some(opts.kube_version);
    Ok(sts_gen::lint::lint_for(
        &docs,
        &[],
        false,
        &ignores,
        version,
    ))
}
