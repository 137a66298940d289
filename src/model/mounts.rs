//! The main container's mounts: the API server refuses two volumeMounts at one path, and
//! two written differently (`/d` and `/d/`) would shadow each other, so they compare
//! cleaned ([`names::clean_path`]).

use super::config::Config;
use super::errors::Errors;
use super::features::TLS_MOUNT;
use super::roles::SOURCE_DIR;
use super::{names, ModelSecretMount, ModelStorage, ModelWritable};
use crate::profile::types::*;

/// Compares the mounts the other checks leave out: the config files against the data volume
/// (and, in the role init container, the ConfigMap's source folder), and every mount the
/// profile places against the TLS certificate's. Writable paths and the Secret's mount are
/// compared with the others where they are built.
pub(super) fn check(
    p: &Profile,
    storage: Option<&ModelStorage>,
    config: &Config,
    secret: Option<&ModelSecretMount>,
    writable: &[ModelWritable],
    tls: bool,
    errs: &mut Errors,
) {
    let clean = names::clean_path;
    let config_mount = config.config.as_ref().map(|c| c.mount_path.as_str());
    if let (Some(c), Some(s)) = (config_mount, storage) {
        if clean(c) == clean(&s.mount_path) {
            errs.push("config.mountPath", format!("`{c}` is already storage.mountPath; the container cannot mount the config files and the data volume at one path"));
        }
    }
    // The app container's own mounts in `podTemplate` (a preset's emptyDir over the image's
    // config folder): the default config mount `/etc/<name>` landed on cassandra's
    // `/etc/cassandra` once a profile added a config file, and the API server refused it.
    if let Some(c) = config_mount {
        for (at, path) in app_template_mounts(p) {
            if clean(c) == clean(&path) {
                let (field, how) = match p.config.as_ref().and_then(|c| c.mount_path.as_ref()) {
                    Some(_) => ("config.mountPath", "choose another path"),
                    None => ("config", "it is the default config.mountPath (`/etc/<name>`): set `config.mountPath` to another path"),
                };
                errs.push(
                    field,
                    format!(
                        "the config files would mount at `{c}`, where {at} mounts already; {how}"
                    ),
                );
            }
        }
    }
    if let Some(c) = config_mount.filter(|_| config.role_init.is_some()) {
        if clean(c) == SOURCE_DIR {
            errs.push("config.mountPath", format!("`{c}` is where the role init container reads the ConfigMap; choose another path"));
        }
    }
    if !tls {
        return;
    }
    let mut placed: Vec<(String, &str)> = Vec::new();
    if let Some(s) = storage {
        placed.push(("storage.mountPath".into(), &s.mount_path));
    }
    if let Some(c) = config_mount {
        placed.push(("config.mountPath".into(), c));
    }
    if let Some(s) = secret {
        placed.push(("secret.mountPath".into(), &s.mount_path));
    }
    if let Some(Toggle::On(s)) = &p.security_context {
        for (i, path) in s.writable_paths.iter().flatten().enumerate() {
            // Only paths that became a mount (the others are reported already).
            if writable.iter().any(|w| w.path == clean(path)) {
                placed.push((format!("securityContext.writablePaths[{i}]"), path));
            }
        }
    }
    for (field, path) in placed {
        if clean(path) == TLS_MOUNT {
            errs.push(
                &field,
                format!(
                    "`{path}` is where `tls` mounts the certificate's Secret; choose another path"
                ),
            );
        }
    }
}

/// (field path, mountPath) of each volumeMount of the app container in `podTemplate`
/// (the item named like the app, or `{{ name }}`).
fn app_template_mounts(p: &Profile) -> Vec<(String, String)> {
    let containers = p
        .pod_template
        .as_ref()
        .and_then(|t| t.get("containers"))
        .and_then(serde_json::Value::as_array);
    let mut out = Vec::new();
    for (i, c) in containers.into_iter().flatten().enumerate() {
        let name = c
            .get("name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        let app = name == p.name || name.replace(' ', "") == "{{name}}";
        if !app {
            continue;
        }
        let mounts = c.get("volumeMounts").and_then(serde_json::Value::as_array);
        for (j, m) in mounts.into_iter().flatten().enumerate() {
            if let Some(path) = m.get("mountPath").and_then(serde_json::Value::as_str) {
                out.push((
                    format!("`podTemplate.containers[{i}].volumeMounts[{j}]`"),
                    path.to_string(),
                ));
            }
        }
    }
    out
}
