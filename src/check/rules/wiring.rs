//! `pod-references`: names that point at a StatefulSet's pods (headless and pod DNS names in
//! env, args and ConfigMap data, PersistentVolume claimRefs, pod-name selectors) still
//! match the StatefulSet's name, `serviceName`, namespace and replicas.
//!
//! sts-gen writes these names from the profile; a kustomize `namePrefix`, `namespace` or
//! replicas patch on its output changes the objects but not the text that names them. A
//! reference is judged only when it is close to a StatefulSet among the linted objects (same
//! names, or one with a prefix or suffix added), so a reference to another app elsewhere in
//! the cluster is left alone.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Container;

use super::{is_claim_of, is_listed_claim, Emit, Objects};
use crate::check::selector::{Ordinals, POD_NAME_LABEL};
use crate::check::{Doc, Object};

const RULE: &str = "pod-references";

/// A StatefulSet as the names of its pods, Service and claims depend on it.
pub(super) struct Set<'a> {
    name: &'a str,
    namespace: Option<&'a str>,
    service: &'a str,
    /// Its pods' ordinals (`spec.ordinals.start` and replicas).
    ordinals: Ordinals,
    /// Claim template names with their storage class.
    claims: Vec<(String, Option<String>)>,
}

impl Set<'_> {
    /// Whether objects in `ns` see this StatefulSet's namespace (`None`: kubectl's context,
    /// which may be any).
    fn in_namespace(&self, ns: Option<&str>) -> bool {
        self.namespace.is_none() || ns.is_none() || self.namespace == ns
    }

    /// Its pods' name and ordinal limits as a message fragment.
    fn describe(&self) -> String {
        let start = match self.ordinals.start {
            0 => String::new(),
            n => format!(", ordinals from {n}"),
        };
        format!(
            "StatefulSet `{}` (serviceName `{}`, namespace `{}`, {} replicas{start})",
            self.name,
            self.service,
            self.namespace.unwrap_or(""),
            self.ordinals.replicas
        )
    }

    /// The pods it runs, as a message fragment: `pods up to `db-1``.
    fn pods(&self) -> String {
        let o = &self.ordinals;
        match o.start {
            0 => format!("pods up to `{}-{}`", self.name, o.last()),
            n => format!("pods `{0}-{n}` to `{0}-{1}`", self.name, o.last()),
        }
    }
}

/// The StatefulSets among `docs`; see [`super::Objects::sets`].
pub(super) fn sets(docs: &[Doc]) -> Vec<Set<'_>> {
    docs.iter()
        .filter_map(|d| {
            let Object::StatefulSet(s) = &d.object else {
                return None;
            };
            let spec = s.spec.as_ref()?;
            Some(Set {
                name: d.name(),
                namespace: d.namespace(),
                service: spec.service_name.as_deref().unwrap_or(""),
                ordinals: Ordinals::of(d.name(), Some(spec)),
                claims: spec
                    .volume_claim_templates
                    .iter()
                    .flatten()
                    .map(|c| {
                        (
                            c.metadata.name.clone().unwrap_or_default(),
                            c.spec.as_ref().and_then(|s| s.storage_class_name.clone()),
                        )
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Whether `actual` is `written` or `written` with a prefix or suffix added (kustomize's
/// `namePrefix`/`nameSuffix`).
fn resembles(actual: &str, written: &str) -> bool {
    written.len() >= 2 && (actual.ends_with(written) || actual.starts_with(written))
}

/// The ways `actual` is `written` with a prefix and a suffix added: (prefix, suffix).
fn affixes<'a>(actual: &'a str, written: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
    let ok = written.len() >= 2;
    actual
        .match_indices(written)
        .filter(move |_| ok)
        .map(move |(i, _)| (&actual[..i], &actual[i + written.len()..]))
}

/// Whether kustomize's `namePrefix`/`nameSuffix` could have turned the written names into
/// the actual ones: the same prefix and suffix on both (`redis` for the Service
/// `redis-headless` would need a suffix `-headless` that the StatefulSet `redis` lacks, so
/// `redis.cache.svc` is another app's Service, not a stale name of this one).
fn same_affix(actual: (&str, &str), written: (&str, &str)) -> bool {
    affixes(actual.0, written.0).any(|(prefix, suffix)| {
        actual.1.len() == prefix.len() + written.1.len() + suffix.len()
            && actual.1.starts_with(prefix)
            && actual.1.ends_with(suffix)
            && &actual.1[prefix.len()..actual.1.len() - suffix.len()] == written.1
    })
}

/// `name-<ordinal>` split into (name, ordinal). Ordinals reach 2^32 - 2 (`ordinals.start`
/// plus replicas, each up to 2^31 - 1): ten digits.
fn pod_ordinal(pod: &str) -> Option<(&str, i64)> {
    let (base, n) = pod.rsplit_once('-')?;
    if base.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.len() > 10 {
        return None;
    }
    Some((base, n.parse().ok()?))
}

/// The rule's function, run on each linted object.
pub(super) fn pod_references(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    let docs = objects.docs;
    // Only these objects can hold a reference; the StatefulSets are looked up per object
    // (not for the thousands of PersistentVolumes without a claimRef).
    let holds_reference = match &doc.object {
        Object::StatefulSet(_) | Object::ConfigMap(_) => true,
        Object::PersistentVolume(pv) => pv.spec.as_ref().is_some_and(|s| s.claim_ref.is_some()),
        Object::Service(svc) => svc
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .is_some_and(|s| s.contains_key(POD_NAME_LABEL)),
        _ => false,
    };
    if !holds_reference {
        return;
    }
    let sets = objects.sets();
    if sets.is_empty() {
        return;
    }
    match &doc.object {
        Object::StatefulSet(s) => {
            let Some(pod) = s.spec.as_ref().and_then(|s| s.template.spec.as_ref()) else {
                return;
            };
            let lists = [
                (
                    "initContainers",
                    pod.init_containers.as_deref().unwrap_or_default(),
                ),
                ("containers", pod.containers.as_slice()),
            ];
            for (list, containers) in lists {
                for (i, c) in containers.iter().enumerate() {
                    let at = format!("spec.template.spec.{list}[{i}]");
                    for (path, text) in container_texts(&at, c) {
                        texts(doc, docs, sets, &path, text, emit);
                    }
                }
            }
        }
        Object::ConfigMap(cm) => {
            for (k, v) in cm.data.iter().flatten() {
                texts(doc, docs, sets, &format!("data.{k}"), v, emit);
            }
        }
        Object::PersistentVolume(pv) => claim_ref(doc, pv, docs, sets, emit),
        Object::Service(svc) => {
            let pod = svc
                .spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .and_then(|s| s.get(POD_NAME_LABEL));
            if let Some(pod) = pod {
                pod_selector(doc, pod, sets, emit);
            }
        }
        _ => {}
    }
}

/// The env values, args and command of a container, with their paths.
fn container_texts<'a>(at: &str, c: &'a Container) -> Vec<(String, &'a str)> {
    let mut out = Vec::new();
    for (j, e) in c.env.iter().flatten().enumerate() {
        if let Some(v) = &e.value {
            out.push((format!("{at}.env[{j}].value"), v.as_str()));
        }
    }
    for (field, list) in [("args", &c.args), ("command", &c.command)] {
        for (j, a) in list.iter().flatten().enumerate() {
            out.push((format!("{at}.{field}[{j}]"), a.as_str()));
        }
    }
    out
}

/// A DNS name in text: a pod (`<pod>.<service>[.<namespace>[.svc...]]`) or a Service
/// (`<service>.<namespace>.svc...`).
#[derive(Debug, PartialEq)]
enum DnsRef<'a> {
    Pod {
        pod: &'a str,
        service: &'a str,
        namespace: Option<&'a str>,
    },
    Service {
        service: &'a str,
        namespace: &'a str,
    },
}

/// The DNS names of pods and Services in `text`.
fn dns_refs(text: &str) -> Vec<(&str, DnsRef<'_>)> {
    let mut out = Vec::new();
    let is_dns = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    for token in text.split(|c: char| !is_dns(c)) {
        let token = token.trim_matches(|c| c == '.' || c == '-');
        if !token.contains('.') {
            continue;
        }
        let labels: Vec<&str> = token.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            continue;
        }
        let found = match labels.iter().position(|l| *l == "svc") {
            Some(3) => Some(DnsRef::Pod {
                pod: labels[0],
                service: labels[1],
                namespace: Some(labels[2]),
            }),
            Some(2) => Some(DnsRef::Service {
                service: labels[0],
                namespace: labels[1],
            }),
            Some(_) => None,
            // Without `svc`, only a pod-like first label makes it a pod's name.
            None if (labels.len() == 2 || labels.len() == 3)
                && pod_ordinal(labels[0]).is_some() =>
            {
                Some(DnsRef::Pod {
                    pod: labels[0],
                    service: labels[1],
                    namespace: labels.get(2).copied(),
                })
            }
            None => None,
        };
        if let Some(r) = found {
            out.push((token, r));
        }
    }
    out
}

fn texts(doc: &Doc, docs: &[Doc], sets: &[Set], path: &str, text: &str, emit: &mut Emit) {
    let mut seen = BTreeSet::new();
    for (token, r) in dns_refs(text) {
        if !seen.insert(token) {
            continue;
        }
        let problem = match r {
            DnsRef::Pod {
                pod,
                service,
                namespace,
            } => pod_problem(pod, service, namespace.or(doc.namespace()), sets),
            DnsRef::Service { service, namespace } => {
                service_problem(service, namespace, docs, sets)
            }
        };
        if let Some(problem) = problem {
            emit(
                doc,
                RULE,
                path.to_string(),
                format!("`{token}` {problem}"),
                Some(FIX.into()),
            );
        }
    }
}

const FIX: &str = "name the StatefulSet's pods as they are, or change name, namespace and replicas where the manifests are made (sts-gen's output: in the profile, then render again; kustomize cannot rewrite names inside text); see docs/GITOPS.md";

/// Why `pod.service.namespace` names no pod of a linted StatefulSet it resembles; `None`
/// when it names one, or resembles none (another app's).
fn pod_problem(pod: &str, service: &str, ns: Option<&str>, sets: &[Set]) -> Option<String> {
    let (base, ordinal) = pod_ordinal(pod)?;
    let exact = sets
        .iter()
        .find(|s| s.name == base && s.service == service && s.in_namespace(ns));
    if let Some(s) = exact {
        return (!s.ordinals.contains(ordinal))
            .then(|| format!("names pod `{pod}`, but {} has {}", s.describe(), s.pods()));
    }
    let near = sets
        .iter()
        .find(|s| same_affix((s.name, s.service), (base, service)))?;
    Some(format!(
        "names pod `{pod}` of Service `{service}` in namespace `{}`, but the nearest is {}",
        ns.unwrap_or(""),
        near.describe()
    ))
}

/// Why `service.namespace.svc` names no Service among the linted objects it resembles.
fn service_problem(service: &str, ns: &str, docs: &[Doc], sets: &[Set]) -> Option<String> {
    let services: Vec<&Doc> = docs
        .iter()
        .filter(|d| matches!(d.object, Object::Service(_)))
        .collect();
    let exists = services
        .iter()
        .any(|d| d.name() == service && d.namespace().is_none_or(|n| n == ns));
    if exists {
        return None;
    }
    // Only Services of a StatefulSet's app (in its namespace, named like its headless
    // Service), renamed the way the StatefulSet was: a written name that only resembles one
    // (`redis` for `redis-headless` beside the StatefulSet `redis`) is another app's.
    let near = services.iter().find(|d| {
        sets.iter().any(|s| {
            s.namespace == d.namespace()
                && resembles(d.name(), s.service)
                && affixes(d.name(), service).any(|(prefix, suffix)| {
                    s.name.len() > prefix.len() + suffix.len()
                        && s.name.starts_with(prefix)
                        && s.name.ends_with(suffix)
                })
        })
    })?;
    Some(format!(
        "names Service `{service}` in namespace `{ns}`, which is not among the objects; the nearest is Service `{}` in namespace `{}`",
        near.name(),
        near.namespace().unwrap_or("")
    ))
}

/// A PersistentVolume pre-bound to a claim: the claim is one a StatefulSet creates,
/// `<template>-<sts>-<ordinal>` in its namespace. Ordinals at or above replicas are allowed:
/// spare volumes wait for a scale-up (storage.local.count > replicas). Local volumes of a
/// claim's no-provisioner class are left to `local-pvs`, which judges their claimRefs
/// already (one finding per problem).
fn claim_ref(
    doc: &Doc,
    pv: &k8s_openapi::api::core::v1::PersistentVolume,
    docs: &[Doc],
    sets: &[Set],
    emit: &mut Emit,
) {
    let Some(spec) = &pv.spec else { return };
    let Some(cr) = &spec.claim_ref else { return };
    let local_class = spec.storage_class_name.as_deref().is_some_and(|class| {
        docs.iter().any(|d| {
            matches!(&d.object, Object::StorageClass(sc) if d.name() == class && sc.provisioner == "kubernetes.io/no-provisioner")
        }) && sets
            .iter()
            .any(|s| s.claims.iter().any(|(_, c)| c.as_deref() == Some(class)))
    });
    if local_class {
        return;
    }
    let name = cr.name.as_deref().unwrap_or("");
    let ns = cr.namespace.as_deref();
    if is_listed_claim(docs, ns, name) {
        return;
    }
    let is_claim_of = |s: &Set| s.claims.iter().any(|(c, _)| is_claim_of(name, c, s.name));
    if sets.iter().any(|s| s.in_namespace(ns) && is_claim_of(s)) {
        return;
    }
    let class = spec.storage_class_name.as_deref();
    let near = sets.iter().find(|s| {
        is_claim_of(s)
            || s.claims.iter().any(|(c, sc)| {
                (class.is_some() && sc.as_deref() == class)
                    || name
                        .strip_prefix(&format!("{c}-"))
                        .and_then(pod_ordinal)
                        .is_some_and(|(base, _)| resembles(s.name, base))
            })
    });
    let Some(near) = near else { return };
    let claims: Vec<String> = near
        .claims
        .iter()
        .map(|(c, _)| format!("`{c}-{}-<ordinal>`", near.name))
        .collect();
    emit(
        doc,
        RULE,
        "spec.claimRef".into(),
        format!(
            "claimRef `{}/{name}` is not a claim {} creates ({} in namespace `{}`); the volume stays unbound and the pod Pending",
            ns.unwrap_or(""),
            near.describe(),
            claims.join(", "),
            near.namespace.unwrap_or("")
        ),
        Some(FIX.into()),
    );
}

/// A Service selecting one pod by its pod-name label: the pod exists.
fn pod_selector(doc: &Doc, pod: &str, sets: &[Set], emit: &mut Emit) {
    let ns = doc.namespace();
    let ok = pod_ordinal(pod).is_some_and(|(base, i)| {
        sets.iter()
            .any(|s| s.name == base && s.namespace == ns && s.ordinals.contains(i))
    });
    if ok {
        return;
    }
    let near = sets.iter().find(|s| {
        s.namespace == ns || pod_ordinal(pod).is_some_and(|(base, _)| resembles(s.name, base))
    });
    let Some(near) = near else { return };
    emit(
        doc,
        RULE,
        format!("spec.selector.{POD_NAME_LABEL}"),
        format!(
            "selects pod `{pod}` in namespace `{}`, which {} does not create; the Service has no endpoints",
            ns.unwrap_or(""),
            near.describe()
        ),
        Some(FIX.into()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_in_text() {
        let refs = dns_refs(
            "peers=db-0.db.prod.svc.cluster.local:2380,db-1.db:2380 url=http://db-read.prod.svc:80 v1.2 x.y",
        );
        assert_eq!(
            refs,
            [
                (
                    "db-0.db.prod.svc.cluster.local",
                    DnsRef::Pod {
                        pod: "db-0",
                        service: "db",
                        namespace: Some("prod")
                    }
                ),
                (
                    "db-1.db",
                    DnsRef::Pod {
                        pod: "db-1",
                        service: "db",
                        namespace: None
                    }
                ),
                (
                    "db-read.prod.svc",
                    DnsRef::Service {
                        service: "db-read",
                        namespace: "prod"
                    }
                ),
            ]
        );
        assert_eq!(pod_ordinal("my-db-12"), Some(("my-db", 12)));
        assert_eq!(pod_ordinal("db-x"), None);
        assert!(resembles("prod-db", "db") && resembles("db-blue", "db") && !resembles("x", "db"));
    }

    #[test]
    fn one_affix_for_both_names() {
        // namePrefix, nameSuffix, both, or neither: the same on both names.
        assert!(same_affix(("prod-db", "prod-db-hl"), ("db", "db-hl")));
        assert!(same_affix(("db-blue", "db-hl-blue"), ("db", "db-hl")));
        assert!(same_affix(("p-db-x", "p-db-hl-x"), ("db", "db-hl")));
        assert!(same_affix(("db", "db-hl"), ("db", "db-hl")));
        // Different additions to the two names are not one transform.
        assert!(!same_affix(("prod-db", "db-hl"), ("db", "db-hl")));
        assert!(!same_affix(("db-blue", "db-hl-green"), ("db", "db-hl")));
        assert_eq!(
            affixes("prod-db-db", "db").collect::<Vec<_>>(),
            [("prod-", "-db"), ("prod-db-", "")]
        );
    }
}
