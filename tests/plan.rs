//! `sts-gen plan`: every row checked against the objects `sts-gen render` gives for the same
//! input, on every bundled profile, on node sets and local PersistentVolumes; `--effective`
//! checked by rendering what it prints.
mod common;

use common::*;
use serde_json::Value;

/// The binary with a dummy value for every secret a bundled profile reads from the
/// environment, and a seed for generated values (the exporters' passwords).
fn bin() -> assert_cmd::Command {
    let mut c = sts_gen();
    with_preset_secrets(&mut c).env("STS_GEN_SECRET_SEED", "plan-test-seed-0123456789abcdef");
    c
}

fn plan_json(args: &[&str]) -> Value {
    let r = run_ok(bin().arg("plan").args(args).args(["-o", "json"]));
    serde_json::from_str(&r.stdout).unwrap()
}

fn render_items(args: &[&str]) -> Vec<Value> {
    json_items(bin().arg("render").args(args))
}

/// Checks each set's rows against the rendered StatefulSet, its claims and PVs.
fn check_against_render(args: &[&str]) {
    let plan = plan_json(args);
    let items = render_items(args);
    let sets = plan["statefulSets"].as_array().unwrap();
    let rendered = all(&items, "StatefulSet");
    assert_eq!(sets.len(), rendered.len(), "{args:?}");
    for (set, sts) in sets.iter().zip(rendered) {
        let name = sts["metadata"]["name"].as_str().unwrap();
        assert_eq!(set["name"], name);
        let spec = &sts["spec"];
        let replicas = spec["replicas"].as_u64().unwrap();
        let pods = set["pods"].as_array().unwrap();
        assert_eq!(pods.len() as u64, replicas, "{name}");
        let policy = spec["podManagementPolicy"]
            .as_str()
            .unwrap_or("OrderedReady");
        assert_eq!(set["podManagementPolicy"], policy);
        let ns = sts["metadata"]["namespace"].as_str();
        let headless = spec["serviceName"].as_str().unwrap();
        let claim = spec["volumeClaimTemplates"][0]["metadata"]["name"].as_str();
        let partition = spec["updateStrategy"]["rollingUpdate"]["partition"]
            .as_u64()
            .unwrap_or(0);
        let on_delete = spec["updateStrategy"]["type"] == "OnDelete";
        for (i, pod) in pods.iter().enumerate() {
            let i = i as u64;
            assert_eq!(pod["ordinal"], i);
            assert_eq!(pod["pod"], format!("{name}-{i}"));
            let dns = match ns {
                Some(ns) => format!("{name}-{i}.{headless}.{ns}.svc.cluster.local"),
                None => format!("{name}-{i}.{headless}"),
            };
            assert_eq!(pod["dns"], dns);
            assert_eq!(
                pod["claim"].as_str(),
                claim.map(|c| format!("{c}-{name}-{i}")).as_deref()
            );
            // A pre-bound PV names the claim; an unbound claim can take a PV on the listed nodes.
            for pv in all(&items, "PersistentVolume") {
                let node = &pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]
                    ["matchExpressions"][0]["values"][0];
                match pv["spec"]["claimRef"]["name"].as_str() {
                    Some(c) if Some(c) == pod["claim"].as_str() => {
                        assert_eq!(pod["persistentVolume"], pv["metadata"]["name"]);
                        assert_eq!(pod["nodes"], serde_json::json!([node]));
                    }
                    None => assert!(pod["nodes"].as_array().unwrap().contains(node)),
                    _ => {}
                }
            }
            let expected_start = match (policy, i) {
                ("Parallel", _) => "with every pod".to_string(),
                (_, 0) => "first".into(),
                _ => format!("after {name}-{} is Ready", i - 1),
            };
            assert_eq!(pod["starts"], expected_start);
            let position = (!on_delete && i >= partition).then(|| replicas - i);
            assert_eq!(pod["updatePosition"].as_u64(), position, "{name}-{i}");
        }
        check_day2(set, sts, &items);
    }
}

/// The plan's metrics, backup and TLS lines against the rendered Services, monitors,
/// CronJob, Certificate and pod volumes.
fn check_day2(set: &Value, sts: &Value, items: &[Value]) {
    let name = sts["metadata"]["name"].as_str().unwrap();
    let m = &set["metrics"];
    if m.is_null() {
        assert!(first(items, "ServiceMonitor").is_none(), "{name}");
    } else {
        let svc = named(items, "Service", m["service"].as_str().unwrap());
        assert_eq!(svc["spec"]["ports"][0]["port"], m["port"], "{name}");
        for kind in ["ServiceMonitor", "PodMonitor"] {
            let planned = m["monitors"].as_array().unwrap().contains(&kind.into());
            assert_eq!(first(items, kind).is_some(), planned, "{name}: {kind}");
        }
        let sidecar = pod_containers(&sts["spec"]["template"]["spec"])
            .iter()
            .any(|c| c["name"] == "metrics");
        assert_eq!(m["exporter"], sidecar, "{name}");
    }
    let b = &set["backup"];
    match all(items, "CronJob").as_slice() {
        [] => assert!(b.is_null(), "{name}: {b}"),
        [cron] => {
            assert_eq!(cron["metadata"]["name"], b["cronJob"]);
            assert_eq!(cron["spec"]["schedule"], b["schedule"]);
            assert_eq!(cron["spec"]["timeZone"], b["timeZone"]);
            let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
            assert_eq!(
                volume(pod, "backup")["persistentVolumeClaim"]["claimName"],
                b["claim"]
            );
            let mounted: Vec<&Value> = pod["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|v| v["persistentVolumeClaim"].get("claimName"))
                .filter(|c| **c != b["claim"])
                .collect();
            let planned: Vec<&Value> = b["readsClaims"].as_array().unwrap().iter().collect();
            assert_eq!(mounted, planned, "{name}");
            let rendered_claim = items.iter().find(|o| {
                o["kind"] == "PersistentVolumeClaim" && o["metadata"]["name"] == b["claim"]
            });
            assert_eq!(
                rendered_claim.map(|c| &c["spec"]["resources"]["requests"]["storage"]),
                b["claimSize"].as_str().map(|_| &b["claimSize"])
            );
        }
        more => panic!("{name}: {} CronJobs", more.len()),
    }
    let t = &set["tls"];
    // This set's Certificate: the one writing the Secret its pods mount (with node sets each
    // set has its own).
    let mounted = sts["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"] == "tls"))
        .map(|v| v["secret"]["secretName"].clone());
    let cert = all(items, "Certificate")
        .into_iter()
        .find(|c| Some(&c["spec"]["secretName"]) == mounted.as_ref());
    match cert {
        None => assert!(t["issuer"].is_null(), "{name}"),
        Some(cert) => {
            let r = &cert["spec"]["issuerRef"];
            assert_eq!(
                t["issuer"],
                format!("{}/{}", str(&r["kind"]), str(&r["name"]))
            );
            assert_eq!(cert["spec"]["secretName"], t["secret"]);
        }
    }
    if !t.is_null() {
        assert_eq!(
            volume(&sts["spec"]["template"]["spec"], "tls")["secret"]["secretName"],
            t["secret"]
        );
    }
}

fn str(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[test]
fn day2_examples_plan_as_they_render() {
    let mut seen = 0;
    for entry in std::fs::read_dir(format!("{ROOT}/examples/day2")).unwrap() {
        let path = entry.unwrap().path();
        let path = path.to_str().unwrap();
        let plan = plan_json(&[path]);
        seen += 1;
        check_against_render(&[path]);
        let set = &plan["statefulSets"][0];
        assert!(
            !set["backup"].is_null() || !set["metrics"].is_null(),
            "{path}: {set}"
        );
    }
    assert!(seen >= 4, "{seen} day-2 examples");
}

#[test]
fn every_bundled_profile_plans_as_it_renders() {
    for name in bundled_names() {
        check_against_render(&[&format!("profiles/{name}.yaml")]);
        // What scaling changes: two more pods, same rules.
        check_against_render(&[&format!("profiles/{name}.yaml"), "--set", "replicas=5"]);
    }
}

fn write_profile(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn node_sets_and_local_volumes() {
    let dir = tempfile::tempdir().unwrap();
    // Node sets over unbound local PVs on two nodes: a claim may bind on either.
    let sets = write_profile(
        dir.path(),
        "sets.yaml",
        "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nnamespace: prod\nimage: busybox:1\n\
podManagementPolicy: Parallel\npeer: {join: first}\n\
storage: {size: 1Gi, local: {path: /mnt/d, nodes: [n1, n2]}}\n\
nodeSets:\n  - {name: hot, replicas: 3, updateStrategy: {partition: 1}}\n  - {name: cold, replicas: 2, updateStrategy: {type: OnDelete}}\n",
    );
    check_against_render(&[&sets]);
    let plan = plan_json(&[&sets]);
    let hot = &plan["statefulSets"][0]["pods"];
    assert_eq!(hot[2]["persistentVolume"], Value::Null);
    assert_eq!(hot[2]["nodes"], serde_json::json!(["n1", "n2"]));
    assert_eq!(hot[2]["peerAction"], "join");
    assert_eq!(hot[2]["peers"], serde_json::json!(["db-hot-0"]));
    assert_eq!(hot[0]["peerAction"], Value::Null);
    assert_eq!(hot[0]["updatePosition"], Value::Null);
    assert_eq!(
        plan["statefulSets"][0]["updateOrder"],
        serde_json::json!(["db-hot-2", "db-hot-1"])
    );
    assert_eq!(
        plan["statefulSets"][1]["updateOrder"],
        serde_json::json!([])
    );
    // Pre-bound PVs: each claim has its own PV, on the nodes in turn.
    let bound = write_profile(
        dir.path(),
        "bound.yaml",
        "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nnamespace: prod\nimage: busybox:1\nreplicas: 3\n\
storage: {size: 1Gi, local: {path: /mnt/d, nodes: [n1, n2], bindToClaims: true}}\n",
    );
    check_against_render(&[&bound]);
    let pods = &plan_json(&[&bound])["statefulSets"][0]["pods"];
    assert_eq!(pods[2]["persistentVolume"], "prod-data-db-2");
    assert_eq!(pods[2]["nodes"], serde_json::json!(["n1"]));
    assert_eq!(pods[1]["nodes"], serde_json::json!(["n2"]));
}

#[test]
fn roles_and_peers_per_ordinal() {
    let mysql = plan_json(&["profiles/mysql.yaml", "--set", "replicas=4"]);
    let pods = mysql["statefulSets"][0]["pods"].as_array().unwrap();
    let roles: Vec<&str> = pods.iter().map(|p| p["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["primary", "replica", "replica", "replica"]);
    assert!(pods[0]["configFiles"]
        .as_array()
        .unwrap()
        .contains(&"primary.cnf".into()));
    assert!(pods[3]["configFiles"]
        .as_array()
        .unwrap()
        .contains(&"replica.cnf".into()));
    // Each replica clones from the pod before it; the primary from none.
    assert_eq!(pods[0]["peers"], serde_json::json!([]));
    assert_eq!(pods[3]["peers"], serde_json::json!(["mysql-2"]));
    assert_eq!(pods[3]["peerAction"], "clone");
    let pg = plan_json(&["profiles/postgresql.yaml"]);
    let set = &pg["statefulSets"][0];
    assert_eq!(set["pods"][2]["peers"], serde_json::json!(["postgresql-0"]));
    assert_eq!(set["primary"][1], "postgresql-0");
    let text = run_ok(bin().args(["plan", "profiles/mysql.yaml"])).stdout;
    assert!(
        text.contains("clone from mysql-1  after mysql-1 is Ready"),
        "{text}"
    );
}

#[test]
fn a_peer_with_both_or_neither_action_is_located() {
    let text = "apiVersion: sts-gen/v1\nkind: Profile\nname: a\nimage: busybox:1\nstorage: none\nroles:\n  - {name: x, ordinals: \"0-\", peer: {clone: previous, join: first}}\n";
    let r = run(bin().args(["plan", "-"]).write_stdin(text));
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("<stdin>:7:") && r.stderr.contains("roles[0].peer"),
        "{}",
        r.stderr
    );
    let r = run(bin().args(["plan", "-"]).write_stdin(
        text.replace("clone: previous, ", "")
            .replace("first", "everyone"),
    ));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("everyone"), "{}", r.stderr);
}

/// `plan --effective` prints a profile that renders byte for byte what the input renders.
#[test]
fn effective_profile_renders_the_same_objects() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("prod.yaml");
    std::fs::write(
        &overlay,
        "replicas: 4\nlabels: {tier: \"yes\"}\nconfig: {files: {extra.conf: \"a: 1\\n  b\\n\"}}\n",
    )
    .unwrap();
    let ov = overlay.to_str().unwrap();
    for name in bundled_names() {
        let path = format!("profiles/{name}.yaml");
        let starter = run_ok(sts_gen().args(["init", &name])).stdout;
        let starter_file = dir.path().join(format!("{name}-starter.yaml"));
        std::fs::write(&starter_file, &starter).unwrap();
        let sf = starter_file.to_str().unwrap().to_string();
        let day2 = format!("examples/day2/{name}-day2.yaml");
        for args in [
            vec![path.as_str()],
            vec![path.as_str(), "-f", ov, "--set", "env.EXTRA=1"],
            vec![sf.as_str()],
            // Metrics, backups and TLS on: each feature's `with` applied once, not again
            // when the effective profile is rendered.
            vec![day2.as_str(), "--set", "createNamespace=false"],
        ] {
            let effective = run_ok(bin().arg("plan").args(&args).arg("--effective")).stdout;
            assert!(!effective.contains("\npreset:"), "{effective}");
            let seed = ["--secret-seed-file", "tests/plan.rs"];
            let want = run_ok(bin().arg("render").args(&args).args(seed)).stdout;
            let got = run_ok(
                bin()
                    .args(["render", "-"])
                    .args(seed)
                    .write_stdin(effective.clone()),
            )
            .stdout;
            assert_eq!(got, want, "{args:?}\n{effective}");
        }
    }
}
