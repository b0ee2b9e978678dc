package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/demo-day.svg from the demo")

const goldenChart = "testdata/demo-day.svg"

// NOTE: testdata/demo-day.svg was written on amd64. Architectures that fuse
// multiply-adds, such as arm64, may round a coordinate differently.
func TestDemoChartGolden(t *testing.T) {
	dir := t.TempDir()
	chartPath := filepath.Join(dir, "replay.svg")
	stdout, _ := runReplay(t, 0, "-demo", "-csv", filepath.Join(dir, "replay.csv"), "-chart", chartPath)
	got, err := os.ReadFile(chartPath)
	if err != nil {
		t.Fatal(err)
	}
	checkXML(t, got)

	if *update {
		if err := os.WriteFile(goldenChart, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenChart)
	if err != nil {
		t.Fatalf("%v; run go test ./examples/replay -run TestDemoChartGolden -update to create it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the demo chart differs from %s; if the change is intended, run go test ./examples/replay -run TestDemoChartGolden -update", goldenChart)
	}

	for _, line := range []string{
		"from 2025-01-22T00:00:00Z to 2025-01-22T23:59:00Z",
		"Polls:                      1440 (0 failed)",
		"Max replicas:               5 of maxReplicaCount 5",
		"Minutes at maxReplicaCount: 74",
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("demo summary lacks %q:\n%s", line, stdout)
		}
	}
}

// checkXML fails the test unless data is well-formed XML with an svg root.
func checkXML(t *testing.T, data []byte) {
	t.Helper()
	decoder := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		token, err := decoder.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not valid XML: %v", err)
		}
		if start, ok := token.(xml.StartElement); ok && root == "" {
			root = start.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("the chart's root element is %q, want svg", root)
	}
}

func TestChartMarksFailedReads(t *testing.T) {
	var out bytes.Buffer
	url := startLoadServer(t, []float64{140, -1, 60})
	opts, err := parseFlags([]string{"-server", url, "-start", minute(0), "-end", minute(3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlan(opts, t0)
	if err != nil {
		t.Fatal(err)
	}
	p.metadata.IgnoreNullValues = false
	s, err := fetchSeries(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	result, err := replay(t.Context(), p, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeChart(&out, result); err != nil {
		t.Fatal(err)
	}
	checkXML(t, out.Bytes())

	svg := out.String()
	if !strings.Contains(svg, ">failed read</text>") {
		t.Errorf("legend lacks the failed read entry:\n%s", svg)
	}
	// The value line breaks at the gap: it starts anew after it.
	valuePath := regexp.MustCompile(`<path d="([^"]*)" fill="none" stroke="#1f77b4"`).FindStringSubmatch(svg)
	if valuePath == nil {
		t.Fatalf("chart lacks the value line:\n%s", svg)
	}
	if n := strings.Count(valuePath[1], "M"); n != 2 {
		t.Errorf("value line %q has %d segments, want 2 around the gap", valuePath[1], n)
	}
	if !strings.Contains(svg, "09:00") {
		t.Errorf("time axis lacks the 09:00 label")
	}
}
