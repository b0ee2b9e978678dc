// Command check reviews KEDA ScaledObjects before they are deployed. It
// loads every ScaledObject of a manifest and runs the static PromQL check on
// each prometheus trigger's query. With -server, it also queries each
// trigger once and prints the replica count the scaler would set.
//
// Usage:
//
//	go run ./examples/check -f scaledobject.yaml [-f auth.yaml] [-server URL [-sigv4 [-region R]] [-time RFC3339] [-replicas N]]
//
// Repeat -f for the TriggerAuthentications that the ScaledObjects name. An
// authenticationRef that none of the files defines is a warning, because
// the authentication may exist in the cluster. Load problems name their
// field path, such as spec.cooldownPeriods, and the static check prints
// each diagnostic with the query, a caret line under
// the offending part and a suggested rewrite. With -server, the query goes to
// that Prometheus-compatible base URL in place of each trigger's
// serverAddress, with the trigger's own options (ignoreNullValues, timeout,
// customHeaders, queryParameters, namespace). The manifest's authentication
// is not used: the requests are unsigned, or signed with SigV4 and the AWS
// SDK's default credential chain with -sigv4 or for an AMP workspace URL.
// Without -region, a host that names no region is signed for each
// trigger's awsRegion. -time and -replicas apply to the queries, so they
// need -server.
// The decision is printed in the HPA's arithmetic, such as
// "ceil(140 / 50) = 3".
//
// Exit codes:
//
//	0  no problems. Warnings alone are printed and still give 0.
//	1  problems found: a load problem, a static check error, or a query that
//	   failed, was rejected by the server or returned several series
//	2  the check could not run: invalid flags, an unreadable file, or a server
//	   that sent no response (unreachable, timed out, or no AWS credentials)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Exit codes of the command.
const (
	exitOK       = 0
	exitProblems = 1
	exitCannot   = 2
)

// options are the command-line settings.
type options struct {
	files    []string
	server   string
	sigv4    bool
	region   string
	at       time.Time
	replicas int32
	// replicasSet reports that -replicas was given. Without it, each
	// object starts at max(1, minReplicaCount).
	replicasSet bool
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run checks the manifest that args name and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "check:", err)
		return exitCannot
	}

	data, err := readManifests(opts.files)
	if err != nil {
		fmt.Fprintln(stderr, "check:", err)
		return exitCannot
	}
	if err := prepareSigning(ctx, opts, data); err != nil {
		fmt.Fprintln(stderr, "check:", err)
		return exitCannot
	}
	c := &checker{out: stdout, opts: opts}
	c.checkManifest(ctx, data)
	return c.exitCode()
}

const usageText = `Usage: check -f FILE [-f FILE...] [-server URL [-sigv4 [-region R]] [-time RFC3339] [-replicas N]]

Check every KEDA ScaledObject of the files before deploying it: load
problems with their field paths, warnings, the static check of each
prometheus trigger's query with carets under the offending part, and, with
-server, the replica count the scaler would set after one query of each
trigger. Repeat -f for the files that define the TriggerAuthentications the
ScaledObjects name.

Exit codes:
  0  no problems (warnings are printed but still give 0)
  1  problems found: a load problem, a static check error, or a query that
     failed, was rejected by the server or returned several series
  2  the check could not run: invalid flags, an unreadable file, or a server
     that sent no response (unreachable, timed out, or no AWS credentials)

Flags:
`

// parseFlags reads the command line. The error is flag.ErrHelp for -help.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var opts options
	var at string
	var replicas int
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.Func("f", "a manifest `file` to check: YAML or JSON with ScaledObjects and their TriggerAuthentications (required; repeat -f for more files)", func(path string) error {
		opts.files = append(opts.files, path)
		return nil
	})
	fs.StringVar(&opts.server, "server", "", "a Prometheus-compatible base URL to query in place of each trigger's serverAddress, such as http://127.0.0.1:9090")
	fs.BoolVar(&opts.sigv4, "sigv4", false, "sign the queries to -server with AWS SigV4 and the AWS SDK's default credential chain")
	fs.StringVar(&opts.region, "region", "", "the AWS region that -sigv4 signs for (default: the region of an AMP workspace URL, else each trigger's awsRegion)")
	fs.StringVar(&at, "time", "", "the evaluation time of the queries to -server, in RFC 3339 such as 2025-01-22T09:01:00Z (default: now)")
	fs.IntVar(&replicas, "replicas", 0, "the workload's current replica count for the queries to -server (default: minReplicaCount, or 1 when it is 0 or unset)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	opts.replicasSet = set["replicas"]

	if err := validateFlags(fs, opts, set, replicas); err != nil {
		return options{}, err
	}
	opts.replicas = int32(replicas)
	opts.at = time.Now()
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return options{}, fmt.Errorf("-time %q is not an RFC 3339 time; use a time such as 2025-01-22T09:01:00Z", at)
		}
		opts.at = t
	}
	return opts, nil
}

// validateFlags reports the first flag that cannot work.
// set holds the names of the flags given.
func validateFlags(fs *flag.FlagSet, opts options, set map[string]bool, replicas int) error {
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q; name the manifest with -f FILE", fs.Arg(0))
	case len(opts.files) == 0:
		return errors.New("-f is missing; name the manifest to check, such as -f scaledobject.yaml")
	case replicas < 0 || replicas > 1<<31-1:
		return fmt.Errorf("-replicas %d is out of range; use a replica count from 0 up", replicas)
	case opts.server == "" && (opts.sigv4 || opts.region != ""):
		return errors.New("-sigv4 and -region apply only to the queries to -server; add -server URL")
	case opts.region != "" && !opts.sigv4:
		return fmt.Errorf("-region %q is set without -sigv4; add -sigv4 to sign the queries", opts.region)
	case opts.server == "" && set["time"]:
		return errors.New("-time applies only to the queries to -server; add -server URL, or drop -time for the static check alone")
	case opts.server == "" && set["replicas"]:
		return errors.New("-replicas applies only to the queries to -server; add -server URL, or drop -replicas for the static check alone")
	case opts.server != "" && !strings.HasPrefix(opts.server, "http://") && !strings.HasPrefix(opts.server, "https://"):
		return fmt.Errorf("-server %q is not an http or https URL; use a base URL such as http://127.0.0.1:9090", opts.server)
	}
	return nil
}
