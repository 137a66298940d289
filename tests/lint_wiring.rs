//! The `pod-references` lint rule: after a kustomize `namePrefix`, `namespace` or replicas
//! patch on sts-gen's output, the names written inside text (pod DNS names in env, args and
//! config files), PV claimRefs and pod-name selectors no longer match the objects. Each
//! transform is done here by editing the rendered objects as kustomize does, and again with
//! `kubectl kustomize` when kubectl is on PATH. Untransformed output of every preset, and
//! manifests of other apps, give no finding.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{run, sts_gen as sts};
use serde_json::{json, Value};

const RULE: &str = "pod-references";

/// A profile with every kind of reference the rule follows.
const PROFILE: &str = r#"apiVersion: sts-gen/v1
kind: Profile
name: db
namespace: data
image: example/db:1.0
replicas: 3
ports: [{name: client, port: 5000}, {name: peer, port: 5001}]
env:
  SEED: "{{ name }}-0.{{ headless }}.{{ namespace }}.svc.{{ clusterDomain }}:5001"
  READ_URL: "http://{{ name }}-read.{{ namespace }}.svc:5000"
args: ["--join=db-0.db"]
storage:
  size: 1Gi
  className: local-db
  local: {path: /mnt/db, nodes: [n1, n2, n3], bindToClaims: true}
config:
  files:
    peers.conf: |
      {% for i in range(replicas) %}peer={{ name }}-{{ i }}.{{ headless }}.{{ namespace }}.svc.{{ clusterDomain }}:5001
      {% endfor %}
roles:
  - {name: leader, ordinals: "0"}
  - {name: follower, ordinals: "1-"}
services:
  primary: {}
  extra: [{name: "{{ name }}-2-lb", ordinal: 2, ports: [client]}]
"#;

fn rendered(dir: &Path) -> Vec<Value> {
    let file = dir.join("p.yaml");
    fs::write(&file, PROFILE).unwrap();
    common::json_items(sts().args(["render", file.to_str().unwrap()]))
}

/// `pod-references` findings of linting `items`: (kind, name, path, message).
fn findings(dir: &Path, items: &[Value]) -> Vec<(String, String, String, String)> {
    rule_findings(dir, items, RULE)
}

/// Findings of `rule` of linting `items`.
fn rule_findings(dir: &Path, items: &[Value], rule: &str) -> Vec<(String, String, String, String)> {
    let file = dir.join("m.json");
    fs::write(
        &file,
        serde_json::to_string(&json!({"apiVersion": "v1", "kind": "List", "items": items}))
            .unwrap(),
    )
    .unwrap();
    lint_file_rule(&file, rule)
}

fn lint_file(file: &Path) -> Vec<(String, String, String, String)> {
    lint_file_rule(file, RULE)
}

fn lint_file_rule(file: &Path, rule: &str) -> Vec<(String, String, String, String)> {
    let r = run(sts().args(["lint", file.to_str().unwrap(), "-o", "json"]));
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("kind"), s("name"), s("path"), s("message"))
        })
        .collect()
}

fn where_(f: &[(String, String, String, String)]) -> BTreeSet<(String, String)> {
    f.iter()
        .map(|(k, _, p, _)| (k.clone(), p.clone()))
        .collect()
}

fn pair(kind: &str, path: &str) -> (String, String) {
    (kind.to_string(), path.to_string())
}

/// kustomize `namePrefix`: names change, and the references kustomize knows (serviceName,
/// ConfigMap and Secret refs, StorageClass, ServiceAccount); text, claimRefs and label values
/// do not.
fn name_prefix(items: &mut [Value], prefix: &str) {
    let p = |v: &mut Value| {
        if let Some(s) = v.as_str() {
            *v = json!(format!("{prefix}{s}"));
        }
    };
    for item in items.iter_mut() {
        if item["kind"] != "Namespace" {
            p(&mut item["metadata"]["name"]);
        }
        match item["kind"].as_str().unwrap() {
            "PersistentVolume" => p(&mut item["spec"]["storageClassName"]),
            "StatefulSet" => {
                let spec = &mut item["spec"];
                p(&mut spec["serviceName"]);
                for c in spec["volumeClaimTemplates"].as_array_mut().unwrap() {
                    p(&mut c["spec"]["storageClassName"]);
                }
                let pod = &mut spec["template"]["spec"];
                p(&mut pod["serviceAccountName"]);
                for v in pod["volumes"].as_array_mut().into_iter().flatten() {
                    if v.get("configMap").is_some() {
                        p(&mut v["configMap"]["name"]);
                    }
                }
            }
            _ => {}
        }
    }
}

/// kustomize `namespace`: every namespaced object moves; text and claimRefs stay.
fn namespace(items: &mut [Value], ns: &str) {
    for item in items.iter_mut() {
        if item["metadata"].get("namespace").is_some() {
            item["metadata"]["namespace"] = json!(ns);
        }
    }
}

fn replicas(items: &mut [Value], n: u32) {
    for item in items.iter_mut().filter(|i| i["kind"] == "StatefulSet") {
        item["spec"]["replicas"] = json!(n);
    }
}

#[test]
fn untransformed_output_has_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    let items = rendered(dir.path());
    assert_eq!(findings(dir.path(), &items), []);
}

#[test]
fn a_name_prefix_breaks_dns_names_claim_refs_and_pod_selectors() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = rendered(dir.path());
    name_prefix(&mut items, "prod-");
    let f = findings(dir.path(), &items);
    let at = where_(&f);
    for expected in [
        pair(
            "StatefulSet",
            "spec.template.spec.containers[0].env[0].value",
        ),
        pair(
            "StatefulSet",
            "spec.template.spec.containers[0].env[1].value",
        ),
        pair("StatefulSet", "spec.template.spec.containers[0].args[0]"),
        pair("ConfigMap", "data.peers.conf"),
        pair(
            "Service",
            "spec.selector.statefulset.kubernetes.io/pod-name",
        ),
    ] {
        assert!(at.contains(&expected), "{expected:?} not in {f:#?}");
    }
    // Both pod-name Services, each peer of the config file; the local PVs' claimRefs are
    // `local-pvs` findings (one finding per problem).
    let count = |kind: &str| f.iter().filter(|x| x.0 == kind).count();
    assert_eq!(count("PersistentVolume"), 0, "{f:#?}");
    let local = rule_findings(dir.path(), &items, "local-pvs");
    assert_eq!(local.len(), 3, "{local:#?}");
    assert!(local
        .iter()
        .all(|x| x.3.starts_with("claimRef `data/data-db-")));
    assert_eq!(count("Service"), 2, "{f:#?}");
    assert_eq!(count("ConfigMap"), 3, "{f:#?}");
    let seed = &f.iter().find(|x| x.2.ends_with("env[0].value")).unwrap().3;
    assert!(
        seed.contains("`db-0.db.data.svc.cluster.local`")
            && seed.contains("StatefulSet `prod-db` (serviceName `prod-db`"),
        "{seed}"
    );
}

#[test]
fn a_namespace_change_breaks_qualified_names_and_claim_refs_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = rendered(dir.path());
    namespace(&mut items, "prod");
    let f = findings(dir.path(), &items);
    let at = where_(&f);
    assert!(at.contains(&pair("ConfigMap", "data.peers.conf")), "{f:#?}");
    assert_eq!(rule_findings(dir.path(), &items, "local-pvs").len(), 3);
    assert!(
        at.contains(&pair(
            "StatefulSet",
            "spec.template.spec.containers[0].env[1].value"
        )),
        "{f:#?}"
    );
    // Short names (`db-0.db`) resolve in the pod's own namespace, and pod-name selectors
    // move with their Service: both still work.
    assert!(!at.contains(&pair(
        "StatefulSet",
        "spec.template.spec.containers[0].args[0]"
    )));
    assert!(!f.iter().any(|x| x.0 == "Service"), "{f:#?}");
}

/// A statically provisioned volume (NFS, any class without a `local-pvs` rule) pre-bound to
/// claim 0 of the StatefulSet.
fn static_pv() -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "db-nfs-0"},
           "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "", "nfs": {"server": "nfs.example", "path": "/db/0"},
                    "claimRef": {"name": "data-db-0", "namespace": "data"}}})
}

#[test]
fn claim_refs_of_other_volumes_follow_the_statefulset() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = rendered(dir.path());
    items.push(static_pv());
    assert_eq!(findings(dir.path(), &items), []);
    let mut prefixed = items.clone();
    name_prefix(&mut prefixed, "prod-");
    let f = findings(dir.path(), &prefixed);
    let pv: Vec<_> = f.iter().filter(|x| x.0 == "PersistentVolume").collect();
    assert_eq!(pv.len(), 1, "{f:#?}");
    assert_eq!(pv[0].2, "spec.claimRef");
    assert!(
        pv[0]
            .3
            .starts_with("claimRef `data/data-db-0` is not a claim StatefulSet `prod-db`")
            && pv[0]
                .3
                .contains("`data-prod-db-<ordinal>` in namespace `data`"),
        "{}",
        pv[0].3
    );
    let mut moved = items;
    namespace(&mut moved, "prod");
    let f = findings(dir.path(), &moved);
    assert!(
        f.iter()
            .any(|x| x.0 == "PersistentVolume" && x.3.contains("in namespace `prod`")),
        "{f:#?}"
    );
}

#[test]
fn fewer_replicas_break_references_to_the_pods_that_are_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = rendered(dir.path());
    replicas(&mut items, 2);
    let f = findings(dir.path(), &items);
    let msgs: Vec<&str> = f.iter().map(|x| x.3.as_str()).collect();
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(
        msgs.iter().any(
            |m| m.starts_with("`db-2.db.data.svc.cluster.local` names pod `db-2`")
                && m.contains("has pods up to `db-1`")
        ),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.starts_with("selects pod `db-2`")),
        "{msgs:?}"
    );
    // A PV pre-bound to claim 2 is a spare for the next scale-up, not an error.
    assert!(!f.iter().any(|x| x.0 == "PersistentVolume"));
}

#[test]
fn every_preset_untransformed_has_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    for name in common::bundled_names() {
        for ns in [None, Some("lint-ns")] {
            let mut cmd = sts();
            cmd.args(["render", &format!("profiles/{name}.yaml")]);
            if let Some(ns) = ns {
                cmd.args(["-n", ns]);
            }
            for var in [
                "MYSQL_ROOT_PASSWORD",
                "POSTGRES_PASSWORD",
                "POSTGRES_REPLICATION_PASSWORD",
                "REDIS_PASSWORD",
                "MONGODB_ROOT_PASSWORD",
                "MONGODB_KEYFILE",
            ] {
                cmd.env(var, "lint-test-secret-0123456789");
            }
            let items = common::json_items(&mut cmd);
            assert_eq!(findings(dir.path(), &items), [], "{name} {ns:?}");
        }
    }
}

#[test]
fn other_apps_references_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = rendered(dir.path());
    let other: Vec<Value> = serde_json::from_value(json!([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "client", "namespace": "data"},
         "data": {"urls": "kafka-1.kafka-headless.kafka.svc.cluster.local:9092 pg.other.svc redis-0.redis"}},
        {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-other"},
         "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "manual",
                  "hostPath": {"path": "/x"}, "claimRef": {"name": "cache-redis-0", "namespace": "cache"}}},
    ]))
    .unwrap();
    items.extend(other);
    assert_eq!(findings(dir.path(), &items), []);
}

/// The same three transforms with kustomize itself, when kubectl is installed.
#[test]
fn kubectl_kustomize_transforms_are_flagged() {
    let Some(kubectl) = common::find_on_path("kubectl") else {
        eprintln!("kubectl not on PATH: the hand-made transforms above cover the rule");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.yaml");
    fs::write(&profile, PROFILE).unwrap();
    let base = dir.path().join("base");
    let r = run(sts().args([
        "render",
        profile.to_str().unwrap(),
        "--output-dir",
        base.to_str().unwrap(),
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let overlay = dir.path().join("overlay");
    fs::create_dir(&overlay).unwrap();
    for (transform, expected) in [
        ("namePrefix: prod-", "StatefulSet"),
        ("namespace: prod", "ConfigMap"),
        ("replicas: [{name: db, count: 2}]", "Service"),
    ] {
        fs::write(
            overlay.join("kustomization.yaml"),
            format!("resources: [../base]\n{transform}\n"),
        )
        .unwrap();
        let out = std::process::Command::new(&kubectl)
            .args(["kustomize", overlay.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file = dir.path().join("built.yaml");
        fs::write(&file, &out.stdout).unwrap();
        let f = lint_file(&file);
        assert!(f.iter().any(|x| x.0 == expected), "{transform}: {f:#?}");
    }
    // The base itself, through kustomize, is clean.
    fs::write(overlay.join("kustomization.yaml"), "resources: [../base]\n").unwrap();
    let out = std::process::Command::new(&kubectl)
        .args(["kustomize", overlay.to_str().unwrap()])
        .output()
        .unwrap();
    let file = dir.path().join("built.yaml");
    fs::write(&file, &out.stdout).unwrap();
    assert_eq!(lint_file(&file), []);
}

/// A patch that renames (or drops) the headless Service sts-gen renders leaves serviceName
/// naming nothing: the pods' DNS names, by which they find their peers, do not resolve.
/// Anyone else's StatefulSet may name a Service made apart; sts-gen's output may not.
#[test]
fn a_patch_renaming_the_headless_service_breaks_service_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = rendered(dir.path());
    let sts_name = items.iter().find(|i| i["kind"] == "StatefulSet").unwrap()["spec"]
        ["serviceName"]
        .as_str()
        .unwrap()
        .to_string();
    for item in items.iter_mut() {
        if item["kind"] == "Service" && item["metadata"]["name"] == json!(sts_name) {
            item["metadata"]["name"] = json!(format!("{sts_name}-hl"));
        }
    }
    let found = rule_findings(dir.path(), &items, "service-name");
    assert_eq!(
        found,
        [(
            "StatefulSet".to_string(),
            "db".to_string(),
            "spec.serviceName".to_string(),
            "serviceName `db` is not a Service among the manifests, and sts-gen renders it with the StatefulSet (renamed or dropped by a patch?)".to_string()
        )]
    );
    // Without sts-gen's label it is anyone's StatefulSet, whose Service may be made apart.
    for item in items.iter_mut().filter(|i| i["kind"] == "StatefulSet") {
        item["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove("app.kubernetes.io/managed-by");
    }
    assert_eq!(rule_findings(dir.path(), &items, "service-name"), []);
}
