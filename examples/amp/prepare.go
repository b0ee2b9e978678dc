package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/promql"
	"github.com/promscaler/promscaler/scaler"
	"github.com/promscaler/promscaler/sigv4"
)

// credentialsTimeout bounds the first fetch of credentials, which may call
// STS, the Pod Identity agent or the EC2 instance metadata service.
const credentialsTimeout = 15 * time.Second

// setup is a scaler ready to poll, with the workspace URL, region and
// query that messages name.
type setup struct {
	url     string
	region  string
	query   string
	scaler  *scaler.Scaler
	printer *linePrinter
}

// trigger is the scaled query with its workspace, from the flags or from
// a ScaledObject.
type trigger struct {
	address string
	query   string
	region  string               // the trigger's awsRegion
	object  *scaler.ScaledObject // nil when the flags describe the trigger
}

// prepare checks the query, resolves the region and the credentials, and
// builds the scaler. It prints the query's problems and the ScaledObject's
// warnings to stderr.
func prepare(ctx context.Context, opts options, env func(string) string, stderr io.Writer) (*setup, error) {
	t, err := loadTrigger(opts, stderr)
	if err != nil {
		return nil, err
	}
	if err := checkQuery(t.query, stderr); err != nil {
		return nil, err
	}

	host, err := hostOf(t.address)
	if err != nil {
		return nil, err
	}
	explicit := opts.region
	if _, fromHost := sigv4.RegionFromHost(host); explicit == "" && !fromHost {
		explicit = t.region
	}
	region, err := resolveRegion(ctx, explicit, host, env)
	if err != nil {
		return nil, err
	}
	creds, err := loadCredentials(ctx)
	if err != nil {
		return nil, err
	}

	s := &setup{url: t.address, region: region, query: t.query}
	if !opts.once {
		s.printer = &linePrinter{}
	}
	s.scaler, err = buildScaler(opts, t, region, creds, s.onDecision)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// loadTrigger returns the trigger the flags describe, or the first
// prometheus trigger of the ScaledObject in the -f files, with -url in
// place of its serverAddress when -url or AMP_WORKSPACE_URL is set.
func loadTrigger(opts options, stderr io.Writer) (trigger, error) {
	if len(opts.files) == 0 {
		return trigger{address: opts.url, query: opts.query}, nil
	}

	var docs []string
	for _, path := range opts.files {
		data, err := os.ReadFile(path)
		if err != nil {
			return trigger{}, fmt.Errorf("amp: read -f %s: %w", path, err)
		}
		docs = append(docs, string(data))
	}
	so, err := scaler.LoadScaledObject([]byte(strings.Join(docs, "\n---\n")))
	if err != nil {
		return trigger{}, fmt.Errorf("amp: -f %s: %w", strings.Join(opts.files, ", "), err)
	}
	printWarnings(so, opts.url != "", stderr)

	t := trigger{object: so}
	for _, st := range so.Spec.Triggers {
		if st.Metadata == nil {
			continue
		}
		if opts.url != "" {
			st.Metadata["serverAddress"] = opts.url
		}
		if t.address == "" {
			t.address, t.query, t.region = st.Metadata["serverAddress"], st.Metadata["query"], st.Metadata["awsRegion"]
		}
	}
	return t, nil
}

// printWarnings prints the ScaledObject's warnings, except those about the
// query, which checkQuery prints, and those about a serverAddress that -url
// replaces.
func printWarnings(so *scaler.ScaledObject, urlSet bool, stderr io.Writer) {
	for _, w := range so.Warnings() {
		if strings.Contains(w, ".metadata.query:") || (urlSet && strings.Contains(w, ".metadata.serverAddress:")) {
			continue
		}
		fmt.Fprintf(stderr, "amp: warning: %s\n", w)
	}
}

// checkQuery runs the static check and prints its problems. It returns an
// error when the query can return more than one value.
func checkQuery(query string, stderr io.Writer) error {
	report := promql.Check(query)
	if len(report.Problems) > 0 {
		fmt.Fprint(stderr, report.Render())
	}
	if !report.OK() {
		return fmt.Errorf("amp: query %q cannot drive a trigger: %s; use the fix above", query, report.Reason)
	}
	return nil
}

// hostOf returns the host of a workspace URL, or an error that shows the
// expected form.
func hostOf(address string) (string, error) {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("amp: workspace URL %q is not an absolute http or https URL; use https://aps-workspaces.<region>.amazonaws.com/workspaces/ws-...", address)
	}
	return u.Host, nil
}

// resolveRegion returns the region to sign for: the -region flag, else the
// region in an AMP host name, else AWS_REGION, AWS_DEFAULT_REGION or the
// profile's region. A -region that differs from the host's region is an
// error, because AMP rejects a signature for another region.
func resolveRegion(ctx context.Context, flagRegion, host string, env func(string) string) (string, error) {
	hostRegion, fromHost := sigv4.RegionFromHost(host)
	switch {
	case flagRegion != "":
		if err := sigv4.CheckRegion(flagRegion); err != nil {
			return "", fmt.Errorf("amp: -region: %w", err)
		}
		if fromHost && flagRegion != hostRegion {
			return "", fmt.Errorf("amp: -region %q differs from region %q of host %s, and AMP rejects a signature for another region; remove -region", flagRegion, hostRegion, host)
		}
		return flagRegion, nil
	case fromHost:
		return hostRegion, nil
	}

	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if value := strings.TrimSpace(env(name)); value != "" {
			if err := sigv4.CheckRegion(value); err != nil {
				return "", fmt.Errorf("amp: %s: %w", name, err)
			}
			return value, nil
		}
	}
	// The shared profile may name a region. ResolveRegion calls no AWS service.
	if region, err := sigv4.ResolveRegion(ctx, "", ""); err == nil {
		return region, nil
	}
	return "", fmt.Errorf("amp: no region to sign for: host %s names none, and -region, AWS_REGION, AWS_DEFAULT_REGION and the profile's region are empty; "+
		"set -region to the workspace's region, for example -region us-east-1", host)
}

// loadCredentials fetches credentials from the AWS SDK's default chain
// once, so that a missing identity stops the command before the first
// poll instead of failing every poll.
func loadCredentials(ctx context.Context) (aws.CredentialsProvider, error) {
	creds, err := sigv4.NewCredentials(ctx, sigv4.CredentialsConfig{})
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
		_, err = creds.Retrieve(ctx)
		cancel()
	}
	if err != nil {
		return nil, fmt.Errorf("amp: no AWS credentials: the default chain tried environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "+
			"IRSA web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE), EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI), "+
			"the shared profile (AWS_PROFILE in ~/.aws/config and ~/.aws/credentials) and EC2 instance metadata; "+
			"provide one of them, such as a profile with aws configure or a service account with IRSA (%s)", oneLine(err.Error()))
	}
	return creds, nil
}

// buildScaler returns the scaler of the flags, or of the ScaledObject, on
// a replica count held in memory.
func buildScaler(opts options, t trigger, region string, creds aws.CredentialsProvider, onDecision func(scaler.Decision)) (*scaler.Scaler, error) {
	target := scaler.NewMemoryTarget(int32(opts.replicas), scaler.SystemClock{})
	if t.object != nil {
		return buildFromObject(t.object, region, target, onDecision)
	}

	client, err := amp.NewClient(amp.Config{ServerAddress: t.address, SigV4: true, Region: region, Credentials: creds})
	if err != nil {
		return nil, err
	}
	source, err := amp.NewSource(client, t.query, promql.ReduceOptions{IgnoreNullValues: true})
	if err != nil {
		return nil, err
	}
	return scaler.New(scaler.Config{
		Name:            "amp",
		Triggers:        []scaler.Trigger{{Source: source, Threshold: opts.threshold, ActivationThreshold: opts.activation}},
		Target:          target,
		PollingInterval: opts.interval,
		MinReplicaCount: int32(opts.min),
		MaxReplicaCount: int32(opts.max),
		OnDecision:      onDecision,
	})
}

// buildFromObject builds the ScaledObject's scaler. A trigger whose host
// names no region signs for the resolved one. The object's AWS settings
// (podIdentity, identityOwner, awsRoleArn) decide whether and how the
// queries are signed, as in KEDA.
func buildFromObject(so *scaler.ScaledObject, region string, target scaler.Target, onDecision func(scaler.Decision)) (*scaler.Scaler, error) {
	for _, st := range so.Spec.Triggers {
		if st.Metadata == nil {
			continue
		}
		host, err := hostOf(st.Metadata["serverAddress"])
		if err != nil {
			return nil, err
		}
		if _, ok := sigv4.RegionFromHost(host); !ok {
			st.Metadata["awsRegion"] = region
		}
	}
	return scaler.Build(so, scaler.BuildOptions{Target: target, OnDecision: onDecision})
}

// oneLine joins the lines of a message with "; ".
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
