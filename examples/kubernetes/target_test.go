package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
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

// scaleLikeKubectl sets the Deployment's replicas as kubectl scale does:
// a fresh read of the scale and an update of it.
func scaleLikeKubectl(t *testing.T, client *fake.Clientset, name string, replicas int32) {
	t.Helper()
	deployments := client.AppsV1().Deployments("default")
	scale, err := deployments.GetScale(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("GetScale() error = %v", err)
	}
	scale.Spec.Replicas = replicas
	if _, err := deployments.UpdateScale(context.Background(), name, scale, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("UpdateScale(%d) error = %v", replicas, err)
	}
}

// changeInTracker sets the Deployment's replicas and a new resourceVersion
// in the fake's tracker, without a recorded request.
func changeInTracker(t *testing.T, client *fake.Clientset, name string, replicas int32) {
	t.Helper()
	gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	obj, err := client.Tracker().Get(gvr, "default", name)
	if err != nil {
		t.Fatal(err)
	}
	if err := setSpecReplicas(obj, replicas); err != nil {
		t.Fatal(err)
	}
	if err := bumpResourceVersion(obj); err != nil {
		t.Fatal(err)
	}
	if err := client.Tracker().Update(gvr, obj, "default"); err != nil {
		t.Fatal(err)
	}
}

func TestSetReplicasWritesKeptRead(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := target.Replicas(context.Background()); err != nil {
		t.Fatalf("Replicas() error = %v", err)
	}
	if err := target.SetReplicas(context.Background(), 3); err != nil {
		t.Fatalf("SetReplicas(3) error = %v", err)
	}

	if got := specReplicas(t, client, "deployments", "default", "web"); got != 3 {
		t.Errorf("spec.replicas = %d, want 3", got)
	}
	if got := countScaleGets(client); got != 1 {
		t.Errorf("scale reads = %d, want 1: the write uses the read of Replicas", got)
	}
	updates := scaleUpdateObjects(client)
	if len(updates) != 1 {
		t.Fatalf("scale updates = %d, want 1", len(updates))
	}
	if got := updates[0].ResourceVersion; got != "1" {
		t.Errorf("update resourceVersion = %q, want %q from the read", got, "1")
	}
}

func TestSetReplicasRejectsChangedWorkload(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := target.Replicas(context.Background()); err != nil {
		t.Fatalf("Replicas() error = %v", err)
	}
	scaleLikeKubectl(t, client, "web", 5)
	err = target.SetReplicas(context.Background(), 3)

	if !apierrors.IsConflict(err) {
		t.Fatalf("SetReplicas(3) error = %v, want a wrapped conflict", err)
	}
	want := "Deployment default/web changed since it was read at 2 replicas, so it was not set to 3; the next poll reads it and decides again"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("SetReplicas(3) error = %q, want it to contain %q", err, want)
	}
	if got := specReplicas(t, client, "deployments", "default", "web"); got != 5 {
		t.Errorf("spec.replicas = %d, want 5 from kubectl scale", got)
	}
	if got := scaleUpdates(client, "deployments"); len(got) != 2 {
		t.Errorf("scale updates = %v, want [5 3]: no retry after the conflict", got)
	}
}

func TestSetReplicasUsesReadOnce(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := target.Replicas(context.Background()); err != nil {
		t.Fatalf("Replicas() error = %v", err)
	}
	if err := target.SetReplicas(context.Background(), 3); err != nil {
		t.Fatalf("SetReplicas(3) error = %v", err)
	}
	// The first write changed the resourceVersion, so writing the same
	// read again would conflict. The second call reads afresh.
	if err := target.SetReplicas(context.Background(), 4); err != nil {
		t.Fatalf("second SetReplicas(4) error = %v", err)
	}

	if got := specReplicas(t, client, "deployments", "default", "web"); got != 4 {
		t.Errorf("spec.replicas = %d, want 4", got)
	}
	if got := countScaleGets(client); got != 2 {
		t.Errorf("scale reads = %d, want 2: one by Replicas, one by the second write", got)
	}
}

func TestSetReplicasWithoutReadRetriesChange(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	// Another writer scales the workload to 5 between the first read of
	// SetReplicas and its update, once.
	changes := 1
	client.PrependReactor("update", "deployments", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" || changes == 0 {
			return false, nil, nil
		}
		changes--
		// The fake holds its lock while a reactor runs, so the change goes
		// to the tracker directly.
		changeInTracker(t, client, "web", 5)
		return false, nil, nil
	})
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}

	if err := target.SetReplicas(context.Background(), 3); err != nil {
		t.Fatalf("SetReplicas(3) error = %v", err)
	}

	if got := specReplicas(t, client, "deployments", "default", "web"); got != 3 {
		t.Errorf("spec.replicas = %d, want 3 after the retry", got)
	}
	if got := scaleUpdates(client, "deployments"); len(got) != 2 {
		t.Errorf("scale updates = %v, want [3 3]: the conflict and the retry", got)
	}
}

func TestReplicasFailureDropsKeptRead(t *testing.T) {
	client := newFakeClient(newDeployment("default", "web", 2, 2))
	target, err := NewWorkloadTarget(client, "default", scaler.ScaleTarget{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := target.Replicas(context.Background()); err != nil {
		t.Fatalf("Replicas() error = %v", err)
	}
	scaleLikeKubectl(t, client, "web", 5)
	client.PrependReactor("get", "deployments", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "" {
			return false, nil, nil
		}
		return true, nil, apierrors.NewServiceUnavailable("etcd is down")
	})

	if _, err := target.Replicas(context.Background()); err == nil {
		t.Fatal("Replicas() error = nil, want the failed read of ready replicas")
	}
	// Without a kept read, the write reads the scale afresh.
	if err := target.SetReplicas(context.Background(), 3); err != nil {
		t.Fatalf("SetReplicas(3) error = %v, want a fresh read and no conflict", err)
	}
	if got := specReplicas(t, client, "deployments", "default", "web"); got != 3 {
		t.Errorf("spec.replicas = %d, want 3", got)
	}
}

// scaleUpdateObjects returns the Scale objects of the recorded updates of
// a scale subresource.
func scaleUpdateObjects(client *fake.Clientset) []*autoscalingv1.Scale {
	var scales []*autoscalingv1.Scale
	for _, action := range client.Actions() {
		update, ok := action.(k8stesting.UpdateAction)
		if !ok || action.GetSubresource() != "scale" {
			continue
		}
		scales = append(scales, update.GetObject().(*autoscalingv1.Scale))
	}
	return scales
}
