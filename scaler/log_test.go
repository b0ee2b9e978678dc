package scaler

import (
	"context"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

func nan() float64 { return math.NaN() }

// recordingHandler keeps every log record's message and attributes.
type recordingHandler struct {
	mu      sync.Mutex
	records []string
}

func newTestLogger(h *recordingHandler) *slog.Logger { return slog.New(h) }

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, b.String())
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h *recordingHandler) WithGroup(string) slog.Handler { return h }

// count returns the number of records whose message is msg.
func (h *recordingHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if _, rest, _ := strings.Cut(r, " "); rest == msg || strings.HasPrefix(rest, msg+" ") {
			n++
		}
	}
	return n
}

func (h *recordingHandler) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.records, "\n")
}

func TestLoggerRecords(t *testing.T) {
	logs := &recordingHandler{}
	cfg := guideConfig()
	cfg.Logger = newTestLogger(logs)
	tl := newTimeline(t, cfg, 2)
	tl.run([]step{
		{at: 0, value: 140, want: 3, action: ActionHPA},
		{at: time.Minute, value: 140, want: 3, action: ActionHPA},
		{at: 2 * time.Minute, err: errRefused, want: 3, action: ActionHold},
	})
	if err := tl.s.SetPause(Pause{ScaleIn: true}); err != nil {
		t.Fatal(err)
	}

	for msg, want := range map[string]int{"poll": 3, "replicas changed": 1, "trigger failed": 1, "pause changed": 1} {
		if got := logs.count(msg); got != want {
			t.Errorf("%d %q records, want %d:\n%s", got, msg, want, logs.all())
		}
	}
	if !strings.Contains(logs.all(), "INFO replicas changed scaler=default/sample-app-prometheus-scaler from=2 to=3 action=HPA") {
		t.Errorf("no record of the change from 2 to 3:\n%s", logs.all())
	}
}
