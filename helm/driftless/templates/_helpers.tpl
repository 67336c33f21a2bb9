{{/* Names ----------------------------------------------------------------------------- */}}

{{- define "driftless.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name; 52 characters leave room for the longest suffix (-worker, -redis). */}}
{{- define "driftless.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "driftless.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "driftless.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "driftless.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "driftless.configMapName" -}}
{{- default (printf "%s-config" (include "driftless.fullname" .)) .Values.config.existingConfigMap -}}
{{- end -}}

{{- define "driftless.redisSecretName" -}}
{{- default (printf "%s-redis" (include "driftless.fullname" .)) .Values.redis.auth.existingSecret -}}
{{- end -}}

{{/* Labels: pass (dict "ctx" $ "component" "web") ------------------------------------------ */}}

{{- define "driftless.selectorLabels" -}}
app.kubernetes.io/name: {{ include "driftless.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{- define "driftless.labels" -}}
helm.sh/chart: {{ include "driftless.chart" .ctx }}
{{ include "driftless.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: driftless
{{- end -}}

{{- define "driftless.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The config file ---------------------------------------------------------------------- */}}

{{/* The config file as rendered into the ConfigMap. */}}
{{- define "driftless.configFile" -}}
# Rendered by the Driftless chart from config.file in its values.
{{ toYaml .Values.config.file }}
{{- end -}}

{{/*
The in-cluster targets of config.file, as JSON: {"namespaces": [...], "inventory": {ns: [parent names]}}.
Targets of clusters reached by kubeconfig need rights granted in those clusters, not here.
*/}}
{{- define "driftless.inClusterScope" -}}
{{- $clusters := .Values.config.file.clusters | default dict -}}
{{- $namespaces := list -}}
{{- $inventory := dict -}}
{{- range $t := .Values.config.file.targets | default list -}}
{{- $cluster := get $clusters ($t.cluster | default "" | toString) -}}
{{- if and (kindIs "map" $cluster) (eq (toString (get $cluster "inCluster")) "true") -}}
{{- $namespaces = append $namespaces $t.namespace -}}
{{- range $t.allowedNamespaces | default list }}{{ $namespaces = append $namespaces . }}{{ end -}}
{{- $inv := $t.inventoryNamespace | default $t.namespace -}}
{{- $_ := set $inventory $inv (append (get $inventory $inv | default list) (printf "driftless-%s" $t.name)) -}}
{{- end -}}
{{- end -}}
{{- dict "namespaces" ($namespaces | uniq | sortAlpha) "inventory" $inventory | toJson -}}
{{- end -}}

{{/*
Namespace → what the workers need there, for rbac.clusterWide: false, as JSON:
{ns: {"deploy": bool, "inventory": [parent Secret names] or null (any name)}}.
*/}}
{{- define "driftless.roleNamespaces" -}}
{{- $scope := include "driftless.inClusterScope" . | fromJson -}}
{{- $result := dict -}}
{{- $deploy := .Values.rbac.namespaces | default $scope.namespaces -}}
{{- range $deploy }}{{ $_ := set $result . (dict "deploy" true "inventory" list) }}{{ end -}}
{{- if .Values.rbac.inventoryNamespaces -}}
{{- range .Values.rbac.inventoryNamespaces -}}
{{- $entry := get $result . | default (dict "deploy" false) -}}
{{- $_ := set $entry "inventory" nil -}}
{{- $_ := set $result . $entry -}}
{{- end -}}
{{- else -}}
{{- range $ns, $names := $scope.inventory -}}
{{- $entry := get $result $ns | default (dict "deploy" false "inventory" list) -}}
{{- $_ := set $entry "inventory" (concat ($entry.inventory | default list) $names | uniq | sortAlpha) -}}
{{- $_ := set $result $ns $entry -}}
{{- end -}}
{{- end -}}
{{- toJson $result -}}
{{- end -}}

{{/* Environment ------------------------------------------------------------------------- */}}

{{/* Names of the variables the pods get, as JSON; "*" when an envFrom Secret may hold any. */}}
{{- define "driftless.providedEnv" -}}
{{- $names := list "PORT" "REDIS_URL" "LOG_LEVEL" "NODE_EXTRA_CA_CERTS" "REDIS_PASSWORD" "HOME" -}}
{{- range .Values.extraEnv }}{{ $names = append $names .name }}{{ end -}}
{{- range $k, $_ := .Values.secrets.fromSecretKeys }}{{ $names = append $names $k }}{{ end -}}
{{- if .Values.secrets.create -}}
{{- range $k, $v := .Values.secrets.values }}{{ if $v }}{{ $names = append $names $k }}{{ end }}{{ end -}}
{{- end -}}
{{- if .Values.secrets.existingSecrets }}{{ $names = append $names "*" }}{{ end -}}
{{- toJson $names -}}
{{- end -}}

{{/* The Redis part of the container env: REDIS_PASSWORD (when any), then REDIS_URL (not with Sentinel, which finds the primary). */}}
{{- define "driftless.redisEnv" -}}
{{- if dig "redis" "sentinel" "" (.Values.config.file | default dict) }}
{{- with .Values.externalRedis.passwordSecret.name }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.externalRedis.passwordSecret.key }}
{{- end }}
{{- else if .Values.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "driftless.redisSecretName" . }}
      key: {{ .Values.redis.auth.existingSecretKey }}
- name: REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s-redis:6379" (include "driftless.fullname" .) | quote }}
{{- else if .Values.externalRedis.urlSecret.name }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.externalRedis.urlSecret.name }}
      key: {{ .Values.externalRedis.urlSecret.key }}
{{- else }}
{{- $u := urlParse .Values.externalRedis.url }}
{{- $path := $u.path }}
{{- if $u.query }}{{ $path = printf "%s?%s" $u.path $u.query }}{{ end }}
{{- if .Values.externalRedis.passwordSecret.name }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.externalRedis.passwordSecret.name }}
      key: {{ .Values.externalRedis.passwordSecret.key }}
- name: REDIS_URL
  value: {{ printf "%s://%s:$(REDIS_PASSWORD)@%s%s" $u.scheme (.Values.externalRedis.username | urlquery) $u.host $path | quote }}
{{- else if .Values.externalRedis.username }}
- name: REDIS_URL
  value: {{ printf "%s://%s@%s%s" $u.scheme (.Values.externalRedis.username | urlquery) $u.host $path | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ .Values.externalRedis.url | quote }}
{{- end }}
{{- end }}
{{- with .Values.externalRedis.tls.caSecret.name }}
{{- if not $.Values.redis.enabled }}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/driftless/redis-ca/{{ $.Values.externalRedis.tls.caSecret.key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Validation: problems no schema can express, each naming the value to set -------------- */}}

{{- define "driftless.validate" -}}
{{- $problems := list -}}
{{- $sentinel := dig "redis" "sentinel" "" (.Values.config.file | default dict) -}}
{{- if and (not .Values.redis.enabled) (not .Values.externalRedis.url) (not .Values.externalRedis.urlSecret.name) (not $sentinel) -}}
{{- $problems = append $problems "no Redis: set externalRedis.url (redis:// or rediss://host:port) or externalRedis.urlSecret.name, config.file.redis.sentinel for a highly available Redis, or redis.enabled=true for a single-replica trial Redis" -}}
{{- end -}}
{{- if and $sentinel (or .Values.redis.enabled .Values.externalRedis.url .Values.externalRedis.urlSecret.name) -}}
{{- $problems = append $problems "two Redis sources: config.file.redis.sentinel finds the primary itself; leave externalRedis.url, externalRedis.urlSecret.name and redis.enabled unset with it" -}}
{{- end -}}
{{- if and .Values.redis.enabled (or .Values.externalRedis.url .Values.externalRedis.urlSecret.name) -}}
{{- $problems = append $problems "two Redis sources: redis.enabled=true runs a Redis in the release; leave externalRedis.url and externalRedis.urlSecret.name empty with it" -}}
{{- end -}}
{{- if and .Values.externalRedis.url (not (regexMatch "^rediss?://[^/@]+" .Values.externalRedis.url)) -}}
{{- $problems = append $problems "externalRedis.url: expected redis://host:port or rediss://host:port (TLS), without a password" -}}
{{- end -}}
{{- if and .Values.externalRedis.url (contains "@" .Values.externalRedis.url) -}}
{{- $problems = append $problems "externalRedis.url must not hold credentials: put the password in a Secret and name it in externalRedis.passwordSecret (or the whole URL in externalRedis.urlSecret)" -}}
{{- end -}}
{{- if not .Values.config.existingConfigMap -}}
{{- $file := .Values.config.file | default dict -}}
{{- if not $file.targets -}}
{{- $problems = append $problems "config.file.targets is empty: list at least one target (name, repo, cluster, namespace), or use config.existingConfigMap" -}}
{{- end -}}
{{- $clusters := $file.clusters | default dict -}}
{{- range $i, $t := $file.targets | default list -}}
{{- if and $t.cluster (not (hasKey $clusters (toString $t.cluster))) -}}
{{- $problems = append $problems (printf "config.file.targets[%d].cluster: unknown cluster %q; defined under config.file.clusters: %s" $i $t.cluster (keys $clusters | sortAlpha | join ", ")) -}}
{{- end -}}
{{- end -}}
{{- $providers := $file.providers | default dict -}}
{{- if not (or $providers.github $providers.gitlab $providers.generic) -}}
{{- $problems = append $problems "config.file.providers: configure github, gitlab or generic with its webhook secret (the web refuses to start without one)" -}}
{{- end -}}
{{/* Every ${NAME} without a default must be set by something the chart provides. */}}
{{- $provided := include "driftless.providedEnv" . | fromJsonArray -}}
{{- if not (has "*" $provided) -}}
{{- $text := toYaml $file | replace "$${" "" -}}
{{- range $ref := regexFindAll "\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}" $text -1 | uniq -}}
{{- $name := trimSuffix "}" (trimPrefix "${" $ref) -}}
{{- if not (has $name $provided) -}}
{{- $problems = append $problems (printf "config.file references ${%s}, which nothing sets: add it to a Secret listed in secrets.existingSecrets, map it in secrets.fromSecretKeys.%s, or set secrets.create=true with secrets.values.%s" $name $name $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (not .Values.rbac.clusterWide) .Values.rbac.create -}}
{{- $ns := include "driftless.roleNamespaces" . | fromJson -}}
{{- if not $ns -}}
{{- $problems = append $problems "rbac.clusterWide=false needs namespaces: list them in rbac.namespaces (and rbac.inventoryNamespaces), or define in-cluster targets in config.file" -}}
{{- end -}}
{{- end -}}
{{- range $i, $c := .Values.clusterSecrets -}}
{{- if not $c.name -}}
{{- $problems = append $problems (printf "clusterSecrets[%d].name: the name of an existing Secret holding a kubeconfig" $i) -}}
{{- end -}}
{{- end -}}
{{- if $problems -}}
{{- fail (printf "\n\nThe Driftless chart cannot be installed with these values:\n  - %s\n" (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}

{{/* Rules in every namespace Driftless deploys to: the kinds, and Events on what it changed. */}}
{{- define "driftless.deployRules" -}}
{{- range .Values.rbac.resources }}
- apiGroups: {{ toJson .apiGroups }}
  resources: {{ toJson .resources }}
  verbs: ["get", "list", "create", "patch", "delete"]
{{- end }}
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- with .Values.rbac.extraRules }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pods --------------------------------------------------------------------------------- */}}

{{/* The topology spread constraints of a component, each with the component's labels when it names none. */}}
{{- define "driftless.topologySpread" -}}
{{- $ctx := .ctx -}}
{{- $component := .component -}}
{{- $out := list -}}
{{- range .constraints -}}
{{- $c := deepCopy . -}}
{{- if not $c.labelSelector -}}
{{- $_ := set $c "labelSelector" (dict "matchLabels" (include "driftless.selectorLabels" (dict "ctx" $ctx "component" $component) | fromYaml)) -}}
{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
One Driftless Deployment: (dict "ctx" $ "component" "web"|"worker" "values" .Values.web|.Values.worker "command" "serve"|"worker").
*/}}
{{- define "driftless.deployment" -}}
{{- $ := .ctx -}}
{{- $v := .values -}}
{{- $component := .component -}}
{{- $fullname := include "driftless.fullname" $ -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}-{{ $component }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "driftless.labels" (dict "ctx" $ "component" $component) | nindent 4 }}
spec:
  replicas: {{ $v.replicas }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "driftless.selectorLabels" (dict "ctx" $ "component" $component) | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
  template:
    metadata:
      labels:
        {{- include "driftless.labels" (dict "ctx" $ "component" $component) | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- if not $.Values.config.existingConfigMap }}
        checksum/config: {{ include "driftless.configFile" $ | sha256sum }}
        {{- end }}
        {{- if $.Values.secrets.create }}
        checksum/secrets: {{ toJson $.Values.secrets.values | sha256sum }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "driftless.serviceAccountName" $ }}
      {{- if eq $component "web" }}
      # The web only talks to Redis: no API token in its pods.
      automountServiceAccountToken: false
      {{- else }}
      automountServiceAccountToken: true
      {{- end }}
      enableServiceLinks: false
      {{- with $.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ $component }}
          image: {{ include "driftless.image" $ | quote }}
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          {{- with $v.nodeFlags }}
          # the image's entrypoint, with the component's Node.js flags before the script
          command: ["/usr/bin/tini", "--", "node", {{ range . }}{{ . | quote }}, {{ end }}"/app/dist/cli.js"]
          {{- end }}
          args: [{{ .command | quote }}, "--config", "/etc/driftless/config/driftless.yaml"]
          ports:
            - name: http
              containerPort: {{ $.Values.port }}
              protocol: TCP
          env:
            - name: PORT
              value: {{ $.Values.port | quote }}
            - name: LOG_LEVEL
              value: {{ $.Values.logLevel | quote }}
            # git and kubectl (kustomize) keep their caches in the writable /tmp.
            - name: HOME
              value: /tmp
            {{- include "driftless.redisEnv" $ | trim | nindent 12 }}
            {{- range $name, $ref := $.Values.secrets.fromSecretKeys }}
            - name: {{ $name }}
              valueFrom:
                secretKeyRef:
                  name: {{ $ref.name }}
                  key: {{ $ref.key }}
            {{- end }}
            {{- with $.Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- if or $.Values.secrets.existingSecrets $.Values.secrets.create }}
          envFrom:
            {{- range $.Values.secrets.existingSecrets }}
            - secretRef:
                name: {{ . }}
            {{- end }}
            {{- if $.Values.secrets.create }}
            - secretRef:
                name: {{ $fullname }}-env
            {{- end }}
          {{- end }}
          {{- with $v.livenessProbe }}
          livenessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.readinessProbe }}
          readinessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.startupProbe }}
          startupProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/driftless/config
              readOnly: true
            - name: tmp
              mountPath: /tmp
            {{- if and $.Values.externalRedis.tls.caSecret.name (not $.Values.redis.enabled) }}
            - name: redis-ca
              mountPath: /etc/driftless/redis-ca
              readOnly: true
            {{- end }}
            {{- if eq $component "worker" }}
            {{- range $i, $c := $.Values.clusterSecrets }}
            - name: cluster-{{ $i }}
              mountPath: {{ $c.mountPath | default (printf "/etc/driftless/clusters/%s" $c.name) }}
              readOnly: true
            {{- end }}
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ include "driftless.configMapName" $ }}
            items:
              - key: {{ ternary $.Values.config.existingConfigMapKey "driftless.yaml" (ne $.Values.config.existingConfigMap "") }}
                path: driftless.yaml
        - name: tmp
          emptyDir:
            sizeLimit: {{ $v.tmpSizeLimit }}
        {{- if and $.Values.externalRedis.tls.caSecret.name (not $.Values.redis.enabled) }}
        - name: redis-ca
          secret:
            secretName: {{ $.Values.externalRedis.tls.caSecret.name }}
            items:
              - key: {{ $.Values.externalRedis.tls.caSecret.key }}
                path: {{ $.Values.externalRedis.tls.caSecret.key }}
        {{- end }}
        {{- if eq $component "worker" }}
        {{- range $i, $c := $.Values.clusterSecrets }}
        - name: cluster-{{ $i }}
          secret:
            secretName: {{ $c.name }}
            defaultMode: 0440
        {{- end }}
        {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- include "driftless.topologySpread" (dict "ctx" $ "component" $component "constraints" .) | nindent 8 }}
      {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
