//! Traces problems found after the model (the check stage's cross-object rules) back to the
//! profile field that caused them, so the user sees the line they wrote and a suggestion
//! rather than only the internal template and object.
//!
//! It runs after check and reads the profile tree, so it sits beside the pipeline, not in
//! a stage: the profile keeps the locations, the rendered objects know what exists, and a
//! finding names the container, mount or object it is about.

use crate::profile::de::join_key;
use crate::profile::error::did_you_mean;
use crate::profile::node::{Node, Value};
use crate::profile::{locate, Loaded};
use crate::render::RenderedDoc;
use crate::shared::error::Error;

/// What the rendered objects hold, gathered before the check stage consumes them (names
/// only, so it costs next to nothing when nothing fails).
#[derive(Debug, Default)]
pub struct Inventory {
    /// Per StatefulSet name: its pod volumes and claim templates.
    volumes: Vec<(String, Vec<String>)>,
    /// Names of rendered Secrets.
    secrets: Vec<String>,
    /// Names of rendered ConfigMaps.
    config_maps: Vec<String>,
}

impl Inventory {
    /// The names in `docs` a suggestion may offer.
    pub fn of(docs: &[RenderedDoc]) -> Self {
        let mut inv = Inventory::default();
        for d in docs {
            let kind = d.value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
            let name = d
                .value
                .pointer("/metadata/name")
                .and_then(|n| n.as_str())
                .unwrap_or("")
                .to_string();
            match kind {
                "Secret" => inv.secrets.push(name),
                "ConfigMap" => inv.config_maps.push(name),
                "StatefulSet" => {
                    let names = |ptr: &str, field: &str| -> Vec<String> {
                        d.value
                            .pointer(ptr)
                            .and_then(|v| v.as_array())
                            .into_iter()
                            .flatten()
                            .filter_map(|v| v.pointer(field).and_then(|n| n.as_str()))
                            .map(str::to_string)
                            .collect()
                    };
                    let mut vols = names("/spec/template/spec/volumes", "/name");
                    vols.extend(names("/spec/volumeClaimTemplates", "/metadata/name"));
                    inv.volumes.push((name, vols));
                }
                _ => {}
            }
        }
        inv
    }
}

/// Where a container can be written in a profile.
const CONTAINER_LISTS: &[&str] = &[
    "sidecars",
    "initContainers",
    "podTemplate.containers",
    "podTemplate.initContainers",
];

/// Gives each finding of `errors` the profile location, field path and suggestion of the
/// field that caused it, where one can be found in `sets` (the profile, or its node sets).
pub fn locate_findings(
    errors: Vec<Error>,
    sets: &[std::borrow::Cow<'_, Loaded>],
    inv: &Inventory,
) -> Vec<Error> {
    errors
        .into_iter()
        .map(|e| match e.loc {
            Some(_) => e,
            None => locate_one(e, sets, inv),
        })
        .collect()
}

fn locate_one(mut e: Error, sets: &[std::borrow::Cow<'_, Loaded>], inv: &Inventory) -> Error {
    let Some(object) = e.object().map(str::to_string) else {
        return e;
    };
    let rule = object
        .strip_suffix(']')
        .and_then(|o| o.rsplit_once(" ["))
        .map(|(_, r)| r.to_string())
        .unwrap_or_default();
    // "template `t`, Kind name [rule]": the object's name.
    let name = object
        .rsplit_once("`, ")
        .map(|(_, rest)| rest.split(' ').nth(1).unwrap_or(""))
        .unwrap_or("");
    let Some(set) = sets
        .iter()
        .find(|s| s.profile.name == name)
        .or(sets.first())
    else {
        return e;
    };
    let quoted = backticked(&e.message);
    let found = match rule.as_str() {
        "volume-mounts" => match quoted.as_slice() {
            [container, mount, ..] => mount_field(&set.tree, &set.profile.name, container, mount).map(|path| {
                let vols: Vec<&str> = inv
                    .volumes
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.iter().map(String::as_str).collect())
                    .unwrap_or_default();
                let hint = match did_you_mean(mount, &vols) {
                    Some(best) => format!("did you mean `{best}`? volumes: {}", vols.join(", ")),
                    None => format!(
                        "add it under `volumes`, or mount one of: {}",
                        vols.join(", ")
                    ),
                };
                (path, hint)
            }),
            _ => None,
        },
        "references" if e.message.ends_with("which has no such key") && quoted.len() >= 2 => {
            key_field(&set.tree, quoted[quoted.len() - 2]).map(|path| {
                (path, "use a key the Secret or ConfigMap has".to_string())
            })
        }
        "references" if e.message.ends_with("which is not rendered") => {
            missing_reference(set, inv, &e.message, &quoted)
        }
        // A profile volume named like another volume or a volume claim template.
        "volumes" if e.message.ends_with("is defined twice") && !quoted.is_empty() => {
            let app = &set.profile.name;
            ["volumes", "podTemplate.volumes"]
                .iter()
                .find_map(|list| container_field(&set.tree, app, quoted[0], list))
                .map(|at| {
                    let mut names: Vec<&str> = Vec::new();
                    let vols = inv.volumes.iter().find(|(n, _)| n == name);
                    for v in vols.into_iter().flat_map(|(_, v)| v) {
                        if !names.contains(&v.as_str()) {
                            names.push(v);
                        }
                    }
                    (
                        format!("{at}.name"),
                        format!("a pod's volumes and volume claim templates need names of their own; taken: {}", names.join(", ")),
                    )
                })
        }
        // A field of a profile container the API server refuses (`api::container_fields`).
        "schema" if e.message.starts_with("container `") && quoted.len() >= 2 => {
            refused_container_field(&set.tree, &set.profile.name, quoted[0], quoted[1])
                .map(|path| (path, "the API server refuses it".to_string()))
        }
        // An object over Kubernetes' size limits: the profile's annotations, config files or
        // Secret made it so.
        "size-limits" => {
            let kind = object.rsplit_once("`, ").map_or("", |(_, rest)| rest.split(' ').next().unwrap_or(""));
            let path = if e.message.starts_with("the object is") {
                // A whole workload too large: its longest text made it so.
                return located(e, set, longest_scalar(&set.tree, ""), "move large text out of the profile, into a file of the image or a volume");
            } else if e.message.starts_with("metadata.annotations") {
                "annotations"
            } else if kind == "ConfigMap" {
                "config.files"
            } else if kind == "Secret" {
                "secret"
            } else {
                ""
            };
            (!path.is_empty() && set.tree.get(path.split('.').next().unwrap_or("")).is_some()).then(|| {
                (path.to_string(), "move large data out of the profile, into a volume or the image".to_string())
            })
        }
        // A field of a profile volume the API server refuses (`api::container_fields`).
        "schema" if e.message.starts_with("volume `") && quoted.len() >= 2 => {
            let app = &set.profile.name;
            ["volumes", "podTemplate.volumes"]
                .iter()
                .find_map(|list| container_field(&set.tree, app, quoted[0], list))
                .map(|at| (format!("{at}.{}", quoted[1]), "the API server refuses it".to_string()))
        }
        // A pod template field the API server refuses (`api::container_fields`).
        "schema" if e.message.starts_with("pod template `") && !quoted.is_empty() => {
            refused_pod_field(&set.tree, quoted[0])
                .map(|path| (path, "the API server refuses it".to_string()))
        }
        "schema" if e.message.contains("has no image") => quoted.first().and_then(|c| {
            // A sidecar or init container written without one (`image: null`), or a
            // podTemplate container that extends none.
            let app = &set.profile.name;
            ["sidecars", "initContainers"]
                .iter()
                .find_map(|list| container_field(&set.tree, app, c, list))
                .map(|path| (format!("{path}.image"), "a container needs an image".to_string()))
                .or_else(|| {
                    ["podTemplate.containers", "podTemplate.initContainers"]
                        .iter()
                        .find_map(|list| container_field(&set.tree, app, c, list))
                        .map(|path| {
                        (
                            format!("{path}.name"),
                            format!("a podTemplate container must be named like the one it extends: the app container is named `{app}`"),
                        )
                    })
                })
        }),
        _ => None,
    };
    if let Some((path, hint)) = found {
        e.loc = Some(locate(&set.tree, &path).loc.clone());
        e.path = path;
        e.hint = Some(match e.hint.take() {
            Some(h) => format!("{h}; {hint}"),
            None => hint,
        });
    }
    e
}

/// Where the profile refers to a Secret or ConfigMap that is not rendered (`message`, with
/// its name last in `quoted`), and the hint: the closest rendered name, or `external`.
fn missing_reference(
    set: &Loaded,
    inv: &Inventory,
    message: &str,
    quoted: &[&str],
) -> Option<(String, String)> {
    let kind = if message.contains("refers to Secret") {
        "Secret"
    } else {
        "ConfigMap"
    };
    let missing = quoted.last()?;
    let path = reference_field(&set.tree, kind, missing)?;
    let (rendered, external) = if kind == "Secret" {
        (&inv.secrets, "external.secrets")
    } else {
        (&inv.config_maps, "external.configMaps")
    };
    let names: Vec<&str> = rendered.iter().map(String::as_str).collect();
    let mut hint = format!("if the {kind} exists in the cluster, list it under `{external}`");
    if let Some(best) = did_you_mean(missing, &names) {
        hint = format!("did you mean `{best}`? {hint}");
    }
    Some((path, hint))
}

/// Gives a clash of two node sets' objects named `name` (a name fixed in the profile, not
/// per set) the profile field that names it: a Service's `name` under `services`, in the
/// first set that writes it.
pub fn locate_fixed_name(mut e: Error, sets: &[std::borrow::Cow<'_, Loaded>], name: &str) -> Error {
    let found = sets.iter().find_map(|set| {
        let services = set.tree.get("services")?;
        let mut fields: Vec<(String, Option<&Node>)> = ["headless", "read", "primary"]
            .iter()
            .map(|s| {
                (
                    format!("services.{s}.name"),
                    services.get(s).and_then(|x| x.get("name")),
                )
            })
            .collect();
        if let Some(Value::Seq(extra)) = services.get("extra").map(|x| &x.value) {
            let named = extra.iter().enumerate();
            fields.extend(named.map(|(i, x)| (format!("services.extra[{i}].name"), x.get("name"))));
        }
        // A literal name wins, then the templated one with the most literal text.
        fields
            .into_iter()
            .filter_map(|(path, node)| {
                let written = scalar(node)?;
                let score = match written == name {
                    true => usize::MAX,
                    false => may_expand_to(written, name)?,
                };
                Some((score, path))
            })
            .rev()
            .max_by_key(|(score, _)| *score)
            .map(|(_, path)| (set, path))
    });
    if let Some((set, path)) = found {
        e.loc = Some(locate(&set.tree, &path).loc.clone());
        e.path = path;
    }
    e
}

/// The profile path of field `field` (below the container) of container `container`, which
/// the API server refuses (`api::container_fields`): in a container list, or for the app
/// container `app` at the profile's top level.
fn refused_container_field(tree: &Node, app: &str, container: &str, field: &str) -> Option<String> {
    // The metrics exporter's resources come from `metrics.resources` (a preset's podTemplate
    // may name the container too, for its other fields).
    let resources = tree.get("metrics").and_then(|m| m.get("resources"));
    if container == "metrics" && field.starts_with("resources.") && resources.is_some() {
        return Some(format!("metrics.{field}"));
    }
    let listed = CONTAINER_LISTS.iter().find_map(|list| {
        let at = container_field(tree, app, container, list)?;
        // A podTemplate container extends a rendered one, whose lists start with sts-gen's
        // own entries: the rendered index is not the profile's.
        let field = match list.starts_with("podTemplate") {
            true => field.split(['[', '.']).next().unwrap_or(""),
            false => field,
        };
        Some(format!("{at}.{field}"))
    });
    listed.or_else(|| {
        // The app container's fields come from the profile's top level.
        (container == app).then(|| {
            [
                ("livenessProbe", "probes.liveness"),
                ("readinessProbe", "probes.readiness"),
                ("startupProbe", "probes.startup"),
            ]
            .iter()
            .find_map(|(k8s, profile)| {
                field
                    .strip_prefix(k8s)
                    .map(|rest| format!("{profile}{rest}"))
            })
            .unwrap_or_else(|| field.split('[').next().unwrap_or("").to_string())
        })
    })
}

/// The profile path of pod template field `field` (below the pod spec) the API server
/// refuses: under `podTemplate` as deep as the profile spells it, or a top-level field of
/// the same name (`terminationGracePeriodSeconds`).
fn refused_pod_field(tree: &Node, field: &str) -> Option<String> {
    let root = field.split(['[', '.']).next().unwrap_or("");
    if tree.get("podTemplate").and_then(|t| t.get(root)).is_some() {
        return Some(format!("podTemplate.{field}"));
    }
    tree.get(root).map(|_| field.to_string())
}

/// `e` located at `path` of `set`'s profile with `hint`, if there is a path.
fn located(mut e: Error, set: &Loaded, path: Option<(usize, String)>, hint: &str) -> Error {
    if let Some((_, path)) = path {
        e.loc = Some(locate(&set.tree, &path).loc.clone());
        e.path = path;
        e.hint = Some(hint.to_string());
    }
    e
}

/// The length and path of the longest scalar text under `node` (the first of equals).
fn longest_scalar(node: &Node, path: &str) -> Option<(usize, String)> {
    let longer = |a: Option<(usize, String)>, b: Option<(usize, String)>| match (a, b) {
        (Some(x), Some(y)) if y.0 > x.0 => Some(y),
        (None, y) => y,
        (x, _) => x,
    };
    match &node.value {
        Value::Scalar { text, .. } => Some((text.len(), path.to_string())),
        Value::Map(entries) => entries.iter().fold(None, |best, (k, v)| {
            longer(best, longest_scalar(v, &join_key(path, &k.name)))
        }),
        Value::Seq(items) => items.iter().enumerate().fold(None, |best, (i, v)| {
            longer(best, longest_scalar(v, &format!("{path}[{i}]")))
        }),
    }
}

/// The `` `quoted` `` words of a message, in order.
fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// The path of the item of `list` (dotted) named `name`, where a name may be written as a
/// text variable (a preset's app container is `"{{ name }}"`, `app` once rendered).
fn container_field(tree: &Node, app: &str, name: &str, list: &str) -> Option<String> {
    let mut node = tree;
    for key in list.split('.') {
        node = node.get(key)?;
    }
    let Value::Seq(items) = &node.value else {
        return None;
    };
    let named = |alike: &dyn Fn(&str) -> bool| {
        items
            .iter()
            .position(|c| scalar(c.get("name")).is_some_and(alike))
    };
    named(&|n| names_alike(n, app, name))
        .or_else(|| named(&|n| may_expand_to(n, name).is_some()))
        .map(|i| format!("{list}[{i}]"))
}

/// The path of the `name` of container `container`'s mount of `mount`.
fn mount_field(tree: &Node, app: &str, container: &str, mount: &str) -> Option<String> {
    let listed = CONTAINER_LISTS
        .iter()
        .filter_map(|list| container_field(tree, app, container, list));
    // The metrics exporter's fields come from `metrics.exporter`.
    let exporter = (container == "metrics"
        && tree
            .get("metrics")
            .and_then(|m| m.get("exporter"))
            .is_some())
    .then(|| "metrics.exporter".to_string());
    listed.chain(exporter).find_map(|at| {
        let mounts = locate(tree, &format!("{at}.volumeMounts"));
        let Value::Seq(items) = &mounts.value else {
            return None;
        };
        items
            .iter()
            .enumerate()
            .find_map(|(j, m)| match m.get("name") {
                Some(n) if scalar(Some(n)).is_some_and(|n| names_alike(n, app, mount)) => {
                    Some(format!("{at}.volumeMounts[{j}].name"))
                }
                // A mount without a name renders as the name ``.
                None if mount.is_empty() => Some(format!("{at}.volumeMounts[{j}]")),
                _ => None,
            })
    })
}

/// The path of the first `key: <key>` (a `secretKeyRef`'s, a volume item's) in the profile's
/// raw objects.
fn key_field(tree: &Node, key: &str) -> Option<String> {
    fn walk(node: &Node, path: &str, key: &str) -> Option<String> {
        match &node.value {
            Value::Map(entries) => entries.iter().find_map(|(k, v)| {
                let here = join_key(path, &k.name);
                if k.name == "key" && scalar(Some(v)) == Some(key) {
                    return Some(here);
                }
                walk(v, &here, key)
            }),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &format!("{path}[{i}]"), key)),
            Value::Scalar { .. } => None,
        }
    }
    ["podTemplate", "volumes", "sidecars", "initContainers"]
        .iter()
        .find_map(|section| tree.get(section).and_then(|n| walk(n, section, key)))
}

/// The path of a reference to `kind` `name` anywhere in the profile's raw objects: a
/// `secretKeyRef`/`configMapKeyRef`, an `envFrom` source or a volume.
fn reference_field(tree: &Node, kind: &str, name: &str) -> Option<String> {
    let parents: &[(&str, &str)] = if kind == "Secret" {
        &[
            ("secretKeyRef", "name"),
            ("secretRef", "name"),
            ("secret", "secretName"),
        ]
    } else {
        &[
            ("configMapKeyRef", "name"),
            ("configMapRef", "name"),
            ("configMap", "name"),
        ]
    };
    // A name may be written with text variables (`"{{ secretName }}-tls"`): a literal match
    // wins, then the templated name with the most literal text (the most specific).
    let mut best: Option<(usize, String)> = None;
    find(tree, "", &mut |parent: &str,
                         key: &str,
                         value: &Node,
                         at: String| {
        if !parents.iter().any(|(p, k)| *p == parent && *k == key) {
            return;
        }
        let score = match scalar(Some(value)) {
            Some(n) if n == name => usize::MAX,
            Some(n) => match may_expand_to(n, name) {
                Some(literal) => literal,
                None => return,
            },
            None => return,
        };
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, at));
        }
    });
    best.map(|(_, at)| at)
}

/// Whether profile text `written`, with each `{{ ... }}` standing for any text, can be
/// `name` (the trace sees rendered names, not the variables' values); if so, how many of
/// its bytes are literal.
fn may_expand_to(written: &str, name: &str) -> Option<usize> {
    let mut parts = Vec::new();
    let mut rest = written;
    while let Some(open) = rest.find("{{") {
        let close = rest[open..].find("}}")?;
        parts.push(&rest[..open]);
        rest = &rest[open + close + 2..];
    }
    if parts.is_empty() {
        return None;
    }
    parts.push(rest);
    // Glob match: the first part is a prefix, the last a suffix, the others in order between.
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return None;
    }
    let mut middle = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        let at = middle.find(part)?;
        middle = &middle[at + part.len()..];
    }
    Some(parts.iter().map(|p| p.len()).sum())
}

/// Calls `visit` with every mapping entry `key: value` under a key `parent`, and its path.
fn find(node: &Node, path: &str, visit: &mut dyn FnMut(&str, &str, &Node, String)) {
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let here = join_key(path, &k.name);
                if let Value::Map(inner) = &v.value {
                    for (ik, iv) in inner {
                        visit(&k.name, &ik.name, iv, join_key(&here, &ik.name));
                    }
                }
                find(v, &here, visit);
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                find(v, &format!("{path}[{i}]"), visit);
            }
        }
        Value::Scalar { .. } => {}
    }
}

/// Whether profile text `written` names `name` once `{{ name }}` is `app`.
fn names_alike(written: &str, app: &str, name: &str) -> bool {
    written == name
        || (written.contains("{{")
            && written.replace("{{ name }}", app).replace("{{name}}", app) == name)
}

fn scalar(node: Option<&Node>) -> Option<&str> {
    match node.map(|n| &n.value) {
        Some(Value::Scalar { text, .. }) => Some(text),
        _ => None,
    }
}
