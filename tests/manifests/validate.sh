#!/usr/bin/env bash
# Renders every kustomization under manifests/ (kubectl kustomize, offline) and validates every
# rendered object: Kubernetes kinds against npm kubernetes-models' schemas, ServiceMonitor against
# @kubernetes-models/prometheus-operator, Autoscalers against the CRD's schema, the CRD against
# the structural-schema rules; then every Autoscaler with `ebb validate`.
# usage: validate.sh EBB      (needs kubectl with kustomize >= 4, node, npm; installs
#                              Debian's kubernetes-client if there is no kubectl at all)
set -euo pipefail
ebb=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

source "$here/need-kubectl.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/out"
"$here/npm-tools.sh" "$tmp/js"

status=0
mapfile -t dirs < <(cd "$root" && find manifests -name kustomization.yaml -printf '%h\n' | sort)
for d in "${dirs[@]}"; do
  # A Component renders only as part of a kustomization that uses it.
  grep -q '^kind: Component' "$root/$d/kustomization.yaml" && continue
  out="$tmp/out/$(echo "$d" | tr / _).yaml"
  if ! kubectl kustomize "$root/$d" >"$out" 2>"$tmp/err"; then
    echo "FAIL $d: kubectl kustomize: $(cat "$tmp/err")"
    status=1
    continue
  fi
  echo "== $d ($(grep -c '^kind:' "$out") objects)"
  node "$tmp/js/k8s-validate.mjs" --crd "$root/manifests/base/crd.yaml" "$out" || status=1
  # ebb's series carry the Autoscaler's `namespace`: without honorLabels the Operator would
  # overwrite it with ebb-system and every per-namespace alert would break.
  if grep -q '^kind: ServiceMonitor$' "$out" &&
    [ "$(yq -r 'select(.kind == "ServiceMonitor") | .spec.endpoints[] | .honorLabels' "$out" | sort -u)" != true ]; then
    echo "FAIL $d: a ServiceMonitor endpoint without honorLabels: true"
    status=1
  fi
  # components/sharding swaps leader election for --shards (docs/sharding.md): 3 replicas.
  if [ "$d" = manifests/overlays/prd-sharded ]; then
    sharded=$(yq -c 'select(.kind == "Deployment") |
      [.spec.replicas, .spec.template.spec.containers[0].args]' "$out")
    case "$sharded" in
      '[3,["--shards=12",'*) ;;
      *) echo "FAIL $d: expected 3 replicas started with --shards=12, got $sharded"; status=1 ;;
    esac
    [[ "$sharded" != *--leader-elect* ]] || { echo "FAIL $d: --leader-elect beside --shards"; status=1; }
  fi
  if grep -q '^kind: Autoscaler$' "$out"; then
    "$ebb" validate -f "$out" || status=1
  fi
done
[ "${#dirs[@]}" -ge 6 ] || { echo "FAIL: expected at least 6 kustomizations, found ${#dirs[@]}"; status=1; }
# The repository's own examples (examples/*.yaml carry a Simulation too, which has no CRD).
"$ebb" validate -f "$root/examples/web-api.yaml" -f "$root/examples/celery-worker.yaml" || status=1
exit $status
