//! The bundled PersistentVolume template renders in one piece per core once there are many
//! PVs: the documents must be exactly those of one render, in order; a replaced PV template
//! is always rendered whole.

mod common;

use std::path::Path;

use serde_json::Value;
use sts_gen::{profile, render};

fn local_pv_profile(replicas: u32) -> String {
    format!(
        "apiVersion: sts-gen/v1
kind: Profile
preset: mysql
name: db
namespace: data
replicas: {replicas}
storage:
  className: local-storage
  local:
    path: /mnt/disks/db
    nodes: [n1, n2, n3]
    reclaimPolicy: Retain
"
    )
}

fn build(text: &str, renderer: &render::Renderer) -> Vec<Value> {
    let loaded = profile::load_bytes("p.yaml", text.as_bytes(), Path::new(".")).unwrap();
    sts_gen::build(&loaded, &common::options(None, None), renderer)
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .collect()
}

fn pv_names(docs: &[Value]) -> Vec<&str> {
    common::all(docs, "PersistentVolume")
        .iter()
        .map(|pv| pv["metadata"]["name"].as_str().unwrap())
        .collect()
}

#[test]
fn split_rendering_gives_the_documents_of_one_render() {
    std::env::set_var("MYSQL_ROOT_PASSWORD", "pw");
    let renderer = render::Renderer::new(None).unwrap();
    // Below, at, and well above the split threshold, and not a multiple of the core count.
    for replicas in [10, 63, 64, 65, 301] {
        let text = local_pv_profile(replicas);
        let parallel = build(&text, &renderer);
        let serial = sts_gen::serially(|| build(&text, &renderer));
        assert_eq!(parallel, serial, "{replicas} replicas");
        let names = pv_names(&parallel);
        assert_eq!(names.len(), replicas as usize);
        // In ordinal order: the first is ordinal 0, the last ordinal replicas-1.
        assert!(names[0].ends_with("-0"), "{}", names[0]);
        assert!(
            names
                .last()
                .unwrap()
                .ends_with(&format!("-{}", replicas - 1)),
            "{}",
            names.last().unwrap()
        );
    }
}

#[test]
fn a_replaced_pv_template_sees_the_whole_list() {
    std::env::set_var("MYSQL_ROOT_PASSWORD", "pw");
    let dir = tempfile::tempdir().unwrap();
    // The bundled PVs plus one document for the whole list, which a split render would
    // write once per piece.
    let bundled = std::fs::read_to_string("templates/persistentvolume.yaml.j2").unwrap();
    std::fs::write(
        dir.path().join("persistentvolume.yaml.j2"),
        bundled + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: pv-count, namespace: data}\ndata:\n  count: {{ app.persistentVolumes | length | string | tojson }}\n",
    )
    .unwrap();
    let renderer = render::Renderer::new(Some(dir.path())).unwrap();
    let docs = build(&local_pv_profile(200), &renderer);
    let counts: Vec<&Value> = common::all(&docs, "ConfigMap")
        .into_iter()
        .filter(|c| c["metadata"]["name"] == "pv-count")
        .collect();
    assert_eq!(counts.len(), 1, "rendered once");
    assert_eq!(counts[0]["data"]["count"], "200");
    assert_eq!(pv_names(&docs).len(), 200);
}
