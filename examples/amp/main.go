// Command amp runs the autoscaling loop of a KEDA prometheus trigger
// against a real Amazon Managed Service for Prometheus (AMP) workspace.
//
// Every query is signed with SigV4 for the service "aps", with credentials
// from the AWS SDK's default chain: environment variables, IRSA web
// identity, EKS Pod Identity, the shared profile and EC2 instance metadata.
// The identity needs the IAM permission aps:QueryMetrics on the workspace.
//
// The scaled workload is simulated in memory: the command changes nothing
// in any cluster. It prints what KEDA and the HPA would do with the
// workload's replica count.
//
// Usage:
//
//	go run ./examples/amp -url https://aps-workspaces.<region>.amazonaws.com/workspaces/ws-... -once
//	go run ./examples/amp -f scaledobject.yaml
//
// With -once it polls once, prints the decision with its arithmetic and
// exits. Otherwise it polls every -interval and prints one line per poll
// until SIGINT or SIGTERM.
//
// Exit codes: 0 on success or on a signal, 1 when the query failed,
// 2 when the command cannot run: a bad flag, a query that the static check
// finds unable to return one value, no region, or no credentials.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of the command.
const (
	exitOK        = 0
	exitFailed    = 1 // a query failed
	exitCannotRun = 2 // bad input, no region, no credentials or an unfit query
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, builds the scaler, polls and returns the exit code.
// env supplies the fallbacks of the flags (AMP_WORKSPACE_URL, AWS_REGION,
// AWS_DEFAULT_REGION). The AWS SDK reads credentials and the shared config
// files from the process environment.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, env, stderr)
	if err != nil {
		return reportUsage(err, stderr)
	}

	setup, err := prepare(ctx, opts, env, stderr)
	if err != nil {
		fmt.Fprintln(stderr, userText(err.Error()))
		return exitCannotRun
	}
	fmt.Fprintf(stdout, "Workspace %s, region %s, query %s\n", setup.url, setup.region, setup.query)

	if opts.once {
		return pollOnce(ctx, setup, stdout, stderr)
	}
	return pollUntilDone(ctx, setup, stdout, stderr)
}
