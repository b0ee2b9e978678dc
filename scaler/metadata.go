package scaler

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/promql"
	"github.com/promscaler/promscaler/sigv4"
)

// PrometheusMetadata is the metadata of a prometheus trigger, parsed as
// KEDA's prometheus scaler parses it: values are trimmed, and an empty
// value counts as absent.
type PrometheusMetadata struct {
	// ServerAddress is the AMP workspace URL or the Prometheus base URL
	// (serverAddress, required).
	ServerAddress string
	// Query is the PromQL query (query, required). It must return one
	// value: promql.Check may not find it able to return several series.
	Query string
	// Threshold is the HPA target per replica for AverageValue, or in
	// total for Value (threshold, required, at least 0.001).
	Threshold float64
	// ActivationThreshold is the value the metric must exceed for the
	// trigger to be active (activationThreshold, default 0).
	ActivationThreshold float64
	// QueryParameters are added to every query URL (queryParameters, as
	// "name=value,name=value").
	QueryParameters map[string]string
	// CustomHeaders are added to every request (customHeaders, as
	// "name=value,name=value").
	CustomHeaders map[string]string
	// IgnoreNullValues reads an empty result, NaN or ±Inf as 0 instead of
	// failing (ignoreNullValues, default true).
	IgnoreNullValues bool
	// UnsafeSSL accepts any server certificate (unsafeSsl, default false).
	UnsafeSSL bool
	// Timeout limits each query attempt (timeout, a Go duration such as
	// "5s" or whole milliseconds such as "5000"); 0 means amp.DefaultTimeout.
	Timeout time.Duration
	// AWSRegion is the region to sign requests for (awsRegion).
	AWSRegion string
	// IdentityOwner is "operator" to sign with the host's own AWS
	// identity, "pod" to sign with a role or keys given for the trigger,
	// or empty (identityOwner).
	IdentityOwner string
	// AWSRoleARN is a role to assume for signing (awsRoleArn). KEDA's
	// prometheus scaler does not read this key, and takes the role only
	// from a TriggerAuthentication.
	AWSRoleARN string
	// AuthModes are the authentication modes for a plain Prometheus server:
	// bearer, basic and tls (authModes, comma separated).
	AuthModes []string
	// Namespace is sent as the namespace query parameter, for namespaced
	// queries through a Thanos querier or prom-label-proxy (namespace).
	Namespace string
	// Warnings are the problems that do not stop the trigger, such as an
	// unknown key, as "<key>: <message>".
	Warnings []string
}

// Keys of the prometheus trigger metadata.
const (
	keyServerAddress       = "serverAddress"
	keyQuery               = "query"
	keyThreshold           = "threshold"
	keyActivationThreshold = "activationThreshold"
	keyQueryParameters     = "queryParameters"
	keyCustomHeaders       = "customHeaders"
	keyIgnoreNullValues    = "ignoreNullValues"
	keyUnsafeSSL           = "unsafeSsl"
	keyTimeout             = "timeout"
	keyAWSRegion           = "awsRegion"
	keyIdentityOwner       = "identityOwner"
	keyAWSRoleARN          = "awsRoleArn"
	keyAuthModes           = "authModes"
	keyAuthMode            = "authMode"
	keyNamespace           = "namespace"
)

// requiredKeys are the keys that trigger metadata must set.
var requiredKeys = []string{keyServerAddress, keyQuery, keyThreshold}

// authOnlyKeys are parameters that KEDA reads only from a
// TriggerAuthentication, never from trigger metadata.
var authOnlyKeys = []string{
	"bearerToken", "token", "username", "password", "ca", "cert", "key",
	"awsAccessKeyID", "awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken",
}

// The authentication modes of KEDA's prometheus scaler. Of these, bearer,
// basic and tls are supported.
var (
	allAuthModes       = []string{"apiKey", "basic", "tls", "bearer", "custom", "oauth"}
	supportedAuthModes = []string{"bearer", "basic", "tls"}
	exclusiveAuthModes = []string{"bearer", "basic", "oauth"}
)

// minThreshold is the smallest target the HPA accepts: KEDA passes the
// threshold as a quantity in thousandths, and the HPA rejects a target of 0.
const minThreshold = 0.001

// ParsePrometheusMetadata parses the metadata of a prometheus trigger as
// KEDA does, and checks it further: the query must return one value, the
// server address must be usable, and the threshold at least 0.001.
// Unknown keys are warnings, as KEDA ignores them, except keys ending in
// FromEnv, which are errors because an embedded library has no container
// environment to read. The error is a *LoadError whose problem paths are
// the metadata keys. The fields that parsed are set even with an error.
func ParsePrometheusMetadata(metadata map[string]string) (PrometheusMetadata, error) {
	md, problems, warnings := parseMetadata(metadata)
	for _, w := range warnings {
		md.Warnings = append(md.Warnings, w.String())
	}
	return md, errorOf(problems)
}

// metadataReader reads trigger metadata and records the problems, with
// the metadata key as path.
type metadataReader struct {
	values   map[string]string
	known    map[string]bool
	problems []Problem
	warnings []Problem
}

func (r *metadataReader) fail(key, format string, args ...any) {
	r.problems = append(r.problems, Problem{Path: key, Message: fmt.Sprintf(format, args...)})
}

func (r *metadataReader) warn(key, format string, args ...any) {
	r.warnings = append(r.warnings, Problem{Path: key, Message: fmt.Sprintf(format, args...)})
}

// lookup returns the first of names with a value that is not blank, and
// the trimmed value, as KEDA looks up a parameter with several names.
func (r *metadataReader) lookup(names ...string) (key, value string, ok bool) {
	for _, name := range names {
		r.known[name] = true
	}
	for _, name := range names {
		if v := strings.TrimSpace(r.values[name]); v != "" {
			return name, v, true
		}
	}
	return names[0], "", false
}

// parseMetadata parses prometheus trigger metadata into its fields and
// the problems and warnings found.
func parseMetadata(metadata map[string]string) (PrometheusMetadata, []Problem, []Problem) {
	r := &metadataReader{values: metadata, known: map[string]bool{}}
	md := PrometheusMetadata{}

	r.readRequired(&md)
	r.readOptional(&md)
	r.readAWS(&md)
	md.AuthModes = r.readAuthModes(keyAuthModes, keyAuthMode)
	r.checkServer(md)
	r.checkUnknownKeys()
	return md, r.problems, r.warnings
}

func (r *metadataReader) readRequired(md *PrometheusMetadata) {
	if _, value, ok := r.lookup(keyServerAddress); ok {
		md.ServerAddress = value
	} else {
		r.fail(keyServerAddress, "missing; set the AMP workspace URL, such as https://aps-workspaces.<region>.amazonaws.com/workspaces/<workspace ID>, or the base URL of a Prometheus server")
	}

	if _, value, ok := r.lookup(keyQuery); ok {
		md.Query = value
		r.checkQuery(value)
	} else {
		r.fail(keyQuery, "missing; set the PromQL query whose value drives scaling")
	}

	key, value, ok := r.lookup(keyThreshold)
	if !ok {
		r.fail(key, "missing; set the metric value per replica that the HPA aims for, such as \"50\"")
		return
	}
	threshold, problem := parseKEDAFloat(value)
	switch {
	case problem != "":
		r.fail(key, "%s", problem)
	case threshold < minThreshold:
		r.fail(key, "%q is below %v; KEDA accepts it and the HPA then rejects the target, so use at least %v", value, minThreshold, minThreshold)
	default:
		md.Threshold = threshold
	}
}

func (r *metadataReader) readOptional(md *PrometheusMetadata) {
	if key, value, ok := r.lookup(keyActivationThreshold); ok {
		f, problem := parseKEDAFloat(value)
		if problem != "" {
			r.fail(key, "%s", problem)
		}
		md.ActivationThreshold = f
	}
	md.QueryParameters = r.readPairs(keyQueryParameters)
	md.CustomHeaders = r.readPairs(keyCustomHeaders)
	md.IgnoreNullValues = r.readBool(keyIgnoreNullValues, true)
	md.UnsafeSSL = r.readBool(keyUnsafeSSL, false)
	if key, value, ok := r.lookup(keyTimeout); ok {
		timeout, problem := parseKEDADuration(value)
		if problem != "" {
			r.fail(key, "%s", problem)
		}
		md.Timeout = timeout
	}
	_, md.Namespace, _ = r.lookup(keyNamespace)
}

func (r *metadataReader) readAWS(md *PrometheusMetadata) {
	if key, value, ok := r.lookup(keyAWSRegion); ok {
		if err := sigv4.CheckRegion(value); err != nil {
			r.fail(key, "%s", manifestMessage(err.Error()))
		}
		md.AWSRegion = value
	}
	if key, value, ok := r.lookup(keyIdentityOwner); ok {
		if value != identityOwnerOperator && value != identityOwnerPod {
			r.fail(key, "%q is not an identity owner; use operator, to sign with the host's own AWS identity, or pod", value)
		}
		md.IdentityOwner = value
	}
	if key, value, ok := r.lookup(keyAWSRoleARN); ok {
		if err := (sigv4.CredentialsConfig{RoleARN: value}).Validate(); err != nil {
			r.fail(key, "%s", manifestMessage(err.Error()))
		}
		md.AWSRoleARN = value
	}
}

// readBool parses a boolean with strconv.ParseBool, as KEDA does.
func (r *metadataReader) readBool(name string, otherwise bool) bool {
	key, value, ok := r.lookup(name)
	if !ok {
		return otherwise
	}
	b, problem := parseKEDABool(value)
	if problem != "" {
		r.fail(key, "%s", problem)
		return otherwise
	}
	return b
}

// readPairs parses "name=value,name=value" as KEDA splits it: at commas,
// then at the one '=', trimming white space around names and values. It
// also rejects an empty name and a name given twice, which KEDA accepts.
func (r *metadataReader) readPairs(name string) map[string]string {
	key, value, ok := r.lookup(name)
	if !ok {
		return nil
	}
	pairs := map[string]string{}
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		parts := strings.Split(item, "=")
		switch {
		case len(parts) < 2:
			r.fail(key, "%q is not a name=value pair; separate pairs with commas, such as \"a=1,b=2\"", item)
			continue
		case len(parts) > 2:
			r.fail(key, "pair %q contains more than one '='; KEDA rejects it, because it splits each pair at '='", item)
			continue
		}
		pairName, pairValue := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		if pairName == "" {
			r.fail(key, "pair %q has an empty name; write name=value", item)
			continue
		}
		if _, ok := pairs[pairName]; ok {
			r.fail(key, "name %q is set twice; set each name once", pairName)
			continue
		}
		pairs[pairName] = pairValue
	}
	return pairs
}

// readAuthModes parses the comma-separated authentication modes.
func (r *metadataReader) readAuthModes(names ...string) []string {
	key, value, ok := r.lookup(names...)
	if !ok {
		return nil
	}
	modes, problems := parseAuthModes(value)
	for _, problem := range problems {
		r.fail(key, "%s", problem)
	}
	return modes
}

// parseAuthModes splits and checks a list of authentication modes.
func parseAuthModes(value string) ([]string, []string) {
	var modes, problems []string
	exclusive := 0
	for _, mode := range strings.Split(value, ",") {
		mode = strings.TrimSpace(mode)
		switch {
		case !slices.Contains(allAuthModes, mode):
			problems = append(problems, fmt.Sprintf("%q is not an authentication mode; use %s", mode, strings.Join(supportedAuthModes, ", ")))
			continue
		case !slices.Contains(supportedAuthModes, mode):
			problems = append(problems, fmt.Sprintf("mode %s is not supported; use %s", mode, strings.Join(supportedAuthModes, ", ")))
			continue
		}
		if slices.Contains(exclusiveAuthModes, mode) {
			exclusive++
		}
		modes = append(modes, mode)
	}
	if exclusive > 1 {
		problems = append(problems, fmt.Sprintf("%q combines bearer and basic, but a request carries one Authorization header; choose one", value))
	}
	return modes, problems
}

// checkQuery runs promql.Check: a query that may not return exactly one
// value is an error, and its warnings, such as a query that may return no
// series, are warnings.
func (r *metadataReader) checkQuery(query string) {
	report := promql.Check(query)
	switch {
	case report.Cardinality == promql.CardinalityUnknown:
		r.fail(keyQuery, "not valid PromQL:\n%s", strings.TrimRight(report.Render(), "\n"))
		return
	case !report.OK():
		r.fail(keyQuery, "may return more than one value, but a scaling metric needs exactly one:\n%s", strings.TrimRight(report.Render(), "\n"))
		return
	}
	for _, p := range report.Problems {
		if p.Severity != promql.SeverityWarning {
			continue
		}
		message := strings.TrimSuffix(p.Message, ".") + "."
		if p.Fix != "" {
			message += " Suggested query: " + p.Fix
		}
		r.warn(keyQuery, "%s", message)
	}
}

// placeholderPattern matches a placeholder such as <REDACTED_WORKSPACE_ID>,
// as printed copies of a manifest hold in place of real values.
var placeholderPattern = regexp.MustCompile(`<[^<>]*>`)

// checkServer checks the server address as amp.Config.Validate does, and
// the region, headers and query parameters against it. An address that
// holds a placeholder is a warning, and the rest of it is checked with
// the placeholder replaced.
func (r *metadataReader) checkServer(md PrometheusMetadata) {
	if md.ServerAddress == "" {
		return
	}
	address := md.ServerAddress
	if placeholder := placeholderPattern.FindString(address); placeholder != "" {
		r.warn(keyServerAddress, "%q holds the placeholder %s; replace it with the real value before running", address, placeholder)
		address = placeholderPattern.ReplaceAllString(address, "placeholder")
	}
	if err := (amp.Config{ServerAddress: address}).Validate(); err != nil {
		r.fail(keyServerAddress, "%s", manifestMessage(err.Error()))
		return
	}

	u, err := url.Parse(address)
	if err != nil {
		return
	}
	if hostRegion, ok := sigv4.RegionFromHost(u.Host); ok && md.AWSRegion != "" && md.AWSRegion != hostRegion {
		r.fail(keyAWSRegion, "%q differs from region %q of the workspace URL, and AMP rejects a signature for another region; remove awsRegion or correct it", md.AWSRegion, hostRegion)
	}
	if err := (amp.Config{ServerAddress: address, Headers: md.CustomHeaders}).Validate(); err != nil {
		r.fail(keyCustomHeaders, "%s", manifestMessage(err.Error()))
	}
	if err := (amp.Config{ServerAddress: address, QueryParameters: toValues(md.QueryParameters)}).Validate(); err != nil {
		r.fail(keyQueryParameters, "%s", manifestMessage(err.Error()))
	}
}

// checkUnknownKeys reports the keys that no field read. A key that
// misspells a required key that is missing is an error, so that the
// problem names the key that was written.
func (r *metadataReader) checkUnknownKeys() {
	keys := make([]string, 0, len(r.values))
	for key := range r.values {
		if !r.known[key] {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	knownKeys := slices.Sorted(maps.Keys(r.known))
	for _, key := range keys {
		guess := closestName(key, knownKeys)
		switch {
		case strings.HasSuffix(key, "FromEnv"):
			r.fail(key, "not supported, because an embedded library has no container environment to read; set %s directly, or for a secret use a TriggerAuthentication with secretTargetRef", strings.TrimSuffix(key, "FromEnv"))
		case slices.Contains(authOnlyKeys, key):
			r.warn(key, "ignored, because KEDA reads it only from a TriggerAuthentication; put the value in a secret and reference it with secretTargetRef")
		case guess != "" && slices.Contains(requiredKeys, guess) && strings.TrimSpace(r.values[guess]) == "":
			r.fail(key, "unknown key; did you mean %s?", guess)
		case guess != "":
			r.warn(key, "unknown key, ignored as KEDA ignores it; did you mean %s?", guess)
		default:
			r.warn(key, "unknown key, ignored as KEDA ignores it; check the spelling")
		}
	}
}

// toValues converts query parameters to url.Values.
func toValues(pairs map[string]string) url.Values {
	if len(pairs) == 0 {
		return nil
	}
	values := url.Values{}
	for name, value := range pairs {
		values.Set(name, value)
	}
	return values
}

// manifestTerms replaces the amp.Config fields that messages of amp name
// with the trigger metadata keys and authModes that set them.
var manifestTerms = strings.NewReplacer(
	"Config.ServerAddress", keyServerAddress,
	"Config.Headers", keyCustomHeaders,
	"Config.QueryParameters", keyQueryParameters,
	"SigV4, BearerToken or BasicAuth", "SigV4 signing and with authModes bearer and basic",
)

// manifestMessage removes the package prefixes of an amp or sigv4 message,
// which are noise inside a problem of a manifest, and names the settings
// as the manifest does.
func manifestMessage(message string) string {
	for _, prefix := range []string{"amp: ", "sigv4: "} {
		message = strings.TrimPrefix(message, prefix)
	}
	return manifestTerms.Replace(message)
}
