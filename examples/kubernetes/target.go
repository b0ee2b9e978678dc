package main

import (
	"context"
	"fmt"
	"sync"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/promscaler/promscaler/hpa"
	"github.com/promscaler/promscaler/scaler"
)

// The kinds that WorkloadTarget scales, and the API group version of both.
const (
	appsV1          = "apps/v1"
	kindDeployment  = "Deployment"
	kindStatefulSet = "StatefulSet"
)

// scaleClient is the scale subresource of one workload resource. The
// typed clients of Deployments and StatefulSets both provide it.
type scaleClient interface {
	GetScale(ctx context.Context, name string, opts metav1.GetOptions) (*autoscalingv1.Scale, error)
	UpdateScale(ctx context.Context, name string, scale *autoscalingv1.Scale, opts metav1.UpdateOptions) (*autoscalingv1.Scale, error)
}

// WorkloadTarget is a scaler.Target on the scale subresource of an apps/v1
// Deployment or StatefulSet, as the HPA reads and sets it. Like the HPA, it
// keeps the scale that Replicas read, resourceVersion included, and
// SetReplicas writes that object back, so the API server rejects the write
// when the workload changed in between. It is safe for concurrent use, but
// each SetReplicas pairs with the latest Replicas of any caller, so the
// pairing holds for one caller that reads and then writes, as the scaler's
// serialized polls do.
type WorkloadTarget struct {
	kind      string
	namespace string
	name      string
	scales    scaleClient
	// readyReplicas reads status.readyReplicas of the workload object.
	readyReplicas func(ctx context.Context) (int32, error)

	mu sync.Mutex
	// read is the scale that the latest Replicas call read, kept for the
	// next SetReplicas; nil when there is none.
	read *autoscalingv1.Scale
}

var _ scaler.Target = (*WorkloadTarget)(nil)

// NewWorkloadTarget returns the target that ref names in namespace. An
// empty apiVersion or kind means apps/v1 Deployment, as in KEDA. Other
// kinds, such as an Argo Rollout or a custom resource, are rejected.
func NewWorkloadTarget(client kubernetes.Interface, namespace string, ref scaler.ScaleTarget) (*WorkloadTarget, error) {
	kind := ref.Kind
	if kind == "" {
		kind = kindDeployment
	}
	apiVersion := ref.APIVersion
	if apiVersion == "" {
		apiVersion = appsV1
	}
	if apiVersion != appsV1 || (kind != kindDeployment && kind != kindStatefulSet) {
		return nil, fmt.Errorf("kubernetes: scaleTargetRef %s %s is not supported; use an apps/v1 Deployment or StatefulSet", apiVersion, kind)
	}
	if ref.Name == "" {
		return nil, fmt.Errorf("kubernetes: scaleTargetRef.name is missing; set it to the name of the %s", kind)
	}

	t := &WorkloadTarget{kind: kind, namespace: namespace, name: ref.Name}
	apps := client.AppsV1()
	switch kind {
	case kindDeployment:
		deployments := apps.Deployments(namespace)
		t.scales = deployments
		t.readyReplicas = func(ctx context.Context) (int32, error) {
			d, err := deployments.Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				return 0, err
			}
			return d.Status.ReadyReplicas, nil
		}
	case kindStatefulSet:
		statefulSets := apps.StatefulSets(namespace)
		t.scales = statefulSets
		t.readyReplicas = func(ctx context.Context) (int32, error) {
			s, err := statefulSets.Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				return 0, err
			}
			return s.Status.ReadyReplicas, nil
		}
	}
	return t, nil
}

// String names the workload, such as "Deployment default/sample-app".
func (t *WorkloadTarget) String() string {
	return fmt.Sprintf("%s %s/%s", t.kind, t.namespace, t.name)
}

// Replicas reads the scale subresource and the workload's ready pods. As in
// the HPA, Current is the scale's spec.replicas and Status its
// status.replicas, the pods that exist. Ready is the object's
// status.readyReplicas, where the HPA counts the ready pods itself.
// Replicas keeps the scale for the next SetReplicas. A failed read keeps
// nothing.
func (t *WorkloadTarget) Replicas(ctx context.Context) (hpa.Replicas, error) {
	t.keepRead(nil)
	scale, err := t.scales.GetScale(ctx, t.name, metav1.GetOptions{})
	if err != nil {
		return hpa.Replicas{}, t.readError("scale subresource", err)
	}

	ready, err := t.readyReplicas(ctx)
	if err != nil {
		return hpa.Replicas{}, t.readError("ready replicas", err)
	}

	t.keepRead(scale)
	return hpa.Replicas{Current: scale.Spec.Replicas, Status: scale.Status.Replicas, Ready: ready}, nil
}

// SetReplicas writes spec.replicas through the scale subresource. It writes
// nothing when the count is already replicas.
//
// After a Replicas call it updates the scale that call read, and uses that
// read once. If the workload changed since then, such as by kubectl scale or
// another controller, the API server rejects the update with 409 Conflict.
// SetReplicas then returns an error that wraps the conflict and does not
// retry, because the count the caller decided rests on a read that is out
// of date. The HPA controller does the same: its sync fails with reason
// FailedUpdateScale, and the next sync decides again. The scaler records
// the error in the poll's Decision (TargetErr and Err), Step returns it,
// and the workload keeps the other writer's count until the next poll
// reads it and decides again.
//
// Without a kept read, it reads the scale and writes the count, and on a
// conflict reads and writes again with client-go's default backoff, five
// attempts in all. That happens after a failed Replicas call and on a
// second SetReplicas after one read, such as when the scaler's Shutdown
// restores the original count after its own read of the target failed.
// No read backs the count in these cases, so no read can be out of date,
// and the write sets the requested count over any change.
// When Shutdown's read succeeds, its write uses that read like a poll, and
// runUntilDone calls Shutdown again on a conflict.
func (t *WorkloadTarget) SetReplicas(ctx context.Context, replicas int32) error {
	if replicas < 0 {
		return fmt.Errorf("kubernetes: replicas %d for %s is negative", replicas, t)
	}

	read := t.takeRead()
	if read != nil {
		return t.updateRead(ctx, read, replicas)
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		scale, err := t.scales.GetScale(ctx, t.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if scale.Spec.Replicas == replicas {
			return nil
		}
		scale.Spec.Replicas = replicas
		_, err = t.scales.UpdateScale(ctx, t.name, scale, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("kubernetes: set %s to %d replicas: %w", t, replicas, err)
	}
	return nil
}

// updateRead writes replicas into the scale that Replicas read. The
// resourceVersion of read makes the API server reject the update if the
// workload changed since.
func (t *WorkloadTarget) updateRead(ctx context.Context, read *autoscalingv1.Scale, replicas int32) error {
	if read.Spec.Replicas == replicas {
		return nil
	}

	scale := read.DeepCopy()
	scale.Spec.Replicas = replicas
	_, err := t.scales.UpdateScale(ctx, t.name, scale, metav1.UpdateOptions{})
	switch {
	case err == nil:
		return nil
	case apierrors.IsConflict(err):
		return fmt.Errorf("kubernetes: %s changed since it was read at %d replicas, so it was not set to %d; the next poll reads it and decides again: %w",
			t, read.Spec.Replicas, replicas, err)
	default:
		return fmt.Errorf("kubernetes: set %s to %d replicas: %w", t, replicas, err)
	}
}

// keepRead stores scale for the next SetReplicas; nil drops the kept one.
func (t *WorkloadTarget) keepRead(scale *autoscalingv1.Scale) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.read = scale
}

// takeRead returns the kept scale and drops it, so each read serves one
// write. It returns nil when there is none.
func (t *WorkloadTarget) takeRead() *autoscalingv1.Scale {
	t.mu.Lock()
	defer t.mu.Unlock()
	read := t.read
	t.read = nil
	return read
}

// readError wraps a failed read of part, and names what to check when the
// workload or the permission is missing.
func (t *WorkloadTarget) readError(part string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("kubernetes: %s not found; check scaleTargetRef.name and the namespace: %w", t, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("kubernetes: reading the %s of %s is forbidden; grant get on the resource and its scale subresource: %w", part, t, err)
	default:
		return fmt.Errorf("kubernetes: read the %s of %s: %w", part, t, err)
	}
}
