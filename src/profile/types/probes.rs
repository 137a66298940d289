//! Probe types: `probes` and the ports they check.

use super::*;

/// The main container's probes, merged over the defaults (TCP readiness and liveness on the
/// first port): a probe not listed keeps its default, one written `null` is removed.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probes {
    /// Whether a pod may receive traffic.
    #[serde(default)]
    pub readiness: Option<Probe>,
    /// Whether a container must be restarted.
    #[serde(default)]
    pub liveness: Option<Probe>,
    /// Holds the other probes back until the application has started.
    #[serde(default)]
    pub startup: Option<Probe>,
}

/// One probe: exactly one of `exec`, `tcp`, `http`, plus timings.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    /// Run this command (argv list) in the container; exit 0 means healthy.
    #[serde(default)]
    pub exec: Option<Vec<String>>,
    /// Open a TCP connection to this port (name or number).
    #[serde(default)]
    pub tcp: Option<PortRef>,
    /// Send an HTTP GET request; a 2xx or 3xx status means healthy.
    #[serde(default)]
    pub http: Option<HttpGet>,
    /// Seconds after the container starts before the first probe (Kubernetes default when omitted).
    #[serde(default)]
    pub initial_delay_seconds: Option<u32>,
    /// Seconds between probes (Kubernetes default when omitted).
    #[serde(default)]
    pub period_seconds: Option<u32>,
    /// Seconds a probe may take (Kubernetes default when omitted).
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// Consecutive failures after which the probe fails (Kubernetes default when omitted).
    #[serde(default)]
    pub failure_threshold: Option<u32>,
    /// Consecutive successes after which a failed probe succeeds again (Kubernetes default when
    /// omitted).
    #[serde(default)]
    pub success_threshold: Option<u32>,
}

/// An HTTP GET probe.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpGet {
    /// The request path; starts with `/`.
    pub path: String,
    /// The port, by name (one of `ports`) or number.
    pub port: PortRef,
    /// HTTP (default) or HTTPS.
    #[serde(default)]
    pub scheme: Option<HttpScheme>,
}

/// The scheme of an HTTP probe.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum HttpScheme {
    /// Plain HTTP (default).
    HTTP,
    /// HTTPS, without certificate verification.
    HTTPS,
}

/// A port by name (one of `ports`) or by number.
#[derive(Debug, Clone, PartialEq)]
pub enum PortRef {
    /// A port declared in `ports`, by name.
    Name(String),
    /// A port number.
    Number(u16),
}

impl<'de> Deserialize<'de> for PortRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PortRef;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a port name or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortRef, E> {
                Ok(PortRef::Name(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortRef, E> {
                match u16::try_from(v) {
                    Ok(p) if p > 0 => Ok(PortRef::Number(p)),
                    _ => Err(E::custom(format!("port {v} is not in 1..65535"))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortRef, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
        }
        d.deserialize_any(V)
    }
}
