//! The bundled presets: every profile in `profiles/`, embedded at build time.

include!(concat!(env!("OUT_DIR"), "/presets.rs"));

/// The text of a preset.
pub fn get(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
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
        "# Starter profile for the `{preset}` preset: {}
# Render it:  sts-gen render this.yaml | kubectl apply -f -
# Everything the preset sets can be overridden here (see `sts-gen render --help`).
apiVersion: sts-gen/v1
kind: Profile
preset: {preset}
name: {name}               # StatefulSet, Services and DNS names derive from it
namespace: {name}          # rendered as a Namespace too (createNamespace: false to skip)
replicas: {replicas}                # pods; peer lists and identities follow it
storage:
  size: {size}             # one volume per pod
  # className: fast-ssd   # storage class; omitted means the cluster default
",
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
