//! `service-name`: a StatefulSet's serviceName and the headless Service it names.

use super::cross::{push, selector_of, Sts};
use super::{Emit, Objects};
use crate::check::{Doc, Object};

/// `service-name`: serviceName is a headless Service in the StatefulSet's namespace.
pub(super) fn service_name(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    let Some(Sts { spec, .. }) = Sts::of(doc) else {
        return;
    };
    // Optional in the API schema (CSI controllers leave it out): anyone's StatefulSet may
    // do without pod DNS names. sts-gen's own pods find their peers by them, and it renders
    // the headless Service beside the StatefulSet; its output stays its own through
    // kustomize.
    let own = !objects.manifests || rendered_by_sts_gen(doc);
    let name = spec.service_name.as_deref().unwrap_or("");
    if name.is_empty() && !own {
        return;
    }
    // Nor need it be among anyone else's manifests: it may be created apart (another chart, an
    // operator), and a CSI controller names one that never exists, as the API allows.
    // One that is among them and not headless is wrong either way, but in anyone's manifests
    // one without a selector: Patroni (and Zalando's Spilo) name the primary's Service,
    // whose endpoints Patroni writes, and find their peers by pod IP, not by DNS name.
    let headless = objects
        .named_near(doc, "Service", name)
        .find_map(|d| match &d.object {
            Object::Service(s) => Some((s, d)),
            _ => None,
        });
    match headless {
        None if !own => {}
        None => {
            let message = if objects.manifests {
                format!("serviceName `{name}` is not a Service among the manifests, and sts-gen renders it with the StatefulSet (renamed or dropped by a patch?)")
            } else {
                format!("serviceName `{name}` is not a rendered Service")
            };
            push(emit, doc, "service-name", message)
        }
        Some((s, d))
            if s.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) != Some("None")
                && !(objects.manifests && selector_of(d).is_some_and(|(sel, _)| sel.is_none())) =>
        {
            push(
                emit,
                doc,
                "service-name",
                format!("serviceName `{name}` must be a headless Service (clusterIP: None)"),
            )
        }
        _ => {}
    }
}

/// Whether a StatefulSet among anyone's manifests is sts-gen's output (perhaps changed by
/// kustomize since): it carries the `managed-by` label sts-gen always sets.
fn rendered_by_sts_gen(doc: &Doc) -> bool {
    doc.value
        .pointer("/metadata/labels/app.kubernetes.io~1managed-by")
        .and_then(serde_json::Value::as_str)
        == Some("sts-gen")
}
