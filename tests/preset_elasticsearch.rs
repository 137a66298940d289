//! The `elasticsearch` preset (profiles/elasticsearch.yaml) on a read-only root filesystem and
//! a high uid: each node set's config dir is an emptyDir filled from the image by the
//! `copy-config` init container (Elasticsearch writes its keystore there), logs and temporary
//! files go to emptyDirs, and the pod's groups include 0, which owns the image's files. The
//! copy command is run for real under `sh` against temporary folders.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{mounts, strings};
use serde_json::{json, Value};
use sts_gen::model;

const ES_HOME: &str = "/usr/share/elasticsearch";

fn preset_text() -> String {
    common::bundled_text("elasticsearch")
}

fn render(text: &str) -> Vec<Value> {
    common::render_bundled("elasticsearch", text, &model::Options::default())
}

#[test]
fn every_node_set_runs_read_only_as_a_high_uid_in_group_zero() {
    let items = render(&preset_text());
    let sets = common::all(&items, "StatefulSet");
    assert_eq!(sets.len(), 2);
    for sts in sets {
        let name = sts["metadata"]["name"].as_str().unwrap();
        let pod = &sts["spec"]["template"]["spec"];
        let sc = &pod["securityContext"];
        assert!(sc["runAsUser"].as_i64().unwrap() >= 10000, "{name}: {sc}");
        assert_eq!(sc["runAsNonRoot"], true, "{name}");
        // The image's files belong to group 0 (config/ is mode 0660): fsGroup adds group 0 to
        // every container's groups, and hands the volumes to it.
        assert_eq!(sc["fsGroup"], 0, "{name}");
        let containers = pod["containers"].as_array().unwrap();
        assert_eq!(
            containers.len(),
            1,
            "{name}: podTemplate merges into the main container"
        );
        let main = &containers[0];
        assert_eq!(main["name"], name);
        let inits = pod["initContainers"].as_array().unwrap();
        assert_eq!(inits.len(), 1, "{name}");
        let copy = &inits[0];
        assert_eq!(copy["name"], "copy-config");
        assert_eq!(
            copy["image"], main["image"],
            "{name}: the same image's config"
        );
        for c in [main, copy] {
            assert_eq!(
                c["securityContext"]["readOnlyRootFilesystem"], true,
                "{name}"
            );
            assert!(c["securityContext"].get("runAsUser").is_none(), "{name}");
        }
        let volumes = pod["volumes"].as_array().unwrap();
        let empty_dir = |volume: &str| {
            volumes
                .iter()
                .any(|v| v["name"] == volume && v["emptyDir"] == json!({}))
        };
        let main_mounts = mounts(main);
        // Where Elasticsearch writes: the data volume, and emptyDirs for the rest.
        assert_eq!(main_mounts[&format!("{ES_HOME}/data")], "data", "{name}");
        for path in [
            format!("{ES_HOME}/config"),
            format!("{ES_HOME}/logs"),
            "/tmp".to_string(),
        ] {
            let volume = main_mounts
                .get(&path)
                .unwrap_or_else(|| panic!("{name}: nothing at {path}"));
            assert!(empty_dir(volume), "{name}: {path} is not an emptyDir");
        }
        // copy-config sees the image's config dir and writes into the main container's.
        let config_volume = &main_mounts[&format!("{ES_HOME}/config")];
        let copy_mounts = mounts(copy);
        assert!(!copy_mounts.contains_key(&format!("{ES_HOME}/config")));
        let seed = copy_mounts
            .iter()
            .find(|(_, v)| *v == config_volume)
            .map(|(k, _)| k.clone())
            .expect("copy-config mounts the config volume");
        assert_eq!(
            strings(&copy["command"]),
            ["sh", "-c", &format!("cp -a {ES_HOME}/config/. {seed}/")]
        );
    }
    let doc: Value = serde_saphyr::from_str(&preset_text()).unwrap();
    assert!(
        doc.get("lintIgnore").is_none(),
        "no lint rule is suppressed"
    );
}

#[test]
fn copy_config_copies_the_images_config_dir_with_its_modes() {
    let items = render(&preset_text());
    let sts = common::first(&items, "StatefulSet").unwrap();
    let copy = &sts["spec"]["template"]["spec"]["initContainers"][0];
    let command = strings(&copy["command"]);
    let seed = mounts(copy)
        .into_iter()
        .find(|(p, _)| !p.starts_with("/tmp") && !p.starts_with(ES_HOME))
        .unwrap()
        .0;
    let tmp = tempfile::tempdir().unwrap();
    let image_config = tmp.path().join("config");
    let empty_dir = tmp.path().join("seed");
    fs::create_dir_all(image_config.join("jvm.options.d")).unwrap();
    fs::create_dir_all(&empty_dir).unwrap();
    fs::write(image_config.join("elasticsearch.yml"), "cluster.name: x\n").unwrap();
    fs::write(image_config.join("jvm.options"), "-Xss1m\n").unwrap();
    fs::set_permissions(
        image_config.join("elasticsearch.yml"),
        fs::Permissions::from_mode(0o660),
    )
    .unwrap();
    let script = command[2]
        .replace(
            &format!("{ES_HOME}/config/"),
            &format!("{}/", image_config.display()),
        )
        .replace(&format!("{seed}/"), &format!("{}/", empty_dir.display()));
    common::shell_ok("sh", &script);
    assert_eq!(
        fs::read_to_string(empty_dir.join("elasticsearch.yml")).unwrap(),
        "cluster.name: x\n"
    );
    assert_eq!(
        fs::read_to_string(empty_dir.join("jvm.options")).unwrap(),
        "-Xss1m\n"
    );
    assert!(empty_dir.join("jvm.options.d").is_dir());
    let mode = fs::metadata(empty_dir.join("elasticsearch.yml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660);
}

#[test]
fn a_user_profile_on_the_preset_keeps_the_wiring_in_every_set() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: elasticsearch\nname: logs\nnodeSets:\n  - {name: masters, replicas: 5}\n";
    let items = render(user);
    for set in ["logs-masters", "logs-data"] {
        let sts = common::named(&items, "StatefulSet", set);
        let pod = &sts["spec"]["template"]["spec"];
        let main = &pod["containers"][0];
        assert_eq!(main["name"], set);
        assert_eq!(mounts(main)[&format!("{ES_HOME}/config")], "es-config");
        assert_eq!(pod["initContainers"][0]["name"], "copy-config");
        assert_eq!(pod["securityContext"]["fsGroup"], 0);
    }
}

#[test]
fn each_sets_service_monitor_selects_only_its_own_metrics_service() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: elasticsearch\nname: es\nmetrics: {enabled: true, serviceMonitor: true}\n";
    let items = render(user);
    let services = common::all(&items, "Service");
    let monitors = common::all(&items, "ServiceMonitor");
    assert_eq!(monitors.len(), 2);
    for set in ["masters", "data"] {
        let monitor = common::named(&items, "ServiceMonitor", &format!("es-{set}-metrics"));
        let wanted = monitor["spec"]["selector"]["matchLabels"]
            .as_object()
            .unwrap();
        // Services whose labels include every label the monitor selects on.
        let selected: Vec<&str> = services
            .iter()
            .filter(|s| {
                wanted
                    .iter()
                    .all(|(k, v)| &s["metadata"]["labels"][k.as_str()] == v)
            })
            .map(|s| s["metadata"]["name"].as_str().unwrap())
            .collect();
        let own = format!("es-{set}-metrics");
        assert_eq!(selected, [own.as_str()], "{set}");
        // And that Service selects this set's pods only.
        let svc = common::named(&items, "Service", &own);
        assert_eq!(
            svc["spec"]["selector"],
            json!({"app.kubernetes.io/name": "es", "app.kubernetes.io/component": set})
        );
    }
}
