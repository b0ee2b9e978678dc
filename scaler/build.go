package scaler

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/promql"
)

// BuildOptions supplies what a ScaledObject does not contain: the workload
// to scale, the values of its secrets, the host's HTTP client, AWS
// credentials, clock, logger and hooks, and the state to resume from.
type BuildOptions struct {
	// Target is the workload to scale. It is required.
	Target Target
	// TriggerAuthentications are searched after those loaded with the
	// object. A TriggerAuthentication must be in the object's namespace or
	// have none; a ClusterTriggerAuthentication may be named by any object.
	TriggerAuthentications []*TriggerAuthentication
	// Secrets are the values that secretTargetRef entries read, by secret
	// name and then key. One map serves TriggerAuthentications and
	// ClusterTriggerAuthentications alike.
	Secrets map[string]map[string]string
	// HTTPClient, when set, sends the queries of every trigger, so a host
	// running many scalers can share one connection pool. It cannot be
	// combined with unsafeSsl or TLS authentication, which need a transport
	// of the trigger's own.
	HTTPClient *http.Client
	// Credentials, when set, signs every SigV4 request in place of the AWS
	// SDK's default chain. It cannot be combined with a role to assume or
	// with static keys of a trigger.
	Credentials aws.CredentialsProvider
	// Clock, Logger and OnDecision are passed to Config unchanged. Logger
	// also receives the retries of every trigger's client, with the
	// attributes scaler and trigger.
	Clock  Clock
	Logger *slog.Logger
	// Metrics records every trigger's values, errors and query latency;
	// nil records nothing. One Metrics serves all scalers of a host.
	Metrics    *Metrics
	OnDecision func(Decision)
	// State, when set, resumes the scaler from the State that a Scaler of
	// the same object exported, such as one saved before a restart. It is
	// passed to Config.State unchanged, and New checks it.
	State *State
}

// Config maps the object to a Config: seconds become durations, absent
// fields stay zero so that Config applies KEDA's defaults, the pause
// annotations become Pause, and each trigger gets an amp.Source with the
// client its metadata and authenticationRef describe. The object is
// validated first. The error is a *LoadError listing every problem,
// including a serverAddress that still holds a placeholder and an
// authenticationRef or secret that cannot be found.
func (so *ScaledObject) Config(opts BuildOptions) (Config, error) {
	if so == nil {
		return Config{}, errNoObject
	}
	if opts.Target == nil {
		return Config{}, errors.New("scaler: BuildOptions.Target is nil; set the workload to scale, such as a MemoryTarget")
	}
	if problems, _ := so.check(); len(problems) > 0 {
		return Config{}, errorOf(problems)
	}

	cfg := so.baseConfig(opts)
	triggers, problems := so.buildTriggers(opts)
	if len(problems) > 0 {
		return Config{}, errorOf(problems)
	}
	cfg.Triggers = triggers
	return cfg, nil
}

// Build returns a Scaler for the object: Config followed by New.
func Build(so *ScaledObject, opts BuildOptions) (*Scaler, error) {
	cfg, err := so.Config(opts)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// baseConfig maps every field of a valid object except the triggers.
func (so *ScaledObject) baseConfig(opts BuildOptions) Config {
	spec := so.Spec
	pause, _ := parsePause(so.Metadata.Annotations)

	cfg := Config{
		Name:                  so.namespace() + "/" + so.Metadata.Name,
		Target:                opts.Target,
		PollingInterval:       seconds(spec.PollingInterval),
		CooldownPeriod:        secondsPointer(spec.CooldownPeriod),
		InitialCooldownPeriod: seconds(spec.InitialCooldownPeriod),
		MinReplicaCount:       valueOr(spec.MinReplicaCount, 0),
		MaxReplicaCount:       valueOr(spec.MaxReplicaCount, 0),
		IdleReplicaCount:      idleReplicaCount(spec),
		Pause:                 pause,
		CreatedAt:             so.Metadata.CreationTimestamp,
		Clock:                 opts.Clock,
		Logger:                opts.Logger,
		OnDecision:            opts.OnDecision,
		State:                 opts.State,
	}
	cfg.Metrics = opts.Metrics

	if f := spec.Fallback; f != nil {
		cfg.Fallback = &Fallback{FailureThreshold: f.FailureThreshold, Replicas: f.Replicas, Behavior: FallbackBehavior(f.Behavior)}
	}
	if advanced := spec.Advanced; advanced != nil {
		cfg.RestoreToOriginalReplicaCount = advanced.RestoreToOriginalReplicaCount
		if hpaConfig := advanced.HorizontalPodAutoscalerConfig; hpaConfig != nil {
			cfg.Behavior = hpaConfig.Behavior
		}
		cfg.ScalingModifiers = scalingModifiers(advanced.ScalingModifiers)
	}
	return cfg
}

// scalingModifiers maps a validated scalingModifiers block; one without a
// formula means no modifiers.
func scalingModifiers(spec ScalingModifiersSpec) *ScalingModifiers {
	if spec.Formula == "" {
		return nil
	}
	// The targets parsed when the object was validated.
	target, _ := strconv.ParseFloat(spec.Target, 64)
	modifiers := &ScalingModifiers{Formula: spec.Formula, Target: target, MetricType: spec.MetricType}
	if spec.ActivationTarget != "" {
		modifiers.ActivationTarget, _ = strconv.ParseFloat(spec.ActivationTarget, 64)
	}
	return modifiers
}

// buildTriggers builds the client and source of every trigger.
func (so *ScaledObject) buildTriggers(opts BuildOptions) ([]Trigger, []Problem) {
	var triggers []Trigger
	var problems []Problem
	for i, spec := range so.Spec.Triggers {
		trigger, found := so.buildTrigger(i, spec, opts)
		for _, p := range found {
			// Problems of an authentication already name it.
			if p.Object == "" {
				p.Object = so.label()
				p.Path = strings.TrimSuffix(fmt.Sprintf("spec.triggers[%d].%s", i, p.Path), ".")
			}
			problems = append(problems, p)
		}
		triggers = append(triggers, trigger)
	}
	return triggers, problems
}

// buildTrigger builds one trigger. Problem paths are relative to the
// trigger.
func (so *ScaledObject) buildTrigger(i int, spec ScaleTrigger, opts BuildOptions) (Trigger, []Problem) {
	md, _, _ := parseMetadata(spec.Metadata)
	if placeholder := placeholderPattern.FindString(md.ServerAddress); placeholder != "" {
		return Trigger{}, []Problem{{Path: "metadata.serverAddress", Message: fmt.Sprintf("%q holds the placeholder %s; replace it with the real value", md.ServerAddress, placeholder)}}
	}

	name := spec.Name
	if name == "" {
		name = fmt.Sprintf("s%d-prometheus", i)
	}
	auth, problems := so.resolveAuth(spec.AuthenticationRef, opts)
	if len(problems) > 0 {
		return Trigger{}, problems
	}
	// The client's retry records name the scaler and the trigger, because
	// many scalers may query the same workspace URL.
	if opts.Logger != nil {
		opts.Logger = opts.Logger.With("scaler", so.namespace()+"/"+so.Metadata.Name, "trigger", name)
	}
	cfg, problems := clientConfig(md, auth, opts)
	if len(problems) > 0 {
		return Trigger{}, problems
	}
	client, err := amp.NewClient(cfg)
	if err != nil {
		return Trigger{}, []Problem{{Message: manifestMessage(err.Error())}}
	}
	source, err := amp.NewSource(client, md.Query, promql.ReduceOptions{IgnoreNullValues: md.IgnoreNullValues})
	if err != nil {
		return Trigger{}, []Problem{{Path: "metadata.query", Message: manifestMessage(err.Error())}}
	}
	return Trigger{
		Name:                name,
		Source:              source,
		MetricType:          spec.MetricType,
		Threshold:           md.Threshold,
		ActivationThreshold: md.ActivationThreshold,
	}, nil
}

func seconds(p *int32) time.Duration {
	if p == nil {
		return 0
	}
	return time.Duration(*p) * time.Second
}

func secondsPointer(p *int32) *time.Duration {
	if p == nil {
		return nil
	}
	d := seconds(p)
	return &d
}

// idleReplicaCount returns a copy of the idle count, or nil when it has
// no effect.
func idleReplicaCount(spec ScaledObjectSpec) *int32 {
	p := spec.IdleReplicaCount
	if p == nil || ineffectiveIdle(spec) {
		return nil
	}
	v := *p
	return &v
}
