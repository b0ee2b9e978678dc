package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promscaler/promscaler/amp/amptest"
)

// setStaticAWSEnvironment gives the AWS SDK the static test keys and empty
// config files, so that it calls no AWS service.
func setStaticAWSEnvironment(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", amptest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", amptest.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
}

func TestReplaySignsRangeQueries(t *testing.T) {
	setStaticAWSEnvironment(t)
	upstream := startLoadServer(t, []float64{140, 140, 140})
	workspace := amptest.NewServer(t, amptest.Config{Upstream: upstream})

	csvPath := filepath.Join(t.TempDir(), "replay.csv")
	runReplay(t, 0, "-server", workspace.URL(), "-sigv4", "-region", workspace.Region(),
		"-start", minute(0), "-end", minute(3), "-replicas", "2", "-csv", csvPath, "-chart", "")

	requests := workspace.Requests()
	if len(requests) != 1 {
		t.Fatalf("the workspace received %d requests, want one range query", len(requests))
	}
	if !requests[0].IsRange() || !requests[0].Verified {
		t.Errorf("request: range %v, signature verified %v; want a signed range query", requests[0].IsRange(), requests[0].Verified)
	}
	rows := readCSV(t, csvPath)
	if got := strings.Join(rows[1][1:6], ","); got != "140,50,true,3,3" {
		t.Errorf("first row = %s, want 140,50,true,3,3", got)
	}
}

func TestReplayUnsignedRequestRejected(t *testing.T) {
	setStaticAWSEnvironment(t)
	workspace := amptest.NewServer(t, amptest.Config{})

	_, stderr := runReplay(t, exitFailure, "-server", workspace.URL(),
		"-start", minute(0), "-end", minute(3), "-csv", "", "-chart", "")
	for _, want := range []string{"403 forbidden (MissingAuthenticationTokenException)", "pass -sigv4 and -region"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q, want it to contain %q", stderr, want)
		}
	}
}

func TestReplayWithoutCredentialsCannotRun(t *testing.T) {
	setStaticAWSEnvironment(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	url := startLoadServer(t, []float64{140})

	_, stderr := runReplay(t, exitCannotRun, "-server", url, "-sigv4", "-region", "us-east-1",
		"-start", minute(0), "-end", minute(1), "-timeout", "1s", "-csv", "", "-chart", "")
	if want := "retrieve credentials"; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
}
