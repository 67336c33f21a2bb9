#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kubectl) from the Go module proxy
# into a cache outside the repository, keyed by the module's content, and prints the
# folder holding the binaries. Only the first run on a machine compiles (several minutes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" "$0" | sha256sum | cut -c1-12)
k8s=$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$here/go.mod")
cache=${DRIFTLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftless}
bin="$cache/kube/$k8s-$key"
parts=(etcd kube-apiserver kubectl)
if [ ! -x "$bin/testkube" ]; then
  command -v go >/dev/null || { echo "build.sh: Go is required to build the test API server" >&2; exit 1; }
  echo "build.sh: building kube-apiserver $k8s, etcd and kubectl into $bin (first run only; takes minutes)" >&2
  mkdir -p "$bin.tmp"
  # Stamp the release into the binary: clients (kubectl, helm) read the server's version.
  minor=$(echo "$k8s" | cut -d. -f2)
  ver=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ver="$ver -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (cd "$here" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -p 2 -trimpath -ldflags="-s -w$ver" -o "$bin.tmp/testkube" .)
  rm -rf "$bin" && mv "$bin.tmp" "$bin"
  find "$cache/kube" -mindepth 1 -maxdepth 1 ! -name "$(basename "$bin")" -exec rm -rf {} + # older builds
fi
for p in "${parts[@]}"; do ln -sf testkube "$bin/$p"; done
echo "$bin"
