#!/usr/bin/env bash
# Builds what the kubernetes backend's tests run against, once, into a cache that outlives the
# checkout: a real kube-apiserver built from k8s.io/kubernetes (module tools/kube-apiserver),
# Debian's etcd beside it, and Chaos Mesh's CRDs from its module. Prints the folder, which is
# what envtest calls KUBEBUILDER_ASSETS. Quick when it is all there; the first build takes
# about 7.5 minutes on two cores (docs/getting-started.md).
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION=v1.34.2
# The Chaos Mesh main module's version whose config/crd/bases match the api module in go.mod.
CHAOS_MESH_VERSION=v0.9.1-0.20260902003049-47411975a8cb
dir="${SHAKEDOWN_KUBE_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/shakedown/k8s-$K8S_VERSION}"
mkdir -p "$dir"

if [[ ! -x "$dir/kube-apiserver" ]]; then
	echo "kube-assets: building kube-apiserver $K8S_VERSION into $dir (first time: several minutes)" >&2
	minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
	(cd tools/kube-apiserver && go build -trimpath -ldflags "-s -w \
		-X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
		-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
		-o "$dir/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
	mv "$dir/kube-apiserver.tmp" "$dir/kube-apiserver"
fi

etcd=$(command -v etcd || true)
if [[ -z "$etcd" ]]; then
	echo "kube-assets: etcd is not on PATH; make deps installs it (Debian: etcd-server)" >&2
	exit 1
fi
ln -sf "$etcd" "$dir/etcd"

if [[ ! -d "$dir/chaos-mesh-crds" ]]; then
	src=$(cd tools/kube-apiserver && GOFLAGS=-mod=mod go mod download -json "github.com/chaos-mesh/chaos-mesh@$CHAOS_MESH_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	if [[ -z "$src" || ! -d "$src/config/crd/bases" ]]; then
		echo "kube-assets: could not download Chaos Mesh $CHAOS_MESH_VERSION's CRDs" >&2
		exit 1
	fi
	cp -r "$src/config/crd/bases" "$dir/chaos-mesh-crds.tmp"
	chmod -R u+w "$dir/chaos-mesh-crds.tmp"
	mv "$dir/chaos-mesh-crds.tmp" "$dir/chaos-mesh-crds"
fi
echo "$dir"
