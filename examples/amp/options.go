package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// defaultQuery is the query of the sample-app ScaledObject: the open
// websocket connections of all its pods, averaged over a minute.
const defaultQuery = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`

// options are the command-line settings after the environment fallbacks.
type options struct {
	url        string
	region     string
	query      string
	threshold  float64
	activation float64
	min, max   int
	replicas   int
	interval   time.Duration
	once       bool
	files      []string
}

// errUsage marks a flag error that the flag package has already printed
// with the usage text.
var errUsage = errors.New("amp: invalid flags")

// objectFlags are the settings a ScaledObject file provides, so they
// cannot be set beside -f.
var objectFlags = []string{"query", "threshold", "activation-threshold", "min", "max", "interval"}

const usageText = `Usage: go run ./examples/amp [flags]

Runs the autoscaling loop of a KEDA prometheus trigger against an Amazon
Managed Service for Prometheus workspace and prints each decision. The
workload is simulated in memory: nothing in any cluster changes.

Queries are signed with SigV4 with credentials from the AWS SDK's default
chain (environment, IRSA, EKS Pod Identity, profile, EC2 instance metadata).
The identity needs the IAM permission aps:QueryMetrics on the workspace.
A host that is not an AMP workspace host, such as a private DNS name of a
VPC endpoint, is signed too and needs -region or AWS_REGION.

With -f, the ScaledObject's prometheus trigger sets the query, thresholds,
replica limits, polling interval and behavior, and its podIdentity or
identityOwner decides whether queries are signed, as in KEDA. -url replaces
its serverAddress.

Exit codes: 0 success or stopped by a signal, 1 failed query, 2 cannot run
(bad flags, no region, no credentials, or a query that can return more
than one value).

Flags:
`

// parseOptions reads the flags, then fills -url from AMP_WORKSPACE_URL
// when it is not set. The region's fallbacks are resolved later, because
// a workspace host's own region comes before AWS_REGION.
func parseOptions(args []string, env func(string) string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet("amp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&opts.url, "url", "", "workspace URL https://aps-workspaces.<region>.amazonaws.com/workspaces/ws-...; default $AMP_WORKSPACE_URL")
	fs.StringVar(&opts.region, "region", "", "AWS region to sign for; default the region in the workspace host name, else $AWS_REGION, $AWS_DEFAULT_REGION or the profile's region")
	fs.StringVar(&opts.query, "query", defaultQuery, "PromQL query that returns one value")
	fs.Float64Var(&opts.threshold, "threshold", 50, "target value per replica (the trigger's threshold)")
	fs.Float64Var(&opts.activation, "activation-threshold", 0, "value the query must exceed for the workload to be active")
	fs.IntVar(&opts.min, "min", 1, "minReplicaCount")
	fs.IntVar(&opts.max, "max", 5, "maxReplicaCount")
	fs.IntVar(&opts.replicas, "replicas", 2, "current replicas of the simulated workload")
	fs.DurationVar(&opts.interval, "interval", 60*time.Second, "polling interval")
	fs.BoolVar(&opts.once, "once", false, "poll once, print the decision with its arithmetic, and exit")
	fs.Func("f", "ScaledObject YAML `file` to take the query, thresholds, replica limits, interval and AWS settings from; repeat -f for a file with its TriggerAuthentication", func(path string) error {
		opts.files = append(opts.files, path)
		return nil
	})

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return opts, err
		}
		return opts, errUsage
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("amp: unexpected argument %q; pass settings as flags, see -help", fs.Arg(0))
	}
	if opts.url == "" {
		opts.url = strings.TrimSpace(env("AMP_WORKSPACE_URL"))
	}
	return opts, opts.validate(setFlags(fs))
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// validate reports the first setting the command cannot use. Thresholds
// and replica limits are checked by scaler.Config.Validate.
func (o options) validate(set map[string]bool) error {
	if len(o.files) > 0 {
		for _, name := range objectFlags {
			if set[name] {
				return fmt.Errorf("amp: -%s cannot be combined with -f, which takes it from the ScaledObject; remove -%s or -f", name, name)
			}
		}
	}
	switch {
	case o.url == "" && len(o.files) == 0:
		return errors.New("amp: no workspace URL; set -url or AMP_WORKSPACE_URL to https://aps-workspaces.<region>.amazonaws.com/workspaces/ws-..., or pass a ScaledObject with -f")
	case o.replicas < 0:
		return fmt.Errorf("amp: -replicas %d is negative; use the current replica count, 0 or more", o.replicas)
	case o.replicas > math.MaxInt32:
		return fmt.Errorf("amp: -replicas %d is too large; use at most %d", o.replicas, math.MaxInt32)
	case o.min < 0 || o.max < 0 || o.min > math.MaxInt32 || o.max > math.MaxInt32:
		return fmt.Errorf("amp: -min %d or -max %d is out of range; use counts from 0 to %d", o.min, o.max, math.MaxInt32)
	case o.interval <= 0:
		return fmt.Errorf("amp: -interval %v is not positive; use a duration such as 60s", o.interval)
	}
	return nil
}

// reportUsage prints a flag error and returns its exit code: 0 for -help.
func reportUsage(err error, stderr io.Writer) int {
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitCannotRun
	}
	fmt.Fprintln(stderr, err)
	return exitCannotRun
}
