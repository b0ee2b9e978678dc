// Package hpa computes desired replica counts exactly as the Kubernetes
// HorizontalPodAutoscaler controller (autoscaling/v2) does for external
// metrics, which is how KEDA's triggers reach the HPA.
//
// The calculation has three phases, each recorded in the returned Decision:
//
//  1. Propose: each metric proposes a replica count from its usage ratio.
//     For an AverageValue target the ratio is value / (target × replicas) and
//     the proposal is ceil(value / target). For a Value target the ratio is
//     value / target and the proposal is ceil(ratio × ready replicas). A ratio
//     inside the tolerance band [1 - tolerance, 1 + tolerance] (default 0.1,
//     both ends inclusive) proposes the current count. The largest proposal
//     wins.
//  2. Stabilize: a scale-down follows the highest proposal seen within the
//     downscale stabilization window (default 5 minutes), so a short dip does
//     not remove pods.
//  3. Limit: the result is clamped to [MinReplicas, MaxReplicas], and a
//     scale-up to at most max(2 × current, 4) replicas per decision.
//
// Metric values and targets are converted to milli-units as KEDA does before
// it hands them to the HPA, so the arithmetic matches a cluster's to the last
// replica. Time is a parameter: Recommend takes now and never reads a clock.
//
// The guide-style arithmetic of every decision is available as data
// (Decision.Proposals, Decision.Steps) and as text (Decision.Explain).
//
// NOTE: Behavior (autoscaling/v2 scaling policies and per-direction
// stabilization windows) is not implemented yet: Calculator follows the
// controller's path for an HPA without spec.behavior, with a configurable
// downscale stabilization window.
package hpa
