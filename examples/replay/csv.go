package main

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// csvHeader names the columns of the CSV file.
var csvHeader = []string{"time", "value", "threshold", "active", "proposed_replicas", "replicas", "action", "explanation"}

// writeCSV writes a header and one row per poll. A row has the poll time in
// RFC 3339, the metric value (empty when the read failed) and the threshold.
// It goes on with whether the workload was active, the count the metric
// proposed before stabilization and limits, the count after the poll, the
// rule the poll applied and the explanation on one line. The package doc
// describes each column.
func writeCSV(w io.Writer, r *replayResult) error {
	out := csv.NewWriter(w)
	if err := out.Write(csvHeader); err != nil {
		return err
	}
	for _, p := range r.polls {
		if err := out.Write(csvRow(r, p)); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

func csvRow(r *replayResult, p poll) []string {
	d := p.decision
	value := ""
	if len(d.Triggers) > 0 && d.Triggers[0].Err == nil {
		value = formatNumber(d.Triggers[0].Value)
	}
	return []string{
		d.Time.UTC().Format(time.RFC3339),
		value,
		formatNumber(r.threshold),
		strconv.FormatBool(d.Active),
		strconv.Itoa(int(p.proposed)),
		strconv.Itoa(int(p.after)),
		string(d.Action),
		oneLine(d.Explain()),
	}
}

// oneLine joins the lines of text with "; ".
func oneLine(text string) string {
	var parts []string
	for line := range strings.SplitSeq(strings.TrimSpace(text), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}

// formatNumber writes v in the shortest decimal form that reads back as v,
// without an exponent.
func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
