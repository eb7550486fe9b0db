{{/* The base name of every object: "kubedrift" unless overridden. */}}
{{- define "kubedrift.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- default .Chart.Name .Values.nameOverride | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubedrift.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of one component; `helmLabels: false` leaves out Helm's own (for deploy/). */}}
{{- define "kubedrift.labels" -}}
app.kubernetes.io/name: {{ include "kubedrift.name" .root }}
app.kubernetes.io/component: {{ .component }}
{{- if .root.Values.helmLabels }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end }}
{{- end -}}

{{/* The selector of one component (stable across upgrades). */}}
{{- define "kubedrift.selector" -}}
app.kubernetes.io/name: {{ include "kubedrift.name" .root }}
app.kubernetes.io/component: {{ .component }}
{{- if .root.Values.helmLabels }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}
{{- end -}}

{{/* repository:tag, or repository@digest when a digest is given. */}}
{{- define "kubedrift.image" -}}
{{- $image := mergeOverwrite (deepCopy .root.Values.image) (.image | default dict) -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "kubedrift.controller" -}}{{ include "kubedrift.fullname" . }}-controller{{- end -}}
{{- define "kubedrift.agent" -}}{{ include "kubedrift.fullname" . }}-agent{{- end -}}

{{/*
The PodDisruptionBudget API the cluster serves: policy/v1 from 1.21, else v1beta1. Against a
cluster (install, upgrade, template --validate) the set comes from discovery and names each
kind; helm template alone knows group/versions only, and policy/v1 holds nothing but PDBs.
*/}}
{{- define "kubedrift.pdbApiVersion" -}}
{{- if or (.Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget") (.Capabilities.APIVersions.Has "policy/v1") -}}
policy/v1
{{- else -}}
policy/v1beta1
{{- end -}}
{{- end -}}
