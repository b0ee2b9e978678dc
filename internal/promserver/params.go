package promserver

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
)

const maxUnixSeconds = 9e15

// parseTimeParam reads the form value name as unix seconds (a float, kept to
// the millisecond) or as RFC 3339. An absent value is an error.
func parseTimeParam(r *http.Request, name string) (time.Time, error) {
	text := r.Form.Get(name)
	if text == "" {
		return time.Time{}, badData("missing parameter %q; send unix seconds or an RFC 3339 time", name)
	}

	if seconds, err := strconv.ParseFloat(text, 64); err == nil {
		// The bound, about 285 million years, keeps the milliseconds within int64.
		if math.IsNaN(seconds) || math.Abs(seconds) > maxUnixSeconds {
			return time.Time{}, badData("invalid parameter %q: %q is out of range; send unix seconds or an RFC 3339 time", name, text)
		}
		return time.UnixMilli(int64(math.Round(seconds * 1e3))).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, text); err == nil {
		return t, nil
	}
	return time.Time{}, badData("invalid parameter %q: %q is neither unix seconds nor an RFC 3339 time; send for example 1700000000 or 2023-11-14T22:13:20Z", name, text)
}

// parseDurationParam reads the form value name as seconds (a float) or as a
// Prometheus duration such as "1m30s".
func parseDurationParam(r *http.Request, name string) (time.Duration, error) {
	text := r.Form.Get(name)
	if text == "" {
		return 0, badData("missing parameter %q; send seconds or a duration such as 15s", name)
	}

	if seconds, err := strconv.ParseFloat(text, 64); err == nil {
		nanos := seconds * float64(time.Second)
		if math.IsNaN(nanos) || math.Abs(nanos) >= math.MaxInt64 {
			return 0, badData("invalid parameter %q: %q is out of range; send seconds or a duration such as 15s", name, text)
		}
		return time.Duration(nanos), nil
	}
	if d, err := model.ParseDuration(text); err == nil {
		return time.Duration(d), nil
	}
	return 0, badData("invalid parameter %q: %q is neither seconds nor a duration; send for example 15 or 15s", name, text)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
