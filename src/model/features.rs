//! Day-2 features: `metrics` (an exporter sidecar or the engine's own endpoint, a metrics
//! Service, Service/PodMonitors, the NetworkPolicy rule) and `backup` (a CronJob running the
//! preset's backup command). Both are off unless the profile switches them on.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{json, Value as Json};

use super::errors::Errors;
use super::security::Defaults;
use super::services::METRICS_CONTAINER;
use super::text::TemplateVars;
use super::{names, raw, ModelPort};
use crate::profile::types::*;

/// Where the backup pod mounts its claim.
pub const BACKUP_DIR: &str = "/backup";
/// Where the engine's tool writes one backup (`$BACKUP_DIR` of the backup container).
const INCOMING: &str = "/backup/.incoming";
/// The image of the two small shell steps around the engine's tool.
const HELPER_IMAGE: &str = "busybox:1.37.0";
/// Empties `.incoming`: a failed earlier run may have left a partial backup there.
const PREPARE_SCRIPT: &str = "set -eu\nrm -rf /backup/.incoming\nmkdir /backup/.incoming\n";
/// Renames `.incoming` to the UTC time (a name that sorts by age) and deletes all but the newest
/// `$BACKUP_KEEP` backups. An empty `.incoming` fails the job: the tool wrote nothing.
const STORE_SCRIPT: &str = "set -eu\ncd /backup\n[ -n \"$(ls -A .incoming)\" ] || { echo 'the backup step wrote nothing' >&2; exit 1; }\nname=$(date -u +%Y%m%dT%H%M%SZ)\nmv .incoming \"$name\"\necho \"backup $name:\"; ls -l \"$name\"\nls -1d 2*Z | sort -r | tail -n +$((BACKUP_KEEP + 1)) | while read -r old; do echo \"pruned $old\"; rm -rf \"$old\"; done\n";

/// The metrics endpoint and the objects that expose it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelMetrics {
    /// The metrics Service's name (`<name>-metrics`).
    pub service_name: String,
    /// Labels of the metrics Service that the ServiceMonitor selects: the pod selector with
    /// component `metrics`, and in a node set [`NODE_SET_LABEL`].
    pub service_labels: IndexMap<String, String>,
    /// The port metrics are served on.
    pub port: u16,
    /// That port's name in the pod.
    pub port_name: String,
    /// The HTTP path.
    pub path: String,
    /// Render a ServiceMonitor.
    pub service_monitor: bool,
    /// Render a PodMonitor.
    pub pod_monitor: bool,
    /// NetworkPolicyPeers that may scrape: the app's namespace and `metrics.from`.
    pub from: Vec<Json>,
}

/// The backup CronJob.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelBackup {
    /// The CronJob's name (`<name>-backup`).
    pub name: String,
    /// Its schedule.
    pub schedule: String,
    /// The schedule's time zone (`timeZone`); None: the controller manager's.
    pub time_zone: Option<String>,
    /// The claim the backups go to.
    pub claim_name: String,
    /// The claim to render (`backup.claim`), or None with `existingClaim`.
    pub claim: Option<Json>,
    /// `prepare` (empties `.incoming`) and `backup` (the engine's tool), in order.
    pub init_containers: Vec<Json>,
    /// `store`: names the new backup by its time and keeps the newest `keep`.
    pub container: Json,
    /// The backup pod's volumes.
    pub volumes: Vec<Json>,
    /// The backup pod's affinity (`backup.affinity`, expanded).
    pub affinity: Option<Json>,
    /// The backup pod's labels: not the app's selector (no Service or StatefulSet may take
    /// it for a member); the NetworkPolicy admits it by these.
    pub pod_labels: IndexMap<String, String>,
}

/// A helper container's resources: the profile's merged over the defaults resource by
/// resource, as the app container's are (`{limits: {memory: 128Mi}}` keeps the requests).
fn resources_json(r: &Option<Resources>, default_cpu: &str, default_mem: &str) -> Json {
    let given = r.clone().unwrap_or_default();
    let defaults = [("cpu", default_cpu), ("memory", default_mem)];
    let (requests, limits) = super::resources::over_defaults(&given, &defaults, default_mem);
    json!({"requests": requests, "limits": limits})
}

fn check_resources(r: &Option<Resources>, path: &str, errs: &mut Errors) {
    let Some(r) = r else { return };
    super::resources::check(r, path, errs);
    // The check stage's API rules see the StatefulSet's containers, not the backup CronJob's.
    for (section, map) in [("requests", &r.requests), ("limits", &r.limits)] {
        for (k, v) in map {
            if names::quantity(v).is_ok_and(|q| q < 0.0) {
                errs.push(
                    &crate::profile::de::join_key(&format!("{path}.{section}"), k),
                    format!("`{v}` of `{k}` is negative; it must be 0 or more"),
                );
            }
        }
    }
}

/// Fields of a preset's partial container (`metrics.exporter`, `backup.job`) merged into the
/// container sts-gen builds: its own lists come first, the preset's after.
fn merge_container(base: &mut Json, part: Option<&Json>, path: &str, errs: &mut Errors) {
    let Some(part) = part else { return };
    let Some(part) = part.as_object() else {
        errs.push(path, "expected a mapping of container fields");
        return;
    };
    for (k, v) in part {
        if ["name", "image", "ports", "resources"].contains(&k.as_str()) {
            errs.push(
                &format!("{path}.{k}"),
                format!("`{k}` is set by sts-gen here"),
            );
            continue;
        }
        match (base.get_mut(k.as_str()), v) {
            (Some(Json::Array(mine)), Json::Array(theirs)) => mine.extend(theirs.iter().cloned()),
            _ => {
                base[k.as_str()] = v.clone();
            }
        }
    }
}

/// The metrics model and, with an `exporter`, its sidecar (expanded, without defaults yet).
pub(super) fn metrics(
    p: &Profile,
    ports: &[ModelPort],
    selector: &IndexMap<String, String>,
    vars: &TemplateVars,
    errs: &mut Errors,
) -> (Option<ModelMetrics>, Option<Json>) {
    let Some(m) = p.metrics.as_ref().filter(|m| m.enabled == Some(true)) else {
        return (None, None);
    };
    let path = m.path.clone().unwrap_or_else(|| "/metrics".into());
    if !path.starts_with('/') {
        errs.push("metrics.path", "an HTTP path starts with `/`");
    }
    for (i, ns) in m.from.iter().enumerate() {
        errs.check(
            &format!("metrics.from[{i}]"),
            names::dns_label(ns, 63).map_err(|e| e.prefixed(format_args!("namespace `{ns}` "))),
        );
    }
    check_resources(&m.resources, "metrics.resources", errs);
    let Some(port) = m.port else {
        errs.push("metrics", "missing `port`: the port metrics are served on");
        return (None, None);
    };
    let mut sidecar = None;
    let port_name = if m.exporter.is_some() {
        if ports.iter().any(|x| x.port == port) {
            errs.push(
                "metrics.port",
                format!("port {port} is the app container's; the exporter shares the pod's network, so it needs a port of its own"),
            );
        }
        // The exporter shares the pod's network with the sidecars: one of them binding the
        // port leaves the other crash-looping on `address already in use`.
        for (at, what, c) in super::services::running_containers(p) {
            let list = c.get("ports").and_then(Json::as_array);
            for (j, x) in list.into_iter().flatten().enumerate() {
                let protocol = x.get("protocol").and_then(Json::as_str).unwrap_or("TCP");
                if x.get("containerPort").and_then(Json::as_i64) == Some(i64::from(port))
                    && protocol == "TCP"
                {
                    let name = c.get("name").and_then(Json::as_str).unwrap_or("");
                    errs.push(
                        "metrics.port",
                        format!("port {port}/TCP is already {at}.ports[{j}] ({what} `{name}`); the exporter shares the pod's network, so it needs a port of its own"),
                    );
                }
            }
        }
        if p.sidecars
            .iter()
            .any(|s| s.get("name").and_then(Json::as_str) == Some(METRICS_CONTAINER))
        {
            errs.push(
                "metrics",
                format!("a sidecar is already named `{METRICS_CONTAINER}`"),
            );
        }
        let Some(image) = m.image.clone() else {
            errs.push("metrics", "missing `image`: the exporter's image");
            return (None, None);
        };
        let probe = |period: u32| {
            json!({"httpGet": {"path": path, "port": "metrics"},
                                          "periodSeconds": period, "timeoutSeconds": 5})
        };
        if port < 1024 {
            errs.push(
                "metrics.port",
                format!("port {port} is privileged; the exporter runs without privileges: use 1024 or above"),
            );
        }
        let mut c = json!({
            "name": METRICS_CONTAINER,
            "image": image,
            // The presets' exporters listen on `:$(METRICS_PORT)`, so `metrics.port` moves the
            // listener with the port, the probes and the Service.
            "env": [{"name": "METRICS_PORT", "value": port.to_string()}],
            "ports": [{"name": "metrics", "containerPort": port, "protocol": "TCP"}],
            "resources": resources_json(&m.resources, "50m", "64Mi"),
            "readinessProbe": probe(10),
            "livenessProbe": probe(20),
        });
        merge_container(&mut c, m.exporter.as_ref(), "metrics.exporter", errs);
        raw::expand_strings(&mut c, "metrics.exporter", vars, errs);
        sidecar = Some(c);
        "metrics".to_string()
    } else {
        match ports.iter().find(|x| x.port == port) {
            Some(x) => x.name.clone(),
            None => {
                errs.push("metrics.port", format!("port {port} is not one of the app's ports; without `exporter` the engine must serve the metrics on one of them"));
                return (None, None);
            }
        }
    };
    let mut from = vec![json!({"podSelector": {}})];
    from.extend(m.from.iter().map(
        |ns| json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}),
    ));
    let mut service_labels = selector.clone();
    // In a node set the component label names the set; the metrics Service trades it for
    // `metrics`, so the set moves to its own label: otherwise every set's ServiceMonitor
    // selects every set's metrics Service and each pod is scraped once per set.
    let set = service_labels.insert("app.kubernetes.io/component".into(), "metrics".into());
    if let Some(set) = set {
        service_labels.insert(NODE_SET_LABEL.into(), set);
    }
    let model = ModelMetrics {
        service_name: format!("{}-metrics", p.name),
        service_labels,
        port,
        port_name,
        path,
        service_monitor: m.service_monitor.unwrap_or(false),
        pod_monitor: m.pod_monitor.unwrap_or(false),
        from,
    };
    (Some(model), sidecar)
}

/// A cron schedule of five fields (or `@daily` and friends) without a time zone in it, and
/// `timeZone` shaped like an IANA name (the controller manager knows which exist).
fn check_schedule(schedule: &str, time_zone: Option<&str>, errs: &mut Errors) {
    if schedule.contains("TZ=") {
        errs.push(
            "backup.schedule",
            "a time zone in the schedule is refused by Kubernetes; set `backup.timeZone`",
        );
    } else if let Some(why) = super::cron::schedule_problem(schedule) {
        errs.push(
            "backup.schedule",
            format!("`{schedule}` is not a cron schedule: {why}"),
        );
    }
    if let Some(tz) = time_zone {
        let ok = !tz.is_empty()
            && tz.split('/').all(|part| {
                !part.is_empty()
                    && part != ".."
                    && part
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"_+-.".contains(&c))
            });
        if !ok {
            errs.push(
                "backup.timeZone",
                format!("`{tz}` is not a time zone name (an IANA name such as `Europe/Berlin` or `UTC`)"),
            );
        }
    }
}

/// The backup CronJob's model; None unless `backup.schedule` is set.
pub(super) fn backup(
    p: &Profile,
    image: &str,
    replicas: u32,
    headless: &str,
    vars: &TemplateVars,
    defaults: &Defaults,
    errs: &mut Errors,
) -> Option<ModelBackup> {
    let b = p.backup.as_ref()?;
    let schedule = b.schedule.clone()?;
    check_schedule(&schedule, b.time_zone.as_deref(), errs);
    if let Some(why) = &b.unsupported {
        errs.push("backup.schedule", why.trim().to_string());
        return None;
    }
    if b.job.is_none() {
        errs.push(
            "backup",
            "missing `job`: the backup command (the presets set it)",
        );
        return None;
    }
    check_resources(&b.resources, "backup.resources", errs);
    let name = format!("{}-backup", p.name);
    // The Job controller appends 11 characters to a CronJob's name; Kubernetes caps it at 52.
    if name.len() > 52 {
        errs.push(
            "backup",
            format!("the CronJob name `{name}` is longer than 52 characters; shorten `name`"),
        );
    }
    let (claim_name, claim) = match (&b.claim, &b.existing_claim) {
        (Some(_), Some(_)) => {
            errs.push("backup", "set `claim` or `existingClaim`, not both");
            return None;
        }
        (None, None) => {
            errs.push(
                "backup",
                "missing `claim: {size}` or `existingClaim`: where backups go",
            );
            return None;
        }
        (None, Some(n)) => {
            errs.check("backup.existingClaim", names::dns_subdomain(n));
            (n.clone(), None)
        }
        (Some(c), None) => {
            errs.check("backup.claim.size", names::quantity(&c.size).map(|_| ()));
            let mut spec = json!({"accessModes": ["ReadWriteOnce"],
                                  "resources": {"requests": {"storage": c.size}}});
            if let Some(cls) = &c.class_name {
                spec["storageClassName"] = json!(cls);
            }
            (name.clone(), Some(spec))
        }
    };
    let keep = b.keep.unwrap_or(7);
    if keep == 0 {
        errs.push("backup.keep", "keep at least one backup");
    }
    // The member a backup reads from: the last ordinal, a replica wherever there is one.
    let host = format!("{}-{}.{}", p.name, replicas.saturating_sub(1), headless);
    let derive = p.default_limits.unwrap_or(true);
    // The pod's security context, but not its writable emptyDirs: this pod has its own.
    let own = Defaults {
        pod: None,
        container: defaults.container.clone(),
        writable: vec![],
        network_policy: None,
    };
    let mut c = json!({
        "name": "backup",
        "image": b.image.clone().unwrap_or_else(|| image.to_string()),
        "env": [
            {"name": "BACKUP_DIR", "value": INCOMING},
            {"name": "BACKUP_HOST", "value": host},
        ],
        "resources": resources_json(&b.resources, "100m", "256Mi"),
        "volumeMounts": [{"name": "backup", "mountPath": BACKUP_DIR}, {"name": "tmp", "mountPath": "/tmp"}],
    });
    merge_container(&mut c, b.job.as_ref(), "backup.job", errs);
    raw::expand_strings(&mut c, "backup.job", vars, errs);
    super::security::apply_container_defaults(&mut c, &own, derive);
    // The engine's tool writes into an emptied `.incoming` (the engine images may have no
    // shell: etcd's is distroless); `store` then names it by time and prunes, with busybox.
    let shell = |name: &str, script: &str| {
        let mut x = json!({
            "name": name,
            "image": b.helper_image.clone().unwrap_or_else(|| HELPER_IMAGE.to_string()),
            "command": ["sh", "-c", script],
            "env": [{"name": "BACKUP_KEEP", "value": keep.to_string()}],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
            "volumeMounts": [{"name": "backup", "mountPath": BACKUP_DIR}],
        });
        super::security::apply_container_defaults(&mut x, &own, derive);
        x
    };
    let prepare = shell("prepare", PREPARE_SCRIPT);
    let store = shell("store", STORE_SCRIPT);
    let mut volumes = vec![
        json!({"name": "backup", "persistentVolumeClaim": {"claimName": claim_name}}),
        json!({"name": "tmp", "emptyDir": {}}),
    ];
    for (i, v) in b.volumes.iter().enumerate() {
        let mut v = v.clone();
        raw::expand_strings(&mut v, &format!("backup.volumes[{i}]"), vars, errs);
        member_claim(p, &v, vars, errs);
        volumes.push(v);
    }
    let affinity = b.affinity.as_ref().map(|a| {
        let mut a = a.clone();
        raw::expand_strings(&mut a, "backup.affinity", vars, errs);
        a
    });
    Some(ModelBackup {
        name: name.clone(),
        schedule,
        time_zone: b.time_zone.clone(),
        claim_name,
        claim,
        init_containers: vec![prepare, c],
        container: store,
        volumes,
        affinity,
        pod_labels: IndexMap::from([
            ("app.kubernetes.io/name".to_string(), name.clone()),
            ("app.kubernetes.io/part-of".to_string(), p.name.clone()),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "sts-gen".to_string(),
            ),
        ]),
    })
}

/// A backup volume of a member's claim (`{{ claimName }}-{{ name }}-N`, as the zookeeper
/// preset reads the last member's data) needs that claim to exist: with `storage: none`, or
/// an ordinal the replicas do not reach, the job's pod would wait for it forever.
fn member_claim(p: &Profile, volume: &Json, vars: &TemplateVars, errs: &mut Errors) {
    let prefix = format!("{}-{}-", vars.claim_name, p.name);
    let Some(ordinal) = volume
        .pointer("/persistentVolumeClaim/claimName")
        .and_then(Json::as_str)
        .and_then(|c| c.strip_prefix(&prefix))
    else {
        return;
    };
    let claim = format!("{prefix}{ordinal}");
    if !matches!(p.storage, Some(StorageSpec::Persistent(_))) {
        errs.push(
            "storage",
            format!("the backup job reads the member claim `{claim}`, but without persistent storage no claim is rendered: set `storage.size` or turn the backup off"),
        );
        return;
    }
    // `{{ replicas - 1 }}` with 0 replicas is `-1`: no member at all.
    let needed = ordinal.parse::<u32>().map_or(1, |n| n.saturating_add(1));
    if vars.replicas < needed {
        errs.push(
            "replicas",
            format!("the backup job reads the member claim `{claim}`, which {} replicas do not have: scale to at least {needed} or turn the backup off", vars.replicas),
        );
    }
}

/// The label that names a node set's metrics Service's set (its component label is `metrics`).
pub const NODE_SET_LABEL: &str = "sts-gen/node-set";

/// The most pods a Certificate names one by one; more get wildcard names.
const MAX_NAMED_PODS: u32 = 32;

/// Where the TLS Secret is mounted in the main container and the backup job.
pub const TLS_MOUNT: &str = "/etc/tls";

/// `tls`: the Secret with the certificate and, with an issuer, the Certificate for it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelTls {
    /// The Secret (`tls.crt`, `tls.key`, `ca.crt`).
    pub secret_name: String,
    /// Where it is mounted.
    pub mount_path: &'static str,
    /// The cert-manager Certificate's name and spec, with `issuer`.
    pub certificate: Option<Json>,
}

/// The TLS model; None unless `tls.issuer` or `tls.secretName` is set.
pub(super) fn tls(
    p: &Profile,
    namespace: Option<&str>,
    cluster_domain: &str,
    replicas: u32,
    headless: &str,
    services: &[String],
    errs: &mut Errors,
) -> Option<ModelTls> {
    let t = p.tls.as_ref()?;
    match (&t.issuer, &t.secret_name) {
        (None, None) => None,
        (Some(_), Some(_)) => {
            errs.push("tls", "set `issuer` or `secretName`, not both");
            None
        }
        (None, Some(s)) => {
            errs.check("tls.secretName", names::dns_subdomain(s));
            Some(ModelTls {
                secret_name: s.clone(),
                mount_path: TLS_MOUNT,
                certificate: None,
            })
        }
        (Some(issuer), None) => {
            errs.check("tls.issuer", names::dns_subdomain(issuer));
            let secret_name = format!("{}-tls", p.name);
            // Every form a client may use: each pod's headless name and each Service's, from
            // the fully qualified one down to the bare name.
            // The names are qualified by the namespace: without one, the objects land in
            // whatever namespace kubectl uses, which no name here could match.
            let Some(ns) = namespace else {
                errs.push("tls.issuer", "the Certificate names each pod as <pod>.<headless>.<namespace>.svc, so it needs the namespace: set `namespace` or pass -n");
                return None;
            };
            let forms = |host: &str| {
                vec![
                    format!("{host}.{ns}.svc.{cluster_domain}"),
                    format!("{host}.{ns}.svc"),
                    format!("{host}.{ns}"),
                    host.to_string(),
                ]
            };
            // Past a few dozen pods, one wildcard per form: a certificate listing each pod
            // grows with the replicas (20,000 names at 5,000), past what TLS stacks take
            // in a handshake (OpenSSL's default: 100 KiB of certificates).
            let mut dns: Vec<String> = match replicas > MAX_NAMED_PODS {
                true => forms(&format!("*.{headless}")),
                false => (0..replicas)
                    .flat_map(|i| forms(&format!("{}-{i}.{headless}", p.name)))
                    .collect(),
            };
            for s in services {
                dns.extend(forms(s));
            }
            dns.push("localhost".into());
            let kind = match t.issuer_kind {
                Some(IssuerKind::ClusterIssuer) => "ClusterIssuer",
                _ => "Issuer",
            };
            let spec = json!({
                "secretName": secret_name,
                "issuerRef": {"name": issuer, "kind": kind, "group": "cert-manager.io"},
                "dnsNames": dns,
                "ipAddresses": ["127.0.0.1"],
                // Members present the same certificate to each other (peer TLS).
                "usages": ["server auth", "client auth", "digital signature", "key encipherment"],
                // PKCS#8: the one encoding every engine here reads (ZooKeeper's PEM key store,
                // Kafka's PEM keystore and Cassandra's PEM factory read no other; cert-manager's
                // default for ECDSA is SEC1, `EC PRIVATE KEY`).
                "privateKey": {"algorithm": "ECDSA", "size": 256, "encoding": "PKCS8", "rotationPolicy": "Always"},
            });
            Some(ModelTls {
                secret_name: secret_name.clone(),
                mount_path: TLS_MOUNT,
                certificate: Some(json!({"name": secret_name, "spec": spec})),
            })
        }
    }
}

/// The backup job talks to the members as a client: it gets the TLS Secret too.
fn mount_tls(b: &mut ModelBackup, t: &ModelTls) {
    b.volumes
        .push(json!({"name": "tls", "secret": {"secretName": t.secret_name}}));
    if let Some(mounts) = b.init_containers[1]
        .get_mut("volumeMounts")
        .and_then(Json::as_array_mut)
    {
        mounts.push(json!({"name": "tls", "mountPath": TLS_MOUNT, "readOnly": true}));
    }
}

/// The day-2 features of the model; each None when off.
#[derive(Debug, Clone, Serialize)]
pub struct Day2 {
    /// `metrics`: the endpoint and what exposes it.
    pub metrics: Option<ModelMetrics>,
    /// `backup`: the CronJob.
    pub backup: Option<ModelBackup>,
    /// `tls`: the certificate's Secret (and Certificate).
    pub tls: Option<ModelTls>,
}

/// Builds the features; the exporter sidecar joins the raw sidecars with the same defaults,
/// and the backup job gets the TLS Secret when both are on.
pub(super) fn build(
    p: &Profile,
    vars: &TemplateVars,
    ports: &[ModelPort],
    selector: &IndexMap<String, String>,
    services: &super::ModelServices,
    defaults: &Defaults,
    raw: &mut super::raw::Raw,
    errs: &mut Errors,
) -> Day2 {
    let (metrics, exporter) = metrics(p, ports, selector, vars, errs);
    if let Some(mut c) = exporter {
        super::security::apply_container_defaults(
            &mut c,
            defaults,
            p.default_limits.unwrap_or(true),
        );
        raw.sidecars.push(c);
    }
    // Every name a client may connect by: the extra Services (a LoadBalancer's is often
    // the main one) and, with node sets, the client Service over every set's pods.
    let service_names: Vec<String> = std::iter::once(services.headless.name.clone())
        .chain(services.read.iter().map(|r| r.name.clone()))
        .chain(services.primary.iter().map(|r| r.name.clone()))
        .chain(services.extra.iter().map(|r| r.name.clone()))
        .chain(errs.loaded.set.as_ref().map(|s| s.cluster.clone()))
        .collect();
    let tls = tls(
        p,
        vars.namespace,
        vars.cluster_domain,
        vars.replicas,
        vars.headless,
        &service_names,
        errs,
    );
    let mut backup = backup(
        p,
        vars.image,
        vars.replicas,
        vars.headless,
        vars,
        defaults,
        errs,
    );
    if let (Some(b), Some(t)) = (&mut backup, &tls) {
        mount_tls(b, t);
    }
    Day2 {
        metrics,
        backup,
        tls,
    }
}

/// `external` plus the Secret `tls.secretName` names (managed elsewhere; the pods mount it).
pub(super) fn with_external(
    mut external: super::External,
    tls: &Option<ModelTls>,
) -> super::External {
    if let Some(t) = tls.as_ref().filter(|t| t.certificate.is_none()) {
        external.secrets.push(t.secret_name.clone());
    }
    external
}
