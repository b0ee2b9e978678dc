package scaler

import (
	"errors"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/promql"
)

// baseMetadata returns valid metadata for a plain Prometheus server.
func baseMetadata() map[string]string {
	return map[string]string{
		"serverAddress": "http://prometheus:9090",
		"query":         "sum(rate(http_requests_total[2m])) or vector(0)",
		"threshold":     "50",
	}
}

// withMetadata returns baseMetadata with the keys of edits set; an edit
// to "-" deletes the key.
func withMetadata(edits map[string]string) map[string]string {
	metadata := baseMetadata()
	for key, value := range edits {
		if value == "-" {
			delete(metadata, key)
			continue
		}
		metadata[key] = value
	}
	return metadata
}

func TestParsePrometheusMetadataValues(t *testing.T) {
	const workspace = "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-12345678-abcd-1234-abcd-123456789012"
	tests := []struct {
		name  string
		edits map[string]string
		check func(t *testing.T, md PrometheusMetadata)
	}{
		{"metadata: defaults", nil, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, PrometheusMetadata{
				ServerAddress: "http://prometheus:9090", Query: "sum(rate(http_requests_total[2m])) or vector(0)",
				Threshold: 50, IgnoreNullValues: true,
			}, md)
		}},
		{"metadata: values trimmed", map[string]string{"threshold": " 50 ", "query": "  vector(1)\n"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, 50.0, md.Threshold)
			assert.Equal(t, "vector(1)", md.Query)
		}},
		{"metadata: threshold exponent", map[string]string{"threshold": "5e1"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, 50.0, md.Threshold)
		}},
		{"metadata: threshold smallest", map[string]string{"threshold": "0.001"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, 0.001, md.Threshold)
		}},
		{"metadata: activationThreshold negative", map[string]string{"activationThreshold": "-1.5"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, -1.5, md.ActivationThreshold)
		}},
		{"metadata: activationThreshold blank", map[string]string{"activationThreshold": "  "}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, 0.0, md.ActivationThreshold)
		}},
		{"metadata: queryParameters pairs", map[string]string{"queryParameters": "dedup=false, partial_response = true"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, map[string]string{"dedup": "false", "partial_response": "true"}, md.QueryParameters)
		}},
		{"metadata: queryParameters empty value", map[string]string{"queryParameters": "a="}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, map[string]string{"a": ""}, md.QueryParameters)
		}},
		{"metadata: customHeaders pairs", map[string]string{"customHeaders": "X-Scope-OrgID=team-a,X-Client=keda"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, map[string]string{"X-Scope-OrgID": "team-a", "X-Client": "keda"}, md.CustomHeaders)
		}},
		{"metadata: ignoreNullValues false", map[string]string{"ignoreNullValues": "false"}, func(t *testing.T, md PrometheusMetadata) {
			assert.False(t, md.IgnoreNullValues)
		}},
		{"metadata: ignoreNullValues zero", map[string]string{"ignoreNullValues": "0"}, func(t *testing.T, md PrometheusMetadata) {
			assert.False(t, md.IgnoreNullValues)
		}},
		{"metadata: unsafeSsl TRUE", map[string]string{"unsafeSsl": "TRUE"}, func(t *testing.T, md PrometheusMetadata) {
			assert.True(t, md.UnsafeSSL)
		}},
		{"metadata: timeout duration", map[string]string{"timeout": "1m30s"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, 90*time.Second, md.Timeout)
		}},
		{"metadata: timeout milliseconds", map[string]string{"timeout": "2500"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, 2500*time.Millisecond, md.Timeout)
		}},
		{"metadata: timeout zero", map[string]string{"timeout": "0"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, time.Duration(0), md.Timeout)
		}},
		{"metadata: AWS keys", map[string]string{
			"serverAddress": workspace, "awsRegion": "ap-northeast-2", "identityOwner": "pod",
			"awsRoleArn": "arn:aws:iam::123456789012:role/keda-amp",
		}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, "ap-northeast-2", md.AWSRegion)
			assert.Equal(t, "pod", md.IdentityOwner)
			assert.Equal(t, "arn:aws:iam::123456789012:role/keda-amp", md.AWSRoleARN)
		}},
		{"metadata: authModes list", map[string]string{"authModes": "tls, bearer"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, []string{"tls", "bearer"}, md.AuthModes)
		}},
		{"metadata: authMode alias", map[string]string{"authMode": "basic"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, []string{"basic"}, md.AuthModes)
		}},
		{"metadata: namespace", map[string]string{"namespace": "shop"}, func(t *testing.T, md PrometheusMetadata) {
			assert.Equal(t, "shop", md.Namespace)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := ParsePrometheusMetadata(withMetadata(tt.edits))

			require.NoError(t, err)
			tt.check(t, md)
		})
	}
}

func TestParsePrometheusMetadataProblems(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]string
		want  []string
	}{
		{"metadata: serverAddress missing", map[string]string{"serverAddress": "-"},
			[]string{"serverAddress: missing; set the AMP workspace URL, such as https://aps-workspaces.<region>.amazonaws.com/workspaces/<workspace ID>, or the base URL of a Prometheus server"}},
		{"metadata: query missing", map[string]string{"query": "-"},
			[]string{"query: missing; set the PromQL query whose value drives scaling"}},
		{"metadata: required key misspelled", map[string]string{"serverAddress": "-", "serverAdress": "http://prometheus:9090"},
			[]string{"serverAddress: missing; set the AMP workspace URL, such as https://aps-workspaces.<region>.amazonaws.com/workspaces/<workspace ID>, or the base URL of a Prometheus server",
				"serverAdress: unknown key; did you mean serverAddress?"}},
		{"metadata: required key miscased", map[string]string{"threshold": "-", "Threshold": "50"},
			[]string{`threshold: missing; set the metric value per replica that the HPA aims for, such as "50"`,
				"Threshold: unknown key; did you mean threshold?"}},
		{"metadata: threshold missing", map[string]string{"threshold": "-"},
			[]string{`threshold: missing; set the metric value per replica that the HPA aims for, such as "50"`}},
		{"metadata: threshold blank", map[string]string{"threshold": " "},
			[]string{`threshold: missing; set the metric value per replica that the HPA aims for, such as "50"`}},
		{"metadata: threshold not a number", map[string]string{"threshold": "5O"},
			[]string{`threshold: "5O" is not a number; write a decimal such as "50" or "0.5"`}},
		{"metadata: threshold leading dot", map[string]string{"threshold": ".5"},
			[]string{`threshold: ".5" is not written as KEDA reads numbers, which is as JSON numbers; write "0.5"`}},
		{"metadata: threshold plus sign", map[string]string{"threshold": "+5"},
			[]string{`threshold: "+5" is not written as KEDA reads numbers, which is as JSON numbers; write "5"`}},
		{"metadata: threshold NaN", map[string]string{"threshold": "NaN"},
			[]string{`threshold: "NaN" is not a number; write a decimal such as "50" or "0.5"`}},
		{"metadata: threshold out of range", map[string]string{"threshold": "1e400"},
			[]string{`threshold: "1e400" is out of range; use a smaller number`}},
		{"metadata: threshold zero", map[string]string{"threshold": "0"},
			[]string{`threshold: "0" is below 0.001; KEDA accepts it and the HPA then rejects the target, so use at least 0.001`}},
		{"metadata: threshold too small", map[string]string{"threshold": "0.0005"},
			[]string{`threshold: "0.0005" is below 0.001; KEDA accepts it and the HPA then rejects the target, so use at least 0.001`}},
		{"metadata: threshold negative", map[string]string{"threshold": "-3"},
			[]string{`threshold: "-3" is below 0.001; KEDA accepts it and the HPA then rejects the target, so use at least 0.001`}},
		{"metadata: activationThreshold invalid", map[string]string{"activationThreshold": "none"},
			[]string{`activationThreshold: "none" is not a number; write a decimal such as "50" or "0.5"`}},
		{"metadata: pair without equals", map[string]string{"queryParameters": "dedup"},
			[]string{`queryParameters: "dedup" is not a name=value pair; separate pairs with commas, such as "a=1,b=2"`}},
		{"metadata: pair with two equals", map[string]string{"queryParameters": "match=a=b"},
			[]string{`queryParameters: pair "match=a=b" contains more than one '='; KEDA rejects it, because it splits each pair at '='`}},
		{"metadata: pair with empty name", map[string]string{"customHeaders": "=x"},
			[]string{`customHeaders: pair "=x" has an empty name; write name=value`}},
		{"metadata: pair name twice", map[string]string{"customHeaders": "X-A=1, X-A=2"},
			[]string{`customHeaders: name "X-A" is set twice; set each name once`}},
		{"metadata: trailing comma", map[string]string{"queryParameters": "a=1,"},
			[]string{`queryParameters: "" is not a name=value pair; separate pairs with commas, such as "a=1,b=2"`}},
		{"metadata: reserved query parameter", map[string]string{"queryParameters": "time=0"},
			[]string{`queryParameters: query parameter "time" is set by the client on each query; remove it from queryParameters`}},
		{"metadata: header set by client", map[string]string{"customHeaders": "Host=prometheus.example"},
			[]string{"customHeaders: header Host is set by the client; remove it from customHeaders"}},
		{"metadata: address with query", map[string]string{"serverAddress": "http://prometheus:9090/?x=1"},
			[]string{`serverAddress: invalid server address "http://prometheus:9090/?x=1": remove the query and fragment, and set queryParameters for extra parameters`}},
		{"metadata: tenant header on AMP", map[string]string{
			"serverAddress": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1", "customHeaders": "X-Scope-OrgID=team-a",
		}, []string{"customHeaders: header X-Scope-OrgID must not be sent to an AMP workspace: AMP computes the signature without that header, " +
			"so a request that carries it fails with 403 and a signature mismatch; remove it, because the workspace in the URL selects the tenant"}},
		{"metadata: ignoreNullValues invalid", map[string]string{"ignoreNullValues": "yes"},
			[]string{`ignoreNullValues: "yes" is not a boolean; use "true" or "false"`}},
		{"metadata: unsafeSsl invalid", map[string]string{"unsafeSsl": "maybe"},
			[]string{`unsafeSsl: "maybe" is not a boolean; use "true" or "false"`}},
		{"metadata: timeout unit unknown", map[string]string{"timeout": "5 sec"},
			[]string{`timeout: "5 sec" is not a duration; use a Go duration such as "5s" or whole milliseconds such as "5000"`}},
		{"metadata: timeout negative duration", map[string]string{"timeout": "-1s"},
			[]string{`timeout: "-1s" is negative; use a positive duration such as "5s"`}},
		{"metadata: timeout negative milliseconds", map[string]string{"timeout": "-500"},
			[]string{`timeout: "-500" is negative; use a positive number of milliseconds such as "5000"`}},
		{"metadata: timeout fractional milliseconds", map[string]string{"timeout": "1.5"},
			[]string{`timeout: "1.5" is not a duration; use a Go duration such as "5s" or whole milliseconds such as "5000"`}},
		{"metadata: awsRegion invalid", map[string]string{"awsRegion": "Seoul"},
			[]string{`awsRegion: invalid region "Seoul": a region is lower-case words and a number joined by hyphens, for example "us-east-1"`}},
		{"metadata: awsRegion differs from host", map[string]string{
			"serverAddress": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1", "awsRegion": "eu-west-1",
		}, []string{`awsRegion: "eu-west-1" differs from region "us-east-1" of the workspace URL, and AMP rejects a signature for another region; remove awsRegion or correct it`}},
		{"metadata: identityOwner unknown", map[string]string{"identityOwner": "keda"},
			[]string{`identityOwner: "keda" is not an identity owner; use operator, to sign with the host's own AWS identity, or pod`}},
		{"metadata: awsRoleArn malformed", map[string]string{"awsRoleArn": "arn:aws:iam::123:role/x"},
			[]string{`awsRoleArn: invalid role ARN "arn:aws:iam::123:role/x": expected arn:aws:iam::<12-digit account>:role/<name> (partition aws, aws-cn or aws-us-gov)`}},
		{"metadata: authModes unknown", map[string]string{"authModes": "token"},
			[]string{`authModes: "token" is not an authentication mode; use bearer, basic, tls`}},
		{"metadata: authModes unsupported", map[string]string{"authModes": "oauth"},
			[]string{"authModes: mode oauth is not supported; use bearer, basic, tls"}},
		{"metadata: authModes exclusive", map[string]string{"authModes": "bearer,basic"},
			[]string{`authModes: "bearer,basic" combines bearer and basic, but a request carries one Authorization header; choose one`}},
		{"metadata: FromEnv key", map[string]string{"serverAddressFromEnv": "PROMETHEUS_URL"},
			[]string{"serverAddressFromEnv: not supported, because an embedded library has no container environment to read; set serverAddress directly, or for a secret use a TriggerAuthentication with secretTargetRef"}},
		{"metadata: workspace URL invalid", map[string]string{"serverAddress": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query"},
			[]string{`serverAddress: invalid server address "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query": remove "/api/v1/query", because the client appends /api/v1/query itself`}},
		{"metadata: placeholder elsewhere invalid", map[string]string{"serverAddress": "aps-workspaces.us-east-1.amazonaws.com/workspaces/<ID>"},
			[]string{`serverAddress: invalid server address "aps-workspaces.us-east-1.amazonaws.com/workspaces/placeholder": the scheme is missing; write the URL in full, for example "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/placeholder"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrometheusMetadata(withMetadata(tt.edits))

			require.Error(t, err)
			assert.Equal(t, tt.want, problemLines(t, err))
		})
	}
}

func TestParsePrometheusMetadataQuery(t *testing.T) {
	_, err := ParsePrometheusMetadata(withMetadata(map[string]string{"query": "sum(rate(http_requests_total[2m])"}))

	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "scaler: query: not valid PromQL:\n"), err.Error())
	assert.Contains(t, err.Error(), "error[syntax]")
	assert.Contains(t, err.Error(), "  | sum(rate(http_requests_total[2m])\n")
}

func TestParsePrometheusMetadataManySeries(t *testing.T) {
	_, err := ParsePrometheusMetadata(withMetadata(map[string]string{"query": `http_requests_total{job="api"}`}))

	require.Error(t, err)
	assert.Contains(t, err.Error(), "scaler: query: may return more than one value, but a scaling metric needs exactly one:\nerror[one-value]:")
	assert.Contains(t, err.Error(), `= fix: sum(http_requests_total{job="api"})`)
}

func TestParsePrometheusMetadataWarnings(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]string
		want  []string
	}{
		{"metadata: unknown key", map[string]string{"metricName": "rps"},
			[]string{"metricName: unknown key, ignored as KEDA ignores it; check the spelling"}},
		{"metadata: optional key misspelled", map[string]string{"activationTreshold": "3"},
			[]string{"activationTreshold: unknown key, ignored as KEDA ignores it; did you mean activationThreshold?"}},
		{"metadata: secret in metadata", map[string]string{"bearerToken": "not-shown"},
			[]string{"bearerToken: ignored, because KEDA reads it only from a TriggerAuthentication; put the value in a secret and reference it with secretTargetRef"}},
		{"metadata: placeholder", map[string]string{"serverAddress": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-<ID>"},
			[]string{`serverAddress: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-<ID>" holds the placeholder <ID>; replace it with the real value before running`}},
		{"metadata: query may be empty", map[string]string{"query": `max(up{job="api"})`},
			[]string{`query: max aggregates all its input into one series, or none when the input is empty. The query returns no series when up{job="api"} matches nothing, ` +
				`and KEDA reads an empty result as 0 when ignoreNullValues is true (its default) and as an error otherwise. Suggested query: max(up{job="api"}) or vector(0)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := ParsePrometheusMetadata(withMetadata(tt.edits))

			require.NoError(t, err)
			assert.Equal(t, tt.want, md.Warnings)
			for _, w := range md.Warnings {
				assert.NotContains(t, w, "not-shown", "a warning quotes a secret")
			}
		})
	}
}

func FuzzParsePrometheusMetadata(f *testing.F) {
	so, err := LoadScaledObject(readTestdata(f, "sample-app.yaml"))
	require.NoError(f, err)
	sample := so.Spec.Triggers[0].Metadata
	f.Add(sample["serverAddress"], sample["query"], sample["threshold"], "activationThreshold", sample["activationThreshold"])
	f.Add("http://prometheus:9090", "sum(up)", "0.5", "timeout", "1500")
	f.Add("http://prometheus:9090", "sum(up)", "5", "queryParameters", "a=1,b=2")
	f.Add("http://prometheus:9090", "sum(up)", "5", "customHeaders", "X-A=1,=2")
	f.Add("https://x", "up", ".5", "authModes", "bearer,basic")

	f.Fuzz(func(t *testing.T, address, query, threshold, key, value string) {
		metadata := map[string]string{"serverAddress": address, "query": query, "threshold": threshold, key: value}
		before := maps.Clone(metadata)

		md, err := ParsePrometheusMetadata(metadata)

		if !maps.Equal(before, metadata) {
			t.Fatal("ParsePrometheusMetadata changed its input")
		}
		if err != nil {
			checkMetadataProblems(t, metadata, err)
			return
		}
		if md.ServerAddress == "" || md.Query == "" || !(md.Threshold >= minThreshold) {
			t.Fatalf("metadata %q parsed into an unusable trigger: %+v", metadata, md)
		}
		if math.IsNaN(md.ActivationThreshold) || math.IsInf(md.Threshold, 0) || md.Timeout < 0 {
			t.Fatalf("metadata %q parsed into threshold %v, activation %v, timeout %v", metadata, md.Threshold, md.ActivationThreshold, md.Timeout)
		}
		if report := promql.Check(md.Query); !report.OK() {
			t.Fatalf("metadata %q: accepted query %q fails the one-value check:\n%s", metadata, md.Query, report.Render())
		}
	})
}

// checkMetadataProblems checks that a metadata error is a *LoadError whose
// problems name a key and state what is wrong. A key may be one that is
// missing, such as a key that another key requires.
func checkMetadataProblems(t *testing.T, metadata map[string]string, err error) {
	t.Helper()
	var loadErr *LoadError
	if !errors.As(err, &loadErr) || len(loadErr.Problems) == 0 {
		t.Fatalf("metadata %q: error %v is not a *LoadError with problems", metadata, err)
	}
	for _, p := range loadErr.Problems {
		if p.Path == "" || p.Message == "" {
			t.Fatalf("metadata %q: problem %+v names no key or has no message", metadata, p)
		}
	}
}
