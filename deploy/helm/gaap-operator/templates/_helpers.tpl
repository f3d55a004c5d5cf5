{{- define "gaap-operator.labels" -}}
app.kubernetes.io/name: gaap-operator
{{- end -}}
