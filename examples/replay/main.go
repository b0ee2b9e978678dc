// Command replay shows what a ScaledObject's autoscaling would have done
// over a stretch of metric history. It reads the trigger's metric from
// Amazon Managed Prometheus or any Prometheus-compatible server with range
// queries, one value per polling interval. It feeds the values to the real
// scaler loop, so activation, the HPA's arithmetic, stabilization windows,
// cooldown and fallback act as they would in a cluster. It writes every
// poll to a CSV file, draws the metric and the replica count as an SVG
// chart, and prints a summary.
//
// The ScaledObject comes from -f. Without -f it is a built-in one: a
// prometheus trigger with threshold 50 and activationThreshold 0,
// minReplicaCount 1, maxReplicaCount 5, pollingInterval 60 s,
// cooldownPeriod 300 s and a 600 s scale-down stabilization window. The
// flags -server, -query and -threshold override the trigger's values, and
// only the first trigger is replayed.
//
// Usage:
//
//	go run ./examples/replay -server https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-ID -start -24h
//	go run ./examples/replay -f scaledobject.yaml -start 2025-01-22T00:00:00Z -end 2025-01-23T00:00:00Z
//	go run ./examples/replay -demo
//
// The polls run at -start, -start + step, and so on while they are before
// -end, so the range includes its start and excludes its end. A day from
// midnight to midnight at a 60 s step is 1440 polls, the last at 23:59.
// A relative -start or -end, such as -24h or 0s, is moved back to a
// multiple of the step, so that runs a few seconds apart poll at the same
// times.
//
// Requests to an AMP workspace URL, and with -sigv4 to any host, are signed
// with the AWS SDK's default credentials (IRSA, EKS Pod Identity,
// environment, profile). The trigger's authenticationRef is not used.
//
// -demo needs no AWS account: it serves a synthetic day of
// websocket_active_connection_count from an embedded Prometheus-compatible
// server on 127.0.0.1 and replays the ScaledObject above against it.
//
// The CSV file has a header and one row per poll, with these columns:
//
//	time               the poll time in RFC 3339, UTC
//	value              the metric value, empty when the read failed or the
//	                   poll did not read the trigger
//	threshold          the trigger's threshold
//	active             whether the workload was active in this poll: the
//	                   value above activationThreshold, or fallback
//	proposed_replicas  the HPA's proposal from the metric, before the
//	                   stabilization window, the scaling policies and the
//	                   replica limits. When the HPA did not run (inactive,
//	                   fallback, paused or a failed read), it is the count
//	                   that the poll set.
//	replicas           the replica count after the poll
//	action             the rule that decided the count, such as HPA, Hold,
//	                   Fallback or Paused
//	explanation        the poll's explanation on one line, with "; "
//	                   between its lines
//
// Exit codes:
//
//	0  the replay ran and its outputs were written
//	1  the server returned an error response, or the replay failed
//	2  the replay could not run: invalid flags or input, or a server that
//	   sent no HTTP response (unreachable, timed out, or no AWS credentials)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/promscaler/promscaler/amp"
)

// Exit codes of the command.
const (
	exitFailure   = 1
	exitCannotRun = 2
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, time.Now()))
}

// run replays as the command line args describe, with now as the time that
// relative -start and -end values count from, and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, now time.Time) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errFlagSyntax) {
		return exitCannotRun
	}
	if err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return exitCannotRun
	}

	if err := replayCommand(ctx, opts, stdout, stderr, now); err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return exitCode(err)
	}
	return 0
}

// exitCode returns exitCannotRun for invalid input and for a query that
// got no HTTP response, and exitFailure for every other error.
func exitCode(err error) int {
	var usage *usageError
	if errors.As(err, &usage) {
		return exitCannotRun
	}
	// A server that is unreachable or timed out, or a request that could
	// not be signed, leaves the status code 0.
	var queryErr *amp.Error
	if errors.As(err, &queryErr) && queryErr.StatusCode == 0 {
		return exitCannotRun
	}
	return exitFailure
}

// replayCommand loads the input, fetches the metric, replays it and writes
// the outputs. Warnings go to stderr and the summary to stdout.
func replayCommand(ctx context.Context, opts options, stdout, stderr io.Writer, now time.Time) error {
	if opts.demo {
		server, err := startDemoServer()
		if err != nil {
			return err
		}
		defer server.Close()
		opts = opts.forDemo(server.URL())
	}

	plan, err := newPlan(opts, now)
	if err != nil {
		return err
	}
	for _, warning := range plan.warnings {
		fmt.Fprintln(stderr, "replay: warning:", warning)
	}

	series, err := fetchSeries(ctx, plan)
	if err != nil {
		return err
	}
	for _, warning := range series.warnings {
		fmt.Fprintln(stderr, "replay: warning: the server:", warning)
	}
	result, err := replay(ctx, plan, series)
	if err != nil {
		return err
	}
	for _, p := range result.polls {
		if series.empty(p.decision.Time) {
			result.emptyPolls++
		}
	}
	if err := writeOutputs(plan, result); err != nil {
		return err
	}
	return writeSummary(stdout, plan, result)
}

// writeOutputs writes the CSV file and the chart that opts name.
func writeOutputs(plan *plan, result *replayResult) error {
	if plan.opts.csvPath != "" {
		if err := writeFile(plan.opts.csvPath, func(w io.Writer) error { return writeCSV(w, result) }); err != nil {
			return err
		}
	}
	if plan.opts.chartPath != "" {
		if err := writeFile(plan.opts.chartPath, func(w io.Writer) error { return writeChart(w, result) }); err != nil {
			return err
		}
	}
	return nil
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
