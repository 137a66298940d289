//! The `web` preset (profiles/web.yaml): nginx serving each pod's own volume.
//!
//! The probes are run against real sockets: a server that answers (even 403, as nginx does
//! for a volume without index.html) must pass them, and one that accepts connections but never
//! answers (a stopped or hung nginx, whose handshakes the kernel still completes) must fail
//! them; tests/engines/presets/web.py checks the same on nginx itself.
//!
//! Day 2: metrics (the exporter scrapes a stub_status server on the pod's loopback), TLS (the
//! `web` port serves https only) and backups (a tar of web-0's claim, read-only), each traced
//! from one rendered object to the next, and the backup command run for real.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::{
    all, container, main_container, mount_path, one, pod, render_bundled, render_stdin, run,
    strings, sts, sts_gen,
};
use serde_json::Value;

/// Runs a probe of the main container as the kubelet would, against 127.0.0.1:`port` (the
/// rendered port 80 replaced by `port`), as far as exec and tcpSocket probes go.
fn probe_passes(c: &Value, probe: &str, port: u16) -> bool {
    let p = &c[probe];
    if p.get("tcpSocket").is_some() {
        return TcpStream::connect_timeout(
            &format!("127.0.0.1:{port}").parse().unwrap(),
            Duration::from_secs(1),
        )
        .is_ok();
    }
    let cmd = strings(&p["exec"]["command"]);
    assert!(
        !cmd.is_empty(),
        "{probe} is neither exec nor tcpSocket: {p}"
    );
    let cmd: Vec<String> = cmd
        .iter()
        .map(|a| a.replace("127.0.0.1:80/", &format!("127.0.0.1:{port}/")))
        .collect();
    assert!(
        cmd.iter().any(|a| a.contains(&format!(":{port}/"))),
        "{cmd:?}"
    );
    let timeout = p["timeoutSeconds"].as_u64().unwrap_or(1);
    let mut child = std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st.success();
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A server that answers every request with `reply` (None: accepts and never answers).
fn server(reply: Option<&'static str>) -> (u16, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let mut held = Vec::new();
        l.set_nonblocking(false).unwrap();
        for s in l.incoming().take(4) {
            let mut s = s.unwrap();
            match reply {
                Some(r) => {
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(r.as_bytes());
                }
                None => held.push(s),
            }
        }
    });
    (port, h)
}

#[test]
fn probes_pass_on_any_http_answer_and_fail_on_a_hung_server() {
    let items = render_bundled(
        "web",
        &common::bundled_text("web"),
        &common::options(None, None),
    );
    let c = main_container(&items);
    for probe in ["readinessProbe", "livenessProbe"] {
        let (port, _h) = server(Some(
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ));
        assert!(
            probe_passes(c, probe, port),
            "{probe} fails on a 403 answer"
        );
        let (port, _h) = server(None);
        assert!(
            !probe_passes(c, probe, port),
            "{probe} passes on a server that never answers"
        );
        // Nothing listening.
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        assert!(
            !probe_passes(c, probe, port),
            "{probe} passes with nothing listening"
        );
    }
}

/// The `web` preset as a user would install it, another name and namespace.
const SITE: &str =
    "apiVersion: sts-gen/v1\nkind: Profile\npreset: web\nname: site\nnamespace: shop\n";

fn site(sets: &[&str]) -> Vec<Value> {
    let args: Vec<&str> = sets.iter().flat_map(|s| ["--set", s]).collect();
    render_stdin(SITE, &args)
}

/// A file of the rendered ConfigMap (None: absent).
fn conf<'a>(items: &'a [Value], file: &str) -> Option<&'a str> {
    one(items, "ConfigMap")["data"][file].as_str()
}

/// The values of an nginx directive in a config text (`listen 80;` -> "80").
fn directive(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(&format!("{name} ")))
        .map(|v| v.trim().trim_end_matches(';').trim().to_string())
        .collect()
}

/// Every containerPort of the pod's containers.
fn container_ports(items: &[Value]) -> Vec<u64> {
    pod(items)["containers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
        .map(|p| p["containerPort"].as_u64().unwrap())
        .collect()
}

/// The ports the NetworkPolicy admits.
fn admitted(items: &[Value]) -> Vec<u64> {
    one(items, "NetworkPolicy")["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["ports"].as_array().cloned().unwrap_or_default())
        .map(|p| p["port"].as_u64().unwrap())
        .collect()
}

/// The main container's port named `web`.
fn web_port(items: &[Value]) -> u64 {
    main_container(items)["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "web")
        .unwrap()["containerPort"]
        .as_u64()
        .unwrap()
}

#[test]
fn the_server_block_serves_the_content_claim_on_the_web_port() {
    let items = site(&[]);
    let cm = one(&items, "ConfigMap");
    let files: Vec<&String> = cm["data"].as_object().unwrap().keys().collect();
    assert_eq!(
        files,
        ["default.conf"],
        "metrics off: no stub_status server"
    );
    let text = conf(&items, "default.conf").unwrap();
    assert_eq!(directive(text, "listen"), [web_port(&items).to_string()]);
    // nginx's root is where the pod mounts its claim.
    let claim = sts(&items)["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
        .as_str()
        .unwrap();
    let c = main_container(&items);
    assert_eq!(directive(text, "root"), [mount_path(c, claim)]);
    // The ConfigMap is the directory the image's nginx.conf includes.
    let cfg = pod(&items)["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["configMap"]["name"] == cm["metadata"]["name"])
        .unwrap();
    assert_eq!(
        mount_path(c, cfg["name"].as_str().unwrap()),
        "/etc/nginx/conf.d"
    );
}

#[test]
fn metrics_exporter_scrapes_a_loopback_only_stub_status() {
    let off = site(&[]);
    let items = site(&["metrics.enabled=true", "metrics.serviceMonitor=true"]);
    let m = container(&items, "metrics");
    let image = m["image"].as_str().unwrap();
    let tag = image
        .strip_prefix("nginx/nginx-prometheus-exporter:")
        .unwrap_or_else(|| panic!("{image}"));
    assert!(
        tag.split('.').count() == 3 && tag.split('.').all(|n| n.parse::<u32>().is_ok()),
        "not a pinned version: {image}"
    );
    let args = strings(&m["command"]);
    let flag = |f: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{f}=")))
            .unwrap_or_else(|| panic!("no --{f} in {args:?}"))
            .to_string()
    };
    // The scrape URI is the stub_status location of a server listening on the loopback.
    let uri = flag("nginx.scrape-uri");
    let rest = uri.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    let stub = conf(&items, "stub-status.conf").expect("stub-status.conf with metrics on");
    assert_eq!(directive(stub, "listen"), [addr]);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert!(
        stub.contains(&format!("location = /{path} {{ stub_status; }}")),
        "{stub}"
    );
    let stub_port: u64 = addr.rsplit(':').next().unwrap().parse().unwrap();
    assert!(!container_ports(&items).contains(&stub_port));
    assert!(!admitted(&items).contains(&stub_port));
    // The exporter listens on its container port (METRICS_PORT, which the kubelet expands),
    // which the Service and the policy carry.
    assert_eq!(flag("web.listen-address"), ":$(METRICS_PORT)");
    let listen: u64 = common::env_value(m, "METRICS_PORT").parse().unwrap();
    assert_eq!(m["ports"][0]["containerPort"], listen);
    let svc = all(&items, "Service")
        .into_iter()
        .find(|s| s["metadata"]["name"] == "site-metrics")
        .unwrap();
    assert_eq!(svc["spec"]["ports"][0]["port"], listen);
    assert!(admitted(&items).contains(&listen));
    assert_eq!(
        one(&items, "ServiceMonitor")["spec"]["endpoints"][0]["port"],
        "metrics"
    );
    // The server the users see is the same with metrics on.
    assert_eq!(conf(&items, "default.conf"), conf(&off, "default.conf"));
}

#[test]
fn tls_serves_https_only_on_the_web_port() {
    let items = site(&["tls.issuer=ca"]);
    let port = web_port(&items);
    let text = conf(&items, "default.conf").unwrap();
    assert_eq!(directive(text, "listen"), [format!("{port} ssl")]);
    // Nothing plain: no port 80 in the pod, the Services or the policy.
    assert!(!container_ports(&items).contains(&80));
    assert!(!admitted(&items).contains(&80) && admitted(&items).contains(&port));
    for s in all(&items, "Service") {
        for p in s["spec"]["ports"].as_array().unwrap() {
            assert_eq!(
                (&p["port"], &p["targetPort"]),
                (&Value::from(port), &Value::from("web")),
                "{}",
                s["metadata"]["name"]
            );
        }
    }
    // The certificate and key nginx reads are the Certificate's Secret, where the pod mounts it.
    let cert = one(&items, "Certificate");
    let vol = pod(&items)["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["secret"]["secretName"] == cert["spec"]["secretName"])
        .expect("the Certificate's Secret is a volume");
    let dir = mount_path(main_container(&items), vol["name"].as_str().unwrap());
    assert_eq!(
        directive(text, "ssl_certificate"),
        [format!("{dir}/tls.crt")]
    );
    assert_eq!(
        directive(text, "ssl_certificate_key"),
        [format!("{dir}/tls.key")]
    );
    let dns = strings(&cert["spec"]["dnsNames"]);
    for n in [
        "site-0.site.shop.svc.cluster.local",
        "site-2.site",
        "site-read.shop.svc",
    ] {
        assert!(dns.iter().any(|d| d == n), "{n} not in {dns:?}");
    }
    // The probes ask the https port; uid 10001 may bind it.
    for probe in ["readinessProbe", "livenessProbe"] {
        let cmd = strings(&main_container(&items)[probe]["exec"]["command"]);
        assert!(
            cmd.contains(&format!("https://127.0.0.1:{port}/")),
            "{cmd:?}"
        );
    }
    let sysctl = &pod(&items)["securityContext"]["sysctls"][0];
    assert_eq!(sysctl["name"], "net.ipv4.ip_unprivileged_port_start");
    assert_eq!(sysctl["value"], port.to_string());
    // With metrics on too: the TLS server and the stub_status server side by side.
    let both = site(&["tls.issuer=ca", "metrics.enabled=true"]);
    assert_eq!(conf(&both, "default.conf"), Some(text));
    assert!(conf(&both, "stub-status.conf").is_some());
}

#[test]
fn backup_tars_web_0s_claim_read_only() {
    let items = site(&[
        "replicas=3",
        "backup.schedule=0 3 * * *",
        "backup.claim.size=1Gi",
    ]);
    let cj = one(&items, "CronJob");
    let job = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let b = job["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "backup")
        .unwrap();
    // The member claim Kubernetes names <template>-<statefulset>-0, mounted read-only.
    let tmpl = sts(&items)["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
        .as_str()
        .unwrap();
    let claim = format!(
        "{tmpl}-{}-0",
        sts(&items)["metadata"]["name"].as_str().unwrap()
    );
    let vol = job["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"] == claim.as_str())
        .unwrap_or_else(|| panic!("no volume for {claim}: {}", job["volumes"]));
    assert_eq!(vol["persistentVolumeClaim"]["readOnly"], true);
    let m = b["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == vol["name"])
        .unwrap();
    assert_eq!(m["readOnly"], true);
    let src = m["mountPath"].as_str().unwrap();
    // The command for real: the mount replaced by a directory holding content and an
    // unreadable lost+found (as mkfs leaves on the volume root).
    let tmp = tempfile::tempdir().unwrap();
    let www = tmp.path().join("www");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(www.join("css")).unwrap();
    std::fs::create_dir_all(www.join("lost+found")).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(www.join("index.html"), "hello\n").unwrap();
    std::fs::write(www.join("css/site.css"), "body {}\n").unwrap();
    std::fs::write(www.join(".hidden"), "").unwrap();
    let cmd = strings(&b["command"]);
    assert_eq!(&cmd[..2], ["sh", "-c"]);
    let script = cmd[2].replace(&format!("cd {src}\n"), &format!("cd {}\n", www.display()));
    assert_ne!(script, cmd[2], "the script reads {src}");
    let st = std::process::Command::new("sh")
        .args(["-c", &script])
        .env("BACKUP_DIR", &out)
        .status()
        .unwrap();
    assert!(st.success());
    let files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let list = std::process::Command::new("tar")
        .arg("-tzf")
        .arg(&files[0])
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.lines().any(|l| l == "index.html"), "{list}");
    assert!(list.lines().any(|l| l == "css/site.css"), "{list}");
    assert!(list.lines().any(|l| l == ".hidden"), "{list}");
    assert!(!list.contains("lost+found"), "{list}");
    // No entry for the volume root itself: extracting one would chmod a directory the
    // restoring uid does not own.
    assert!(!list.lines().any(|l| l == "./" || l == "."), "{list}");
}

/// `sts-gen lint - -o json --fail-on warning` of [`SITE`] with `sets`: (exit code, report).
fn lint(sets: &[&str]) -> (i32, Value) {
    let mut cmd = sts_gen();
    cmd.args(["lint", "-", "-o", "json", "--fail-on", "warning"]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let r = run(cmd.write_stdin(SITE.as_bytes().to_vec()));
    let report =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr));
    (r.code, report)
}

#[test]
fn lint_is_clean_with_each_feature_on() {
    let (_, base) = lint(&[]);
    let base = base["objects"].as_u64().unwrap();
    for sets in [
        &["metrics.enabled=true", "metrics.serviceMonitor=true"][..],
        &["tls.issuer=ca"],
        &["backup.schedule=0 3 * * *", "backup.claim.size=1Gi"],
        &[
            "metrics.enabled=true",
            "tls.secretName=certs",
            "backup.schedule=30 2 * * *",
            "backup.existingClaim=b",
        ],
    ] {
        let (code, report) = lint(sets);
        assert_eq!(report["findings"], Value::Array(vec![]), "{sets:?}");
        // The feature's objects (Service, monitor, Certificate, CronJob) were linted too.
        assert!(
            report["objects"].as_u64().unwrap() > base,
            "{sets:?}: {report}"
        );
        assert_eq!(code, 0, "{sets:?}");
    }
}

#[test]
fn one_replica_under_partition_one_is_a_warning_that_no_pod_updates() {
    // `partition: 1` keeps web-0 as the baseline; with one replica that is every pod, so a
    // changed image or config rolled out nowhere (seen on tests/engines' kubelet) in silence.
    let stderr = |replicas: &str| {
        common::run(
            common::sts_gen()
                .args(["render", "-", "-o", "json", "--set", replicas])
                .write_stdin("apiVersion: sts-gen/v1\nkind: Profile\npreset: web\nname: site\n"),
        )
    };
    let one = stderr("replicas=1");
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(
        one.stderr.contains("warning: <preset web>:")
            && one.stderr.contains(
                "updateStrategy.partition: 1 is not below replicas (1): a changed template (image, config, env) reaches no pod"
            ),
        "{}",
        one.stderr
    );
    let two = stderr("replicas=2");
    assert_eq!((two.code, two.stderr.as_str()), (0, ""));
}
