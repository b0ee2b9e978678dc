package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/promscaler/promscaler/hpa"
	"github.com/promscaler/promscaler/scaler"
)

func TestReplicasReadsWorkloads(t *testing.T) {
	client := newFakeClient(
		newDeployment("default", "sample-app", 2, 1),
		newStatefulSet("data", "store", 3, 3),
	)
	tests := []struct {
		name      string
		namespace string
		ref       scaler.ScaleTarget
		want      hpa.Replicas
	}{
		{"deployment: two pods, one ready", "default",
			scaler.ScaleTarget{APIVersion: "apps/v1", Kind: "Deployment", Name: "sample-app"},
			hpa.Replicas{Current: 2, Status: 2, Ready: 1}},
		{"deployment: empty kind is Deployment", "default",
			scaler.ScaleTarget{Name: "sample-app"},
			hpa.Replicas{Current: 2, Status: 2, Ready: 1}},
		{"statefulset: three pods ready", "data",
			scaler.ScaleTarget{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "store"},
			hpa.Replicas{Current: 3, Status: 3, Ready: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := NewWorkloadTarget(client, tt.namespace, tt.ref)
			if err != nil {
				t.Fatalf("NewWorkloadTarget() error = %v", err)
			}
			got, err := target.Replicas(context.Background())
			if err != nil {
				t.Fatalf("Replicas() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("Replicas() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReplicasCurrentIsSpecReplicas(t *testing.T) {
	// During a rollout to 4 the scale's spec says 4 while 2 pods exist.
	// The HPA takes spec.replicas as the current count.
	d := newDeployment("default", "sample-app", 4, 2)
	d.Status.Replicas = 2
	target, err := NewWorkloadTarget(newFakeClient(d), "default", scaler.ScaleTarget{Name: "sample-app"})
	if err != nil {
		t.Fatal(err)
	}

	got, err := target.Replicas(context.Background())
	if err != nil {
		t.Fatalf("Replicas() error = %v", err)
	}
	if want := (hpa.Replicas{Current: 4, Status: 2, Ready: 2}); got != want {
		t.Errorf("Replicas() = %+v, want %+v", got, want)
	}
}

func TestSetReplicasUpdatesScale(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		kind     string
		object   runtime.Object
	}{
		{"deployment: 2 to 3", "deployments", "Deployment", newDeployment("default", "web", 2, 2)},
		{"statefulset: 2 to 3", "statefulsets", "StatefulSet", newStatefulSet("default", "web", 2, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := newFakeClient(tt.object)
			target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{APIVersion: "apps/v1", Kind: tt.kind, Name: "web"})
			if err != nil {
				t.Fatal(err)
			}

			if err := target.SetReplicas(context.Background(), 3); err != nil {
				t.Fatalf("SetReplicas(3) error = %v", err)
			}
			if got := specReplicas(t, client, tt.resource, "default", "web"); got != 3 {
				t.Errorf("spec.replicas = %d, want 3", got)
			}
			if got := scaleUpdates(client, tt.resource); len(got) != 1 || got[0] != 3 {
				t.Errorf("scale updates = %v, want [3]", got)
			}
		})
	}
}

func TestSetReplicasSameCountWritesNothing(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	if err := target.SetReplicas(context.Background(), 2); err != nil {
		t.Fatalf("SetReplicas(2) error = %v", err)
	}
	if got := scaleUpdates(client, "deployments"); len(got) != 0 {
		t.Errorf("scale updates = %v, want none", got)
	}
}

func TestSetReplicasRetriesConflict(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	conflicts := 1
	client.PrependReactor("update", "deployments", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" || conflicts == 0 {
			return false, nil, nil
		}
		conflicts--
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("the object has been modified"))
	})
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	if err := target.SetReplicas(context.Background(), 3); err != nil {
		t.Fatalf("SetReplicas(3) error = %v", err)
	}
	if got := specReplicas(t, client, "deployments", "default", "web"); got != 3 {
		t.Errorf("spec.replicas = %d, want 3", got)
	}
	if got := scaleUpdates(client, "deployments"); len(got) != 2 {
		t.Errorf("scale updates = %v, want 2 (the conflict and the retry)", got)
	}
	if got := countScaleGets(client); got != 2 {
		t.Errorf("scale reads = %d, want 2: the retry reads the scale again", got)
	}
}

func TestSetReplicasGivesUpOnConflicts(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	client.PrependReactor("update", "deployments", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" {
			return false, nil, nil
		}
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("the object has been modified"))
	})
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	err = target.SetReplicas(context.Background(), 3)
	if !apierrors.IsConflict(err) {
		t.Fatalf("SetReplicas(3) error = %v, want a conflict", err)
	}
	if !strings.Contains(err.Error(), "set Deployment default/web to 3 replicas") {
		t.Errorf("error %q does not name the workload and count", err)
	}
}

func TestSetReplicasRejectsNegative(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	err = target.SetReplicas(context.Background(), -1)
	if err == nil || !strings.Contains(err.Error(), "replicas -1 for Deployment default/web is negative") {
		t.Errorf("SetReplicas(-1) error = %v, want a negative count error", err)
	}
	if got := len(client.Actions()); got != 0 {
		t.Errorf("requests = %d, want none", got)
	}
}

func TestNewWorkloadTargetRejectsKinds(t *testing.T) {
	tests := []struct {
		name string
		ref  scaler.ScaleTarget
		want string
	}{
		{"reject: Argo Rollout",
			scaler.ScaleTarget{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "web"},
			"scaleTargetRef argoproj.io/v1alpha1 Rollout is not supported; use an apps/v1 Deployment or StatefulSet"},
		{"reject: ReplicaSet",
			scaler.ScaleTarget{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web"},
			"scaleTargetRef apps/v1 ReplicaSet is not supported"},
		{"reject: old API group",
			scaler.ScaleTarget{APIVersion: "extensions/v1beta1", Kind: "Deployment", Name: "web"},
			"scaleTargetRef extensions/v1beta1 Deployment is not supported"},
		{"reject: missing name",
			scaler.ScaleTarget{APIVersion: "apps/v1", Kind: "StatefulSet"},
			"scaleTargetRef.name is missing; set it to the name of the StatefulSet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWorkloadTarget(newFakeClient(), "default", tt.ref)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewWorkloadTarget() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReplicasMissingWorkload(t *testing.T) {
	target, err := NewWorkloadTarget(newFakeClient(), "default", scaler.ScaleTarget{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "absent"})
	if err != nil {
		t.Fatal(err)
	}

	_, err = target.Replicas(context.Background())
	if !apierrors.IsNotFound(err) {
		t.Fatalf("Replicas() error = %v, want not found", err)
	}
	want := "StatefulSet default/absent not found; check scaleTargetRef.name and the namespace"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Replicas() error = %q, want it to contain %q", err, want)
	}
}

func TestSetReplicasMissingWorkload(t *testing.T) {
	target, err := NewWorkloadTarget(newFakeClient(), "default", scaler.ScaleTarget{Name: "absent"})
	if err != nil {
		t.Fatal(err)
	}

	err = target.SetReplicas(context.Background(), 3)
	if !apierrors.IsNotFound(err) {
		t.Errorf("SetReplicas() error = %v, want not found", err)
	}
}

func TestReplicasForbiddenNamesPermission(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	client.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("RBAC"))
	})
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	_, err = target.Replicas(context.Background())
	if err == nil || !strings.Contains(err.Error(), "forbidden; grant get on the resource and its scale subresource") {
		t.Errorf("Replicas() error = %v, want the missing permission", err)
	}
}

// countScaleGets returns the number of recorded reads of a scale
// subresource.
func countScaleGets(client interface{ Actions() []k8stesting.Action }) int {
	n := 0
	for _, action := range client.Actions() {
		if action.GetVerb() == "get" && action.GetSubresource() == "scale" {
			n++
		}
	}
	return n
}
