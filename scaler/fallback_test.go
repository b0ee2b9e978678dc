package scaler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/hpa"
	"github.com/promscaler/promscaler/promql"
)

const testQuery = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`

// ampSource returns a Source that runs testQuery against srv, signed with
// SigV4 and without retries.
func ampSource(t *testing.T, srv *amptest.Server, opts promql.ReduceOptions) *amp.Source {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	client, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(),
		SigV4:         true,
		Region:        srv.Region(),
		Credentials:   srv.Credentials(),
		Retry:         amp.RetryConfig{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	source, err := amp.NewSource(client, testQuery, opts)
	if err != nil {
		t.Fatal(err)
	}
	return source
}

// badRequest is Prometheus' response to a query it cannot parse.
var badRequest = amptest.Response{
	Status: http.StatusBadRequest,
	Body:   `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}`,
}

func TestFallbackOnBadRequests(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult(testQuery, 140)
	cfg := guideConfig()
	cfg.Triggers[0].Source = ampSource(t, srv, promql.ReduceOptions{IgnoreNullValues: true})
	cfg.Fallback = &Fallback{FailureThreshold: 3, Replicas: 5}
	tl := newTimeline(t, cfg, 2)

	tl.poll(step{at: 0, want: 3, action: ActionHPA})
	srv.FailWith(6, badRequest)
	for i := 1; i <= 3; i++ {
		d := tl.poll(step{at: time.Duration(i) * time.Minute, want: 3, action: ActionHold})
		if d.Triggers[0].Failures != int32(i) || d.InFallback {
			t.Errorf("failure %d: Failures = %d, InFallback = %v; want %d, false", i, d.Triggers[0].Failures, d.InFallback, i)
		}
	}
	for i := 4; i <= 6; i++ {
		d := tl.poll(step{at: time.Duration(i) * time.Minute, want: 5, action: ActionFallback})
		if !d.InFallback || d.FallbackReplicas != 5 || !errors.Is(d.Err, d.Triggers[0].Err) {
			t.Errorf("failure %d: InFallback %v, FallbackReplicas %d, Err %v; want fallback to 5 with the error kept",
				i, d.InFallback, d.FallbackReplicas, d.Err)
		}
	}

	// The first success ends the fallback; the 600 s window keeps 5.
	d := tl.poll(step{at: 7 * time.Minute, want: 5, action: ActionHPA})
	if d.InFallback || d.Triggers[0].Failures != 0 {
		t.Errorf("after a success: InFallback %v, Failures %d; want false, 0", d.InFallback, d.Triggers[0].Failures)
	}
	if got := tl.s.Status().Condition(ConditionFallback); got.Status != ConditionFalse || got.Reason != ReasonNoFallbackFound {
		t.Errorf("Fallback condition = %+v, want False NoFallbackFound", got)
	}
}

func TestExplainPrintsEachErrorOnce(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	client, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(),
		SigV4:         true,
		Region:        srv.Region(),
		Credentials:   srv.Credentials(),
		Retry: amp.RetryConfig{MaxAttempts: 3, Sleep: func(context.Context, time.Duration) error {
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	source, err := amp.NewSource(client, testQuery, promql.ReduceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := guideConfig()
	cfg.Triggers[0].Source = source
	cfg.Fallback = &Fallback{FailureThreshold: 1, Replicas: 4}
	tl := newTimeline(t, cfg, 2)
	srv.Fail(6, http.StatusServiceUnavailable, "service unavailable")

	for _, st := range []step{
		{at: 0, want: 2, action: ActionHold},
		{at: time.Minute, want: 4, action: ActionFallback},
	} {
		d := tl.poll(st)
		readErr := d.Triggers[0].Err
		if readErr == nil {
			t.Fatalf("t0+%v: the trigger did not fail", st.at)
		}
		if n := strings.Count(d.Explain(), readErr.Error()); n != 1 {
			t.Errorf("t0+%v: Explain() prints the error %d times, want 1:\n%s", st.at, n, d.Explain())
		}
		if !errors.Is(d.Err, readErr) {
			t.Errorf("t0+%v: Err = %v, want it to wrap the read error", st.at, d.Err)
		}
	}
}

func TestFallbackThresholdTen(t *testing.T) {
	cfg := guideConfig()
	cfg.MaxReplicaCount = 10
	cfg.Fallback = &Fallback{FailureThreshold: 10, Replicas: 6}
	tl := newTimeline(t, cfg, 3)
	for i := 1; i <= 10; i++ {
		tl.poll(step{at: time.Duration(i) * time.Minute, err: errRefused, want: 3, action: ActionHold})
	}
	d := tl.poll(step{at: 11 * time.Minute, err: errRefused, want: 6, action: ActionFallback})
	if d.Triggers[0].Failures != 11 {
		t.Errorf("Failures = %d at the fallback, want 11", d.Triggers[0].Failures)
	}
}

func TestFallbackBehaviors(t *testing.T) {
	tests := []struct {
		behavior FallbackBehavior
		current  int32
		want     int32
		explain  string
	}{
		{FallbackStatic, 3, 5, "(behavior static: fallback.replicas 5)"},
		{FallbackStatic, 8, 5, "(behavior static: fallback.replicas 5)"},
		{FallbackCurrentReplicas, 3, 3, "(behavior currentReplicas: the current count 3)"},
		{FallbackCurrentReplicas, 8, 8, "(behavior currentReplicas: the current count 8)"},
		{FallbackCurrentReplicasIfHigher, 3, 5, "(behavior currentReplicasIfHigher: max(current 3, fallback.replicas 5) = 5)"},
		{FallbackCurrentReplicasIfHigher, 8, 8, "(behavior currentReplicasIfHigher: max(current 8, fallback.replicas 5) = 8)"},
		{FallbackCurrentReplicasIfLower, 3, 3, "(behavior currentReplicasIfLower: min(current 3, fallback.replicas 5) = 3)"},
		{FallbackCurrentReplicasIfLower, 8, 5, "(behavior currentReplicasIfLower: min(current 8, fallback.replicas 5) = 5)"},
		{"", 8, 5, "(behavior static: fallback.replicas 5)"},
	}
	for _, tt := range tests {
		behavior := string(tt.behavior)
		if behavior == "" {
			behavior = "empty behavior"
		}
		t.Run(fmt.Sprintf("fallback: %s at %d replicas", behavior, tt.current), func(t *testing.T) {
			cfg := guideConfig()
			cfg.MaxReplicaCount = 10
			cfg.DownscaleStabilizationWindow = durationPtr(0)
			cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 5, Behavior: tt.behavior}
			d := newTimeline(t, cfg, tt.current).poll(step{at: 0, err: errRefused, want: tt.want, action: ActionFallback})
			if d.FallbackReplicas != tt.want {
				t.Errorf("FallbackReplicas = %d, want %d", d.FallbackReplicas, tt.want)
			}
			if !strings.Contains(d.Explain(), tt.explain) {
				t.Errorf("Explain() lacks %q:\n%s", tt.explain, d.Explain())
			}
		})
	}
}

func TestFallbackExactInsideToleranceBand(t *testing.T) {
	cfg := guideConfig()
	cfg.MaxReplicaCount = 20
	cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 11}
	tl := newTimeline(t, cfg, 10)

	// KEDA's metric 11 × 50 over 10 pods has ratio 1.1, inside the 10 %
	// band, so KEDA keeps 10 replicas.
	d := tl.poll(step{at: 0, err: errRefused, want: 11, action: ActionFallback})
	if !strings.Contains(d.Explain(), "the HPA ran with a tolerance of 0") {
		t.Errorf("Explain() does not say how the fallback count was reached:\n%s", d.Explain())
	}

	// The calculator's own tolerance still applies to later polls.
	d = tl.poll(step{at: time.Minute, value: 580, want: 11, action: ActionHPA})
	if p := d.HPA.Proposals()[0]; !p.WithinTolerance {
		t.Errorf("proposal %s: want it within the tolerance band after the fallback", p)
	}
}

func TestFallbackThroughScaleDownWindow(t *testing.T) {
	cfg := guideConfig()
	cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 1}
	newTimeline(t, cfg, 5).run([]step{
		{at: 0, value: 240, want: 5, action: ActionHPA},
		{at: time.Minute, err: errRefused, want: 5, action: ActionFallback},
		{at: 10 * time.Minute, err: errRefused, want: 5, action: ActionFallback},
		{at: 11 * time.Minute, err: errRefused, want: 1, action: ActionFallback},
	})
}

func TestFallbackActivatesFromZero(t *testing.T) {
	cfg := zeroConfig()
	cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 3}
	newTimeline(t, cfg, 0).run([]step{
		{at: 0, err: errRefused, want: 1, action: ActionActivate},
		{at: time.Minute, err: errRefused, want: 3, action: ActionFallback},
	})
}

func TestFallbackBelowThresholdKeepsReplicas(t *testing.T) {
	cfg := zeroConfig()
	cfg.CooldownPeriod = durationPtr(0)
	cfg.Fallback = &Fallback{FailureThreshold: 5, Replicas: 3}
	tl := newTimeline(t, cfg, 2)
	tl.run([]step{
		{at: 0, value: 80, want: 2, action: ActionHPA},
		{at: time.Minute, err: errRefused, want: 2, action: ActionHold},
		{at: 2 * time.Minute, err: errRefused, want: 2, action: ActionHold},
	})
	got := tl.s.Status().Condition(ConditionReady)
	if got.Status != ConditionTrue || got.Reason != ReasonScaledObjectReady {
		t.Errorf("Ready = %+v, want True as KEDA leaves it while a fallback is configured", got)
	}
	wantMessage := `trigger "s0-prometheus" failed 2 times in a row, and fallback applies after 4 more failures (fallback.failureThreshold 5): connection refused`
	if got.Message != wantMessage {
		t.Errorf("Ready message = %q, want %q", got.Message, wantMessage)
	}
}

func TestFallbackForValueTrigger(t *testing.T) {
	cfg := guideConfig()
	cfg.Triggers[0].MetricType = hpa.ValueMetricType
	cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 4}
	newTimeline(t, cfg, 2).poll(step{at: 0, err: errRefused, want: 4, action: ActionFallback})
}

func TestFallbackForComposite(t *testing.T) {
	cfg := Config{
		Triggers: []Trigger{
			{Name: "trig_one", Threshold: 1},
			{Name: "trig_two", Source: constant(80), Threshold: 1},
		},
		ScalingModifiers: &ScalingModifiers{Formula: "trig_one + trig_two", Target: 50},
		Fallback:         &Fallback{FailureThreshold: 1, Replicas: 4},
		MaxReplicaCount:  10,
	}
	tl := newTimeline(t, cfg, 2)
	d := tl.poll(step{at: 0, err: errRefused, want: 2, action: ActionHold})
	wantHold := "trig_one: failed 1 time in a row: connection refused\n" +
		"trig_two: value 80\n" +
		"composite-metric: trig_one + trig_two failed 1 time in a row, and fallback applies after 1 more failure (fallback.failureThreshold 1): trigger \"trig_one\" failed\n" +
		"composite-metric: invalid, because the composite metric failed\n"
	if got := d.Explain(); !strings.HasPrefix(got, wantHold) {
		t.Errorf("Explain() below the threshold =\n%s\nwant it to start with\n%s", got, wantHold)
	}

	d = tl.poll(step{at: time.Minute, err: errRefused, want: 4, action: ActionFallback})
	wantFallback := "composite-metric: trig_one + trig_two failed 2 times in a row, more than fallback.failureThreshold 1, " +
		"so it proposes the fallback count 4 (behavior static: fallback.replicas 4): trigger \"trig_one\" failed\n" +
		"composite-metric (fallback metric 4 × 50 = 200): ratio = 200 / (50 × 2) = 2 → desired = ceil(2 × 2) = 4\n"
	if got := d.Explain(); !strings.Contains(got, wantFallback) {
		t.Errorf("Explain() in fallback =\n%s\nwant it to contain\n%s", got, wantFallback)
	}
	if !d.Composite.InFallback || d.Triggers[0].InFallback {
		t.Errorf("composite in fallback %v, trigger in fallback %v; want the composite alone", d.Composite.InFallback, d.Triggers[0].InFallback)
	}
	if got := d.HPA.Proposals()[0].Metric.Name; got != CompositeMetricName {
		t.Errorf("HPA metric = %q, want %q", got, CompositeMetricName)
	}
}

func TestFallbackLogsStartAndEnd(t *testing.T) {
	cfg := guideConfig()
	cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 2}
	logs := &recordingHandler{}
	cfg.Logger = newTestLogger(logs)
	tl := newTimeline(t, cfg, 2)
	tl.run([]step{
		{at: 0, err: errRefused, want: 2, action: ActionFallback},
		{at: time.Minute, err: errRefused, want: 2, action: ActionFallback},
		{at: 2 * time.Minute, value: 100, want: 2, action: ActionHPA},
	})
	if got := logs.count("fallback started"); got != 1 {
		t.Errorf("%d records of the fallback start, want 1", got)
	}
	if got := logs.count("fallback ended"); got != 1 {
		t.Errorf("%d records of the fallback end, want 1", got)
	}
	if got := logs.count("trigger failed"); got != 2 {
		t.Errorf("%d records of trigger failures, want 2", got)
	}
}

func TestReadingsThroughAMP(t *testing.T) {
	tests := []struct {
		name       string
		program    func(*amptest.Server)
		ignoreNull bool
		want       int32
		action     Action
	}{
		{"empty result: ignoreNullValues true reads 0", func(s *amptest.Server) { s.SetEmpty(testQuery) }, true, 1, ActionHPA},
		{"empty result: ignoreNullValues false fails", func(s *amptest.Server) { s.SetEmpty(testQuery) }, false, 3, ActionHold},
		{"NaN: ignoreNullValues true reads 0", func(s *amptest.Server) { s.SetResult(testQuery, nan()) }, true, 1, ActionHPA},
		{"NaN: ignoreNullValues false fails", func(s *amptest.Server) { s.SetResult(testQuery, nan()) }, false, 3, ActionHold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := amptest.NewServer(t, amptest.Config{})
			tt.program(srv)
			cfg := guideConfig()
			cfg.DownscaleStabilizationWindow = durationPtr(0)
			cfg.Triggers[0].Source = ampSource(t, srv, promql.ReduceOptions{IgnoreNullValues: tt.ignoreNull})
			d := newTimeline(t, cfg, 3).poll(step{at: 0, want: tt.want, action: tt.action})
			if d.Active {
				t.Errorf("Active = true, want false for a result without a value")
			}
		})
	}
}

func TestRunCancelsQueryInFlight(t *testing.T) {
	started := make(chan struct{})
	var once bool
	blocking := sourceFunc(func(ctx context.Context, _ time.Time) (float64, error) {
		if !once {
			once = true
			return 140, nil
		}
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	cfg := guideConfig()
	cfg.Triggers[0].Source = blocking
	cfg.RestoreToOriginalReplicaCount = true
	tl := newTimeline(t, cfg, 2)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.s.Run(ctx) }()
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if r, _ := tl.target.Replicas(context.Background()); r.Current != 2 {
		t.Errorf("replicas after Run = %d, want the original 2 restored", r.Current)
	}
	if got := tl.s.Status().Failures["s0-prometheus"]; got != 0 {
		t.Errorf("Failures = %d after a cancelled poll, want 0", got)
	}
}
