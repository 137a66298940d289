//! Label selectors and the pods they select, evaluated as Kubernetes does: `matchLabels` and
//! every `matchExpressions` requirement (In, NotIn, Exists, DoesNotExist) must hold.
//!
//! One evaluation for every rule (a Service's selector, a PodDisruptionBudget's, a
//! NetworkPolicy's podSelector, anti-affinity terms), so the rules cannot disagree on what a
//! selector means.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::StatefulSetSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value as Json;

use super::{field, Doc, Object};

/// Label the StatefulSet controller sets on each pod to the pod's name.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// Label the StatefulSet controller sets on each pod to its ordinal.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// Labels the Job controller sets on each pod to the Job's name.
const JOB_NAME_LABELS: [&str; 2] = ["job-name", "batch.kubernetes.io/job-name"];

/// Custom resources that run no pods: monitoring, certificate, secret-sync and routing
/// objects, which sts-gen and charts render beside workloads. Any other custom resource may
/// have an operator that creates pods with labels of its choosing.
const PODLESS_CUSTOM_KINDS: &[&str] = &[
    "ServiceMonitor",
    "PodMonitor",
    "Probe",
    "PrometheusRule",
    "AlertmanagerConfig",
    "Certificate",
    "CertificateRequest",
    "Issuer",
    "ClusterIssuer",
    "ExternalSecret",
    "ClusterExternalSecret",
    "SecretStore",
    "ClusterSecretStore",
    "SealedSecret",
    "IngressRoute",
    "Middleware",
    "VirtualService",
    "DestinationRule",
    "ScaledObject",
];

/// Kinds whose objects create pods from a template (or are a pod).
pub const WORKLOAD_KINDS: &[&str] = &[
    "StatefulSet",
    "Deployment",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// Whether `sel` has no requirement at all (neither labels nor expressions).
pub fn is_empty(sel: &LabelSelector) -> bool {
    sel.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && sel.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// Whether `sel` selects a pod with `labels`. An empty selector selects every pod (as a
/// NetworkPolicy's `podSelector: {}` does); callers for which empty means "none" check
/// [`is_empty`] first.
pub fn matches(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    sel.match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
        && sel.match_expressions.iter().flatten().all(|e| {
            let values = e.values.as_deref().unwrap_or_default();
            match e.operator.as_str() {
                "In" => labels.get(&e.key).is_some_and(|v| values.contains(v)),
                "NotIn" => labels.get(&e.key).is_none_or(|v| !values.contains(v)),
                "Exists" => labels.contains_key(&e.key),
                "DoesNotExist" => !labels.contains_key(&e.key),
                // The API server rejects any other operator; it selects nothing.
                _ => false,
            }
        })
}

/// A selector as `kubectl get -l` writes it: `app=a,tier in (db,cache),!legacy`.
pub fn describe(sel: &LabelSelector) -> String {
    let mut parts: Vec<String> = sel
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in sel.match_expressions.iter().flatten() {
        let values = e.values.as_deref().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            other => format!("{} {other} ({values})", e.key),
        });
    }
    if parts.is_empty() {
        "{}".into()
    } else {
        parts.join(",")
    }
}

/// A selector made of labels only (a Service's `spec.selector`).
pub fn from_labels(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels),
        match_expressions: None,
    }
}

/// The pods one workload creates: their template labels and container port names.
#[derive(Debug, Clone)]
pub struct Pods {
    /// Namespace of the workload (and its pods).
    pub namespace: Option<String>,
    /// Labels of the pod template.
    pub labels: BTreeMap<String, String>,
    /// Names of the ports of the app containers and native sidecars.
    pub port_names: BTreeSet<String>,
    /// For a StatefulSet, its pods' names and ordinals: each pod also carries the pod-name
    /// and pod-index labels of its ordinal.
    pub ordinals: Option<Ordinals>,
    /// For a custom resource whose operator may create pods (a Prometheus, a CloudNativePG
    /// Cluster) with labels of its own choosing: the resource as `Kind name`. Any selector
    /// may select those pods, whose ports are unknown.
    pub operator: Option<String>,
    /// The pod template's ServiceAccount (`default` when it names none).
    pub service_account: String,
    /// Whether the pods may label themselves: their ServiceAccount may patch pods, as Vault
    /// (`vault-active`), Patroni (`role`) and Bitnami's Redis (`isMaster`) do to mark the
    /// leader. A label their template does not set may then be on them at run time.
    pub labels_itself: bool,
}

/// The pods of a StatefulSet by ordinal: `<sts>-<start>` to `<sts>-<start + replicas - 1>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordinals {
    /// The StatefulSet's name, which each pod's name starts with.
    pub sts: String,
    /// `spec.ordinals.start`: the first pod's ordinal (0 unless set).
    pub start: i64,
    /// `spec.replicas`.
    pub replicas: i64,
}

impl Ordinals {
    /// The ordinals of a StatefulSet named `sts` with `spec` (`None`: no spec, one replica).
    pub fn of(sts: &str, spec: Option<&StatefulSetSpec>) -> Ordinals {
        Ordinals {
            sts: sts.to_string(),
            start: spec
                .and_then(|s| s.ordinals.as_ref())
                .and_then(|o| o.start)
                .map_or(0, i64::from),
            replicas: spec.and_then(|s| s.replicas).map_or(1, i64::from),
        }
    }

    /// Whether a pod with ordinal `i` runs.
    pub fn contains(&self, i: i64) -> bool {
        i >= self.start && i < self.start + self.replicas
    }

    /// The last pod's ordinal (below `start` when there are no replicas).
    pub fn last(&self) -> i64 {
        self.start + self.replicas - 1
    }

    /// The ordinal a pod-name label value names, if it is one of this StatefulSet's pod
    /// names as the controller writes them (no sign, no leading zero).
    pub fn of_pod_name(&self, pod: &str) -> Option<i64> {
        pod.strip_prefix(self.sts.as_str())
            .and_then(|r| r.strip_prefix('-'))
            .and_then(canonical_ordinal)
    }
}

/// `digits` as an ordinal, if it is written as the controller writes one.
fn canonical_ordinal(digits: &str) -> Option<i64> {
    let i: i64 = digits.parse().ok()?;
    (i >= 0 && i.to_string() == digits).then_some(i)
}

impl Pods {
    /// Whether `sel` selects at least one of these pods.
    pub fn selected_by(&self, sel: &LabelSelector) -> bool {
        if self.operator.is_some() {
            return true;
        }
        let run_time;
        let sel = match self.without_run_time_labels(sel) {
            Some(s) => {
                run_time = s;
                &run_time
            }
            None => sel,
        };
        let names_ordinal = |k: &str| k == POD_NAME_LABEL || k == POD_INDEX_LABEL;
        // Every value the selector compares an ordinal label with.
        let values: Vec<(&str, &str)> = sel
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(sel.match_expressions.iter().flatten().flat_map(|e| {
                let key = e.key.as_str();
                e.values.iter().flatten().map(move |v| (key, v.as_str()))
            }))
            .filter(|(k, _)| names_ordinal(k))
            .collect();
        let needs_ordinal = !values.is_empty()
            || sel
                .match_expressions
                .iter()
                .flatten()
                .any(|e| names_ordinal(&e.key));
        let Some(ords) = self.ordinals.as_ref().filter(|_| needs_ordinal) else {
            return matches(sel, &self.labels);
        };
        // The ordinals the selector names, then one it does not: every pod it does not name
        // compares the same way with every value, so trying one of them stands for all, and
        // the cost does not grow with replicas.
        let named: BTreeSet<i64> = values
            .iter()
            .filter_map(|(k, v)| match *k {
                POD_NAME_LABEL => ords.of_pod_name(v),
                _ => canonical_ordinal(v),
            })
            .filter(|i| ords.contains(*i))
            .collect();
        let unnamed = (ords.start..=ords.last()).find(|i| !named.contains(i));
        let mut labels = self.labels.clone();
        named.into_iter().chain(unnamed).any(|i| {
            labels.insert(POD_NAME_LABEL.into(), format!("{}-{i}", ords.sts));
            labels.insert(POD_INDEX_LABEL.into(), i.to_string());
            matches(sel, &labels)
        })
    }
}

impl Pods {
    /// For pods that label themselves, `sel` without what a label set at run time can meet:
    /// a label or an `In`/`Exists` requirement on a key the template leaves unset. `None`
    /// when nothing is dropped, or when nothing would be left (a selector must still match
    /// the pods on a label their template sets).
    fn without_run_time_labels(&self, sel: &LabelSelector) -> Option<LabelSelector> {
        if !self.labels_itself {
            return None;
        }
        // The controller's labels are judged by ordinal, not dropped.
        let set_later =
            |k: &str| !self.labels.contains_key(k) && k != POD_NAME_LABEL && k != POD_INDEX_LABEL;
        let labels: BTreeMap<String, String> = sel
            .match_labels
            .iter()
            .flatten()
            .filter(|(k, _)| !set_later(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let expressions: Vec<_> = sel
            .match_expressions
            .iter()
            .flatten()
            .filter(|e| !(set_later(&e.key) && ["In", "Exists"].contains(&e.operator.as_str())))
            .cloned()
            .collect();
        let before = sel.match_labels.as_ref().map_or(0, BTreeMap::len)
            + sel.match_expressions.as_ref().map_or(0, Vec::len);
        let after = labels.len() + expressions.len();
        (after < before && after > 0).then_some(LabelSelector {
            match_labels: Some(labels),
            match_expressions: Some(expressions),
        })
    }
}

/// The pods of a typed document, if it is a workload (a StatefulSet).
pub fn pods_of(doc: &Doc) -> Option<Pods> {
    let Object::StatefulSet(s) = &doc.object else {
        // Another typed workload (a CronJob): its pods, without ordinals.
        return pods_of_value(&doc.value);
    };
    pods_of_value(&doc.value).map(|mut p| {
        p.ordinals = Some(Ordinals::of(doc.name(), s.spec.as_ref()));
        p
    })
}

/// The pods of any manifest with a pod template (kinds sts-gen does not type are read
/// here only for their pod labels and ports), if it is a workload: one of
/// [`WORKLOAD_KINDS`], or a custom resource with a labelled pod template at `spec.template`
/// (an Argo Rollout, an OpenKruise CloneSet), whose controller creates pods from it.
pub fn pods_of_value(value: &Json) -> Option<Pods> {
    let kind = value.get("kind").and_then(Json::as_str).unwrap_or("");
    let api = value.get("apiVersion").and_then(Json::as_str).unwrap_or("");
    let template_labels = || field(value, &["spec", "template", "metadata", "labels"]);
    let custom = super::is_custom_api(api);
    let workload = WORKLOAD_KINDS.contains(&kind)
        || (custom && template_labels().is_some_and(Json::is_object));
    let namespace = || {
        field(value, &["metadata", "namespace"])
            .and_then(Json::as_str)
            .map(str::to_string)
    };
    let name = field(value, &["metadata", "name"]).and_then(Json::as_str);
    if custom && !workload && !PODLESS_CUSTOM_KINDS.contains(&kind) {
        let name = name.unwrap_or("");
        return Some(Pods {
            namespace: namespace(),
            labels: BTreeMap::new(),
            port_names: BTreeSet::new(),
            ordinals: None,
            operator: Some(format!("{kind} {name}")),
            service_account: String::new(),
            labels_itself: false,
        });
    }
    if !workload {
        return None;
    }
    let (template_meta, pod_spec): (&[&str], &[&str]) = match kind {
        "Pod" => (&["metadata"], &["spec"]),
        "CronJob" => (
            &["spec", "jobTemplate", "spec", "template", "metadata"],
            &["spec", "jobTemplate", "spec", "template", "spec"],
        ),
        _ => (
            &["spec", "template", "metadata"],
            &["spec", "template", "spec"],
        ),
    };
    let mut labels: BTreeMap<String, String> = field(value, template_meta)
        .and_then(|m| m.get("labels"))
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    // The Job controller labels every pod with the Job's name (the Kubernetes docs' headless
    // Service for indexed Jobs selects `job-name`).
    if let (true, Some(job)) = (kind == "Job", name) {
        for key in JOB_NAME_LABELS {
            labels
                .entry(key.to_string())
                .or_insert_with(|| job.to_string());
        }
    }
    let list = |name: &str| {
        field(value, pod_spec)
            .and_then(|s| s.get(name))
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
    };
    // A native sidecar (an init container with restartPolicy Always) keeps running, and
    // Kubernetes resolves a Service's named targetPort against its ports too.
    let sidecars = list("initContainers")
        .filter(|c| c.get("restartPolicy").and_then(Json::as_str) == Some("Always"));
    let port_names = list("containers")
        .chain(sidecars)
        .flat_map(|c| {
            c.get("ports")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|p| p.get("name").and_then(Json::as_str).map(str::to_string))
        .collect();
    // `serviceAccount` is the field's deprecated spelling, still honoured.
    let service_account = ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|k| field(value, pod_spec)?.get(*k)?.as_str())
        .filter(|a| !a.is_empty())
        .unwrap_or("default")
        .to_string();
    Some(Pods {
        namespace: namespace(),
        labels,
        port_names,
        ordinals: None,
        operator: None,
        service_account,
        labels_itself: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn labels_and_every_operator() {
        let pod = labels(&[("app", "db"), ("tier", "data")]);
        let sel = |exprs: Vec<LabelSelectorRequirement>| LabelSelector {
            match_labels: Some(labels(&[("app", "db")])),
            match_expressions: Some(exprs),
        };
        assert!(matches(
            &sel(vec![expr("tier", "In", &["data", "x"])]),
            &pod
        ));
        assert!(!matches(&sel(vec![expr("tier", "In", &["x"])]), &pod));
        assert!(matches(&sel(vec![expr("tier", "NotIn", &["x"])]), &pod));
        assert!(!matches(&sel(vec![expr("tier", "NotIn", &["data"])]), &pod));
        assert!(matches(&sel(vec![expr("zone", "NotIn", &["a"])]), &pod));
        assert!(matches(&sel(vec![expr("tier", "Exists", &[])]), &pod));
        assert!(!matches(&sel(vec![expr("zone", "Exists", &[])]), &pod));
        assert!(matches(&sel(vec![expr("zone", "DoesNotExist", &[])]), &pod));
        assert!(!matches(
            &sel(vec![expr("tier", "DoesNotExist", &[])]),
            &pod
        ));
        assert!(!matches(&sel(vec![expr("tier", "Gt", &["1"])]), &pod));
        // matchLabels still has to hold beside the expressions.
        let other = labels(&[("app", "web"), ("tier", "data")]);
        assert!(!matches(&sel(vec![expr("tier", "Exists", &[])]), &other));
    }

    #[test]
    fn expressions_alone_are_not_empty() {
        let sel = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![expr("app", "In", &["db"])]),
        };
        assert!(!is_empty(&sel));
        assert!(is_empty(&LabelSelector::default()));
        assert!(is_empty(&from_labels(BTreeMap::new())));
        assert_eq!(describe(&sel), "app in (db)");
    }

    #[test]
    fn ordinal_labels_are_judged_without_trying_every_pod() {
        let pods = |start: i64, replicas: i64| Pods {
            namespace: None,
            labels: labels(&[("app", "db")]),
            port_names: BTreeSet::new(),
            ordinals: Some(Ordinals {
                sts: "db".into(),
                start,
                replicas,
            }),
            operator: None,
            service_account: "default".into(),
            labels_itself: false,
        };
        let by = |exprs: Vec<LabelSelectorRequirement>| LabelSelector {
            match_labels: None,
            match_expressions: Some(exprs),
        };
        let big = pods(0, i64::from(i32::MAX));
        assert!(big.selected_by(&by(vec![expr(POD_NAME_LABEL, "In", &["db-2147483646"])])));
        assert!(!big.selected_by(&by(vec![expr(POD_NAME_LABEL, "In", &["db-2147483647"])])));
        // Written as the controller never writes it: no pod has that name.
        assert!(!big.selected_by(&by(vec![expr(POD_NAME_LABEL, "In", &["db-01"])])));
        assert!(big.selected_by(&by(vec![expr(POD_NAME_LABEL, "NotIn", &["db-0", "db-1"])])));
        assert!(big.selected_by(&by(vec![expr(POD_INDEX_LABEL, "Exists", &[])])));
        assert!(!big.selected_by(&by(vec![expr(POD_INDEX_LABEL, "DoesNotExist", &[])])));
        // Every pod excluded, or two requirements no one pod meets.
        let two = pods(3, 2);
        assert!(!two.selected_by(&by(vec![expr(POD_INDEX_LABEL, "NotIn", &["3", "4"])])));
        assert!(two.selected_by(&by(vec![expr(POD_INDEX_LABEL, "NotIn", &["3", "5"])])));
        assert!(!two.selected_by(&by(vec![
            expr(POD_NAME_LABEL, "In", &["db-3"]),
            expr(POD_INDEX_LABEL, "In", &["4"]),
        ])));
        assert!(two.selected_by(&from_labels(labels(&[(POD_NAME_LABEL, "db-4")]))));
        assert!(!two.selected_by(&from_labels(labels(&[(POD_NAME_LABEL, "db-1")]))));
        assert!(!pods(0, 0).selected_by(&by(vec![expr(POD_INDEX_LABEL, "Exists", &[])])));
    }

    #[test]
    fn describe_reads_like_kubectl() {
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "a")])),
            match_expressions: Some(vec![
                expr("tier", "NotIn", &["x", "y"]),
                expr("legacy", "DoesNotExist", &[]),
                expr("zone", "Exists", &[]),
            ]),
        };
        assert_eq!(describe(&sel), "app=a,tier notin (x,y),!legacy,zone");
        assert_eq!(describe(&LabelSelector::default()), "{}");
    }
}
