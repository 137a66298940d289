//! Environment variables: literal values (with text variables), Secret and ConfigMap keys,
//! and downward-API fields.

use indexmap::IndexMap;

use super::errors::Errors;
use super::text::TemplateVars;
use super::{names, ModelEnv};
use crate::profile::de::join_key;
use crate::profile::types::*;

use crate::shared::names::FIELD_PATHS;

/// Checks `env` against the Secret's keys (`secret_data`, read) and the config files.
pub(super) fn build(
    p: &Profile,
    vars: &TemplateVars,
    secret_data: &IndexMap<String, String>,
    kube_version: (u32, u32),
    errs: &mut Errors,
) -> Vec<ModelEnv> {
    let secret_spec = p.secret.clone().unwrap_or_default();
    let config_spec = p.config.clone().unwrap_or_default();
    let mut env = Vec::new();
    for (name, value) in &p.env {
        let path = join_key("env", name);
        errs.check(&path, names::env_name(name, kube_version));
        let mut e = ModelEnv {
            name: name.clone(),
            value: None,
            secret_key: None,
            config_map_key: None,
            field_path: None,
        };
        match value {
            EnvValue::Literal(v) => match vars.expand(v) {
                Ok(t) => e.value = Some(t),
                Err(msg) => errs.add(&path, msg),
            },
            EnvValue::Secret(key) => {
                if secret_spec.existing.is_none()
                    && !secret_data.contains_key(key)
                    && !secret_spec.data.contains_key(key)
                    && !secret_spec
                        .external
                        .as_ref()
                        .is_some_and(|x| x.keys.contains_key(key))
                {
                    let known: Vec<&str> = secret_spec
                        .data
                        .keys()
                        .chain(secret_spec.external.iter().flat_map(|x| x.keys.keys()))
                        .map(String::as_str)
                        .collect();
                    let hint = match crate::profile::error::did_you_mean(key, &known) {
                        Some(k) => format!("; did you mean `{k}`?"),
                        None if known.is_empty() => {
                            "; add it under secret.data or set secret.existing".into()
                        }
                        None => format!("; keys are: {}", known.join(", ")),
                    };
                    errs.push(
                        &format!("{path}.secret"),
                        format!("`{key}` is not a key of the Secret{hint}"),
                    );
                }
                e.secret_key = Some(key.clone());
            }
            EnvValue::ConfigMap(key) => {
                if !config_spec.files.contains_key(key) {
                    let known: Vec<&str> = config_spec.files.keys().map(String::as_str).collect();
                    let hint = match crate::profile::error::did_you_mean(key, &known) {
                        Some(k) => format!("; did you mean `{k}`?"),
                        None if known.is_empty() => "; config.files is empty".into(),
                        None => format!("; keys are: {}", known.join(", ")),
                    };
                    errs.push(
                        &format!("{path}.configMap"),
                        format!("`{key}` is not a key of the ConfigMap (config.files){hint}"),
                    );
                }
                e.config_map_key = Some(key.clone());
            }
            EnvValue::Field(f) => {
                let ok = FIELD_PATHS.contains(&f.as_str())
                    || ["metadata.labels['", "metadata.annotations['"]
                        .iter()
                        .any(|pre| f.starts_with(pre) && f.ends_with("']"));
                if !ok {
                    errs.push(
                        &format!("{path}.field"),
                        format!(
                            "`{f}` is not a downward-API field; use one of {}",
                            FIELD_PATHS.join(", ")
                        ),
                    );
                }
                e.field_path = Some(f.clone());
            }
        }
        env.push(e);
    }
    env
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages, vars};
    use super::*;

    #[test]
    fn each_source_and_its_errors() {
        let loaded = load("secret: {data: {password: {value: x}}}\nconfig: {files: {a.conf: x}}\nenv:\n  A: \"{{ name }}-x\"\n  B: {secret: pasword}\n  C: {configMap: a.conf}\n  D: {field: status.podIP}\n  E: {field: spec.bogus}\n");
        let sets = IndexMap::new();
        let vars = vars(&sets, None, 1);
        let data = IndexMap::from([("password".to_string(), "eA==".to_string())]);
        let mut errs = Errors::new(&loaded);
        let env = build(
            &loaded.profile,
            &vars,
            &data,
            crate::model::DEFAULT_KUBE_VERSION,
            &mut errs,
        );
        assert_eq!(env[0].value.as_deref(), Some("db-x"));
        assert_eq!(env[1].secret_key.as_deref(), Some("pasword"));
        assert_eq!(env[2].config_map_key.as_deref(), Some("a.conf"));
        assert_eq!(env[3].field_path.as_deref(), Some("status.podIP"));
        let m = messages(&errs);
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(
            m[0],
            "env.B.secret: `pasword` is not a key of the Secret; did you mean `password`?"
        );
        assert!(
            m[1].starts_with("env.E.field: `spec.bogus` is not a downward-API field"),
            "{m:?}"
        );
    }
}
