//! The plan as text: a header per StatefulSet, then one row per pod.

use super::{Plan, PodPlan, SetPlan};

/// The plan as aligned text, one block per StatefulSet.
pub fn to_text(plan: &Plan) -> String {
    plan.stateful_sets
        .iter()
        .map(set_text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn set_text(s: &SetPlan) -> String {
    let mut out = format!(
        "StatefulSet {}{}: {} pod{}, headless Service {}\n",
        s.name,
        s.namespace
            .as_ref()
            .map(|n| format!(" in namespace {n}"))
            .unwrap_or_default(),
        s.replicas,
        if s.replicas == 1 { "" } else { "s" },
        s.headless_service
    );
    let start = if s.pod_management_policy == "Parallel" {
        "all pods at once, and stopped at once"
    } else {
        "one at a time in ordinal order, each once the previous is Running and Ready; stopped in reverse"
    };
    out.push_str(&format!(
        "  start:  {} ({start})\n",
        s.pod_management_policy
    ));
    let update = if s.update_strategy == "OnDelete" {
        "OnDelete: no pod is replaced until it is deleted by hand".to_string()
    } else if s.update_order.is_empty() {
        format!(
            "RollingUpdate with partition {}: no pod is at or above the partition, none is replaced",
            s.partition
        )
    } else {
        let kept = if s.partition > 0 {
            format!(", pods below ordinal {} keep the old template", s.partition)
        } else {
            String::new()
        };
        format!(
            "RollingUpdate replaces {} in this order, each once the one before is Ready{kept}",
            s.update_order.join(", ")
        )
    };
    out.push_str(&format!("  update: {update}\n"));
    let data = match &s.storage_size {
        Some(size) => format!(
            "a {size} claim per pod (class {}) at {}",
            s.storage_class.as_deref().unwrap_or("the cluster default"),
            s.data_mount_path
        ),
        None => format!("an emptyDir at {} (lost with the pod)", s.data_mount_path),
    };
    out.push_str(&format!("  data:   {data}\n"));
    if let Some((service, pod)) = &s.primary {
        out.push_str(&format!("  primary: {pod} (Service {service})\n"));
    }
    if let Some(path) = &s.config_mount_path {
        out.push_str(&format!("  config: files at {path}\n"));
    }
    if let Some(m) = &s.metrics {
        let mut line = format!(
            "  metrics: {} on port {} {}, Service {}",
            if m.exporter {
                "exporter sidecar"
            } else {
                "the engine's own endpoint"
            },
            m.port,
            m.path,
            m.service
        );
        if !m.monitors.is_empty() {
            line.push_str(&format!(", {}", m.monitors.join(" and ")));
        }
        if !m.from_namespaces.is_empty() {
            line.push_str(&format!(
                "; scraped also from namespace {}",
                m.from_namespaces.join(", ")
            ));
        }
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(b) = &s.backup {
        let mut line = format!(
            "  backup: CronJob {} at `{}` ({})",
            b.cron_job,
            b.schedule,
            b.time_zone
                .as_deref()
                .unwrap_or("the controller manager's time zone")
        );
        // A job that mounts a member's claim reads that, not the host it is also told of.
        if !b.reads_claims.is_empty() {
            line.push_str(&format!(
                " reading claim {} (mounted read-only)",
                b.reads_claims.join(", ")
            ));
        } else if let Some(host) = &b.from_host {
            line.push_str(&format!(" from {host}"));
        }
        line.push_str(&format!(" into claim {}", b.claim));
        match &b.claim_size {
            Some(size) => line.push_str(&format!(" ({size}, rendered)")),
            None => line.push_str(" (existing)"),
        }
        if let Some(keep) = &b.keep {
            line.push_str(&format!(", the newest {keep} kept"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(t) = &s.tls {
        out.push_str(&format!(
            "  tls:    Secret {} at {}{}\n",
            t.secret,
            t.mount_path,
            match &t.issuer {
                Some(issuer) => format!(", a Certificate from {issuer}"),
                None => " (managed outside sts-gen)".to_string(),
            }
        ));
    }
    out.push('\n');
    let header = [
        "ORDINAL",
        "POD",
        "ROLE",
        "CONFIG FILES",
        "DNS",
        "CLAIM -> PV -> NODE",
        "PEER",
        "STARTS",
        "UPDATE",
    ];
    let rows: Vec<Vec<String>> = s.pods.iter().map(row).collect();
    out.push_str(&table(&header, &rows));
    out
}

fn row(p: &PodPlan) -> Vec<String> {
    let dash = || "-".to_string();
    let data = match &p.claim {
        None => "emptyDir".into(),
        Some(claim) => {
            let pv = p.persistent_volume.clone().unwrap_or_else(|| {
                if p.nodes.is_empty() {
                    "dynamic PV"
                } else {
                    "any free local PV"
                }
                .into()
            });
            let nodes = if p.nodes.is_empty() {
                "any node".into()
            } else {
                p.nodes.join("|")
            };
            format!("{claim} -> {pv} -> {nodes}")
        }
    };
    let peer = match p.peer_action {
        None => dash(),
        Some(action) if p.peers.len() > 3 => format!("{action} {} other pods", p.peers.len()),
        Some(action) => {
            let verb = if action == "clone" {
                "clone from"
            } else {
                "join"
            };
            format!("{verb} {}", p.peers.join(","))
        }
    };
    vec![
        p.ordinal.to_string(),
        p.pod.clone(),
        p.role.clone().unwrap_or_else(dash),
        if p.config_files.is_empty() {
            dash()
        } else {
            p.config_files.join(",")
        },
        p.dns.clone(),
        data,
        peer,
        p.starts.clone(),
        p.update_position
            .map(|n| n.to_string())
            .unwrap_or_else(|| "kept".into()),
    ]
}

/// Columns padded to their widest cell, two spaces apart; no trailing spaces.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            l.push_str(cell);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        l.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}
