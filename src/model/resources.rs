//! Resources: requests and limits (checked quantities, requests within limits), the
//! defaults, and limits derived from requests.

use indexmap::IndexMap;

use super::errors::Errors;
use super::{names, ModelResources};
use crate::profile::de::join_key;
use crate::profile::types::*;

/// Requests every app container gets unless the profile gives its own for that resource.
const DEFAULT_REQUESTS: &[(&str, &str)] = &[("cpu", "100m"), ("memory", "256Mi")];
/// The memory limit that goes with the default memory request.
const DEFAULT_MEMORY_LIMIT: &str = "256Mi";

/// The app container's requests and limits (before derived limits). A profile's
/// `resources` merge over the defaults resource by resource: `requests: {cpu: 2}` keeps the
/// default memory request and its limit. A default request above a limit the profile gives
/// is lowered to that limit (as Kubernetes defaults a missing request to the limit).
pub(super) fn build(p: &Profile, errs: &mut Errors) -> ModelResources {
    let given = p.resources.clone().unwrap_or_default();
    check(&given, "resources", errs);
    let (requests, limits) = over_defaults(&given, DEFAULT_REQUESTS, DEFAULT_MEMORY_LIMIT);
    ModelResources { requests, limits }
}

/// Checks a container's `resources` written at `path`: quantities, resource names, and
/// requests within their limits.
pub(super) fn check(given: &Resources, path: &str, errs: &mut Errors) {
    for (section, map) in [("requests", &given.requests), ("limits", &given.limits)] {
        for (k, v) in map {
            let path = join_key(&format!("{path}.{section}"), k);
            // Huge pages are memory too, named by their page size: `hugepages-2Mi`.
            let page_size = k.strip_prefix("hugepages-");
            let checked =
                if ["memory", "ephemeral-storage"].contains(&k.as_str()) || page_size.is_some() {
                    names::byte_quantity(v)
                } else {
                    names::quantity(v)
                };
            if let Err(e) = checked {
                errs.add(&path, e);
            }
            let known = ["cpu", "memory", "ephemeral-storage"].contains(&k.as_str())
                || k.contains('/')
                || page_size.is_some_and(|s| names::byte_quantity(s).is_ok());
            if !known {
                errs.push(&path, format!("unknown resource `{k}`; use cpu, memory, ephemeral-storage, hugepages-<page size> or a vendor/resource name"));
            }
        }
    }
    for (k, req) in &given.requests {
        if let (Some(lim), Ok(a)) = (given.limits.get(k), names::quantity(req)) {
            if names::quantity(lim).is_ok_and(|b| a > b) {
                errs.push(
                    &join_key(&format!("{path}.requests"), k),
                    format!("request {req} is above the limit {lim}"),
                );
            }
        }
    }
}

/// `given` merged over default requests resource by resource (`requests: {cpu: 2}` keeps
/// the default memory request and its limit), with `memory_limit` unless memory is given.
/// A default request above a limit the profile gives is lowered to that limit (as
/// Kubernetes defaults a missing request to the limit).
pub(super) fn over_defaults(
    given: &Resources,
    default_requests: &[(&str, &str)],
    memory_limit: &str,
) -> (IndexMap<String, String>, IndexMap<String, String>) {
    let mut requests = given.requests.clone();
    let mut limits = given.limits.clone();
    for (k, default) in default_requests {
        if requests.contains_key(*k) {
            continue;
        }
        let value = match given.limits.get(*k) {
            Some(lim) if below(lim, default) => lim.clone(),
            _ => (*default).to_string(),
        };
        requests.insert((*k).to_string(), value);
    }
    if !given.requests.contains_key("memory") && !limits.contains_key("memory") {
        limits.insert("memory".into(), memory_limit.into());
    }
    (requests, limits)
}

/// Whether quantity `a` is below `b` (false when either does not parse).
fn below(a: &str, b: &str) -> bool {
    matches!((names::quantity(a), names::quantity(b)), (Ok(x), Ok(y)) if x < y)
}

/// Fills missing limits from the requests: memory = the memory request, CPU = four times the
/// CPU request but at least one core.
pub(super) fn derive_limits(
    requests: &IndexMap<String, String>,
    limits: &mut IndexMap<String, String>,
) {
    if !limits.contains_key("memory") {
        if let Some(m) = requests.get("memory") {
            limits.insert("memory".into(), m.clone());
        }
    }
    if !limits.contains_key("cpu") {
        if let Some(c) = requests.get("cpu").and_then(|c| names::quantity(c).ok()) {
            limits.insert("cpu".into(), cpu_limit(c));
        }
    }
}

/// The derived CPU limit for a request of `cores`.
pub fn cpu_limit(cores: f64) -> String {
    let millis = ((cores * 4.0).max(1.0) * 1000.0).round() as u64;
    if millis % 1000 == 0 {
        format!("{}", millis / 1000)
    } else {
        format!("{millis}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_limits_are_four_requests_and_at_least_one_core() {
        assert_eq!(cpu_limit(0.1), "1");
        assert_eq!(cpu_limit(0.5), "2");
        assert_eq!(cpu_limit(0.3), "1200m");
        assert_eq!(cpu_limit(2.0), "8");
    }

    #[test]
    fn derived_limits_keep_given_ones() {
        let requests = IndexMap::from([
            ("cpu".to_string(), "500m".to_string()),
            ("memory".to_string(), "1Gi".to_string()),
        ]);
        let mut limits = IndexMap::new();
        derive_limits(&requests, &mut limits);
        assert_eq!(limits.get("memory").map(String::as_str), Some("1Gi"));
        assert_eq!(limits.get("cpu").map(String::as_str), Some("2"));
        let mut limits = IndexMap::from([("memory".to_string(), "2Gi".to_string())]);
        derive_limits(&requests, &mut limits);
        assert_eq!(limits.get("memory").map(String::as_str), Some("2Gi"));
    }
}
