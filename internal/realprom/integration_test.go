package realprom_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/internal/realprom"
	"github.com/promscaler/promscaler/promql"
	"github.com/promscaler/promscaler/scaler"
)

// sampleQuery is the query of the sample-app ScaledObject: the open
// websocket connections of all its pods, each averaged over 1 minute.
const sampleQuery = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`

// perPodQuery returns one series per pod of sample-app.
const perPodQuery = `avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])`

// emptyQuery names an app that has no pods, so it returns no series.
const emptyQuery = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="no-such-app"}[1m]))`

// scrapeTimeout bounds the wait for a value to reach the server. The scrape
// manager starts scraping new targets after up to 5 s. With Debian's
// Prometheus 2.42 the first value arrived 5 s to 7 s after the server was
// ready, and a changed value within about 2 s. The rest is slack for a
// loaded machine.
const scrapeTimeout = 20 * time.Second

// stack is an exporter scraped by a real Prometheus server, behind a fake
// AMP workspace that checks SigV4 signatures, and a client signed for it.
type stack struct {
	exporter  *realprom.Exporter
	server    *realprom.Server
	workspace *amptest.Server
	client    *amp.Client
}

// isolateAWS keeps the AWS SDK away from the host's profiles and from the
// instance metadata service, and gives it the example keys.
func isolateAWS(t *testing.T) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_ACCESS_KEY_ID", amptest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", amptest.SecretAccessKey)
}

// startStack starts the stack with two sample-app pods at 70 connections
// each and waits until the sample query returns 140.
func startStack(t *testing.T) *stack {
	t.Helper()
	binary := realprom.Binary(t)
	isolateAWS(t)

	exporter := realprom.StartExporter(t)
	exporter.Set("sample-app", "sample-app-7d9f8-abcde", 70)
	exporter.Set("sample-app", "sample-app-7d9f8-fghij", 70)
	server := realprom.Start(t, realprom.Config{Binary: binary, ScrapeTargets: []string{exporter.Target()}})
	workspace := amptest.NewServer(t, amptest.Config{Upstream: server.URL()})
	client, err := amp.NewClient(amp.Config{
		ServerAddress: workspace.URL(),
		SigV4:         true,
		Region:        workspace.Region(),
		Credentials:   workspace.Credentials(),
	})
	require.NoError(t, err)

	s := &stack{exporter: exporter, server: server, workspace: workspace, client: client}
	started := time.Now()
	s.waitForValue(t, sampleQuery, 140)
	t.Logf("the sample query returned 140 through the workspace %v after the server was ready", time.Since(started).Round(100*time.Millisecond))
	return s
}

// waitForValue polls query until it returns the one value want.
func (s *stack) waitForValue(t *testing.T, query string, want float64) {
	t.Helper()
	realprom.WaitUntil(t, scrapeTimeout, func() error {
		result, err := s.client.Query(context.Background(), query, time.Now())
		if err != nil {
			return err
		}
		got, err := promql.Reduce(result.Value, promql.ReduceOptions{})
		if err != nil {
			return fmt.Errorf("query %s: %w", query, err)
		}
		if got != want {
			return fmt.Errorf("query %s returned %v, want %v", query, got, want)
		}
		return nil
	})
}

// lastRequest returns the last request the workspace received.
func (s *stack) lastRequest(t *testing.T) amptest.QueryRequest {
	t.Helper()
	requests := s.workspace.Requests()
	require.NotEmpty(t, requests)
	return requests[len(requests)-1]
}

// sampleObject loads the sample-app ScaledObject and its
// TriggerAuthentication, and points its trigger at the fake workspace.
func sampleObject(t *testing.T, workspace *amptest.Server) *scaler.ScaledObject {
	t.Helper()
	var data []byte
	for _, name := range []string{"sample-app.yaml", "sample-app-ta.yaml"} {
		document, err := os.ReadFile(filepath.Join("..", "..", "scaler", "testdata", name))
		require.NoError(t, err)
		data = append(append(data, document...), "\n---\n"...)
	}
	so, err := scaler.LoadScaledObject(data)
	require.NoError(t, err)

	// The manifest names a workspace in ap-northeast-2, but the fake one is
	// on 127.0.0.1 and checks signatures for its own region.
	metadata := so.Spec.Triggers[0].Metadata
	metadata["serverAddress"] = workspace.URL()
	metadata["awsRegion"] = workspace.Region()
	return so
}

func TestRealPrometheus(t *testing.T) {
	s := startStack(t)

	t.Run("source: two pods sum to 140", func(t *testing.T) {
		source, err := amp.NewSource(s.client, sampleQuery, promql.ReduceOptions{IgnoreNullValues: true})
		require.NoError(t, err)

		reading, err := source.Read(context.Background(), time.Now())

		require.NoError(t, err)
		assert.Equal(t, 140.0, reading.Value)
		assert.Empty(t, reading.Warnings)
		request := s.lastRequest(t)
		assert.True(t, request.Verified, "the workspace verified the SigV4 signature")
		assert.Equal(t, sampleQuery, request.Query)
	})

	t.Run("scaler: config steps 2 to 3", func(t *testing.T) {
		source, err := amp.NewSource(s.client, sampleQuery, promql.ReduceOptions{IgnoreNullValues: true})
		require.NoError(t, err)
		target := scaler.NewMemoryTarget(2, nil)
		sc, err := scaler.New(scaler.Config{
			Name:            "default/sample-app",
			Triggers:        []scaler.Trigger{{Source: source, Threshold: 50, ActivationThreshold: 0}},
			Target:          target,
			MinReplicaCount: 1,
			MaxReplicaCount: 5,
		})
		require.NoError(t, err)

		decision, err := sc.Step(context.Background(), time.Now())

		require.NoError(t, err)
		assert.Equal(t, int32(3), decision.DesiredReplicas)
		assert.Equal(t, scaler.ActionHPA, decision.Action)
		assert.Contains(t, decision.Explain(), "ceil(140 / 50) = 3")
		replicas, err := target.Replicas(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int32(3), replicas.Current)
	})

	t.Run("scaler: ScaledObject steps 2 to 3", func(t *testing.T) {
		so := sampleObject(t, s.workspace)
		target := scaler.NewMemoryTarget(2, nil)
		sc, err := scaler.Build(so, scaler.BuildOptions{Target: target, Credentials: s.workspace.Credentials()})
		require.NoError(t, err)

		decision, err := sc.Step(context.Background(), time.Now())

		require.NoError(t, err)
		assert.Equal(t, "default/sample-app-prometheus-scaler", sc.Name())
		assert.Equal(t, int32(3), decision.DesiredReplicas)
		assert.Contains(t, decision.Explain(), "ceil(140 / 50) = 3")
		request := s.lastRequest(t)
		assert.True(t, request.Verified, "the workspace verified the SigV4 signature")
		assert.Equal(t, sampleQuery, request.Query)
	})

	t.Run("rejects: per-pod query at NewSource", func(t *testing.T) {
		before := s.workspace.Received()

		_, err := amp.NewSource(s.client, perPodQuery, promql.ReduceOptions{IgnoreNullValues: true})

		require.Error(t, err)
		assert.Contains(t, err.Error(), "cannot be a scaling metric because it may not return exactly one value")
		assert.Contains(t, err.Error(), "fix: sum(")
		assert.Equal(t, before, s.workspace.Received(), "the query was rejected without a request")
	})

	t.Run("fails: per-pod result at run time", func(t *testing.T) {
		// amp.Source accepts no query that can return several series, so
		// the run-time check is the one a caller of Client.Query makes.
		result, err := s.client.Query(context.Background(), perPodQuery, time.Now())
		require.NoError(t, err)

		_, err = promql.Reduce(result.Value, promql.ReduceOptions{IgnoreNullValues: true})

		require.ErrorIs(t, err, promql.ErrMultipleSeries)
		assert.Contains(t, err.Error(), "2 series")
	})

	t.Run("fails: duplicate match group at run time", func(t *testing.T) {
		// The static check accepts this query because group_left requires
		// the right side to be one series per match group, and Prometheus
		// fails the query when it is not.
		query := `sum(websocket_active_connection_count) * on() group_left(pod) websocket_active_connection_count`
		source, err := amp.NewSource(s.client, query, promql.ReduceOptions{IgnoreNullValues: true})
		require.NoError(t, err)

		_, err = source.Value(context.Background(), time.Now())

		var queryErr *amp.Error
		require.ErrorAs(t, err, &queryErr)
		assert.Equal(t, amp.KindExecution, queryErr.Kind)
		assert.Equal(t, 422, queryErr.StatusCode)
		assert.Contains(t, queryErr.Message, "duplicate series")
	})

	t.Run("empty result: ignoreNullValues true reads 0", func(t *testing.T) {
		source, err := amp.NewSource(s.client, emptyQuery, promql.ReduceOptions{IgnoreNullValues: true})
		require.NoError(t, err)

		value, err := source.Value(context.Background(), time.Now())

		require.NoError(t, err)
		assert.Equal(t, 0.0, value)
	})

	t.Run("empty result: ignoreNullValues false fails", func(t *testing.T) {
		source, err := amp.NewSource(s.client, emptyQuery, promql.ReduceOptions{IgnoreNullValues: false})
		require.NoError(t, err)

		_, err = source.Value(context.Background(), time.Now())

		require.ErrorIs(t, err, promql.ErrEmptyResult)
		assert.Contains(t, err.Error(), `append "or vector(0)" to the query`)
	})

	t.Run("empty result: ScaledObject ignoreNullValues false holds", func(t *testing.T) {
		so := sampleObject(t, s.workspace)
		so.Spec.Triggers[0].Metadata["query"] = emptyQuery
		so.Spec.Triggers[0].Metadata["ignoreNullValues"] = "false"
		target := scaler.NewMemoryTarget(2, nil)
		sc, err := scaler.Build(so, scaler.BuildOptions{Target: target, Credentials: s.workspace.Credentials()})
		require.NoError(t, err)

		decision, err := sc.Step(context.Background(), time.Now())

		require.ErrorIs(t, err, promql.ErrEmptyResult)
		assert.Equal(t, scaler.ActionHold, decision.Action)
		assert.Equal(t, int32(2), decision.DesiredReplicas)
	})

	t.Run("exporter: new value reaches query", func(t *testing.T) {
		query := `sum(websocket_active_connection_count{app_kubernetes_io_name="chat"})`
		s.exporter.Set("chat", "chat-0", 12)
		s.waitForValue(t, query, 12)

		s.exporter.Set("chat", "chat-0", 30)
		s.exporter.Set("chat", "chat-1", 5)

		s.waitForValue(t, query, 35)
	})

	t.Run("exporter: deleted series goes stale", func(t *testing.T) {
		query := `count(websocket_active_connection_count{app_kubernetes_io_name="gone"}) or vector(0)`
		s.exporter.Set("gone", "gone-0", 1)
		s.exporter.Set("gone", "gone-1", 1)
		s.waitForValue(t, query, 2)

		assert.True(t, s.exporter.Delete("gone", "gone-1"))

		s.waitForValue(t, query, 1)
	})
}

func TestServerStopsWhenTestEnds(t *testing.T) {
	realprom.Binary(t)
	var server *realprom.Server

	t.Run("start", func(t *testing.T) {
		server = realprom.Start(t, realprom.Config{})
		require.NoError(t, get(server.URL()+"/-/ready"))
	})

	err := get(server.URL() + "/-/ready")
	require.Error(t, err, "the server still answers after its test ended")
	assert.True(t, errors.Is(err, errConnection), "%v", err)
}
