// Command replay shows what a ScaledObject's autoscaling would have done
// over a stretch of metric history. It reads the trigger's metric from
// Amazon Managed Prometheus or any Prometheus-compatible server with range
// queries, one value per polling interval. It feeds the values to the real
// scaler loop, so activation, the HPA's arithmetic, stabilization windows,
// cooldown and fallback act as they would in a cluster. It writes every
// poll to a CSV file, draws the metric and the replica count as an SVG
// chart, and prints a summary.
//
// The ScaledObject comes from -f, or is the one below, whose values the
// flags -server, -query and -threshold override: a prometheus trigger with
// threshold 50 and activationThreshold 0, minReplicaCount 1,
// maxReplicaCount 5, pollingInterval 60 s, cooldownPeriod 300 s and a 600 s
// scale-down stabilization window. Only the first trigger is replayed.
//
// Usage:
//
//	go run ./examples/replay -server https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-ID -start -24h
//	go run ./examples/replay -f scaledobject.yaml -start 2025-01-22T00:00:00Z -end 2025-01-23T00:00:00Z
//	go run ./examples/replay -demo
//
// Requests to an AMP workspace URL, and with -sigv4 to any host, are signed
// with the AWS SDK's default credentials (IRSA, EKS Pod Identity,
// environment, profile). The trigger's authenticationRef is not used.
//
// -demo needs no AWS account: it serves a synthetic day of
// websocket_active_connection_count from an embedded Prometheus-compatible
// server on 127.0.0.1 and replays the ScaledObject above against it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Exit codes: 1 when the replay fails, 2 when the flags or the input are
// invalid.
const (
	exitFailure = 1
	exitUsage   = 2
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
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return exitUsage
	}

	if err := replayCommand(ctx, opts, stdout, stderr, now); err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		var usage *usageError
		if errors.As(err, &usage) {
			return exitUsage
		}
		return exitFailure
	}
	return 0
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
