//! The check stage on hand-built documents: every cross-object rule of src/check/rules.rs has
//! a failing and a passing case, and the typed round-trip refuses unknown fields, wrong types
//! and unknown kinds. The bundled profiles pass every rule.
//!
//! Each test starts from a small valid set of objects (Namespace, local StorageClass and PVs,
//! ServiceAccount, Secret, ConfigMap, headless and read Services, PDB, StatefulSet with a
//! volumeClaimTemplate), breaks one thing, and asserts the complete list of errors.

use std::path::Path;

use serde_json::{json, Value};
use sts_gen::check::{self, CheckError};
use sts_gen::render::RenderedDoc;
use sts_gen::{model, profile, render};

fn doc(value: Value) -> RenderedDoc {
    RenderedDoc {
        template: "t.yaml.j2".into(),
        value,
    }
}

fn pv(i: u32) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": format!("pv-{i}")},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "local-storage",
            "local": {"path": format!("/data/app-{i}")},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node1"]}
            ]}]}}
        }
    })
}

/// A valid set: passes every rule.
fn base() -> Vec<RenderedDoc> {
    vec![
        doc(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns1"}})),
        doc(json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "local-storage"},
            "provisioner": "kubernetes.io/no-provisioner",
            "volumeBindingMode": "WaitForFirstConsumer"
        })),
        doc(pv(0)),
        doc(pv(1)),
        doc(json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "app", "namespace": "ns1"}
        })),
        doc(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "app-secret", "namespace": "ns1"},
            "type": "Opaque",
            "data": {"pw": "cHc="}
        })),
        doc(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "app", "namespace": "ns1"},
            "data": {"a.conf": "x=1\n"}
        })),
        doc(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "app", "namespace": "ns1"},
            "spec": {
                "clusterIP": "None",
                "selector": {"app": "a"},
                "ports": [{"name": "web", "port": 80, "targetPort": "web"}]
            }
        })),
        doc(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "app-read", "namespace": "ns1"},
            "spec": {
                "type": "ClusterIP",
                "selector": {"app": "a"},
                "ports": [{"name": "web", "port": 80, "targetPort": "web"}]
            }
        })),
        doc(json!({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "app", "namespace": "ns1"},
            "spec": {"selector": {"matchLabels": {"app": "a"}}, "maxUnavailable": 1}
        })),
        doc(json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "app", "namespace": "ns1"},
            "spec": {
                "serviceName": "app",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "a"}},
                "template": {
                    "metadata": {"labels": {"app": "a", "tier": "db"}},
                    "spec": {
                        "serviceAccountName": "app",
                        "initContainers": [{
                            "name": "init",
                            "image": "busybox:1",
                            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]
                        }],
                        "containers": [{
                            "name": "app",
                            "image": "img:1",
                            "ports": [{"name": "web", "containerPort": 80}],
                            "env": [
                                {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "a.conf"}}},
                                {"name": "P", "valueFrom": {"secretKeyRef": {"name": "app-secret", "key": "pw"}}},
                                {"name": "L", "value": "plain"}
                            ],
                            "volumeMounts": [
                                {"name": "data", "mountPath": "/data"},
                                {"name": "config", "mountPath": "/etc/app"}
                            ]
                        }],
                        "volumes": [{"name": "config", "configMap": {"name": "app"}}]
                    }
                },
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "local-storage",
                        "resources": {"requests": {"storage": "1Gi"}}
                    }
                }]
            }
        })),
    ]
}

/// The document of `kind` named `name`.
fn get<'a>(docs: &'a mut [RenderedDoc], kind: &str, name: &str) -> &'a mut Value {
    docs.iter_mut()
        .map(|d| &mut d.value)
        .find(|v| v["kind"] == kind && v["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the base set"))
}

fn sts(docs: &mut [RenderedDoc]) -> &mut Value {
    get(docs, "StatefulSet", "app")
}

fn main_container(docs: &mut [RenderedDoc]) -> &mut Value {
    &mut sts(docs)["spec"]["template"]["spec"]["containers"][0]
}

fn remove(docs: &mut Vec<RenderedDoc>, kind: &str, name: &str) {
    let before = docs.len();
    docs.retain(|d| !(d.value["kind"] == kind && d.value["metadata"]["name"] == name));
    assert_eq!(docs.len(), before - 1, "{kind} {name} removed");
}

fn strings(errs: &[CheckError]) -> Vec<String> {
    errs.iter().map(ToString::to_string).collect()
}

/// The base set with `edit` applied, checked with `external` Secrets.
fn run(edit: impl FnOnce(&mut Vec<RenderedDoc>), external: &[&str]) -> Result<(), Vec<String>> {
    let mut docs = base();
    edit(&mut docs);
    let external: Vec<String> = external.iter().map(|s| s.to_string()).collect();
    check::check(docs, &external)
        .map(|_| ())
        .map_err(|e| strings(&e))
}

#[track_caller]
fn fails(edit: impl FnOnce(&mut Vec<RenderedDoc>), expected: &[&str]) {
    fails_with(edit, &[], expected)
}

#[track_caller]
fn fails_with(edit: impl FnOnce(&mut Vec<RenderedDoc>), external: &[&str], expected: &[&str]) {
    match run(edit, external) {
        Ok(()) => panic!("expected errors {expected:#?}, but the check passed"),
        Err(errs) => assert_eq!(errs, expected),
    }
}

#[track_caller]
fn passes(edit: impl FnOnce(&mut Vec<RenderedDoc>), external: &[&str]) {
    if let Err(errs) = run(edit, external) {
        panic!("expected the check to pass, got {errs:#?}");
    }
}

const STS: &str = "template `t.yaml.j2`, StatefulSet app";

#[test]
fn base_set_passes_and_keeps_render_order() {
    let docs = check::check(base(), &[]).unwrap_or_else(|e| panic!("{:#?}", strings(&e)));
    let kinds: Vec<(&str, &str)> = docs.iter().map(|d| (d.kind(), d.name())).collect();
    assert_eq!(
        kinds,
        vec![
            ("Namespace", "ns1"),
            ("StorageClass", "local-storage"),
            ("PersistentVolume", "pv-0"),
            ("PersistentVolume", "pv-1"),
            ("ServiceAccount", "app"),
            ("Secret", "app-secret"),
            ("ConfigMap", "app"),
            ("Service", "app"),
            ("Service", "app-read"),
            ("PodDisruptionBudget", "app"),
            ("StatefulSet", "app"),
        ]
    );
    assert!(docs.iter().all(|d| d.template == "t.yaml.j2"));
    // The checked value is re-serialized from the type.
    let sts = docs.last().unwrap();
    assert_eq!(sts.value["spec"]["replicas"], 2);
    assert_eq!(sts.namespace(), Some("ns1"));
}

// --- [selector] ---

#[test]
fn selector_label_missing_from_pod_template() {
    fails(
        |d| sts(d)["spec"]["selector"]["matchLabels"]["role"] = json!("x"),
        &[&format!(
            "{STS} [selector]: selector label `role: x` is not on the pod template"
        )],
    );
    // A selector label with another value on the pod is not enough either.
    fails(
        |d| sts(d)["spec"]["selector"]["matchLabels"]["tier"] = json!("web"),
        &[&format!(
            "{STS} [selector]: selector label `tier: web` is not on the pod template"
        )],
    );
}

#[test]
fn selector_subset_of_pod_labels_passes() {
    passes(
        |d| sts(d)["spec"]["selector"]["matchLabels"]["tier"] = json!("db"),
        &[],
    );
}

#[test]
fn empty_selector_fails() {
    fails(
        |d| sts(d)["spec"]["selector"] = json!({}),
        &[&format!(
            "{STS} [selector]: the StatefulSet selector is empty"
        )],
    );
}

// --- [service-name] ---

#[test]
fn service_name_not_rendered() {
    fails(
        |d| sts(d)["spec"]["serviceName"] = json!("nope"),
        &[&format!(
            "{STS} [service-name]: serviceName `nope` is not a rendered Service"
        )],
    );
}

#[test]
fn service_name_missing() {
    fails(
        |d| {
            sts(d)["spec"]
                .as_object_mut()
                .unwrap()
                .remove("serviceName");
        },
        &[&format!(
            "{STS} [service-name]: serviceName `` is not a rendered Service"
        )],
    );
}

#[test]
fn service_name_not_headless() {
    fails(
        |d| sts(d)["spec"]["serviceName"] = json!("app-read"),
        &[&format!(
            "{STS} [service-name]: serviceName `app-read` must be a headless Service (clusterIP: None)"
        )],
    );
    fails(
        |d| get(d, "Service", "app")["spec"]["clusterIP"] = json!("10.0.0.1"),
        &[&format!(
            "{STS} [service-name]: serviceName `app` must be a headless Service (clusterIP: None)"
        )],
    );
}

#[test]
fn service_name_in_another_namespace_does_not_count() {
    // Without a Namespace object the namespace rule is off, so only service-name fires
    // (the moved Service also selects no pods in its namespace).
    fails(
        |d| {
            remove(d, "Namespace", "ns1");
            get(d, "Service", "app")["metadata"]["namespace"] = json!("other");
        },
        &[
            &format!("{STS} [service-name]: serviceName `app` is not a rendered Service"),
            "template `t.yaml.j2`, Service app [selects-pods]: the Service selector `app=a` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace",
        ],
    );
}

// --- [volume-mounts] and [volumes] ---

#[test]
fn volume_mount_without_volume() {
    fails(
        |d| {
            main_container(d)["volumeMounts"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "logs", "mountPath": "/logs"}))
        },
        &[&format!(
            "{STS} [volume-mounts]: container `app` mounts `logs`, which is neither a volume nor a volume claim"
        )],
    );
    // Init containers are checked too.
    fails(
        |d| {
            sts(d)["spec"]["template"]["spec"]["initContainers"][0]["volumeMounts"][0]["name"] =
                json!("cfg")
        },
        &[&format!(
            "{STS} [volume-mounts]: container `init` mounts `cfg`, which is neither a volume nor a volume claim"
        )],
    );
}

#[test]
fn volume_mount_of_added_volume_passes() {
    passes(
        |d| {
            main_container(d)["volumeMounts"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "logs", "mountPath": "/logs"}));
            sts(d)["spec"]["template"]["spec"]["volumes"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "logs", "emptyDir": {}}));
        },
        &[],
    );
}

#[test]
fn volume_defined_twice() {
    fails(
        |d| {
            sts(d)["spec"]["template"]["spec"]["volumes"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "data", "emptyDir": {}}))
        },
        &[&format!(
            "{STS} [volumes]: volume name `data` is defined twice"
        )],
    );
}

// --- [references] ---

#[test]
fn config_map_key_ref_to_missing_key() {
    fails(
        |d| main_container(d)["env"][0]["valueFrom"]["configMapKeyRef"]["key"] = json!("b.conf"),
        &[&format!(
            "{STS} [references]: env `A` of container `app` refers to key `b.conf` of ConfigMap `app`, which has no such key"
        )],
    );
}

#[test]
fn config_map_key_ref_optional_passes() {
    passes(
        |d| {
            main_container(d)["env"][0]["valueFrom"]["configMapKeyRef"] =
                json!({"name": "app", "key": "b.conf", "optional": true})
        },
        &[],
    );
}

#[test]
fn config_map_volume_to_missing_config_map() {
    fails(
        |d| sts(d)["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] = json!("nope"),
        &[&format!(
            "{STS} [references]: volume `config` refers to ConfigMap `nope`, which is not rendered"
        )],
    );
    // External names are for Secrets only.
    fails_with(
        |d| sts(d)["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] = json!("nope"),
        &["nope"],
        &[&format!(
            "{STS} [references]: volume `config` refers to ConfigMap `nope`, which is not rendered"
        )],
    );
}

#[test]
fn config_map_volume_item_to_missing_key() {
    fails(
        |d| {
            sts(d)["spec"]["template"]["spec"]["volumes"][0]["configMap"]["items"] =
                json!([{"key": "a.conf", "path": "a"}, {"key": "z.conf", "path": "z"}])
        },
        &[&format!(
            "{STS} [references]: volume `config` refers to key `z.conf` of ConfigMap `app`, which has no such key"
        )],
    );
}

#[test]
fn projected_volume_sources_resolve_like_volumes() {
    let projected = |sources: serde_json::Value| {
        move |d: &mut Vec<RenderedDoc>| {
            sts(d)["spec"]["template"]["spec"]["volumes"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "bundle", "projected": {"sources": sources.clone()}}))
        }
    };
    fails(
        projected(json!([
            {"configMap": {"name": "app", "items": [{"key": "a.conf", "path": "a"}, {"key": "z.conf", "path": "z"}]}},
            {"secret": {"name": "gone"}},
            {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}
        ])),
        &[
            &format!("{STS} [references]: volume `bundle` refers to key `z.conf` of ConfigMap `app`, which has no such key"),
            &format!("{STS} [references]: volume `bundle` refers to Secret `gone`, which is not rendered"),
        ],
    );
    // Optional sources, keys that exist and external Secrets resolve.
    passes(
        projected(json!([
            {"configMap": {"name": "app", "items": [{"key": "a.conf", "path": "a"}]}},
            {"configMap": {"name": "nope", "optional": true}},
            {"secret": {"name": "ext-secret"}}
        ])),
        &["ext-secret"],
    );
}

#[test]
fn secret_key_ref_to_missing_secret() {
    let edit = |d: &mut Vec<RenderedDoc>| {
        main_container(d)["env"][1]["valueFrom"]["secretKeyRef"]["name"] = json!("ext-secret")
    };
    fails(
        edit,
        &[&format!(
            "{STS} [references]: env `P` of container `app` refers to Secret `ext-secret`, which is not rendered"
        )],
    );
    // A Secret that exists in the cluster already (secret.existing) resolves.
    passes(edit, &["ext-secret"]);
    // Another external name does not.
    fails_with(
        edit,
        &["other"],
        &[&format!(
            "{STS} [references]: env `P` of container `app` refers to Secret `ext-secret`, which is not rendered"
        )],
    );
}

#[test]
fn secret_key_ref_to_missing_key() {
    fails(
        |d| main_container(d)["env"][1]["valueFrom"]["secretKeyRef"]["key"] = json!("password"),
        &[&format!(
            "{STS} [references]: env `P` of container `app` refers to key `password` of Secret `app-secret`, which has no such key"
        )],
    );
}

#[test]
fn secret_in_another_namespace_does_not_resolve() {
    fails(
        |d| {
            remove(d, "Namespace", "ns1");
            get(d, "Secret", "app-secret")["metadata"]["namespace"] = json!("other");
        },
        &[&format!(
            "{STS} [references]: env `P` of container `app` refers to Secret `app-secret`, which is not rendered"
        )],
    );
}

#[test]
fn env_from_and_secret_volume_references() {
    fails(
        |d| {
            main_container(d)["envFrom"] =
                json!([{"configMapRef": {"name": "app"}}, {"secretRef": {"name": "gone"}}]);
            sts(d)["spec"]["template"]["spec"]["volumes"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "certs", "secret": {"secretName": "certs"}}));
        },
        &[
            &format!("{STS} [references]: volume `certs` refers to Secret `certs`, which is not rendered"),
            &format!("{STS} [references]: envFrom of container `app` refers to Secret `gone`, which is not rendered"),
        ],
    );
    passes(
        |d| {
            main_container(d)["envFrom"] =
                json!([{"configMapRef": {"name": "app"}}, {"secretRef": {"name": "gone"}}]);
            sts(d)["spec"]["template"]["spec"]["volumes"]
                .as_array_mut()
                .unwrap()
                .push(
                    json!({"name": "certs", "secret": {"secretName": "certs", "optional": true}}),
                );
        },
        &["gone"],
    );
}

// --- [selects-pods] and [service-ports] ---

#[test]
fn service_selecting_no_pods() {
    fails(
        |d| get(d, "Service", "app-read")["spec"]["selector"] = json!({"app": "b"}),
        &["template `t.yaml.j2`, Service app-read [selects-pods]: the Service selector `app=b` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"],
    );
}

#[test]
fn service_without_selector() {
    fails(
        |d| {
            get(d, "Service", "app-read")["spec"]
                .as_object_mut()
                .unwrap()
                .remove("selector");
        },
        &["template `t.yaml.j2`, Service app-read [selects-pods]: the Service has no selector"],
    );
}

#[test]
fn external_name_service_has_no_selector_by_design() {
    // A DNS alias never selects pods; sts-gen's other Services must (no hand-managed
    // endpoints in its own output: `service_without_selector`).
    passes(
        |d| {
            get(d, "Service", "app-read")["spec"] =
                json!({"type": "ExternalName", "externalName": "db.example.com"})
        },
        &[],
    );
}

#[test]
fn pdb_with_an_empty_selector_covers_the_namespace() {
    passes(
        |d| get(d, "PodDisruptionBudget", "app")["spec"]["selector"] = json!({}),
        &[],
    );
    fails(
        |d| {
            get(d, "PodDisruptionBudget", "app")["spec"]
                .as_object_mut()
                .unwrap()
                .remove("selector");
        },
        &["template `t.yaml.j2`, PodDisruptionBudget app [selects-pods]: the PodDisruptionBudget has no selector"],
    );
}

#[test]
fn service_selecting_by_pod_name_counts_controller_labels() {
    // The controller adds statefulset.kubernetes.io/pod-name; app-1 exists with 2 replicas.
    passes(
        |d| {
            get(d, "Service", "app-read")["spec"]["selector"] =
                json!({"app": "a", "statefulset.kubernetes.io/pod-name": "app-1"})
        },
        &[],
    );
    passes(
        |d| {
            get(d, "Service", "app-read")["spec"]["selector"] =
                json!({"apps.kubernetes.io/pod-index": "0"})
        },
        &[],
    );
    fails(
        |d| {
            get(d, "Service", "app-read")["spec"]["selector"] =
                json!({"statefulset.kubernetes.io/pod-name": "app-2"})
        },
        &["template `t.yaml.j2`, Service app-read [selects-pods]: the Service selector `statefulset.kubernetes.io/pod-name=app-2` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"],
    );
}

#[test]
fn service_target_port_not_a_container_port() {
    fails(
        |d| get(d, "Service", "app-read")["spec"]["ports"][0]["targetPort"] = json!("http"),
        &["template `t.yaml.j2`, Service app-read [service-ports]: targetPort `http` is not a container port of the selected pods"],
    );
}

#[test]
fn service_numeric_target_port_passes() {
    passes(
        |d| get(d, "Service", "app-read")["spec"]["ports"][0]["targetPort"] = json!(8080),
        &[],
    );
}

#[test]
fn pdb_selecting_nothing() {
    fails(
        |d| {
            get(d, "PodDisruptionBudget", "app")["spec"]["selector"]["matchLabels"] =
                json!({"app": "b"})
        },
        &["template `t.yaml.j2`, PodDisruptionBudget app [selects-pods]: the PodDisruptionBudget selector `app=b` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"],
    );
    // `{}` selects the whole namespace: pdb_with_an_empty_selector_covers_the_namespace.
}

#[test]
fn pdb_selecting_a_pod_label_subset_passes() {
    passes(
        |d| {
            get(d, "PodDisruptionBudget", "app")["spec"]["selector"]["matchLabels"] =
                json!({"tier": "db"})
        },
        &[],
    );
}

// --- [local-pvs] ---

#[test]
fn too_few_local_pvs_for_replicas() {
    fails(
        |d| remove(d, "PersistentVolume", "pv-1"),
        &[&format!(
            "{STS} [local-pvs]: 1 local PersistentVolumes in class `local-storage` for 2 replicas"
        )],
    );
    fails(
        |d| sts(d)["spec"]["replicas"] = json!(3),
        &[&format!(
            "{STS} [local-pvs]: 2 local PersistentVolumes in class `local-storage` for 3 replicas"
        )],
    );
}

#[test]
fn pvs_are_only_required_for_a_no_provisioner_class() {
    passes(
        |d| {
            remove(d, "PersistentVolume", "pv-0");
            remove(d, "PersistentVolume", "pv-1");
            get(d, "StorageClass", "local-storage")["provisioner"] = json!("example.com/csi");
        },
        &[],
    );
    passes(|d| sts(d)["spec"]["replicas"] = json!(1), &[]);
}

#[test]
fn pv_capacity_below_the_claim() {
    fails(
        |d| get(d, "PersistentVolume", "pv-1")["spec"]["capacity"]["storage"] = json!("512Mi"),
        &["template `t.yaml.j2`, PersistentVolume pv-1 [local-pvs]: capacity is below the claim `data` request"],
    );
    // 1G (decimal) is less than 1Gi (binary).
    fails(
        |d| get(d, "PersistentVolume", "pv-0")["spec"]["capacity"]["storage"] = json!("1G"),
        &["template `t.yaml.j2`, PersistentVolume pv-0 [local-pvs]: capacity is below the claim `data` request"],
    );
}

#[test]
fn pv_capacity_equal_in_other_units_or_larger_passes() {
    passes(
        |d| {
            get(d, "PersistentVolume", "pv-0")["spec"]["capacity"]["storage"] = json!("1024Mi");
            get(d, "PersistentVolume", "pv-1")["spec"]["capacity"]["storage"] = json!("2Gi");
        },
        &[],
    );
}

#[test]
fn pv_access_modes_not_covering_the_claim() {
    fails(
        |d| get(d, "PersistentVolume", "pv-0")["spec"]["accessModes"] = json!(["ReadOnlyMany"]),
        &["template `t.yaml.j2`, PersistentVolume pv-0 [local-pvs]: access modes [ReadOnlyMany] do not cover the claim's [ReadWriteOnce]"],
    );
}

#[test]
fn pv_access_modes_superset_passes() {
    passes(
        |d| {
            get(d, "PersistentVolume", "pv-0")["spec"]["accessModes"] =
                json!(["ReadOnlyMany", "ReadWriteOnce"])
        },
        &[],
    );
}

#[test]
fn local_pv_without_node_affinity() {
    fails(
        |d| {
            get(d, "PersistentVolume", "pv-1")["spec"]
                .as_object_mut()
                .unwrap()
                .remove("nodeAffinity");
        },
        &["template `t.yaml.j2`, PersistentVolume pv-1 [local-pvs]: a local PersistentVolume needs a required nodeAffinity"],
    );
    fails(
        |d| {
            get(d, "PersistentVolume", "pv-1")["spec"]["nodeAffinity"] =
                json!({"required": {"nodeSelectorTerms": []}})
        },
        &["template `t.yaml.j2`, PersistentVolume pv-1 [local-pvs]: a local PersistentVolume needs a required nodeAffinity"],
    );
}

#[test]
fn claim_ref_to_another_statefulsets_claim() {
    fails(
        |d| {
            get(d, "PersistentVolume", "pv-0")["spec"]["claimRef"] =
                json!({"kind": "PersistentVolumeClaim", "namespace": "ns1", "name": "data-other-0"})
        },
        &["template `t.yaml.j2`, PersistentVolume pv-0 [local-pvs]: claimRef `ns1/data-other-0` is not a claim of StatefulSet app"],
    );
    // The right claim name in another namespace is not this StatefulSet's claim either.
    fails(
        |d| {
            get(d, "PersistentVolume", "pv-0")["spec"]["claimRef"] =
                json!({"namespace": "ns2", "name": "data-app-0"})
        },
        &["template `t.yaml.j2`, PersistentVolume pv-0 [local-pvs]: claimRef `ns2/data-app-0` is not a claim of StatefulSet app"],
    );
}

#[test]
fn claim_ref_to_own_claims_passes() {
    passes(
        |d| {
            get(d, "PersistentVolume", "pv-0")["spec"]["claimRef"] = json!({
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "namespace": "ns1", "name": "data-app-0"
            });
            get(d, "PersistentVolume", "pv-1")["spec"]["claimRef"] =
                json!({"namespace": "ns1", "name": "data-app-1"});
        },
        &[],
    );
}

// --- [namespace] ---

#[test]
fn object_in_another_namespace_than_the_rendered_namespace() {
    fails(
        |d| get(d, "ServiceAccount", "app")["metadata"]["namespace"] = json!("ns2"),
        &["template `t.yaml.j2`, ServiceAccount app [namespace]: namespace `ns2` is not the rendered Namespace"],
    );
    // sts-gen renders every object into the profile's namespace: kube-system is a mistake
    // there, though lint accepts it in anyone's manifests.
    fails(
        |d| get(d, "ServiceAccount", "app")["metadata"]["namespace"] = json!("kube-system"),
        &["template `t.yaml.j2`, ServiceAccount app [namespace]: namespace `kube-system` is not the rendered Namespace"],
    );
}

#[test]
fn without_a_namespace_object_any_namespace_passes() {
    passes(
        |d| {
            remove(d, "Namespace", "ns1");
            get(d, "ServiceAccount", "app")["metadata"]["namespace"] = json!("ns2");
        },
        &[],
    );
}

// --- [statefulset] and [pod] ---

#[test]
fn statefulset_without_spec() {
    // Without a StatefulSet spec there are no pods, so the Services and PDB select none.
    fails(
        |d| {
            sts(d).as_object_mut().unwrap().remove("spec");
        },
        &[
            &format!("{STS} [statefulset]: the StatefulSet has no spec"),
            "template `t.yaml.j2`, Service app [selects-pods]: the Service selector `app=a` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace",
            "template `t.yaml.j2`, Service app-read [selects-pods]: the Service selector `app=a` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace",
            "template `t.yaml.j2`, PodDisruptionBudget app [selects-pods]: the PodDisruptionBudget selector `app=a` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace",
        ],
    );
}

#[test]
fn pod_template_without_spec() {
    // The Services' named targetPort then matches no container port.
    fails(
        |d| {
            sts(d)["spec"]["template"]
                .as_object_mut()
                .unwrap()
                .remove("spec");
        },
        &[
            &format!("{STS} [pod]: the pod template has no spec"),
            "template `t.yaml.j2`, Service app [service-ports]: targetPort `web` is not a container port of the selected pods",
            "template `t.yaml.j2`, Service app-read [service-ports]: targetPort `web` is not a container port of the selected pods",
        ],
    );
}

#[test]
fn all_violations_are_reported_together() {
    let errs = run(
        |d| {
            sts(d)["spec"]["serviceName"] = json!("nope");
            get(d, "PersistentVolume", "pv-0")["spec"]["capacity"]["storage"] = json!("1Mi");
            get(d, "ServiceAccount", "app")["metadata"]["namespace"] = json!("ns2");
        },
        &[],
    )
    .unwrap_err();
    assert_eq!(
        errs,
        vec![
            "template `t.yaml.j2`, ServiceAccount app [namespace]: namespace `ns2` is not the rendered Namespace".to_string(),
            format!("{STS} [service-name]: serviceName `nope` is not a rendered Service"),
            "template `t.yaml.j2`, PersistentVolume pv-0 [local-pvs]: capacity is below the claim `data` request".to_string(),
        ]
    );
}

// --- typed round-trip ---

/// The one error `edit` causes, split into context and message.
fn single_error(edit: impl FnOnce(&mut Vec<RenderedDoc>)) -> CheckError {
    let mut docs = base();
    edit(&mut docs);
    let mut errs = check::check(docs, &[]).unwrap_err();
    assert_eq!(errs.len(), 1, "{:#?}", strings(&errs));
    errs.remove(0)
}

#[test]
fn unknown_field_fails_naming_template_and_field() {
    let e = single_error(|d| sts(d)["spec"]["replicaz"] = json!(3));
    assert_eq!(e.object(), Some("template `t.yaml.j2`, StatefulSet app"));
    // The path's exact form is asserted by `unknown_field_path_is_the_document_path`.
    assert!(
        e.message.starts_with("unknown field `spec."),
        "{}",
        e.message
    );
    assert!(
        e.message.ends_with(".replicaz` (Kubernetes would drop it)"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_field_path_is_the_document_path() {
    let e = single_error(|d| sts(d)["spec"]["replicaz"] = json!(3));
    assert_eq!(
        e.to_string(),
        "template `t.yaml.j2`, StatefulSet app: unknown field `spec.replicaz` (Kubernetes would drop it)"
    );
    let e = single_error(|d| main_container(d)["imagePullPolicyy"] = json!("Always"));
    assert_eq!(
        e.message,
        "unknown field `spec.template.spec.containers[0].imagePullPolicyy` (Kubernetes would drop it)"
    );
    let e = single_error(|d| get(d, "ConfigMap", "app")["metadata"]["lables"] = json!({}));
    assert_eq!(
        e.message,
        "unknown field `metadata.lables` (Kubernetes would drop it)"
    );
}

#[test]
fn several_unknown_fields_are_listed() {
    let e = single_error(|d| {
        d[6].template = "configmap.yaml.j2".into();
        let cm = get(d, "ConfigMap", "app");
        cm["metadata"]["lables"] = json!({"a": "b"});
        cm["datta"] = json!({});
    });
    assert_eq!(
        e.object(),
        Some("template `configmap.yaml.j2`, ConfigMap app")
    );
    assert!(
        e.message.starts_with("unknown fields `metadata."),
        "{}",
        e.message
    );
    assert!(e.message.contains(".lables`, `datta`"), "{}", e.message);
    assert!(
        e.message.ends_with(" (Kubernetes would drop them)"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_field_deep_in_the_pod_template() {
    let e = single_error(|d| main_container(d)["imagePullPolicyy"] = json!("Always"));
    assert_eq!(e.object(), Some("template `t.yaml.j2`, StatefulSet app"));
    assert!(
        e.message.starts_with("unknown field `spec."),
        "{}",
        e.message
    );
    let at = |part: &str| {
        e.message
            .find(part)
            .unwrap_or_else(|| panic!("{part} not in {}", e.message))
    };
    assert!(at("template") < at("containers"), "{}", e.message);
    assert!(
        e.message
            .ends_with(".imagePullPolicyy` (Kubernetes would drop it)"),
        "{}",
        e.message
    );
}

#[test]
fn wrong_typed_field_fails() {
    let mut docs = base();
    sts(&mut docs)["spec"]["replicas"] = json!("two");
    let errs = check::check(docs, &[]).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        errs[0].object(),
        Some("template `t.yaml.j2`, StatefulSet app")
    );
    assert!(
        errs[0].message.starts_with(
            "does not match the Kubernetes schema at `spec.replicas`: invalid type: string \"two\""
        ),
        "{}",
        errs[0].message
    );
}

#[test]
fn unknown_kind_fails() {
    let mut docs = base();
    docs.push(doc(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns1"}
    })));
    let errs = strings(&check::check(docs, &[]).unwrap_err());
    assert_eq!(
        errs,
        vec!["template `t.yaml.j2`, Deployment web: kind `Deployment` (apps/v1) is not one sts-gen renders (Namespace, StorageClass, PersistentVolume, ServiceAccount, Role, RoleBinding, Secret, ExternalSecret, Certificate, ConfigMap, Service, Ingress, NetworkPolicy, PodDisruptionBudget, PersistentVolumeClaim, StatefulSet, CronJob, ServiceMonitor, PodMonitor; and custom resources, unchecked)"]
    );
}

#[test]
fn missing_kind_fails() {
    let mut docs = base();
    docs.push(doc(json!({"apiVersion": "v1", "metadata": {"name": "x"}})));
    assert_eq!(
        strings(&check::check(docs, &[]).unwrap_err()),
        vec!["template `t.yaml.j2`,  x: the document has no `kind`"]
    );
}

#[test]
fn wrong_api_version_fails() {
    let mut docs = base();
    sts(&mut docs)["apiVersion"] = json!("v1");
    assert_eq!(
        strings(&check::check(docs, &[]).unwrap_err()),
        vec!["template `t.yaml.j2`, StatefulSet app: apiVersion is `v1`; StatefulSet is `apps/v1`"]
    );
}

#[test]
fn typing_errors_come_before_the_rules() {
    // A broken document stops the cross-object rules, so one typo does not cascade.
    let mut docs = base();
    get(&mut docs, "Service", "app")["spec"]["clusterIp"] = json!("None");
    sts(&mut docs)["spec"]["serviceName"] = json!("nope");
    let errs = check::check(docs, &[]).unwrap_err();
    assert_eq!(errs.len(), 1, "{:#?}", strings(&errs));
    assert_eq!(errs[0].object(), Some("template `t.yaml.j2`, Service app"));
    assert!(
        errs[0].message.starts_with("unknown field `spec.")
            && errs[0]
                .message
                .ends_with(".clusterIp` (Kubernetes would drop it)"),
        "{}",
        errs[0].message
    );
}

// --- the bundled profiles ---

fn bundled(file: &str, opts: &model::Options) -> Vec<check::Doc> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(file);
    // A literal instead of the render-time environment variable: tests run in parallel
    // threads, so setting process environment here would race with other tests.
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("{fromEnv: MYSQL_ROOT_PASSWORD}", "{value: test}");
    let loaded = profile::load_bytes(file, text.as_bytes(), path.parent().unwrap())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let model = model::build(&loaded, opts).unwrap_or_else(|e| panic!("{file}: {e:?}"));
    let renderer = render::Renderer::new(None).unwrap();
    let rendered = renderer
        .render(&model)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    // No external Secrets: every reference must resolve to a rendered object.
    check::check(rendered, &[]).unwrap_or_else(|e| panic!("{file}: {:#?}", strings(&e)))
}

#[test]
fn mysql_profile_passes_every_rule() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/mysql.yaml"))
            .unwrap();
    assert!(
        text.contains("{fromEnv: MYSQL_ROOT_PASSWORD}"),
        "the mysql profile no longer reads MYSQL_ROOT_PASSWORD; update this test"
    );
    let docs = bundled("mysql.yaml", &model::Options::default());
    let ids: Vec<(&str, &str)> = docs.iter().map(|d| (d.kind(), d.name())).collect();
    for want in [
        ("Namespace", "mysql"),
        ("StorageClass", "local-storage"),
        ("Secret", "mysql-secret"),
        ("ConfigMap", "mysql"),
        ("Service", "mysql"),
        ("Service", "mysql-read"),
        ("StatefulSet", "mysql"),
    ] {
        assert!(ids.contains(&want), "{want:?} not in {ids:?}");
    }
    let pvs = docs
        .iter()
        .filter(|d| d.kind() == "PersistentVolume")
        .count();
    assert_eq!(pvs, 3, "one local PV per replica");
}

#[test]
fn mysql_profile_passes_in_another_namespace() {
    let opts = model::Options {
        namespace: Some("db2".into()),
        ..model::Options::default()
    };
    let docs = bundled("mysql.yaml", &opts);
    assert!(docs
        .iter()
        .any(|d| d.kind() == "Namespace" && d.name() == "db2"));
    for d in &docs {
        if let Some(ns) = d.namespace() {
            assert_eq!(ns, "db2", "{} {}", d.kind(), d.name());
        }
    }
}

#[test]
fn web_profile_passes_every_rule() {
    let docs = bundled("web.yaml", &model::Options::default());
    let ids: Vec<(&str, &str)> = docs.iter().map(|d| (d.kind(), d.name())).collect();
    assert!(ids.contains(&("StatefulSet", "web")), "{ids:?}");
    // The headless Service follows the name (it was a fixed `nginx`).
    assert!(ids.contains(&("Service", "web")), "{ids:?}");
}

#[test]
fn rendered_names_stay_dns_names() {
    // Rendered names become file names (--output-dir): an RBAC name with `:` that lint
    // accepts in others' manifests, or a generateName alone, is not one a template may use.
    let role = |meta: Value| {
        doc(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": meta, "rules": []
        }))
    };
    fails(
        |docs| docs.push(role(json!({"name": "app:leader", "namespace": "ns1"}))),
        &["template `t.yaml.j2`, Role app:leader: metadata.name `app:leader` is not a DNS-1123 subdomain (lower-case letters, digits, `-` and `.`)"],
    );
    fails(
        |docs| docs.push(role(json!({"generateName": "app-", "namespace": "ns1"}))),
        &["template `t.yaml.j2`, Role ?: metadata.name is missing"],
    );
}

#[test]
fn a_custom_kind_named_like_a_core_kind_is_unchecked() {
    // A group that is clearly another API's (a dot, not `*.k8s.io`) is a custom resource,
    // written unchecked with the usual warning; a Kubernetes group is a template bug.
    let mut docs = base();
    docs.push(doc(json!({
        "apiVersion": "serving.knative.dev/v1", "kind": "Service",
        "metadata": {"name": "hello", "namespace": "ns1"},
        "spec": {"template": {"spec": {"containers": [{"image": "hello:1"}]}}}
    })));
    let checked = check::check(docs, &[]).unwrap_or_else(|e| panic!("{:#?}", strings(&e)));
    assert_eq!(
        check::unchecked_warnings(&checked),
        ["template `t.yaml.j2` renders Service hello (serving.knative.dev/v1), a custom kind sts-gen has no schema for: it is written as the template wrote it, unchecked"]
    );
    fails(
        |docs| get(docs, "Service", "app-read")["apiVersion"] = json!("apps/v1"),
        &["template `t.yaml.j2`, Service app-read: apiVersion is `apps/v1`; Service is `v1`"],
    );
}
