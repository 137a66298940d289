//! Identity and labels: the name, namespace, image and replicas, the user's labels and
//! annotations, and the labels and selectors sts-gen derives from them.

use indexmap::IndexMap;

use super::errors::Errors;
use super::text::TemplateVars;
use super::{names, secret, services, ModelConfig, Options, MAX_REPLICAS};
use crate::profile::de::join_key;
use crate::profile::types::*;
use crate::profile::SetInfo;
use crate::shared::error::{ErrorKind, LoadError};

/// The pod-template annotation holding the hash of the ConfigMap data.
pub const CHECKSUM_ANNOTATION: &str = "checksum/config";

/// Labels sts-gen sets on every object; selectors rely on them.
const RESERVED_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
];

/// The namespace, image and replicas, checked.
pub(super) struct Basics {
    pub(super) namespace: Option<String>,
    pub(super) image: String,
    pub(super) replicas: u32,
}

/// Checks name, namespace, labels, annotations, image and replicas.
pub(super) fn check(p: &Profile, opts: &Options, errs: &mut Errors) -> Basics {
    errs.check(
        "name",
        names::dns_label(&p.name, 52).map_err(|e| e.prefixed(format_args!("`{}` ", p.name))),
    );
    let namespace = opts
        .namespace
        .clone()
        .or_else(|| p.namespace.clone())
        .or_else(|| opts.default_namespace.clone());
    if let Some(ns) = &namespace {
        if let Err(e) = names::dns_label(ns, 63) {
            let message = format!("namespace `{ns}` {e}");
            if opts.namespace.is_some() {
                // From the command line: no line of the profile to point at.
                errs.list.push(LoadError::of(
                    ErrorKind::Usage,
                    format!("-n/--namespace: {message}"),
                ));
            } else {
                errs.push("namespace", message);
            }
        }
    }
    for (k, v) in &p.labels {
        let path = join_key("labels", k);
        errs.check(&path, names::qualified_name(k));
        errs.check(
            &path,
            names::label_value(v).map_err(|e| e.prefixed(format_args!("label `{k}` value "))),
        );
        if RESERVED_LABELS.contains(&k.as_str()) {
            errs.push(
                &path,
                format!("label `{k}` is set by sts-gen (selectors rely on it); choose another key"),
            );
        }
    }
    for k in p.annotations.keys() {
        errs.check(&join_key("annotations", k), names::qualified_name(k));
    }

    let image = match &p.image {
        Some(i) if !i.trim().is_empty() && !i.chars().any(char::is_whitespace) => i.clone(),
        Some(_) => {
            errs.push(
                "image",
                "the image reference must be non-empty and without spaces",
            );
            String::new()
        }
        None => {
            errs.push("", "missing required key `image`");
            String::new()
        }
    };
    let replicas = p.replicas.unwrap_or(1);
    if replicas > MAX_REPLICAS {
        errs.push(
            "replicas",
            format!("{replicas} replicas is more than the supported maximum of {MAX_REPLICAS}"),
        );
    }
    Basics {
        namespace,
        image,
        replicas,
    }
}

/// Namespaces Kubernetes creates and owns: sts-gen never renders them, so deleting an app's
/// objects can never delete one.
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// Whether the Namespace object is rendered: only with `createNamespace: true`, never for a
/// system namespace. `namespace` alone (or `-n`, or Argo CD's) never creates one, because
/// `kubectl delete -f` or pruning the app would delete the namespace with every claim in it.
/// A preset profile that names its namespace without saying gets a warning: before, it
/// rendered one (a preset never passes on its own `createNamespace`).
pub(super) fn create_namespace(
    loaded: &crate::profile::Loaded,
    namespace: Option<&str>,
    warnings: &mut Vec<String>,
    errs: &mut Errors,
) -> bool {
    let p = &loaded.profile;
    match (p.create_namespace, namespace) {
        (Some(true), None) => {
            errs.push(
                "createNamespace",
                "createNamespace: true needs a namespace: set `namespace` (or pass -n)",
            );
            false
        }
        (Some(true), Some(ns)) if SYSTEM_NAMESPACES.contains(&ns) => {
            errs.push(
                "createNamespace",
                format!("namespace `{ns}` belongs to Kubernetes and is never rendered (deleting the app would delete it): remove createNamespace"),
            );
            false
        }
        (Some(create), _) => create,
        (None, _) => {
            if let (Some(ns), Some(_)) = (&p.namespace, &p.preset) {
                if !SYSTEM_NAMESPACES.contains(&ns.as_str()) {
                    let at = crate::profile::locate(&loaded.tree, "namespace");
                    warnings.push(format!(
                        "{}: namespace: no Namespace object is rendered for `{ns}` any more (it must exist, or add `createNamespace: true`; `createNamespace: false` silences this)",
                        at.loc
                    ));
                }
            }
            false
        }
    }
}

/// The labels of objects and pods, and the pod selector.
#[derive(Debug)]
pub(super) struct Labels {
    /// Labels for objects every node set shares: the recommended labels plus the user's.
    pub(super) labels: IndexMap<String, String>,
    /// `labels` plus the set's component.
    pub(super) set_labels: IndexMap<String, String>,
    /// The pod selector: stable, never includes user labels.
    pub(super) selector_labels: IndexMap<String, String>,
}

/// The recommended labels (name, managed-by, the set's component) and the user's.
pub(super) fn labels(p: &Profile, cluster: &str, set: Option<&SetInfo>) -> Labels {
    let mut labels = IndexMap::new();
    labels.insert("app.kubernetes.io/name".to_string(), cluster.to_string());
    labels.insert(
        "app.kubernetes.io/managed-by".to_string(),
        "sts-gen".to_string(),
    );
    let mut selector_labels =
        IndexMap::from([("app.kubernetes.io/name".to_string(), cluster.to_string())]);
    if let Some(s) = set {
        selector_labels.insert("app.kubernetes.io/component".to_string(), s.set.clone());
    }
    for (k, v) in &p.labels {
        if !labels.contains_key(k) {
            labels.insert(k.clone(), v.clone());
        }
    }
    let mut set_labels = labels.clone();
    if let Some(s) = set {
        set_labels.insert("app.kubernetes.io/component".to_string(), s.set.clone());
    }
    Labels {
        labels,
        set_labels,
        selector_labels,
    }
}

/// The profile's annotations plus `checksum/config`, a hash of the ConfigMap data, so a
/// config change rolls the pods and nothing else does.
pub(super) fn pod_annotations(
    p: &Profile,
    config: Option<&ModelConfig>,
) -> IndexMap<String, String> {
    let mut a = p.annotations.clone();
    if let Some(c) = config {
        let canonical = serde_json::to_string(&c.data).expect("strings serialize");
        let digest = sha2::Digest::finalize(sha2::Digest::chain_update(
            <sha2::Sha256 as sha2::Digest>::new(),
            canonical.as_bytes(),
        ));
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        a.insert(CHECKSUM_ANNOTATION.to_string(), hex);
    }
    a
}

/// `imagePullPolicy` as Kubernetes spells it.
pub(super) fn pull_policy(p: &Profile) -> &'static str {
    match p.image_pull_policy.unwrap_or(PullPolicy::IfNotPresent) {
        PullPolicy::Always => "Always",
        PullPolicy::IfNotPresent => "IfNotPresent",
        PullPolicy::Never => "Never",
    }
}

/// `podManagementPolicy` as Kubernetes spells it.
pub(super) fn pod_management_policy(p: &Profile) -> &'static str {
    match p
        .pod_management_policy
        .unwrap_or(PodManagementPolicy::OrderedReady)
    {
        PodManagementPolicy::OrderedReady => "OrderedReady",
        PodManagementPolicy::Parallel => "Parallel",
    }
}

/// The names profile text and other names derive from, resolved before the text variables
/// that use them.
pub(super) struct Names {
    /// `secret.name` expanded; `None` when the profile gives none.
    pub secret: Option<String>,
    /// The Secret references use: `existing`, `name`, or the application's name.
    pub secret_ref: String,
    /// The headless Service's name.
    pub headless: String,
}

impl Names {
    /// Names may use {{ name }} and {{ cluster }}, so a preset's Services and Secret follow
    /// the user's name (`{{ name }}-rw`); they cannot use the namespace.
    pub(super) fn resolve(
        p: &Profile,
        opts: &Options,
        cluster: &str,
        sets: &IndexMap<String, crate::profile::SetSummary>,
        replicas: u32,
        image: &str,
        errs: &mut Errors,
    ) -> Names {
        let first = TemplateVars {
            name: &p.name,
            namespace: None,
            headless: &p.name,
            replicas,
            cluster_domain: &opts.cluster_domain,
            cluster,
            sets,
            secret_name: cluster,
            image,
            claim_name: super::storage::template_name(p),
            // Names do not depend on ports.
            ports: &[],
            compiled: Default::default(),
        };
        let secret = secret::expanded_name(p, &first, errs);
        let secret_ref = p
            .secret
            .as_ref()
            .and_then(|s| s.existing.clone())
            .or_else(|| secret.clone())
            .unwrap_or_else(|| cluster.to_string());
        let name_vars = TemplateVars {
            secret_name: &secret_ref,
            compiled: Default::default(),
            ..first
        };
        let headless = services::headless_name(p, &name_vars, errs);
        Names {
            secret,
            secret_ref,
            headless,
        }
    }
}

/// The node sets of the application by set name, as profile text sees them (`{{ sets.x }}`).
pub(super) fn set_summaries(
    set: Option<&crate::profile::SetInfo>,
) -> IndexMap<String, crate::profile::SetSummary> {
    set.map(|s| s.sets.iter().map(|x| (x.set.clone(), x.clone())).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages};
    use super::*;

    #[test]
    fn reserved_labels_and_bad_names_are_errors() {
        let loaded = load("labels: {app.kubernetes.io/name: x, team: a}\nreplicas: 6000\n");
        let mut errs = Errors::new(&loaded);
        let basics = check(&loaded.profile, &Options::default(), &mut errs);
        assert_eq!(
            messages(&errs),
            [
                "labels[\"app.kubernetes.io/name\"]: label `app.kubernetes.io/name` is set by sts-gen (selectors rely on it); choose another key",
                "replicas: 6000 replicas is more than the supported maximum of 5000",
            ]
        );
        assert_eq!(basics.image, "db:1");
        assert_eq!(basics.replicas, 6000);
    }

    #[test]
    fn the_command_line_namespace_wins() {
        let loaded = load("namespace: prod\n");
        let mut errs = Errors::new(&loaded);
        let opts = Options {
            namespace: Some("dev".into()),
            default_namespace: Some("argo".into()),
            ..Options::default()
        };
        assert_eq!(
            check(&loaded.profile, &opts, &mut errs)
                .namespace
                .as_deref(),
            Some("dev")
        );
        let basics = check(&loaded.profile, &Options::default(), &mut errs);
        assert_eq!(basics.namespace.as_deref(), Some("prod"));
        assert!(errs.list.is_empty());
    }

    #[test]
    fn user_labels_follow_the_recommended_ones_and_stay_out_of_the_selector() {
        let loaded = load("labels: {team: a}\n");
        let l = labels(&loaded.profile, "db", None);
        assert_eq!(
            l.labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            [
                "app.kubernetes.io/name=db",
                "app.kubernetes.io/managed-by=sts-gen",
                "team=a"
            ]
        );
        assert_eq!(l.set_labels, l.labels);
        assert_eq!(l.selector_labels.len(), 1);
    }

    #[test]
    fn the_checksum_follows_the_config_data() {
        let loaded = load("annotations: {a: b}\n");
        let config = |text: &str| ModelConfig {
            name: "db".into(),
            mount_path: "/etc/db".into(),
            data: IndexMap::from([("f".to_string(), text.to_string())]),
            items: vec![],
        };
        let one = pod_annotations(&loaded.profile, Some(&config("x")));
        let two = pod_annotations(&loaded.profile, Some(&config("y")));
        assert_eq!(one.get("a").map(String::as_str), Some("b"));
        assert_eq!(one[CHECKSUM_ANNOTATION].len(), 64);
        assert_ne!(one[CHECKSUM_ANNOTATION], two[CHECKSUM_ANNOTATION]);
        assert!(!pod_annotations(&loaded.profile, None).contains_key(CHECKSUM_ANNOTATION));
        assert_eq!(pull_policy(&loaded.profile), "IfNotPresent");
        assert_eq!(pod_management_policy(&loaded.profile), "OrderedReady");
    }
}
