//! Command-line interface: argument definitions and the commands that wire the stages.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use sts_gen::emit::{self, Format};
use sts_gen::{model, profile, render, sink, Failure};

/// Exit code for bad input or usage (clap uses the same).
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "sts-gen",
    version,
    about = "Render complete, production-ready Kubernetes manifests for a stateful application from a small profile",
    long_about = "Render complete, production-ready Kubernetes manifests for a stateful application \
from a small profile: StatefulSet, headless and read Services, ConfigMap, Secret, local \
PersistentVolumes and their StorageClass, Namespace, ServiceAccount and PodDisruptionBudget.\n\n\
Exit codes: 0 success, 1 findings (check modes), 2 bad input or usage.",
    after_help = "Examples:\n  sts-gen render profiles/mysql.yaml | kubectl apply -f -\n  sts-gen render profiles/mysql.yaml --output-dir deploy/mysql\n  sts-gen validate profiles/mysql.yaml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a profile to Kubernetes manifests (stdout or a directory).
    #[command(after_help = "Examples:\n  \
sts-gen render profiles/mysql.yaml                      # multi-document YAML on stdout\n  \
sts-gen render profiles/mysql.yaml -o json              # one v1 List\n  \
sts-gen render profiles/mysql.yaml --output-dir out/    # one file per object + kustomization.yaml\n  \
cat profile.yaml | sts-gen render - -n staging          # from stdin, into another namespace\n  \
sts-gen render p.yaml --templates my-templates/         # replace some built-in templates\n\n\
Objects come in apply order: Namespace, StorageClass, PersistentVolume, ServiceAccount, Secret,\n\
ConfigMap, Service, PodDisruptionBudget, StatefulSet. Nothing is written on error (exit 2).")]
    Render(RenderArgs),
    /// Check a profile and the objects it renders; prints nothing on success.
    #[command(
        after_help = "Examples:\n  sts-gen validate profiles/mysql.yaml && echo ok\n\n\
Runs every stage but the output: profile syntax and semantics, the Kubernetes schema of every\n\
rendered object, and the cross-object rules. Errors go to stderr with file:line:col; exit 2."
    )]
    Validate(CommonArgs),
    /// Show how a render would change an output directory (a unified diff).
    #[command(
        after_help = "Examples:\n  sts-gen diff profiles/mysql.yaml --output-dir deploy/mysql\n\n\
Exit codes: 0 no difference, 1 differences (printed on stdout), 2 bad input. Secret files are\n\
named but their contents are never printed. Changes Kubernetes refuses on an existing\n\
StatefulSet (selector, serviceName, podManagementPolicy, volumeClaimTemplates) are reported\n\
as errors on stderr with the safe procedure."
    )]
    Diff(DiffArgs),
    /// List the bundled presets with a one-line description.
    #[command(after_help = "Example:\n  sts-gen presets\n\n\
A profile uses one with `preset: NAME`; the profile is merged over it (maps by key, lists of\n\
named items by `name`, other lists replaced). The preset's name, namespace, createNamespace,\n\
storage.local and storage.className are not inherited.")]
    Presets,
    /// Print a short starter profile that uses a preset.
    #[command(
        after_help = "Examples:\n  sts-gen init postgresql --name orders > orders.yaml\n  \
POSTGRES_PASSWORD=... sts-gen init postgresql | sts-gen render -"
    )]
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The output directory to compare with (as written by `render --output-dir`).
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The preset to start from (see `sts-gen presets`).
    #[arg(value_name = "PRESET")]
    pub preset: String,
    /// The application's name (default: the preset's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The profile file; `-` (the default) reads standard input.
    #[arg(value_name = "PROFILE", default_value = "-")]
    pub profile: String,
    /// Namespace for every namespaced object, replacing the profile's `namespace`.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Folder of templates replacing the built-in ones of the same file name.
    #[arg(long, value_name = "DIR", env = "STS_GEN_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// Cluster DNS domain, available to profile text as {{ clusterDomain }}.
    #[arg(long, value_name = "DOMAIN", default_value = "cluster.local")]
    pub cluster_domain: String,
    /// Kubernetes version to target: fields it does not support are not emitted, and a
    /// profile field it cannot honour is an error. Range 1.25 to 1.37.
    #[arg(long, value_name = "X.Y", default_value = "1.33")]
    pub kube_version: String,
    /// File holding the seed that `{generate: N}` secret values derive from, so every
    /// machine renders the same values (or set STS_GEN_SECRET_SEED to the seed itself).
    #[arg(long, value_name = "FILE", env = "STS_GEN_SECRET_SEED_FILE")]
    pub secret_seed_file: Option<PathBuf>,
    /// Overlay: a partial profile merged over the profile (repeatable, applied in order;
    /// maps merge by key, lists of named items by `name`, other lists are replaced).
    #[arg(short = 'f', long = "overlay", value_name = "FILE")]
    pub overlays: Vec<String>,
    /// Set a field: PATH=VALUE, VALUE typed as the field needs (`replicas=5`,
    /// `args=[a, b]`). PATH is dotted; `\.` is a literal dot; items of roles, ports,
    /// nodeSets, sidecars, initContainers and volumes are named:
    /// `roles.replica.files.replica\.cnf=...`. Applied after overlays, in order.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Like --set, but VALUE is always text (`env.PORT=8080` stays a string).
    #[arg(long = "set-string", value_name = "PATH=VALUE")]
    pub set_string: Vec<String>,
    /// Like --set-string, with the contents of FILE (a config file, a script).
    #[arg(long = "set-file", value_name = "PATH=FILE")]
    pub set_file: Vec<String>,
}

impl CommonArgs {
    /// Overlays and sets in the order they apply: overlays, --set, --set-string, --set-file.
    pub fn layers(&self) -> profile::overlay::Layers {
        use profile::overlay::SetKind;
        let mut sets = Vec::new();
        sets.extend(self.set.iter().map(|a| (SetKind::Typed, a.clone())));
        sets.extend(self.set_string.iter().map(|a| (SetKind::String, a.clone())));
        sets.extend(self.set_file.iter().map(|a| (SetKind::File, a.clone())));
        profile::overlay::Layers {
            overlays: self.overlays.clone(),
            sets,
        }
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format on stdout.
    #[arg(short = 'o', long, value_enum, default_value = "yaml")]
    pub output: Format,
    /// Write one file per object (`<kind>-<name>.yaml`) and a kustomization.yaml into DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub output_dir: Option<PathBuf>,
    /// With --output-dir: write into a directory sts-gen did not create, replacing files it
    /// did not write.
    #[arg(long, requires = "output_dir")]
    pub force: bool,
    /// With --output-dir: write nothing; exit 1 when the directory differs from the render
    /// (listing changed, added and removed files), 0 when it is up to date.
    #[arg(long, requires = "output_dir")]
    pub check: bool,
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Render(args) if args.check => return render_check(&args),
        Command::Render(args) => render_cmd(&args),
        Command::Validate(args) => build(&args).map(|_| ()),
        Command::Presets => {
            let mut out = String::new();
            for name in profile::presets::names() {
                let text = profile::presets::get(name).unwrap_or_default();
                out.push_str(&format!(
                    "{name:<14} {}\n",
                    profile::presets::description(text)
                ));
            }
            print_out(&out)
        }
        Command::Init(args) => init_cmd(&args),
        Command::Diff(args) => return diff_cmd(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            for line in message.lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Reads the secret seed: `STS_GEN_SECRET_SEED` (the seed itself) or a seed file.
fn secret_seed(args: &CommonArgs) -> Result<Option<Vec<u8>>, String> {
    let seed = match (
        &args.secret_seed_file,
        std::env::var_os("STS_GEN_SECRET_SEED"),
    ) {
        (Some(path), _) => std::fs::read(path).map_err(|e| {
            format!(
                "--secret-seed-file {}: {}",
                path.display(),
                profile::io_reason(&e)
            )
        })?,
        (None, Some(v)) => v.into_encoded_bytes(),
        (None, None) => return Ok(None),
    };
    // Trailing newlines from `echo > file` are not part of the seed.
    let seed: Vec<u8> = seed.strip_suffix(b"\n").unwrap_or(&seed).to_vec();
    if seed.len() < 16 {
        return Err("the secret seed is shorter than 16 bytes; use a long random value (e.g. `head -c 32 /dev/urandom | base64`)".into());
    }
    Ok(Some(seed))
}

fn build(args: &CommonArgs) -> Result<Vec<sts_gen::check::Doc>, String> {
    build_into(args, None)
}

/// Builds the objects; with `output_dir`, generated secret values already written there are
/// reused, and new ones may be drawn at random.
fn build_into(
    args: &CommonArgs,
    output_dir: Option<&std::path::Path>,
) -> Result<Vec<sts_gen::check::Doc>, String> {
    if args.profile == "-" && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(
            "no profile given; pass a file, or `-` with the profile on standard input (see --help)"
                .into(),
        );
    }
    let renderer = render::Renderer::new(args.templates.as_deref()).map_err(|e| e.to_string())?;
    let loaded =
        profile::load_file_with(&args.profile, &args.layers()).map_err(|e| e.to_string())?;
    let opts = model::Options {
        namespace: args.namespace.clone(),
        cluster_domain: args.cluster_domain.clone(),
        secret_seed: secret_seed(args)?,
        previous_secrets: output_dir
            .map(sink::dir::previous_secrets)
            .unwrap_or_default(),
        allow_random_secrets: output_dir.is_some(),
        kube_version: model::parse_kube_version(&args.kube_version)?,
    };
    if args.cluster_domain.is_empty() || model::names::dns_subdomain(&args.cluster_domain).is_err()
    {
        return Err(format!(
            "--cluster-domain `{}` is not a DNS domain",
            args.cluster_domain
        ));
    }
    sts_gen::build(&loaded, &opts, &renderer).map_err(|e: Failure| e.to_string())
}

fn init_cmd(args: &InitArgs) -> Result<(), String> {
    let name = args.name.clone().unwrap_or_else(|| args.preset.clone());
    model::names::dns_label(&name, 52).map_err(|e| format!("--name `{name}` {e}"))?;
    match profile::presets::starter(&args.preset, &name) {
        Some(text) => print_out(&text),
        None => Err(format!(
            "unknown preset `{}`; presets: {}",
            args.preset,
            profile::presets::names().join(", ")
        )),
    }
}

fn print_out(text: &str) -> Result<(), String> {
    match sink::stdout(text) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write to stdout: {e}")),
    }
}

/// Exit code for findings: differences found by `diff` and `--check`.
pub const EXIT_FINDINGS: u8 = 1;

fn fail(message: &str) -> ExitCode {
    for line in message.lines() {
        eprintln!("error: {line}");
    }
    ExitCode::from(EXIT_BAD_INPUT)
}

fn diff_cmd(args: &DiffArgs) -> ExitCode {
    let docs = match build_into(&args.common, Some(&args.output_dir)) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let files = sink::dir::plan(&docs);
    let changes = sink::diff::compare(&args.output_dir, &files);
    for problem in sink::diff::immutable_changes(&args.output_dir, &files) {
        eprintln!("error: {problem}");
    }
    if changes.is_empty() {
        return ExitCode::SUCCESS;
    }
    match print_out(&changes.unified(&files, &args.output_dir)) {
        Ok(()) => ExitCode::from(EXIT_FINDINGS),
        Err(e) => fail(&e),
    }
}

/// `render --output-dir DIR --check`: compares, writes nothing; exit 1 when out of date.
fn render_check(args: &RenderArgs) -> ExitCode {
    let Some(dir) = args.output_dir.as_deref() else {
        return fail("--check needs --output-dir");
    };
    let docs = match build_into(&args.common, Some(dir)) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let files = sink::dir::plan(&docs);
    let changes = sink::diff::compare(dir, &files);
    for problem in sink::diff::immutable_changes(dir, &files) {
        eprintln!("error: {problem}");
    }
    if changes.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprint!("{}", changes.summary());
    eprintln!(
        "{} is out of date: render it again without --check",
        dir.display()
    );
    ExitCode::from(EXIT_FINDINGS)
}

fn render_cmd(args: &RenderArgs) -> Result<(), String> {
    let docs = build_into(&args.common, args.output_dir.as_deref())?;
    match &args.output_dir {
        Some(dir) => {
            let files = sink::dir::plan(&docs);
            for problem in sink::diff::immutable_changes(dir, &files) {
                eprintln!("warning: {problem}");
            }
            sink::dir::write(dir, &files, args.force).map_err(|e| e.to_string())
        }
        None => {
            let text = match args.output {
                Format::Yaml => emit::to_yaml(&docs),
                Format::Json => emit::to_json(&docs),
            };
            print_out(&text)
        }
    }
}
