#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kubectl, and for
# `scripts/testenv up --with-controllers` kube-controller-manager, kube-scheduler and kwok)
# from the Go module proxy into a cache outside the repository, keyed by the content of this
# folder, and prints the folder holding the binaries. Only the first run on a machine
# compiles (many minutes; see test/kube/README.md for measured times).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Everything that affects the build: the module, the main package, embedded files, this script.
key=$(cd "$here" && cat go.mod go.sum ./*.go ./*.yaml build.sh | sha256sum | cut -c1-12)
k8s=$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$here/go.mod")
cache=${DRIFTLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftless}
bin="$cache/kube/$k8s-$key"
parts=(etcd kube-apiserver kubectl kube-controller-manager kube-scheduler kwok kwok-stages)

in_use() { # dir: does a running process execute a binary from it?
  local exe
  for exe in /proc/[0-9]*/exe; do
    case "$(readlink "$exe" 2>/dev/null)" in "$1"/*) return 0 ;; esac
  done
  return 1
}

if [ ! -x "$bin/testkube" ]; then
  command -v go >/dev/null || { echo "build.sh: Go is required to build the test API server" >&2; exit 1; }
  echo "build.sh: building Kubernetes $k8s parts, etcd and kwok into $bin (first run only; takes many minutes)" >&2
  rm -rf "$bin.tmp" && mkdir -p "$bin.tmp"
  # Stamp the release into the binary: clients (kubectl, helm) read the server's version.
  minor=$(echo "$k8s" | cut -d. -f2)
  ver=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ver="$ver -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (cd "$here" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -p 2 -trimpath -ldflags="-s -w$ver" -o "$bin.tmp/testkube" .)
  rm -rf "$bin" && mv "$bin.tmp" "$bin"
  # Older builds go, except those a running environment still executes (its .testenv/env
  # points there until it is restarted).
  for old in "$cache/kube"/*; do
    [ "$old" = "$bin" ] || [ ! -d "$old" ] || in_use "$old" || rm -rf "$old"
  done
fi
for p in "${parts[@]}"; do ln -sf testkube "$bin/$p"; done
echo "$bin"
