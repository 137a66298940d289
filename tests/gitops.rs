//! GitOps and CI features through the binary: overlays, --set, checksum, generated secrets,
//! --check and diff, upgrade safety, --kube-version.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use common::{json_items as json, one};
use serde_json::Value;

/// The binary, run in `dir` with no secret seed from the environment.
fn bin(dir: &Path) -> Command {
    let mut c = common::sts_gen();
    c.current_dir(dir)
        .env_remove("STS_GEN_SECRET_SEED")
        .env_remove("STS_GEN_SECRET_SEED_FILE");
    c
}

const BASE: &str = "apiVersion: sts-gen/v1
kind: Profile
name: db
namespace: db
image: postgres:16.4
replicas: 2
ports: [{name: pg, port: 5432}]
env: {A: one, B: two}
config:
  mountPath: /etc/db
  files: {db.conf: \"x = 1\\n\"}
roles:
  - {name: primary, ordinals: \"0\", files: {role.conf: \"primary\\n\"}}
  - {name: replica, ordinals: \"1-\", files: {role.conf: \"replica\\n\"}}
storage: {size: 1Gi}
secret: {data: {pw: {generate: 20}}}
";

/// `render base.yaml --secret-seed-file seed ARGS` in `dir` (see [`setup`]).
fn render_seeded(dir: &Path, args: &[&str]) -> Command {
    let mut c = bin(dir);
    c.args(["render", "base.yaml", "--secret-seed-file", "seed"])
        .args(args);
    c
}

fn setup() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("base.yaml"), BASE).unwrap();
    fs::write(t.path().join("seed"), "a-long-enough-secret-seed\n").unwrap();
    t
}

/// The literal value of the app container's env entry `name`; null when there is none.
fn env(docs: &[Value], name: &str) -> Value {
    common::find_env(&common::pod(docs)["containers"][0], name)
        .map(|e| e["value"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn overlays_and_sets_apply_in_order_with_located_errors() {
    let t = setup();
    let d = t.path();
    fs::write(d.join("prod.yaml"), "replicas: 3\nenv: {A: prod}\n").unwrap();
    fs::write(
        d.join("region.yaml"),
        "apiVersion: sts-gen/v1\nkind: Profile\nenv: {A: region, C: three}\n",
    )
    .unwrap();
    fs::write(d.join("replica.cnf"), "[mysqld]\nread-only\n").unwrap();
    let docs = json(
        render_seeded(d, &["-f", "prod.yaml", "-f", "region.yaml"]).args([
            "--set",
            "replicas=4",
            "--set-string",
            "env.B=5",
            "--set-file",
            r"roles.replica.files.role\.conf=replica.cnf",
        ]),
    );
    let sts = one(&docs, "StatefulSet");
    assert_eq!(sts["spec"]["replicas"], 4, "--set wins over overlays");
    assert_eq!(env(&docs, "A"), "region", "later overlay wins");
    assert_eq!(env(&docs, "B"), "5", "--set-string keeps text");
    assert_eq!(env(&docs, "C"), "three");
    assert_eq!(
        one(&docs, "ConfigMap")["data"]["replica--role.conf"],
        "[mysqld]\nread-only\n"
    );
    assert_eq!(
        one(&docs, "ConfigMap")["data"]["primary--role.conf"],
        "primary\n"
    );

    // A bad key in an overlay names the overlay file and line.
    fs::write(d.join("bad.yaml"), "replicas: 3\nreplica: 2\n").unwrap();
    let o = common::run(&mut render_seeded(d, &["-f", "bad.yaml"]));
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    let e = &o.stderr;
    assert!(
        e.contains("bad.yaml:2:1: replica: unknown key `replica` (did you mean `replicas`?)"),
        "{e}"
    );
    // A typed --set checks the type; commas and dots need no escaping traps.
    let o = common::run(&mut render_seeded(d, &["--set", "replicas=many"]));
    assert!(o
        .stderr
        .contains("--set replicas:1:1: replicas: expected an integer"));
    let docs = json(&mut render_seeded(
        d,
        &[
            "--set",
            r#"args=["--a=1,2", --b]"#,
            "--set-string",
            "env.LIST=a,b,c",
        ],
    ));
    assert_eq!(
        one(&docs, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]["args"],
        serde_json::json!(["--a=1,2", "--b"])
    );
    assert_eq!(env(&docs, "LIST"), "a,b,c");
}

#[test]
fn config_checksum_rolls_pods_only_on_config_changes() {
    let t = setup();
    let d = t.path();
    let sum = |extra: &[&str]| {
        let docs = json(&mut render_seeded(d, extra));
        one(&docs, "StatefulSet")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            .clone()
    };
    let base = sum(&[]);
    assert_eq!(base.as_str().unwrap().len(), 64);
    assert_eq!(
        sum(&["--set", "labels.team=x"]),
        base,
        "labels do not roll pods"
    );
    assert_eq!(sum(&["--set", "replicas=5"]), base);
    assert_ne!(sum(&["--set-string", r"config.files.db\.conf=x = 2"]), base);
    assert_ne!(
        sum(&["--set-string", r"roles.primary.files.role\.conf=p2"]),
        base
    );
}

fn secret_value(docs: &[Value]) -> String {
    one(docs, "Secret")["data"]["pw"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn generated_secrets_are_stable() {
    let t = setup();
    let d = t.path();
    // Without a seed or an output directory: a clear error, nothing printed.
    let o = common::run(bin(d).args(["render", "base.yaml"]));
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    assert!(o.stderr.contains("--secret-seed-file"));
    // Seed-derived: identical across runs and "machines" (the seed from a file or the env).
    let a = secret_value(&json(&mut render_seeded(d, &[])));
    let b = secret_value(&json(
        bin(d)
            .args(["render", "base.yaml"])
            .env("STS_GEN_SECRET_SEED", "a-long-enough-secret-seed"),
    ));
    let other = tempfile::tempdir().unwrap();
    fs::write(other.path().join("base.yaml"), BASE).unwrap();
    let c = secret_value(&json(
        bin(other.path())
            .args(["render", "base.yaml"])
            .env("STS_GEN_SECRET_SEED", "a-long-enough-secret-seed"),
    ));
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(base64_decode(&a).len(), 20);
    let n = secret_value(&json(
        bin(d)
            .args(["render", "base.yaml", "-n", "other"])
            .env("STS_GEN_SECRET_SEED", "a-long-enough-secret-seed"),
    ));
    assert_ne!(a, n, "the namespace is part of the derivation");
    // Too short a seed is refused.
    let o = common::run(
        bin(d)
            .args(["render", "base.yaml"])
            .env("STS_GEN_SECRET_SEED", "short"),
    );
    assert_eq!(o.code, 2);
    // Output directory: random the first time, then reused; the file is 0600.
    bin(d)
        .args(["render", "base.yaml", "--output-dir", "out"])
        .assert()
        .success();
    let first = fs::read_to_string(d.join("out/secret-db.yaml")).unwrap();
    bin(d)
        .args([
            "render",
            "base.yaml",
            "--output-dir",
            "out",
            "--set",
            "replicas=3",
        ])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(d.join("out/secret-db.yaml")).unwrap(),
        first
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(d.join("out/secret-db.yaml"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn check_and_diff_exit_codes() {
    let t = setup();
    let d = t.path();
    let render = |extra: &[&str]| {
        let mut c = bin(d);
        c.args(["render", "base.yaml", "--output-dir", "out"])
            .args(extra);
        c
    };
    let diff = |extra: &[&str]| {
        common::run(
            bin(d)
                .args(["diff", "base.yaml", "--output-dir", "out"])
                .args(extra),
        )
    };
    // Missing directory: out of date.
    let o = common::run(&mut render(&["--check"]));
    assert_eq!(o.code, 1);
    assert!(!d.join("out").exists(), "--check writes nothing");
    render(&[]).assert().success();
    fs::write(d.join("out/NOTES.md"), "foreign").unwrap();
    render(&["--check"]).assert().code(0).stdout("");
    bin(d)
        .args(["diff", "base.yaml", "--output-dir", "out"])
        .assert()
        .code(0)
        .stdout("");
    // A change: listed by --check, shown by diff; the secret's contents never are.
    let o = common::run(&mut render(&[
        "--check",
        "--set",
        "env.A=changed",
        "--set",
        "replicas=1",
    ]));
    assert_eq!(o.code, 1);
    let e = &o.stderr;
    assert!(e.contains("changed: statefulset-db.yaml"), "{e}");
    assert!(e.contains("removed: poddisruptionbudget-db.yaml"), "{e}");
    assert!(
        !e.contains("NOTES.md"),
        "foreign files are not ours to report"
    );
    let o = diff(&["--set", "env.A=changed"]);
    assert_eq!(o.code, 1);
    let out = &o.stdout;
    assert!(
        out.contains("-          value: one") && out.contains("+          value: changed"),
        "{out}"
    );
    // A bad profile: exit 2.
    render(&["--check", "--set", "replicas=x"])
        .assert()
        .code(2)
        .stdout("");
    // A changed secret: diff names the file without showing either value.
    let text = fs::read_to_string(d.join("out/secret-db.yaml")).unwrap();
    let old_value = text
        .lines()
        .find(|l| l.contains("pw:"))
        .unwrap()
        .trim()
        .trim_start_matches("pw: ")
        .to_string();
    let o = diff(&["--set-string", "secret.data.pw.value=new-password"]);
    assert_eq!(o.code, 1);
    let out = &o.stdout;
    assert!(
        out.contains("secret-db.yaml\n(secret contents changed; not shown)"),
        "{out}"
    );
    use base64::Engine;
    let new_b64 = base64::engine::general_purpose::STANDARD.encode("new-password");
    assert!(!out.contains(&new_b64) && !out.contains(&old_value) && !out.contains("new-password"));
}

#[test]
fn immutable_statefulset_changes_are_errors_with_the_procedure() {
    let t = setup();
    let d = t.path();
    bin(d)
        .args(["render", "base.yaml", "--output-dir", "out"])
        .assert()
        .success();
    let check_set = |flag: &str| {
        common::run(bin(d).args([
            "render",
            "base.yaml",
            "--output-dir",
            "out",
            "--check",
            "--set",
            flag,
        ]))
    };
    for (flag, field, procedure) in [
        (
            "storage.size=5Gi",
            "spec.volumeClaimTemplates",
            "kubectl patch pvc",
        ),
        (
            "storage.accessModes=[ReadWriteMany]",
            "spec.volumeClaimTemplates",
            "migrate data",
        ),
        (
            "podManagementPolicy=Parallel",
            "spec.podManagementPolicy",
            "--cascade=orphan",
        ),
        (
            "services.headless.name=db-peers",
            "spec.serviceName",
            "--cascade=orphan",
        ),
    ] {
        let o = check_set(flag);
        assert_eq!(o.code, 1, "{flag}");
        let e = &o.stderr;
        assert!(
            e.contains(&format!(
                "error: StatefulSet db: {field} cannot change on an existing StatefulSet"
            )),
            "{flag}: {e}"
        );
        assert!(e.contains(procedure), "{flag}: {e}");
    }
    // A mutable change is not an error.
    let o = check_set("replicas=5");
    assert!(!o.stderr.contains("cannot change"));
}

#[test]
fn kube_version_gates_fields() {
    let t = setup();
    let d = t.path();
    let pdb = |v: &str| {
        let docs = json(&mut render_seeded(d, &["--kube-version", v]));
        one(&docs, "PodDisruptionBudget")["spec"]
            .get("unhealthyPodEvictionPolicy")
            .cloned()
    };
    assert_eq!(pdb("1.26"), None);
    assert_eq!(pdb("1.27"), Some(Value::from("AlwaysAllow")));
    let retention = ["--set", "storage.retention={whenScaled: Delete}"];
    let o = common::run(render_seeded(d, &["--kube-version", "1.26"]).args(retention));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("needs Kubernetes 1.27"));
    let docs = json(render_seeded(d, &["--kube-version", "1.27"]).args(retention));
    assert_eq!(
        one(&docs, "StatefulSet")["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"],
        "Delete"
    );
    for bad in ["1.24", "2.0", "latest", "1.38"] {
        bin(d)
            .args(["render", "base.yaml", "--kube-version", bad])
            .assert()
            .code(2)
            .stdout("");
    }
}

#[test]
fn batch_renders_every_profile_or_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::create_dir(d.join("in")).unwrap();
    for name in ["alpha", "beta", "gamma"] {
        fs::write(
            d.join(format!("in/{name}.yaml")),
            BASE.replace("name: db", &format!("name: {name}"))
                .replace("{generate: 20}", "{value: pw}"),
        )
        .unwrap();
    }
    bin(d)
        .args(["render", "in", "--output-dir", "out"])
        .assert()
        .success()
        .stdout("");
    for name in ["alpha", "beta", "gamma"] {
        let sts =
            fs::read_to_string(d.join(format!("out/{name}/statefulset-{name}.yaml"))).unwrap();
        assert!(sts.contains(&format!("name: {name}\n")));
        assert!(d.join(format!("out/{name}/kustomization.yaml")).exists());
    }
    bin(d)
        .args(["render", "in", "--output-dir", "out", "--check"])
        .assert()
        .code(0);
    let snapshot = |p: &Path| {
        let mut v: Vec<(String, String)> = walk(p)
            .into_iter()
            .map(|f| (f.display().to_string(), fs::read_to_string(&f).unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = snapshot(&d.join("out"));
    // Two bad profiles: both reported, nothing written.
    fs::write(
        d.join("in/delta.yaml"),
        BASE.replace("name: db", "name: delta")
            .replace("replicas: 2", "replica: 2"),
    )
    .unwrap();
    fs::write(
        d.join("in/eps.yaml"),
        BASE.replace("name: db", "name: eps")
            .replace("size: 1Gi", "size: 1Gb"),
    )
    .unwrap();
    fs::write(
        d.join("in/alpha.yaml"),
        BASE.replace("name: db", "name: alpha")
            .replace("replicas: 2", "replicas: 3")
            .replace("{generate: 20}", "{value: pw}"),
    )
    .unwrap();
    let o = common::run(bin(d).args(["render", "in", "--output-dir", "out"]));
    assert_eq!(o.code, 2);
    let e = &o.stderr;
    assert!(e.contains("delta.yaml:6:1: replica: unknown key"), "{e}");
    assert!(e.contains("eps.yaml:15:17: storage.size"), "{e}");
    assert_eq!(snapshot(&d.join("out")), before, "no output changed");
    fs::remove_file(d.join("in/delta.yaml")).unwrap();
    fs::remove_file(d.join("in/eps.yaml")).unwrap();
    fs::write(
        d.join("in/copy.yaml"),
        BASE.replace("name: db", "name: beta")
            .replace("{generate: 20}", "{value: pw}"),
    )
    .unwrap();
    let o = common::run(bin(d).args(["render", "in", "--output-dir", "out"]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("are both named `beta`"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn external_secret_replaces_the_secret() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let profile = BASE.replace(
        "secret: {data: {pw: {generate: 20}}}\n",
        "env: {PW: {secret: pw}, A: one}\nsecret:\n  external:\n    store: {name: vault, kind: ClusterSecretStore}\n    keys: {pw: prod/db/pw, user: {key: prod/db, property: user}}\n",
    ).replace("env: {A: one, B: two}\n", "");
    fs::write(d.join("p.yaml"), &profile).unwrap();
    let docs = json(bin(d).args(["render", "p.yaml"]));
    assert!(
        docs.iter().all(|x| x["kind"] != "Secret"),
        "nothing secret is rendered"
    );
    let es = one(&docs, "ExternalSecret");
    assert_eq!(es["apiVersion"], "external-secrets.io/v1");
    assert_eq!(es["metadata"]["name"], "db");
    assert_eq!(
        es["spec"]["secretStoreRef"],
        serde_json::json!({"name": "vault", "kind": "ClusterSecretStore"})
    );
    assert_eq!(es["spec"]["target"]["name"], "db");
    assert_eq!(
        es["spec"]["data"],
        serde_json::json!([
            {"secretKey": "pw", "remoteRef": {"key": "prod/db/pw"}},
            {"secretKey": "user", "remoteRef": {"key": "prod/db", "property": "user"}}
        ])
    );
    let pw =
        one(&docs, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]["env"][0].clone();
    assert_eq!(
        pw["valueFrom"]["secretKeyRef"],
        serde_json::json!({"key": "pw", "name": "db"})
    );
    // A key the store does not provide is an error, as for a rendered Secret.
    fs::write(
        d.join("q.yaml"),
        profile.replace("{secret: pw}", "{secret: pwd}"),
    )
    .unwrap();
    let o = common::run(bin(d).args(["render", "q.yaml"]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("`pwd` is not a key of the Secret"));
}

fn repo() -> &'static Path {
    Path::new(common::ROOT)
}

/// The plugin's generate command, run as Argo CD's cmp-server runs it: `command` + `args`, in
/// the Application's source directory, with the build environment (ARGOCD_APP_*, KUBE_VERSION,
/// the parameters as PARAM_*, plugin env as ARGOCD_ENV_*), no terminal on stdin.
fn run_plugin(dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let plugin: Value = serde_saphyr::from_str(
        &fs::read_to_string(repo().join("docs/argocd/plugin.yaml")).unwrap(),
    )
    .unwrap();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let command = common::strings(&plugin["spec"]["generate"]["command"]);
    let args = common::strings(&plugin["spec"]["generate"]["args"]);
    let exe_dir = assert_cmd::cargo::cargo_bin("sts-gen")
        .parent()
        .unwrap()
        .to_path_buf();
    let mut cmd = std::process::Command::new(&command[0]);
    cmd.args(&command[1..])
        .args(&args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", common::path_with(&exe_dir))
        .env("ARGOCD_APP_NAME", "cache")
        .env("ARGOCD_APP_NAMESPACE", "team-a")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("ARGOCD_APP_SOURCE_PATH", "apps/cache")
        .env("STS_GEN_SECRET_SEED", "argocd-example-seed-0001")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn plugin_docs(dir: &Path, env: &[(&str, &str)]) -> Vec<Value> {
    let o = run_plugin(dir, env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    common::parse_yaml_stream(&String::from_utf8(o.stdout).unwrap())
}

#[test]
fn argocd_plugin_generate_command_renders_the_example() {
    let example = repo().join("docs/argocd/example");
    let docs = plugin_docs(&example, &[]);
    let sts = one(&docs, "StatefulSet");
    assert_eq!(
        sts["metadata"]["namespace"], "team-a",
        "ARGOCD_APP_NAMESPACE is the default namespace"
    );
    assert_eq!(sts["spec"]["replicas"], 3);
    // The plugin env (the form before parameters).
    let docs_prod = plugin_docs(&example, &[("ARGOCD_ENV_STS_GEN_OVERLAYS", "prod.yaml")]);
    assert_eq!(one(&docs_prod, "StatefulSet")["spec"]["replicas"], 5);
    // The `overlays` parameter, as Argo CD passes an array parameter.
    let docs_param = plugin_docs(&example, &[("PARAM_OVERLAYS_0", "prod.yaml")]);
    assert_eq!(docs_param, docs_prod);
    // Stable across renders: generated secrets derive from the seed.
    assert_eq!(
        common::first(&docs, "Secret"),
        common::first(&plugin_docs(&example, &[]), "Secret")
    );
}

#[test]
fn argocd_plugin_announces_overlays_and_applies_them_in_order() {
    let plugin: Value = serde_saphyr::from_str(
        &fs::read_to_string(repo().join("docs/argocd/plugin.yaml")).unwrap(),
    )
    .unwrap();
    let param = &plugin["spec"]["parameters"]["static"][0];
    assert_eq!(param["name"], "overlays");
    assert_eq!(param["collectionType"], "array");
    let d = tempfile::tempdir().unwrap();
    fs::copy(
        repo().join("docs/argocd/example/sts-gen.yaml"),
        d.path().join("sts-gen.yaml"),
    )
    .unwrap();
    fs::write(d.path().join("a.yaml"), "replicas: 4\n").unwrap();
    fs::write(d.path().join("b.yaml"), "replicas: 6\n").unwrap();
    // A name that would match files as a glob: it must reach sts-gen as written.
    fs::write(d.path().join("[ab].yaml"), "replicas: 2\n").unwrap();
    let replicas = |env: &[(&str, &str)]| {
        one(&plugin_docs(d.path(), env), "StatefulSet")["spec"]["replicas"].clone()
    };
    assert_eq!(
        replicas(&[
            ("PARAM_OVERLAYS_0", "a.yaml"),
            ("PARAM_OVERLAYS_1", "b.yaml")
        ]),
        6
    );
    assert_eq!(
        replicas(&[
            ("PARAM_OVERLAYS_0", "b.yaml"),
            ("PARAM_OVERLAYS_1", "a.yaml")
        ]),
        4
    );
    assert_eq!(replicas(&[("ARGOCD_ENV_STS_GEN_OVERLAYS", "[ab].yaml")]), 2);
    assert_eq!(
        replicas(&[
            ("PARAM_OVERLAYS_0", "a.yaml"),
            ("ARGOCD_ENV_STS_GEN_OVERLAYS", "b.yaml")
        ]),
        6
    );
}

#[test]
fn argocd_plugin_passes_the_cluster_version() {
    let d = tempfile::tempdir().unwrap();
    // maxUnavailable draws a warning only below 1.35: the version reached sts-gen.
    fs::write(
        d.path().join("sts-gen.yaml"),
        "apiVersion: sts-gen/v1\nkind: Profile\nname: web\nimage: nginx:1.27\nstorage: none\nreplicas: 2\nupdateStrategy: {maxUnavailable: 1}\n",
    )
    .unwrap();
    for (kube, warns) in [("v1.29.4", true), ("1.36.1+k3s1", false), ("1.35", false)] {
        let o = run_plugin(d.path(), &[("KUBE_VERSION", kube)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(stderr.contains("maxUnavailable"), warns, "{kube}: {stderr}");
    }
    let o = run_plugin(d.path(), &[("KUBE_VERSION", "1.20.0")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--kube-version `1.20.0`"));
}

#[test]
fn argocd_plugin_fails_cleanly_on_a_bad_profile() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("sts-gen.yaml"),
        "apiVersion: sts-gen/v1\nkind: Profile\nname: Bad_Name\nimage: nginx:1.27\nstorage: none\n",
    )
    .unwrap();
    let o = run_plugin(d.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "nothing for Argo CD to apply");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("sts-gen.yaml:3:7: name"), "{stderr}");
    // A missing overlay is reported by name, not swallowed.
    let o = run_plugin(
        repo().join("docs/argocd/example").as_path(),
        &[("PARAM_OVERLAYS_0", "nope.yaml")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.yaml"));
}

#[test]
fn argocd_namespace_never_overrides_the_profile_or_the_flag() {
    let t = setup();
    let d = t.path();
    let ns = |extra: &[&str], profile: &str| {
        let docs = json(
            bin(d)
                .args(["render", profile, "--secret-seed-file", "seed"])
                .args(extra)
                .env("ARGOCD_APP_NAMESPACE", "argo-ns"),
        );
        one(&docs, "StatefulSet")["metadata"]["namespace"].clone()
    };
    assert_eq!(ns(&[], "base.yaml"), "db", "the profile's namespace wins");
    assert_eq!(ns(&["-n", "flag"], "base.yaml"), "flag");
    fs::write(d.join("nons.yaml"), BASE.replace("namespace: db\n", "")).unwrap();
    assert_eq!(ns(&[], "nons.yaml"), "argo-ns");
}

#[test]
fn flux_example_renders_to_a_kustomize_base() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("orders");
    let flux = |extra: &[&str]| {
        let mut c = bin(repo());
        c.args([
            "render",
            "docs/flux/profile.yaml",
            "-f",
            "docs/flux/prod.yaml",
        ])
        .args(extra)
        .arg("--output-dir")
        .arg(&out);
        c
    };
    let o = common::run(&mut flux(&[]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        !out.join("secret-orders.yaml").exists(),
        "secret.external: nothing secret committed"
    );
    assert!(out.join("externalsecret-orders.yaml").exists());
    flux(&["--check"]).assert().code(0);
    let sts: Value =
        serde_saphyr::from_str(&fs::read_to_string(out.join("statefulset-orders.yaml")).unwrap())
            .unwrap();
    assert_eq!(sts["spec"]["replicas"], 3);
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
        "fast-ssd"
    );
    if let Ok(k) = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(&out)
        .output()
    {
        assert!(k.status.success(), "{}", String::from_utf8_lossy(&k.stderr));
        let n = common::parse_yaml_stream(&String::from_utf8(k.stdout).unwrap()).len();
        assert_eq!(
            n,
            fs::read_dir(&out).unwrap().count() - 2,
            "every object except kustomization and manifest"
        );
    }
}

#[test]
fn schema_completions_and_man_page() {
    let d = repo();
    let out = common::run(bin(d).arg("schema"));
    assert_eq!(out.code, 0);
    let schema: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(schema["title"], "Profile");
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown keys are schema errors too"
    );
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["apiVersion", "kind", "name"]);
    for field in [
        "replicas", "storage", "roles", "nodeSets", "preset", "secret", "services",
    ] {
        assert!(schema["properties"].get(field).is_some(), "{field}");
    }
    for (shell, needle) in [
        ("bash", "complete -F _sts__gen"),
        ("zsh", "#compdef sts-gen"),
        ("fish", "complete -c sts-gen"),
    ] {
        let o = common::run(bin(d).args(["completions", shell]));
        assert_eq!(o.code, 0);
        let text = &o.stdout;
        assert!(
            text.contains(needle),
            "{shell}: {}",
            &text[..text.len().min(200)]
        );
        // Subcommands' arguments are defined lazily (cli::Lazy); completions need them all.
        for flag in ["set-string", "output-dir", "fail-on", "name", "check"] {
            let written = match shell {
                "fish" => format!("-l {flag}"),
                _ => format!("--{flag}"),
            };
            assert!(
                text.contains("render") && text.contains(&written),
                "{shell}: {written}"
            );
        }
    }
    let man = common::run(bin(d).arg("man"));
    let text = &man.stdout;
    assert!(
        text.contains(".TH sts-gen 1") && text.contains("render"),
        "{text}"
    );
}

/// `kustomize build docs/flux` must not take the Flux example for the folder's kustomization:
/// kustomize reads kustomization.yaml, kustomization.yml and Kustomization.
#[test]
fn flux_example_is_not_a_kustomize_kustomization() {
    for name in ["kustomization.yaml", "kustomization.yml", "Kustomization"] {
        assert!(
            !repo().join("docs/flux").join(name).exists(),
            "docs/flux/{name}"
        );
    }
    let text = fs::read_to_string(repo().join("docs/flux/flux-kustomization.yaml")).unwrap();
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(doc["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
    assert_eq!(doc["kind"], "Kustomization");
}
