//! Command-line interface: argument definitions and the commands that wire the stages.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod batch;
mod docs;
mod lint;
mod output;
mod plan;
mod seed;

use batch::build_all;
use lint::lint_cmd;
pub use lint::LintArgs;
use output::print_out;
use seed::secret_seed;

use sts_gen::emit;
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
sts-gen render p.yaml --templates my-templates/         # replace some built-in templates\n  \
sts-gen render base.yaml -f prod.yaml --set replicas=5   # overlays and single fields\n  \
sts-gen render profiles/ --output-dir deploy/           # batch: deploy/<name>/ per profile\n  \
sts-gen render p.yaml --output-dir deploy/db --check    # CI drift check, exit 1 if stale\n\n\
Objects come in apply order: Namespace, StorageClass, PersistentVolume, ServiceAccount, Secret\n\
(or ExternalSecret), ConfigMap, Service, NetworkPolicy, PodDisruptionBudget, StatefulSet.\n\
Nothing is written on error (exit 2).")]
    Render(RenderArgs),
    /// Show what will run: each pod's role, files, DNS name, data, peer and start/update order.
    #[command(after_help = "Examples:\n  \
sts-gen plan profiles/mysql.yaml                  # one row per pod\n  \
sts-gen plan p.yaml --set replicas=5              # what scaling to 5 changes\n  \
sts-gen plan p.yaml -o json                       # for scripts\n  \
sts-gen plan p.yaml -f prod.yaml --effective      # the merged profile (renders the same objects)\n\n\
An offline dry-run of the StatefulSet controller: nothing is rendered or contacted.")]
    Plan(PlanArgs),
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
    /// Lint a profile's objects, or hand-written manifests, as CI scanners would.
    #[command(after_help = "Examples:\n  \
sts-gen lint profiles/mysql.yaml                 # the objects the profile renders\n  \
sts-gen lint deploy/                             # every *.yaml, *.yml, *.json below a folder\n  \
kubectl get sts db -o yaml | sts-gen lint -      # manifests (or a profile) on stdin\n  \
sts-gen lint p.yaml -o json --fail-on warning    # for machines; fail on warnings too\n  \
sts-gen lint --rules                             # the rules\n\n\
Each finding: severity[rule] object field.path: message (fix: ...). Switch a rule off for one\n\
object with the annotation `sts-gen/ignore: \"RULE reason\"` or a comment\n\
`# sts-gen:ignore RULE reason` in its document, for a profile with `lintIgnore: {RULE: reason}`;\n\
the reason is required. Exit codes: 0 no finding at or above --fail-on, 1 such findings,\n\
2 bad input.")]
    Lint(LintArgs),
    /// Print the JSON Schema of the profile format (for editors and CI validation).
    #[command(after_help = "Examples:\n  sts-gen schema > sts-gen.schema.json\n  \
sts-gen schema --overlay > overlay.schema.json\n\n\
Put this first line in a profile for completion and validation in editors that use\n\
yaml-language-server (`sts-gen init` writes it with the published schema's URL):\n  \
# yaml-language-server: $schema=./sts-gen.schema.json")]
    Schema {
        /// The schema of overlays (`-f` files): partial profiles, nothing required.
        #[arg(long)]
        overlay: bool,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  sts-gen completions bash > /etc/bash_completion.d/sts-gen\n  \
sts-gen completions zsh > \"${fpath[1]}/_sts-gen\"\n  sts-gen completions fish > ~/.config/fish/completions/sts-gen.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per subcommand into a directory.
    #[command(
        after_help = "Examples:\n  sts-gen man > /usr/local/share/man/man1/sts-gen.1\n  \
sts-gen man --dir /usr/local/share/man/man1     # sts-gen.1 and sts-gen-SUBCOMMAND.1"
    )]
    Man {
        /// Write sts-gen.1 and a page per subcommand (sts-gen-render.1, ...) into DIR, and
        /// print their paths.
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
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
pub struct PlanArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: PlanFormat,
    /// Print the effective profile (preset, overlays and --set merged) instead of the plan.
    #[arg(long, conflicts_with = "output")]
    pub effective: bool,
}

/// `plan` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// A header per StatefulSet and one row per pod.
    Text,
    /// The plan as one JSON object.
    Json,
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
    #[arg(value_name = "PRESET", value_parser = clap::builder::PossibleValuesParser::new(profile::presets::names()))]
    pub preset: String,
    /// The application's name (default: the preset's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The profile file; `-` (the default) reads standard input.
    #[arg(value_name = "PROFILE", default_value = "-", value_hint = clap::ValueHint::FilePath)]
    pub profile: String,
    /// Namespace for every namespaced object, replacing the profile's `namespace`; in
    /// `lint` of manifests, the namespace of objects that set none (as `kubectl apply -n`).
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
    /// Let `fromFile` read an absolute path, `..` or a link out of the profile's folder
    /// (refused by default: a profile reads only the files it ships with).
    #[arg(long)]
    pub allow_outside_files: bool,
    /// Like --set, but VALUE is always text (`env.PORT=8080` stays a string).
    #[arg(long = "set-string", value_name = "PATH=VALUE")]
    pub set_string: Vec<String>,
    /// Like --set-string, with the contents of FILE (a config file, a script).
    #[arg(long = "set-file", value_name = "PATH=FILE")]
    pub set_file: Vec<String>,
    /// validate, lint: an unset `fromEnv` secret variable is an error, not a note.
    #[arg(long, env = "STS_GEN_REQUIRE_SECRETS")]
    pub require_secrets: bool,
    /// Set by validate and lint: whether missing secret values are notes.
    #[arg(skip)]
    pub secrets_may_be_missing: bool,
}

impl CommonArgs {
    /// Overlays and sets in the order they apply: overlays, --set, --set-string, --set-file.
    pub fn layers(&self) -> profile::Layers {
        use profile::SetKind;
        let mut sets = Vec::new();
        sets.extend(self.set.iter().map(|a| (SetKind::Typed, a.clone())));
        sets.extend(self.set_string.iter().map(|a| (SetKind::String, a.clone())));
        sets.extend(self.set_file.iter().map(|a| (SetKind::File, a.clone())));
        profile::Layers {
            overlays: self.overlays.clone(),
            sets,
        }
    }
}

/// `render` output formats on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Multi-document YAML.
    Yaml,
    /// One `v1` `List` holding every object.
    Json,
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
        Command::Validate(mut args) => {
            args.secrets_may_be_missing = true;
            build_all(&args, None, &mut no_hold).map(|_| ())
        }
        Command::Plan(args) => plan::run(&args),
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
        Command::Completions { shell } => docs::completions(shell),
        Command::Schema { overlay } => docs::schema(overlay),
        Command::Man { dir } => docs::man(dir.as_deref()),
        Command::Lint(args) => return lint_cmd(&args),
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

/// Builds, printing warnings to stderr (after the build, so a failure prints errors only).
fn build_warn(
    loaded: &profile::Loaded,
    opts: &model::Options,
    renderer: &render::Renderer,
) -> Result<Vec<sts_gen::check::Doc>, String> {
    let mut warnings = Vec::new();
    let docs = sts_gen::build_reporting(loaded, opts, renderer, &mut warnings)
        .map_err(|e: Failure| e.to_string())?;
    // A note (a secret value not set, while validating) is not a warning.
    for w in warnings {
        let note = w.starts_with("note: ");
        eprintln!("{}{w}", if note { "" } else { "warning: " });
    }
    Ok(docs)
}

/// Model options from the command line; `output_dir` supplies previous secret values.
fn options(
    args: &CommonArgs,
    output_dir: Option<&std::path::Path>,
) -> Result<model::Options, String> {
    if args.cluster_domain.is_empty()
        || sts_gen::shared::names::dns_domain(&args.cluster_domain).is_err()
    {
        return Err(format!(
            "--cluster-domain `{}` is not a DNS domain",
            args.cluster_domain
        ));
    }
    Ok(model::Options {
        namespace: args.namespace.clone(),
        cluster_domain: args.cluster_domain.clone(),
        secret_seed: secret_seed(args)?,
        previous_secrets: output_dir
            .map(sink::dir::previous_secrets)
            .transpose()
            .map_err(|e| e.to_string())?
            .unwrap_or_default(),
        allow_random_secrets: output_dir.is_some(),
        secrets_may_be_missing: args.secrets_may_be_missing && !args.require_secrets,
        kube_version: model::parse_kube_version(&args.kube_version).map_err(|e| e.to_string())?,
        // Argo CD runs config-management plugins with the Application's namespace here.
        allow_outside_files: args.allow_outside_files,
        default_namespace: std::env::var("ARGOCD_APP_NAMESPACE")
            .ok()
            .filter(|n| !n.is_empty()),
    })
}

/// Builds the objects; with `output_dir`, generated secret values already written there are
/// reused, and new ones may be drawn at random.
fn build_into(
    args: &CommonArgs,
    output_dir: Option<&std::path::Path>,
    hold: Hold,
) -> Result<Vec<sts_gen::check::Doc>, String> {
    if args.profile == "-" && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(
            "no profile given; pass a file, or `-` with the profile on standard input (see --help)"
                .into(),
        );
    }
    // A template error is reported before any error of the profile.
    let renderer = render::Renderer::new(args.templates.as_deref())
        .map_err(|e| e.to_string())?
        .compile_per_render();
    let loaded = profile::load_file_all(&args.profile, &args.layers())
        .map_err(|e| Failure::Load(e).to_string())?;
    if let Some(dir) = output_dir {
        hold(&[dir])?;
    }
    let opts = options(args, output_dir)?;
    build_warn(&loaded, &opts, &renderer)
}

/// Called once the output directories a build reads are known (its profiles loaded) and
/// before anything of them is read: `render` takes the writers' lock there, `--check` a
/// reader's, so what is reused and compared is what the lock holder sees.
type Hold<'h> = &'h mut dyn FnMut(&[&std::path::Path]) -> Result<(), String>;

/// A [`Hold`] for a run that locks nothing more.
fn no_hold(_: &[&std::path::Path]) -> Result<(), String> {
    Ok(())
}

/// One line per error of a directory write.
fn dir_errors(errors: Vec<sink::DirError>) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn init_cmd(args: &InitArgs) -> Result<(), String> {
    let name = args.name.clone().unwrap_or_else(|| args.preset.clone());
    sts_gen::shared::names::dns_label(&name, 52).map_err(|e| format!("--name `{name}` {e}"))?;
    match profile::presets::starter(&args.preset, &name) {
        Some(text) => print_out(&text),
        None => Err(format!(
            "unknown preset `{}`; presets: {}",
            args.preset,
            profile::presets::names().join(", ")
        )),
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
    // Held until every read is done (the Secrets reused, the files compared).
    let _lock = match sink::dir::read_lock(&args.output_dir) {
        Ok(l) => l,
        Err(e) => return fail(&e.to_string()),
    };
    // The shared lock is held already.
    let docs = match build_into(&args.common, Some(&args.output_dir), &mut no_hold) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let files = sink::dir::plan(&docs);
    let (changes, immutable) = match sink::diff::compare(&args.output_dir, &files)
        .and_then(|c| sink::diff::immutable_changes(&args.output_dir, &files).map(|i| (c, i)))
    {
        Ok(found) => found,
        Err(e) => return fail(&e.to_string()),
    };
    for problem in immutable {
        eprintln!("error: {problem}");
    }
    if changes.is_empty() {
        return ExitCode::SUCCESS;
    }
    let text = changes.unified(&files, &args.output_dir);
    match print_out(&docs::colour_diff(text)) {
        Ok(()) => ExitCode::from(EXIT_FINDINGS),
        Err(e) => fail(&e),
    }
}

/// `render --output-dir DIR --check`: compares, writes nothing; exit 1 when out of date.
fn render_check(args: &RenderArgs) -> ExitCode {
    let Some(dir) = args.output_dir.as_deref() else {
        return fail("--check needs --output-dir");
    };
    // The writers' lock, shared: on DIR (a batch's root) throughout, and on each batch dir.
    let mut locks = match sink::dir::read_lock(dir) {
        Ok(l) => l,
        Err(e) => return fail(&e.to_string()),
    };
    // A batch's directories, before their Secrets are read for reuse (their parent, the
    // root, is locked above).
    let mut hold = |dirs: &[&std::path::Path]| {
        for own in dirs.iter().filter(|d| **d != dir) {
            locks.extend(sink::dir::read_lock_own(own).map_err(|e| e.to_string())?);
        }
        Ok(())
    };
    let units = match build_all(&args.common, Some(dir), &mut hold) {
        Ok(u) => u,
        Err(e) => return fail(&e),
    };
    let mut up_to_date = true;
    for unit in &units {
        let dir = unit.dir.as_deref().unwrap_or(dir);
        let changes = match &unit.changes {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        for problem in &unit.immutable {
            eprintln!("error: {problem}");
        }
        // Leftovers of an interrupted run and Secret files others may read.
        for finding in sink::dir::audit(dir, &unit.files) {
            up_to_date = false;
            eprintln!("{finding}");
        }
        if !changes.is_empty() {
            up_to_date = false;
            for line in changes.summary().lines() {
                eprintln!("{line}");
            }
            eprintln!(
                "{} is out of date: render it again without --check",
                dir.display()
            );
        }
    }
    if up_to_date {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

fn render_cmd(args: &RenderArgs) -> Result<(), String> {
    // Held from before the previous Secret values are read until the write is done.
    let mut held = sink::dir::WriteLock::default();
    let root = std::path::Path::new(&args.common.profile).is_dir();
    let mut hold = |dirs: &[&std::path::Path]| {
        // A batch's root is locked (and refused when a link) too, first.
        let root = args.output_dir.as_deref().filter(|_| root);
        held.take(root.into_iter().chain(dirs.iter().copied()))
            .map_err(dir_errors)
    };
    let units = build_all(&args.common, args.output_dir.as_deref(), &mut hold)?;
    match &args.output_dir {
        Some(out) => {
            for unit in &units {
                for problem in &unit.immutable {
                    eprintln!("warning: {problem}");
                }
            }
            // All directories are checked, then staged, flushed to disk once and swapped in.
            let writes = units
                .iter()
                .map(|u| (u.dir.as_deref().unwrap_or(out), u.files.as_slice()));
            // Counted before the write changes what is there.
            let summaries: Vec<String> = units
                .iter()
                .map(|u| {
                    let dir = u.dir.as_deref().unwrap_or(out);
                    output::summary(dir, &u.files, u.changes.as_ref().ok())
                })
                .collect();
            sink::dir::write_held(&mut held, writes, args.force).map_err(dir_errors)?;
            summaries.iter().for_each(|s| eprintln!("{s}"));
            Ok(())
        }
        None => {
            let docs: Vec<_> = units.into_iter().flat_map(|u| u.docs).collect();
            let text = match args.output {
                Format::Yaml => emit::to_yaml(&docs),
                Format::Json => emit::to_json(&docs),
            };
            print_out(&text)
        }
    }
}

/// One profile's output: without --output-dir its objects; with it, the directory they go
/// to, the files planned for it and the changes to immutable fields against what is there.
struct Unit {
    dir: Option<std::path::PathBuf>,
    /// Empty with a directory: the files hold the objects.
    docs: Vec<sts_gen::check::Doc>,
    files: Vec<sink::dir::OutFile>,
    immutable: Vec<String>,
    /// How the files differ from what the directory holds (read once, for the summary and
    /// `--check`); the error when the directory cannot be compared.
    changes: Result<sink::diff::Changes, String>,
    /// The objects' identities, to find objects two profiles of a batch both render.
    ids: Vec<sink::batch::Id>,
}

impl Unit {
    /// With a directory, plans its files and compares them with what is there (in the batch
    /// workers, so this work is parallel too); the objects are not kept.
    fn new(
        dir: Option<std::path::PathBuf>,
        docs: Vec<sts_gen::check::Doc>,
    ) -> Result<Unit, String> {
        Ok(match dir {
            Some(dir) => {
                let files = sink::dir::plan(&docs);
                let immutable =
                    sink::diff::immutable_changes(&dir, &files).map_err(|e| e.to_string())?;
                let changes = sink::diff::compare(&dir, &files).map_err(|e| e.to_string());
                Unit {
                    dir: Some(dir),
                    docs: Vec::new(),
                    files,
                    immutable,
                    changes,
                    ids: Vec::new(),
                }
            }
            None => Unit {
                ids: Vec::new(),
                dir: None,
                docs,
                files: Vec::new(),
                immutable: Vec::new(),
                changes: Ok(Default::default()),
            },
        })
    }
}
