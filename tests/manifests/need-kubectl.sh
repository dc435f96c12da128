# Sourced by the manifest tests: makes sure there is a kubectl whose embedded kustomize renders
# these kustomizations (components, `patches`, `labels` need kustomize >= 4), else exits 77 (SKIP)
# saying why. Installs Debian's kubernetes-client when there is no kubectl at all.
if ! command -v kubectl >/dev/null; then
  echo "no kubectl; installing Debian's kubernetes-client"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    kubernetes-client >/dev/null
fi
kustomize_major=$(kubectl version --client 2>/dev/null |
  sed -n 's/^Kustomize Version: v\{0,1\}\([0-9]*\).*/\1/p')
if [ -z "$kustomize_major" ] || [ "$kustomize_major" -lt 4 ]; then
  # Debian's kubectl 1.20 embeds kustomize v2.0.3.
  echo "SKIP: kubectl's kustomize is older than v4 ($(kubectl version --client 2>&1 | head -1))"
  exit 77
fi
