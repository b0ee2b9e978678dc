package main

import (
	"cmp"
	"fmt"
	"strconv"
	"testing"

	"go.uber.org/goleak"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newDeployment returns a Deployment with replicas pods, ready of them
// ready.
func newDeployment(namespace, name string, replicas, ready int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, ResourceVersion: "1"},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status:     appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: ready},
	}
}

// newStatefulSet returns a StatefulSet with replicas pods, ready of them
// ready.
func newStatefulSet(namespace, name string, replicas, ready int32) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, ResourceVersion: "1"},
		Spec:       appsv1.StatefulSetSpec{Replicas: &replicas},
		Status:     appsv1.StatefulSetStatus{Replicas: replicas, ReadyReplicas: ready},
	}
}

// newFakeClient returns a fake clientset holding objects that serves the
// scale subresource of Deployments and StatefulSets. The fake's default
// reactors return the workload object itself for a scale request, so
// GetScale panics on the type, and an update would store the Scale in
// place of the workload. scaleReactor maps the subresource onto the
// workload's spec.replicas and status.replicas, as the API server does.
// Like the API server, it rejects an update of the scale whose
// resourceVersion is set and differs from the workload's with 409
// Conflict, and gives the workload a new resourceVersion on each update.
func newFakeClient(objects ...runtime.Object) *fake.Clientset {
	client := fake.NewClientset(objects...)
	for _, resource := range []string{"deployments", "statefulsets"} {
		client.PrependReactor("get", resource, scaleReactor(client.Tracker()))
		client.PrependReactor("update", resource, scaleReactor(client.Tracker()))
	}
	return client
}

func scaleReactor(tracker k8stesting.ObjectTracker) k8stesting.ReactionFunc {
	return func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" {
			return false, nil, nil
		}
		gvr := action.GetResource()
		namespace := action.GetNamespace()

		switch action := action.(type) {
		case k8stesting.GetAction:
			obj, err := tracker.Get(gvr, namespace, action.GetName())
			if err != nil {
				return true, nil, err
			}
			scale, err := scaleOf(obj)
			return true, scale, err
		case k8stesting.UpdateAction:
			scale, ok := action.GetObject().(*autoscalingv1.Scale)
			if !ok {
				return true, nil, fmt.Errorf("update of scale with a %T", action.GetObject())
			}
			obj, err := tracker.Get(gvr, namespace, scale.Name)
			if err != nil {
				return true, nil, err
			}
			if err := checkResourceVersion(gvr, obj, scale); err != nil {
				return true, nil, err
			}
			if err := setSpecReplicas(obj, scale.Spec.Replicas); err != nil {
				return true, nil, err
			}
			if err := bumpResourceVersion(obj); err != nil {
				return true, nil, err
			}
			if err := tracker.Update(gvr, obj, namespace); err != nil {
				return true, nil, err
			}
			updated, err := scaleOf(obj)
			return true, updated, err
		}
		return false, nil, nil
	}
}

// scaleOf returns the scale subresource of a Deployment or StatefulSet.
func scaleOf(obj runtime.Object) (*autoscalingv1.Scale, error) {
	switch w := obj.(type) {
	case *appsv1.Deployment:
		return &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: w.Name, Namespace: w.Namespace, ResourceVersion: w.ResourceVersion},
			Spec:       autoscalingv1.ScaleSpec{Replicas: *w.Spec.Replicas},
			Status:     autoscalingv1.ScaleStatus{Replicas: w.Status.Replicas},
		}, nil
	case *appsv1.StatefulSet:
		return &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: w.Name, Namespace: w.Namespace, ResourceVersion: w.ResourceVersion},
			Spec:       autoscalingv1.ScaleSpec{Replicas: *w.Spec.Replicas},
			Status:     autoscalingv1.ScaleStatus{Replicas: w.Status.Replicas},
		}, nil
	}
	return nil, fmt.Errorf("no scale subresource for %T", obj)
}

// checkResourceVersion returns a conflict when scale carries a
// resourceVersion other than the workload's.
func checkResourceVersion(gvr schema.GroupVersionResource, obj runtime.Object, scale *autoscalingv1.Scale) error {
	current, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	if scale.ResourceVersion == "" || scale.ResourceVersion == current.GetResourceVersion() {
		return nil
	}
	return apierrors.NewConflict(gvr.GroupResource(), scale.Name,
		fmt.Errorf("the object has been modified; resourceVersion %s, current %s", scale.ResourceVersion, current.GetResourceVersion()))
}

// bumpResourceVersion gives the workload the next resourceVersion.
func bumpResourceVersion(obj runtime.Object) error {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	version, err := strconv.Atoi(cmp.Or(accessor.GetResourceVersion(), "0"))
	if err != nil {
		return fmt.Errorf("resourceVersion %q is not a number: %w", accessor.GetResourceVersion(), err)
	}
	accessor.SetResourceVersion(strconv.Itoa(version + 1))
	return nil
}

func setSpecReplicas(obj runtime.Object, replicas int32) error {
	switch w := obj.(type) {
	case *appsv1.Deployment:
		w.Spec.Replicas = &replicas
	case *appsv1.StatefulSet:
		w.Spec.Replicas = &replicas
	default:
		return fmt.Errorf("no scale subresource for %T", obj)
	}
	return nil
}

// scaleUpdates returns the replica counts of the recorded updates of the
// scale subresource of resource.
func scaleUpdates(client *fake.Clientset, resource string) []int32 {
	var counts []int32
	for _, action := range client.Actions() {
		update, ok := action.(k8stesting.UpdateAction)
		if !ok || action.GetSubresource() != "scale" || action.GetResource() != (schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: resource}) {
			continue
		}
		counts = append(counts, update.GetObject().(*autoscalingv1.Scale).Spec.Replicas)
	}
	return counts
}

// specReplicas returns spec.replicas of the Deployment or StatefulSet in
// the fake.
func specReplicas(t *testing.T, client *fake.Clientset, resource, namespace, name string) int32 {
	t.Helper()
	obj, err := client.Tracker().Get(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: resource}, namespace, name)
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", resource, namespace, name, err)
	}
	scale, err := scaleOf(obj)
	if err != nil {
		t.Fatal(err)
	}
	return scale.Spec.Replicas
}
