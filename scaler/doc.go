// Package scaler runs the autoscaling loop that KEDA runs for a
// ScaledObject, inside the host program: poll every trigger, decide whether
// the workload is active, and set the replica count that KEDA plus the
// Kubernetes HPA would set.
//
// Each poll, at a time given by an injected Clock:
//
//   - every trigger's Source returns one number; the trigger is active when
//     the number is strictly greater than its activation threshold;
//   - a workload at 0 replicas with an active trigger is activated to
//     max(minReplicaCount, 1) replicas;
//   - an inactive workload with minReplicaCount 0 is scaled to 0 once
//     cooldownPeriod has passed since a trigger was last active (or since
//     the scaler started, if none ever was);
//   - otherwise the hpa package computes the count from every trigger's
//     value and threshold, within [max(minReplicaCount, 1), maxReplicaCount].
//
// Source and Target are the plug points: amp.Source queries Amazon Managed
// Prometheus or any Prometheus-compatible API, and MemoryTarget holds a
// replica count in memory for tests and simulations. Step runs one poll at a
// given time, for tests that read as timelines; Run polls until its context
// is done.
//
// NOTE: When a trigger fails, the poll changes nothing and reports the
// error; KEDA's fallback replicas, scaling modifiers and pause annotations
// are not implemented yet.
package scaler
