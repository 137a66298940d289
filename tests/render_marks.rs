//! Marks the renderer puts on objects for the tools that apply them: `sts-gen/peers-fixed` on
//! a StatefulSet whose peer list is fixed at render time (and the `peer-count` lint rule that
//! compares it with replicas), and Flux's `substitute: disabled` on objects with `${`.

mod common;

use serde_json::Value;

const PEERS: &str = "sts-gen/peers-fixed";
const FLUX: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// The bundled preset `preset` installed as `name` with `replicas`, by the binary.
fn install(preset: &str, name: &str, replicas: u32) -> Vec<Value> {
    let text = format!(
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: {preset}\nname: {name}\nreplicas: {replicas}\n"
    );
    let mut cmd = common::sts_gen();
    cmd.args(["render", "-", "-n", "ns"])
        .write_stdin(text)
        .env("STS_GEN_SECRET_SEED", "a seed of sixteen bytes or more");
    for var in [
        "MYSQL_ROOT_PASSWORD",
        "POSTGRES_PASSWORD",
        "POSTGRES_REPLICATION_PASSWORD",
        "REDIS_PASSWORD",
        "MONGODB_ROOT_PASSWORD",
        "MONGODB_KEYFILE",
    ] {
        cmd.env(var, "a-secret-value-of-some-length");
    }
    common::json_items(&mut cmd)
}

fn marked(sts: &Value) -> bool {
    sts["metadata"]["annotations"].get(PEERS).is_some()
}

#[test]
fn statefulsets_whose_peer_list_is_fixed_are_marked() {
    // etcd's initial cluster, Kafka's voters (a config file), ZooKeeper's servers (the role
    // init script), Elasticsearch's seed hosts (the masters set only).
    for (preset, replicas) in [("etcd", 3), ("etcd", 5), ("kafka", 3), ("zookeeper", 4)] {
        let items = install(preset, "app", replicas);
        let sts = common::sts(&items);
        assert!(marked(sts), "{preset} x{replicas}");
        assert_eq!(
            sts["metadata"]["annotations"][PEERS],
            "change replicas through sts-gen"
        );
    }
    let items = install("elasticsearch", "logs", 3);
    assert!(marked(common::named(&items, "StatefulSet", "logs-masters")));
    assert!(!marked(common::named(&items, "StatefulSet", "logs-data")));
    // One pod is not a list; a primary's address (`<name>-0.<headless>`) is not one either.
    assert!(!marked(common::sts(&install("etcd", "app", 1))));
    for preset in [
        "mysql",
        "postgresql",
        "redis",
        "web",
        "cassandra",
        "mongodb",
    ] {
        let items = install(preset, "app", 3);
        assert!(!marked(common::sts(&items)), "{preset}");
    }
}

#[test]
fn a_profile_with_its_own_peer_list_is_marked_too() {
    let profile = |list: &str| {
        format!("apiVersion: sts-gen/v1\nkind: Profile\nname: q\nimage: q:1\nreplicas: 3\nstorage: {{size: 1Gi}}\nenv:\n  PEERS: \"{list}\"\n")
    };
    let all = "{% for i in range(replicas) %}{{ name }}-{{ i }}.{{ headless }}:9000 {% endfor %}";
    let items = common::render_stdin(&profile(all), &[]);
    assert!(marked(common::sts(&items)));
    // Two of three pods: not the peer list of this StatefulSet.
    let items = common::render_stdin(&profile("q-0.q:9000 q-1.q:9000"), &[]);
    assert!(!marked(common::sts(&items)));
}

/// `sts-gen lint -` on `items` (a JSON List): the ids of the rules that found something.
fn lint_rules(items: &[Value]) -> Vec<String> {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let r = common::run(
        common::sts_gen()
            .args(["lint", "-", "-o", "json", "--fail-on", "error"])
            .write_stdin(list.to_string()),
    );
    let report: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|_| panic!("{}", r.stderr));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn lint_finds_replicas_changed_after_rendering() {
    for preset in ["etcd", "kafka", "zookeeper"] {
        let mut items = install(preset, "app", 3);
        assert!(
            lint_rules(&items).is_empty(),
            "{preset}: {:?}",
            lint_rules(&items)
        );
        // What `kubectl scale` or a kustomize replicas patch does.
        for scaled in [5, 2] {
            for o in items.iter_mut().filter(|o| o["kind"] == "StatefulSet") {
                o["spec"]["replicas"] = scaled.into();
            }
            let found = lint_rules(&items);
            let peer: Vec<_> = found
                .iter()
                .filter(|f| f.starts_with("peer-count "))
                .collect();
            assert_eq!(peer.len(), 1, "{preset}: {found:?}");
            assert!(
                peer[0].starts_with(&format!("peer-count replicas is {scaled}, but"))
                    && peer[0].contains("3 pods: app-0, app-1, app-2"),
                "{preset}: {found:?}"
            );
            // Scaled down, the listed pods that no longer exist are also `pod-references`;
            // nothing else is found.
            let others: Vec<_> = found
                .iter()
                .filter(|f| !f.starts_with("peer-count "))
                .collect();
            assert!(
                others
                    .iter()
                    .all(|f| f.starts_with("pod-references ") && scaled < 3 && f.contains("app-2")),
                "{preset}: {found:?}"
            );
        }
    }
    // A primary's address is not a peer list: scaling mysql is fine.
    let mut items = install("redis", "app", 3);
    for o in items.iter_mut().filter(|o| o["kind"] == "StatefulSet") {
        o["spec"]["replicas"] = 5.into();
    }
    assert!(lint_rules(&items).is_empty());
}

fn has_dollar_brace(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${"),
        Value::Array(a) => a.iter().any(has_dollar_brace),
        Value::Object(m) => m.values().any(has_dollar_brace),
        _ => false,
    }
}

#[test]
fn objects_with_dollar_braces_stop_flux_substitution_and_no_others() {
    let mut seen = 0;
    for preset in common::bundled_names() {
        for o in install(&preset, "app", 3) {
            let annotated = o["metadata"]["annotations"].get(FLUX);
            // The annotation itself is no `${`: look at the object without it.
            let mut bare = o.clone();
            if let Some(a) = bare["metadata"]["annotations"].as_object_mut() {
                a.remove(FLUX);
            }
            if has_dollar_brace(&bare) {
                seen += 1;
                assert_eq!(
                    annotated,
                    Some(&Value::from("disabled")),
                    "{preset}: {}",
                    o["metadata"]["name"]
                );
            } else {
                assert!(
                    annotated.is_none(),
                    "{preset}: {} {}",
                    o["kind"],
                    o["metadata"]["name"]
                );
            }
        }
    }
    assert!(seen >= 5, "the presets' scripts use ${{...}}");
}
