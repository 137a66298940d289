//! `sts-gen lint`: every rule has a fixture that breaks it (`fail/<rule>.yaml`: the base
//! tests/lint/pass.yaml with one thing broken by an edit in [`CASES`]) and is quiet on passing
//! ones (the base and the `pass/` variants); exit codes, `--fail-on`, the JSON shape,
//! suppressions, and every bundled profile.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use common::{run, sts_gen as sts, ROOT};
use serde_json::Value;
use sts_gen::lint::{Severity, RULES};

/// One fixture: the base with its first (comment) line replaced by `header` and `edits`
/// applied in order; each edit's text occurs exactly once when it is applied.
struct Case {
    file: &'static str,
    header: &'static str,
    edits: &'static [(&'static str, &'static str)],
}

/// The fixtures: each is the base (tests/lint/pass.yaml) with its header comment replaced
/// and its edits applied in order, each to text that occurs exactly once.
const CASES: &[Case] = &[
    Case {
        file: "fail/anti-affinity.yaml",
        header: "# Breaks `anti-affinity`: two replicas and nothing spreads them over nodes.",
        edits: &[
            ("\n      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - podAffinityTerm:\n              labelSelector:\n                matchLabels:\n                  app.kubernetes.io/name: shop\n              topologyKey: kubernetes.io/hostname\n            weight: 100\n", "\n"),
        ],
    },
    Case {
        file: "fail/cpu-limit.yaml",
        header: "# Breaks `cpu-limit`: no CPU limit.",
        edits: &[
            ("\n            cpu: '1'\n", "\n"),
        ],
    },
    Case {
        file: "fail/image-tag.yaml",
        header: "# Breaks `image-tag`: an image without a tag.",
        edits: &[
            ("\n      - image: registry.example/shop-db:1.4.2\n", "\n      - image: registry.example/shop-db\n"),
        ],
    },
    Case {
        file: "fail/local-pvs.yaml",
        header: "# Breaks `local-pvs`: one local PersistentVolume for two replicas.",
        edits: &[
            ("\n  persistentVolumeReclaimPolicy: Retain\n  storageClassName: local-storage\n  volumeMode: Filesystem\n---\napiVersion: v1\nkind: PersistentVolume\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: sts-gen\n    app.kubernetes.io/name: shop\n  name: shop-data-shop-1\nspec:\n  accessModes:\n  - ReadWriteOnce\n  capacity:\n    storage: 5Gi\n  local:\n    path: /mnt/disks/shop/shop-1\n  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - key: kubernetes.io/hostname\n          operator: In\n          values:\n          - node-b\n", "\n"),
        ],
    },
    Case {
        file: "fail/local-storage-class.yaml",
        header: "# Breaks `local-storage-class`: a no-provisioner StorageClass that binds Immediate.",
        edits: &[
            ("\nvolumeBindingMode: WaitForFirstConsumer\n", "\nvolumeBindingMode: Immediate\n"),
        ],
    },
    Case {
        file: "fail/name-length.yaml",
        header: "# Breaks `name-length`: a StatefulSet name of 53 characters.",
        edits: &[
            ("\n  labels:\n    app.kubernetes.io/managed-by: sts-gen\n    app.kubernetes.io/name: shop\n  name: shop\n  namespace: shop\nspec:\n  podManagementPolicy: OrderedReady\n", "\n  labels:\n    app.kubernetes.io/managed-by: sts-gen\n    app.kubernetes.io/name: shop\n  name: shop-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n  namespace: shop\nspec:\n  podManagementPolicy: OrderedReady\n"),
        ],
    },
    Case {
        file: "fail/namespace-set.yaml",
        header: "# Breaks `namespace-set`: a ServiceAccount without a namespace.",
        edits: &[
            ("\n  name: shop\n  namespace: shop\n---\n", "\n  name: shop\n---\n"),
        ],
    },
    Case {
        file: "fail/network-policy.yaml",
        header: "# Breaks `network-policy`: no NetworkPolicy selects the pods.",
        edits: &[
            ("\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: sts-gen\n    app.kubernetes.io/name: shop\n  name: shop\n  namespace: shop\nspec:\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app.kubernetes.io/name: shop\n    ports:\n    - port: 5432\n      protocol: TCP\n    - port: 9187\n      protocol: TCP\n  - from:\n    - podSelector: {}\n    ports:\n    - port: 5432\n      protocol: TCP\n    - port: 9187\n      protocol: TCP\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: shop\n  policyTypes:\n  - Ingress\n---\n", "\n"),
        ],
    },
    Case {
        file: "fail/pdb.yaml",
        header: "# Breaks `pdb`: two replicas and no PodDisruptionBudget.",
        edits: &[
            ("\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: sts-gen\n    app.kubernetes.io/name: shop\n  name: shop\n  namespace: shop\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: shop\n  unhealthyPodEvictionPolicy: AlwaysAllow\n---\n", "\n"),
        ],
    },
    Case {
        file: "fail/peer-count.yaml",
        header: "# Breaks `peer-count`: a marked peer list names one pod, replicas is 2 (scaled up after rendering; scaling down is also `pod-references`).",
        edits: &[
            ("kind: StatefulSet\nmetadata:\n  labels:\n", "kind: StatefulSet\nmetadata:\n  annotations:\n    sts-gen/peers-fixed: change replicas through sts-gen\n  labels:\n"),
            ("\n        name: shop\n        ports:\n", "\n        env:\n        - name: PEERS\n          value: shop-0.shop.shop.svc:5432\n        name: shop\n        ports:\n"),
        ],
    },
    Case {
        file: "fail/pod-references.yaml",
        header: "# Breaks `pod-references`: an argument names pod shop-2 of a StatefulSet with two replicas.",
        edits: &[
            ("\n        name: shop\n        ports:\n", "\n        name: shop\n        args:\n        - --peer=shop-2.shop.shop.svc.cluster.local:5432\n        ports:\n"),
        ],
    },
    Case {
        file: "fail/pod.yaml",
        header: "# Breaks `pod`: a StatefulSet whose pod template has no spec.",
        edits: &[
            ("\n      storageClassName: local-storage\n", "\n      storageClassName: local-storage\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: sts-gen\n    app.kubernetes.io/name: shop\n  name: shop-nopod\n  namespace: shop\nspec:\n  podManagementPolicy: OrderedReady\n  replicas: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: shop-nopod\n  serviceName: shop\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: shop-nopod\n  updateStrategy:\n    type: RollingUpdate\n"),
        ],
    },
    Case {
        file: "fail/port-names.yaml",
        header: "# Breaks `port-names`: a container port without a name.",
        edits: &[
            ("\n          protocol: TCP\n        readinessProbe:\n", "\n          protocol: TCP\n        - containerPort: 9100\n          protocol: TCP\n        readinessProbe:\n"),
        ],
    },
    Case {
        file: "fail/probe-port.yaml",
        header: "# Breaks `probe-port`: the readiness probe names a port the container does not have.",
        edits: &[
            ("\n          tcpSocket:\n            port: db\n        resources:\n", "\n          tcpSocket:\n            port: dbx\n        resources:\n"),
        ],
    },
    Case {
        file: "fail/probes.yaml",
        header: "# Breaks `probes`: no liveness probe.",
        edits: &[
            ("\n        livenessProbe:\n          failureThreshold: 6\n          initialDelaySeconds: 30\n          periodSeconds: 20\n          tcpSocket:\n            port: db\n", "\n"),
        ],
    },
    Case {
        file: "fail/read-only-root.yaml",
        header: "# Breaks `read-only-root`: a writable root filesystem.",
        edits: &[
            ("\n          readOnlyRootFilesystem: true\n", "\n          readOnlyRootFilesystem: false\n"),
        ],
    },
    Case {
        file: "fail/references.yaml",
        header: "# Breaks `references`: a secretKeyRef to a Secret that is not among the manifests.",
        edits: &[
            ("\n          name: writable-tmp\n", "\n          name: writable-tmp\n        env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: shop-credentials\n              key: password\n"),
        ],
    },
    Case {
        file: "fail/resources.yaml",
        header: "# Breaks `resources`: no memory request.",
        edits: &[
            ("\n            cpu: 250m\n            memory: 512Mi\n", "\n            cpu: 250m\n"),
        ],
    },
    Case {
        file: "fail/run-as-user.yaml",
        header: "# Breaks `run-as-user`: uid 999.",
        edits: &[
            ("\n        runAsUser: 10001\n", "\n        runAsUser: 999\n"),
            ("\n        runAsGroup: 10001\n", "\n        runAsGroup: 999\n"),
            ("\n        fsGroup: 10001\n", "\n        fsGroup: 999\n"),
        ],
    },
    Case {
        file: "fail/schema.yaml",
        header: "# Breaks `schema`: a ConfigMap with a misspelt field (dataa).",
        edits: &[
            ("\n      storageClassName: local-storage\n", "\n      storageClassName: local-storage\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-extra\n  namespace: shop\ndataa:\n  a: b\n"),
        ],
    },
    Case {
        file: "fail/security-context.yaml",
        header: "# Breaks `security-context`: allowPrivilegeEscalation is true.",
        edits: &[
            ("\n          allowPrivilegeEscalation: false\n", "\n          allowPrivilegeEscalation: true\n"),
        ],
    },
    Case {
        file: "fail/selector.yaml",
        header: "# Breaks `selector`: the StatefulSet selector has a label the pod template lacks.",
        edits: &[
            ("\n      app.kubernetes.io/name: shop\n  serviceName: shop\n", "\n      app.kubernetes.io/name: shop\n      tier: db\n  serviceName: shop\n"),
        ],
    },
    Case {
        file: "fail/selects-pods.yaml",
        header: "# Breaks `selects-pods`: a Service whose selector matches no pod.",
        edits: &[
            ("\n    app.kubernetes.io/name: shop\n  type: ClusterIP\n", "\n    app.kubernetes.io/name: shop\n  type: ClusterIP\n---\napiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: sts-gen\n    app.kubernetes.io/name: shop\n  name: shop-admin\n  namespace: shop\nspec:\n  ports:\n  - name: db\n    port: 5432\n    protocol: TCP\n    targetPort: db\n  - name: metrics\n    port: 9187\n    protocol: TCP\n    targetPort: metrics\n  selector:\n    app.kubernetes.io/name: shop-admin\n  type: ClusterIP\n"),
        ],
    },
    Case {
        file: "fail/service-name.yaml",
        header: "# Breaks `service-name`: serviceName names a Service that is not headless.",
        edits: &[
            ("\n  serviceName: shop\n", "\n  serviceName: shop-read\n"),
        ],
    },
    Case {
        file: "fail/service-ports.yaml",
        header: "# Breaks `service-ports`: a Service targets a port name no container declares.",
        edits: &[
            ("\n    protocol: TCP\n    targetPort: metrics\n  selector:\n", "\n    protocol: TCP\n    targetPort: monitoring\n  selector:\n"),
        ],
    },
    Case {
        file: "fail/statefulset.yaml",
        header: "# Breaks `statefulset`: a StatefulSet without a spec.",
        edits: &[
            ("\n      storageClassName: local-storage\n", "\n      storageClassName: local-storage\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: shop-empty\n  namespace: shop\n"),
        ],
    },
    Case {
        file: "fail/suppression.yaml",
        header: "# Breaks `suppression`: an ignore annotation without a reason.",
        edits: &[
            ("\n  name: shop\n  namespace: shop\nspec:\n  podManagementPolicy: OrderedReady\n", "\n  name: shop\n  namespace: shop\n  annotations:\n    sts-gen/ignore: pdb\nspec:\n  podManagementPolicy: OrderedReady\n"),
        ],
    },
    Case {
        file: "fail/volume-mounts.yaml",
        header: "# Breaks `volume-mounts`: a mount of a volume that does not exist.",
        edits: &[
            ("\n          name: writable-tmp\n", "\n          name: writable-tmp\n        - name: cache\n          mountPath: /var/cache/shop\n"),
        ],
    },
    Case {
        file: "fail/volumes.yaml",
        header: "# Breaks `volumes`: two pod volumes of one name.",
        edits: &[
            ("\n        name: writable-tmp\n", "\n        name: writable-tmp\n      - name: writable-tmp\n        emptyDir: {}\n"),
        ],
    },
    Case {
        file: "pass/anti-affinity-comment.yaml",
        header: "# Passes: `anti-affinity` switched off by a comment in the StatefulSet's document.",
        edits: &[
            ("\n      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - podAffinityTerm:\n              labelSelector:\n                matchLabels:\n                  app.kubernetes.io/name: shop\n              topologyKey: kubernetes.io/hostname\n            weight: 100\n", "\n"),
            ("\n---\napiVersion: apps/v1\n", "\n---\n# sts-gen:ignore anti-affinity the test cluster has one node\napiVersion: apps/v1\n"),
        ],
    },
    Case {
        file: "pass/anti-affinity.yaml",
        header: "# Passes `anti-affinity` with topologySpreadConstraints on kubernetes.io/hostname.",
        edits: &[
            ("\n        name: writable-tmp\n", "\n        name: writable-tmp\n      topologySpreadConstraints:\n      - maxSkew: 1\n        topologyKey: kubernetes.io/hostname\n        whenUnsatisfiable: DoNotSchedule\n        labelSelector:\n          matchExpressions:\n          - key: app.kubernetes.io/name\n            operator: In\n            values:\n            - shop\n"),
            ("\n      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - podAffinityTerm:\n              labelSelector:\n                matchLabels:\n                  app.kubernetes.io/name: shop\n              topologyKey: kubernetes.io/hostname\n            weight: 100\n", "\n"),
        ],
    },
    Case {
        file: "pass/image-tag.yaml",
        header: "# Passes `image-tag` with a digest instead of a tag.",
        edits: &[
            ("\n      - image: registry.example/shop-db:1.4.2\n", "\n      - image: registry.example/shop-db@sha256:0000000000000000000000000000000000000000000000000000000000000000\n"),
        ],
    },
    Case {
        file: "pass/namespace.yaml",
        header: "# Passes `namespace`: an object outside the Namespace the manifests create, in a namespace the cluster may have.",
        edits: &[
            ("\n      storageClassName: local-storage\n", "\n      storageClassName: local-storage\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-extra\n  namespace: other\ndata:\n  a: b\n"),
        ],
    },
    Case {
        file: "pass/network-policy.yaml",
        header: "# Passes `network-policy` with a policy for every pod of the namespace (empty podSelector).",
        edits: &[
            ("\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: shop\n", "\n  podSelector: {}\n"),
        ],
    },
    Case {
        file: "pass/peer-count.yaml",
        header: "# Passes `peer-count`: a marked StatefulSet whose peer list (in a ConfigMap it mounts) names its 2 pods.",
        edits: &[
            ("\n  name: shop\n  namespace: shop\nspec:\n  podManagementPolicy: OrderedReady\n", "\n  name: shop\n  namespace: shop\n  annotations:\n    sts-gen/peers-fixed: change replicas through sts-gen\nspec:\n  podManagementPolicy: OrderedReady\n"),
            ("\n      - emptyDir: {}\n        name: writable-tmp\n", "\n      - emptyDir: {}\n        name: writable-tmp\n      - configMap:\n          name: shop-peers\n        name: peers\n"),
            ("\n---\napiVersion: apps/v1\n", "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-peers\n  namespace: shop\ndata:\n  peers.conf: |\n    server.1=shop-0.shop:2888\n    server.2=shop-1.shop:2888\n---\napiVersion: apps/v1\n"),
        ],
    },
    Case {
        file: "pass/probe-port-number.yaml",
        header: "# Passes `probe-port`: the readiness probe checks a number no container declares, which the kubelet probes all the same.",
        edits: &[
            ("\n          tcpSocket:\n            port: db\n        resources:\n", "\n          tcpSocket:\n            port: 5433\n        resources:\n"),
        ],
    },
    Case {
        file: "pass/probe-port.yaml",
        header: "# Passes `probe-port` and `probes`: liveness over HTTP on another declared port.",
        edits: &[
            ("\n          name: metrics\n", "\n          name: metrics\n          protocol: TCP\n        - name: pprof\n          containerPort: 6060\n"),
            ("\n          periodSeconds: 20\n          tcpSocket:\n            port: db\n", "\n          periodSeconds: 20\n"),
            ("\n          failureThreshold: 6\n          initialDelaySeconds: 30\n", "\n          httpGet:\n            path: /healthz\n            port: pprof\n"),
        ],
    },
    Case {
        file: "pass/security-context.yaml",
        header: "# Passes `security-context` with the settings on the container instead of the pod.",
        edits: &[
            ("\n      securityContext:\n        fsGroup: 10001\n        fsGroupChangePolicy: OnRootMismatch\n        runAsGroup: 10001\n        runAsNonRoot: true\n        runAsUser: 10001\n        seccompProfile:\n          type: RuntimeDefault\n", "\n"),
            ("\n          readOnlyRootFilesystem: true\n", "\n          readOnlyRootFilesystem: true\n          runAsNonRoot: true\n          runAsUser: 10001\n          seccompProfile:\n            type: RuntimeDefault\n"),
        ],
    },
    Case {
        file: "pass/suppression.yaml",
        header: "# Passes `suppression`: `pdb` switched off by annotation, with a reason.",
        edits: &[
            ("\n  name: shop\n  namespace: shop\nspec:\n  podManagementPolicy: OrderedReady\n", "\n  name: shop\n  namespace: shop\n  annotations:\n    sts-gen/ignore: pdb the service tolerates losing both replicas in a drain\nspec:\n  podManagementPolicy: OrderedReady\n"),
            ("\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: sts-gen\n    app.kubernetes.io/name: shop\n  name: shop\n  namespace: shop\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: shop\n  unhealthyPodEvictionPolicy: AlwaysAllow\n---\n", "\n"),
        ],
    },
];

/// The folder the fixtures are written to (once per test run), under Cargo's temporary
/// directory for integration tests.
fn fixture_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lint-fixtures");
        let base = fs::read_to_string(Path::new(ROOT).join("tests/lint/pass.yaml")).unwrap();
        let (_, body) = base
            .split_once('\n')
            .expect("the base starts with a comment line");
        for case in CASES {
            let mut text = format!("{}\n{body}", case.header);
            for (from, to) in case.edits {
                assert_eq!(
                    text.matches(from).count(),
                    1,
                    "{}: `{from}` must occur once",
                    case.file
                );
                text = text.replacen(from, to, 1);
            }
            let path = dir.join(case.file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            // Written beside and renamed, so a concurrent reader never sees half a file.
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            fs::write(&tmp, text).unwrap();
            fs::rename(&tmp, &path).unwrap();
        }
        dir
    })
}

/// The path of fixture `rel` (`fail/pdb.yaml`, `pass/image-tag.yaml`).
fn fixture(rel: &str) -> String {
    let path = fixture_dir().join(rel);
    assert!(path.is_file(), "no fixture {rel}");
    path.to_str().unwrap().to_string()
}

/// `lint ARGS -o json`: (exit code, report).
fn lint_json(args: &[&str]) -> (i32, Value) {
    let r = run(sts().arg("lint").args(args).args(["-o", "json"]));
    assert!(
        r.code == 0 || r.code == 1,
        "exit {}: {}{}",
        r.code,
        r.stdout,
        r.stderr
    );
    let report: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout));
    (r.code, report)
}

fn rules_of(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// A 1.5 MiB ConfigMap in the base manifests: `size-limits` needs more than a fixture file
/// should hold, so this one is written at test time.
fn size_limits_fixture(dir: &Path) -> String {
    let base = fs::read_to_string(Path::new(ROOT).join("tests/lint/pass.yaml")).unwrap();
    let big = "x".repeat(1536 * 1024);
    let text = format!(
        "{base}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-big\n  namespace: shop\ndata:\n  blob: {big}\n"
    );
    let path = dir.join("size-limits.yaml");
    fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn every_rule_is_flagged_by_its_failing_fixture_and_only_that_rule() {
    let dir = tempfile::tempdir().unwrap();
    for rule in RULES {
        // `namespace` judges sts-gen's own objects only (tests/cross_object_rules.rs): a
        // namespace others' manifests do not create may exist in the cluster.
        if rule.id == "namespace" {
            continue;
        }
        let file = if rule.id == "size-limits" {
            size_limits_fixture(dir.path())
        } else {
            let f = format!("fail/{}.yaml", rule.id);
            assert!(
                CASES.iter().any(|c| c.file == f),
                "rule `{}` has no failing fixture {f}",
                rule.id
            );
            fixture(&f)
        };
        let (code, report) = lint_json(&[&file, "--fail-on", "warning"]);
        assert_eq!(
            rules_of(&report),
            BTreeSet::from([rule.id.to_string()]),
            "{file}: {report:#}"
        );
        assert_eq!(code, 1, "{file}");
        for f in report["findings"].as_array().unwrap() {
            assert_eq!(f["severity"], rule.severity.as_str(), "{f}");
            assert!(!f["message"].as_str().unwrap().is_empty());
            assert!(!f["fix"].as_str().unwrap().is_empty());
            assert!(!f["kind"].as_str().unwrap().is_empty(), "{f}");
        }
    }
}

#[test]
fn passing_fixtures_have_no_finding() {
    let mut files = vec!["tests/lint/pass.yaml".to_string()];
    for case in CASES.iter().filter(|c| c.file.starts_with("pass/")) {
        files.push(fixture(case.file));
    }
    assert!(files.len() >= 8);
    for file in &files {
        let (code, report) = lint_json(&[file, "--fail-on", "warning"]);
        assert_eq!(code, 0, "{file}: {report:#}");
        assert_eq!(report["findings"], serde_json::json!([]), "{file}");
    }
    // The base checks every kind it holds.
    let (_, report) = lint_json(&["tests/lint/pass.yaml"]);
    assert_eq!(report["objects"], 10);
    assert_eq!(report["notes"], serde_json::json!([]));
}

#[test]
fn precise_findings() {
    // Object, field path and message of a few rules, exactly.
    let (_, r) = lint_json(&[fixture("fail/image-tag.yaml").as_str()]);
    assert_eq!(
        r["findings"][0],
        serde_json::json!({
            "rule": "image-tag",
            "severity": "error",
            "kind": "StatefulSet",
            "name": "shop",
            "namespace": "shop",
            "path": "spec.template.spec.containers[0].image",
            "message": "container `shop`: image `registry.example/shop-db` has no tag, so it means `latest`",
            "fix": "pin a version tag such as `redis:7.4.3`, or a digest",
            "source": format!("{}#10", fixture("fail/image-tag.yaml"))
        })
    );
    let (_, r) = lint_json(&[fixture("fail/probe-port.yaml").as_str()]);
    assert_eq!(
        r["findings"][0]["path"],
        "spec.template.spec.containers[0].readinessProbe.tcpSocket.port"
    );
    assert_eq!(
        r["findings"][0]["message"],
        "port `dbx` is not a port of container `shop`"
    );
    let (_, r) = lint_json(&[fixture("fail/schema.yaml").as_str()]);
    assert_eq!(r["findings"][0]["kind"], "ConfigMap");
    assert_eq!(r["findings"][0]["name"], "shop-extra");
    assert_eq!(r["findings"][0]["path"], "dataa");
    let (_, r) = lint_json(&[fixture("fail/local-pvs.yaml").as_str()]);
    assert_eq!(
        r["findings"][0]["message"],
        "1 local PersistentVolumes in class `local-storage` for 2 replicas"
    );
    let (_, r) = lint_json(&[fixture("fail/name-length.yaml").as_str()]);
    assert_eq!(r["findings"][0]["path"], "metadata.name");
    let (_, r) = lint_json(&[fixture("fail/namespace-set.yaml").as_str()]);
    assert_eq!(r["findings"][0]["kind"], "ServiceAccount");
    assert_eq!(r["findings"][0]["namespace"], Value::Null);
}

#[test]
fn json_shape() {
    let (_, r) = lint_json(&[fixture("fail/pdb.yaml").as_str()]);
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["findings", "suppressed", "notes", "objects"]);
    let f = r["findings"][0].as_object().unwrap();
    let keys: Vec<&str> = f.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "rule",
            "severity",
            "kind",
            "name",
            "namespace",
            "path",
            "message",
            "fix",
            "source"
        ]
    );
}

#[test]
fn exit_codes_follow_fail_on() {
    // `pdb` is a warning, `image-tag` an error.
    let code = |args: &[&str]| run(sts().arg("lint").args(args)).code;
    assert_eq!(code(&[fixture("fail/pdb.yaml").as_str()]), 0);
    assert_eq!(
        code(&[fixture("fail/pdb.yaml").as_str(), "--fail-on", "error"]),
        0
    );
    assert_eq!(
        code(&[fixture("fail/pdb.yaml").as_str(), "--fail-on", "warning"]),
        1
    );
    assert_eq!(code(&[fixture("fail/image-tag.yaml").as_str()]), 1);
    assert_eq!(code(&["tests/lint/pass.yaml", "--fail-on", "warning"]), 0);
    assert_eq!(
        RULES.iter().find(|r| r.id == "pdb").unwrap().severity,
        Severity::Warning
    );
}

#[test]
fn text_output() {
    let r = run(sts().args(["lint", fixture("fail/pdb.yaml").as_str()]));
    assert_eq!(
        r.stdout,
        "warning[pdb] StatefulSet shop/shop: 2 replicas and no PodDisruptionBudget selects the pods: a node drain may evict several at once (fix: add a PodDisruptionBudget with maxUnavailable: 1 and unhealthyPodEvictionPolicy: AlwaysAllow)\n\
         9 objects: 0 errors, 1 warning, 0 suppressed\n"
    );
    assert_eq!(r.stderr, "");
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    fs::write(dir.path().join("bad.yaml"), "a: [1, 2\n").unwrap();
    fs::write(dir.path().join("scalar.yaml"), "just text\n").unwrap();
    fs::write(dir.path().join("comments.yaml"), "# nothing\n---\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["no/such/file.yaml".into()],
            "no/such/file.yaml: no such file",
        ),
        (
            vec![empty.display().to_string()],
            "no *.yaml, *.yml or *.json file",
        ),
        (
            vec![dir.path().join("bad.yaml").display().to_string()],
            "not YAML",
        ),
        (
            vec![dir.path().join("scalar.yaml").display().to_string()],
            "a document is not a mapping",
        ),
        (
            vec![dir.path().join("comments.yaml").display().to_string()],
            "nothing to lint (no Kubernetes object)",
        ),
        // A profile that does not render is bad input too.
        (vec!["tests/bad/duplicate-key.yaml".into()], "duplicate"),
    ];
    for (args, expect) in cases {
        let r = run(sts().arg("lint").args(&args));
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
        assert!(r.stderr.contains(expect), "{args:?}: {}", r.stderr);
    }
    // Bad flags are usage errors (clap), also exit 2.
    let r = run(sts().args(["lint", "tests/lint/pass.yaml", "--fail-on", "info"]));
    assert_eq!(r.code, 2);
}

#[test]
fn unreadable_documents_are_located_by_their_line_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";
    let cases = [
        // The bracket is on line 10 of the file, line 6 of its document.
        (
            format!("{cm}---\n{cm}data:\n  b: c\n  x: [\n"),
            "line 10 column 6: unclosed bracket",
        ),
        (
            format!("{cm}--- # second\n\n{cm}data:\n\tk: v\n"),
            "line 10 column 2: tabs",
        ),
        // kubectl splits at `---` only: the object after `...` would be dropped unseen.
        (
            format!("{cm}---\n{cm}data:\n  k: v\n  k: w\n"),
            "line 10 column 3: duplicate key `k` (kubectl refuses",
        ),
        (
            format!("{cm}...\n{cm}"),
            "line 5: a document follows `...` without a `---` line",
        ),
        (
            format!("{cm}---\n# only a list\n- a\n"),
            "line 6: a document is not a mapping",
        ),
    ];
    for (text, expect) in cases {
        let file = dir.path().join("m.yaml");
        fs::write(&file, &text).unwrap();
        let r = run(sts().arg("lint").arg(&file));
        assert_eq!(r.code, 2, "{text}: {}", r.stderr);
        assert_eq!(r.stdout, "");
        assert!(r.stderr.contains(expect), "{text}: {}", r.stderr);
    }
}

#[test]
fn suppression_by_annotation_and_comment_needs_a_reason() {
    // With a reason: suppressed, listed with the reason.
    let (code, r) = lint_json(&[
        fixture("pass/suppression.yaml").as_str(),
        "--fail-on",
        "warning",
    ]);
    assert_eq!(code, 0);
    assert_eq!(r["suppressed"][0]["rule"], "pdb");
    assert_eq!(
        r["suppressed"][0]["reason"],
        "the service tolerates losing both replicas in a drain"
    );
    let (_, r) = lint_json(&[fixture("pass/anti-affinity-comment.yaml").as_str()]);
    assert_eq!(r["suppressed"][0]["rule"], "anti-affinity");
    assert_eq!(
        r["suppressed"][0]["reason"],
        "the test cluster has one node"
    );
    // Without: the rule still fires, and the suppression is a finding of its own.
    let (code, r) = lint_json(&[
        fixture("fail/suppression.yaml").as_str(),
        "--fail-on",
        "warning",
    ]);
    assert_eq!(code, 1);
    assert_eq!(r["suppressed"], serde_json::json!([]));
    assert_eq!(
        r["findings"][0]["message"],
        "`sts-gen:ignore pdb` gives no reason; the reason is required"
    );
    assert_eq!(
        r["findings"][0]["path"],
        "metadata.annotations.sts-gen/ignore"
    );

    // A comment without a reason, and one naming no rule.
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(fixture("fail/anti-affinity.yaml")).unwrap();
    for (comment, rules, message) in [
        (
            "# sts-gen:ignore anti-affinity\n",
            vec!["anti-affinity", "suppression"],
            "`sts-gen:ignore anti-affinity` gives no reason; the reason is required",
        ),
        (
            "# sts-gen:ignore anti-afinity one node\n",
            vec!["anti-affinity", "suppression"],
            "`sts-gen:ignore anti-afinity` names no lint rule",
        ),
        ("# sts-gen:ignore anti-affinity one node\n", vec![], ""),
    ] {
        let text = base.replacen(
            "apiVersion: apps/v1\n",
            &format!("{comment}apiVersion: apps/v1\n"),
            1,
        );
        let path = dir.path().join("s.yaml");
        fs::write(&path, text).unwrap();
        let (_, r) = lint_json(&[path.to_str().unwrap()]);
        let got: Vec<String> = rules_of(&r).into_iter().collect();
        assert_eq!(got, rules, "{comment}");
        if !message.is_empty() {
            let s = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["rule"] == "suppression")
                .unwrap();
            assert_eq!(s["message"], message);
        }
    }
}

fn profile_env(cmd: &mut Command) -> &mut Command {
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
    cmd
}

#[test]
fn every_bundled_profile_passes() {
    let names = common::bundled_names();
    assert!(names.len() >= 3);
    for name in names {
        let file = format!("profiles/{name}.yaml");
        let r = run(profile_env(&mut sts()).args([
            "lint",
            &file,
            "-n",
            "lint-test",
            "-o",
            "json",
            "--fail-on",
            "warning",
        ]));
        assert_eq!(r.code, 0, "{file}: {}{}", r.stdout, r.stderr);
        let report: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(report["findings"], serde_json::json!([]), "{file}");
        // Deviations from the defaults are suppressed with a reason in the profile.
        for s in report["suppressed"].as_array().unwrap() {
            assert!(!s["reason"].as_str().unwrap().trim().is_empty(), "{s}");
        }
        // Without a namespace only `namespace-set` may warn (presets leave it to the user).
        let r = run(profile_env(&mut sts()).args(["lint", &file, "-o", "json"]));
        assert_eq!(r.code, 0, "{file}: {}{}", r.stdout, r.stderr);
        let report: Value = serde_json::from_str(&r.stdout).unwrap();
        let rules = rules_of(&report);
        assert!(
            rules.is_empty() || rules == BTreeSet::from(["namespace-set".to_string()]),
            "{file}: {rules:?}"
        );
    }
}

#[test]
fn profile_lint_ignore() {
    let dir = tempfile::tempdir().unwrap();
    let profile = |extra: &str| {
        let text = format!(
            "apiVersion: sts-gen/v1\nkind: Profile\nname: app\nnamespace: app\nimage: app:1.0\nreplicas: 2\nports: [{{name: http, port: 8080}}]\nstorage: {{size: 1Gi}}\n{extra}"
        );
        let path = dir.path().join("p.yaml");
        fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    // The defaults pass.
    let (code, r) = lint_json(&[&profile(""), "--fail-on", "warning"]);
    assert_eq!((code, rules_of(&r)), (0, BTreeSet::new()));
    // Switching defaults off is flagged ...
    let p = profile("networkPolicy: false\naffinity: none\n");
    let (_, r) = lint_json(&[&p]);
    assert_eq!(
        rules_of(&r),
        BTreeSet::from(["network-policy".to_string(), "anti-affinity".to_string()])
    );
    // ... unless the profile says why.
    let p = profile("networkPolicy: false\naffinity: none\nlintIgnore:\n  network-policy: the mesh enforces it\n  anti-affinity: one node\n");
    let (code, r) = lint_json(&[&p, "--fail-on", "warning"]);
    assert_eq!(code, 0);
    assert_eq!(rules_of(&r), BTreeSet::new());
    let reasons: BTreeSet<String> = r["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s["rule"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        reasons,
        BTreeSet::from([
            "network-policy: the mesh enforces it".to_string(),
            "anti-affinity: one node".to_string()
        ])
    );
    // The reason is required, and the rule must exist: bad input, located.
    let p = profile("lintIgnore: {pdb: \"\"}\n");
    let r = run(sts().args(["lint", &p]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(":9:")
            && r.stderr.contains(
                "lintIgnore.pdb: give the reason the rule does not apply (it is required)"
            ),
        "{}",
        r.stderr
    );
    let p = profile("lintIgnore: {pdbb: single node}\n");
    let r = run(sts().args(["lint", &p]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("`pdbb` is not a lint rule; did you mean `pdb`?"),
        "{}",
        r.stderr
    );
}

#[test]
fn stdin_lists_and_folders() {
    // A rendered JSON List on stdin.
    let rendered = run(sts().args(["render", "tests/lint/pass.yaml"]));
    assert_eq!(rendered.code, 2, "manifests are not a profile");
    let profile = "apiVersion: sts-gen/v1\nkind: Profile\nname: app\nnamespace: app\nimage: app:1.0\nports: [{name: http, port: 8080}]\nstorage: {size: 1Gi}\n";
    let json = run(sts()
        .args(["render", "-", "-o", "json"])
        .write_stdin(profile));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let r = run(sts()
        .args(["lint", "-", "-o", "json"])
        .write_stdin(json.stdout.clone()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]));
    // No Namespace: `namespace` alone does not create one.
    assert_eq!(report["objects"], 5);
    assert!(report["notes"].as_array().unwrap().is_empty());
    // The profile itself on stdin is rendered first.
    let r = run(sts().args(["lint", "-", "-o", "json"]).write_stdin(profile));
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (r.code, report["objects"].clone()),
        (0, serde_json::json!(5))
    );

    // A folder: manifests of every file are linted together (the StatefulSet in one file,
    // its Services in another); profiles in it are rendered; unknown kinds are skipped.
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(Path::new(ROOT).join("tests/lint/pass.yaml")).unwrap();
    let docs: Vec<&str> = base.split("\n---\n").collect();
    let (sts_docs, rest): (Vec<&str>, Vec<&str>) =
        docs.iter().partition(|d| d.contains("kind: StatefulSet"));
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/sts.yaml"), sts_docs.join("\n---\n")).unwrap();
    fs::write(dir.path().join("rest.yml"), rest.join("\n---\n")).unwrap();
    fs::write(
        dir.path().join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n",
    )
    .unwrap();
    fs::write(dir.path().join("app.yaml"), profile).unwrap();
    fs::write(dir.path().join("notes.txt"), "not linted").unwrap();
    fs::write(dir.path().join(".hidden.yaml"), "not: linted").unwrap();
    let (code, report) = lint_json(&[dir.path().to_str().unwrap(), "--fail-on", "warning"]);
    assert_eq!(code, 0, "{report:#}");
    // The base's objects and the profile's (which renders no Namespace any more).
    assert_eq!(report["objects"], 15);
    let notes = report["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .contains("Deployment web skipped"),
        "{notes:?}"
    );
}

#[test]
fn rules_flag_lists_every_rule() {
    let r = run(sts().args(["lint", "--rules"]));
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.lines().count(), RULES.len());
    for rule in RULES {
        assert!(r.stdout.contains(rule.id), "{}", rule.id);
    }
}

/// A profile is linted as rendered for `--kube-version`: before 1.27 sts-gen leaves out
/// the PodDisruptionBudget's unhealthyPodEvictionPolicy (an alpha field there), so lint
/// must not ask for it.
#[test]
fn a_profile_is_linted_for_its_kube_version() {
    let profile = Path::new(ROOT).join("examples/minimal.yaml");
    let profile = profile.to_str().unwrap();
    for version in ["1.25", "1.26", "1.27", "1.33"] {
        let (_, report) = lint_json(&[profile, "--kube-version", version]);
        assert!(!rules_of(&report).contains("pdb"), "{version}: {report}");
    }
}
