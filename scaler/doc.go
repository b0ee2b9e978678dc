// Package scaler runs the autoscaling loop that KEDA runs for a
// ScaledObject, inside the host program: poll every trigger, decide whether
// the workload is active, and set the replica count that KEDA's executor
// plus the Kubernetes HPA would set.
//
// # One poll
//
// Step(ctx, now) runs one poll at a time the caller gives; Run calls it at
// once and then every PollingInterval of the injected Clock. A poll has
// these phases:
//
//  1. Read the target's replicas. If that fails or gives a negative count,
//     nothing changes and the Ready condition is False
//     (ErrorGettingCurrentReplicas).
//  2. Pause. With the paused annotation the poll stops here; with
//     paused-replicas it first sets that count, once. Triggers are not
//     queried. The paused-scale-in and paused-scale-out annotations instead
//     disable the HPA's scale-down or scale-up (selectPolicy Disabled), and
//     block scaling to zero or idle, or activation.
//  3. Read every trigger's Source. A trigger is active when its value is
//     strictly greater than its ActivationThreshold. Failed reads count per
//     trigger; a success resets the count to 0.
//  4. With ScalingModifiers, the formula combines the values into one
//     composite metric, which alone decides activity and is the HPA's only
//     metric. A failed trigger fails the composite metric.
//  5. Fallback. A trigger (or the composite metric) whose consecutive
//     failures exceed fallback.failureThreshold is in fallback: it counts as
//     active, and its HPA metric proposes the fallback count F (Replicas,
//     the current count, or their maximum or minimum, by Behavior). Below
//     the threshold a failed trigger is an invalid HPA metric: the HPA keeps
//     the count unless a valid metric scales up.
//  6. The executor rules. An active workload at 0 replicas (or below
//     MinReplicaCount with IdleReplicaCount set) is set to
//     max(MinReplicaCount, 1). Any other active workload is left to the
//     HPA within [max(MinReplicaCount, 1), MaxReplicaCount]. An inactive
//     workload above 0 (or above its idle count) goes to 0 (or idle) once
//     the cooldown has passed: CooldownPeriod after the last active poll or,
//     for a workload never active, InitialCooldownPeriod after CreatedAt,
//     both strictly before now. Until then the HPA decides. An inactive
//     workload below MinReplicaCount without an idle count is set to
//     MinReplicaCount. A failed trigger never causes a scale to zero or
//     idle. The HPA is not consulted at 0 or idle replicas.
//  7. Set the replicas if they changed, and update the conditions.
//
// Each poll returns a Decision with every value, the action taken, the
// hpa.Decision when the HPA ran, and Explain, which writes it out in the
// HPA's arithmetic: "s0-prometheus: value 140, threshold 50,
// activationThreshold 0: active; ceil(140 / 50) = 3". The OnDecision hook,
// the Logger and Metrics receive every poll.
//
// # Status and state
//
// Status returns the Ready, Active, Fallback and Paused conditions with
// KEDA's reasons, and Status.Summary prints them as kubectl get
// scaledobject does. State exports what the loop remembers (the HPA's
// history, the last active time, failure counts, the original replica
// count and the conditions) as JSON-ready data; Config.State resumes from
// it, so stabilization windows and cooldown continue across a restart.
// Shutdown sets the original replica count back when
// RestoreToOriginalReplicaCount is set. Run, and a Manager's Run, call
// Shutdown each time they return, so a host that restarts (a rollout,
// SIGTERM) sets the workload back at every stop. KEDA restores the count
// only when the ScaledObject is deleted. For that behavior, leave RestoreToOriginalReplicaCount false and,
// when the object is deleted, set the target to
// Status().OriginalReplicaCount, which State keeps across restarts.
//
// # Loading a ScaledObject
//
// LoadScaledObject reads a KEDA ScaledObject (keda.sh/v1alpha1) from YAML
// or JSON, as kubectl prints it, with any TriggerAuthentication documents
// of the same file. LoadScaledObjects reads every ScaledObject of a file. Misspelled fields, values of the wrong type and
// settings KEDA or the HPA would reject come back together in one
// *LoadError, each with its field path; Warnings lists what works but is
// likely a mistake, such as a query that may return nothing.
// ParsePrometheusMetadata reads a prometheus trigger's metadata with KEDA's
// keys and parsing. ScaledObject.Config, or Build, turns the object into a
// Config with an amp.Source for every trigger, resolving its
// authenticationRef against BuildOptions (the host's AWS identity for
// podIdentity aws, secrets for bearer, basic and TLS auth).
//
// # Plug points
//
// Source and Target are the plug points: amp.Source queries Amazon Managed
// Prometheus or any Prometheus-compatible API, and MemoryTarget holds a
// replica count in memory for tests and simulations. SimulatedClock runs
// the loop on simulated time.
//
// # Many scalers
//
// A Manager runs many scalers in one process. One scheduler goroutine keeps
// a timer heap and hands due polls to a bounded pool of workers, and each
// scaler's first poll falls at a random point of its interval. When Run
// stops, it cancels the polls in flight and then calls every scaler's
// Shutdown.
//
// # Differences from KEDA
//
// The loop follows KEDA's main branch of August 2026 (newer than v2.16) and
// the HPA of autoscaling/v2, except in these deliberate differences:
//   - Fallback proposes exactly F. KEDA feeds the HPA the value F × target,
//     which the HPA's 10 % tolerance can ignore (at 10 replicas, F = 11 keeps
//     10). Here the fallback metric is an exact AverageValue metric, and when
//     the tolerance band would still hide F, that poll runs the HPA with a
//     tolerance of 0 on the same history, so stabilization windows and
//     policies still apply. A Value trigger falls back the same way, where
//     KEDA divides by the ready pods and fails at 0 ready pods.
//   - A poll with an active trigger records the last active time even when
//     another trigger failed; KEDA then skips it.
//   - A failing trigger below the fallback threshold never lets the
//     workload scale to zero, also with fallback.replicas 0.
//   - At a non-zero IdleReplicaCount the HPA is not consulted; in a cluster
//     the HPA would raise the count to minReplicaCount.
//   - Triggers are read one after the other, where KEDA reads them in
//     parallel, and the HPA runs once per poll rather than every 15 s.
//   - Fallback behavior scalingModifiers, activation forced by annotation,
//     cpu and memory triggers, and cached metrics are not supported.
package scaler
