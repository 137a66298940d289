//! The Secret: its keys from values, the environment, files or `generate`; or an existing
//! Secret; or an ExternalSecret the External Secrets Operator turns into one.
//!
//! (How a `generate` value is derived is in [`super::secrets`].)

use std::path::{Component, Path, PathBuf};

use base64::Engine;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use super::errors::Errors;
use super::text::{expand_or_keep, TemplateVars};
use super::{names, secrets, ModelSecret, ModelSecretMount, Options};
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
/// Secret's name ([`expanded_name`], or the profile's name). A `fromEnv` variable that is
/// not set is a note in `notes` when [`Options::secrets_may_be_missing`], an error otherwise.
pub(super) fn build(
    loaded: &Loaded,
    opts: &Options,
    name: &str,
    namespace: Option<&str>,
    notes: &mut Vec<String>,
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
            if *len < secrets::MIN_LENGTH || *len > secrets::MAX_LENGTH {
                errs.push(
                    &join_key(&path, "generate"),
                    format!(
                        "generate takes a length from {} to {}: fewer letters and digits are guessable",
                        secrets::MIN_LENGTH,
                        secrets::MAX_LENGTH
                    ),
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
                // Checking a profile needs no seed: the value's shape is all there is to check.
                None if opts.secrets_may_be_missing => {
                    secret_data.insert(
                        key.clone(),
                        base64::engine::general_purpose::STANDARD.encode(PLACEHOLDER),
                    );
                }
                None => errs.push(&path, "a generated value must be the same on every render: render into a directory (--output-dir keeps and reuses it), or give a seed (--secret-seed-file, STS_GEN_SECRET_SEED_FILE or STS_GEN_SECRET_SEED) so every machine derives the same value"),
            }
            continue;
        }
        if let SecretSource::FromEnv(var) = source {
            if opts.secrets_may_be_missing && std::env::var_os(var).is_none() {
                let note = LoadError::new(
                    crate::profile::locate(&loaded.tree, &path).loc.clone(),
                    format!(
                        "environment variable `{var}` is not set: checked with a placeholder (render needs it; --require-secrets makes this an error)"
                    ),
                )
                .with_path(path.clone());
                notes.push(format!("note: {note}"));
                secret_data.insert(
                    key.clone(),
                    base64::engine::general_purpose::STANDARD.encode(PLACEHOLDER),
                );
                continue;
            }
        }
        match read_secret(source, loaded, opts) {
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
        external_spec(x, errs)
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
        mount: None,
    }
}

/// The ExternalSecret's `spec` for `secret.external`, its names checked.
fn external_spec(x: &ExternalSecretSpec, errs: &mut Errors) -> Json {
    errs.check(
        "secret.external.store.name",
        names::dns_subdomain(&x.store.name)
            .map_err(|e| e.prefixed(format_args!("`{}` ", x.store.name))),
    );
    if x.keys.is_empty() {
        errs.push(
            "secret.external.keys",
            "list at least one key: `keys: {password: path/in/store}`",
        );
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
    spec.insert(
        "data".into(),
        Json::Array(
            x.keys
                .iter()
                .map(|(k, r)| json!({"secretKey": k, "remoteRef": r}))
                .collect(),
        ),
    );
    Json::Object(spec)
}

/// `secret.files`: each file's contents, expanded with the text variables and
/// `{{ secret.KEY }}` (the values of `secret.data`), become keys of the Secret.
pub(super) fn files(
    loaded: &Loaded,
    vars: &TemplateVars,
    secret: &mut ModelSecret,
    errs: &mut Errors,
) {
    let spec = loaded.profile.secret.clone().unwrap_or_default();
    if spec.files.is_empty() {
        return;
    }
    if spec.existing.is_some() || spec.external.is_some() {
        errs.push("secret.files", "secret.files are keys of the Secret sts-gen renders; with `existing` or `external` no Secret is rendered");
        return;
    }
    let engine = base64::engine::general_purpose::STANDARD;
    // Decoded values: files may quote them; errors must not (they are redacted below).
    let values: std::collections::BTreeMap<String, String> = secret
        .data
        .iter()
        .filter_map(|(k, b64)| {
            let raw = engine.decode(b64).ok()?;
            Some((k.clone(), String::from_utf8(raw).ok()?))
        })
        .collect();
    // Errors are told as the same text gives them with every value replaced by the
    // placeholder, so no message can quote a value (replacing the values' text in the
    // message instead garbled it: a one-letter value starred that letter everywhere).
    let masked: std::collections::BTreeMap<&String, &str> = values
        .keys()
        .map(|k| (k, crate::shared::SECRET_PLACEHOLDER))
        .collect();
    for (name, text) in &spec.files {
        let path = join_key("secret.files", name);
        errs.check(&path, names::config_key(name));
        if spec.data.contains_key(name) {
            errs.push(
                &path,
                format!("`{name}` is also a key of secret.data; a file needs a key of its own"),
            );
            continue;
        }
        let ctx = minijinja::Value::from(minijinja::value::Serde(&values));
        match vars.expand_with(text, Some(("secret", ctx))) {
            Ok(contents) => {
                secret.data.insert(name.clone(), engine.encode(contents));
            }
            Err(_) => {
                let ctx = minijinja::Value::from(minijinja::value::Serde(&masked));
                let e = match vars.expand_with(text, Some(("secret", ctx))) {
                    Err(e) => e,
                    Ok(_) => LoadError::of(
                        ErrorKind::Value,
                        "the text fails only with the real secret values; the message is withheld so as not to show them",
                    ),
                };
                errs.add(&path, e);
            }
        }
    }
    if secret.name.is_none() {
        secret.name = Some(
            spec.name
                .clone()
                .unwrap_or_else(|| vars.cluster.to_string()),
        );
    }
    secret.render = !secret.data.is_empty();
}

/// `secret.mountPath`: the Secret as a read-only volume `secret` mounted in the main
/// container. `fs_group` is the pod's fsGroup, which owns the files (so `0440` lets the
/// app's group read them); `taken` are mount paths already used in the main container.
pub(super) fn mount(
    loaded: &Loaded,
    secret: &ModelSecret,
    fs_group: Option<i64>,
    taken: &[(&str, &str)],
    errs: &mut Errors,
) -> Option<ModelSecretMount> {
    let spec = loaded.profile.secret.clone().unwrap_or_default();
    let Some(mount_path) = &spec.mount_path else {
        for (set, field) in [
            (!spec.items.is_empty(), "secret.items"),
            (spec.default_mode.is_some(), "secret.defaultMode"),
        ] {
            if set {
                errs.push(
                    field,
                    "set secret.mountPath too: without it the Secret is not mounted",
                );
            }
        }
        return None;
    };
    errs.check("secret.mountPath", names::abs_path(mount_path));
    for (other, field) in taken {
        if names::clean_path(mount_path) == names::clean_path(other) {
            errs.push("secret.mountPath", format!("`{mount_path}` is already the mount path of {field}; mount the Secret elsewhere, such as /run/secrets/{}", loaded.profile.name));
        }
    }
    let Some(name) = &secret.name else {
        errs.push("secret.mountPath", "there is no Secret to mount: give secret.data, secret.files, secret.existing or secret.external");
        return None;
    };
    // Keys known when sts-gen renders the Secret or the ExternalSecret.
    let known: Option<Vec<String>> = if spec.existing.is_some() {
        None
    } else if let Some(x) = &spec.external {
        Some(x.keys.keys().cloned().collect())
    } else {
        Some(secret.data.keys().cloned().collect())
    };
    let default_mode = match &spec.default_mode {
        Some(m) => file_mode(loaded, "secret.defaultMode", m, errs),
        None if fs_group.is_some() => 0o440,
        None => 0o444,
    };
    let mut items = Vec::new();
    let mut paths = std::collections::BTreeSet::new();
    for (i, item) in spec.items.iter().enumerate() {
        let at = format!("secret.items[{i}]");
        if let Some(keys) = &known {
            if !keys.contains(&item.key) {
                let names: Vec<&str> = keys.iter().map(String::as_str).collect();
                let hint = match crate::profile::error::did_you_mean(&item.key, &names) {
                    Some(k) => format!("; did you mean `{k}`?"),
                    None => format!("; its keys: {}", names.join(", ")),
                };
                errs.push(
                    &format!("{at}.key"),
                    format!("`{}` is not a key of Secret `{name}`{hint}", item.key),
                );
            }
        }
        let path = item.path.clone().unwrap_or_else(|| item.key.clone());
        if path.is_empty()
            || path.starts_with('/')
            || path.split('/').any(|s| s == ".." || s.is_empty())
        {
            errs.push(
                &format!("{at}.path"),
                format!(
                    "`{path}` must be a relative path without `..` (a file under secret.mountPath)"
                ),
            );
        }
        if !paths.insert(path.clone()) {
            errs.push(
                &format!("{at}.path"),
                format!("two items are written to `{path}`"),
            );
        }
        let mut j = serde_json::Map::new();
        j.insert("key".into(), json!(item.key));
        j.insert("path".into(), json!(path));
        if let Some(m) = &item.mode {
            j.insert(
                "mode".into(),
                json!(file_mode(loaded, &format!("{at}.mode"), m, errs)),
            );
        }
        items.push(Json::Object(j));
    }
    let mut source = serde_json::Map::new();
    source.insert("secretName".into(), json!(name));
    source.insert("defaultMode".into(), json!(default_mode));
    if !items.is_empty() {
        source.insert("items".into(), Json::Array(items));
    }
    Some(ModelSecretMount {
        mount_path: mount_path.clone(),
        volume: json!({"name": super::SECRET_VOLUME, "secret": source}),
    })
}

/// A file mode as Kubernetes stores it (a number), read from the profile's text: `0440`,
/// `0o440` and `"0440"` are octal, as kubectl reads them; a number without a leading zero
/// is refused, as `440` is almost always meant as octal but would be decimal.
fn file_mode(loaded: &Loaded, path: &str, mode: &FileMode, errs: &mut Errors) -> u32 {
    let text = match mode {
        FileMode::Text(t) => t.clone(),
        FileMode::Number(n) => match &crate::profile::locate(&loaded.tree, path).value {
            crate::profile::node::Value::Scalar { text, .. } => text.clone(),
            _ => format!("{n:o}"),
        },
    };
    let digits = text
        .strip_prefix("0o")
        .or_else(|| text.strip_prefix('0').filter(|r| !r.is_empty()));
    match digits.and_then(|d| u32::from_str_radix(d, 8).ok()) {
        Some(m) if m <= 0o777 => m,
        _ => {
            errs.push(path, format!("`{text}` is not a file mode: write it in octal with a leading zero, such as 0440 (owner and group read)"));
            0o440
        }
    }
}

/// The value that stands in for a secret not in the environment while validating.
const PLACEHOLDER: &str = "sts-gen-validate-placeholder";

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
fn read_secret(
    source: &SecretSource,
    loaded: &Loaded,
    opts: &Options,
) -> Result<Vec<u8>, LoadError> {
    match source {
        SecretSource::Value(v) => Ok(v.clone().into_bytes()),
        SecretSource::Generate(_) => unreachable!("generated values are handled by the caller"),
        SecretSource::FromEnv(var) => match std::env::var_os(var) {
            // `VAR=` in a CI file or an unset pipeline variable expanded to nothing: an
            // empty password would render and be accepted by most images.
            Some(v) if v.is_empty() => Err(LoadError::of(
                ErrorKind::Value,
                format!("environment variable `{var}` is set but empty"),
            )
            .with_hint("set it to the value; an empty value on purpose is written {value: \"\"}")),
            Some(v) => Ok(v.into_encoded_bytes()),
            None => Err(LoadError::of(
                ErrorKind::Reference,
                format!(
                    "environment variable `{var}` is not set (fromEnv reads it at render time)"
                ),
            )),
        },
        SecretSource::FromFile(f) => {
            let path = from_file_path(f, &loaded.base_dir, opts.allow_outside_files)?;
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

/// The file a `fromFile` path names. It must stay inside the profile's folder (`base`):
/// a relative path, no `..` component, and no symbolic link on the way that leads out of
/// it, so a profile (say, from a pull request) cannot make a CI job put `/etc/shadow` or
/// `~/.ssh/id_ed25519` into a Secret. `--allow-outside-files` (`allow_outside`) lifts this.
/// Returns the resolved path (links followed), which is then read.
fn from_file_path(f: &str, base: &Path, allow_outside: bool) -> Result<PathBuf, LoadError> {
    let refuse = |why: String| {
        LoadError::of(ErrorKind::Value, format!("fromFile `{f}` {why}"))
            .with_hint("fromFile paths are relative to the profile's folder and stay inside it; --allow-outside-files lifts this")
    };
    let given = Path::new(f);
    if f.is_empty() {
        return Err(LoadError::of(
            ErrorKind::Value,
            "fromFile needs a file path",
        ));
    }
    let base = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    let joined = base.join(given);
    if allow_outside {
        return Ok(joined);
    }
    if given.has_root() {
        return Err(refuse("is an absolute path".into()));
    }
    if given.components().any(|c| c == Component::ParentDir) {
        return Err(refuse("goes up with `..`".into()));
    }
    // Links inside the folder are fine; where they lead is what counts. A path that does not
    // resolve (a missing file) is left to the read, which names the problem.
    match (joined.canonicalize(), base.canonicalize()) {
        (Ok(real), Ok(root)) if !real.starts_with(&root) => Err(refuse(format!(
            "leads outside the profile's folder through a symbolic link (to `{}`)",
            real.display()
        ))),
        (Ok(real), Ok(_)) => Ok(real),
        _ => Ok(joined),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages};
    use super::*;

    #[test]
    fn values_are_base64_and_generated_ones_follow_the_seed() {
        let loaded = load("secret: {data: {user: {value: app}, pw: {generate: 16}}}\n");
        let opts = Options {
            secret_seed: Some(b"seed".to_vec()),
            ..Options::default()
        };
        let mut errs = Errors::new(&loaded);
        let s = build(&loaded, &opts, "db", Some("ns"), &mut Vec::new(), &mut errs);
        assert!(errs.list.is_empty(), "{:?}", messages(&errs));
        assert_eq!(s.name.as_deref(), Some("db"));
        assert!(s.render);
        assert_eq!(s.data["user"], "YXBw");
        let again = build(&loaded, &opts, "db", Some("ns"), &mut Vec::new(), &mut errs);
        assert_eq!(again.data["pw"], s.data["pw"]);
        let other_ns = build(
            &loaded,
            &opts,
            "db",
            Some("other"),
            &mut Vec::new(),
            &mut errs,
        );
        assert_ne!(other_ns.data["pw"], s.data["pw"]);
        // Without a seed, a previous value, or permission to draw one: an error.
        build(
            &loaded,
            &Options::default(),
            "db",
            None,
            &mut Vec::new(),
            &mut errs,
        );
        assert_eq!(messages(&errs).len(), 1);
        assert!(
            messages(&errs)[0].starts_with("secret.data.pw: a generated value must be the same")
        );
    }

    #[test]
    fn a_renamed_secret_keeps_the_generated_values_of_the_directory() {
        let loaded = load("secret: {data: {pw: {generate: 24}}}\n");
        let mut opts = Options::default();
        let old = std::collections::BTreeMap::from([("pw".to_string(), "b2xk".to_string())]);
        opts.previous_secrets
            .insert("mysql-secret".into(), old.clone());
        let mut errs = Errors::new(&loaded);
        let s = build(
            &loaded,
            &opts,
            "db-secret",
            None,
            &mut Vec::new(),
            &mut errs,
        );
        assert!(errs.list.is_empty(), "{:?}", messages(&errs));
        assert_eq!(s.data["pw"], "b2xk");
        // Two Secrets there: which one was this app's is unknown, so nothing is taken.
        opts.previous_secrets.insert("other".into(), old);
        build(
            &loaded,
            &opts,
            "db-secret",
            None,
            &mut Vec::new(),
            &mut errs,
        );
        assert_eq!(messages(&errs).len(), 1, "{:?}", messages(&errs));
    }

    #[test]
    fn existing_excludes_data_and_names_no_value() {
        let loaded =
            load("secret: {existing: creds, data: {a: {fromEnv: STS_GEN_UNIT_TEST_UNSET}}}\n");
        let mut errs = Errors::new(&loaded);
        let s = build(
            &loaded,
            &Options::default(),
            "db",
            None,
            &mut Vec::new(),
            &mut errs,
        );
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
