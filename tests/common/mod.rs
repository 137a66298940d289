//! Helpers shared by the integration tests; each test file includes them with `mod common;`.
//!
//! - profiles: the bundled profiles' text, exact-once edits, render options;
//! - rendering through the library (as `sts-gen render` does) or through the binary, to the
//!   rendered objects as JSON;
//! - finding objects, containers, mounts and env entries in the rendered objects;
//! - the kubelet's view of a container's env (downward API values, `$(VAR)` expansion);
//! - the role init container: its script and the ConfigMap files as the `config-source`
//!   volume lays them out, run for real under `sh` for one pod;
//! - small shell helpers (stand-in programs, PATH, running a script).
//!
//! Not every test file uses every helper.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use sts_gen::{model, profile, render};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

// ------------------------------------------------------------------ profiles and options

pub fn profiles_dir() -> PathBuf {
    Path::new(ROOT).join("profiles")
}

/// The text of the bundled profile `profiles/<name>.yaml`.
pub fn bundled_text(name: &str) -> String {
    fs::read_to_string(profiles_dir().join(format!("{name}.yaml")))
        .unwrap_or_else(|e| panic!("profiles/{name}.yaml: {e}"))
}

/// The names of the bundled profiles (the stems of `profiles/*.yaml`), sorted.
pub fn bundled_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(profiles_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

/// Replaces `from`, which must occur exactly once, so a stale edit fails loudly.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    text.replacen(from, to, 1)
}

/// A bundled preset's text with its day-2 features on: `tls` from issuer `ca`, metrics, and a
/// nightly backup to a 1Gi claim (each edit must find the preset's off-by-default block once).
pub fn with_day2_on(text: &str) -> String {
    let text = edit(text, "\ntls:\n  with:\n", "\ntls:\n  issuer: ca\n  with:\n");
    let text = edit(
        &text,
        "\nmetrics:\n  enabled: false\n",
        "\nmetrics:\n  enabled: true\n",
    );
    edit(
        &text,
        "\nbackup:\n  job:\n",
        "\nbackup:\n  schedule: \"0 3 * * *\"\n  claim: {size: 1Gi}\n  job:\n",
    )
}

/// The profile with its top-level `replicas: <from>` line (which must occur once) set to `to`.
pub fn with_replicas(text: &str, from: u32, to: u32) -> String {
    edit(
        text,
        &format!("\nreplicas: {from}\n"),
        &format!("\nreplicas: {to}\n"),
    )
}

/// The preset `preset` as a user instance `name` with its own headless Service `<name>-hs`.
pub fn renamed(text: &str, preset: &str, name: &str) -> String {
    let t = edit(
        text,
        &format!("\nname: {preset}\n"),
        &format!("\nname: {name}\n"),
    );
    edit(
        &t,
        "headless: {publishNotReadyAddresses: true}",
        &format!("headless: {{name: {name}-hs, publishNotReadyAddresses: true}}"),
    )
}

/// Render options as `-n` and `--cluster-domain` give them (`None`: the profile's namespace,
/// the default domain).
pub fn options(namespace: Option<&str>, cluster_domain: Option<&str>) -> model::Options {
    let mut o = model::Options {
        namespace: namespace.map(str::to_string),
        ..Default::default()
    };
    if let Some(d) = cluster_domain {
        o.cluster_domain = d.to_string();
    }
    o
}

// ------------------------------------------------------------------ rendering (library)

/// Loads profile `text` as file `file`; `preset:` and file references resolve against `base`.
pub fn load(file: &str, text: &str, base: &Path) -> Result<profile::Loaded, String> {
    profile::load_bytes(file, text.as_bytes(), base).map_err(|e| e.to_string())
}

/// Builds a loaded profile as `sts-gen render` does: the objects in apply order, as JSON.
pub fn build(loaded: &profile::Loaded, opts: &model::Options) -> Result<Vec<Value>, String> {
    let renderer = render::Renderer::new(None).unwrap();
    sts_gen::build(loaded, opts, &renderer)
        .map(|docs| docs.into_iter().map(|d| d.value).collect())
        .map_err(|e| e.to_string())
}

/// [`load`] then [`build`]: the objects, or the error's text.
pub fn try_render(
    file: &str,
    text: &str,
    base: &Path,
    opts: &model::Options,
) -> Result<Vec<Value>, String> {
    build(&load(file, text, base)?, opts)
}

/// [`try_render`] of a profile that must render.
pub fn render(file: &str, text: &str, base: &Path, opts: &model::Options) -> Vec<Value> {
    try_render(file, text, base, opts)
        .unwrap_or_else(|e| panic!("render failed: {e}\n--- profile:\n{text}"))
}

/// Renders `text` as the bundled profile `profiles/<name>.yaml` (so `preset:` resolves there).
pub fn render_bundled(name: &str, text: &str, opts: &model::Options) -> Vec<Value> {
    render(&format!("{name}.yaml"), text, &profiles_dir(), opts)
}

// ------------------------------------------------------------------ the binary

/// The binary, run from the repository root, with no template override from the environment.
pub fn sts_gen() -> Command {
    let mut c = Command::cargo_bin("sts-gen").unwrap();
    c.current_dir(ROOT).env_remove("STS_GEN_TEMPLATES");
    c
}

/// Gives `cmd` a dummy value for every secret a bundled preset reads from the environment
/// (the `export NAME=` lines of `sts-gen init`), as scripts/preset-secrets.sh does.
pub fn with_preset_secrets(cmd: &mut Command) -> &mut Command {
    cmd.env("MYSQL_ROOT_PASSWORD", "test-password-0123456789");
    for name in bundled_names() {
        let out = sts_gen().args(["init", &name]).output().unwrap();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(var) = line
                .trim_start_matches(['#', ' '])
                .strip_prefix("export ")
                .and_then(|l| l.split('=').next())
            {
                cmd.env(var, format!("test-{var}-0123456789abcdef"));
            }
        }
    }
    cmd
}

/// What one run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// [`run`] that must succeed silently on stderr.
pub fn run_ok(cmd: &mut Command) -> Run {
    let r = run(cmd);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert_eq!(r.stderr, "");
    r
}

/// Runs a render command with `-o json` added; it must succeed. Returns the List's items.
pub fn json_items(cmd: &mut Command) -> Vec<Value> {
    let out = cmd.args(["-o", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    list["items"].as_array().unwrap().clone()
}

/// `sts-gen render - -o json ARGS` with the profile `text` on stdin: the List's items.
pub fn render_stdin(text: &str, args: &[&str]) -> Vec<Value> {
    json_items(
        sts_gen()
            .args(["render", "-"])
            .args(args)
            .write_stdin(text.as_bytes().to_vec()),
    )
}

/// The documents of a YAML stream.
pub fn parse_yaml_stream(text: &str) -> Vec<Value> {
    serde_saphyr::from_str_multiple::<Value, Vec<Value>>(text).unwrap()
}

/// The first file `name` on PATH.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

// ------------------------------------------------------------------ processes and locks

/// The binary as a process to spawn or wait for: from the repository root, stdin closed, and
/// none of sts-gen's settings taken from the environment (lock wait, templates, secret seed).
pub fn process(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("sts-gen"));
    c.current_dir(ROOT)
        .env_remove("STS_GEN_LOCK_TIMEOUT")
        .env_remove("STS_GEN_TEMPLATES")
        .env_remove("STS_GEN_SECRET_SEED")
        .args(args)
        .stdin(std::process::Stdio::null());
    c
}

/// Output bytes as text, for messages and `contains` checks.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path as a command-line argument (the test paths are UTF-8).
pub fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The names of the entries of `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Takes `op` (shared or exclusive) on the lock file at `lock_path`, as another sts-gen
/// process would; the lock is held until the returned file is dropped.
pub fn flock(lock_path: &Path, op: rustix::fs::FlockOperation) -> fs::File {
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock_path)
        .unwrap();
    rustix::fs::flock(&f, op).unwrap();
    f
}

// ------------------------------------------------------------------ objects

pub fn all<'a>(items: &'a [Value], kind: &str) -> Vec<&'a Value> {
    items.iter().filter(|i| i["kind"] == kind).collect()
}

/// The only object of `kind`.
pub fn one<'a>(items: &'a [Value], kind: &str) -> &'a Value {
    let found = all(items, kind);
    assert_eq!(found.len(), 1, "expected exactly one {kind}");
    found[0]
}

/// The first object of `kind`, if any.
pub fn first<'a>(items: &'a [Value], kind: &str) -> Option<&'a Value> {
    items.iter().find(|i| i["kind"] == kind)
}

pub fn named<'a>(items: &'a [Value], kind: &str, name: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["kind"] == kind && i["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The Services with `clusterIP: None`.
pub fn headless_services(items: &[Value]) -> Vec<&Value> {
    all(items, "Service")
        .into_iter()
        .filter(|s| s["spec"]["clusterIP"] == "None")
        .collect()
}

/// The only StatefulSet.
pub fn sts(items: &[Value]) -> &Value {
    one(items, "StatefulSet")
}

/// The only StatefulSet's pod spec.
pub fn pod(items: &[Value]) -> &Value {
    &sts(items)["spec"]["template"]["spec"]
}

/// The app's container: the first one, named after the StatefulSet.
pub fn main_container(items: &[Value]) -> &Value {
    let sts = sts(items);
    let c = &sts["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["name"], sts["metadata"]["name"],
        "the first container is the app"
    );
    c
}

/// Container `name` of the pod's `list` (`containers` or `initContainers`).
pub fn container_in<'a>(items: &'a [Value], list: &str, name: &str) -> &'a Value {
    pod(items)[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {list} {name}"))
}

pub fn container<'a>(items: &'a [Value], name: &str) -> &'a Value {
    container_in(items, "containers", name)
}

pub fn init_container<'a>(items: &'a [Value], name: &str) -> &'a Value {
    container_in(items, "initContainers", name)
}

/// Every container of a pod spec: the containers, then the init containers.
pub fn pod_containers(pod: &Value) -> Vec<&Value> {
    pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(pod["initContainers"].as_array().into_iter().flatten())
        .collect()
}

/// Volume `name` of a pod spec.
pub fn volume<'a>(pod: &'a Value, name: &str) -> &'a Value {
    pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no volume {name}"))
}

/// A list of strings (a command, args).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The script of a `command: [sh, -c, SCRIPT]` (of a container or an exec probe).
pub fn sh_script(c: &Value) -> String {
    let command = strings(&c["command"]);
    assert_eq!(command.len(), 3, "{command:?}");
    assert_eq!(&command[..2], &["sh", "-c"]);
    command[2].clone()
}

/// Where container `c` mounts `volume`.
pub fn mount_path<'a>(c: &'a Value, volume: &str) -> &'a str {
    c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume)
        .unwrap_or_else(|| panic!("{} does not mount {volume}", c["name"]))["mountPath"]
        .as_str()
        .unwrap()
}

/// Container `c`'s mounts: mountPath -> volume name.
pub fn mounts(c: &Value) -> BTreeMap<String, String> {
    c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mountPath"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The Secret key behind a `*_FILE` path of container `c`: the path lies under one of its
/// read-only mounts, of a Secret volume whose item at the rest of the path names the key.
/// Returns (Secret name, key).
pub fn secret_behind(items: &[Value], c: &Value, path: &str) -> (String, String) {
    let (mount, rest) = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| {
            let at = m["mountPath"].as_str().unwrap();
            let rest = path.strip_prefix(&format!("{at}/"))?;
            Some((m, rest.to_string()))
        })
        .unwrap_or_else(|| panic!("{path} is under no mount of {}", c["name"]));
    assert_eq!(mount["readOnly"], true);
    let volume = volume(pod(items), mount["name"].as_str().unwrap());
    let secret = &volume["secret"];
    let item = secret["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == rest.as_str())
        .unwrap_or_else(|| panic!("volume {} has no item at {rest}", volume["name"]));
    (
        secret["secretName"].as_str().unwrap().to_string(),
        item["key"].as_str().unwrap().to_string(),
    )
}

/// No container of the StatefulSet takes a Secret through its environment.
pub fn assert_no_secret_in_env(items: &[Value]) {
    for c in pod_containers(pod(items)) {
        for e in c["env"].as_array().into_iter().flatten() {
            assert!(e["valueFrom"].get("secretKeyRef").is_none(), "{e}");
        }
        assert!(c.get("envFrom").is_none());
    }
}

/// A preset leaves the instance's identity and placement to the user: no namespace, no local
/// volumes, no storage class; its name is `name`. Returns the parsed preset.
pub fn assert_preset_leaves_identity(text: &str, name: &str) -> Value {
    let doc: Value = serde_saphyr::from_str(text).unwrap();
    assert_eq!(doc["name"], name);
    for key in ["namespace", "createNamespace"] {
        assert!(doc.get(key).is_none(), "{key} must not be set");
    }
    assert!(doc["storage"].get("local").is_none());
    assert!(doc["storage"].get("className").is_none());
    doc
}

// ------------------------------------------------------------------ env

pub fn find_env<'a>(c: &'a Value, name: &str) -> Option<&'a Value> {
    c["env"].as_array()?.iter().find(|e| e["name"] == name)
}

/// Env entry `name` of container `c`.
pub fn env_entry<'a>(c: &'a Value, name: &str) -> &'a Value {
    find_env(c, name).unwrap_or_else(|| panic!("{} has no env {name}", c["name"]))
}

/// The literal value of env entry `name` of container `c`.
pub fn env_value<'a>(c: &'a Value, name: &str) -> &'a str {
    env_entry(c, name)["value"]
        .as_str()
        .unwrap_or_else(|| panic!("env {name} is not a literal"))
}

/// The downward-API field path env entry `name` of container `c` takes its value from.
pub fn env_field_path<'a>(c: &'a Value, name: &str) -> &'a Value {
    &env_entry(c, name)["valueFrom"]["fieldRef"]["fieldPath"]
}

/// The position of env entry `name` in container `c`'s list.
pub fn env_index(c: &Value, name: &str) -> usize {
    c["env"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{} has no env {name}", c["name"]))
}

/// Kubernetes' `$(VAR)` expansion: a reference to a variable defined earlier in the list is
/// replaced, `$$` is a literal `$`, anything else is left as written.
pub fn k8s_expand(text: &str, known: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some(end) = tail.strip_prefix("$(").and_then(|t| t.find(')')) {
            let var = &tail[2..2 + end];
            match known.get(var) {
                Some(v) => out.push_str(v),
                None => out.push_str(&tail[..end + 3]),
            }
            rest = &tail[end + 3..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Container `c`'s environment as the kubelet gives it to one pod: downward-API fields from
/// `fields` (field path -> value), literal values expanded in declaration order.
pub fn pod_env(c: &Value, fields: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for e in c["env"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap().to_string();
        let value = if let Some(v) = e["value"].as_str() {
            k8s_expand(v, &env)
        } else if let Some(path) = e["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
            fields
                .iter()
                .find(|(p, _)| *p == path)
                .unwrap_or_else(|| panic!("test gives no value for field {path}"))
                .1
                .to_string()
        } else {
            panic!("unexpected env source for {name}: {e}")
        };
        env.insert(name, value);
    }
    env
}

// ------------------------------------------------------------------ role init

/// The role init container of a render: the container, its `sh -c` script, and the
/// ConfigMap's files as the `config-source` volume lays them out (item path -> content).
pub struct RoleInit {
    pub container: Value,
    pub script: String,
    pub source_files: BTreeMap<String, String>,
}

/// Reads the role init container from the rendered objects (it must run first).
pub fn role_init(items: &[Value]) -> RoleInit {
    let pod = pod(items);
    let cm = one(items, "ConfigMap");
    let init = &pod["initContainers"][0];
    assert_eq!(
        init["name"], "role-init",
        "the role init container runs first, before the user's init containers"
    );
    let script = sh_script(init);
    let source = volume(pod, "config-source");
    assert_eq!(source["configMap"]["name"], cm["metadata"]["name"]);
    let mut source_files = BTreeMap::new();
    for item in source["configMap"]["items"].as_array().unwrap() {
        let key = item["key"].as_str().unwrap();
        let path = item["path"].as_str().unwrap();
        let content = cm["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("item key `{key}` is not in the ConfigMap"));
        assert!(
            source_files
                .insert(path.to_string(), content.to_string())
                .is_none(),
            "item path `{path}` is used twice"
        );
    }
    RoleInit {
        container: init.clone(),
        script,
        source_files,
    }
}

/// One run of the role init script.
pub struct InitRun {
    pub out: Output,
    /// The pod's CONFIG_DIR, `<tmp>/conf-<pod>`.
    pub config_dir: PathBuf,
}

impl InitRun {
    /// Asserts that the script succeeded.
    pub fn ok(self) -> Self {
        assert!(
            self.out.status.success(),
            "role init failed for {}: {}",
            self.config_dir.display(),
            String::from_utf8_lossy(&self.out.stderr)
        );
        self
    }

    /// The files the script left in the config dir.
    pub fn files(&self) -> BTreeMap<String, String> {
        dir_files(&self.config_dir)
    }
}

impl RoleInit {
    /// Writes the ConfigMap items under `<tmp>/source`, as the kubelet mounts them.
    pub fn mount_source(&self, tmp: &Path) -> PathBuf {
        let source = tmp.join("source");
        for (path, content) in &self.source_files {
            let target = source.join(path);
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::write(target, content).unwrap();
        }
        source
    }

    /// `sh -c SCRIPT` with the env the pod gives it, and nothing else but PATH: POD_NAME,
    /// HEADLESS, NAMESPACE (unset when `None`), CONFIG_DIR (`<tmp>/conf-<pod>`, returned) and
    /// STS_GEN_SOURCE_DIR (`<tmp>/source`, see [`RoleInit::mount_source`]).
    pub fn command(
        &self,
        tmp: &Path,
        pod: &str,
        headless: &str,
        namespace: Option<&str>,
    ) -> (std::process::Command, PathBuf) {
        let config_dir = tmp.join(format!("conf-{pod}"));
        let mut cmd = std::process::Command::new("sh");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("POD_NAME", pod)
            .env("STS_GEN_SOURCE_DIR", tmp.join("source"))
            .env("CONFIG_DIR", &config_dir)
            .env("HEADLESS", headless);
        if let Some(ns) = namespace {
            cmd.env("NAMESPACE", ns);
        }
        cmd.arg("-c").arg(&self.script);
        (cmd, config_dir)
    }

    /// Mounts the source files and runs the script for one pod.
    pub fn run(&self, tmp: &Path, pod: &str, headless: &str, namespace: Option<&str>) -> InitRun {
        self.mount_source(tmp);
        let (mut cmd, config_dir) = self.command(tmp, pod, headless, namespace);
        InitRun {
            out: cmd.output().expect("sh runs"),
            config_dir,
        }
    }

    /// [`RoleInit::run`] that must succeed; returns the files it left in the config dir.
    pub fn run_ok(
        &self,
        tmp: &Path,
        pod: &str,
        headless: &str,
        namespace: &str,
    ) -> BTreeMap<String, String> {
        self.run(tmp, pod, headless, Some(namespace)).ok().files()
    }
}

/// Every file in `dir` (flat) with its content.
pub fn dir_files(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        assert!(entry.file_type().unwrap().is_file(), "{:?}", entry.path());
        files.insert(
            entry.file_name().to_string_lossy().into_owned(),
            fs::read_to_string(entry.path()).unwrap(),
        );
    }
    files
}

// ------------------------------------------------------------------ shell helpers

/// Writes an executable `dir/name` (creating `dir`).
pub fn write_exe(dir: &Path, name: &str, body: &str) {
    fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, body).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A stand-in program `dir/name` that appends `name [arg1] [arg2] ...` as a line to the file
/// `$CALLS`, then runs the shell text `then` (which should end with an `exit`).
pub fn write_call_logger(dir: &Path, name: &str, then: &str) {
    write_exe(
        dir,
        name,
        &format!(
            "#!/bin/sh\nprintf '%s' '{name}' >> \"$CALLS\"\nfor a in \"$@\"; do printf ' [%s]' \"$a\" >> \"$CALLS\"; done\necho >> \"$CALLS\"\n{then}"
        ),
    );
}

/// PATH with `bin` first.
pub fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs `cmd`, which must succeed (a failure shows its stderr).
pub fn output_ok(cmd: &mut std::process::Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `shell -c script` in the test's environment; it must succeed.
pub fn shell_ok(shell: &str, script: &str) -> Output {
    output_ok(std::process::Command::new(shell).arg("-c").arg(script))
}

// ------------------------------------------------------------------ races

/// Exchanges `a` and `b` (`renameat2` with `RENAME_EXCHANGE`) over and over, pausing `pause`
/// after each swap, until `stop` is set: another process swapping a directory for a link
/// while a run reads or writes it.
pub fn keep_swapping(
    a: &Path,
    b: &Path,
    pause: Option<std::time::Duration>,
    stop: &std::sync::atomic::AtomicBool,
) {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE);
        if let Some(pause) = pause {
            std::thread::sleep(pause);
        }
    }
}
