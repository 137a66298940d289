//! End-to-end behaviour of the `sts-gen` binary: output order and format, flags, error
//! reporting and exit codes, directory output, and template overrides.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::Engine;
use common::{find_on_path, parse_yaml_stream, run, run_ok, Run, ROOT};
use serde_json::Value;

const MYSQL: &str = "profiles/mysql.yaml";
const PASSWORD: &str = "cli-test-pw-7Qx";

/// The binary, run from the repository root with the MySQL password set.
fn sts() -> Command {
    let mut c = common::sts_gen();
    c.env("MYSQL_ROOT_PASSWORD", PASSWORD);
    c
}

/// Bad input: exit 2, nothing on stdout, every stderr line prefixed `error: `.
fn run_bad(cmd: &mut Command) -> Run {
    let r = run(cmd);
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "", "nothing on stdout on error");
    assert!(!r.stderr.is_empty());
    for line in r.stderr.lines() {
        assert!(line.starts_with("error: "), "{line:?}");
    }
    assert!(
        !r.stderr.contains(PASSWORD),
        "the secret leaked into an error message: {}",
        r.stderr
    );
    r
}

fn render_mysql(extra: &[&str]) -> String {
    run_ok(sts().args(["render", MYSQL]).args(extra)).stdout
}

fn kinds(docs: &[Value]) -> Vec<&str> {
    docs.iter().map(|d| d["kind"].as_str().unwrap()).collect()
}

fn name(d: &Value) -> &str {
    d["metadata"]["name"].as_str().unwrap()
}

const CLUSTER_SCOPED: &[&str] = &["Namespace", "StorageClass", "PersistentVolume"];

/// Every file in `dir` (including dot files) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// `profiles/mysql.yaml` with `from` replaced by `to`, written to `dir/name`; returns the
/// path and the 1-based line of the replacement.
fn mysql_variant(dir: &Path, name: &str, from: &str, to: &str) -> (PathBuf, usize) {
    let text = fs::read_to_string(Path::new(ROOT).join(MYSQL)).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    let line = text[..text.find(from).unwrap()].matches('\n').count() + 1;
    let path = dir.join(name);
    fs::write(&path, text.replace(from, to)).unwrap();
    (path, line)
}

// ---------------------------------------------------------------------------------------
// stdout

#[test]
fn stdout_is_in_apply_order_with_namespaces() {
    let docs = parse_yaml_stream(&render_mysql(&[]));
    assert_eq!(
        kinds(&docs),
        [
            "Namespace",
            "StorageClass",
            "PersistentVolume",
            "PersistentVolume",
            "PersistentVolume",
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "Service",
            "Service",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "StatefulSet",
        ]
    );
    let names: Vec<_> = docs.iter().map(name).collect();
    assert_eq!(
        names,
        [
            "mysql",
            "local-storage",
            "mysql-data-mysql-0",
            "mysql-data-mysql-1",
            "mysql-data-mysql-2",
            "mysql",
            "mysql-secret",
            "mysql",
            "mysql",
            "mysql-read",
            "mysql",
            "mysql",
            "mysql",
        ]
    );
    for d in &docs {
        let kind = d["kind"].as_str().unwrap();
        let ns = d["metadata"].get("namespace");
        if CLUSTER_SCOPED.contains(&kind) {
            assert_eq!(ns, None, "{kind} {} is cluster-scoped", name(d));
        } else {
            assert_eq!(
                ns.and_then(Value::as_str),
                Some("mysql"),
                "{kind} {}",
                name(d)
            );
        }
    }
    // The secret comes from the environment at render time.
    let secret = &docs[6];
    let pw = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["password"].as_str().unwrap())
        .unwrap();
    assert_eq!(pw, PASSWORD.as_bytes());
}

#[test]
fn renders_are_byte_identical_and_json_is_the_same_list() {
    let a = render_mysql(&[]);
    let b = render_mysql(&[]);
    assert_eq!(a, b);
    assert!(a.ends_with('\n'));

    let json_text = render_mysql(&["-o", "json"]);
    assert_eq!(json_text, render_mysql(&["--output", "json"]));
    let list: Value = serde_json::from_str(&json_text).unwrap();
    let obj = list.as_object().unwrap();
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        ["apiVersion", "kind", "items"]
    );
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"].as_array().unwrap(), &parse_yaml_stream(&a));
}

#[test]
fn namespace_flag_moves_every_namespaced_object() {
    let docs = parse_yaml_stream(&render_mysql(&["-n", "other"]));
    let default = parse_yaml_stream(&render_mysql(&[]));
    assert_eq!(kinds(&docs), kinds(&default));
    assert_eq!(docs[0]["kind"], "Namespace");
    assert_eq!(name(&docs[0]), "other");
    for d in &docs {
        let kind = d["kind"].as_str().unwrap();
        let ns = d["metadata"].get("namespace").and_then(Value::as_str);
        if CLUSTER_SCOPED.contains(&kind) {
            assert_eq!(ns, None, "{kind} {}", name(d));
        } else {
            assert_eq!(ns, Some("other"), "{kind} {}", name(d));
        }
    }
    assert!(
        !render_mysql(&["--namespace", "other"]).contains("namespace: mysql"),
        "no object may stay in the profile's namespace"
    );
}

#[test]
fn stdin_profile_gives_the_same_output() {
    let text = fs::read(Path::new(ROOT).join(MYSQL)).unwrap();
    let from_stdin = run_ok(sts().args(["render", "-"]).write_stdin(text.clone())).stdout;
    assert_eq!(from_stdin, render_mysql(&[]));
    // `-` is also the default.
    let default = run_ok(sts().arg("render").write_stdin(text)).stdout;
    assert_eq!(default, from_stdin);
}

#[test]
fn stdin_errors_are_located_in_stdin() {
    let text = fs::read_to_string(Path::new(ROOT).join(MYSQL))
        .unwrap()
        .replace("replicas: 3\n", "replicas: 3\nreplica: 3\n");
    let line = text.lines().position(|l| l == "replica: 3").unwrap() + 1;
    let r = run_bad(sts().args(["render", "-"]).write_stdin(text));
    assert_eq!(
        r.stderr,
        format!(
            "error: <stdin>:{line}:1: replica: unknown key `replica` (did you mean `replicas`?)\n"
        )
    );
}

// ---------------------------------------------------------------------------------------
// validate and bad input

#[test]
fn validate_is_silent_on_success() {
    let r = run_ok(sts().args(["validate", MYSQL]));
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "");
}

#[test]
fn unknown_key_names_file_line_column_and_path() {
    let tmp = tempfile::tempdir().unwrap();
    let (bad, line) = mysql_variant(
        tmp.path(),
        "bad.yaml",
        "  mountPath: /var/lib/mysql\n",
        "  mountPth: /var/lib/mysql\n",
    );
    let expected = format!(
        "error: {}:{line}:3: storage.mountPth: unknown key `mountPth` (did you mean `mountPath`?)\n",
        bad.display()
    );
    let r = run_bad(sts().arg("validate").arg(&bad));
    assert_eq!(r.stderr, expected);
    let r = run_bad(sts().arg("render").arg(&bad));
    assert_eq!(r.stderr, expected);
    let r = run_bad(sts().arg("render").arg(&bad).args(["-o", "json"]));
    assert_eq!(r.stderr, expected);
}

#[test]
fn missing_env_var_is_named() {
    let text = fs::read_to_string(Path::new(ROOT).join(MYSQL)).unwrap();
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            l.find("{fromEnv: MYSQL_ROOT_PASSWORD}")
                .map(|c| (i + 1, c + 1))
        })
        .unwrap();
    for cmd in [&["render"][..], &["validate", "--require-secrets"]] {
        let r = run_bad(sts().env_remove("MYSQL_ROOT_PASSWORD").args(cmd).arg(MYSQL));
        assert_eq!(
            r.stderr,
            format!(
                "error: {MYSQL}:{line}:{col}: secret.data.password: environment variable `MYSQL_ROOT_PASSWORD` is not set (fromEnv reads it at render time)\n"
            ),
            "{cmd:?}"
        );
    }
}

/// CI checks a profile without its secret values: validate and lint note a variable that
/// is not set and pass; STS_GEN_REQUIRE_SECRETS (as --require-secrets) makes it an error.
#[test]
fn validate_and_lint_note_a_missing_secret_value() {
    let note = "secret.data.password: environment variable `MYSQL_ROOT_PASSWORD` is not set: checked with a placeholder";
    for cmd in ["validate", "lint"] {
        let r = run(sts().env_remove("MYSQL_ROOT_PASSWORD").args([cmd, MYSQL]));
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
        let notes: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.starts_with("note: "))
            .collect();
        assert_eq!(notes.len(), 1, "{cmd}: {}", r.stderr);
        assert!(notes[0].contains(note), "{cmd}: {}", r.stderr);
        assert!(!r.stderr.contains("error: "), "{cmd}: {}", r.stderr);
        let r = run_bad(
            sts()
                .env_remove("MYSQL_ROOT_PASSWORD")
                .env("STS_GEN_REQUIRE_SECRETS", "true")
                .args([cmd, MYSQL]),
        );
        assert!(
            r.stderr.contains("is not set (fromEnv reads it"),
            "{}",
            r.stderr
        );
    }
    // The placeholder never reaches an output: render still needs the value.
    let r = run_bad(
        sts()
            .env_remove("MYSQL_ROOT_PASSWORD")
            .args(["render", MYSQL]),
    );
    assert!(r.stderr.contains("is not set"), "{}", r.stderr);
}

#[test]
fn missing_profile_file_is_bad_input() {
    let r = run_bad(sts().args(["render", "profiles/no-such-profile.yaml"]));
    assert!(
        r.stderr.contains("profiles/no-such-profile.yaml"),
        "{}",
        r.stderr
    );
}

#[test]
fn help_has_examples() {
    for cmd in ["render", "validate"] {
        let r = run_ok(sts().args([cmd, "--help"]));
        assert!(r.stdout.contains("Example"), "{cmd}: {}", r.stdout);
        assert!(
            r.stdout
                .contains(&format!("sts-gen {cmd} profiles/mysql.yaml")),
            "{cmd}: {}",
            r.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------
// --output-dir

fn render_dir(dir: &Path, extra: &[&str]) -> Run {
    run(sts()
        .args(["render", MYSQL, "--output-dir"])
        .arg(dir)
        .args(extra))
}

fn kustomization_resources(dir: &Path) -> Vec<String> {
    let k: Value =
        serde_saphyr::from_str(&fs::read_to_string(dir.join("kustomization.yaml")).unwrap())
            .unwrap();
    assert_eq!(k["apiVersion"], "kustomize.config.k8s.io/v1beta1");
    assert_eq!(k["kind"], "Kustomization");
    k["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn output_dir_writes_one_file_per_object_in_apply_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let r = render_dir(&dir, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    // One summary line, counted against the empty directory; Secrets counted, not named.
    let objects = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            let n = e.as_ref().unwrap().file_name();
            let n = n.to_string_lossy();
            n.ends_with(".yaml") && n != "kustomization.yaml"
        })
        .count();
    assert_eq!(
        r.stderr,
        format!(
            "{}: {objects} objects written ({objects} new, 0 changed, 0 unchanged), 0 removed; 1 Secret written (mode 0600)\n",
            dir.display()
        )
    );
    let again = render_dir(&dir, &[]);
    assert_eq!(
        again.stderr,
        format!(
            "{}: up to date ({objects} objects, 1 Secret)\n",
            dir.display()
        )
    );
    let fewer = render_dir(&dir, &["--set", "replicas=2"]);
    // Scaling down removes the third local PersistentVolume's file.
    assert!(
        fewer.stderr.contains("(0 new, 1 changed, ")
            && fewer
                .stderr
                .ends_with("), 1 removed; 1 Secret written (mode 0600)\n"),
        "{}",
        fewer.stderr
    );
    let r = render_dir(&dir, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let docs = parse_yaml_stream(&render_mysql(&[]));
    let resources = kustomization_resources(&dir);
    assert_eq!(resources.len(), docs.len());
    let expected: Vec<String> = docs
        .iter()
        .map(|d| format!("{}-{}.yaml", d["kind"].as_str().unwrap(), name(d)).to_lowercase())
        .collect();
    assert_eq!(resources, expected);
    for f in [
        "namespace-mysql.yaml",
        "storageclass-local-storage.yaml",
        "persistentvolume-mysql-data-mysql-0.yaml",
        "persistentvolume-mysql-data-mysql-2.yaml",
        "serviceaccount-mysql.yaml",
        "secret-mysql-secret.yaml",
        "configmap-mysql.yaml",
        "service-mysql.yaml",
        "service-mysql-read.yaml",
        "poddisruptionbudget-mysql.yaml",
        "statefulset-mysql.yaml",
    ] {
        assert!(
            resources.iter().any(|r| r == f),
            "{f} missing: {resources:?}"
        );
    }

    // Each file holds exactly its stdout document.
    for (file, doc) in resources.iter().zip(&docs) {
        let text = fs::read_to_string(dir.join(file)).unwrap();
        let parsed = parse_yaml_stream(&text);
        assert_eq!(parsed.len(), 1, "{file}");
        assert_eq!(&parsed[0], doc, "{file}");
    }

    // Nothing else but the kustomization and sts-gen's manifest.
    let mut all: Vec<String> = snapshot(&dir).into_keys().collect();
    let mut want = resources.clone();
    want.push("kustomization.yaml".into());
    want.push(".sts-gen-manifest".into());
    all.sort();
    want.sort();
    assert_eq!(all, want);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |f: &str| fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("secret-mysql-secret.yaml"), 0o600);
        assert_eq!(mode("statefulset-mysql.yaml") & 0o600, 0o600);
    }
}

#[test]
fn output_dir_second_render_and_stale_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    assert_eq!(render_dir(&dir, &[]).code, 0);
    let first = snapshot(&dir);

    // Same render again: succeeds and changes nothing.
    let r = render_dir(&dir, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(snapshot(&dir), first);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("secret-mysql-secret.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "still private after a re-render");
    }

    // Another namespace renames the PersistentVolumes: the old files go, nothing else stays.
    let r = render_dir(&dir, &["-n", "other"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let resources = kustomization_resources(&dir);
    assert!(resources.contains(&"persistentvolume-other-data-mysql-0.yaml".to_string()));
    let mut all: Vec<String> = snapshot(&dir).into_keys().collect();
    let mut want = resources;
    want.push("kustomization.yaml".into());
    want.push(".sts-gen-manifest".into());
    all.sort();
    want.sort();
    assert_eq!(all, want, "files of the previous render must be removed");
}

#[test]
fn output_dir_refuses_a_foreign_directory_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("notes.txt"), "keep me\n").unwrap();
    fs::write(dir.join("statefulset-mysql.yaml"), "hand-written\n").unwrap();
    let before = snapshot(&dir);

    let r = run_bad(sts().args(["render", MYSQL, "--output-dir"]).arg(&dir));
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: is not empty and was not written by sts-gen; pass --force to write into it\n",
            dir.display()
        )
    );
    assert_eq!(snapshot(&dir), before, "a refused render changes nothing");

    let r = render_dir(&dir, &["--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = snapshot(&dir);
    assert_eq!(after["notes.txt"], b"keep me\n", "unrelated files are kept");
    let sts_doc = parse_yaml_stream(std::str::from_utf8(&after["statefulset-mysql.yaml"]).unwrap());
    assert_eq!(sts_doc[0]["kind"], "StatefulSet");

    // --force needs --output-dir.
    let r = run(sts().args(["render", MYSQL, "--force"]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
}

#[test]
fn output_dir_is_untouched_by_a_failing_render() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    assert_eq!(render_dir(&dir, &[]).code, 0);
    let before = snapshot(&dir);
    let (bad, _) = mysql_variant(tmp.path(), "bad.yaml", "replicas: 3\n", "replicas: three\n");

    let r = run_bad(sts().arg("render").arg(&bad).arg("--output-dir").arg(&dir));
    assert!(r.stderr.contains("replicas"), "{}", r.stderr);
    assert_eq!(snapshot(&dir), before);

    run_bad(
        sts()
            .env_remove("MYSQL_ROOT_PASSWORD")
            .args(["render", MYSQL, "--output-dir"])
            .arg(&dir),
    );
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn kubectl_kustomize_sees_the_same_objects() {
    let Some(kubectl) = find_on_path("kubectl") else {
        eprintln!("kubectl is not on PATH; skipping the kustomize check");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    assert_eq!(render_dir(&dir, &[]).code, 0);
    let out = common::output_ok(
        std::process::Command::new(kubectl)
            .arg("kustomize")
            .arg(&dir),
    );
    let key = |d: &Value| format!("{}/{}", d["kind"].as_str().unwrap(), name(d));
    let mut from_kustomize = parse_yaml_stream(&String::from_utf8(out.stdout).unwrap());
    let mut from_stdout = parse_yaml_stream(&render_mysql(&[]));
    from_kustomize.sort_by_key(key);
    from_stdout.sort_by_key(key);
    assert_eq!(from_kustomize, from_stdout);
}

// ---------------------------------------------------------------------------------------
// --templates

fn templates_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(tmp.path().join(name), text).unwrap();
    }
    tmp
}

const CUSTOM_SA: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ app.serviceAccountName | tojson }}
{% if app.namespace %}
  namespace: {{ app.namespace | tojson }}
{% endif %}
  labels: {{ app.labels | tojson }}
  annotations:
    example.com/custom: {{ "yes" | tojson }}
automountServiceAccountToken: false
"#;

#[test]
fn templates_override_one_file_and_keep_the_rest() {
    let tpl = templates_dir(&[("serviceaccount.yaml.j2", CUSTOM_SA)]);
    let custom = parse_yaml_stream(
        &run_ok(sts().args(["render", MYSQL, "--templates"]).arg(tpl.path())).stdout,
    );
    let default = parse_yaml_stream(&render_mysql(&[]));
    assert_eq!(kinds(&custom), kinds(&default));
    for (c, d) in custom.iter().zip(&default) {
        if c["kind"] == "ServiceAccount" {
            assert_eq!(c["metadata"]["annotations"]["example.com/custom"], "yes");
            let mut without = c.clone();
            without["metadata"]
                .as_object_mut()
                .unwrap()
                .remove("annotations");
            assert_eq!(&without, d, "only the annotation differs");
        } else {
            assert_eq!(c, d, "{} {} must be unchanged", c["kind"], name(c));
        }
    }

    // The environment variable does the same as the flag.
    let via_env = run_ok(
        sts()
            .env("STS_GEN_TEMPLATES", tpl.path())
            .args(["render", MYSQL]),
    )
    .stdout;
    assert_eq!(parse_yaml_stream(&via_env), custom);
}

#[test]
fn templates_verbatim_copy_of_a_builtin_renders_the_same() {
    // Copying a built-in template unchanged into --templates must not change the output.
    for name in [
        "serviceaccount.yaml.j2",
        "service.yaml.j2",
        "statefulset.yaml.j2",
    ] {
        let text = fs::read_to_string(Path::new(ROOT).join("templates").join(name)).unwrap();
        let tpl = templates_dir(&[(name, &text)]);
        let r = run(sts().args(["render", MYSQL, "--templates"]).arg(tpl.path()));
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert_eq!(r.stdout, render_mysql(&[]), "{name}");
    }
}

#[test]
fn template_with_an_unknown_field_names_template_and_field() {
    let tpl = templates_dir(&[(
        "serviceaccount.yaml.j2",
        &CUSTOM_SA.replace(
            "automountServiceAccountToken:",
            "automountServiceAccountTokn:",
        ),
    )]);
    let r = run_bad(sts().args(["render", MYSQL, "--templates"]).arg(tpl.path()));
    assert_eq!(
        r.stderr,
        "error: template `serviceaccount.yaml.j2`, ServiceAccount mysql: unknown field `automountServiceAccountTokn` (Kubernetes would drop it)\n"
    );
}

#[test]
fn template_interpolating_without_tojson_is_refused() {
    let tpl = templates_dir(&[(
        "serviceaccount.yaml.j2",
        &CUSTOM_SA.replace("{{ app.serviceAccountName | tojson }}", "{{ app.name }}"),
    )]);
    for cmd in ["render", "validate"] {
        let r = run_bad(sts().args([cmd, MYSQL, "--templates"]).arg(tpl.path()));
        assert_eq!(
            r.stderr,
            "error: template `serviceaccount.yaml.j2`: line 4: a value is interpolated without `| tojson`; quote every value so profile text cannot change the YAML structure\n",
            "{cmd}"
        );
    }
}

#[test]
fn a_bad_namespace_flag_is_named_as_the_flag_not_a_profile_line() {
    // It was reported at `profiles/mysql.yaml:1:1`, a line that says nothing of it.
    let r = run_bad(sts().args(["render", MYSQL, "-n", "a b"]));
    assert_eq!(
        r.stderr.trim_end(),
        "error: -n/--namespace: namespace `a b` is not a DNS-1123 label (lower-case letters, digits and `-`, starting and ending with a letter or digit)"
    );
    // The profile's own `namespace` is still located at its line.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.yaml");
    let text = fs::read_to_string(Path::new(ROOT).join("examples/minimal.yaml")).unwrap();
    fs::write(&p, text.replace("namespace: cache", "namespace: Cache")).unwrap();
    let r = run_bad(sts().args(["render", p.to_str().unwrap()]));
    assert!(
        r.stderr
            .contains("p.yaml:4:12: namespace: namespace `Cache`"),
        "{}",
        r.stderr
    );
}

/// Config files of 300 KB of multi-byte text make the template output long enough to be
/// read in pieces on two cores; a cut inside a character once aborted the render. The
/// prefixes move the middle of the text across every byte of a character.
#[test]
fn long_multi_byte_config_files_render() {
    let text = "é😀日\u{85}".repeat(14_000);
    for prefix in 0..8 {
        let a = format!("{}{text}", "x".repeat(prefix));
        let profile = format!(
            "apiVersion: sts-gen/v1\nkind: Profile\nname: cache\nimage: redis:7.4.1\nreplicas: 2\n\
             ports: [{{name: redis, port: 6379}}]\nstorage: {{size: 1Gi, mountPath: /data}}\n\
             config:\n  mountPath: /etc/x\n  files:\n    a.conf: \"{a}\"\n    b.conf: \"{text}\"\n"
        );
        let out = run_ok(
            sts()
                .args(["render", "-", "-o", "json"])
                .write_stdin(profile),
        )
        .stdout;
        let list: Value = serde_json::from_str(&out).unwrap();
        let config_map = common::one(list["items"].as_array().unwrap(), "ConfigMap");
        assert_eq!(config_map["data"]["a.conf"], a.as_str());
        assert_eq!(config_map["data"]["b.conf"], text.as_str());
    }
}
