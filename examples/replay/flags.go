package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// options are the command-line settings. Empty strings and the zero
// duration mean that the flag was not given.
type options struct {
	file      string
	server    string
	query     string
	threshold string
	start     string
	end       string
	step      time.Duration
	// replicas is the count before the first poll; -1 means
	// minReplicaCount.
	replicas  int
	csvPath   string
	chartPath string
	sigv4     bool
	region    string
	timeout   time.Duration
	demo      bool
	// setFlags contains the names of the flags on the command line.
	setFlags map[string]bool
}

// usageError is an invalid flag or input, which exits with exitCannotRun.
type usageError struct {
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// errFlagSyntax reports a command line that the flag package rejected
// after it printed the error and the usage.
var errFlagSyntax = errors.New("invalid command line")

// usageText is the -h output before the list of flags.
const usageText = `Usage: replay [-f FILE] [-server URL [-sigv4 -region R]] [-start TIME] [-end TIME] [-step D]
       replay -demo

Replay what a ScaledObject's autoscaling would have done over past metrics:
read the first trigger's metric with range queries, one value per step, run
the scaler loop once per step (activation, the HPA's arithmetic,
stabilization windows, cooldown and fallback), and write one CSV row per
poll, an SVG chart and a summary. Only the first trigger is replayed. The
polls run from -start, included, to -end, excluded: a day from midnight to
midnight at a 60s step is 1440 polls.

CSV columns: time, value (empty when the read failed), threshold, active,
proposed_replicas (the HPA's proposal before the stabilization window,
the scaling policies and the replica limits, or the count the poll set when
the HPA did not run), replicas (the count after the poll), action and
explanation.

Exit codes:
  0  the replay ran and its outputs were written
  1  the server returned an error response, or the replay failed
  2  the replay could not run: invalid flags or input, or a server that
     sent no HTTP response (unreachable, timed out, or no AWS credentials)

Flags:
`

// oneFile is the value of -f, which may be given once only.
type oneFile string

func (f *oneFile) String() string { return string(*f) }

// Set rejects a second -f. The other commands join several files into one
// manifest, but replay reads no TriggerAuthentication: it signs with the AWS
// SDK's default chain for an AMP host or -sigv4, and sends no other
// authentication.
func (f *oneFile) Set(value string) error {
	if *f != "" {
		return fmt.Errorf("-f %q follows -f %q, but replay reads one ScaledObject file and no TriggerAuthentication; "+
			"give the ScaledObject's file only (AMP requests are signed with the AWS SDK's default chain)", value, string(*f))
	}
	*f = oneFile(value)
	return nil
}

// parseFlags reads the command line. Errors and the usage go to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	fs.Var((*oneFile)(&opts.file), "f", "ScaledObject `file` (YAML or JSON), given once; its first trigger is replayed. Without it, the built-in ScaledObject is used")
	fs.StringVar(&opts.server, "server", "", "Prometheus base `URL` or AMP workspace URL; replaces the trigger's serverAddress")
	fs.StringVar(&opts.server, "url", "", "the same as -server `URL`")
	fs.StringVar(&opts.query, "query", "", "PromQL `query` that replaces the trigger's query")
	fs.StringVar(&opts.threshold, "threshold", "", "`value` that replaces the trigger's threshold")
	fs.StringVar(&opts.start, "start", "-24h", "start of the range, included: an RFC 3339 `time` or a duration before now such as -24h or -7d")
	fs.StringVar(&opts.end, "end", "0s", "end of the range, excluded: an RFC 3339 `time` or a duration before now such as -1h; 0s is now")
	fs.DurationVar(&opts.step, "step", 0, "time between polls, such as 60s; 0 means the ScaledObject's pollingInterval")
	fs.IntVar(&opts.replicas, "replicas", -1, "replica `count` before the first poll; -1 means minReplicaCount")
	fs.StringVar(&opts.csvPath, "csv", "replay.csv", "CSV `file` with one row per poll; empty writes none")
	fs.StringVar(&opts.chartPath, "chart", "replay.svg", "SVG `file` with the chart; empty writes none")
	fs.BoolVar(&opts.sigv4, "sigv4", false, "sign requests with AWS SigV4 (service aps) for a host that is not an AMP workspace URL; needs a region")
	fs.StringVar(&opts.region, "region", "", "AWS `region` to sign for; empty means the region in the AMP host name, or with -sigv4 the trigger's awsRegion")
	fs.DurationVar(&opts.timeout, "timeout", 30*time.Second, "time limit of each range query attempt")
	fs.BoolVar(&opts.demo, "demo", false, "replay a synthetic day served by an embedded server on 127.0.0.1; needs no AWS account")

	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return options{}, err
	} else if err != nil {
		return options{}, errFlagSyntax
	}
	opts.setFlags = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { opts.setFlags[f.Name] = true })
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q; every setting is a flag, see -h", fs.Arg(0))
	}
	return opts, opts.validate()
}

// validate checks the flags that need no ScaledObject.
func (o options) validate() error {
	if o.step < 0 {
		return fmt.Errorf("-step %v is negative; give a positive duration such as 60s, or 0 for the pollingInterval", o.step)
	}
	if o.step > 0 && o.step < time.Second {
		return fmt.Errorf("-step %v is below 1s; range queries take whole seconds at least", o.step)
	}
	if o.replicas < -1 {
		return fmt.Errorf("-replicas %d is negative; give a count, or -1 for minReplicaCount", o.replicas)
	}
	if o.chartPath != "" && !strings.EqualFold(filepath.Ext(o.chartPath), ".svg") {
		return fmt.Errorf("-chart %q: only SVG charts are written; give a file name ending in .svg", o.chartPath)
	}
	if o.timeout <= 0 {
		return fmt.Errorf("-timeout %v must be positive, such as 30s", o.timeout)
	}
	if o.demo {
		for _, name := range []string{"server", "url", "start", "end", "sigv4", "region"} {
			if o.setFlags[name] {
				return fmt.Errorf("-%s cannot be combined with -demo, %s; drop -demo to replay your own server", name, demoConflicts[name])
			}
		}
	}
	return nil
}

// demoConflicts gives, for each flag that -demo sets itself, the reason the
// flag cannot be given with it.
var demoConflicts = map[string]string{
	"server": "because the demo queries its own server on 127.0.0.1",
	"url":    "because the demo queries its own server on 127.0.0.1",
	"start":  "because the demo replays a fixed day, " + demoDay.Format(time.DateOnly),
	"end":    "because the demo replays a fixed day, " + demoDay.Format(time.DateOnly),
	"sigv4":  "because the demo's server on 127.0.0.1 needs no AWS credentials",
	"region": "because the demo's server on 127.0.0.1 needs no AWS credentials",
}

// parseTime reads an RFC 3339 time, or a duration relative to now such as
// -24h, -90m or -7d (a Prometheus duration with an optional minus sign).
func parseTime(flagName, text string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t, nil
	}

	sign, magnitude := time.Duration(1), text
	if rest, ok := strings.CutPrefix(text, "-"); ok {
		sign, magnitude = -1, rest
	}
	d, err := model.ParseDuration(magnitude)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is neither an RFC 3339 time such as 2025-01-22T09:00:00Z nor a duration before now such as -24h", flagName, text)
	}
	return now.Add(sign * time.Duration(d)), nil
}
