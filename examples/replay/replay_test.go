package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// minute returns the RFC 3339 form of t0 + m minutes.
func minute(m int) string {
	return t0.Add(time.Duration(m) * time.Minute).Format(time.RFC3339)
}

// replaySmall replays the built-in ScaledObject (threshold 50, replicas 1
// to 5, 600 s scale-down window) over totals from 2 replicas, and returns
// the CSV rows without the header and the summary.
func replaySmall(t *testing.T, totals []float64, extra ...string) ([][]string, string) {
	t.Helper()
	url := startLoadServer(t, totals)
	csvPath := filepath.Join(t.TempDir(), "replay.csv")
	args := append([]string{"-server", url, "-start", minute(0), "-end", minute(len(totals)),
		"-replicas", "2", "-csv", csvPath, "-chart", ""}, extra...)
	stdout, _ := runReplay(t, 0, args...)

	rows := readCSV(t, csvPath)
	if got, want := strings.Join(rows[0], ","), strings.Join(csvHeader, ","); got != want {
		t.Fatalf("CSV header = %s, want %s", got, want)
	}
	if len(rows)-1 != len(totals) {
		t.Fatalf("CSV has %d rows, want one per poll: %d", len(rows)-1, len(totals))
	}
	return rows[1:], stdout
}

func TestReplayWorkedExample(t *testing.T) {
	rows, _ := replaySmall(t, []float64{140, 140})

	// 140 over 2 replicas: ratio 140 / (50 × 2) = 1.4, so ceil(140 / 50) = 3.
	want := []string{minute(0), "140", "50", "true", "3", "3", "HPA"}
	if got := rows[0][:7]; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("row at t0 = %v, want %v", got, want)
	}
	if !strings.Contains(rows[0][7], "ceil(140 / 50) = 3") {
		t.Errorf("explanation at t0 = %q, want the arithmetic ceil(140 / 50) = 3", rows[0][7])
	}
	// At 3 replicas the ratio 140 / 150 = 0.93 is within the 10 % tolerance.
	if got := rows[1][5]; got != "3" {
		t.Errorf("replicas at t0+1m = %s, want 3", got)
	}
}

func TestReplayStabilizationDelaysScaleDown(t *testing.T) {
	totals := []float64{140}
	for range 12 {
		totals = append(totals, 60)
	}
	rows, stdout := replaySmall(t, totals)

	// From t0+1m, the value 60 proposes ceil(3 × 60 / 150) = 2, but the
	// 600 s window keeps the recommendation 3 of t0 until t0+10m.
	for m := 1; m <= 9; m++ {
		row := rows[m]
		if row[4] != "2" || row[5] != "3" {
			t.Errorf("t0+%dm: proposed %s, replicas %s; want proposed 2 held at 3", m, row[4], row[5])
		}
		if !strings.Contains(row[7], "ScaleDownStabilized") {
			t.Errorf("t0+%dm: explanation %q lacks ScaleDownStabilized", m, row[7])
		}
	}
	for m := 10; m < len(rows); m++ {
		if got := rows[m][5]; got != "2" {
			t.Errorf("t0+%dm: replicas %s, want 2 once the window has passed", m, got)
		}
	}

	for _, line := range []string{
		"Polls:                      13 (0 failed)",
		"Scale-ups:                  1",
		"Scale-downs:                1",
		"Max replicas:               3 of maxReplicaCount 5",
		"Minutes at maxReplicaCount: 0",
		// 3 replicas from t0 to t0+10m, then 2 for 3 minutes.
		"Replica-minutes:            36",
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("summary lacks %q:\n%s", line, stdout)
		}
	}
}

func TestReplayGapReadsAsZero(t *testing.T) {
	rows, stdout := replaySmall(t, []float64{140, -1, 140})

	// A minute without samples is an empty result, which
	// ignoreNullValues (KEDA's default) reads as 0: inactive.
	if got := rows[1][1:4]; strings.Join(got, ",") != "0,50,false" {
		t.Errorf("gap row value, threshold, active = %v, want 0, 50, false", got)
	}
	if !strings.Contains(stdout, "Polls without a series:     1;") {
		t.Errorf("summary does not count the poll without a series:\n%s", stdout)
	}
}

func TestReplayGapFailsWithoutIgnoreNullValues(t *testing.T) {
	dir := t.TempDir()
	object := strings.Replace(string(defaultObject), `activationThreshold: "0"`, "activationThreshold: \"0\"\n      ignoreNullValues: \"false\"", 1)
	path := filepath.Join(dir, "so.yaml")
	writeTestFile(t, path, object)

	rows, stdout := replaySmall(t, []float64{140, -1, -1, -1, 140}, "-f", path)

	// Failed reads hold the count; the third exceeds failureThreshold 2,
	// so fallback proposes 1 replica.
	for m, want := range []struct{ value, replicas, action string }{
		{"140", "3", "HPA"},
		{"", "3", "Hold"},
		{"", "3", "Hold"},
		{"", "3", "Fallback"},
	} {
		row := rows[m]
		if row[1] != want.value || row[5] != want.replicas || row[6] != want.action {
			t.Errorf("t0+%dm: value %q, replicas %s, action %s; want %q, %s, %s", m, row[1], row[5], row[6], want.value, want.replicas, want.action)
		}
	}
	if !strings.Contains(rows[1][7], "query returned no series") {
		t.Errorf("explanation at the gap = %q, want the empty result", rows[1][7])
	}
	if !strings.Contains(stdout, "Polls:                      5 (3 failed)") {
		t.Errorf("summary lacks the failed polls:\n%s", stdout)
	}
}

func TestFetchJoinsSplitQueries(t *testing.T) {
	totals := make([]float64, 23)
	for i := range totals {
		totals[i] = float64(10 * (i + 1))
	}
	url := startLoadServer(t, totals)
	opts, err := parseFlags([]string{"-server", url, "-start", minute(0), "-end", minute(len(totals))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlan(opts, t0)
	if err != nil {
		t.Fatal(err)
	}
	p.maxPoints = 5

	s, err := fetchSeries(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range totals {
		at := t0.Add(time.Duration(i) * time.Minute)
		got, err := s.Value(context.Background(), at)
		if err != nil || got != want {
			t.Errorf("Value(t0+%dm) = %v, %v; want %v", i, got, err, want)
		}
	}
	if n := len(s.vectors); n != len(totals) {
		t.Errorf("series has %d times, want %d", n, len(totals))
	}
}

func TestRelativeRangeAlignsToStep(t *testing.T) {
	now := t0.Add(90 * time.Second).Add(123 * time.Millisecond)
	opts, err := parseFlags([]string{"-server", "http://127.0.0.1:1", "-start", "-1h", "-end", "0s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlan(opts, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(-59 * time.Minute); !p.start.Equal(want) {
		t.Errorf("start = %v, want %v, a multiple of the 60 s step", p.start, want)
	}
	if want := t0.Add(time.Minute); !p.end.Equal(want) {
		t.Errorf("end = %v, want %v, now moved back to a multiple of the step", p.end, want)
	}
	if p.step != time.Minute || p.replicas != 1 {
		t.Errorf("step, replicas = %v, %d; want the pollingInterval 1m and minReplicaCount 1", p.step, p.replicas)
	}
}

func TestPlanRangeExcludesEnd(t *testing.T) {
	// now is off the 60 s grid, as it is for a command run by hand.
	now := t0.Add(7*24*time.Hour + 42*time.Second)
	cases := []struct {
		name       string
		start, end string
		wantPolls  int
		wantLast   time.Time
	}{
		{"day: midnight to midnight", "2025-01-22T00:00:00Z", "2025-01-23T00:00:00Z", 1440, time.Date(2025, 1, 22, 23, 59, 0, 0, time.UTC)},
		{"day: relative -7d to -6d", "-7d", "-6d", 1440, t0.Add(24*time.Hour - time.Minute)},
		{"day: relative -24h to now", "-24h", "0s", 1440, now.Truncate(time.Minute).Add(-time.Minute)},
		{"partial step: end off the grid", "2025-01-22T09:00:00Z", "2025-01-22T09:02:30Z", 3, t0.Add(2 * time.Minute)},
		{"one poll: one step", "2025-01-22T09:00:00Z", "2025-01-22T09:01:00Z", 1, t0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts, err := parseFlags([]string{"-server", "http://127.0.0.1:1", "-start", c.start, "-end", c.end}, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newPlan(opts, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.polls(); got != c.wantPolls {
				t.Errorf("polls() = %d, want %d", got, c.wantPolls)
			}
			if got := p.lastPoll(); !got.Equal(c.wantLast) {
				t.Errorf("lastPoll() = %v, want %v", got, c.wantLast)
			}
		})
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReplayPausedObjectKeepsReplicas(t *testing.T) {
	object := strings.Replace(string(defaultObject), "  name: sample-app-prometheus-scaler\n",
		"  name: sample-app-prometheus-scaler\n  annotations:\n    autoscaling.keda.sh/paused: \"true\"\n", 1)
	path := filepath.Join(t.TempDir(), "so.yaml")
	writeTestFile(t, path, object)

	url := startLoadServer(t, []float64{140})
	_, stderr := runReplay(t, 0, "-f", path, "-server", url, "-start", minute(0), "-end", minute(1), "-csv", "", "-chart", "")
	if !strings.Contains(stderr, "replay: warning: the ScaledObject is paused (autoscaling.keda.sh/paused)") {
		t.Errorf("stderr lacks the pause warning:\n%s", stderr)
	}

	rows, stdout := replaySmall(t, []float64{140, 140}, "-f", path)

	// The paused annotation stops each poll before the trigger is read.
	for m, row := range rows {
		if row[1] != "" || row[5] != "2" || row[6] != "Paused" {
			t.Errorf("t0+%dm: value %q, replicas %s, action %s; want no value, 2, Paused", m, row[1], row[5], row[6])
		}
	}
	if !strings.Contains(stdout, "Polls:                      2 (0 failed)") {
		t.Errorf("summary counts paused polls as failed:\n%s", stdout)
	}
}
