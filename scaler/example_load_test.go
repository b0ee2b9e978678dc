package scaler_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/hpa"
	"github.com/promscaler/promscaler/scaler"
)

// sampleManifest is a ScaledObject with its TriggerAuthentication, as applied to
// a cluster running KEDA.
const sampleManifest = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: sample-app-prometheus-scaler
  namespace: default
spec:
  scaleTargetRef:
    name: sample-app
  pollingInterval: 60
  minReplicaCount: 1
  maxReplicaCount: 5
  triggers:
  - type: prometheus
    authenticationRef:
      name: sample-app-ta
    metadata:
      serverAddress: SERVER_ADDRESS
      awsRegion: ap-northeast-2
      identityOwner: operator
      query: sum(websocket_active_connection_count) or vector(0)
      threshold: "50"
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata:
  name: sample-app-ta
  namespace: default
spec:
  podIdentity:
    provider: aws
`

// memoryWorkload is a workload whose replica count lives in memory.
type memoryWorkload struct {
	mu       sync.Mutex
	replicas int32
}

func (t *memoryWorkload) Replicas(context.Context) (hpa.Replicas, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return hpa.Replicas{Current: t.replicas, Status: t.replicas, Ready: t.replicas}, nil
}

func (t *memoryWorkload) SetReplicas(_ context.Context, replicas int32) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.replicas = replicas
	return nil
}

// A manifest with several mistakes fails with one error that lists them
// all, each with its field path and what to write instead.
func ExampleLoadScaledObject() {
	broken := strings.NewReplacer(
		"pollingInterval: 60", `pollingInterval: "60s"`,
		"maxReplicaCount: 5", "maxReplicas: 5",
		`threshold: "50"`, `threshold: "0"`,
		"SERVER_ADDRESS", "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-<WORKSPACE_ID>",
	).Replace(sampleManifest)

	_, err := scaler.LoadScaledObject([]byte(broken))
	fmt.Println(err)
	// Output:
	// scaler: 3 problems:
	//   - ScaledObject default/sample-app-prometheus-scaler: spec.pollingInterval: "60s" is a string; use whole seconds such as 60
	//   - ScaledObject default/sample-app-prometheus-scaler: spec.maxReplicas: unknown field; did you mean maxReplicaCount?
	//   - ScaledObject default/sample-app-prometheus-scaler: spec.triggers[0].metadata.threshold: "0" is below 0.001; KEDA accepts it and the HPA then rejects the target, so use at least 0.001
}

// Build turns a loaded ScaledObject into a running Scaler. Here the
// workspace is a fake one on 127.0.0.1 that checks the SigV4 signature of
// every request, so the static test credentials replace the host's AWS
// identity.
func ExampleBuild() {
	workspace, err := amptest.Start(amptest.Config{Region: "ap-northeast-2"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer workspace.Close()
	workspace.SetResult("sum(websocket_active_connection_count) or vector(0)", 140)

	so, err := scaler.LoadScaledObject([]byte(strings.Replace(sampleManifest, "SERVER_ADDRESS", workspace.URL(), 1)))
	if err != nil {
		fmt.Println(err)
		return
	}
	target := &memoryWorkload{replicas: 2}
	s, err := scaler.Build(so, scaler.BuildOptions{Target: target, Credentials: workspace.Credentials()})
	if err != nil {
		fmt.Println(err)
		return
	}

	decision, err := s.Step(context.Background(), time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name(), "polls every", s.PollingInterval())
	fmt.Printf("value %v with %d replicas: %d replicas\n", decision.Triggers[0].Value, decision.Replicas.Current, decision.DesiredReplicas)
	// Output:
	// default/sample-app-prometheus-scaler polls every 1m0s
	// value 140 with 2 replicas: 3 replicas
}

// One file may hold several ScaledObjects, such as the output of
// `kubectl get scaledobjects -o yaml`. LoadScaledObjects reads them all, and
// the TriggerAuthentication of the file serves every object that names it.
func ExampleLoadScaledObjects() {
	workspace, err := amptest.Start(amptest.Config{Region: "ap-northeast-2"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer workspace.Close()
	workspace.SetResult("sum(websocket_active_connection_count) or vector(0)", 140)
	workspace.SetResult("sum(queue_messages_ready) or vector(0)", 90)

	web, _, _ := strings.Cut(sampleManifest, "---\n")
	worker := strings.NewReplacer(
		"sample-app-prometheus-scaler", "sample-worker-prometheus-scaler",
		"websocket_active_connection_count", "queue_messages_ready",
	).Replace(web)
	data := strings.ReplaceAll(sampleManifest+"---\n"+worker, "SERVER_ADDRESS", workspace.URL())

	objects, err := scaler.LoadScaledObjects([]byte(data))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, so := range objects {
		s, err := scaler.Build(so, scaler.BuildOptions{Target: &memoryWorkload{replicas: 2}, Credentials: workspace.Credentials()})
		if err != nil {
			fmt.Println(err)
			return
		}
		decision, err := s.Step(context.Background(), time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: value %v, %d replicas\n", s.Name(), decision.Triggers[0].Value, decision.DesiredReplicas)
	}
	// Output:
	// default/sample-app-prometheus-scaler: value 140, 3 replicas
	// default/sample-worker-prometheus-scaler: value 90, 2 replicas
}
