package main

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/promscaler/promscaler/internal/promserver"
	"github.com/promscaler/promscaler/scaler"
)

// scrapeInterval is how often the simulated Prometheus scrapes every pod.
const scrapeInterval = 15 * time.Second

// workload simulates sample-app: a total number of open WebSocket
// connections, spread evenly over its running pods, each pod exporting
// websocket_active_connection_count. Samples are written to the storage as
// a scrape every 15 s would write them.
type workload struct {
	storage *promserver.Storage
	target  *scaler.MemoryTarget
	start   time.Time
	// load[m] is the total connection count during the minute that ends at
	// start + m minutes; before start the load is load[0].
	load       []int
	nextScrape time.Time
}

func newWorkload(storage *promserver.Storage, target *scaler.MemoryTarget, start time.Time, load []int, history time.Duration) *workload {
	return &workload{storage: storage, target: target, start: start, load: load, nextScrape: start.Add(-history)}
}

// loadAt returns the connection count at t: load changes on whole minutes, so
// a 1 m window that ends on a poll contains one level only.
func (w *workload) loadAt(t time.Time) int {
	if !t.After(w.start) {
		return w.load[0]
	}
	minute := int((t.Sub(w.start) + time.Minute - 1) / time.Minute)
	return w.load[min(minute, len(w.load)-1)]
}

// scrapeUntil writes every scrape up to and including now, with the pods
// that are running at that moment.
func (w *workload) scrapeUntil(ctx context.Context, now time.Time) error {
	replicas, err := w.target.Replicas(ctx)
	if err != nil {
		return err
	}
	for ; !w.nextScrape.After(now); w.nextScrape = w.nextScrape.Add(scrapeInterval) {
		if err := w.scrape(w.nextScrape, int(replicas.Current)); err != nil {
			return err
		}
	}
	return nil
}

// scrape writes one sample per pod: the load split into whole connections,
// so the pods' values add up to the load exactly.
func (w *workload) scrape(t time.Time, pods int) error {
	total := w.loadAt(t)
	for i := range pods {
		share := total / pods
		if i < total%pods {
			share++
		}
		lset := labels.FromStrings(
			"__name__", "websocket_active_connection_count",
			"app_kubernetes_io_name", "sample-app",
			"pod", fmt.Sprintf("sample-app-%d", i),
		)
		if err := w.storage.Append(lset, t, float64(share)); err != nil {
			return fmt.Errorf("scrape pod sample-app-%d at %v: %w", i, t, err)
		}
	}
	return nil
}

// scrapingSource brings the simulated scrapes up to the poll time before it
// runs the query, as a real Prometheus would have scraped in the meantime.
type scrapingSource struct {
	workload *workload
	next     scaler.Source
}

func (s scrapingSource) Value(ctx context.Context, now time.Time) (float64, error) {
	if err := s.workload.scrapeUntil(ctx, now); err != nil {
		return 0, err
	}
	return s.next.Value(ctx, now)
}
