//! Profile features end to end: each test renders a small profile through the library (as
//! `sts-gen render` does) and asserts the parsed objects, so a feature that stops reaching the
//! output, or reaches the wrong field, fails here.

mod common;

use std::fs;
use std::path::Path;

use base64::Engine;
use common::{all, named, one, pod, sts};
use serde_json::{json, Value};
use sts_gen::{model, profile, render};

const BASE: &str = "apiVersion: sts-gen/v1
kind: Profile
name: app
namespace: ns
image: example/app:1.0
replicas: 3
ports:
  - {name: http, port: 8080}
";

fn build(text: &str, opts: &model::Options) -> Result<Vec<Value>, String> {
    common::try_render("test.yaml", text, Path::new("."), opts)
}

/// BASE plus `extra` (top-level YAML), rendered with default options.
fn render(extra: &str) -> Vec<Value> {
    render_opts(extra, &model::Options::default())
}

fn render_opts(extra: &str, opts: &model::Options) -> Vec<Value> {
    common::render("test.yaml", &format!("{BASE}{extra}"), Path::new("."), opts)
}

/// BASE with one top-level line replaced (e.g. `replicas: 3` -> `replicas: 1`).
fn base_with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replace(from, to)
}

/// The app's container, named `app` as in BASE.
fn main_container(items: &[Value]) -> &Value {
    let c = common::main_container(items);
    assert_eq!(c["name"], "app");
    c
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

// ---------------------------------------------------------------- local PersistentVolumes

#[test]
fn local_pvs_bound_to_claims_round_robin_over_nodes() {
    let items = render(
        "storage:
  size: 5Gi
  claimName: vol
  local: {path: /mnt/disks/, nodes: [n1, n2], bindToClaims: true}
",
    );
    let sts = sts(&items);
    let sts_name = sts["metadata"]["name"].as_str().unwrap();
    let vct = &sts["spec"]["volumeClaimTemplates"][0];
    assert_eq!(vct["metadata"]["name"], "vol");
    // The app's own class: a StorageClass is cluster-scoped.
    assert_eq!(vct["spec"]["storageClassName"], "ns-app-local");

    let pvs = all(&items, "PersistentVolume");
    assert_eq!(pvs.len(), 3);
    for (i, pv) in pvs.iter().enumerate() {
        // The claim the StatefulSet controller creates for ordinal i.
        let claim = format!("vol-{sts_name}-{i}");
        assert_eq!(claim, format!("vol-app-{i}"));
        assert_eq!(pv["metadata"]["name"], format!("ns-vol-app-{i}"));
        assert!(
            pv["metadata"].get("namespace").is_none(),
            "PVs are cluster-scoped"
        );
        assert_eq!(
            pv["spec"]["claimRef"],
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": "ns", "name": claim})
        );
        let node = ["n1", "n2"][i % 2];
        assert_eq!(
            pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"],
            json!([{"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]),
            "PV {i}"
        );
        assert_eq!(pv["spec"]["local"]["path"], format!("/mnt/disks/app-{i}"));
        assert_eq!(pv["spec"]["capacity"]["storage"], "5Gi");
        assert_eq!(pv["spec"]["storageClassName"], "ns-app-local");
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
        assert_eq!(pv["spec"]["accessModes"], json!(["ReadWriteOnce"]));
    }
    let sc = one(&items, "StorageClass");
    assert_eq!(sc["metadata"]["name"], "ns-app-local");
    assert_eq!(sc["provisioner"], "kubernetes.io/no-provisioner");
    assert_eq!(sc["volumeBindingMode"], "WaitForFirstConsumer");
}

#[test]
fn node_sets_without_ports_get_no_client_service() {
    // The client Service of node sets carries the ports they share; without any it would be
    // a ClusterIP Service with no ports, which the API server refuses.
    let text = BASE.replace("ports:\n  - {name: http, port: 8080}\n", "")
        + "storage: {size: 1Gi}\nnodeSets:\n  - {name: hot, replicas: 1}\n  - {name: cold, replicas: 1}\n";
    let items = build(&text, &model::Options::default()).expect("renders");
    for svc in all(&items, "Service") {
        let headless = svc["spec"]["clusterIP"] == "None";
        let ports = svc["spec"]["ports"].as_array().map_or(0, Vec::len);
        assert!(headless || ports > 0, "{svc:#}");
    }
    // With ports it is there.
    let items = render(
        "storage: {size: 1Gi}\nnodeSets:\n  - {name: hot, replicas: 1}\n  - {name: cold, replicas: 1}\n",
    );
    assert!(all(&items, "Service")
        .iter()
        .any(|s| s["metadata"]["name"] == "app"));
}

#[test]
fn node_sets_sharing_one_local_class_each_get_their_pre_bound_volumes() {
    // Two StatefulSets in one class: each one's pre-bound PVs are its own, not strays of the
    // other (the check once rejected every PV of the other set).
    let items = render(
        "storage:
  size: 1Gi
  className: shared-local
  local: {path: /mnt/disks, nodes: [n1, n2], bindToClaims: true}
nodeSets:
  - {name: hot, replicas: 2}
  - {name: cold, replicas: 1}
",
    );
    let mut claims: Vec<String> = all(&items, "PersistentVolume")
        .iter()
        .map(|pv| {
            assert_eq!(pv["spec"]["storageClassName"], "shared-local");
            pv["spec"]["claimRef"]["name"].as_str().unwrap().to_string()
        })
        .collect();
    claims.sort();
    assert_eq!(
        claims,
        ["data-app-cold-0", "data-app-hot-0", "data-app-hot-1"]
    );
    assert_eq!(all(&items, "StorageClass").len(), 1);

    // A PV bound to a claim of neither set is still an error, said once, naming both: lint
    // the rendered objects with such a PV added.
    let profile = format!(
        "{BASE}storage:
  size: 1Gi
  className: shared-local
  local: {{path: /mnt/disks, nodes: [n1], bindToClaims: true}}
nodeSets:
  - {{name: hot, replicas: 1}}
  - {{name: cold, replicas: 1}}
"
    )
    .replace("replicas: 3\n", "");
    let rendered = common::run_ok(
        common::sts_gen()
            .args(["render", "-"])
            .write_stdin(profile.into_bytes()),
    );
    let stray = "---
apiVersion: v1
kind: PersistentVolume
metadata: {name: stray}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: shared-local
  claimRef: {namespace: ns, name: data-other-0}
  local: {path: /mnt/x}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [n1]}]}]}}
";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.yaml");
    fs::write(&file, format!("{}{stray}", rendered.stdout)).unwrap();
    let lint = common::run(common::sts_gen().args(["lint", file.to_str().unwrap()]));
    let out = format!("{}{}", lint.stdout, lint.stderr);
    assert_eq!(
        out.matches("claimRef `ns/data-other-0` is not a claim of StatefulSet app-hot or app-cold")
            .count(),
        1,
        "{out}"
    );
    assert!(!out.contains("PersistentVolume ns-data-app"), "{out}");
}

#[test]
fn local_pv_claims_follow_the_namespace_flag() {
    let items = render_opts(
        "storage:
  size: 1Gi
  local: {path: /d, nodes: [n1], bindToClaims: true}
",
        &common::options(Some("other"), None),
    );
    for (i, pv) in all(&items, "PersistentVolume").iter().enumerate() {
        assert_eq!(pv["metadata"]["name"], format!("other-data-app-{i}"));
        assert_eq!(pv["spec"]["claimRef"]["namespace"], "other");
        assert_eq!(pv["spec"]["claimRef"]["name"], format!("data-app-{i}"));
    }
}

#[test]
fn local_pv_count_and_no_claim_ref_by_default() {
    let items = render(
        "storage:
  size: 1Gi
  local: {path: /d, nodes: [n1, n2], count: 5, reclaimPolicy: Delete}
",
    );
    let pvs = all(&items, "PersistentVolume");
    assert_eq!(pvs.len(), 5);
    let nodes: Vec<&Value> = pvs
        .iter()
        .map(|pv| {
            &pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
                ["values"][0]
        })
        .collect();
    assert_eq!(
        nodes,
        [
            &json!("n1"),
            &json!("n2"),
            &json!("n1"),
            &json!("n2"),
            &json!("n1")
        ]
    );
    for (i, pv) in pvs.iter().enumerate() {
        assert_eq!(pv["metadata"]["name"], format!("ns-data-app-{i}"));
        assert_eq!(pv["spec"]["local"]["path"], format!("/d/app-{i}"));
        assert!(
            pv["spec"].get("claimRef").is_none(),
            "PV {i} is not pre-bound"
        );
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
    }
    assert_eq!(one(&items, "StorageClass")["reclaimPolicy"], "Delete");
}

// ------------------------------------------------------------------------------- Secret

#[test]
fn existing_secret_renders_no_secret_and_every_ref_uses_it() {
    let items = render(
        "storage: {size: 1Gi}
secret: {existing: other-secret}
env:
  PASSWORD: {secret: password}
  TOKEN: {secret: token}
",
    );
    assert!(all(&items, "Secret").is_empty());
    let env = main_container(&items)["env"].as_array().unwrap();
    assert_eq!(env.len(), 2);
    for (e, key) in env.iter().zip(["password", "token"]) {
        assert_eq!(
            e["valueFrom"],
            json!({"secretKeyRef": {"name": "other-secret", "key": key}})
        );
    }
}

#[test]
fn secret_from_file_is_read_relative_to_the_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("deploy");
    fs::create_dir_all(dir.join("certs")).unwrap();
    fs::write(dir.join("file.txt"), "file-content\n").unwrap();
    fs::write(dir.join("certs/ca.pem"), "-----BEGIN-----\n").unwrap();
    let text = format!(
        "{BASE}storage: {{size: 1Gi}}
secret:
  data:
    k: {{fromFile: file.txt}}
    ca: {{fromFile: certs/ca.pem}}
    literal: {{value: \"s3cret: yes\"}}
env:
  K: {{secret: k}}
"
    );
    let path = dir.join("app.yaml");
    fs::write(&path, &text).unwrap();

    // From the file: paths are relative to its folder, not to the working directory.
    let loaded = profile::load_file(path.to_str().unwrap()).unwrap();
    let items = common::build(&loaded, &model::Options::default()).unwrap();
    let secret = one(&items, "Secret");
    assert_eq!(secret["metadata"]["name"], "app");
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(
        secret["data"],
        json!({"k": b64("file-content\n"), "ca": b64("-----BEGIN-----\n"), "literal": b64("s3cret: yes")})
    );
    assert_eq!(
        main_container(&items)["env"][0]["valueFrom"]["secretKeyRef"],
        json!({"name": "app", "key": "k"})
    );

    // From bytes: base_dir anchors the paths.
    let loaded = common::load("<mem>", &text, &dir).unwrap();
    let docs = common::build(&loaded, &model::Options::default()).unwrap();
    let secret = common::first(&docs, "Secret").unwrap();
    assert_eq!(secret["data"]["k"], b64("file-content\n"));

    // A different base_dir does not find the file.
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let loaded = common::load("<mem>", &text, &elsewhere).unwrap();
    let err = common::build(&loaded, &model::Options::default()).unwrap_err();
    assert!(
        err.contains("secret.data.k") && err.contains("file.txt"),
        "{err}"
    );
    assert!(!err.contains("file-content"), "{err}");
}

// ------------------------------------------------------------------------------ Storage

#[test]
fn storage_none_is_an_empty_dir_named_data() {
    let items = render("storage: none\n");
    let sts = sts(&items);
    assert!(sts["spec"].get("volumeClaimTemplates").is_none());
    assert!(sts["spec"]
        .get("persistentVolumeClaimRetentionPolicy")
        .is_none());
    assert_eq!(
        pod(&items)["volumes"],
        // writable-tmp: /tmp for the read-only root filesystem.
        json!([{"name": "data", "emptyDir": {}}, {"name": "writable-tmp", "emptyDir": {}}])
    );
    assert_eq!(
        main_container(&items)["volumeMounts"],
        json!([{"name": "data", "mountPath": "/data"}, {"name": "writable-tmp", "mountPath": "/tmp"}])
    );
    assert!(all(&items, "PersistentVolume").is_empty());
}

#[test]
fn retention_policy_is_emitted_with_retain_defaults() {
    let items = render("storage: {size: 1Gi, retention: {whenDeleted: Delete}}\n");
    assert_eq!(
        sts(&items)["spec"]["persistentVolumeClaimRetentionPolicy"],
        json!({"whenDeleted": "Delete", "whenScaled": "Retain"})
    );
    let items =
        render("storage: {size: 1Gi, retention: {whenDeleted: Retain, whenScaled: Delete}}\n");
    assert_eq!(
        sts(&items)["spec"]["persistentVolumeClaimRetentionPolicy"],
        json!({"whenDeleted": "Retain", "whenScaled": "Delete"})
    );
    let items = render("storage: {size: 1Gi}\n");
    assert!(sts(&items)["spec"]
        .get("persistentVolumeClaimRetentionPolicy")
        .is_none());
}

// ----------------------------------------------------------------------------- Services

#[test]
fn read_service_can_be_switched_off_or_typed() {
    let items = render("storage: {size: 1Gi}\nservices: {read: false}\n");
    let svcs = all(&items, "Service");
    assert_eq!(svcs.len(), 1);
    assert_eq!(svcs[0]["spec"]["clusterIP"], "None");

    let items = render("storage: {size: 1Gi}\nservices: {read: {type: NodePort}}\n");
    let read = named(&items, "Service", "app-read");
    assert_eq!(read["spec"]["type"], "NodePort");
    assert_eq!(
        read["spec"]["selector"],
        json!({"app.kubernetes.io/name": "app"})
    );
    assert_eq!(
        read["spec"]["ports"],
        json!([{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": "http"}])
    );

    let items = render("storage: {size: 1Gi}\n");
    assert_eq!(
        named(&items, "Service", "app-read")["spec"]["type"],
        "ClusterIP"
    );
}

const ROLES: &str = "roles:
  - {name: primary, ordinals: \"0\", files: {p.conf: \"p\\n\"}}
  - {name: replica, ordinals: \"1-\", files: {r.conf: \"r\\n\"}}
";

#[test]
fn primary_service_selects_the_first_roles_pod() {
    let items = render(&format!(
        "storage: {{size: 1Gi}}\n{ROLES}services: {{primary: {{}}}}\n"
    ));
    let primary = named(&items, "Service", "app-primary");
    assert_eq!(
        primary["spec"]["selector"],
        json!({"app.kubernetes.io/name": "app", "statefulset.kubernetes.io/pod-name": "app-0"})
    );
    assert_eq!(primary["spec"]["type"], "ClusterIP");
    assert!(primary["spec"].get("clusterIP").is_none());
    assert_eq!(all(&items, "Service").len(), 3);

    // The first role need not be ordinal 0.
    let items = render(
        "storage: {size: 1Gi}
roles:
  - {name: leader, ordinals: \"2\"}
  - {name: follower, ordinals: \"0-1,3-\"}
roleInit: {script: \"true\"}
services: {primary: {name: app-leader}}
",
    );
    assert_eq!(
        named(&items, "Service", "app-leader")["spec"]["selector"]
            ["statefulset.kubernetes.io/pod-name"],
        "app-2"
    );
}

// ---------------------------------------------------------------- PodDisruptionBudget

#[test]
fn pdb_defaults_switch_and_min_available() {
    let items = render("storage: {size: 1Gi}\n");
    let pdb = one(&items, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "app"})
    );

    let items = render("storage: {size: 1Gi}\npdb: false\n");
    assert!(all(&items, "PodDisruptionBudget").is_empty());

    let single = format!(
        "{}storage: {{size: 1Gi}}\n",
        base_with("replicas: 3", "replicas: 1")
    );
    let items = build(&single, &model::Options::default()).unwrap();
    assert!(
        all(&items, "PodDisruptionBudget").is_empty(),
        "one pod: no PDB by default"
    );

    let items = render("storage: {size: 1Gi}\npdb: {minAvailable: 2}\n");
    let spec = &one(&items, "PodDisruptionBudget")["spec"];
    assert_eq!(spec["minAvailable"], 2);
    assert!(spec.get("maxUnavailable").is_none());
    assert_eq!(spec["unhealthyPodEvictionPolicy"], "AlwaysAllow");

    let items = render("storage: {size: 1Gi}\npdb: {maxUnavailable: \"50%\"}\n");
    assert_eq!(
        one(&items, "PodDisruptionBudget")["spec"]["maxUnavailable"],
        "50%"
    );
}

// ------------------------------------------------------------------ StatefulSet strategy

#[test]
fn update_strategy_and_pod_management_policy() {
    let items = render("storage: {size: 1Gi}\n");
    assert_eq!(
        sts(&items)["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate"})
    );
    assert_eq!(sts(&items)["spec"]["podManagementPolicy"], "OrderedReady");

    let items = render("storage: {size: 1Gi}\nupdateStrategy: {type: OnDelete}\n");
    assert_eq!(
        sts(&items)["spec"]["updateStrategy"],
        json!({"type": "OnDelete"})
    );

    // StatefulSet maxUnavailable is honoured (beta) from Kubernetes 1.35.
    let k135 = model::Options {
        kube_version: (1, 35),
        ..model::Options::default()
    };
    // Before 1.35 it renders with a warning: the alpha feature gate may be on.
    let text = format!("{BASE}storage: {{size: 1Gi}}\nupdateStrategy: {{maxUnavailable: 2}}\n");
    let loaded = profile::load_bytes("test.yaml", text.as_bytes(), Path::new(".")).unwrap();
    let mut warnings = Vec::new();
    sts_gen::build_reporting(
        &loaded,
        &model::Options::default(),
        &render::Renderer::new(None).unwrap(),
        &mut warnings,
    )
    .unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("updateStrategy.maxUnavailable: before 1.35"),
        "{warnings:?}"
    );
    let items = render_opts(
        "storage: {size: 1Gi}\nupdateStrategy: {maxUnavailable: 2}\n",
        &k135,
    );
    assert_eq!(
        sts(&items)["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}})
    );
    let items = render_opts(
        "storage: {size: 1Gi}\nupdateStrategy: {type: RollingUpdate, partition: 1, maxUnavailable: 2}\n",
        &k135,
    );
    assert_eq!(
        sts(&items)["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 1, "maxUnavailable": 2}})
    );

    let items = render("storage: {size: 1Gi}\npodManagementPolicy: Parallel\n");
    assert_eq!(sts(&items)["spec"]["podManagementPolicy"], "Parallel");
}

// ------------------------------------------------------- podTemplate, volumes, sidecars

#[test]
fn pod_template_merges_last() {
    let items = render(
        "storage: {size: 1Gi}
command: [/bin/app, --old]
env: {FOO: old, KEEP: k}
podTemplate:
  nodeSelector: {disk: ssd}
  tolerations:
    - {key: dedicated, operator: Equal, value: db, effect: NoSchedule}
  imagePullSecrets: [{name: regcred}]
  terminationGracePeriodSeconds: 90
  containers:
    - name: app
      command: [/bin/app, --new]
      env: [{name: FOO, value: new}, {name: BAR, value: b}]
      lifecycle:
        preStop: {exec: {command: [sh, -c, sleep 5]}}
",
    );
    let pod = pod(&items);
    assert_eq!(pod["nodeSelector"], json!({"disk": "ssd"}));
    assert_eq!(
        pod["tolerations"],
        json!([{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}])
    );
    assert_eq!(pod["imagePullSecrets"], json!([{"name": "regcred"}]));
    assert_eq!(
        pod["terminationGracePeriodSeconds"], 90,
        "a scalar is replaced"
    );
    // Generated fields the overlay does not name are kept.
    assert_eq!(pod["serviceAccountName"], "app");
    assert_eq!(pod["automountServiceAccountToken"], false);

    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(
        containers.len(),
        1,
        "the entry named like the app merges into it"
    );
    let c = &containers[0];
    assert_eq!(
        c["lifecycle"],
        json!({"preStop": {"exec": {"command": ["sh", "-c", "sleep 5"]}}})
    );
    assert_eq!(c["image"], "example/app:1.0");
    assert_eq!(c["ports"][0]["name"], "http");
    assert!(c.get("readinessProbe").is_some());
    // A list of strings is replaced, not appended to.
    assert_eq!(c["command"], json!(["/bin/app", "--new"]));
    // env is a list of named items: FOO is merged in place, BAR appended.
    assert_eq!(
        c["env"],
        json!([
            {"name": "FOO", "value": "new"},
            {"name": "KEEP", "value": "k"},
            {"name": "BAR", "value": "b"}
        ])
    );
}

#[test]
fn pod_template_replaces_unnamed_lists_and_adds_named_containers() {
    let items = render(
        "storage: {size: 1Gi}
podTemplate:
  tolerations: [{key: a, operator: Exists}]
  containers:
    - name: extra
      image: busybox:1.36
",
    );
    let pod = pod(&items);
    assert_eq!(
        pod["tolerations"],
        json!([{"key": "a", "operator": "Exists"}])
    );
    let names: Vec<&str> = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app", "extra"]);
}

#[test]
fn pod_template_tolerations_replace_the_templates_list() {
    // The built-in template renders no tolerations; a template override that does shows the
    // merge rule: an unnamed list from podTemplate replaces the rendered one.
    let dir = tempfile::tempdir().unwrap();
    let original =
        fs::read_to_string(Path::new(common::ROOT).join("templates/statefulset.yaml.j2")).unwrap();
    let anchor = "      serviceAccountName: {{ app.serviceAccountName | tojson }}\n";
    assert!(
        original.contains(anchor),
        "statefulset template changed: update this test"
    );
    let patched = original.replacen(
        anchor,
        &format!("{anchor}      tolerations: [{{key: base, operator: Exists}}, {{key: other, operator: Exists}}]\n"),
        1,
    );
    fs::write(dir.path().join("statefulset.yaml.j2"), patched).unwrap();
    let renderer = render::Renderer::new(Some(dir.path())).unwrap();
    let build_with = |extra: &str| -> Value {
        let text = format!("{BASE}storage: {{size: 1Gi}}\n{extra}");
        let loaded = profile::load_bytes("t.yaml", text.as_bytes(), Path::new(".")).unwrap();
        let docs = sts_gen::build(&loaded, &model::Options::default(), &renderer).unwrap();
        let sts = docs.iter().find(|d| d.kind() == "StatefulSet").unwrap();
        sts.value["spec"]["template"]["spec"]["tolerations"].clone()
    };
    assert_eq!(
        build_with(""),
        json!([{"key": "base", "operator": "Exists"}, {"key": "other", "operator": "Exists"}])
    );
    assert_eq!(
        build_with("podTemplate: {tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]}\n"),
        json!([{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}])
    );
}

#[test]
fn volumes_and_a_sidecar_that_mounts_one() {
    let items = render(
        "storage: {size: 1Gi}
volumes:
  - {name: scratch, emptyDir: {medium: Memory}}
  - name: podinfo
    downwardAPI:
      items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
sidecars:
  - name: shipper
    image: busybox:1.36
    command: [sh, -c, tail -F /scratch/log]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
",
    );
    let pod = pod(&items);
    assert_eq!(
        pod["volumes"],
        json!([
            {"name": "scratch", "emptyDir": {"medium": "Memory"}},
            {"name": "podinfo", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
            {"name": "writable-tmp", "emptyDir": {}}
        ])
    );
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 2);
    assert_eq!(containers[0]["name"], "app");
    assert_eq!(
        containers[1],
        json!({
            "name": "shipper",
            "image": "busybox:1.36",
            "command": ["sh", "-c", "tail -F /scratch/log"],
            // The pod's defaults: the restricted securityContext and the writable /tmp.
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "privileged": false,
                "readOnlyRootFilesystem": true
            },
            "volumeMounts": [
                {"name": "scratch", "mountPath": "/scratch"},
                {"name": "writable-tmp", "mountPath": "/tmp"}
            ]
        })
    );
}

// -------------------------------------------------------------- labels and annotations

/// A profile that renders every kind sts-gen has (but NetworkPolicy).
const EVERY_KIND: &str = "storage:
  size: 1Gi
  local: {path: /d, nodes: [n1]}
config: {files: {a.conf: \"a\\n\"}}
secret: {data: {pw: {value: x}}}
roles:
  - {name: primary, ordinals: \"0\"}
  - {name: replica, ordinals: \"1-\"}
roleInit: {script: \"true\"}
services: {primary: {}}
";

#[test]
fn labels_on_every_object_but_never_in_selectors() {
    let items = render(&format!(
        "labels: {{team: db, tier: data}}\ncreateNamespace: true\n{EVERY_KIND}"
    ));
    let kinds: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "ConfigMap",
            "Namespace",
            "NetworkPolicy",
            "PersistentVolume",
            "PodDisruptionBudget",
            "Secret",
            "Service",
            "ServiceAccount",
            "StatefulSet",
            "StorageClass"
        ]
    );
    for item in &items {
        let labels = &item["metadata"]["labels"];
        let what = format!("{} {}", item["kind"], item["metadata"]["name"]);
        assert_eq!(labels["team"], "db", "{what}");
        assert_eq!(labels["tier"], "data", "{what}");
        assert_eq!(labels["app.kubernetes.io/name"], "app", "{what}");
        assert_eq!(labels["app.kubernetes.io/managed-by"], "sts-gen", "{what}");
    }
    let sts = sts(&items);
    assert_eq!(sts["spec"]["template"]["metadata"]["labels"]["team"], "db");
    let selector = json!({"app.kubernetes.io/name": "app"});
    assert_eq!(sts["spec"]["selector"]["matchLabels"], selector);
    assert_eq!(
        one(&items, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        selector
    );
    for svc in all(&items, "Service") {
        let sel = svc["spec"]["selector"].as_object().unwrap();
        assert!(
            !sel.contains_key("team") && !sel.contains_key("tier"),
            "{sel:?}"
        );
        assert_eq!(sel["app.kubernetes.io/name"], "app");
    }
    let vct_labels = &sts["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"];
    assert!(vct_labels.get("team").is_none(), "{vct_labels}");
}

#[test]
fn a_user_label_never_splits_metadata_from_selectors() {
    // `app.kubernetes.io/name` is the selector: whatever the user writes, the pods, the
    // objects and the selectors keep one value (or the profile is refused).
    let text = format!("{BASE}storage: {{size: 1Gi}}\nlabels: {{app.kubernetes.io/name: other}}\n");
    if let Ok(items) = build(&text, &model::Options::default()) {
        for item in &items {
            assert_eq!(item["metadata"]["labels"]["app.kubernetes.io/name"], "app");
        }
        assert_eq!(
            sts(&items)["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
            "app"
        );
    }
}

#[test]
fn a_user_label_named_like_a_recommended_label_is_refused() {
    // PROFILE.md: "Nothing is silently ignored": a label sts-gen sets itself is refused.
    for (key, value) in [
        ("app.kubernetes.io/name", "other"),
        ("app.kubernetes.io/managed-by", "helm"),
    ] {
        let text = format!("{BASE}storage: {{size: 1Gi}}\nlabels: {{{key}: {value}}}\n");
        let err = build(&text, &model::Options::default())
            .err()
            .unwrap_or_else(|| panic!("label `{key}: {value}` was accepted and dropped"));
        assert!(err.contains("labels") && err.contains(key), "{err}");
    }
}

#[test]
fn annotations_on_every_object_and_the_pod_template() {
    let items = render(&format!(
        "annotations: {{owner: team-db@example.com, note: \"a: b\"}}\n{EVERY_KIND}"
    ));
    let want = json!({"owner": "team-db@example.com", "note": "a: b"});
    for item in &items {
        // The role init script's `${...}` adds Flux's opt-out (tests/render_marks.rs).
        let mut got = item["metadata"]["annotations"].clone();
        if let Some(a) = got.as_object_mut() {
            a.remove("kustomize.toolkit.fluxcd.io/substitute");
        }
        assert_eq!(got, want, "{} {}", item["kind"], item["metadata"]["name"]);
    }
    // The pod template adds the ConfigMap checksum to the profile's annotations.
    let mut pod_want = want.clone();
    let pod = &sts(&items)["spec"]["template"]["metadata"]["annotations"];
    if let Some(sum) = pod.get("checksum/config") {
        assert_eq!(sum.as_str().unwrap().len(), 64);
        pod_want["checksum/config"] = sum.clone();
    }
    assert_eq!(*pod, pod_want);

    // Without annotations no object carries an empty map (only Flux's opt-out where the
    // text has `${...}`).
    let items = render(EVERY_KIND);
    for item in &items {
        let flux_only = json!({"kustomize.toolkit.fluxcd.io/substitute": "disabled"});
        assert!(
            item["metadata"]
                .get("annotations")
                .is_none_or(|a| *a == flux_only),
            "{}",
            item["kind"]
        );
    }
    // Only the ConfigMap checksum, when there is a ConfigMap.
    let pod = &sts(&items)["spec"]["template"]["metadata"];
    let has_config = items.iter().any(|i| i["kind"] == "ConfigMap");
    match pod.get("annotations").and_then(Value::as_object) {
        Some(a) => assert!(
            has_config && a.len() == 1 && a.contains_key("checksum/config"),
            "{a:?}"
        ),
        None => assert!(!has_config),
    }
}

// ------------------------------------------------------------------------- Namespace

#[test]
fn create_namespace_false_omits_the_namespace_only() {
    // The default: `namespace` alone renders no Namespace object.
    let items = render("storage: {size: 1Gi}\n");
    assert!(all(&items, "Namespace").is_empty());
    assert_eq!(sts(&items)["metadata"]["namespace"], "ns");
    for item in &items {
        assert_eq!(item["metadata"]["namespace"], "ns", "{}", item["kind"]);
    }

    let items = render("storage: {size: 1Gi}\ncreateNamespace: true\n");
    assert_eq!(one(&items, "Namespace")["metadata"]["name"], "ns");
    assert!(one(&items, "Namespace")["metadata"]
        .get("namespace")
        .is_none());

    let text = format!(
        "{}storage: {{size: 1Gi}}\n",
        base_with("namespace: ns\n", "")
    );
    let items = build(&text, &model::Options::default()).unwrap();
    assert!(all(&items, "Namespace").is_empty());
    for item in &items {
        assert!(
            item["metadata"].get("namespace").is_none(),
            "{}",
            item["kind"]
        );
    }
}

// ------------------------------------------------------------------- container fields

#[test]
fn env_keeps_order_and_resolves_references() {
    let items = render(
        "storage: {size: 1Gi}
config: {files: {app.conf: \"x=1\\n\"}}
secret: {data: {password: {value: p}}}
env:
  ZED: z
  POD_IP: {field: status.podIP}
  ALPHA: a
  SETTING: {configMap: app.conf}
  PW: {secret: password}
  PORT: 8080
  NODE: {field: spec.nodeName}
",
    );
    let cm_name = one(&items, "ConfigMap")["metadata"]["name"].clone();
    let secret_name = one(&items, "Secret")["metadata"]["name"].clone();
    assert_eq!(
        main_container(&items)["env"],
        json!([
            {"name": "ZED", "value": "z"},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "ALPHA", "value": "a"},
            {"name": "SETTING", "valueFrom": {"configMapKeyRef": {"name": cm_name, "key": "app.conf"}}},
            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": secret_name, "key": "password"}}},
            {"name": "PORT", "value": "8080"},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
        ])
    );
    assert_eq!(cm_name, "app");
    assert_eq!(secret_name, "app");
}

#[test]
fn default_probes_resources_and_pull_policy() {
    let text = format!(
        "{}storage: {{size: 1Gi}}\n",
        base_with(
            "  - {name: http, port: 8080}\n",
            "  - {name: http, port: 8080}\n  - {name: admin, port: 9090}\n"
        )
    );
    let items = build(&text, &model::Options::default()).unwrap();
    let c = main_container(&items);
    assert_eq!(
        c["readinessProbe"],
        json!({"tcpSocket": {"port": "http"}, "periodSeconds": 10})
    );
    assert_eq!(
        c["livenessProbe"],
        json!({"tcpSocket": {"port": "http"}, "initialDelaySeconds": 30, "periodSeconds": 20})
    );
    assert!(c.get("startupProbe").is_none());
    assert_eq!(
        c["resources"],
        // The CPU limit is derived: four times the request, at least one core.
        json!({"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}})
    );
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert!(c.get("command").is_none() && c.get("args").is_none());
    assert_eq!(
        sts(&items)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"],
        30
    );
}

#[test]
fn pull_policy_always_reaches_every_generated_container() {
    let items =
        render("storage: {size: 1Gi}\nimagePullPolicy: Always\nroleInit: {script: \"true\"}\n");
    assert_eq!(main_container(&items)["imagePullPolicy"], "Always");
    let init = &pod(&items)["initContainers"][0];
    assert_eq!(init["name"], "role-init");
    assert_eq!(init["imagePullPolicy"], "Always");
}

#[test]
fn command_and_args() {
    let items = render(
        "storage: {size: 1Gi}\ncommand: [/bin/app, serve]\nargs: [--port, 8080, --verbose]\n",
    );
    let c = main_container(&items);
    assert_eq!(c["command"], json!(["/bin/app", "serve"]));
    assert_eq!(c["args"], json!(["--port", "8080", "--verbose"]));

    let items = render("storage: {size: 1Gi}\nargs: [--once]\n");
    let c = main_container(&items);
    assert!(
        c.get("command").is_none(),
        "args alone keep the image's entrypoint"
    );
    assert_eq!(c["args"], json!(["--once"]));
}

// ------------------------------------------------------------------- text variables

const VARS_CONFIG: &str = "storage: {size: 1Gi}
services: {headless: {name: app-hl}}
env:
  SELF: \"{{ name }}.{{ headless }}.{{ namespace }}.svc.{{ clusterDomain }}\"
  LITERAL: \"{{ '{{' }} name }}\"
config:
  files:
    peers.conf: |
      name={{ name }}
      headless={{ headless }}
      replicas={{ replicas }}
      domain={{ clusterDomain }}
      ns={{ namespace }}
      peers={% for i in range(replicas) %}{{ name }}-{{ i }}.{{ headless }}{% if not loop.last %},{% endif %}{% endfor %}
      literal={{ '{{' }} name }} and {{ '{{' }}x}}
";

const VARS_EXPECTED_DEFAULT: &str = "name=app
headless=app-hl
replicas=3
domain=cluster.local
ns=ns
peers=app-0.app-hl,app-1.app-hl,app-2.app-hl
literal={{ name }} and {{x}}
";

#[test]
fn text_variables_expand_in_config_files_and_env() {
    let items = render(VARS_CONFIG);
    assert_eq!(
        one(&items, "ConfigMap")["data"]["peers.conf"],
        VARS_EXPECTED_DEFAULT
    );
    let env = &main_container(&items)["env"];
    assert_eq!(env[0]["value"], "app.app-hl.ns.svc.cluster.local");
    assert_eq!(env[1]["value"], "{{ name }}");

    // Options.cluster_domain and the namespace override reach the text.
    let items = render_opts(
        VARS_CONFIG,
        &common::options(Some("other"), Some("example.org")),
    );
    let text = one(&items, "ConfigMap")["data"]["peers.conf"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("\ndomain=example.org\n"), "{text}");
    assert!(text.contains("\nns=other\n"), "{text}");
    assert_eq!(
        main_container(&items)["env"][0]["value"],
        "app.app-hl.other.svc.example.org"
    );

    // replicas drives the loop.
    let text = format!("{}{VARS_CONFIG}", base_with("replicas: 3", "replicas: 5"));
    let items = build(&text, &model::Options::default()).unwrap();
    let conf = one(&items, "ConfigMap")["data"]["peers.conf"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        conf.contains("\npeers=app-0.app-hl,app-1.app-hl,app-2.app-hl,app-3.app-hl,app-4.app-hl\n"),
        "{conf}"
    );
}

#[test]
fn cluster_domain_flag_reaches_the_text() {
    let items = common::render_stdin(
        &format!("{BASE}{VARS_CONFIG}"),
        &["--cluster-domain", "example.org", "-n", "other"],
    );
    let expected = VARS_EXPECTED_DEFAULT
        .replace("domain=cluster.local", "domain=example.org")
        .replace("ns=ns", "ns=other");
    assert_eq!(one(&items, "ConfigMap")["data"]["peers.conf"], expected);
}

/// A reference written with text variables names the profile line too: the trace sees the
/// rendered name, and a literal reference is preferred over a templated one that could
/// expand to the same name.
#[test]
fn references_written_with_text_variables_are_located() {
    let text = format!(
        "{BASE}storage: {{size: 1Gi}}\nsecret: {{data: {{pw: {{value: x}}}}}}\nsidecars:\n  - name: side\n    image: busybox:1.36\n    env:\n      - {{name: A, valueFrom: {{secretKeyRef: {{name: \"{{{{ secretName }}}}\", key: pw}}}}}}\n      - {{name: P, valueFrom: {{secretKeyRef: {{name: \"{{{{ secretName }}}}-x\", key: pw}}}}}}\n      - {{name: Q, valueFrom: {{configMapKeyRef: {{name: \"cm-{{{{ namespace }}}}-{{{{ name }}}}\", key: k}}}}}}\n"
    );
    let err = build(&text, &model::Options::default()).unwrap_err();
    let line = |needle: &str| {
        err.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in {err}"))
            .to_string()
    };
    let secret = line("refers to Secret `app-x`");
    assert!(
        secret.starts_with("test.yaml:16:52: sidecars[0].env[1].valueFrom.secretKeyRef.name: "),
        "{secret}"
    );
    let config_map = line("refers to ConfigMap `cm-ns-app`");
    assert!(
        config_map
            .starts_with("test.yaml:17:55: sidecars[0].env[2].valueFrom.configMapKeyRef.name: "),
        "{config_map}"
    );
}

#[test]
fn external_objects_may_be_referenced_and_volumes_expand_text_variables() {
    let volume = "volumes:\n  - {name: tls, secret: {secretName: \"{{ name }}-tls\"}}\n  - {name: ca, configMap: {name: trust-bundle}}\nsidecars:\n  - {name: proxy, image: \"envoy:1.31.2\", volumeMounts: [{name: tls, mountPath: /tls}, {name: ca, mountPath: /ca}]}\n";
    let text = format!("{BASE}storage: {{size: 1Gi}}\n{volume}");
    let err = build(&text, &model::Options::default()).unwrap_err();
    assert!(
        err.contains("refers to Secret `app-tls`, which is not rendered"),
        "{err}"
    );
    assert!(
        err.contains("refers to ConfigMap `trust-bundle`, which is not rendered"),
        "{err}"
    );
    let ok = build(
        &format!("{text}external: {{secrets: [app-tls], configMaps: [trust-bundle]}}\n"),
        &model::Options::default(),
    )
    .unwrap();
    let vols = &sts(&ok)["spec"]["template"]["spec"]["volumes"];
    assert!(vols
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["secret"]["secretName"] == "app-tls"));
    let e = build(
        &format!("{text}external: {{secrets: [Bad_Name]}}\n"),
        &model::Options::default(),
    )
    .unwrap_err();
    assert!(
        e.contains("external.secrets[0]: `Bad_Name` is not a DNS-1123 subdomain"),
        "{e}"
    );
}

#[test]
fn a_budget_that_blocks_drains_is_refused() {
    for pdb in [
        "{minAvailable: 3}",
        "{maxUnavailable: 0}",
        "{minAvailable: 100%}",
    ] {
        let e = build(
            &format!("{BASE}storage: {{size: 1Gi}}\npdb: {pdb}\n"),
            &model::Options::default(),
        )
        .unwrap_err();
        assert!(
            e.contains("pdb: this budget never allows a voluntary eviction"),
            "{pdb}: {e}"
        );
    }
    build(
        &format!("{BASE}storage: {{size: 1Gi}}\npdb: {{minAvailable: 2}}\n"),
        &model::Options::default(),
    )
    .unwrap();
}

#[test]
fn the_five_required_fields_make_a_complete_profile() {
    // PROFILE.md: apiVersion, kind, name, image and storage.size make a complete profile.
    let text = "apiVersion: sts-gen/v1\nkind: Profile\nname: app\nimage: busybox:1.36\nstorage: {size: 1Gi}\n";
    let items = build(text, &model::Options::default()).unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["ServiceAccount", "Service", "NetworkPolicy", "StatefulSet"]
    );
    let headless = &items[1];
    assert_eq!(headless["spec"]["clusterIP"], "None");
    assert!(
        headless["spec"].get("ports").is_none(),
        "a headless Service needs no ports"
    );
    assert_eq!(sts(&items)["spec"]["serviceName"], "app");
    // Asking for a Service that needs ports, without ports, is an error.
    let e = build(
        &format!("{text}services: {{read: {{type: NodePort}}}}\n"),
        &model::Options::default(),
    )
    .unwrap_err();
    assert!(
        e.contains("services.read: the read Service needs ports"),
        "{e}"
    );
}

#[test]
fn profile_md_examples_render_together() {
    // The field examples of docs/PROFILE.md (a copy of the format spec), as one profile.
    let spec = std::fs::read_to_string(Path::new(common::ROOT).join("docs/PROFILE.md")).unwrap();
    let blocks: Vec<&str> = spec
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 6, "{} blocks", blocks.len());
    let mut text = blocks[..6].concat();
    // Its nodeSets example shares one fixed headless Service name between sets; the secret
    // is read from the environment in the spec.
    text = text[..text.find("nodeSets:").unwrap()].to_string();
    text = text.replace("{fromEnv: MYSQL_ROOT_PASSWORD}", "{value: example}");
    let items = build(&text, &model::Options::default()).unwrap();
    let sts = sts(&items);
    assert_eq!(sts["spec"]["replicas"], 3);
    assert_eq!(sts["spec"]["serviceName"], "mysql");
    assert_eq!(
        items
            .iter()
            .filter(|i| i["kind"] == "PersistentVolume")
            .count(),
        3
    );
    let services: Vec<&str> = items
        .iter()
        .filter(|i| i["kind"] == "Service")
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        services,
        ["mysql", "mysql-read", "mysql-primary", "mysql-lb"]
    );
    // The Secret section's file and mount, and the rbac example, reach the output.
    assert!(items.iter().any(|i| i["kind"] == "Role"));
    assert!(common::pod(&items)["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == "secret"));
}

/// An object's name cannot use `{{ namespace }}`, whether or not the profile sets one: the
/// error says so instead of asking for the namespace the profile has.
#[test]
fn a_name_with_the_namespace_variable_says_why() {
    let e = build(
        &format!("{BASE}storage: {{size: 1Gi}}\nsecret:\n  name: \"{{{{ namespace }}}}-creds\"\n  data: {{a: {{value: b}}}}\n"),
        &model::Options::default(),
    )
    .unwrap_err();
    assert!(
        e.starts_with("test.yaml:11:9: secret.name: an object's name cannot use `{{ namespace }}`"),
        "{e}"
    );
    assert!(!e.contains("sets no namespace"), "{e}");
}
