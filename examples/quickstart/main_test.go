package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

func TestQuickstartTimeline(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{speedup: 0}); err != nil {
		t.Fatalf("run() error = %v\noutput:\n%s", err, out.String())
	}
	text := out.String()

	rows := []struct {
		name string
		re   string
	}{
		{"worked example: 140 over 2 pods gives 3",
			`(?m)^09:01\s+140\s+true\s+2\s+3\s+DesiredWithinRange\s+ceil\(140 / 50\) = 3, or ceil\(2 × \(70 / 50\)\) = 3$`},
		{"tolerance band keeps 3",
			`(?m)^09:02\s+140\s+true\s+3\s+3\s+DesiredWithinRange\s+ratio 0.9333 is within \[0.9, 1.1\]`},
		{"capped at maxReplicaCount",
			`(?m)^09:04\s+320\s+true\s+5\s+5\s+TooManyReplicas\s+ceil\(320 / 50\) = 7`},
		{"held by the 600 s window",
			`(?m)^09:15\s+120\s+true\s+5\s+5\s+TooManyReplicas\s.*\n\s+ScaleDownStabilized: 3 → 7, the highest recommendation of the last 600s was 7$`},
		{"window passed",
			`(?m)^09:16\s+120\s+true\s+5\s+3\s+DesiredWithinRange\s`},
		{"inactive, down to minReplicaCount",
			`(?m)^09:27\s+0\s+false\s+3\s+1\s+TooFewReplicas\s`},
	}
	for _, row := range rows {
		if !regexp.MustCompile(row.re).MatchString(text) {
			t.Errorf("%s: no line matches %s in:\n%s", row.name, row.re, text)
		}
	}
	for _, reason := range []string{"one-value", "avg_over_time", "rate"} {
		if !strings.Contains(text, reason) {
			t.Errorf("bad-query diagnostics lack %q:\n%s", reason, text)
		}
	}
	if !strings.Contains(text, "the scaler rejects the result: promql: query returned more than one series: 3 series") {
		t.Errorf("output lacks the rejected per-pod result:\n%s", text)
	}
}
