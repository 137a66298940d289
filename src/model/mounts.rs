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
