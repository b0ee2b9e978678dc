package scaler

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// parseKEDAFloat parses a float as KEDA parses one in trigger metadata,
// which is as a JSON number: "50", "0.5" and "5e1" parse, while ".5",
// "+5", "NaN" and "Inf" do not. It returns a problem message for a value
// that does not parse.
func parseKEDAFloat(value string) (float64, string) {
	if isJSONNumber(value) {
		f, err := strconv.ParseFloat(value, 64)
		if err == nil {
			return f, ""
		}
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Sprintf("%q is out of range; use a smaller number", value)
		}
	}

	if f, err := strconv.ParseFloat(value, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return 0, fmt.Sprintf("%q is not written as KEDA reads numbers, which is as JSON numbers; write %q", value, strconv.FormatFloat(f, 'f', -1, 64))
	}
	return 0, fmt.Sprintf("%q is not a number; write a decimal such as \"50\" or \"0.5\"", value)
}

// isJSONNumber reports whether s is one JSON number.
func isJSONNumber(s string) bool {
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	var number json.Number
	return json.Unmarshal([]byte(s), &number) == nil
}

// parseKEDABool parses a boolean with strconv.ParseBool, as KEDA does, so
// "true", "True", "TRUE", "t" and "1" are true.
func parseKEDABool(value string) (bool, string) {
	b, err := strconv.ParseBool(value)
	if err != nil {
		return false, fmt.Sprintf("%q is not a boolean; use \"true\" or \"false\"", value)
	}
	return b, ""
}

// parseKEDADuration parses a duration as KEDA does: first as a Go duration
// such as "5s" or "1m30s", else as whole milliseconds such as "5000".
// Negative durations are rejected.
func parseKEDADuration(value string) (time.Duration, string) {
	if d, err := time.ParseDuration(value); err == nil {
		if d < 0 {
			return 0, fmt.Sprintf("%q is negative; use a positive duration such as \"5s\"", value)
		}
		return d, ""
	}

	ms, err := strconv.ParseInt(value, 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Sprintf("%q is not a duration; use a Go duration such as \"5s\" or whole milliseconds such as \"5000\"", value)
	case ms < 0:
		return 0, fmt.Sprintf("%q is negative; use a positive number of milliseconds such as \"5000\"", value)
	case ms > math.MaxInt64/int64(time.Millisecond):
		return 0, fmt.Sprintf("%q milliseconds is out of range; use a shorter timeout such as \"5000\"", value)
	}
	return time.Duration(ms) * time.Millisecond, ""
}
