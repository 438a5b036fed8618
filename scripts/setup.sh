#!/usr/bin/env bash
# Installs what Skiff and its test suite need on a Debian/Ubuntu machine, then builds
# Skiff (npm ci compiles the native addon and the TypeScript). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (sudo scripts/setup.sh): it installs packages with apt-get" >&2
  exit 1
fi

packages=(
  # the cluster itself: networking and the runtime's build; attr: setfattr/getfattr for layer xattrs
  iproute2 nftables g++ make python3 libseccomp-dev attr
  # what the tests start or compare against
  etcd-server etcd-client docker-registry skopeo umoci busybox-static zstd apache2-utils runc crun
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian starts the packaged etcd and registry as services; tests start their own on
# free ports, and the packaged ones would only hold ports 2379 and 5000.
for svc in etcd docker-registry; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done

npm ci
