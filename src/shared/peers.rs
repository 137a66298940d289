//! Peer lists fixed at render time: text that names a StatefulSet's pods one by one through
//! their DNS names (`<sts>-<i>.<headless>`), such as etcd's initial cluster, ZooKeeper's
//! server list or Kafka's voters. Such a StatefulSet cannot be scaled by changing `replicas`
//! alone: the list would no longer match. The renderer marks it ([`ANNOTATION`]) and lint
//! compares the list with `replicas`.

use std::collections::BTreeSet;

use serde_json::Value as Json;

/// The StatefulSet annotation that marks a peer list fixed at render time.
pub const ANNOTATION: &str = "sts-gen/peers-fixed";

/// The annotation's value: what to do instead of `kubectl scale`.
pub const ANNOTATION_VALUE: &str = "change replicas through sts-gen";

/// Most texts are short; a peer list in a megabyte ConfigMap is still found, but a text
/// longer than this is not searched (a pathological input must not cost seconds).
const MAX_TEXT: usize = 4 << 20;

/// The ordinals of the pods of StatefulSet `sts` in `namespace` (`None`: any) that `text`
/// names as `<sts>-<i>.<headless>`, a whole DNS name or the start of one (followed by `.`,
/// `:`, a separator or the end). A name of another namespace (`<sts>-0.<headless>.other.svc`)
/// is another StatefulSet's pod, and one that goes on outside the cluster's names
/// (`<sts>-0.<headless>.example.com`) is no pod's.
pub fn ordinals_in(
    text: &str,
    sts: &str,
    headless: &str,
    namespace: Option<&str>,
    out: &mut BTreeSet<u64>,
) {
    // `<sts>-<i>.<headless>` needs at least this many bytes: most strings of a pod template
    // (names, paths, flags) are shorter, and are ruled out before any search.
    if text.len() > MAX_TEXT || sts.is_empty() || text.len() < sts.len() + headless.len() + 3 {
        return;
    }
    let label = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
    let bytes = text.as_bytes();
    let mut from = 0;
    // `<sts>` followed by `-`, searched without building the prefix (called for every
    // string of every pod template).
    while let Some(at) = text[from..].find(sts).map(|i| from + i) {
        from = at + sts.len();
        if bytes.get(from) != Some(&b'-') {
            continue;
        }
        from += 1;
        if at > 0 && label(bytes[at - 1]) {
            continue;
        }
        let digits = bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 5 {
            continue;
        }
        let rest = &text[from + digits..];
        let Some(after) = rest
            .strip_prefix('.')
            .and_then(|r| r.strip_prefix(headless))
        else {
            continue;
        };
        let ends_label = after
            .bytes()
            .next()
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'-'));
        if !ends_label {
            continue;
        }
        let in_namespace = match named_namespace(after) {
            None => false,
            Some(Some(ns)) => namespace.is_none_or(|n| n == ns),
            Some(None) => true,
        };
        if in_namespace {
            if let Ok(i) = text[from..from + digits].parse() {
                out.insert(i);
            }
        }
    }
}

/// The namespace a pod name's remainder (after `<pod>.<headless>`) names: `Some(None)` for
/// none (`:2380`, the end), `Some(Some(ns))` for `.ns` or `.ns.svc...`, and `None` when it
/// goes on with another domain (`.example.com`), which is not the cluster's.
fn named_namespace(after: &str) -> Option<Option<&str>> {
    let Some(rest) = after.strip_prefix('.') else {
        return Some(None);
    };
    let label_len = |t: &str| {
        t.bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .count()
    };
    let n = label_len(rest);
    if n == 0 {
        return Some(None);
    }
    let (ns, rest) = rest.split_at(n);
    match rest.strip_prefix('.') {
        Some(next) if label_len(next) > 0 => {
            (&next[..label_len(next)] == "svc").then_some(Some(ns))
        }
        _ => Some(Some(ns)),
    }
}

/// Whether any string in `value` (keys not included) satisfies `test`.
pub fn any_string(value: &Json, test: &impl Fn(&str) -> bool) -> bool {
    match value {
        Json::String(s) => test(s),
        Json::Array(items) => items.iter().any(|v| any_string(v, test)),
        Json::Object(map) => map.values().any(|v| any_string(v, test)),
        _ => false,
    }
}

/// Every string in `value` (keys not included), for [`ordinals_in`].
pub fn strings<'a>(value: &'a Json, out: &mut Vec<&'a str>) {
    match value {
        Json::String(s) => out.push(s),
        Json::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Json::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// Whether `ordinals` is a peer list for `replicas` pods: every ordinal from 0 to
/// `replicas - 1` and no other, with at least two (one name alone, such as a primary's
/// `<sts>-0.<headless>`, is an address, not a list).
pub fn is_full_list(ordinals: &BTreeSet<u64>, replicas: u64) -> bool {
    replicas >= 2 && ordinals.len() as u64 == replicas && ordinals.iter().copied().eq(0..replicas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<u64> {
        let mut out = BTreeSet::new();
        ordinals_in(text, "etcd", "etcd-hl", Some("ns"), &mut out);
        out.into_iter().collect()
    }

    #[test]
    fn a_pod_of_another_namespace_or_domain_is_not_listed() {
        assert_eq!(found("etcd-0.etcd-hl.ns.svc,etcd-1.etcd-hl.ns"), [0, 1]);
        assert!(found("etcd-4.etcd-hl.other.svc.cluster.local:2380").is_empty());
        assert!(found("etcd-5.etcd-hl.other").is_empty());
        assert!(found("https://etcd-2.etcd-hl.example.com/").is_empty());
        // The end of a sentence is not a namespace.
        assert_eq!(found("see etcd-3.etcd-hl. Then"), [3]);
        let mut any = BTreeSet::new();
        ordinals_in(
            "etcd-6.etcd-hl.other.svc",
            "etcd",
            "etcd-hl",
            None,
            &mut any,
        );
        assert_eq!(any.into_iter().collect::<Vec<_>>(), [6]);
    }

    #[test]
    fn finds_pod_dns_names_and_nothing_else() {
        assert_eq!(
            found(
                "etcd-0=http://etcd-0.etcd-hl.ns.svc:2380,etcd-1=http://etcd-1.etcd-hl.ns.svc:2380"
            ),
            [0, 1]
        );
        assert_eq!(found("server.3=etcd-2.etcd-hl:2888:3888"), [2]);
        assert_eq!(found("0@etcd-7.etcd-hl"), [7]);
        // Another StatefulSet's pods, another Service, a longer label, no ordinal.
        assert!(found("myetcd-0.etcd-hl x-etcd-1.etcd-hl").is_empty());
        assert!(found("etcd-0.etcd-hl2 etcd-0.etcd etcd-x.etcd-hl etcd-.etcd-hl").is_empty());
        assert!(found("a.etcd-0.etcd-hl").is_empty());
    }

    #[test]
    fn a_full_list_names_every_ordinal_and_at_least_two() {
        let set = |v: &[u64]| v.iter().copied().collect::<BTreeSet<u64>>();
        assert!(is_full_list(&set(&[0, 1, 2]), 3));
        assert!(!is_full_list(&set(&[0, 1, 2]), 4));
        assert!(!is_full_list(&set(&[0, 1, 3]), 3));
        assert!(!is_full_list(&set(&[0]), 1));
        assert!(!is_full_list(&set(&[0]), 3));
    }
}
