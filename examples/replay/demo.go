package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/promscaler/promscaler/internal/promserver"
)

// The synthetic day of -demo: sample-app's two pods export
// websocket_active_connection_count once a minute on demoDay (UTC).
var demoDay = time.Date(2025, 1, 22, 0, 0, 0, 0, time.UTC)

const (
	demoWorkspace  = "ws-replay-demo"
	demoResolution = time.Minute
	demoPods       = 2
	// demoSeed fixes the noise, so every run serves the same samples.
	demoSeed = 22
)

// forDemo points the options at the demo server and the synthetic day.
func (o options) forDemo(serverURL string) options {
	o.server = serverURL
	o.start = demoDay.Format(time.RFC3339)
	o.end = demoDay.Add(24 * time.Hour).Format(time.RFC3339)
	return o
}

// startDemoServer serves the synthetic day on 127.0.0.1.
func startDemoServer() (*promserver.Server, error) {
	storage := promserver.NewStorage()
	if err := appendDemoDay(storage); err != nil {
		return nil, err
	}
	return promserver.Start(promserver.Config{Storage: storage, WorkspaceID: demoWorkspace})
}

// appendDemoDay writes one sample per pod and minute: the day's load split
// into whole connections between the pods.
func appendDemoDay(storage *promserver.Storage) error {
	noise := rand.New(rand.NewPCG(demoSeed, demoSeed))
	for at := demoDay; at.Before(demoDay.Add(24 * time.Hour)); at = at.Add(demoResolution) {
		hours := at.Sub(demoDay).Hours()
		total := int(math.Round(demoLoad(hours) * (0.95 + 0.1*noise.Float64())))
		for pod := range demoPods {
			share := total / demoPods
			if pod < total%demoPods {
				share++
			}
			lset := labels.FromStrings(
				"__name__", "websocket_active_connection_count",
				"app_kubernetes_io_name", "sample-app",
				"pod", fmt.Sprintf("sample-app-%d", pod),
			)
			if err := storage.Append(lset, at, float64(share)); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoLoad returns the total open connections at hours after midnight.
// A quiet night of 12 ramps up to 140 from 06:00 to 10:00. A spike adds up
// to 180 around 14:45, and the load declines from 18:00 to 22:00 to a quiet
// night again.
func demoLoad(hours float64) float64 {
	const night, day = 12.0, 140.0
	load := night
	switch {
	case hours >= 6 && hours < 10:
		load = night + (day-night)*smoothStep((hours-6)/4)
	case hours >= 10 && hours < 18:
		load = day
	case hours >= 18 && hours < 22:
		load = day - (day-night)*smoothStep((hours-18)/4)
	}
	// The spike rises and falls over 14:00 to 15:30.
	if hours >= 14 && hours < 15.5 {
		load += 180 * math.Sin(math.Pi*(hours-14)/1.5)
	}
	return load
}

// smoothStep eases x in [0, 1] from 0 to 1 with zero slope at both ends.
func smoothStep(x float64) float64 {
	return x * x * (3 - 2*x)
}
