//! Config and roles: `config.files` and each role's files become the ConfigMap; with roles
//! or a `roleInit.script`, the role init container that lays them out per pod.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::json;

use super::errors::Errors;
use super::roles::{self, OrdinalRange};
use super::text::TemplateVars;
use super::{names, ModelConfig, ModelRoleInit};
use crate::profile::de::join_key;
use crate::profile::types::*;

/// The ConfigMap, the role init container and the parsed roles.
pub(super) struct Config<'p> {
    pub(super) config: Option<ModelConfig>,
    pub(super) role_init: Option<ModelRoleInit>,
    /// Each role's name and ordinal ranges, in profile order (all roles, when all parse).
    pub(super) parsed_roles: Vec<(&'p str, Vec<OrdinalRange>)>,
}

/// Checks config files and roles and builds the ConfigMap and role init container.
pub(super) fn build<'p>(
    p: &'p Profile,
    vars: &TemplateVars,
    image: &str,
    errs: &mut Errors,
) -> Config<'p> {
    let config_spec = p.config.clone().unwrap_or_default();
    let mut data: IndexMap<String, String> = IndexMap::new();
    let mut shared_files = Vec::new();
    for (file, content) in &config_spec.files {
        let path = join_key("config.files", file);
        errs.check(&path, names::config_key(file));
        reserved_file(errs, &path, file);
        match vars.expand(content) {
            Ok(text) => {
                data.insert(file.clone(), text);
            }
            Err(e) => errs.add(&path, e),
        }
        shared_files.push(file.clone());
    }
    check_peer(errs, "peer", p.peer.as_ref());
    let mut parsed_roles = Vec::new();
    let mut role_names = BTreeSet::new();
    for (i, role) in p.roles.iter().enumerate() {
        let path = format!("roles[{i}]");
        errs.check(
            &format!("{path}.name"),
            names::dns_label(&role.name, 63)
                .map_err(|e| e.prefixed(format_args!("role name `{}` ", role.name))),
        );
        if !role_names.insert(role.name.clone()) {
            errs.push(
                &format!("{path}.name"),
                format!("role `{}` is defined twice", role.name),
            );
        }
        check_peer(errs, &format!("{path}.peer"), role.peer.as_ref());
        match roles::parse_ordinals(&role.ordinals) {
            Ok(r) => parsed_roles.push((role.name.as_str(), r)),
            Err(e) => errs.add(&format!("{path}.ordinals"), e),
        }
        for (file, content) in &role.files {
            let fpath = join_key(&format!("{path}.files"), file);
            errs.check(&fpath, names::config_key(file));
            reserved_file(errs, &fpath, file);
            if config_spec.files.contains_key(file) {
                errs.push(
                    &fpath,
                    format!("`{file}` is also a shared file in config.files; the role's copy would silently replace it, so rename one of them"),
                );
            }
            let key = role_key(&role.name, file);
            if data.contains_key(&key) {
                errs.push(
                    &fpath,
                    format!("ConfigMap key `{key}` is used twice; rename the file"),
                );
            }
            match vars.expand(content) {
                Ok(text) => {
                    data.insert(key, text);
                }
                Err(e) => errs.add(&fpath, e),
            }
        }
    }
    if parsed_roles.len() == p.roles.len() && !p.roles.is_empty() {
        if let Err(e) = roles::check_cover(&parsed_roles) {
            let path = e.path.clone();
            errs.add(&path, e);
        }
    }

    let user_script = match p.role_init.as_ref().and_then(|r| r.script.as_deref()) {
        Some(s) => match vars.expand(s) {
            Ok(t) => Some(t),
            Err(e) => {
                errs.add("roleInit.script", e);
                None
            }
        },
        None => None,
    };
    let mount_path = config_spec
        .mount_path
        .clone()
        .unwrap_or_else(|| format!("/etc/{}", p.name));
    if config_spec.mount_path.is_some() {
        errs.check("config.mountPath", names::abs_path(&mount_path));
    }
    let needs_init = !p.roles.is_empty() || user_script.is_some();
    if p.role_init.as_ref().is_some_and(|r| r.image.is_some()) && !needs_init {
        errs.push("roleInit.image", "roleInit.image is set but there are no roles and no roleInit.script, so no role init container runs");
    }
    let role_init = needs_init.then(|| {
        let shared: Vec<(String, &str)> = shared_files
            .iter()
            .map(|f| (format!("shared/{f}"), f.as_str()))
            .collect();
        let shell_roles: Vec<roles::ShellRole> = p
            .roles
            .iter()
            .zip(parsed_roles.iter())
            .map(|(role, (_, ranges))| roles::ShellRole {
                name: &role.name,
                ranges,
                files: role
                    .files
                    .keys()
                    .map(|f| (format!("roles/{}/{f}", role.name), f.as_str()))
                    .collect(),
            })
            .collect();
        ModelRoleInit {
            image: p
                .role_init
                .as_ref()
                .and_then(|r| r.image.clone())
                .unwrap_or_else(|| image.to_string()),
            script: roles::init_script(&shared, &shell_roles, user_script.as_deref()),
            source_dir: roles::SOURCE_DIR,
        }
    });
    let config = (!data.is_empty() || needs_init).then(|| {
        let mut items = Vec::new();
        if needs_init {
            for f in &shared_files {
                items.push(json!({"key": f, "path": format!("shared/{f}")}));
            }
            for role in &p.roles {
                for f in role.files.keys() {
                    items.push(json!({"key": role_key(&role.name, f), "path": format!("roles/{}/{f}", role.name)}));
                }
            }
        }
        ModelConfig {
            name: p.name.clone(),
            mount_path: mount_path.clone(),
            data: data.clone(),
            items,
        }
    });
    Config {
        config,
        role_init,
        parsed_roles,
    }
}

/// The ConfigMap key holding a role's file.
pub(super) fn role_key(role: &str, file: &str) -> String {
    format!("{role}--{file}")
}

/// Files the role init container writes itself cannot be config files.
fn reserved_file(errs: &mut Errors, path: &str, file: &str) {
    if file == roles::ORDINAL_FILE || file == roles::ROLE_FILE {
        errs.push(path, format!("`{file}` is reserved: the role init container writes the pod's ordinal and role there"));
    }
}

/// A `peer` names exactly one of `clone` and `join`.
fn check_peer(errs: &mut Errors, path: &str, peer: Option<&Peer>) {
    if peer.is_some_and(|p| p.action().is_none()) {
        errs.push(
            path,
            "give exactly one of `clone` (the pod copies its data from the peer) and `join` (it joins the cluster through the peer)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages, vars};
    use super::*;

    #[test]
    fn role_files_are_keyed_by_role_and_laid_out_by_the_init_container() {
        let loaded = load("config: {files: {a.conf: \"n={{ name }}\"}}\nroles:\n  - {name: primary, ordinals: \"0\", files: {r.conf: x}}\n  - {name: replica, ordinals: 1-}\n");
        let sets = IndexMap::new();
        let mut errs = Errors::new(&loaded);
        let c = build(&loaded.profile, &vars(&sets, None, 3), "db:1", &mut errs);
        assert_eq!(messages(&errs), Vec::<String>::new());
        let config = c.config.unwrap();
        assert_eq!(
            config
                .data
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            ["a.conf=n=db", "primary--r.conf=x"]
        );
        assert_eq!(config.items.len(), 2);
        assert_eq!(config.items[1]["path"], "roles/primary/r.conf");
        assert_eq!(c.role_init.unwrap().image, "db:1");
        assert_eq!(c.parsed_roles.len(), 2);
    }

    #[test]
    fn a_role_file_shadowing_a_shared_one_and_reserved_names_are_errors() {
        let loaded = load("config: {files: {a.conf: x, pod-ordinal: y}}\nroles: [{name: r, ordinals: 0-, files: {a.conf: z}}]\nroleInit: {image: busybox:1}\n");
        let sets = IndexMap::new();
        let mut errs = Errors::new(&loaded);
        build(&loaded.profile, &vars(&sets, None, 3), "db:1", &mut errs);
        let m = messages(&errs);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("config.files.pod-ordinal: `pod-ordinal` is reserved"),
            "{m:?}"
        );
        assert!(
            m[1].starts_with("roles[0].files[\"a.conf\"]: `a.conf` is also a shared file"),
            "{m:?}"
        );
    }

    #[test]
    fn without_roles_no_init_container_runs() {
        let loaded = load("roleInit: {image: busybox:1}\n");
        let sets = IndexMap::new();
        let mut errs = Errors::new(&loaded);
        let c = build(&loaded.profile, &vars(&sets, None, 3), "db:1", &mut errs);
        assert!(c.config.is_none() && c.role_init.is_none());
        assert_eq!(messages(&errs).len(), 1);
        assert!(messages(&errs)[0].starts_with("roleInit.image: roleInit.image is set but"));
        assert_eq!(role_key("r", "f"), "r--f");
    }
}
