// Command quickstart runs a ScaledObject's autoscaling loop end to end on
// this machine: an embedded Prometheus-compatible server with the real
// PromQL engine serves as an Amazon Managed Prometheus workspace,
// checks every request's SigV4 signature, and evaluates the scaler's query.
// No AWS account and no cluster are needed; every address is 127.0.0.1.
//
// The scaler uses the values of this ScaledObject: a prometheus trigger
// with threshold 50 and activationThreshold 0, minReplicaCount 1,
// maxReplicaCount 5, pollingInterval 60 s and a 600 s scale-down
// stabilization window. Simulated time runs 600 times faster than real
// time, so 28 minutes of scaling take about 3 seconds.
//
// Usage:
//
//	go run ./examples/quickstart [-speedup 600]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/hpa"
	"github.com/promscaler/promscaler/internal/promserver"
	"github.com/promscaler/promscaler/promql"
	"github.com/promscaler/promscaler/scaler"
	"github.com/promscaler/promscaler/sigv4"
)

// The trigger's query and the two queries a Prometheus trigger cannot use.
const (
	goodQuery   = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`
	perPodQuery = `avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])`
	rangeQuery  = `rate(http_requests_total{}[5m])`
)

// Static example credentials from the AWS documentation: the embedded
// server accepts only requests signed with them.
const (
	region          = "ap-northeast-2"
	workspaceID     = "ws-quickstart"
	accessKeyID     = "AKIDEXAMPLE"
	secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// load is the total number of open connections in each simulated minute:
// steady, a rise, a peak above what 5 pods can take, a calmer hour and
// silence.
var load = []int{
	80,                      // t0: 2 pods at 40 each
	140, 140, 230, 320, 320, // rising: 3, 3, 5, then capped at 5
	120, 120, 120, 120, 120, 120, 120, 120, // calmer: 3 would do, but the
	120, 120, 120, // 600 s window keeps 5
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // silent: inactive, down to min 1
}

// options are the command-line settings.
type options struct {
	speedup float64
}

func main() {
	var opts options
	flag.Float64Var(&opts.speedup, "speedup", 600, "how many times faster than real time the simulation runs; 0 runs without waiting")
	flag.Parse()

	if err := run(context.Background(), os.Stdout, opts); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, opts options) error {
	if opts.speedup < 0 {
		return fmt.Errorf("-speedup %v is negative; use 0 (no waiting) or more", opts.speedup)
	}
	start := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)
	creds := credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, "")

	storage := promserver.NewStorage()
	server, err := startServer(storage, creds)
	if err != nil {
		return err
	}
	defer server.Close()

	client, err := newClient(server.URL(), creds)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Embedded AMP workspace at %s (SigV4, region %s)\n", server.URL(), region)
	if err := runScaler(ctx, out, opts, start, storage, client); err != nil {
		return err
	}
	// At 09:02 three pods share 140 connections.
	return checkBadQueries(ctx, out, client, start.Add(2*time.Minute))
}

func startServer(storage *promserver.Storage, creds aws.CredentialsProvider) (*promserver.Server, error) {
	key, err := creds.Retrieve(context.Background())
	if err != nil {
		return nil, err
	}
	return promserver.Start(promserver.Config{
		Storage:     storage,
		WorkspaceID: workspaceID,
		Verifier:    &sigv4.Verifier{Region: region, Service: sigv4.DefaultService, Credentials: []aws.Credentials{key}},
	})
}

// newClient builds the query client as a host program would for AMP: an
// HTTP client whose transport signs every request with SigV4.
func newClient(serverAddress string, creds aws.CredentialsProvider) (*amp.Client, error) {
	signer, err := sigv4.NewRoundTripper(sigv4.Config{Region: region, Credentials: creds})
	if err != nil {
		return nil, err
	}
	return amp.NewClient(amp.Config{
		ServerAddress: serverAddress,
		HTTPClient:    &http.Client{Transport: signer},
	})
}

func runScaler(ctx context.Context, out io.Writer, opts options, start time.Time, storage *promserver.Storage, client *amp.Client) error {
	source, err := amp.NewSource(client, goodQuery, promql.ReduceOptions{IgnoreNullValues: true})
	if err != nil {
		return err
	}
	clock := scaler.NewSimulatedClock(start, opts.speedup)
	target := scaler.NewMemoryTarget(2, clock)
	work := newWorkload(storage, target, start, load, 5*time.Minute)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	table := newTimeline(out)
	stop := start.Add(time.Duration(len(load)-1) * time.Minute)
	s, err := scaler.New(scaler.Config{
		Name:                         "default/sample-app-prometheus-scaler",
		Triggers:                     []scaler.Trigger{{Source: scrapingSource{work, source}, Threshold: 50, ActivationThreshold: 0}},
		Target:                       target,
		PollingInterval:              60 * time.Second,
		MinReplicaCount:              1,
		MaxReplicaCount:              5,
		DownscaleStabilizationWindow: durationPtr(600 * time.Second),
		Clock:                        clock,
		OnDecision: func(d scaler.Decision) {
			table.row(d)
			if !d.Time.Before(stop) || d.Err != nil {
				cancel()
			}
		},
	})
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "Query: %s\n", goodQuery)
	report := promql.Check(goodQuery)
	fmt.Fprintf(out, "Static check: returns %s", report.Cardinality)
	for _, p := range report.Problems {
		fmt.Fprintf(out, "; %s[%s], fix: %s", p.Severity, p.Check, p.Fix)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Trigger: threshold 50, activationThreshold 0; replicas 1..5; polling every 60s; scale-down stabilization 600s")
	if opts.speedup > 0 {
		fmt.Fprintf(out, "Time runs %gx faster than real time: each 60s polling interval takes %v.\n\n",
			opts.speedup, time.Duration(float64(time.Minute)/opts.speedup))
	} else {
		fmt.Fprintln(out, "Time runs without waiting between polls.")
		fmt.Fprintln(out)
	}
	table.header()
	if err := s.Run(ctx); err != nil {
		return err
	}
	return table.err
}

// timeline prints one row per poll as it happens, and one indented line
// for every rule that changed the HPA's count.
type timeline struct {
	out io.Writer
	err error
}

const rowFormat = "%-5s  %-5s  %-6s  %-7s  %-7s  %-19s  %s\n"

func newTimeline(out io.Writer) *timeline { return &timeline{out: out} }

func (t *timeline) header() {
	fmt.Fprintf(t.out, rowFormat, "TIME", "QUERY", "ACTIVE", "CURRENT", "DESIRED", "REASON", "ARITHMETIC")
}

func (t *timeline) row(d scaler.Decision) {
	at := d.Time.Format("15:04")
	current, desired := strconv.Itoa(int(d.Replicas.Current)), strconv.Itoa(int(d.DesiredReplicas))
	if d.Err != nil {
		t.err = fmt.Errorf("poll at %s failed: %w", at, d.Err)
		fmt.Fprintf(t.out, rowFormat, at, "-", "-", current, desired, d.Action, d.Err)
		return
	}

	value := strconv.FormatFloat(d.Triggers[0].Value, 'g', -1, 64)
	if d.HPA == nil {
		fmt.Fprintf(t.out, rowFormat, at, value, strconv.FormatBool(d.Active), current, desired, d.Action, "")
		return
	}
	fmt.Fprintf(t.out, rowFormat, at, value, strconv.FormatBool(d.Active), current, desired, d.HPA.Reason(), arithmetic(*d.HPA))
	for _, step := range d.HPA.Steps() {
		fmt.Fprintf(t.out, "%40s%s: %d → %d, %s\n", "", step.Reason, step.From, step.To, step.Detail())
	}
}

// arithmetic returns the HPA's formula, and for an AverageValue trigger the
// same count written with the average per pod.
func arithmetic(d hpa.Decision) string {
	if len(d.Proposals()) == 0 {
		return ""
	}
	p := d.Proposals()[0]
	text := p.Formula()
	if per := p.PerReplicaFormula(); per != "" {
		text += ", or " + per
	}
	return text
}

// checkBadQueries runs the static check on the two queries that cannot
// drive a trigger, and shows what the server returns for the first one.
func checkBadQueries(ctx context.Context, out io.Writer, client *amp.Client, at time.Time) error {
	fmt.Fprintln(out, "\nQueries a Prometheus trigger cannot use, caught before deployment:")
	for _, q := range []string{perPodQuery, rangeQuery} {
		report := promql.Check(q)
		if report.OK() {
			return fmt.Errorf("the check accepted %s, which returns more than one value", q)
		}
		fmt.Fprintf(out, "\n%s", report.Render())
	}

	result, err := client.Query(ctx, perPodQuery, at)
	if err != nil {
		return err
	}
	_, err = promql.Reduce(result.Value, promql.ReduceOptions{IgnoreNullValues: true})
	if err == nil {
		return fmt.Errorf("the per-pod query reduced to one value at %s; expected one series per pod", at.Format("15:04"))
	}
	fmt.Fprintf(out, "\nAt %s the embedded server returns one series per pod for the per-pod query:\n", at.Format("15:04"))
	if vector, ok := result.Value.(model.Vector); ok {
		for _, sample := range vector {
			fmt.Fprintf(out, "  %v %v\n", sample.Metric, sample.Value)
		}
	}
	fmt.Fprintf(out, "and the scaler rejects the result: %v\n", err)
	return nil
}

func durationPtr(d time.Duration) *time.Duration { return &d }
