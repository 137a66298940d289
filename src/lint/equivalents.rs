//! What each lint rule corresponds to in the scanners CI runs beside sts-gen, for SARIF
//! rule metadata and docs/LINT.md: (rule, Checkov IDs, Trivy IDs, kube-linter checks).
//! Kept beside the rule table rather than in it, so the table stays one line per rule.

/// IDs in one scanner.
pub type Ids = &'static [&'static str];

/// (rule id, Checkov, Trivy, kube-linter); a rule missing here has no counterpart.
pub const EQUIVALENTS: &[(&str, Ids, Ids, Ids)] = &[
    (
        "image-tag",
        &["CKV_K8S_14", "CKV_K8S_43"],
        &["KSV-0013"],
        &["latest-tag"],
    ),
    (
        "resources",
        &["CKV_K8S_10", "CKV_K8S_12", "CKV_K8S_13"],
        &["KSV-0015", "KSV-0016", "KSV-0018"],
        &["unset-cpu-requirements", "unset-memory-requirements"],
    ),
    (
        "cpu-limit",
        &["CKV_K8S_11"],
        &["KSV-0011"],
        &["unset-cpu-requirements"],
    ),
    (
        "probes",
        &["CKV_K8S_8", "CKV_K8S_9"],
        &[],
        &["no-liveness-probe", "no-readiness-probe"],
    ),
    (
        "security-context",
        &[
            "CKV_K8S_16",
            "CKV_K8S_17",
            "CKV_K8S_18",
            "CKV_K8S_19",
            "CKV_K8S_20",
            "CKV_K8S_23",
            "CKV_K8S_28",
            "CKV_K8S_31",
            "CKV_K8S_37",
        ],
        &[
            "KSV-0001", "KSV-0003", "KSV-0008", "KSV-0009", "KSV-0010", "KSV-0012", "KSV-0017",
            "KSV-0030",
        ],
        &[
            "privilege-escalation-container",
            "privileged-container",
            "run-as-non-root",
            "host-ipc",
            "host-network",
            "host-pid",
        ],
    ),
    (
        "read-only-root",
        &["CKV_K8S_22"],
        &["KSV-0014"],
        &["no-read-only-root-fs"],
    ),
    (
        "run-as-user",
        &["CKV_K8S_40"],
        &["KSV-0020", "KSV-0021"],
        &[],
    ),
    ("anti-affinity", &[], &[], &["no-anti-affinity"]),
    (
        "namespace-set",
        &["CKV_K8S_21"],
        &["KSV-0110"],
        &["use-namespace"],
    ),
    ("selects-pods", &[], &[], &["dangling-service"]),
    ("selector", &[], &[], &["mismatching-selector"]),
];

/// A rule's (Checkov, Trivy, kube-linter) counterparts; empty lists when it has none.
pub fn equivalents(rule: &str) -> (Ids, Ids, Ids) {
    EQUIVALENTS
        .iter()
        .find(|(id, ..)| *id == rule)
        .map(|(_, c, t, k)| (*c, *t, *k))
        .unwrap_or((&[], &[], &[]))
}
