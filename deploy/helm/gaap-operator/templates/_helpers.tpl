{{/* The chart's name: nameOverride, else the chart's. */}}
{{- define "gaap-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name every object is named after, so two releases never collide (cluster-scoped objects included):
fullnameOverride, else the release name if it holds the chart's name, else <release>-<name>; 63 characters at most.
*/}}
{{- define "gaap-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "gaap-operator.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
fullname-<suffix>, with fullname cut so the whole stays a valid Service name (63 characters).
Called with (list . "suffix").
*/}}
{{- define "gaap-operator.suffixed" -}}
{{- $ctx := index . 0 }}
{{- $suffix := index . 1 }}
{{- $base := include "gaap-operator.fullname" $ctx | trunc (int (sub 62 (len $suffix))) | trimSuffix "-" }}
{{- printf "%s-%s" $base $suffix }}
{{- end }}

{{- define "gaap-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Only name and instance: a Deployment's selector cannot change after it is created. */}}
{{- define "gaap-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gaap-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gaap-operator.labels" -}}
helm.sh/chart: {{ include "gaap-operator.chart" . }}
{{ include "gaap-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The pod's labels: podLabels, then the standard ones, which win (the selector and the webhook rely on them). */}}
{{- define "gaap-operator.podLabels" -}}
{{- toYaml (merge (fromYaml (include "gaap-operator.labels" .)) .Values.podLabels) }}
{{- end }}

{{- define "gaap-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gaap-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gaap-operator.image" -}}
{{- .Values.image.repository }}
{{- with .Values.image.digest }}@{{ . }}{{ else }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{ end }}
{{- end }}

{{/* The Secret holding the webhook's (and, with metrics.secure, the metrics') serving certificate and its ca.crt. */}}
{{- define "gaap-operator.tlsSecretName" -}}
{{- include "gaap-operator.suffixed" (list . "webhook-tls") }}
{{- end }}

{{/*
The names the serving certificate covers, as a YAML list: the webhook Service's, and the metrics Service's so that
one certificate serves /metrics too with metrics.secure (always, so turning it on needs no new certificate).
*/}}
{{- define "gaap-operator.dnsNames" -}}
{{- range $svc := list (include "gaap-operator.suffixed" (list $ "webhook")) (include "gaap-operator.suffixed" (list $ "metrics")) }}
- {{ $svc }}.{{ $.Release.Namespace }}.svc
- {{ $svc }}.{{ $.Release.Namespace }}.svc.cluster.local
{{- end }}
{{- end }}

{{/*
The admission webhooks' clientConfig; the caBundle the certificate mode calls for (cert-manager injects its own).
Called with (dict "ctx" . "path" "/..." "caBundle" "<base64 PEM or empty>").
*/}}
{{- define "gaap-operator.webhookClientConfig" -}}
service:
  name: {{ include "gaap-operator.suffixed" (list .ctx "webhook") }}
  namespace: {{ .ctx.Release.Namespace }}
  path: {{ .path }}
{{- with .caBundle }}
caBundle: {{ . }}
{{- end }}
{{- end }}

{{/* Refuses combinations that would render but not be safe to run; called once, from the Deployment. */}}
{{- define "gaap-operator.validate" -}}
{{- $v := .Values }}
{{- if and (not $v.leaderElection.enabled) (gt (int $v.replicaCount) 1) }}
{{- fail (printf "leaderElection.enabled=false with replicaCount=%d: every replica would write to GAAP at once. Enable leader election or set replicaCount=1." (int $v.replicaCount)) }}
{{- end }}
{{- if and (not $v.serviceAccount.create) (not $v.serviceAccount.name) }}
{{- fail "serviceAccount.create=false needs serviceAccount.name: the operator's ClusterRole would otherwise be bound to the namespace's default ServiceAccount, and so to every pod that runs as it." }}
{{- end }}
{{- if and $v.metrics.secure (not $v.webhook.enabled) }}
{{- fail "metrics.secure=true needs webhook.enabled=true: /metrics is served over HTTPS with the webhook's certificate, which is mounted only with the webhook." }}
{{- end }}
{{- if and $v.serviceMonitor.enabled (not $v.metricsService.enabled) }}
{{- fail "serviceMonitor.enabled=true needs metricsService.enabled=true: the ServiceMonitor scrapes through that Service." }}
{{- end }}
{{- if and $v.metrics.secure $v.serviceMonitor.enabled (not $v.serviceMonitor.authorization.credentials.name) }}
{{- fail "metrics.secure=true with serviceMonitor.enabled=true needs serviceMonitor.authorization.credentials.name: a Secret with a token that may get /metrics (bound to the metrics-reader ClusterRole); Prometheus would otherwise be refused." }}
{{- end }}
{{- $byValue := dict "NODE_OPTIONS" "nodeOptions" "MALLOC_ARENA_MAX" "mallocArenaMax" }}
{{- range $e := $v.extraEnv }}
{{- with get $byValue $e.name }}
{{- fail (printf "extraEnv sets %s, which the chart sets from a value: set %s instead." $e.name .) }}
{{- end }}
{{- end }}
{{- include "gaap-operator.validatePdb" . }}
{{- end }}

{{/*
The PodDisruptionBudget is left out with one replica: a budget that keeps the only pod up blocks every node drain,
and one that lets it go protects nothing. Rendering it anyway would make replicaCount=1 fail (or hang drains).
*/}}
{{- define "gaap-operator.pdbEnabled" -}}
{{- if and .Values.podDisruptionBudget.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{/* With two replicas or more, a budget that lets no pod go is a mistake in the values: refused. */}}
{{- define "gaap-operator.validatePdb" -}}
{{- if include "gaap-operator.pdbEnabled" . }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- $replicas := int .Values.replicaCount }}
{{- if not (kindIs "invalid" $pdb.maxUnavailable) }}
{{- if lt (int (include "gaap-operator.pdbCount" (list $pdb.maxUnavailable $replicas))) 1 }}
{{- fail (printf "podDisruptionBudget.maxUnavailable=%v lets no pod be evicted: every node drain would hang. Allow at least one pod, or set podDisruptionBudget.enabled=false." $pdb.maxUnavailable) }}
{{- end }}
{{- else if not (kindIs "invalid" $pdb.minAvailable) }}
{{- if ge (int (include "gaap-operator.pdbCount" (list $pdb.minAvailable $replicas))) $replicas }}
{{- fail (printf "podDisruptionBudget.minAvailable=%v with replicaCount=%d lets no pod be evicted: every node drain would hang. Keep it below replicaCount, or set podDisruptionBudget.enabled=false." $pdb.minAvailable $replicas) }}
{{- end }}
{{- else }}
{{- fail "podDisruptionBudget.enabled=true needs minAvailable or maxUnavailable." }}
{{- end }}
{{- end }}
{{- end }}

{{/* A budget's count of pods for (list <int or "N%"> replicas): a percentage rounded up, as Kubernetes does. */}}
{{- define "gaap-operator.pdbCount" -}}
{{- $value := index . 0 }}
{{- $replicas := index . 1 }}
{{- if kindIs "string" $value }}
{{- div (add (mul $replicas (trimSuffix "%" $value | int)) 99) 100 }}
{{- else }}
{{- int $value }}
{{- end }}
{{- end }}
