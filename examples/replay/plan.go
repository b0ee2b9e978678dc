package main

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/scaler"
)

// defaultObject is the ScaledObject replayed without -f: threshold 50,
// minReplicaCount 1, maxReplicaCount 5, pollingInterval 60 s,
// cooldownPeriod 300 s and a 600 s scale-down stabilization window.
//
//go:embed testdata/sample-app.yaml
var defaultObject []byte

// maxPolls bounds the polls of one replay: a year at a 60 s step.
const maxPolls = 366 * 24 * 60

// The trigger metadata keys that the replay reads or overrides.
const (
	keyServerAddress       = "serverAddress"
	keyQuery               = "query"
	keyThreshold           = "threshold"
	keyActivationThreshold = "activationThreshold"
	keyIgnoreNullValues    = "ignoreNullValues"
)

// plan is everything a replay needs before the first query.
type plan struct {
	opts options
	// config is the scaler's configuration with one trigger. The replay
	// sets its Source and Target.
	config   scaler.Config
	metadata scaler.PrometheusMetadata
	client   *amp.Client
	// start, end and step set the poll times start, start+step, ... before
	// end, which is excluded. end is after start.
	start, end time.Time
	step       time.Duration
	// maxPoints is the maximum number of poll times one range query covers.
	maxPoints int
	replicas  int32
	warnings  []string
}

// newPlan loads the ScaledObject, applies the flags and checks the time
// range. Every error is a *usageError.
func newPlan(opts options, now time.Time) (*plan, error) {
	p := &plan{opts: opts, maxPoints: maxPointsPerQuery}

	so, err := p.loadObject()
	if err != nil {
		return nil, &usageError{err: err}
	}
	if err := p.configure(so); err != nil {
		return nil, &usageError{err: err}
	}
	if err := p.setTimes(now); err != nil {
		return nil, &usageError{err: err}
	}
	if err := p.newClient(); err != nil {
		return nil, &usageError{err: err}
	}
	return p, nil
}

// loadObject reads the ScaledObject of -f, or the built-in one.
func (p *plan) loadObject() (*scaler.ScaledObject, error) {
	data, name := defaultObject, "the built-in ScaledObject"
	if p.opts.file != "" {
		var err error
		if data, err = os.ReadFile(p.opts.file); err != nil {
			return nil, fmt.Errorf("-f: %w", err)
		}
		name = p.opts.file
	}

	so, err := scaler.LoadScaledObject(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, w := range so.Warnings() {
		// The replay sets its own server and authentication.
		if !strings.Contains(w, "placeholder") || p.opts.server == "" {
			p.warnings = append(p.warnings, w)
		}
	}
	return so, nil
}

// configure maps the object to a scaler configuration that has only its
// first trigger. The trigger's metadata keeps what decides the replicas,
// since the replay reads the metric with a client of its own.
func (p *plan) configure(so *scaler.ScaledObject) error {
	if len(so.Spec.Triggers) == 0 {
		return errors.New("the ScaledObject has no triggers; add a prometheus trigger")
	}
	trigger := so.Spec.Triggers[0]
	metadata := p.overrideMetadata(trigger.Metadata)
	md, err := scaler.ParsePrometheusMetadata(metadata)
	if err != nil {
		return p.metadataError(err)
	}
	if strings.ContainsAny(md.ServerAddress, "<>") {
		return fmt.Errorf("serverAddress %q contains a placeholder; pass the server with -server URL", md.ServerAddress)
	}
	p.metadata = md
	p.warnOnIgnored(so)

	replayed := *so
	replayed.Spec.Triggers = []scaler.ScaleTrigger{{
		Type:       trigger.Type,
		Name:       trigger.Name,
		MetricType: trigger.MetricType,
		Metadata:   decisionMetadata(metadata),
	}}
	if replayed.Spec.Advanced != nil {
		advanced := *replayed.Spec.Advanced
		advanced.ScalingModifiers = scaler.ScalingModifiersSpec{}
		replayed.Spec.Advanced = &advanced
	}
	cfg, err := replayed.Config(scaler.BuildOptions{Target: scaler.NewMemoryTarget(0, nil)})
	if err != nil {
		return err
	}
	p.config = cfg
	if cfg.Pause.Paused || cfg.Pause.Replicas != nil {
		p.warnings = append(p.warnings, fmt.Sprintf("the ScaledObject is paused (%s), so no poll reads the trigger; remove the annotation from the file to replay the scaling", cfg.Pause))
	}
	return nil
}

// overrideMetadata returns a copy of the trigger metadata with the values
// of -server, -query and -threshold.
func (p *plan) overrideMetadata(metadata map[string]string) map[string]string {
	out := maps.Clone(metadata)
	if out == nil {
		out = map[string]string{}
	}
	for key, value := range map[string]string{
		keyServerAddress: p.opts.server,
		keyQuery:         p.opts.query,
		keyThreshold:     p.opts.threshold,
	} {
		if value != "" {
			out[key] = value
		}
	}
	return out
}

// metadataError names, for each problem in the trigger's metadata, the
// flag that set the value, or the metadata key in the ScaledObject.
func (p *plan) metadataError(err error) error {
	var loadErr *scaler.LoadError
	if !errors.As(err, &loadErr) {
		return fmt.Errorf("spec.triggers[0]: %w", err)
	}

	flags := map[string]string{keyQuery: "query", keyThreshold: "threshold", keyServerAddress: "server"}
	if p.opts.setFlags["url"] && !p.opts.setFlags["server"] {
		flags[keyServerAddress] = "url"
	}
	lines := make([]string, 0, len(loadErr.Problems))
	for _, problem := range loadErr.Problems {
		where := "spec.triggers[0].metadata." + problem.Path
		if name, ok := flags[problem.Path]; ok && p.opts.setFlags[name] {
			where = "flag -" + name
		}
		lines = append(lines, where+": "+problem.Message)
	}
	if len(lines) == 1 {
		return errors.New(lines[0])
	}
	return fmt.Errorf("%d problems in the trigger:\n  - %s", len(lines), strings.Join(lines, "\n  - "))
}

// decisionMetadata keeps the metadata keys that decide the replicas and
// points the server address at a loopback placeholder, so that building
// the configuration needs no credentials. The replay never queries it.
func decisionMetadata(metadata map[string]string) map[string]string {
	out := map[string]string{keyServerAddress: "http://127.0.0.1:9090"}
	for _, key := range []string{keyQuery, keyThreshold, keyActivationThreshold, keyIgnoreNullValues} {
		if value, ok := metadata[key]; ok {
			out[key] = value
		}
	}
	return out
}

// warnOnIgnored lists the parts of the object that the replay leaves out.
func (p *plan) warnOnIgnored(so *scaler.ScaledObject) {
	if n := len(so.Spec.Triggers); n > 1 {
		p.warnings = append(p.warnings, fmt.Sprintf("the ScaledObject has %d triggers; only spec.triggers[0] is replayed", n))
	}
	if a := so.Spec.Advanced; a != nil && a.ScalingModifiers.Formula != "" {
		p.warnings = append(p.warnings, "spec.advanced.scalingModifiers is ignored, because only one trigger is replayed")
	}
	if len(p.metadata.AuthModes) > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("authModes %s are not sent; the replay supports servers without authentication and SigV4 only", strings.Join(p.metadata.AuthModes, ",")))
	}
}

// setTimes reads -start, -end, -step and -replicas. A relative start or end
// is moved back to a multiple of the step, so that runs a few seconds apart
// poll at the same times, and -start -24h -end 0s is one day of polls.
func (p *plan) setTimes(now time.Time) error {
	p.step = p.opts.step
	if p.step == 0 {
		p.step = p.config.PollingInterval
	}
	if p.step == 0 {
		p.step = scaler.DefaultPollingInterval
	}

	start, err := parseTime("-start", p.opts.start, now)
	if err != nil {
		return err
	}
	end, err := parseTime("-end", p.opts.end, now)
	if err != nil {
		return err
	}
	if _, err := time.Parse(time.RFC3339, p.opts.start); err != nil {
		start = start.Truncate(p.step)
	}
	if _, err := time.Parse(time.RFC3339, p.opts.end); err != nil {
		end = end.Truncate(p.step)
	}
	p.start, p.end = start.UTC(), end.UTC()

	if !p.end.After(p.start) {
		return fmt.Errorf("-end %s is not after -start %s; the end is excluded, so give an end after the start", p.end.Format(time.RFC3339), p.start.Format(time.RFC3339))
	}
	if polls := p.polls(); polls > maxPolls {
		return fmt.Errorf("the range from %s to %s at a step of %v has %d polls, more than %d; shorten the range or raise -step",
			p.start.Format(time.RFC3339), p.end.Format(time.RFC3339), p.step, polls, maxPolls)
	}

	p.replicas = p.config.MinReplicaCount
	if p.opts.replicas >= 0 {
		p.replicas = int32(min(p.opts.replicas, 1<<30))
	}
	return nil
}

// polls returns the number of poll times from start to end.
func (p *plan) polls() int {
	span := p.end.Sub(p.start)
	n := int(span / p.step)
	if span%p.step != 0 {
		n++
	}
	return n
}

// lastPoll returns the time of the last poll, the last multiple of the step
// after start that is before end.
func (p *plan) lastPoll() time.Time {
	return p.start.Add(time.Duration(p.polls()-1) * p.step)
}

// newClient builds the client of the range queries from the trigger's
// server address, headers and query parameters.
func (p *plan) newClient() error {
	md := p.metadata
	cfg := amp.Config{
		ServerAddress: md.ServerAddress,
		SigV4:         p.opts.sigv4,
		Region:        p.opts.region,
		Headers:       md.CustomHeaders,
		Timeout:       p.opts.timeout,
		TLS:           amp.TLSConfig{InsecureSkipVerify: md.UnsafeSSL},
	}
	if cfg.Region == "" && p.opts.sigv4 {
		cfg.Region = md.AWSRegion
	}
	if len(md.QueryParameters) > 0 || md.Namespace != "" {
		cfg.QueryParameters = url.Values{}
		for key, value := range md.QueryParameters {
			cfg.QueryParameters.Set(key, value)
		}
		if md.Namespace != "" {
			cfg.QueryParameters.Set("namespace", md.Namespace)
		}
	}

	client, err := amp.NewClient(cfg)
	if err != nil {
		return err
	}
	p.client = client
	return nil
}
