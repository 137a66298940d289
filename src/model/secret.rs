//! The Secret: its keys from values, the environment, files or `generate`; or an existing
//! Secret; or an ExternalSecret the External Secrets Operator turns into one.
//!
//! (How a `generate` value is derived is in [`super::secrets`].)

use base64::Engine;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use super::errors::Errors;
use super::text::{expand_or_keep, TemplateVars};
use super::{names, secrets, ModelSecret, Options};
use crate::profile::de::join_key;
use crate::profile::types::*;
use crate::profile::Loaded;
use crate::shared::error::{ErrorKind, LoadError};

/// `secret.name` with `{{ name }}` and friends expanded, so a preset's Secret name follows
/// the installation's name (`{{ name }}-secret`); None when the profile gives none.
pub(super) fn expanded_name(p: &Profile, vars: &TemplateVars, errs: &mut Errors) -> Option<String> {
    let n = p.secret.as_ref()?.name.as_ref()?;
    Some(expand_or_keep(vars, "secret.name", n, errs))
}

/// Checks the `secret` section and reads or derives every value. `name` is the rendered
/// Secret's name ([`expanded_name`], or the profile's name).
pub(super) fn build(
    loaded: &Loaded,
    opts: &Options,
    name: &str,
    namespace: Option<&str>,
    errs: &mut Errors,
) -> ModelSecret {
    let p = &loaded.profile;
    let secret_spec = p.secret.clone().unwrap_or_default();
    let mut secret_data = IndexMap::new();
    if let Some(existing) = &secret_spec.existing {
        errs.check(
            "secret.existing",
            names::dns_subdomain(existing).map_err(|e| e.prefixed(format_args!("`{existing}` "))),
        );
        if !secret_spec.data.is_empty() {
            errs.push("secret.data", "secret.data and secret.existing exclude each other: with `existing` no Secret is rendered");
        }
        if secret_spec.name.is_some() {
            errs.push(
                "secret.name",
                "secret.name and secret.existing exclude each other",
            );
        }
    }
    let rendered_secret_name = name.to_string();
    for (key, source) in &secret_spec.data {
        let path = join_key("secret.data", key);
        errs.check(&path, names::config_key(key));
        if let SecretSource::Generate(len) = source {
            if *len == 0 || *len > secrets::MAX_LENGTH {
                errs.push(
                    &path,
                    format!("generate takes a length from 1 to {}", secrets::MAX_LENGTH),
                );
                continue;
            }
            // A directory holds one app's one Secret: when it was written under another name
            // (the mysql preset's `mysql-secret` now follows the app's name), its values
            // are still this app's, and drawing new ones would rotate a live password.
            let previous = opts
                .previous_secrets
                .get(&rendered_secret_name)
                .or_else(|| match opts.previous_secrets.len() {
                    1 => opts.previous_secrets.values().next(),
                    _ => None,
                })
                .and_then(|d| d.get(key));
            let value = match (previous, &opts.secret_seed) {
                (Some(b64), _) => Some(b64.clone()),
                (None, Some(seed)) => Some(base64::engine::general_purpose::STANDARD.encode(
                    secrets::derive(
                        seed,
                        namespace.unwrap_or(""),
                        &rendered_secret_name,
                        key,
                        *len as usize,
                    ),
                )),
                (None, None) if opts.allow_random_secrets => Some(
                    base64::engine::general_purpose::STANDARD
                        .encode(secrets::random(*len as usize)),
                ),
                (None, None) => None,
            };
            match value {
                Some(v) => {
                    secret_data.insert(key.clone(), v);
                }
                None => errs.push(&path, "a generated value must be the same on every render: render into a directory (--output-dir keeps and reuses it), or give a seed (--secret-seed-file, STS_GEN_SECRET_SEED_FILE or STS_GEN_SECRET_SEED) so every machine derives the same value"),
            }
            continue;
        }
        match read_secret(source, loaded) {
            Ok(bytes) => {
                secret_data.insert(
                    key.clone(),
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                );
            }
            Err(e) => errs.add(&path, e),
        }
    }
    let external_secret = secret_spec.external.as_ref().map(|x| {
        if !secret_spec.data.is_empty() || secret_spec.existing.is_some() {
            errs.push("secret.external", "secret.external replaces secret.data and secret.existing: the keys come from external.keys");
        }
        errs.check("secret.external.store.name", names::dns_subdomain(&x.store.name).map_err(|e| e.prefixed(format_args!("`{}` ", x.store.name))));
        if x.keys.is_empty() {
            errs.push("secret.external.keys", "list at least one key: `keys: {password: path/in/store}`");
        }
        for k in x.keys.keys() {
            errs.check(&join_key("secret.external.keys", k), names::config_key(k));
        }
        let mut spec = serde_json::Map::new();
        if let Some(r) = &x.refresh_interval {
            spec.insert("refreshInterval".into(), json!(r));
        }
        spec.insert("secretStoreRef".into(), json!({
            "name": x.store.name,
            "kind": if x.store.kind == Some(StoreKind::ClusterSecretStore) { "ClusterSecretStore" } else { "SecretStore" },
        }));
        spec.insert("data".into(), Json::Array(x.keys.iter().map(|(k, r)| json!({"secretKey": k, "remoteRef": r})).collect()));
        Json::Object(spec)
    });
    let secret_name = secret_spec.existing.clone().or_else(|| {
        (!secret_spec.data.is_empty() || secret_spec.external.is_some()).then(|| name.to_string())
    });
    if let Some(n) = secret_spec.name.as_ref().map(|_| name) {
        errs.check(
            "secret.name",
            names::dns_subdomain(n).map_err(|e| e.prefixed(format_args!("`{n}` "))),
        );
    }
    ModelSecret {
        render: secret_spec.existing.is_none() && !secret_data.is_empty(),
        external: external_secret,
        name: secret_name,
        data: secret_data,
    }
}

/// Secrets and ConfigMaps the rendered objects may refer to without rendering them:
/// `external`, `secret.existing` and the Secret an ExternalSecret creates.
pub(super) fn external_objects(p: &Profile, secret: &ModelSecret) -> super::External {
    let mut ext = super::External::default();
    if let Some(e) = &p.external {
        ext.secrets = e.secrets.clone();
        ext.config_maps = e.config_maps.clone();
    }
    let spec = p.secret.clone().unwrap_or_default();
    if let Some(existing) = &spec.existing {
        ext.secrets.push(existing.clone());
    }
    // The External Secrets Operator creates this one.
    if let (Some(n), Some(_)) = (&secret.name, &spec.external) {
        ext.secrets.push(n.clone());
    }
    ext
}

/// Reads a secret value. Errors name the source (variable, file), never the value.
fn read_secret(source: &SecretSource, loaded: &Loaded) -> Result<Vec<u8>, LoadError> {
    match source {
        SecretSource::Value(v) => Ok(v.clone().into_bytes()),
        SecretSource::Generate(_) => unreachable!("generated values are handled by the caller"),
        SecretSource::FromEnv(var) => match std::env::var_os(var) {
            Some(v) => Ok(v.into_encoded_bytes()),
            None => Err(LoadError::of(
                ErrorKind::Reference,
                format!(
                    "environment variable `{var}` is not set (fromEnv reads it at render time)"
                ),
            )),
        },
        SecretSource::FromFile(f) => {
            let path = loaded.base_dir.join(f);
            crate::shared::read_limited(&path, crate::shared::MAX_VALUE_FILE_BYTES).map_err(|e| {
                LoadError::of(
                    ErrorKind::Io,
                    format!(
                        "cannot read `{}`: {}",
                        path.display(),
                        crate::shared::io_reason(&e)
                    ),
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages};
    use super::*;

    #[test]
    fn values_are_base64_and_generated_ones_follow_the_seed() {
        let loaded = load("secret: {data: {user: {value: app}, pw: {generate: 12}}}\n");
        let opts = Options {
            secret_seed: Some(b"seed".to_vec()),
            ..Options::default()
        };
        let mut errs = Errors::new(&loaded);
        let s = build(&loaded, &opts, "db", Some("ns"), &mut errs);
        assert!(errs.list.is_empty(), "{:?}", messages(&errs));
        assert_eq!(s.name.as_deref(), Some("db"));
        assert!(s.render);
        assert_eq!(s.data["user"], "YXBw");
        let again = build(&loaded, &opts, "db", Some("ns"), &mut errs);
        assert_eq!(again.data["pw"], s.data["pw"]);
        let other_ns = build(&loaded, &opts, "db", Some("other"), &mut errs);
        assert_ne!(other_ns.data["pw"], s.data["pw"]);
        // Without a seed, a previous value, or permission to draw one: an error.
        build(&loaded, &Options::default(), "db", None, &mut errs);
        assert_eq!(messages(&errs).len(), 1);
        assert!(
            messages(&errs)[0].starts_with("secret.data.pw: a generated value must be the same")
        );
    }

    #[test]
    fn a_renamed_secret_keeps_the_generated_values_of_the_directory() {
        let loaded = load("secret: {data: {pw: {generate: 12}}}\n");
        let mut opts = Options::default();
        let old = std::collections::BTreeMap::from([("pw".to_string(), "b2xk".to_string())]);
        opts.previous_secrets
            .insert("mysql-secret".into(), old.clone());
        let mut errs = Errors::new(&loaded);
        let s = build(&loaded, &opts, "db-secret", None, &mut errs);
        assert!(errs.list.is_empty(), "{:?}", messages(&errs));
        assert_eq!(s.data["pw"], "b2xk");
        // Two Secrets there: which one was this app's is unknown, so nothing is taken.
        opts.previous_secrets.insert("other".into(), old);
        build(&loaded, &opts, "db-secret", None, &mut errs);
        assert_eq!(messages(&errs).len(), 1, "{:?}", messages(&errs));
    }

    #[test]
    fn existing_excludes_data_and_names_no_value() {
        let loaded =
            load("secret: {existing: creds, data: {a: {fromEnv: STS_GEN_UNIT_TEST_UNSET}}}\n");
        let mut errs = Errors::new(&loaded);
        let s = build(&loaded, &Options::default(), "db", None, &mut errs);
        assert_eq!(
            messages(&errs),
            [
                "secret.data: secret.data and secret.existing exclude each other: with `existing` no Secret is rendered",
                "secret.data.a: environment variable `STS_GEN_UNIT_TEST_UNSET` is not set (fromEnv reads it at render time)",
            ]
        );
        assert_eq!(s.name.as_deref(), Some("creds"));
        assert!(!s.render);
        assert_eq!(external_objects(&loaded.profile, &s).secrets, ["creds"]);
    }
}
