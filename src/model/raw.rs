//! Raw Kubernetes objects in the profile (`initContainers`, `sidecars`, `volumes`,
//! `podTemplate`): typed against k8s-openapi where they are written, so a typo is reported at
//! its line, and their strings expanded like other profile text.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::errors::Errors;
use super::storage::claim_name;
use super::text::TemplateVars;
use super::{names, ModelStorage, CONFIG_SOURCE_VOLUME, CONFIG_VOLUME, SECRET_VOLUME};
use crate::profile::de::join_key;
use crate::profile::types::*;
use crate::profile::{locate, LoadError, Loaded};

/// Checks the raw objects against their Kubernetes types and their names against the ones
/// sts-gen uses; returns the pod's volume names.
pub(super) fn check(
    loaded: &Loaded,
    storage: &Option<ModelStorage>,
    errs: &mut Errors,
) -> BTreeSet<String> {
    let p = &loaded.profile;
    let mut container_names: BTreeSet<String> =
        BTreeSet::from([p.name.clone(), "role-init".to_string()]);
    for (list, field) in [
        (&p.init_containers, "initContainers"),
        (&p.sidecars, "sidecars"),
    ] {
        for (i, c) in list.iter().enumerate() {
            let path = format!("{field}[{i}]");
            check_k8s::<k8s_openapi::api::core::v1::Container>(
                locate(&loaded.tree, &path),
                c,
                &path,
                errs,
            );
            match c.get("name").and_then(Json::as_str) {
                Some(n) if !container_names.insert(n.to_string()) => errs.push(
                    &format!("{path}.name"),
                    format!("container name `{n}` is already used"),
                ),
                Some(n) => errs.check(
                    &format!("{path}.name"),
                    names::dns_label(n, 63)
                        .map_err(|e| e.prefixed(format_args!("container name `{n}` "))),
                ),
                None => errs.push(&path, "missing required key `name`"),
            }
        }
    }
    let mut volume_names: BTreeSet<String> = BTreeSet::from([
        claim_name(storage),
        CONFIG_VOLUME.into(),
        CONFIG_SOURCE_VOLUME.into(),
    ]);
    // `secret` is sts-gen's only when it mounts the Secret; before, profiles named their own.
    if p.secret.as_ref().is_some_and(|s| s.mount_path.is_some()) {
        volume_names.insert(SECRET_VOLUME.into());
    }
    for (i, v) in p.volumes.iter().enumerate() {
        let path = format!("volumes[{i}]");
        check_k8s::<k8s_openapi::api::core::v1::Volume>(
            locate(&loaded.tree, &path),
            v,
            &path,
            errs,
        );
        if v.get("name")
            .and_then(Json::as_str)
            .is_none_or(str::is_empty)
        {
            errs.push(&path, "missing required key `name`");
        }
        if let Some(n) = v.get("name").and_then(Json::as_str) {
            if !volume_names.insert(n.to_string()) {
                errs.push(&format!("{path}.name"), format!("volume name `{n}` is already used (`{}` and `{CONFIG_VOLUME}` are reserved{})", claim_name(storage), if volume_names.contains(SECRET_VOLUME) { format!(", and `{SECRET_VOLUME}` with secret.mountPath") } else { String::new() }));
            }
        }
    }
    if p.pod_template.is_some() {
        // PodSpec requires `containers`; the partial spec merged last may omit it.
        let mut node = locate(&loaded.tree, "podTemplate").clone();
        if let crate::profile::node::Value::Map(entries) = &mut node.value {
            if !entries.iter().any(|(k, _)| k.name == "containers") {
                let loc = node.loc.clone();
                entries.push((
                    crate::profile::node::Key {
                        name: "containers".into(),
                        loc: loc.clone(),
                    },
                    crate::profile::Node {
                        value: crate::profile::node::Value::Seq(vec![]),
                        loc,
                    },
                ));
            }
        }
        let mut rendered = p.pod_template.clone().unwrap_or_default();
        rendered
            .entry("containers")
            .or_insert_with(|| Json::Array(Vec::new()));
        let rendered = Json::Object(rendered);
        check_k8s::<k8s_openapi::api::core::v1::PodSpec>(&node, &rendered, "podTemplate", errs);
        named_pod_lists(p.pod_template.as_ref(), errs);
        // The StatefulSet controller gives every pod its identity over the template's.
        for (key, what) in [
            ("hostname", "each pod's name"),
            (
                "subdomain",
                "the headless Service (`services.headless.name`)",
            ),
        ] {
            if p.pod_template.as_ref().is_some_and(|t| t.contains_key(key)) {
                errs.push(
                    &format!("podTemplate.{key}"),
                    format!("the StatefulSet controller sets `{key}` to {what} whatever the template says; remove it"),
                );
            }
        }
    }
    // After the typing: a string field's `0755` is already an error there (quote it), and
    // the octal advice is for number fields only.
    for section in ["initContainers", "sidecars", "volumes", "podTemplate"] {
        // Paths are built only for a section that has one: a string per node made this walk
        // cost 2% of a render.
        if let Some(node) = loaded.tree.get(section).filter(|n| has_leading_zero(n)) {
            leading_zero_integers(node, section, errs);
        }
    }
    volume_names
}

/// Whether `node` holds a plain scalar of digits with a leading zero, at any depth.
fn has_leading_zero(node: &crate::profile::Node) -> bool {
    use crate::profile::node::Value;
    match &node.value {
        Value::Scalar {
            text, plain: true, ..
        } => is_leading_zero(text),
        Value::Scalar { .. } => false,
        Value::Seq(items) => items.iter().any(has_leading_zero),
        Value::Map(entries) => entries.iter().any(|(_, v)| has_leading_zero(v)),
    }
}

fn is_leading_zero(text: &str) -> bool {
    text.len() > 1 && text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit())
}

/// Plain integers written with a leading zero (`defaultMode: 0644`) in a raw object: YAML 1.2
/// reads `0644` as decimal 644 and renders it so, while kubectl's YAML reads it as octal 420,
/// so a mode meant as rw-r--r-- became an invalid or a different one without a word.
fn leading_zero_integers(node: &crate::profile::Node, path: &str, errs: &mut Errors) {
    use crate::profile::node::Value;
    match &node.value {
        Value::Scalar {
            text, plain: true, ..
        } if is_leading_zero(text) && !errs.list.iter().any(|e| e.path == path) => {
            let octal = i64::from_str_radix(text, 8).ok();
            let hint = match octal {
                Some(v) => format!(
                    "write `0o{}` (octal) or `{v}` (the same in decimal)",
                    &text[1..],
                ),
                None => format!("write `{}`", text.trim_start_matches('0')),
            };
            errs.push(
                path,
                format!("`{text}` reads as decimal {} here (YAML 1.2), but as octal in kubectl's YAML: {hint}", text.trim_start_matches('0').parse::<u64>().unwrap_or(0)),
            );
        }
        Value::Scalar { .. } => {}
        Value::Seq(items) => {
            for (i, item) in items
                .iter()
                .enumerate()
                .filter(|(_, n)| has_leading_zero(n))
            {
                leading_zero_integers(item, &format!("{path}[{i}]"), errs);
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries.iter().filter(|(_, n)| has_leading_zero(n)) {
                leading_zero_integers(v, &join_key(path, &k.name), errs);
            }
        }
    }
}

/// `podTemplate`'s containers, init containers and volumes merge into the rendered ones by
/// `name`: an item without one (or an empty list) replaced the whole rendered list, and the
/// app container, role-init or the config volumes vanished with an error far from the line.
fn named_pod_lists(template: Option<&serde_json::Map<String, Json>>, errs: &mut Errors) {
    for key in ["containers", "initContainers", "volumes"] {
        let path = format!("podTemplate.{key}");
        let items = match template.and_then(|t| t.get(key)) {
            Some(Json::Array(items)) => items,
            Some(Json::Null) => {
                errs.push(&path, format!("`null` would remove the rendered `{key}`; podTemplate's lists merge by name: list only the items to change, or remove the key"));
                continue;
            }
            _ => continue,
        };
        if items.is_empty() {
            errs.push(&path, format!("an empty list would replace every item of the rendered `{key}`; podTemplate's lists merge by name: list only the items to change, or remove the key"));
        }
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let name = item.get("name").and_then(Json::as_str).unwrap_or("");
            if !name.is_empty() && !seen.insert(name) {
                // The second merged into the first without a word.
                errs.push(
                    &format!("{path}[{i}].name"),
                    format!("`{name}` is listed twice in podTemplate's `{key}`; merge the two items into one"),
                );
            }
            if item
                .get("name")
                .and_then(Json::as_str)
                .is_none_or(str::is_empty)
            {
                let app = match key {
                    "volumes" => "",
                    _ => " (the app container is `{{ name }}`)",
                };
                errs.push(&format!("{path}[{i}]"), format!("missing required key `name`: podTemplate's `{key}` merge into the rendered ones by name{app}"));
            }
        }
    }
}

/// The raw objects with their text variables expanded.
pub(super) struct Raw {
    pub(super) init_containers: Vec<Json>,
    pub(super) sidecars: Vec<Json>,
    pub(super) volumes: Vec<Json>,
    pub(super) pod_template: Option<Json>,
}

/// Expands text variables in the raw objects (a preset's sidecar needs the peer names of
/// whatever the user calls the app), and checks the `external` names.
pub(super) fn expand(p: &Profile, vars: &TemplateVars, errs: &mut Errors) -> Raw {
    let mut init_containers = p.init_containers.clone();
    let mut sidecars = p.sidecars.clone();
    for (list, field) in [
        (&mut init_containers, "initContainers"),
        (&mut sidecars, "sidecars"),
    ] {
        for (i, c) in list.iter_mut().enumerate() {
            expand_strings(c, &format!("{field}[{i}]"), vars, errs);
        }
    }
    if let Some(e) = &p.external {
        for (field, list) in [("secrets", &e.secrets), ("configMaps", &e.config_maps)] {
            for (i, n) in list.iter().enumerate() {
                errs.check(
                    &format!("external.{field}[{i}]"),
                    names::dns_subdomain(n).map_err(|e| e.prefixed(format_args!("`{n}` "))),
                );
            }
        }
    }
    let mut volumes = p.volumes.clone();
    for (i, v) in volumes.iter_mut().enumerate() {
        expand_strings(v, &format!("volumes[{i}]"), vars, errs);
    }
    let mut pod_template = p.pod_template.clone().map(Json::Object);
    if let Some(pt) = &mut pod_template {
        expand_strings(pt, "podTemplate", vars, errs);
    }
    Raw {
        init_containers,
        sidecars,
        volumes,
        pod_template,
    }
}

/// Deserializes a raw Kubernetes object from the profile into its k8s-openapi type and
/// reports any field the type does not know (it would be silently dropped otherwise).
///
/// The object is typed straight from the located profile tree, so a wrong type is reported
/// at its own line and field path; then as it renders (`rendered`, the profile's JSON form
/// of the same node), where a plain scalar is a number or a boolean whatever the field.
pub(super) fn check_k8s<T: serde::de::DeserializeOwned>(
    node: &crate::profile::Node,
    rendered: &Json,
    path: &str,
    errs: &mut Errors,
) {
    let mut unknown = Vec::new();
    let de = crate::profile::de::NodeDe {
        node,
        path: path.to_string(),
    };
    let result: Result<T, LoadError> =
        serde_ignored::deserialize(de, |p| unknown.push(ignored_path(path, &p.to_string())));
    match result {
        Err(mut e) => {
            if e.loc.is_none() {
                e.loc = Some(node.loc.clone());
            }
            if e.path.is_empty() {
                e.path = path.to_string();
            }
            errs.list.push(e);
        }
        Ok(_) if unknown.is_empty() => {
            if let Some(e) = json_type_error::<T>(rendered, path, errs) {
                errs.list.push(e);
            }
        }
        Ok(_) => {
            for field in unknown {
                let key = field
                    .rsplit(['.', '['])
                    .next()
                    .unwrap_or(&field)
                    .to_string();
                let loc = crate::profile::locate_key(&errs.loaded.tree, &field);
                errs.list.push(
                    LoadError::new(
                        loc,
                        format!("unknown field `{key}` (Kubernetes would drop it)"),
                    )
                    .with_path(field),
                );
            }
        }
    }
}

/// The error of typing the object as it is rendered (JSON), where typing the profile's YAML
/// passed: YAML reading takes `secretName: 1.5` or `path: 10` as text, but they render as
/// numbers, which the API server refuses ("cannot unmarshal number into ... string").
fn json_type_error<T: serde::de::DeserializeOwned>(
    rendered: &Json,
    path: &str,
    errs: &Errors,
) -> Option<LoadError> {
    let e = serde_path_to_error::deserialize::<_, T>(rendered).err()?;
    let below = e.path().iter().fold(String::new(), |p, segment| {
        use serde_path_to_error::Segment;
        match segment {
            Segment::Seq { index } => format!("{p}[{index}]"),
            Segment::Map { key } | Segment::Enum { variant: key } => join_key(&p, key),
            Segment::Unknown => p,
        }
    });
    let field = match below.strip_prefix('[') {
        Some(_) => format!("{path}{below}"),
        None if below.is_empty() => path.to_string(),
        None => format!("{path}.{below}"),
    };
    let loc = locate(&errs.loaded.tree, &field).loc.clone();
    let message = e.inner().to_string();
    let mut err = LoadError::new(loc, message.clone()).with_path(field);
    if message.ends_with("expected a string") {
        err.hint = Some("quote the value to make it a string".into());
    }
    Some(err)
}

/// Expands text variables in every string of a raw Kubernetes object.
pub(super) fn expand_strings(value: &mut Json, path: &str, vars: &TemplateVars, errs: &mut Errors) {
    expand_strings_at(value, path, &mut Vec::new(), vars, errs);
}

/// One step below a field path: a mapping key or a list position.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Walks `value`; the field path of a string is only spelled out when it has an error
/// (building every path up front cost more than the expansion itself).
fn expand_strings_at<'a>(
    value: &'a mut Json,
    base: &str,
    steps: &mut Vec<Step<'a>>,
    vars: &TemplateVars,
    errs: &mut Errors,
) {
    match value {
        Json::String(s) => match vars.expand_templated(s) {
            Ok(Some(t)) => *s = t,
            Ok(None) => {}
            Err(e) => {
                let path = steps.iter().fold(base.to_string(), |p, step| match step {
                    Step::Key(k) => join_key(&p, k),
                    Step::Index(i) => format!("{p}[{i}]"),
                });
                errs.add(&path, e)
            }
        },
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                steps.push(Step::Index(i));
                expand_strings_at(item, base, steps, vars, errs);
                steps.pop();
            }
        }
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                if matches!(v, Json::String(_) | Json::Array(_) | Json::Object(_)) {
                    steps.push(Step::Key(k));
                    expand_strings_at(v, base, steps, vars, errs);
                    steps.pop();
                }
            }
        }
        _ => {}
    }
}

/// Turns a serde_ignored path (`resources.?.limitss`, `ports.0.x`) into a profile field path.
pub fn ignored_path(base: &str, ignored: &str) -> String {
    let mut out = base.to_string();
    for seg in ignored.split('.').filter(|s| *s != "?" && !s.is_empty()) {
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            out = format!("{out}[{seg}]");
        } else {
            out = join_key(&out, seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages, vars};
    use super::*;
    use indexmap::IndexMap;

    #[test]
    fn raw_objects_are_typed_where_they_are_written() {
        let loaded = load("storage: {size: 1Gi}\nsidecars:\n  - {name: db, image: x:1}\n  - {name: exp, image: x:1, portz: []}\nvolumes: [{name: data, emptyDir: {}}]\n");
        let mut errs = Errors::new(&loaded);
        let names = check(&loaded, &None, &mut errs);
        assert_eq!(
            messages(&errs),
            [
                "sidecars[0].name: container name `db` is already used",
                "sidecars[1].portz: unknown field `portz` (Kubernetes would drop it)",
                "volumes[0].name: volume name `data` is already used (`data` and `config` are reserved)",
            ]
        );
        assert!(names.contains("config-source"));
    }

    #[test]
    fn strings_in_raw_objects_expand_and_errors_name_their_path() {
        let loaded =
            load("sidecars: [{name: s, image: \"{{ image }}\", args: [ok, \"{{ nope }}\"]}]\n");
        let sets = IndexMap::new();
        let vars = vars(&sets, None, 1);
        let mut errs = Errors::new(&loaded);
        let raw = expand(&loaded.profile, &vars, &mut errs);
        assert_eq!(raw.sidecars[0]["image"], "db:1");
        let m = messages(&errs);
        assert_eq!(m.len(), 1);
        assert!(
            m[0].starts_with("sidecars[0].args[1]: unknown variable `nope`"),
            "{m:?}"
        );
        assert_eq!(
            ignored_path("sidecars[0]", "resources.?.limitss"),
            "sidecars[0].resources.limitss"
        );
        assert_eq!(ignored_path("", "ports.0.x"), "ports[0].x");
    }
}
