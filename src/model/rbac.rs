//! `rbac`: a Role with the profile's rules and a RoleBinding to the pods' ServiceAccount, for
//! apps that discover their peers through the Kubernetes API (RabbitMQ's k8s peer discovery,
//! Hazelcast, Akka); the pods then mount the account's token.

use serde::Serialize;
use serde_json::Value as Json;

use super::errors::Errors;
use super::raw::{check_k8s, expand_strings};
use super::text::TemplateVars;
use crate::profile::{locate, Loaded};

/// The Role's rules; the Role and RoleBinding are named after the ServiceAccount.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelRbac {
    /// Kubernetes PolicyRules, expanded.
    pub rules: Vec<Json>,
}

/// Checks `rbac.rules` against the Kubernetes PolicyRule type where they are written and
/// expands their strings (`resourceNames: ["{{ name }}"]`).
pub(super) fn build(loaded: &Loaded, vars: &TemplateVars, errs: &mut Errors) -> Option<ModelRbac> {
    let rbac = loaded.profile.rbac.as_ref()?;
    if rbac.rules.is_empty() {
        errs.push(
            "rbac.rules",
            "list at least one rule, such as `{apiGroups: [\"\"], resources: [endpoints], verbs: [get, list]}`, or leave `rbac` out",
        );
    }
    let mut rules = Vec::new();
    for (i, rule) in rbac.rules.iter().enumerate() {
        let path = format!("rbac.rules[{i}]");
        check_k8s::<k8s_openapi::api::rbac::v1::PolicyRule>(
            locate(&loaded.tree, &path),
            rule,
            &path,
            errs,
        );
        if rule
            .get("verbs")
            .and_then(Json::as_array)
            .is_none_or(Vec::is_empty)
        {
            errs.push(&path, "a rule needs `verbs`, such as [get, list, watch]");
        }
        let mut rule = rule.clone();
        expand_strings(&mut rule, &path, vars, errs);
        rules.push(rule);
    }
    Some(ModelRbac { rules })
}
