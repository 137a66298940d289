//! Identity: two installs never share an object, and a Namespace is rendered only on request.

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

/// The environment variables a preset's `fromEnv` secret sources read.
fn env_vars(preset: &str) -> Vec<String> {
    let doc: Value = serde_saphyr::from_str(&common::bundled_text(preset)).unwrap();
    let mut vars = Vec::new();
    if let Some(data) = doc["secret"]["data"].as_object() {
        for source in data.values() {
            if let Some(v) = source["fromEnv"].as_str() {
                vars.push(v.to_string());
            }
        }
    }
    vars
}

/// `preset` installed as `name` in namespace `ns`, with local volumes on node `n1`, rendered
/// by the binary.
fn install(preset: &str, name: &str, ns: &str) -> Vec<Value> {
    let text = format!(
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: {preset}\nname: {name}\nnamespace: {ns}\ncreateNamespace: false\nreplicas: 3\nstorage: {{local: {{path: /mnt/disks, nodes: [n1]}}}}\n"
    );
    let mut cmd = common::sts_gen();
    cmd.args(["render", "-"])
        .write_stdin(text)
        .env("STS_GEN_SECRET_SEED", "a seed of sixteen bytes or more");
    for var in env_vars(preset) {
        cmd.env(var, format!("{name}-secret-value"));
    }
    common::json_items(&mut cmd)
}

fn identity(o: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (
        s(&o["kind"]),
        s(&o["metadata"]["namespace"]),
        s(&o["metadata"]["name"]),
    )
}

#[test]
fn two_installs_of_every_preset_in_one_namespace_share_no_object() {
    for preset in common::bundled_names() {
        let mut seen: BTreeMap<(String, String, String), &str> = BTreeMap::new();
        let orders = install(&preset, "orders", "shop");
        let users = install(&preset, "users", "shop");
        for (app, items) in [("orders", &orders), ("users", &users)] {
            assert!(
                items.iter().any(|o| o["kind"] == "PersistentVolume")
                    && items.iter().any(|o| o["kind"] == "StorageClass"),
                "{preset}: the test means to cover cluster-scoped objects"
            );
            for o in items.iter() {
                let id = identity(o);
                if let Some(first) = seen.insert(id.clone(), app) {
                    panic!("{preset}: {first} and {app} both render {id:?}");
                }
                // Cluster-scoped objects name their app, never the other one.
                if o["metadata"].get("namespace").is_none() {
                    assert_eq!(
                        o["metadata"]["labels"]["app.kubernetes.io/name"], app,
                        "{preset}: {id:?}"
                    );
                }
            }
        }
        // Every reference follows: the Secret the pods mount and the claims' class are the
        // install's own.
        for (app, items) in [("orders", &orders), ("users", &users)] {
            let names: Vec<(String, String, String)> = items.iter().map(identity).collect();
            let text = serde_json::to_string(&common::all(items, "StatefulSet")).unwrap();
            for (kind, _, name) in &names {
                if kind == "Secret" || kind == "ConfigMap" {
                    assert!(name.starts_with(app), "{preset}: {kind} {name}");
                }
            }
            let other = if app == "orders" { "users" } else { "orders" };
            assert!(
                !text.contains(&format!("\"{other}")) && !text.contains(&format!("{other}-")),
                "{preset}: {app}'s StatefulSet refers to {other}"
            );
        }
    }
}

#[test]
fn a_local_storage_class_is_the_apps_own_unless_named() {
    let items = install("web", "site", "www");
    let sc = common::one(&items, "StorageClass");
    assert_eq!(sc["metadata"]["name"], "www-site-local");
    for pv in common::all(&items, "PersistentVolume") {
        assert_eq!(pv["spec"]["storageClassName"], "www-site-local");
    }
    let vct = &common::sts(&items)["spec"]["volumeClaimTemplates"][0];
    assert_eq!(vct["spec"]["storageClassName"], "www-site-local");
}

const PLAIN: &str =
    "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: db:1\nstorage: {size: 1Gi}\n";

fn namespaces(items: &[Value]) -> Vec<String> {
    common::all(items, "Namespace")
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_namespace_is_rendered_only_when_asked_for() {
    // `namespace:` alone: objects carry it, no Namespace.
    let text = format!("{PLAIN}namespace: prod\n");
    let r = common::run_ok(
        common::sts_gen()
            .args(["render", "-", "-o", "json"])
            .write_stdin(text.clone()),
    );
    let list: Value = serde_json::from_str(&r.stdout).unwrap();
    let items = list["items"].as_array().unwrap();
    assert!(namespaces(items).is_empty());
    assert_eq!(common::sts(items)["metadata"]["namespace"], "prod");
    // A preset profile used to render one: it is told, at the line.
    let r = common::run(common::sts_gen().args(["render", "-"]).write_stdin(
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: web\nname: site\nnamespace: www\n",
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("kind: Namespace"));
    assert!(
        r.stderr.starts_with("warning: <stdin>:5:")
            && r.stderr.contains("createNamespace: true")
            && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
    // -n and Argo CD's namespace never create one either, and say nothing.
    let mut cmd = common::sts_gen();
    cmd.args(["render", "-", "-n", "dev"]).write_stdin(PLAIN);
    let items = common::json_items(&mut cmd);
    assert!(namespaces(&items).is_empty());
    assert_eq!(common::sts(&items)["metadata"]["namespace"], "dev");
    let mut cmd = common::sts_gen();
    cmd.args(["render", "-"])
        .env("ARGOCD_APP_NAMESPACE", "argo-ns")
        .write_stdin(PLAIN);
    let items = common::json_items(&mut cmd);
    assert!(namespaces(&items).is_empty());
    assert_eq!(common::sts(&items)["metadata"]["namespace"], "argo-ns");
    // Asked for: one Namespace, also when -n chooses it.
    let items = common::render_stdin(&format!("{text}createNamespace: true\n"), &[]);
    assert_eq!(namespaces(&items), ["prod"]);
    let items = common::render_stdin(
        &format!("{PLAIN}createNamespace: true\n"),
        &["-n", "from-flag"],
    );
    assert_eq!(namespaces(&items), ["from-flag"]);
    // Said no: silent.
    common::run_ok(
        common::sts_gen()
            .args(["render", "-"])
            .write_stdin(format!("{text}createNamespace: false\n")),
    );
}

#[test]
fn system_namespaces_are_never_rendered() {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let r = common::run(
            common::sts_gen()
                .args(["render", "-"])
                .write_stdin(format!("{PLAIN}namespace: {ns}\ncreateNamespace: true\n")),
        );
        assert_eq!(r.code, 2, "{ns}");
        assert_eq!(r.stdout, "");
        assert!(
            r.stderr.contains("<stdin>:7:")
                && r.stderr.contains("createNamespace")
                && r.stderr.contains(&format!("`{ns}`")),
            "{}",
            r.stderr
        );
        // Named without createNamespace: used, never rendered, no warning.
        let mut cmd = common::sts_gen();
        cmd.args(["render", "-"])
            .write_stdin(format!("{PLAIN}namespace: {ns}\n"));
        let r = common::run_ok(&mut cmd);
        assert!(!r.stdout.contains("kind: Namespace"), "{ns}");
    }
    // createNamespace without any namespace is an error too.
    let r = common::run(
        common::sts_gen()
            .args(["render", "-"])
            .write_stdin(format!("{PLAIN}createNamespace: true\n")),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("createNamespace: true needs a namespace"),
        "{}",
        r.stderr
    );
}

/// `render DIR --output-dir OUT` of `profiles` (file name, text) in a temporary directory.
fn batch(profiles: &[(&str, &str)]) -> (common::Run, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for (file, text) in profiles {
        std::fs::write(input.join(file), text).unwrap();
    }
    let r = common::run(
        common::sts_gen()
            .args(["render"])
            .arg(&input)
            .arg("--output-dir")
            .arg(tmp.path().join("out")),
    );
    (r, tmp)
}

fn web(name: &str, extra: &str) -> String {
    format!("apiVersion: sts-gen/v1\nkind: Profile\npreset: web\nname: {name}\nnamespace: shop\n{extra}")
}

#[test]
fn a_batch_never_renders_one_object_from_two_profiles() {
    // Two apps in one namespace with local volumes: nothing shared, both written.
    let local = "storage: {local: {path: /d, nodes: [n1]}}\ncreateNamespace: false\n";
    let (r, tmp) = batch(&[("a.yaml", &web("a", local)), ("b.yaml", &web("b", local))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for app in ["a", "b"] {
        let dir = tmp.path().join("out").join(app);
        assert!(dir
            .join(format!("storageclass-shop-{app}-local.yaml"))
            .is_file());
        assert!(!dir.join("namespace-shop.yaml").exists());
    }

    // One StorageClass named in two profiles (rendered differently: each carries its app's
    // label), and a Namespace one app creates while the other lives in it: exit 2, every
    // conflict named with its profiles, nothing written.
    let named = "storage: {className: shared-local, local: {path: /d, nodes: [n1]}}\n";
    let (r, tmp) = batch(&[
        (
            "a.yaml",
            &web("a", &format!("{named}createNamespace: true\n")),
        ),
        (
            "b.yaml",
            &web("b", &format!("{named}createNamespace: false\n")),
        ),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(!tmp.path().join("out").exists());
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(
        lines[0].starts_with("error: Namespace shop is rendered by ")
            && lines[0].contains("a.yaml (createNamespace: true)")
            && lines[0].contains("b.yaml"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(
            "error: StorageClass shared-local is rendered by 2 profiles, differently: "
        ) && lines[1].contains("a.yaml")
            && lines[1].contains("b.yaml"),
        "{}",
        lines[1]
    );
}
