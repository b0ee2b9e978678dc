// Package hpa computes desired replica counts as the Kubernetes
// HorizontalPodAutoscaler controller (autoscaling/v2) does, which is how
// KEDA's triggers reach a workload.
//
// A decision has three phases, each recorded in the returned Decision:
//
//  1. Propose: each metric proposes a replica count from its usage ratio.
//     For an AverageValue target the ratio is value / (target × status
//     replicas) and the proposal is ceil(value / target). For a Value
//     target the ratio is value / target and the proposal is ceil(ratio ×
//     ready pods). For a Utilization target the ratio is the pods' usage in
//     whole percent of their requests over the target percentage. A ratio
//     inside the tolerance band [1 - scaleDown, 1 + scaleUp] (default 0.1
//     each way, both ends inclusive) proposes the current count. The
//     largest proposal wins. An invalid metric never blocks a scale-up, but
//     when all metrics are invalid, or the valid ones would scale down, the
//     count stays.
//  2. Stabilize: without Spec.Behavior, a scale-down follows the highest
//     recommendation of the downscale window (default 300 s). With a
//     Behavior, the count stays between the lowest recommendation of the
//     scale-up window and the highest of the scale-down window.
//  3. Limit: without Spec.Behavior, a scale-up reaches at most max(2 ×
//     current, 4) replicas. With a Behavior, the Pods and Percent policies
//     limit the change over their periods, counting the scale events
//     within them, and selectPolicy Max, Min or Disabled picks among them.
//     The result is clamped to [MinReplicas, MaxReplicas].
//
// The result names the Kubernetes condition reason that shaped it
// (DesiredWithinRange, ScaleUpLimit, ScaleDownLimit, TooFewReplicas,
// TooManyReplicas, ScaleUpStabilized, ScaleDownStabilized).
//
// Values arrive in milli-units as the HPA reads them. Metric.Value and
// Metric.Target are truncated to milli-units as KEDA does when it builds the
// metric quantity. Metric.ValueMilli and Metric.TargetMilli take quantities
// exactly (MilliFromQuantity rounds up as resource.Quantity.MilliValue
// does). Sums and counts saturate instead of overflowing, and NaN or ±Inf
// values make a metric invalid rather than a huge or negative count.
//
// Behavior and its rules carry the autoscaling/v2 JSON tags, so a manifest's
// behavior block decodes into them with sigs.k8s.io/yaml. Decode with
// yaml.UnmarshalStrict: it rejects an unknown field such as
// stabilisationWindowSeconds, which yaml.Unmarshal drops, leaving the
// default in place. Both match field names without regard to case, as
// encoding/json does, so scaleup decodes as scaleUp. Omitted fields take
// the API defaults.
//
// Time is a parameter: Recommend takes now and never reads a clock. A
// Calculator keeps the recommendations and scale events its windows and
// policies need. History and Restore export and import them as a plain
// struct that round-trips through encoding/json, so a host that stores it
// keeps its windows across a restart.
//
// The arithmetic of every decision is available as data
// (Decision.Proposals, Decision.Steps) and as text (Decision.Explain), which
// is rendered only on request: Recommend itself does not allocate for up
// to four metrics.
package hpa
