# syntax=docker/dockerfile:1.7
#
# The Driftless image.
#
#   docker build -t driftless:0.1.0 .
#   docker run --rm -p 8080:8080 -v $PWD/driftless.yaml:/etc/driftless/config/driftless.yaml:ro \
#     --env-file .env driftless:0.1.0 all --config /etc/driftless/config/driftless.yaml
#
# The Helm chart (helm/driftless) runs it as `serve` (web) and `worker`, with a read-only root
# filesystem and a writable /tmp. Stages:
#
#   kubectl  kubectl (with its built-in kustomize, which `render: kustomize` runs) built from the
#            Go module proxy, the way test/kube builds the test control plane: the same
#            Kubernetes release (1.36.3) the tests run against.
#   build    `npm ci` with the dev dependencies, `npm run build` (tsc), then
#            `npm prune --omit=dev`: the same install and build steps CI runs (.ci/run).
#   helm     Helm v3.21.4 (`render: helm`, kustomize's helmCharts) built from the Go module
#            proxy exactly as scripts/helm builds the one the tests run.
#   runtime  node:20 on Debian bookworm-slim, with git (fetch), tini (PID 1: forwards SIGTERM so
#            workers finish their sync and close, and reaps git/kubectl children), kubectl, helm,
#            the compiled app; runs as user 1000 (the image's `node` user), owns no file it runs.
#
# Build arguments: NODE_IMAGE, GO_IMAGE, HELM_VERSION, KUBECTL_MODULE_VERSION (k8s.io/kubectl v0.X.Y is
# Kubernetes v1.X.Y).

ARG NODE_IMAGE=node:20-bookworm-slim
ARG GO_IMAGE=golang:1.26-bookworm

# ---------------------------------------------------------------------------------------------
FROM ${GO_IMAGE} AS kubectl
ARG KUBECTL_MODULE_VERSION=v0.36.3
WORKDIR /src
# The whole of Kubernetes' cmd/kubectl: a main around k8s.io/kubectl.
COPY <<'EOF' /src/main.go
package main

import (
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
EOF
RUN set -eux; \
    v=${KUBECTL_MODULE_VERSION}; k8s="v1.${v#v0.}"; minor=$(echo "$v" | cut -d. -f2); \
    go mod init driftless.dev/kubectl; \
    go get "k8s.io/kubectl@$v" "k8s.io/component-base@$v" "k8s.io/client-go@$v"; \
    go mod tidy; \
    ldflags="-s -w"; \
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do \
      ldflags="$ldflags -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"; \
    done; \
    CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags="$ldflags" -o /out/kubectl .; \
    /out/kubectl version --client

# ---------------------------------------------------------------------------------------------
FROM ${GO_IMAGE} AS helm
ARG HELM_VERSION=v3.21.4
# The same build as scripts/helm (the version the tests run): the version stamps Helm's own
# Makefile sets, and the Kubernetes release of its client-go for `.Capabilities` defaults.
RUN set -eux; \
    ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"; \
    for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do \
      ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=36"; \
    done; \
    GOBIN=/out CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install -trimpath -ldflags="$ldflags" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"; \
    /out/helm version

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates git tini; \
    rm -rf /var/lib/apt/lists/*
COPY --from=kubectl /out/kubectl /usr/local/bin/kubectl
COPY --from=helm /out/helm /usr/local/bin/helm
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN ln -s /app/dist/cli.js /usr/local/bin/driftless && chmod 0755 /app/dist/cli.js

# HOME=/tmp: git and kubectl write nothing else, so the root filesystem can be read-only.
ENV NODE_ENV=production \
    KUBECTL=/usr/local/bin/kubectl \
    HELM=/usr/local/bin/helm \
    HOME=/tmp \
    PORT=8080
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli.js"]
CMD ["all", "--config", "/etc/driftless/config/driftless.yaml"]
