// Validates the custom resources in `sts-gen render -o json` Lists against their CRDs'
// OpenAPI schemas, as compiled by the @kubernetes-models packages (cert-manager's
// Certificate, the Prometheus Operator's ServiceMonitor and PodMonitor): types, enums,
// required fields and formats. Prints one line per object; exits 1 if any is invalid.
//   node scripts/crd_check.mjs LIST.json...
// A control object with a wrong enum value must be rejected, or the check itself is broken.
import { readFileSync } from "node:fs";
import { Certificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";

const models = {
  "cert-manager.io/v1 Certificate": Certificate,
  "monitoring.coreos.com/v1 ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1 PodMonitor": PodMonitor,
};

function problem(obj) {
  const Model = models[`${obj.apiVersion} ${obj.kind}`];
  if (!Model) return undefined;
  try {
    new Model(obj).validate();
    return null;
  } catch (e) {
    return e.message;
  }
}

const control = {
  apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "control" },
  spec: { secretName: "s", issuerRef: { name: "ca" }, privateKey: { encoding: "PKCS9" } },
};
if (!problem(control)) {
  console.log("[crd-check] ERROR: a Certificate with privateKey.encoding PKCS9 passed: the validators check nothing");
  process.exit(1);
}

let valid = 0, invalid = 0;
for (const file of process.argv.slice(2)) {
  const list = JSON.parse(readFileSync(file, "utf8"));
  for (const obj of list.items) {
    const p = problem(obj);
    if (p === undefined) continue;
    if (p === null) {
      valid++;
    } else {
      invalid++;
      console.log(`[crd-check] INVALID ${file}: ${obj.kind} ${obj.metadata.name}: ${p}`);
    }
  }
}
console.log(`[crd-check] ${valid} custom resources valid, ${invalid} invalid`);
process.exit(invalid === 0 && valid > 0 ? 0 : 1);
