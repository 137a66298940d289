//! Day-2 features (`metrics`, `backup`): rendered through the CLI with the presets, asserting
//! the objects each feature adds, that an off feature adds nothing, and located errors.

mod common;

use common::{all, one, run, sts_gen};
use serde_json::Value;

const SEED: &str = "day2-test-seed-0123456789abcdef";

fn render(text: &str, sets: &[&str]) -> Vec<Value> {
    let mut cmd = sts_gen();
    cmd.args(["render", "-"])
        .env("STS_GEN_SECRET_SEED", SEED)
        .env("MYSQL_ROOT_PASSWORD", "root-pw")
        .env("POSTGRES_PASSWORD", "su-pw")
        .env("POSTGRES_REPLICATION_PASSWORD", "repl-pw")
        .env("REDIS_PASSWORD", "redis-pw");
    for s in sets {
        cmd.args(["--set", s]);
    }
    common::json_items(cmd.write_stdin(text.as_bytes().to_vec()))
}

fn preset(p: &str, name: &str) -> String {
    format!("apiVersion: sts-gen/v1\nkind: Profile\npreset: {p}\nname: {name}\nnamespace: ns\n")
}

/// Renders `text` expecting it refused as bad input (exit 2, nothing on stdout); its stderr.
fn refused(text: &str) -> String {
    let r = run(sts_gen()
        .args(["render", "-"])
        .write_stdin(text.as_bytes().to_vec()));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    r.stderr
}

fn containers(items: &[Value]) -> Vec<Value> {
    one(items, "StatefulSet")["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .clone()
}

fn container<'a>(cs: &'a [Value], name: &str) -> &'a Value {
    cs.iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

#[test]
fn off_by_default_adds_nothing() {
    for p in ["etcd", "mysql", "postgresql", "redis", "zookeeper", "web"] {
        let off = render(&preset(p, "a"), &[]);
        let explicit = render(&preset(p, "a"), &["metrics.enabled=false"]);
        assert_eq!(
            off, explicit,
            "{p}: metrics.enabled=false changed the output"
        );
        assert!(all(&off, "CronJob").is_empty() && all(&off, "ServiceMonitor").is_empty());
        assert!(
            !containers(&off).iter().any(|c| c["name"] == "metrics"),
            "{p}"
        );
    }
}

#[test]
fn exporter_sidecar_service_monitor_and_policy() {
    let items = render(
        &preset("mysql", "shop"),
        &[
            "metrics.enabled=true",
            "metrics.serviceMonitor=true",
            "metrics.podMonitor=true",
            "metrics.from=[monitoring]",
        ],
    );
    let cs = containers(&items);
    let m = container(&cs, "metrics");
    assert_eq!(m["ports"][0]["containerPort"], 9104);
    assert_eq!(m["readinessProbe"]["httpGet"]["port"], "metrics");
    assert_eq!(m["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(m["securityContext"]["capabilities"]["drop"][0], "ALL");
    assert!(m["resources"]["limits"]["memory"].is_string());
    // Its own Secret mount holds the exporter's password and nothing else.
    let vols = one(&items, "StatefulSet")["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .clone();
    let mount = m["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["mountPath"] == "/run/secrets/metrics")
        .unwrap();
    let vol = vols.iter().find(|v| v["name"] == mount["name"]).unwrap();
    assert_eq!(
        vol["secret"]["items"],
        serde_json::json!([{"key": "exporter-password", "path": "password"}])
    );
    let secret = one(&items, "Secret");
    assert!(secret["data"]["exporter-password"].is_string());
    // The metrics Service, and the ServiceMonitor selecting exactly it.
    let svc = all(&items, "Service")
        .into_iter()
        .find(|s| s["metadata"]["name"] == "shop-metrics")
        .unwrap();
    assert_eq!(svc["spec"]["ports"][0]["port"], 9104);
    let sm = one(&items, "ServiceMonitor");
    assert_eq!(sm["apiVersion"], "monitoring.coreos.com/v1");
    for (k, v) in sm["spec"]["selector"]["matchLabels"].as_object().unwrap() {
        assert_eq!(&svc["metadata"]["labels"][k], v, "ServiceMonitor label {k}");
    }
    let others = all(&items, "Service")
        .into_iter()
        .filter(|s| s["metadata"]["name"] != "shop-metrics");
    for s in others {
        assert_ne!(
            s["metadata"]["labels"]["app.kubernetes.io/component"],
            "metrics"
        );
    }
    assert_eq!(
        one(&items, "PodMonitor")["spec"]["podMetricsEndpoints"][0]["port"],
        "metrics"
    );
    let np = one(&items, "NetworkPolicy");
    let rule = np["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ports"][0]["port"] == 9104)
        .expect("a rule for the metrics port");
    assert_eq!(
        rule["from"][1]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "monitoring"
    );
}

#[test]
fn builtin_endpoint_has_no_sidecar() {
    let items = render(
        &preset("etcd", "kv"),
        &["metrics.enabled=true", "metrics.serviceMonitor=true"],
    );
    assert!(!containers(&items).iter().any(|c| c["name"] == "metrics"));
    let svc = all(&items, "Service")
        .into_iter()
        .find(|s| s["metadata"]["name"] == "kv-metrics")
        .unwrap();
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], "metrics");
    assert_eq!(svc["spec"]["ports"][0]["port"], 2381);
}

#[test]
fn backup_cronjob() {
    let items = render(
        &preset("postgresql", "orders"),
        &[
            "replicas=3",
            "backup.schedule=0 3 * * *",
            "backup.claim.size=5Gi",
            "backup.keep=4",
        ],
    );
    let cj = one(&items, "CronJob");
    assert_eq!(cj["spec"]["concurrencyPolicy"], "Forbid");
    let pod = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let names: Vec<&str> = pod["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["prepare", "backup"]);
    let b = &pod["initContainers"][1];
    let env = |n: &str| {
        b["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == n)
            .map(|e| e["value"].clone())
    };
    assert_eq!(env("BACKUP_HOST").unwrap(), "orders-2.orders");
    assert_eq!(pod["containers"][0]["env"][0]["value"], "4");
    // The backup pod is not a member: no Service or the StatefulSet selects it.
    let labels = &cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"];
    assert_ne!(labels["app.kubernetes.io/name"], "orders");
    let pvc = one(&items, "PersistentVolumeClaim");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "5Gi");
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        pvc["metadata"]["name"]
    );
    // The NetworkPolicy lets the backup pod reach the members.
    let np = one(&items, "NetworkPolicy");
    assert!(np["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["from"][0]["podSelector"]["matchLabels"] == *labels));
}

#[test]
fn bad_feature_input_is_located() {
    let text = format!(
        "{}metrics: {{enabled: true, port: 9999}}\n",
        preset("etcd", "kv")
    );
    let err = refused(&text);
    assert!(err.contains("<stdin>:6:") || err.contains(":6:"), "{}", err);
    assert!(err.contains("metrics.port"), "{}", err);
    let text = format!(
        "{}backup: {{schedule: \"0 3 * * *\", claim: {{size: 1Gi}}, existingClaim: x}}\n",
        preset("etcd", "kv")
    );
    let err = refused(&text);
    assert!(err.contains("not both"), "{}", err);
    let text = format!(
        "{}backup: {{schedule: \"every day\", claim: {{size: 1Gi}}}}\n",
        preset("etcd", "kv")
    );
    let err = refused(&text);
    assert!(err.contains("backup.schedule"), "{}", err);
}

#[test]
fn backup_time_zone_is_the_cronjobs_and_checked() {
    let items = render(
        &preset("postgresql", "orders"),
        &[
            "backup.schedule=30 2 * * *",
            "backup.timeZone=Europe/Berlin",
            "backup.claim.size=5Gi",
        ],
    );
    let cj = one(&items, "CronJob");
    assert_eq!(cj["spec"]["timeZone"], "Europe/Berlin");
    assert_eq!(cj["spec"]["schedule"], "30 2 * * *");
    // Without it, the controller manager's zone: no field at all.
    let items = render(
        &preset("postgresql", "orders"),
        &["backup.schedule=30 2 * * *", "backup.claim.size=5Gi"],
    );
    assert!(one(&items, "CronJob")["spec"].get("timeZone").is_none());
    for (line, field, message) in [
        (
            "timeZone: \"Europe/../etc\"",
            "backup.timeZone",
            "not a time zone name",
        ),
        (
            "timeZone: \"Mars Base\"",
            "backup.timeZone",
            "not a time zone name",
        ),
        (
            "schedule: \"CRON_TZ=UTC 0 3 * * *\"",
            "backup.schedule",
            "set `backup.timeZone`",
        ),
    ] {
        let schedule = if line.starts_with("schedule") {
            String::new()
        } else {
            "schedule: \"0 3 * * *\", ".into()
        };
        let text = format!(
            "{}backup: {{{schedule}claim: {{size: 1Gi}}, {line}}}\n",
            preset("etcd", "kv")
        );
        let err = refused(&text);
        assert!(err.contains(":6:"), "{line}: {}", err);
        assert!(err.contains(field), "{line}: {}", err);
        assert!(err.contains(message), "{line}: {}", err);
    }
}

/// Clients connect through the extra Services (a LoadBalancer's often) and, with node sets,
/// through the client Service over every set's pods: each certificate a pod behind one
/// presents names it, or the client's hostname check fails.
#[test]
fn tls_certificate_names_extra_and_client_services() {
    let text = format!(
        "{}services:\n  extra: [{{name: \"{{{{ name }}}}-lb\", type: LoadBalancer}}]\n",
        preset("etcd", "kv")
    );
    let items = render(&text, &["tls.issuer=ca"]);
    let dns = one(&items, "Certificate")["spec"]["dnsNames"].clone();
    for name in ["kv-lb", "kv-lb.ns.svc", "kv-lb.ns.svc.cluster.local"] {
        assert!(
            dns.as_array().unwrap().contains(&Value::from(name)),
            "{name}: {dns}"
        );
    }
    let text = "apiVersion: sts-gen/v1\nkind: Profile\npreset: elasticsearch\nname: logs\nnamespace: ns\ntls: {issuer: ca}\n";
    let items = render(text, &[]);
    let certs = all(&items, "Certificate");
    assert_eq!(certs.len(), 2);
    for cert in certs {
        let dns = cert["spec"]["dnsNames"].as_array().unwrap();
        for name in ["logs", "logs.ns.svc", "logs.ns.svc.cluster.local"] {
            assert!(dns.contains(&Value::from(name)), "{name}: {dns:?}");
        }
    }
}

#[test]
fn tls_certificate_names_every_pod_and_service() {
    let items = render(
        &preset("etcd", "kv"),
        &["tls.issuer=ca", "tls.issuerKind=ClusterIssuer"],
    );
    let cert = one(&items, "Certificate");
    assert_eq!(cert["apiVersion"], "cert-manager.io/v1");
    assert_eq!(cert["spec"]["issuerRef"]["kind"], "ClusterIssuer");
    let dns: Vec<&str> = cert["spec"]["dnsNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    for i in 0..3 {
        assert!(
            dns.contains(&format!("kv-{i}.kv.ns.svc.cluster.local").as_str()),
            "{dns:?}"
        );
        assert!(dns.contains(&format!("kv-{i}.kv").as_str()), "{dns:?}");
    }
    for s in all(&items, "Service") {
        let n = s["metadata"]["name"].as_str().unwrap();
        assert!(
            dns.contains(&n) && dns.contains(&format!("{n}.ns.svc").as_str()),
            "{n} not in {dns:?}"
        );
    }
    // The pods mount the Secret the Certificate names, and etcd uses it.
    let sts = one(&items, "StatefulSet");
    let vols = sts["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    assert!(vols
        .iter()
        .any(|v| v["secret"]["secretName"] == cert["spec"]["secretName"]));
    let env = containers(&items)[0]["env"].as_array().unwrap().clone();
    let get = |n: &str| env.iter().find(|e| e["name"] == n).unwrap()["value"].clone();
    assert_eq!(get("ETCD_LISTEN_CLIENT_URLS"), "https://0.0.0.0:2379");
    assert_eq!(get("ETCD_PEER_CLIENT_CERT_AUTH"), "true");
    // An existing Secret instead: no Certificate, the Secret mounted.
    let items = render(&preset("etcd", "kv"), &["tls.secretName=my-certs"]);
    assert!(all(&items, "Certificate").is_empty());
    let vols = one(&items, "StatefulSet")["spec"]["template"]["spec"]["volumes"].clone();
    assert!(vols
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["secret"]["secretName"] == "my-certs"));
}

#[test]
fn tls_off_adds_nothing_and_both_sources_are_refused() {
    for p in ["etcd", "postgresql", "redis", "mysql"] {
        let off = render(&preset(p, "kv"), &[]);
        assert_eq!(off, render(&preset(p, "kv"), &["tls.issuer=null"]), "{p}");
        assert!(all(&off, "Certificate").is_empty(), "{p}");
    }
    let text = format!(
        "{}tls: {{issuer: a, secretName: b}}\n",
        preset("etcd", "kv")
    );
    let err = refused(&text);
    assert!(err.contains("tls") && err.contains("not both"), "{}", err);
}

/// `sts-gen lint` finds nothing in what the day-2 examples render (every feature on), and a
/// Secret that cert-manager writes for a Certificate counts as present; a Certificate writing
/// some other Secret leaves the mounted one missing.
#[test]
fn lint_is_clean_on_every_day2_example() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(format!("{}/examples/day2", common::ROOT)).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut cmd = sts_gen();
        common::with_preset_secrets(&mut cmd)
            .args(["render", "-"])
            .env("STS_GEN_SECRET_SEED", SEED);
        let rendered = common::run(cmd.write_stdin(text.into_bytes()));
        assert_eq!(rendered.code, 0, "{}: {}", path.display(), rendered.stderr);
        let out = dir.path().join("all.yaml");
        std::fs::write(&out, &rendered.stdout).unwrap();
        let lint = run(sts_gen().args(["lint", out.to_str().unwrap(), "-o", "json"]));
        let report: Value = serde_json::from_str(&lint.stdout).expect("JSON report");
        assert_eq!(
            report["findings"],
            serde_json::json!([]),
            "{}",
            path.display()
        );
        seen += 1;

        // The same with the Certificate writing another Secret than the pods mount.
        if let Some(cert) = rendered.stdout.find("kind: Certificate") {
            let mut changed = rendered.stdout.clone();
            let at = cert + changed[cert..].find("secretName: ").unwrap() + "secretName: ".len();
            changed.insert_str(at, "other-");
            std::fs::write(&out, changed).unwrap();
            let lint = run(sts_gen().args(["lint", out.to_str().unwrap(), "-o", "json"]));
            let report: Value = serde_json::from_str(&lint.stdout).expect("JSON report");
            let findings = report["findings"].as_array().unwrap();
            assert!(
                findings.iter().any(|f| f["rule"] == "references"
                    && f["message"].as_str().unwrap().contains("volume `tls`")),
                "{}: {report:#}",
                path.display()
            );
        }
    }
    assert!(seen >= 4, "{seen} examples");
}

#[test]
fn backup_affinity_is_expanded_and_checked() {
    // Absent by default: the job pod may run anywhere.
    let items = render(
        &preset("etcd", "kv"),
        &["backup.schedule=0 3 * * *", "backup.claim.size=1Gi"],
    );
    let pod = &one(&items, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert!(pod.get("affinity").is_none(), "{pod}");
    // Profile variables expand, as in backup.volumes.
    let text = format!(
        "{}replicas: 4\nbackup:\n  schedule: \"0 3 * * *\"\n  claim: {{size: 1Gi}}\n  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        - topologyKey: kubernetes.io/hostname\n          labelSelector: {{matchLabels: {{statefulset.kubernetes.io/pod-name: \"{{{{ name }}}}-{{{{ replicas - 1 }}}}\"}}}}\n",
        preset("etcd", "kv")
    );
    let items = render(&text, &[]);
    let pod = &one(&items, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(
        pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
            ["labelSelector"]["matchLabels"]["statefulset.kubernetes.io/pod-name"],
        "kv-3"
    );
    // An unknown variable is located at its use.
    let bad = text.replace("{{ replicas - 1 }}", "{{ nope }}");
    let err = refused(&bad);
    assert!(err.contains("backup.affinity"), "{}", err);
    assert!(err.contains(":14:"), "{}", err);
}

/// `metrics.port` moves the exporter's listener with its container port, probes and Service:
/// every preset with an exporter sidecar listens where its port says, with TLS off and on.
#[test]
fn metrics_port_moves_every_exporters_listener() {
    let exporter_of = |name: &str, sets: &[&str]| {
        let mut cmd = sts_gen();
        common::with_preset_secrets(&mut cmd)
            .args(["render", "-"])
            .env("STS_GEN_SECRET_SEED", SEED);
        for s in sets {
            cmd.args(["--set", s]);
        }
        let items = common::json_items(cmd.write_stdin(preset(name, "m").into_bytes()));
        all(&items, "StatefulSet")
            .iter()
            .flat_map(|s| {
                s["spec"]["template"]["spec"]["containers"]
                    .as_array()
                    .unwrap()
            })
            .find(|c| c["name"] == "metrics")
            .cloned()
    };
    let mut with_exporter = 0;
    for name in common::bundled_names() {
        // etcd and zookeeper serve their own metrics on one of the app's ports.
        if exporter_of(&name, &["metrics.enabled=true"]).is_none() {
            continue;
        }
        for tls in [false, true] {
            let mut sets = vec!["metrics.enabled=true", "metrics.port=19999"];
            if tls {
                sets.push("tls.issuer=ca");
            }
            let exporter = exporter_of(&name, &sets).expect("the exporter");
            with_exporter += 1;
            assert_eq!(exporter["ports"][0]["containerPort"], 19999, "{name}");
            // The kubelet expands $(VAR) in command and args from the container's env.
            let env: std::collections::BTreeMap<String, String> = exporter["env"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| {
                    Some((
                        e["name"].as_str()?.to_string(),
                        e["value"].as_str()?.to_string(),
                    ))
                })
                .collect();
            let words: Vec<String> = ["command", "args"]
                .iter()
                .filter(|k| exporter[**k].is_array())
                .flat_map(|k| common::strings(&exporter[*k]))
                .map(|w| common::k8s_expand(&w, &env))
                .collect();
            let line = words.join(" ");
            assert!(
                line.contains(":19999") || words.iter().any(|w| w == "19999"),
                "{name} (tls {tls}): the exporter does not listen on 19999: {line}"
            );
            for default in ["9104", "9187", "9121", "9113", "9216", "9114", "5556"] {
                assert!(
                    !line.contains(default),
                    "{name} (tls {tls}): {default} in {line}"
                );
            }
        }
    }
    assert!(
        with_exporter >= 16,
        "{with_exporter} renders with an exporter"
    );
}

/// A backup job that reads a member's claim follows `storage.claimName`: renamed, the job
/// mounts the claim the StatefulSet controller makes, not the preset's default name.
#[test]
fn member_claim_backups_follow_the_claim_name() {
    for (name, ordinal) in [("web", 0), ("zookeeper", 2)] {
        let items = render(
            &preset(name, "b"),
            &[
                "replicas=3",
                "storage.claimName=content",
                "backup.schedule=0 3 * * *",
                "backup.claim.size=1Gi",
            ],
        );
        let template = &one(&items, "StatefulSet")["spec"]["volumeClaimTemplates"][0];
        assert_eq!(template["metadata"]["name"], "content", "{name}");
        let pod = &one(&items, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        let claims: Vec<&str> = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
            .collect();
        assert!(
            claims.contains(&format!("content-b-{ordinal}").as_str()),
            "{name}: {claims:?}"
        );
    }
}

/// The exporter's and the backup job's `resources` merge over their defaults resource by
/// resource, as the app's do: a memory limit alone keeps the default requests (sts-gen's
/// own lint requires them). Each is checked like the app's, at the user's line.
#[test]
fn helper_resources_merge_over_the_defaults_and_are_checked() {
    let text = format!(
        "{}metrics: {{enabled: true, resources: {{limits: {{memory: 96Mi}}}}}}\nbackup: {{schedule: \"0 3 * * *\", claim: {{size: 1Gi}}, resources: {{requests: {{cpu: 200m}}}}}}\n",
        preset("postgresql", "pg")
    );
    let items = render(&text, &[]);
    let exporter = containers(&items)
        .into_iter()
        .find(|c| c["name"] == "metrics")
        .unwrap();
    assert_eq!(
        exporter["resources"],
        serde_json::json!({"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "96Mi"}})
    );
    let cron = one(&items, "CronJob");
    let job = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "backup")
        .unwrap();
    assert_eq!(job["resources"]["requests"]["cpu"], "200m");
    assert_eq!(job["resources"]["requests"]["memory"], "256Mi");
    for (resources, want) in [
        (
            "{requests: {memory: 1Gi}, limits: {memory: 512Mi}}",
            "backup.resources.requests.memory: request 1Gi is above the limit 512Mi",
        ),
        (
            "{requests: {cpu: \"-1\"}}",
            "backup.resources.requests.cpu: `-1` of `cpu` is negative",
        ),
        (
            "{requests: {bogus: 1}}",
            "backup.resources.requests.bogus: unknown resource `bogus`",
        ),
    ] {
        let e = refused(&format!(
            "{}backup: {{schedule: \"0 3 * * *\", claim: {{size: 1Gi}}, resources: {resources}}}\n",
            preset("etcd", "kv")
        ));
        assert!(
            e.contains("<stdin>:6:") && e.contains(want),
            "{resources}: {e}"
        );
    }
    let e = refused(&format!(
        "{}metrics: {{enabled: true, resources: {{requests: {{cpu: \"-1\"}}}}}}\n",
        preset("etcd", "kv")
    ));
    assert!(
        e.contains("<stdin>:6:") && e.contains("metrics.resources.requests.cpu: "),
        "{e}"
    );
}

/// The Certificate's names are qualified by the namespace; a profile without one lands in
/// whatever namespace kubectl uses, so `default` would be a guess: an error instead.
#[test]
fn a_certificate_needs_the_namespace() {
    let e = refused(
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: etcd\nname: kv\ntls: {issuer: ca}\n",
    );
    assert!(
        e.contains("<stdin>:5:15: tls.issuer: the Certificate names each pod as <pod>.<headless>.<namespace>.svc, so it needs the namespace"),
        "{e}"
    );
    // With -n it renders, named in that namespace.
    let r = run(sts_gen()
        .args(["render", "-", "-n", "team", "-o", "json"])
        .write_stdin(
            "apiVersion: sts-gen/v1\nkind: Profile\npreset: etcd\nname: kv\ntls: {issuer: ca}\n",
        ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("kv-0.kv.team.svc.cluster.local"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(".default.svc"));
}

/// A Certificate names each pod up to a few dozen replicas; past that, wildcards over the
/// headless Service, so its size does not grow with the replicas past what a TLS handshake
/// carries.
#[test]
fn a_large_statefulset_gets_wildcard_pod_names() {
    let names = |replicas: u32| -> Vec<String> {
        let items = render(
            &format!("{}replicas: {replicas}\n", preset("etcd", "kv")),
            &["tls.issuer=ca"],
        );
        one(&items, "Certificate")["spec"]["dnsNames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect()
    };
    let small = names(32);
    assert!(small.contains(&"kv-31.kv.ns.svc.cluster.local".to_string()));
    assert!(!small.iter().any(|n| n.starts_with('*')));
    let large = names(33);
    assert!(
        large.contains(&"*.kv.ns.svc.cluster.local".to_string()),
        "{large:?}"
    );
    assert!(!large.iter().any(|n| n.starts_with("kv-1.")), "{large:?}");
    assert!(large.len() < 20, "{large:?}");
}
