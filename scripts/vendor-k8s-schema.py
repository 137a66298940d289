#!/usr/bin/env python3
"""Writes schema/k8s-core-v1.json: the strict Kubernetes 1.33 schemas of Container and Volume
(and every definition they reference), from kubernetes-validate's bundled schemas, for
`sts-gen schema` to check a profile's raw containers and volumes against.

Usage: python3 scripts/vendor-k8s-schema.py KUBERNETES_VALIDATE_WHEEL_OR_DIR
(`pip download kubernetes-validate==1.37.0 --no-deps` gives the wheel.) Descriptions are kept:
editors show them.
"""
import json, os, sys, zipfile

ROOTS = ["io.k8s.api.core.v1.Container", "io.k8s.api.core.v1.Volume"]
PATH = "kubernetes_validate/kubernetes-json-schema/v1.33.0-local-strict/_definitions.json"
PREFIX = "/api/_definitions.json#/$defs/"

src = sys.argv[1]
if os.path.isdir(src):
    defs = json.load(open(os.path.join(src, PATH)))["$defs"]
else:
    defs = json.loads(zipfile.ZipFile(src).read(PATH))["$defs"]

out = {}
def walk(node):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and (ref.startswith(PREFIX) or ref.startswith("#/$defs/")):
            name = ref.split("#/$defs/", 1)[1]
            node["$ref"] = "#/$defs/" + name
            if name not in out:
                out[name] = None
                out[name] = walk(json.loads(json.dumps(defs[name])))
        for k, v in node.items():
            if k != "$ref":
                walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
    return node

for r in ROOTS:
    walk({"$ref": PREFIX + r})
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "schema", "k8s-core-v1.json"), "w") as f:
    json.dump(dict(sorted(out.items())), f, indent=1, sort_keys=True)
    f.write("\n")
print(len(out), "definitions")
