//! Label selectors and the pods they select, evaluated as Kubernetes does: `matchLabels` and
//! every `matchExpressions` requirement (In, NotIn, Exists, DoesNotExist) must hold.
//!
//! One evaluation for every rule (a Service's selector, a PodDisruptionBudget's, a
//! NetworkPolicy's podSelector, anti-affinity terms), so the rules cannot disagree on what a
//! selector means.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value as Json;

use super::{field, Doc, Object};

/// Label the StatefulSet controller sets on each pod to the pod's name.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// Label the StatefulSet controller sets on each pod to its ordinal.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

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
    /// Names of the app containers' ports.
    pub port_names: BTreeSet<String>,
    /// For a StatefulSet, its name and replicas: each pod also carries the pod-name and
    /// pod-index labels of its ordinal.
    pub ordinals: Option<(String, i32)>,
}

impl Pods {
    /// Whether `sel` selects at least one of these pods.
    pub fn selected_by(&self, sel: &LabelSelector) -> bool {
        let names_ordinal = |k: &String| k == POD_NAME_LABEL || k == POD_INDEX_LABEL;
        let needs_ordinal = sel
            .match_labels
            .iter()
            .flatten()
            .any(|(k, _)| names_ordinal(k))
            || sel
                .match_expressions
                .iter()
                .flatten()
                .any(|e| names_ordinal(&e.key));
        match &self.ordinals {
            Some((name, replicas)) if needs_ordinal => {
                // Only the primary-Service kind of selector names an ordinal; trying each
                // pod is cheap next to rendering them.
                let mut labels = self.labels.clone();
                (0..*replicas).any(|i| {
                    labels.insert(POD_NAME_LABEL.into(), format!("{name}-{i}"));
                    labels.insert(POD_INDEX_LABEL.into(), i.to_string());
                    matches(sel, &labels)
                })
            }
            _ => matches(sel, &self.labels),
        }
    }
}

/// The pods of a typed document, if it is a workload (a StatefulSet).
pub fn pods_of(doc: &Doc) -> Option<Pods> {
    let replicas = match &doc.object {
        Object::StatefulSet(s) => s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        // Another typed workload (a CronJob): its pods, without ordinals.
        _ => return pods_of_value(&doc.value),
    };
    pods_of_value(&doc.value).map(|mut p| {
        p.ordinals = Some((doc.name().to_string(), replicas));
        p
    })
}

/// The pods of any manifest with a pod template (kinds sts-gen does not type are read
/// here only for their pod labels and ports), if it is a workload.
pub fn pods_of_value(value: &Json) -> Option<Pods> {
    let kind = value.get("kind").and_then(Json::as_str).unwrap_or("");
    if !WORKLOAD_KINDS.contains(&kind) {
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
    let labels = field(value, template_meta)
        .and_then(|m| m.get("labels"))
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let port_names = field(value, pod_spec)
        .and_then(|s| s.get("containers"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c.get("ports")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|p| p.get("name").and_then(Json::as_str).map(str::to_string))
        .collect();
    Some(Pods {
        namespace: field(value, &["metadata", "namespace"])
            .and_then(Json::as_str)
            .map(str::to_string),
        labels,
        port_names,
        ordinals: None,
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
