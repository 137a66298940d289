//! Validators for the names and values Kubernetes itself constrains. Each error is of kind
//! [`ErrorKind::Value`] and says what is wrong without naming the field: callers add the
//! field path, or a prefix such as the offending name.

use super::error::{ErrorKind, LoadError};

/// A value Kubernetes would reject.
fn invalid(message: String) -> LoadError {
    LoadError::of(ErrorKind::Value, message)
}

/// Downward-API field paths Kubernetes accepts in `env[].valueFrom.fieldRef`.
pub const FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// An image reference the kubelet can pull (`[domain[:port]/]path[:tag][@alg:hex]`, the
/// distribution grammar): anything else leaves the pod in `InvalidImageName`.
pub fn image_reference(s: &str) -> Result<(), LoadError> {
    let bad = |why: &str| Err(invalid(format!("`{s}` is not an image reference: {why}")));
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let (alg, hex) = d.split_once(':').unwrap_or(("", ""));
        let alg_ok = !alg.is_empty()
            && alg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+._-".contains(&b));
        if !alg_ok || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad("a digest is `algorithm:hex`, such as sha256: and 64 hex digits");
        }
    }
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let first_ok = t
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !first_ok
            || t.len() > 128
            || !t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        {
            return bad(
                "a tag is 1 to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
            );
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    // The first part is a registry when it looks like a host (`registry.io`, `host:5000`)
    // or has a capital, which no repository may (docker's own rule).
    let host_like = |p: &str| {
        p.contains(['.', ':']) || p == "localhost" || p.bytes().any(|b| b.is_ascii_uppercase())
    };
    if parts.len() > 1 && host_like(parts[0]) {
        let host = parts.remove(0);
        // An IPv6 registry is bracketed: `[fd00::1]:5000`.
        let (h, port) = match host.strip_prefix('[').and_then(|h| h.split_once(']')) {
            Some((ip, rest)) if ip.parse::<std::net::Ipv6Addr>().is_ok() => {
                let port = rest.strip_prefix(':');
                (
                    "ipv6",
                    port.unwrap_or(if rest.is_empty() { "0" } else { "" }),
                )
            }
            _ => host.split_once(':').unwrap_or((host, "0")),
        };
        let host_ok = !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b));
        if !host_ok || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return bad("the registry is a host name with an optional `:port`");
        }
    }
    // Path parts: lower-case letters and digits, joined by `.`, `_`, `__` or dashes.
    let part_ok = |p: &str| {
        let b = p.as_bytes();
        let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        !b.is_empty()
            && alnum(b[0])
            && alnum(b[b.len() - 1])
            && b.iter().all(|&c| alnum(c) || b"._-".contains(&c))
            && !p.contains("..")
            && !p.contains("___")
            && !p.contains("._")
            && !p.contains("_.")
            && !p.contains(".-")
            && !p.contains("-.")
            && !p.contains("_-")
            && !p.contains("-_")
    };
    if !parts.iter().all(|p| part_ok(p)) {
        return bad(
            "the repository is lower-case letters and digits, joined by `/`, `.`, `_` or `-`",
        );
    }
    Ok(())
}

/// RFC 1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric.
pub fn dns_label(s: &str, max: usize) -> Result<(), LoadError> {
    if s.is_empty() {
        return Err(invalid("must not be empty".into()));
    }
    if s.len() > max {
        return Err(invalid(format!(
            "is {} characters; at most {max} are allowed",
            s.len()
        )));
    }
    let ok_chars = s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ends_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ok_chars || !ends_ok(s.bytes().next()) || !ends_ok(s.bytes().last()) {
        return Err(invalid(
            "is not a DNS-1123 label (lower-case letters, digits and `-`, starting and ending with a letter or digit)"
                .into(),
        ));
    }
    Ok(())
}

/// RFC 1035 label, the rule for Service names: an RFC 1123 label that starts with a letter
/// (the name becomes a DNS label, and the API server refuses `1db`).
pub fn dns_1035_label(s: &str, max: usize) -> Result<(), LoadError> {
    dns_label(s, max)?;
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid(
            "is not a DNS-1035 label (lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit)"
                .into(),
        ));
    }
    Ok(())
}

/// RFC 1123 subdomain as Kubernetes checks object names (IsDNS1123Subdomain): at most 253
/// characters of dot-separated parts, each lower-case letters, digits and `-`, starting and
/// ending with a letter or digit. Unlike [`dns_domain`], a part may be longer than 63: a
/// 71-character PersistentVolume name is valid.
pub fn dns_subdomain(s: &str) -> Result<(), LoadError> {
    if s.len() > 253 {
        return Err(invalid(format!(
            "is {} characters; at most 253 are allowed",
            s.len()
        )));
    }
    // Each part is a DNS-1123 label of any length the whole allows.
    if !s.split('.').all(|part| dns_label(part, 253).is_ok()) {
        return Err(invalid(
            "is not a DNS-1123 subdomain (lower-case letters, digits, `-` and `.`)".into(),
        ));
    }
    Ok(())
}

/// A DNS domain such as the cluster domain: a [`dns_subdomain`] whose every part is a DNS
/// label of at most 63 characters, as resolvers require.
#[allow(clippy::result_large_err)] // the one error type, as every validator here returns
pub fn dns_domain(s: &str) -> Result<(), LoadError> {
    dns_subdomain(s)?;
    match s.split('.').find(|p| p.len() > 63) {
        Some(p) => Err(invalid(format!(
            "has a part of {} characters (`{p}`); DNS allows at most 63",
            p.len()
        ))),
        None => Ok(()),
    }
}

/// IANA service name, the rule for container and Service port names.
pub fn port_name(s: &str) -> Result<(), LoadError> {
    if s.len() > 15 {
        return Err(invalid(format!(
            "port name `{s}` is {} characters; Kubernetes allows at most 15",
            s.len()
        )));
    }
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if !ok {
        return Err(invalid(format!(
            "port name `{s}` must be lower-case letters, digits and single `-`, with at least one letter"
        )));
    }
    Ok(())
}

/// A label or annotation key: optional DNS-subdomain prefix, `/`, name of at most 63.
pub fn qualified_name(s: &str) -> Result<(), LoadError> {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(p) = prefix {
        dns_subdomain(p).map_err(|e| invalid(format!("prefix `{p}` {e}")))?;
    }
    if name.is_empty() || name.len() > 63 || !label_value_chars(name) {
        return Err(invalid(format!(
            "`{s}` is not a valid key (name part: 1-63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric)"
        )));
    }
    Ok(())
}

/// A label value: empty, or at most 63 of `[A-Za-z0-9-_.]` starting and ending alphanumeric.
pub fn label_value(s: &str) -> Result<(), LoadError> {
    if s.is_empty() {
        return Ok(());
    }
    if s.len() > 63 || !label_value_chars(s) {
        return Err(invalid(
            "is not a valid label value (at most 63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric)"
                .into(),
        ));
    }
    Ok(())
}

fn label_value_chars(s: &str) -> bool {
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && alnum(s.bytes().next())
        && alnum(s.bytes().last())
}

/// A path segment name, Kubernetes' rule for RBAC object names (`system:node`,
/// `cert-manager-cainjector:leaderelection`): anything but `.` and `..`, without `/` or `%`.
pub fn path_segment_name(s: &str) -> Result<(), LoadError> {
    if s.is_empty() {
        return Err(invalid("must not be empty".into()));
    }
    if s == "." || s == ".." || s.contains(['/', '%']) {
        return Err(invalid(
            "is not a valid RBAC name (anything but `.` and `..`, without `/` or `%`)".into(),
        ));
    }
    Ok(())
}

/// A ConfigMap or Secret key.
pub fn config_key(s: &str) -> Result<(), LoadError> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(invalid(format!(
            "`{s}` is not a valid file/key name (letters, digits, `-`, `_`, `.`; not `.` or `..`)"
        )));
    }
    // The kubelet mounts keys beside its own `..data` and `..<timestamp>` entries, so
    // Kubernetes refuses every key that starts with `..`.
    if s.starts_with("..") {
        return Err(invalid(format!(
            "`{s}` is not a valid file/key name: Kubernetes refuses keys that start with `..` (the kubelet's `..data` entries live beside the files)"
        )));
    }
    Ok(())
}

/// A port number of `what` (`port`, `container port`, `host port`): 1 to 65535, one wording
/// wherever a port is refused (the profile's ports, sidecars, metrics, the check stage).
pub fn port_number(what: &str, n: i64) -> Result<(), LoadError> {
    if (1..=65535).contains(&n) {
        return Ok(());
    }
    Err(invalid(format!("{what} {n} is not in 1..65535")))
}

/// The first Kubernetes version whose API server accepts any printable ASCII but `=` in an
/// environment variable name (RelaxedEnvironmentVariableValidation, on by default from 1.32);
/// before, a name had to be a C identifier that may also hold `-` and `.`.
pub const RELAXED_ENV_NAMES: (u32, u32) = (1, 32);

/// An environment variable name as the API server of `kube_version` accepts it: from
/// [`RELAXED_ENV_NAMES`] any printable ASCII except `=`; before, `[-._a-zA-Z][-._a-zA-Z0-9]*`
/// (a name starting with a digit, or holding a space or `:`, is refused).
pub fn env_name(s: &str, kube_version: (u32, u32)) -> Result<(), LoadError> {
    let ok = !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'=');
    if !ok {
        return Err(invalid(format!(
            "`{s}` is not a valid environment variable name (printable ASCII without `=`)"
        )));
    }
    if kube_version < RELAXED_ENV_NAMES {
        let word = |b: u8| b.is_ascii_alphabetic() || matches!(b, b'-' | b'.' | b'_');
        let strict =
            s.bytes().next().is_some_and(word) && s.bytes().all(|b| word(b) || b.is_ascii_digit());
        if !strict {
            return Err(invalid(format!(
                "`{s}` is not a valid environment variable name for Kubernetes 1.{} (--kube-version): before 1.{} a name is letters, digits, `_`, `-` and `.`, not starting with a digit",
                kube_version.1, RELAXED_ENV_NAMES.1
            )));
        }
    }
    Ok(())
}

/// A Kubernetes resource quantity such as `500m`, `10Gi` or `1e3`; returns its value in
/// bytes/units as f64 for comparisons.
pub fn quantity(s: &str) -> Result<f64, LoadError> {
    let bad = || {
        invalid(format!(
            "`{s}` is not a Kubernetes quantity (examples: 500m, 1, 10Gi, 512Mi, 1G)"
        ))
    };
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let num_len = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, suffix) = body.split_at(num_len);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return Err(bad());
    }
    let value: f64 = num.parse().map_err(|_| bad())?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => {
            let e: i32 = exp[1..].parse().map_err(|_| bad())?;
            10f64.powi(e)
        }
        _ => return Err(bad()),
    };
    let sign = if s.starts_with('-') { -1.0 } else { 1.0 };
    Ok(sign * value * mult)
}

/// A quantity of bytes (storage, memory): [`quantity`] with a unit. A bare number is bytes to
/// Kubernetes, so `size: 10` would claim 10 bytes; it is refused unless written with an
/// exponent (`10e0`), which says "bytes" on purpose.
pub fn byte_quantity(s: &str) -> Result<f64, LoadError> {
    let v = quantity(s)?;
    if s.bytes().all(|b| b.is_ascii_digit() || b"+-.".contains(&b)) {
        let n = s.trim_start_matches('+');
        return Err(invalid(format!(
            "`{s}` has no unit, so Kubernetes reads it as {n} bytes"
        ))
        .with_hint(format!(
            "write a unit such as `{n}Gi` or `{n}Mi`; for a number of bytes on purpose write `{n}e0`"
        )));
    }
    Ok(v)
}

/// An absolute, clean path (no `..`), as Kubernetes requires for mount paths.
pub fn abs_path(s: &str) -> Result<(), LoadError> {
    if !s.starts_with('/') {
        return Err(invalid(format!("`{s}` must be an absolute path")));
    }
    if s.split('/').any(|p| p == "..") {
        return Err(invalid(format!("`{s}` must not contain `..`")));
    }
    if s.contains(':') || s.contains('\n') {
        return Err(invalid(format!("`{s}` must not contain `:` or a newline")));
    }
    Ok(())
}

/// `s` without empty or `.` segments and without a trailing `/`: `/data/`, `/data//` and
/// `/./data` are one directory to the container runtime, so mounts compare by this.
pub fn clean_path(s: &str) -> String {
    let parts: Vec<&str> = s
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(quantity("10Gi").unwrap(), 10.0 * 1024f64.powi(3));
        assert_eq!(quantity("500m").unwrap(), 0.5);
        assert_eq!(quantity("1e3").unwrap(), 1000.0);
        for bad in ["10Gb", "", "Gi", "1.2.3", "ten", "10 Gi", "1e"] {
            assert!(quantity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(dns_label("mysql-0", 63).is_ok());
        for bad in ["MySQL", "-a", "a-", "a_b", "", "a.b"] {
            assert!(dns_label(bad, 63).is_err(), "{bad}");
        }
        assert!(dns_label(&"a".repeat(53), 52).is_err());
        assert!(dns_label("1db", 63).is_ok() && dns_1035_label("1db", 63).is_err());
        assert!(dns_1035_label("db-1", 63).is_ok() && dns_1035_label("db-", 63).is_err());
        assert!(port_name("xtrabackup").is_ok());
        assert!(port_name("a-very-long-port-name").is_err());
        assert!(port_name("80").is_err());
        assert!(qualified_name("app.kubernetes.io/name").is_ok());
        assert!(qualified_name("bad key").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("a b").is_err());
        let long_part = "a".repeat(68);
        assert!(dns_subdomain(&long_part).is_ok() && dns_domain(&long_part).is_err());
        assert!(dns_subdomain(&format!("{long_part}.b")).is_ok());
        for bad in ["", "a..b", ".a", "a.", "A", "a_b", "-a.b", "a.b-"] {
            assert!(dns_subdomain(bad).is_err(), "{bad}");
        }
        assert!(
            dns_subdomain(&"a".repeat(254)).is_err() && dns_subdomain(&"a".repeat(253)).is_ok()
        );
        assert!(config_key("a..b").is_ok() && config_key(".hidden").is_ok());
        let e = config_key("..data").unwrap_err();
        assert!(e.message.contains("start with `..`"), "{}", e.message);
    }

    #[test]
    fn clean_paths() {
        for (raw, clean) in [
            ("/d", "/d"),
            ("/d/", "/d"),
            ("//d//e/", "/d/e"),
            ("/./d/.", "/d"),
            ("/", "/"),
            ("//", "/"),
        ] {
            assert_eq!(clean_path(raw), clean, "{raw}");
        }
    }
}
