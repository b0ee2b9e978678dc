package scaler

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleQuery = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`

// readTestdata returns the contents of a file in testdata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return data
}

// minimalObject returns a valid ScaledObject as a JSON tree, which tests
// edit with setPath.
func minimalObject() map[string]any {
	return map[string]any{
		"apiVersion": "keda.sh/v1alpha1",
		"kind":       "ScaledObject",
		"metadata":   map[string]any{"name": "api", "namespace": "shop"},
		"spec": map[string]any{
			"scaleTargetRef": map[string]any{"name": "api"},
			"triggers": []any{map[string]any{
				"type": "prometheus",
				"metadata": map[string]any{
					"serverAddress": "http://prometheus:9090",
					"query":         "sum(rate(http_requests_total[2m]))",
					"threshold":     "50",
				},
			}},
		},
	}
}

var pathStep = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// setPath sets the value at a path such as spec.triggers[0].metadata.query
// in a JSON tree, creating mappings on the way. A nil value deletes the
// field.
func setPath(t testing.TB, tree map[string]any, path string, value any) {
	t.Helper()
	steps := pathStep.FindAllStringSubmatch(path, -1)
	var node any = tree
	for i, step := range steps {
		last := i == len(steps)-1
		if step[2] != "" {
			index, _ := strconv.Atoi(step[2])
			list := node.([]any)
			if last {
				list[index] = value
				return
			}
			node = list[index]
			continue
		}
		object := node.(map[string]any)
		if last {
			if value == nil {
				delete(object, step[1])
			} else {
				object[step[1]] = value
			}
			return
		}
		if _, ok := object[step[1]]; !ok {
			object[step[1]] = map[string]any{}
		}
		node = object[step[1]]
	}
}

// loadTree loads a JSON tree with LoadScaledObject.
func loadTree(t testing.TB, tree map[string]any) (*ScaledObject, error) {
	t.Helper()
	data, err := json.Marshal(tree)
	require.NoError(t, err)
	return LoadScaledObject(data)
}

// problemLines returns the problems of a *LoadError as "<path>: <message>".
func problemLines(t testing.TB, err error) []string {
	t.Helper()
	var loadErr *LoadError
	require.True(t, errors.As(err, &loadErr), "error %v is not a *LoadError", err)
	lines := make([]string, len(loadErr.Problems))
	for i, p := range loadErr.Problems {
		lines[i] = Problem{Path: p.Path, Message: p.Message}.String()
	}
	return lines
}

func TestLoadSampleApp(t *testing.T) {
	so, err := LoadScaledObject(readTestdata(t, "sample-app.yaml"))
	require.NoError(t, err)

	assert.Equal(t, "sample-app-prometheus-scaler", so.Metadata.Name)
	assert.Equal(t, "default", so.Metadata.Namespace)
	assert.Equal(t, []string{"finalizer.keda.sh"}, so.Metadata.Finalizers)
	assert.Equal(t, int64(4), so.Metadata.Generation)
	assert.Equal(t, "1.0", so.Metadata.Labels["app.kubernetes.io/version"])
	assert.Equal(t, "sample-app", so.Spec.ScaleTargetRef.Name)
	assert.Equal(t, "Deployment", so.Spec.ScaleTargetRef.Kind)
	assert.Equal(t, int32(60), *so.Spec.PollingInterval)
	assert.Equal(t, int32(300), *so.Spec.CooldownPeriod)
	assert.Equal(t, int32(0), *so.Spec.InitialCooldownPeriod)
	assert.Equal(t, int32(1), *so.Spec.MinReplicaCount)
	assert.Equal(t, int32(5), *so.Spec.MaxReplicaCount)
	assert.Nil(t, so.Spec.IdleReplicaCount)
	assert.True(t, so.Spec.Advanced.ScalingModifiers.isZero(), "scalingModifiers: {} means no modifiers")
	assert.Equal(t, int32(600), *so.Spec.Advanced.HorizontalPodAutoscalerConfig.Behavior.ScaleDown.StabilizationWindowSeconds)
	assert.Equal(t, FallbackSpec{FailureThreshold: 2, Replicas: 1}, *so.Spec.Fallback)
	require.Len(t, so.Spec.Triggers, 1)
	assert.Equal(t, "sample-app-ta", so.Spec.Triggers[0].AuthenticationRef.Name)

	md, err := ParsePrometheusMetadata(so.Spec.Triggers[0].Metadata)
	require.NoError(t, err)
	assert.Equal(t, 50.0, md.Threshold)
	assert.Equal(t, 0.0, md.ActivationThreshold)
	assert.Equal(t, "ap-northeast-2", md.AWSRegion)
	assert.Equal(t, "operator", md.IdentityOwner)
	assert.Equal(t, sampleQuery, md.Query)
	assert.True(t, md.IgnoreNullValues)
}

func TestLoadSampleAppWarnings(t *testing.T) {
	so, err := LoadScaledObject(readTestdata(t, "sample-app.yaml"))
	require.NoError(t, err)

	warnings := so.Warnings()
	require.Len(t, warnings, 3)
	assert.Equal(t, "spec.cooldownPeriod: has no effect, because minReplicaCount 1 is above 0 and idleReplicaCount is not set", warnings[0])
	assert.True(t, strings.HasPrefix(warnings[1], "spec.triggers[0].metadata.query: sum aggregates all its input into one series, or none when the input is empty."), warnings[1])
	assert.True(t, strings.HasSuffix(warnings[1], "Suggested query: "+sampleQuery+" or vector(0)"), warnings[1])
	assert.Equal(t, `spec.triggers[0].metadata.serverAddress: "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-<REDACTED_WORKSPACE_ID>" `+
		`holds the placeholder <REDACTED_WORKSPACE_ID>; replace it with the real value before running`, warnings[2])
}

func TestLoadMultipleDocuments(t *testing.T) {
	data := strings.Join([]string{
		"# a comment before the first document",
		string(readTestdata(t, "sample-app.yaml")),
		"--- # the authentication",
		string(readTestdata(t, "sample-app-ta.yaml")),
		"---",
		"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: keda-operator\n",
		"---",
		"",
	}, "\n")

	so, err := LoadScaledObject([]byte(data))
	require.NoError(t, err)

	require.Len(t, so.authentications, 1)
	assert.Equal(t, "sample-app-ta", so.authentications[0].Metadata.Name)
	assert.Equal(t, "aws", so.authentications[0].Spec.PodIdentity.Provider)
	assert.Contains(t, so.Warnings(), `ServiceAccount keda-operator: kind "ServiceAccount" skipped; only ScaledObject, TriggerAuthentication and ClusterTriggerAuthentication are read`)
}

func TestLoadListFromKubectl(t *testing.T) {
	list := map[string]any{
		"apiVersion": "v1",
		"kind":       "List",
		"items":      []any{minimalObject()},
	}
	data, err := json.Marshal(list)
	require.NoError(t, err)

	so, err := LoadScaledObject(data)
	require.NoError(t, err)
	assert.Equal(t, "api", so.Metadata.Name)
}

func TestLoadIgnoresServerFields(t *testing.T) {
	tree := minimalObject()
	setPath(t, tree, "metadata.uid", "0b5c1d9e")
	setPath(t, tree, "metadata.resourceVersion", "123")
	setPath(t, tree, "metadata.managedFields", []any{map[string]any{"manager": "kubectl"}})
	setPath(t, tree, "metadata.creationTimestamp", "2025-01-22T09:00:00Z")
	setPath(t, tree, "status", map[string]any{"conditions": []any{}, "anything": 1})

	so, err := loadTree(t, tree)
	require.NoError(t, err)
	assert.Equal(t, "2025-01-22T09:00:00Z", so.Metadata.CreationTimestamp.Format("2006-01-02T15:04:05Z07:00"))
}

func TestLoadRules(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]any
		want  []string
	}{
		{"load: wrong apiVersion", map[string]any{"apiVersion": "keda.k8s.io/v1alpha1"},
			[]string{`apiVersion: "keda.k8s.io/v1alpha1" is not KEDA's API version; use keda.sh/v1alpha1`}},
		{"load: missing name", map[string]any{"metadata.name": nil},
			[]string{"metadata.name: missing; name the ScaledObject"}},
		{"load: name too long", map[string]any{"metadata.name": strings.Repeat("a", 64)},
			[]string{`metadata.name: "` + strings.Repeat("a", 64) + `" is 64 characters long; KEDA allows at most 63, because it uses the name as a label value`}},
		{"load: HPA name too long", map[string]any{"metadata.name": strings.Repeat("a", 55)},
			[]string{`metadata.name: "` + strings.Repeat("a", 55) + `" gives the HPA name "keda-hpa-` + strings.Repeat("a", 55) + `", which is 64 characters long; KEDA allows at most 63, so shorten the name or set spec.advanced.horizontalPodAutoscalerConfig.name`}},
		{"load: HPA name set too long", map[string]any{"spec.advanced.horizontalPodAutoscalerConfig.name": strings.Repeat("h", 64)},
			[]string{`spec.advanced.horizontalPodAutoscalerConfig.name: "` + strings.Repeat("h", 64) + `" is 64 characters long; KEDA allows at most 63`}},
		{"load: paused not boolean", map[string]any{"metadata.annotations": map[string]any{"autoscaling.keda.sh/paused": "yes please"}},
			[]string{`metadata.annotations["autoscaling.keda.sh/paused"]: "yes please" is not a boolean; use "true" or "false"`}},
		{"load: paused-replicas negative", map[string]any{"metadata.annotations": map[string]any{"autoscaling.keda.sh/paused-replicas": "-1"}},
			[]string{`metadata.annotations["autoscaling.keda.sh/paused-replicas"]: "-1" is not a replica count; use a whole number of 0 or more, such as "0"`}},
		{"load: paused-scale-in not boolean", map[string]any{"metadata.annotations": map[string]any{"autoscaling.keda.sh/paused-scale-in": "on"}},
			[]string{`metadata.annotations["autoscaling.keda.sh/paused-scale-in"]: "on" is not a boolean; use "true" or "false"`}},
		{"load: missing scaleTargetRef name", map[string]any{"spec.scaleTargetRef": map[string]any{"kind": "Deployment"}},
			[]string{"spec.scaleTargetRef.name: missing; name the workload to scale"}},
		{"load: no triggers", map[string]any{"spec.triggers": []any{}},
			[]string{"spec.triggers: missing; add at least one prometheus trigger"}},
		{"load: pollingInterval zero", map[string]any{"spec.pollingInterval": 0},
			[]string{"spec.pollingInterval: 0 is below 1; use 1 or more"}},
		{"load: pollingInterval as duration", map[string]any{"spec.pollingInterval": "60s"},
			[]string{`spec.pollingInterval: "60s" is a string; use whole seconds such as 60`}},
		{"load: cooldownPeriod negative", map[string]any{"spec.cooldownPeriod": -1},
			[]string{"spec.cooldownPeriod: -1 is below 0; use 0 or more"}},
		{"load: initialCooldownPeriod negative", map[string]any{"spec.initialCooldownPeriod": -5},
			[]string{"spec.initialCooldownPeriod: -5 is below 0; use 0 or more"}},
		{"load: minReplicaCount negative", map[string]any{"spec.minReplicaCount": -1},
			[]string{"spec.minReplicaCount: -1 is below 0; use 0 or more"}},
		{"load: minReplicaCount fractional", map[string]any{"spec.minReplicaCount": 1.5},
			[]string{"spec.minReplicaCount: 1.5 is not a whole number; use a replica count such as 1"}},
		{"load: maxReplicaCount zero", map[string]any{"spec.maxReplicaCount": 0},
			[]string{"spec.maxReplicaCount: 0 is below 1; use 1 or more"}},
		{"load: maxReplicaCount out of range", map[string]any{"spec.maxReplicaCount": 1e10},
			[]string{"spec.maxReplicaCount: 10000000000 is out of range; use a replica count such as 10"}},
		{"load: min above max", map[string]any{"spec.minReplicaCount": 6, "spec.maxReplicaCount": 5},
			[]string{"spec.minReplicaCount: 6 is above maxReplicaCount 5; lower minReplicaCount or raise maxReplicaCount"}},
		{"load: min above default max", map[string]any{"spec.minReplicaCount": 101},
			[]string{"spec.minReplicaCount: 101 is above maxReplicaCount 100; lower minReplicaCount or raise maxReplicaCount"}},
		{"load: idle equal to min", map[string]any{"spec.minReplicaCount": 1, "spec.idleReplicaCount": 1},
			[]string{"spec.idleReplicaCount: 1 is not below minReplicaCount 1; use a count below minReplicaCount, or remove idleReplicaCount"}},
		{"load: idle zero without min", map[string]any{"spec.idleReplicaCount": 0},
			[]string{"spec.idleReplicaCount: 0 is not below minReplicaCount 0; use a count below minReplicaCount, or remove idleReplicaCount"}},
		{"load: idle negative", map[string]any{"spec.idleReplicaCount": -1, "spec.minReplicaCount": 1},
			[]string{"spec.idleReplicaCount: -1 is below 0; use 0 or more"}},
		{"load: fallback threshold negative", map[string]any{"spec.fallback": map[string]any{"failureThreshold": -1, "replicas": 1}},
			[]string{"spec.fallback.failureThreshold: -1 is negative; use 0 or more"}},
		{"load: fallback replicas negative", map[string]any{"spec.fallback": map[string]any{"failureThreshold": 3, "replicas": -2}},
			[]string{"spec.fallback.replicas: -2 is negative; use 0 or more"}},
		{"load: fallback without failureThreshold", map[string]any{"spec.fallback": map[string]any{"replicas": 1}},
			[]string{"spec.fallback.failureThreshold: missing; KEDA requires it, even when its value is 0, so set a count such as 3"}},
		{"load: fallback without replicas", map[string]any{"spec.fallback": map[string]any{"failureThreshold": 3, "behavior": "currentReplicas"}},
			[]string{"spec.fallback.replicas: missing; KEDA requires it, even when its value is 0, so set a replica count such as 1"}},
		{"load: fallback replicas null", map[string]any{"spec.fallback": map[string]any{"failureThreshold": 3, "replicas": nil}},
			[]string{"spec.fallback.replicas: missing; KEDA requires it, even when its value is 0, so set a replica count such as 1"}},
		{"load: fallback empty", map[string]any{"spec.fallback": map[string]any{}},
			[]string{
				"spec.fallback.failureThreshold: missing; KEDA requires it, even when its value is 0, so set a count such as 3",
				"spec.fallback.replicas: missing; KEDA requires it, even when its value is 0, so set a replica count such as 1",
			}},
		{"load: fallback behavior unknown", map[string]any{"spec.fallback": map[string]any{"failureThreshold": 3, "replicas": 1, "behavior": "highest"}},
			[]string{`spec.fallback.behavior: "highest" is not a fallback behavior; use static, currentReplicas, currentReplicasIfHigher, currentReplicasIfLower`}},
		{"load: fallback behavior scalingModifiers", map[string]any{"spec.fallback": map[string]any{"failureThreshold": 3, "replicas": 1, "behavior": "scalingModifiers"}},
			[]string{`spec.fallback.behavior: "scalingModifiers" is not supported; use static, currentReplicas, currentReplicasIfHigher, currentReplicasIfLower`}},
		{"load: fallback with Utilization", map[string]any{"spec.fallback": map[string]any{"failureThreshold": 3, "replicas": 1}, "spec.triggers[0].metricType": "Utilization"},
			[]string{
				"spec.fallback: cannot apply to spec.triggers[0], whose metricType is Utilization; use AverageValue or Value for the trigger",
				"spec.triggers[0].metricType: Utilization applies only to cpu and memory triggers, which KEDA reads from the pods; use AverageValue or Value",
			}},
		{"load: behavior window too long", map[string]any{"spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds": 4000},
			[]string{"spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds: 4000 must be between 0 and 3600 seconds"}},
		{"load: behavior field misspelled", map[string]any{"spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindow": 60},
			[]string{"spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindow: unknown field; did you mean stabilizationWindowSeconds?"}},
		{"load: formula without target", map[string]any{"spec.advanced.scalingModifiers.formula": "api", "spec.triggers[0].name": "api"},
			[]string{"spec.advanced.scalingModifiers.target: missing; a formula needs the target of its composite metric, such as \"10\""}},
		{"load: target without formula", map[string]any{"spec.advanced.scalingModifiers.target": "10"},
			[]string{`spec.advanced.scalingModifiers.formula: missing; set a formula over the trigger names, such as "(trig_one + trig_two) / 2", or remove scalingModifiers`}},
		{"load: target not a number", map[string]any{"spec.advanced.scalingModifiers": map[string]any{"formula": "api", "target": "ten"}, "spec.triggers[0].name": "api"},
			[]string{`spec.advanced.scalingModifiers.target: "ten" is not a positive number; use a quoted decimal such as "10"`}},
		{"load: target zero", map[string]any{"spec.advanced.scalingModifiers": map[string]any{"formula": "api", "target": "0"}, "spec.triggers[0].name": "api"},
			[]string{`spec.advanced.scalingModifiers.target: "0" is not a positive number; use a quoted decimal such as "10"`}},
		{"load: activationTarget not a number", map[string]any{"spec.advanced.scalingModifiers": map[string]any{"formula": "api", "target": "10", "activationTarget": "x"}, "spec.triggers[0].name": "api"},
			[]string{`spec.advanced.scalingModifiers.activationTarget: "x" is not a number; use a quoted decimal such as "1"`}},
		{"load: modifier metricType Utilization", map[string]any{"spec.advanced.scalingModifiers": map[string]any{"formula": "api", "target": "10", "metricType": "Utilization"}, "spec.triggers[0].name": "api"},
			[]string{"spec.advanced.scalingModifiers.metricType: Utilization applies only to cpu and memory triggers, which KEDA reads from the pods; use AverageValue or Value"}},
		{"load: formula with unknown name", map[string]any{"spec.advanced.scalingModifiers": map[string]any{"formula": "apii * 2", "target": "10"}, "spec.triggers[0].name": "api"},
			[]string{`spec.advanced.scalingModifiers.formula: "apii * 2": unknown name apii at line 1, column 1; use one of the trigger names "api"`}},
		{"load: formula with unnamed trigger", map[string]any{"spec.advanced.scalingModifiers": map[string]any{"formula": "api * 2", "target": "10"}},
			[]string{"spec.triggers[0].name: missing; a formula refers to triggers by name, so give every trigger a name"}},
		{"load: trigger type kafka", map[string]any{"spec.triggers[0].type": "kafka"},
			[]string{`spec.triggers[0].type: "kafka" is not supported; only the prometheus trigger is supported`}},
		{"load: trigger type missing", map[string]any{"spec.triggers[0].type": nil},
			[]string{"spec.triggers[0].type: missing; set type: prometheus"}},
		{"load: trigger names repeated", map[string]any{"spec.triggers": []any{
			map[string]any{"type": "prometheus", "name": "rps", "metadata": map[string]any{"serverAddress": "http://prometheus:9090", "query": "sum(up)", "threshold": "1"}},
			map[string]any{"type": "prometheus", "name": "rps", "metadata": map[string]any{"serverAddress": "http://prometheus:9090", "query": "sum(up)", "threshold": "2"}},
		}},
			[]string{`spec.triggers[1].name: "rps" is also the name of spec.triggers[0]; trigger names must be unique`}},
		{"load: metricType unknown", map[string]any{"spec.triggers[0].metricType": "Average"},
			[]string{`spec.triggers[0].metricType: "Average" is not a metric type; use AverageValue or Value`}},
		{"load: authenticationRef without name", map[string]any{"spec.triggers[0].authenticationRef": map[string]any{"kind": "TriggerAuthentication"}},
			[]string{"spec.triggers[0].authenticationRef.name: missing; name the TriggerAuthentication"}},
		{"load: authenticationRef kind unknown", map[string]any{"spec.triggers[0].authenticationRef": map[string]any{"name": "ta", "kind": "Secret"}},
			[]string{`spec.triggers[0].authenticationRef.kind: "Secret" is not an authentication kind; use TriggerAuthentication or ClusterTriggerAuthentication`}},
		{"load: unknown spec field", map[string]any{"spec.pollingIntervall": 30},
			[]string{"spec.pollingIntervall: unknown field; did you mean pollingInterval?"}},
		{"load: unknown field prefix", map[string]any{"spec.triggers[0].auth": "x"},
			[]string{"spec.triggers[0].auth: unknown field; did you mean authenticationRef?"}},
		{"load: unknown field far off", map[string]any{"spec.triggers[0].labels": "x"},
			[]string{"spec.triggers[0].labels: unknown field; the fields here are authenticationRef, metadata, metricType, name, type, useCachedMetrics"}},
		{"load: metadata key beside type", map[string]any{"spec.triggers[0].query": "x"},
			[]string{"spec.triggers[0].query: a setting of the prometheus trigger, which belongs under metadata; add a metadata: line above the settings and indent them under it"}},
		{"load: metadata value unquoted", map[string]any{"spec.triggers[0].metadata.threshold": 50},
			[]string{`spec.triggers[0].metadata.threshold: 50 is a number; quote it as "50", because the field takes a string`}},
		{"load: boolean as string", map[string]any{"spec.advanced.restoreToOriginalReplicaCount": "true"},
			[]string{`spec.advanced.restoreToOriginalReplicaCount: "true" is a string; use true or false, without quotes`}},
		{"load: triggers as mapping", map[string]any{"spec.triggers": map[string]any{"type": "prometheus"}},
			[]string{"spec.triggers: the value is a mapping; use a list"}},
		{"load: creationTimestamp invalid", map[string]any{"metadata.creationTimestamp": "yesterday"},
			[]string{`metadata.creationTimestamp: "yesterday" is invalid; use an RFC 3339 time such as "2025-01-22T09:00:00Z"`}},
		{"load: metadata problem in trigger", map[string]any{"spec.triggers[0].metadata.threshold": "0"},
			[]string{`spec.triggers[0].metadata.threshold: "0" is below 0.001; KEDA accepts it and the HPA then rejects the target, so use at least 0.001`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := minimalObject()
			for path, value := range tt.edits {
				setPath(t, tree, path, value)
			}

			_, err := loadTree(t, tree)

			require.Error(t, err)
			assert.Equal(t, tt.want, problemLines(t, err))
		})
	}
}

func TestLoadAcceptsValidVariants(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]any
	}{
		{"load: idle below min", map[string]any{"spec.idleReplicaCount": 0, "spec.minReplicaCount": 1}},
		{"load: name of 54 characters", map[string]any{"metadata.name": strings.Repeat("a", 54)}},
		{"load: long name with HPA name", map[string]any{"metadata.name": strings.Repeat("a", 63), "spec.advanced.horizontalPodAutoscalerConfig.name": "api-hpa"}},
		{"load: fallback with Value", map[string]any{"spec.fallback": map[string]any{"failureThreshold": 3, "replicas": 2, "behavior": "currentReplicasIfHigher"}, "spec.triggers[0].metricType": "Value"}},
		{"load: fallback of zeros", map[string]any{"spec.fallback": map[string]any{"failureThreshold": 0, "replicas": 0}}},
		{"load: empty scalingModifiers", map[string]any{"spec.advanced.scalingModifiers": map[string]any{}}},
		{"load: formula with target", map[string]any{"spec.advanced.scalingModifiers": map[string]any{"formula": "api / 2", "target": "10", "activationTarget": "0.5", "metricType": "Value"}, "spec.triggers[0].name": "api"}},
		{"load: null optional fields", map[string]any{"spec.minReplicaCount": nil, "spec.fallback": nil}},
		{"load: all pause annotations", map[string]any{"metadata.annotations": map[string]any{
			"autoscaling.keda.sh/paused": "false", "autoscaling.keda.sh/paused-replicas": "0",
			"autoscaling.keda.sh/paused-scale-in": "true", "autoscaling.keda.sh/paused-scale-out": "False",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := minimalObject()
			for path, value := range tt.edits {
				setPath(t, tree, path, value)
			}

			so, err := loadTree(t, tree)

			require.NoError(t, err)
			assert.NoError(t, so.Validate())
		})
	}
}

func TestLoadListsEveryProblem(t *testing.T) {
	data := []byte(`apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: api
spec:
  pollingInterval: "60s"
  minReplicaCount: 1
  idleReplicaCount: 3
  scaleTargetRef: {name: api}
  triggers:
  - type: prometheus
    metadata:
      serverAddress: prometheus:9090
      query: rate(http_requests_total[2m])
      threshold: "fifty"
      timeout: 5 seconds
---
kind: ConfigMap
---
- not an object
`)

	_, err := LoadScaledObject(data)

	require.Error(t, err)
	lines := problemLines(t, err)
	assert.Len(t, lines, 7, strings.Join(lines, "\n"))
	assert.Contains(t, lines, "the document is a list; expected a Kubernetes object with apiVersion, kind, metadata and spec")
	assert.Contains(t, lines, `spec.pollingInterval: "60s" is a string; use whole seconds such as 60`)
	assert.Contains(t, lines, "spec.idleReplicaCount: 3 is not below minReplicaCount 1; use a count below minReplicaCount, or remove idleReplicaCount")
	assert.Contains(t, lines, `spec.triggers[0].metadata.threshold: "fifty" is not a number; write a decimal such as "50" or "0.5"`)
	assert.Contains(t, lines, `spec.triggers[0].metadata.timeout: "5 seconds" is not a duration; use a Go duration such as "5s" or whole milliseconds such as "5000"`)
	assert.Contains(t, lines, `spec.triggers[0].metadata.serverAddress: invalid server address "prometheus:9090": the scheme is missing; write the URL in full, for example "http://prometheus:9090"`)
	assert.Contains(t, err.Error(), "error[one-value]: rate returns one series per input series")
	assert.Contains(t, err.Error(), "= fix: sum(rate(http_requests_total[2m]))")
}

func TestLoadDocumentErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"load: empty data", "", "scaler: no ScaledObject found; the data must contain one document of kind ScaledObject"},
		{"load: only other kinds", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "scaler: no ScaledObject found; the data must contain one document of kind ScaledObject"},
		{"load: kind missing", "apiVersion: keda.sh/v1alpha1\nmetadata: {name: x}\n", "scaler: document 1: kind: missing; set kind: ScaledObject and apiVersion: keda.sh/v1alpha1"},
		{"load: YAML syntax error", "# nothing\n---\nkind: [ScaledObject\n", "scaler: document 2: invalid YAML: yaml: line 3: did not find expected ',' or ']'"},
		{"load: tab indentation", "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n\tname: x\n",
			"scaler: document 1: invalid YAML: yaml: line 4: found character that cannot start any token; line 4 is indented with a tab, which YAML does not allow, so indent it with spaces"},
		{"load: tab after separator", "# header\n---\nkind: ScaledObject\nspec:\n  \tpollingInterval: 5\n",
			"scaler: document 2: invalid YAML: yaml: line 5: found character that cannot start any token; line 5 is indented with a tab, which YAML does not allow, so indent it with spaces"},
		{"load: trigger keys without metadata", "kind: ScaledObject\nspec:\n  triggers:\n  - type: prometheus\n\n      serverAddress: http://prometheus:9090\n",
			"scaler: document 1: invalid YAML: yaml: line 6: mapping values are not allowed in this context; line 6 is indented deeper than line 4, whose key already has a value, " +
				"so add the key that line 6 belongs under, such as metadata:, or indent it as line 4"},
		{"load: colon in unquoted value", "# header\n---\nkind: ScaledObject\nmetadata:\n  name: api: v2\n",
			`scaler: document 2: invalid YAML: yaml: line 5: mapping values are not allowed in this context; if a value on line 5 contains ": ", quote it`},
		{"load: duplicate YAML key", "kind: ScaledObject\nkind: ScaledObject\n", `scaler: document 1: invalid YAML: yaml: unmarshal errors: line 2: key "kind" already set in map; keep one of the keys of the same name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadScaledObject([]byte(tt.data))

			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestLoadTwoScaledObjects(t *testing.T) {
	sample := string(readTestdata(t, "sample-app.yaml"))
	data := sample + "---\n" + strings.Replace(sample, "\n  name: sample-app-prometheus-scaler", "\n  name: other", 1) +
		"---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {namespace: shop}\n"

	_, err := LoadScaledObject([]byte(data))

	require.Error(t, err)
	assert.Equal(t, "scaler: found 3 ScaledObjects (default/sample-app-prometheus-scaler, default/other, document 3); "+
		"LoadScaledObject reads one, so use LoadScaledObjects to read them all", err.Error())
}

func TestLoadTriggerAuthenticationRules(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{"load: provider missing", "podIdentity: {roleArn: arn:aws:iam::123456789012:role/keda}",
			[]string{"spec.podIdentity.provider: missing; use aws or none"}},
		{"load: provider aws-eks", "podIdentity: {provider: aws-eks}",
			[]string{"spec.podIdentity.provider: aws-eks is deprecated in KEDA and not supported; use provider aws, with roleArn for a role to assume"}},
		{"load: provider gcp", "podIdentity: {provider: gcp}",
			[]string{`spec.podIdentity.provider: "gcp" is not supported; only aws and none are supported`}},
		{"load: identityOwner workload", "podIdentity: {provider: aws, identityOwner: workload}",
			[]string{"spec.podIdentity.identityOwner: workload is not supported: KEDA then reads the role from the workload's service account, which an embedded library cannot see; set roleArn to that role and remove identityOwner"}},
		{"load: roleArn malformed", "podIdentity: {provider: aws, roleArn: keda-role}",
			[]string{`spec.podIdentity.roleArn: invalid role ARN "keda-role": expected arn:aws:iam::<12-digit account>:role/<name> (partition aws, aws-cn or aws-us-gov)`}},
		{"load: externalID unsupported", "podIdentity: {provider: aws, externalID: x}",
			[]string{"spec.podIdentity.externalID: externalID is not supported; only provider, roleArn and identityOwner are read"}},
		{"load: env unsupported", "env: [{parameter: bearerToken, name: TOKEN}]",
			[]string{"spec.env: not supported in an embedded library, which has no container to read environment variables from; put the value in a secret, reference it with secretTargetRef, and pass it in BuildOptions.Secrets"}},
		{"load: vault unsupported", "hashiCorpVault: {address: http://vault:8200}",
			[]string{"spec.hashiCorpVault: not supported; supply the value through secretTargetRef and BuildOptions.Secrets"}},
		{"load: secretTargetRef without key", "secretTargetRef: [{parameter: bearerToken, name: prom}]",
			[]string{"spec.secretTargetRef[0].key: missing; a secretTargetRef needs parameter, name and key"}},
		{"load: parameter set twice", "secretTargetRef: [{parameter: token, name: a, key: t}, {parameter: token, name: b, key: t}]",
			[]string{`spec.secretTargetRef[1].parameter: "token" is also set by spec.secretTargetRef[0]; set each parameter once`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: ta}\nspec:\n  " + tt.spec + "\n"

			_, err := LoadTriggerAuthentication([]byte(data))

			require.Error(t, err)
			assert.Equal(t, tt.want, problemLines(t, err))
		})
	}
}

func TestLoadTriggerAuthenticationSample(t *testing.T) {
	ta, err := LoadTriggerAuthentication(readTestdata(t, "sample-app-ta.yaml"))

	require.NoError(t, err)
	assert.Equal(t, "TriggerAuthentication", ta.Kind)
	assert.Equal(t, "sample-app-ta", ta.Metadata.Name)
	assert.Equal(t, &PodIdentity{Provider: "aws"}, ta.Spec.PodIdentity)
}

func TestLoadWithInvalidAuthentication(t *testing.T) {
	data := string(readTestdata(t, "sample-app.yaml")) + "---\n" +
		"apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: sample-app-ta}\nspec:\n  podIdentity: {provider: azure-workload}\n"

	_, err := LoadScaledObject([]byte(data))

	require.Error(t, err)
	assert.Equal(t, `scaler: TriggerAuthentication sample-app-ta: spec.podIdentity.provider: "azure-workload" is not supported; only aws and none are supported`, err.Error())
}

func FuzzLoadScaledObject(f *testing.F) {
	f.Add(readTestdata(f, "sample-app.yaml"))
	f.Add(readTestdata(f, "sample-app-ta.yaml"))
	f.Add([]byte(string(readTestdata(f, "sample-app.yaml")) + "---\n" + string(readTestdata(f, "sample-app-ta.yaml"))))
	minimal, err := json.Marshal(minimalObject())
	require.NoError(f, err)
	f.Add(minimal)
	f.Add([]byte("kind: List\nitems: [{kind: ScaledObject}]\n"))
	// The sample with a workspace ID builds a Config. The build does not
	// connect to the workspace.
	withWorkspace := strings.ReplaceAll(string(readTestdata(f, "sample-app.yaml"))+"---\n"+string(readTestdata(f, "sample-app-ta.yaml")),
		"<REDACTED_WORKSPACE_ID>", "00000000-0000-4000-8000-000000000000")
	f.Add([]byte(withWorkspace))

	f.Fuzz(func(t *testing.T, data []byte) {
		so, err := LoadScaledObject(data)
		if err != nil {
			var loadErr *LoadError
			if !errors.As(err, &loadErr) || len(loadErr.Problems) == 0 {
				t.Fatalf("error %v is not a *LoadError with problems", err)
			}
			return
		}
		if err := so.Validate(); err != nil {
			t.Fatalf("a loaded object does not validate: %v", err)
		}

		// Static credentials keep the AWS SDK's default chain out of the build.
		cfg, err := so.Config(BuildOptions{
			Target:      &MemoryTarget{},
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
		})
		if err != nil {
			var loadErr *LoadError
			if !errors.As(err, &loadErr) || len(loadErr.Problems) == 0 {
				t.Fatalf("Config error %v is not a *LoadError with problems", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("the Config of a loaded object does not validate: %v", err)
		}
	})
}

func TestLoadIdleZeroWithMinZero(t *testing.T) {
	tree := minimalObject()
	setPath(t, tree, "spec.minReplicaCount", 0)
	setPath(t, tree, "spec.idleReplicaCount", 0)

	so, err := loadTree(t, tree)
	require.NoError(t, err)
	cfg, err := so.Config(BuildOptions{Target: &MemoryTarget{}})
	require.NoError(t, err)

	assert.Contains(t, so.Warnings(), "spec.idleReplicaCount: 0 has no effect, because minReplicaCount is 0 and the workload scales to zero when inactive; remove idleReplicaCount")
	assert.Nil(t, cfg.IdleReplicaCount)
}

func TestLoadSkipsUnreferencedAuthentication(t *testing.T) {
	data := string(readTestdata(t, "sample-app.yaml")) + "---\n" + string(readTestdata(t, "sample-app-ta.yaml")) + "---\n" +
		"apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: rabbitmq-vault, namespace: default}\n" +
		"spec:\n  hashiCorpVault: {address: \"http://vault:8200\", authentication: kubernetes}\n"

	so, err := LoadScaledObject([]byte(data))

	require.NoError(t, err)
	require.Len(t, so.authentications, 1)
	assert.Equal(t, "sample-app-ta", so.authentications[0].Metadata.Name)
	assert.Contains(t, so.Warnings(), "TriggerAuthentication default/rabbitmq-vault: skipped, because no trigger of the ScaledObject references it")
}
