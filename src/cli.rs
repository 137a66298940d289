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
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
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

fn build(args: &CommonArgs) -> Result<Vec<sts_gen::check::Doc>, String> {
    if args.profile == "-" && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(
            "no profile given; pass a file, or `-` with the profile on standard input (see --help)"
                .into(),
        );
    }
    let renderer = render::Renderer::new(args.templates.as_deref()).map_err(|e| e.to_string())?;
    let loaded = profile::load_file(&args.profile).map_err(|e| e.to_string())?;
    let opts = model::Options {
        namespace: args.namespace.clone(),
        cluster_domain: args.cluster_domain.clone(),
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

fn render_cmd(args: &RenderArgs) -> Result<(), String> {
    let docs = build(&args.common)?;
    match &args.output_dir {
        Some(dir) => {
            let files = sink::dir::plan(&docs);
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
