//! Which ServiceAccounts may label pods, read from the RBAC objects among the manifests.
//!
//! An app that marks its leader by labelling its own pod (Vault's `vault-active`, Patroni's
//! `role`, Bitnami Redis' `isMaster`) needs the right to patch pods, and a Service selects the
//! leader by that label, which no pod template sets. Whether a selector can match is then
//! known only at run time.

use serde_json::Value as Json;

use crate::render::RenderedDoc;

/// A ServiceAccount that may patch pods: (namespace, name). A namespace of `None` is any
/// (the binding set none and lands where it is applied); a name of `*` is every account of
/// the namespace (a binding to the group `system:serviceaccounts[:NS]`).
pub type Labeller = (Option<String>, String);

/// The ServiceAccounts that RoleBindings and ClusterRoleBindings among `docs` let patch or
/// update pods.
pub fn pod_labellers(docs: &[RenderedDoc]) -> Vec<Labeller> {
    let text = |v: &'_ Json, p: &str| v.pointer(p).and_then(Json::as_str).map(str::to_string);
    let role_grants = |kind: &str, name: &str, namespace: Option<&str>| {
        // Every cluster has these, and each may update pods.
        let built_in = kind == "ClusterRole" && ["cluster-admin", "admin", "edit"].contains(&name);
        built_in
            || docs.iter().map(|d| &d.value).any(|v| {
                text(v, "/kind").as_deref() == Some(kind)
                    && text(v, "/metadata/name").as_deref() == Some(name)
                    && (kind == "ClusterRole"
                        || same_namespace(text(v, "/metadata/namespace").as_deref(), namespace))
                    && v.get("rules")
                        .and_then(Json::as_array)
                        .is_some_and(|rules| rules.iter().any(patches_pods))
            })
    };
    let mut out = Vec::new();
    for v in docs.iter().map(|d| &d.value) {
        let kind = text(v, "/kind").unwrap_or_default();
        if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
            continue;
        }
        let namespace = (kind == "RoleBinding")
            .then(|| text(v, "/metadata/namespace"))
            .flatten();
        let (Some(role_kind), Some(role)) = (text(v, "/roleRef/kind"), text(v, "/roleRef/name"))
        else {
            continue;
        };
        if !role_grants(&role_kind, &role, namespace.as_deref()) {
            continue;
        }
        for subject in v
            .get("subjects")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let name = text(subject, "/name").unwrap_or_default();
            let subject_ns = text(subject, "/namespace").or_else(|| namespace.clone());
            match text(subject, "/kind").as_deref() {
                Some("ServiceAccount") => out.push((subject_ns, name)),
                Some("Group") if name == "system:serviceaccounts" => out.push((None, "*".into())),
                Some("Group") => {
                    if let Some(ns) = name.strip_prefix("system:serviceaccounts:") {
                        out.push((Some(ns.to_string()), "*".into()));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Whether a Role's rule lets its holder patch or update pods in the core API group.
fn patches_pods(rule: &Json) -> bool {
    let has = |key: &str, wanted: &[&str]| {
        rule.get(key).and_then(Json::as_array).is_some_and(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .any(|x| wanted.contains(&x))
        })
    };
    has("apiGroups", &["", "*"])
        && has("resources", &["pods", "*"])
        && has("verbs", &["patch", "update", "*"])
}

/// Namespaces that may be one: either unset (it lands where it is applied) or equal.
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// Whether pods running as `account` in `namespace` may label themselves.
pub fn may_label(labellers: &[Labeller], namespace: Option<&str>, account: &str) -> bool {
    labellers
        .iter()
        .any(|(ns, sa)| same_namespace(ns.as_deref(), namespace) && (sa == "*" || sa == account))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(yaml: &str) -> Vec<RenderedDoc> {
        yaml.split("---\n")
            .map(|d| RenderedDoc {
                template: "t".into(),
                // Parsed here, not by lint (a later stage).
                value: serde_saphyr::from_str(d).unwrap(),
            })
            .collect()
    }

    #[test]
    fn bindings_to_roles_that_patch_pods() {
        let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: v}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get, patch]}]\n";
        let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: v}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: ServiceAccount, name: vault, namespace: v}, {kind: Group, name: 'system:serviceaccounts:w'}]\n";
        let found = pod_labellers(&docs(&format!("{role}---\n{binding}")));
        assert!(may_label(&found, Some("v"), "vault"));
        assert!(may_label(&found, Some("w"), "any"));
        assert!(!may_label(&found, Some("v"), "default"));
        // Read-only on pods, or a Role of another namespace: no labelling.
        let read_only = role.replace("get, patch", "get, list");
        assert!(pod_labellers(&docs(&format!("{read_only}---\n{binding}"))).is_empty());
        let elsewhere = role.replace("namespace: v", "namespace: x");
        assert!(pod_labellers(&docs(&format!("{elsewhere}---\n{binding}"))).is_empty());
        // Kubernetes' own `edit` role, which no manifest holds, may update pods; `view' not.
        let edit = binding.replace("kind: Role, name: r", "kind: ClusterRole, name: edit");
        assert!(may_label(&pod_labellers(&docs(&edit)), Some("v"), "vault"));
        let view = binding.replace("kind: Role, name: r", "kind: ClusterRole, name: view");
        assert!(pod_labellers(&docs(&view)).is_empty());
    }
}
