//! The bundled presets: every profile in `profiles/`, embedded at build time.

use std::sync::OnceLock;

use super::error::LoadError;
use super::node::Node;

include!(concat!(env!("OUT_DIR"), "/presets.rs"));

/// The text of a preset.
pub fn get(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// A preset's parsed tree without the keys it does not pass on ([`NOT_INHERITED`]), ready to
/// have a profile merged over it; `None` when there is no such preset.
///
/// Each preset is parsed once per process (a batch of profiles names the same few presets
/// over and over) and every caller gets its own copy: copying the tree costs a fraction of
/// parsing the text.
pub(crate) fn tree(name: &str) -> Option<Result<Node, LoadError>> {
    static TREES: OnceLock<Vec<OnceLock<Result<Node, LoadError>>>> = OnceLock::new();
    let index = PRESETS.iter().position(|(n, _)| *n == name)?;
    let trees = TREES.get_or_init(|| PRESETS.iter().map(|_| OnceLock::new()).collect());
    Some(
        trees[index]
            .get_or_init(|| parse(name, PRESETS[index].1))
            .clone(),
    )
}

fn parse(name: &str, text: &str) -> Result<Node, LoadError> {
    let file = format!("<preset {name}>");
    let mut tree = super::node::parse(&file, text.as_bytes())?
        .ok_or_else(|| LoadError::bare(format!("{file}: the preset is empty")))?;
    for path in NOT_INHERITED {
        super::merge::remove_path(&mut tree, path);
    }
    Ok(tree)
}

/// Every preset name, sorted.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// A preset's one-line description: its first comment line.
pub fn description(text: &str) -> &str {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix('#'))
        .map(str::trim)
        .unwrap_or("")
}

/// Keys of a preset that are not inherited: an installation's identity and its site
/// placement come from the user's profile.
pub const NOT_INHERITED: &[&[&str]] = &[
    &["name"],
    &["namespace"],
    &["createNamespace"],
    &["storage", "local"],
    &["storage", "className"],
];

/// A short starter profile that uses `preset`, with comments on the main knobs.
/// `None` when there is no such preset.
pub fn starter(preset: &str, name: &str) -> Option<String> {
    let text = get(preset)?;
    // The preset's own values, for the starter's defaults; a bundled preset always types.
    let tree = super::node::parse("<preset>", text.as_bytes())
        .ok()
        .flatten()?;
    let profile: super::Profile = super::de::from_node(&tree).ok()?;
    let replicas = profile.replicas.unwrap_or(1);
    let size = match &profile.storage {
        Some(super::types::StorageSpec::Persistent(s)) => s.size.clone(),
        _ => "10Gi".into(),
    };
    let mut out = format!(
        "# yaml-language-server: $schema={}
# Starter profile for the `{preset}` preset: {}
# Render it:  sts-gen render this.yaml | kubectl apply -f -
# Everything the preset sets can be overridden here (see `sts-gen render --help`).
apiVersion: sts-gen/v1
kind: Profile
preset: {preset}
name: {name}               # StatefulSet, Services and DNS names derive from it
namespace: {name}          # must exist, unless:
createNamespace: false     # true renders the Namespace (deleting the app then deletes it)
replicas: {replicas}                # pods; peer lists and identities follow it
storage:
  size: {size}             # one volume per pod
  # className: fast-ssd   # storage class; omitted means the cluster default
",
        super::types::PROFILE_SCHEMA_ID,
        description(text)
    );
    let vars: Vec<&str> = profile
        .secret
        .iter()
        .flat_map(|s| s.data.values())
        .filter_map(|src| match src {
            super::types::SecretSource::FromEnv(v) => Some(v.as_str()),
            _ => None,
        })
        .collect();
    if !vars.is_empty() {
        out.push_str(
            "# Secrets are read from the environment at render time; set before rendering:
",
        );
        for v in vars {
            out.push_str(&format!(
                "#   export {v}=...
"
            ));
        }
    }
    Some(out)
}
