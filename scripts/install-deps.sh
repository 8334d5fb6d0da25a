#!/usr/bin/env bash
# Installs the Debian packages the tests and images need, only those missing.
#   postgresql-15, redis-server: the local backend's servers
#   debootstrap: the root filesystem of the local Postgres and Redis images (make images)
#   chromium: the HTML report's browser test (headless)
#   etcd-server: the store of the Kubernetes API server the kubernetes backend is tested against
#     (scripts/kube-assets.sh builds the API server itself)
set -euo pipefail
pkgs=(postgresql-15 redis-server debootstrap ca-certificates chromium etcd-server prometheus)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	echo "install-deps: all of ${pkgs[*]} present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
