// Package realprom runs a real Prometheus server for integration tests, so
// that queries meet the engine, the scrape loop and the HTTP API that users
// run, rather than a fake.
//
// # The server
//
// Start launches the prometheus binary that Binary finds: the path in the
// environment variable PROMETHEUS_BIN, else prometheus on PATH (Debian and
// Ubuntu install it with apt-get install prometheus). The server listens on
// a free port of 127.0.0.1, keeps its TSDB in a temporary directory, and
// scrapes Config.ScrapeTargets and evaluates rules every
// Config.ScrapeInterval, 1 s by default:
//
//	exporter := realprom.StartExporter(t)
//	exporter.Set("sample-app", "sample-app-1", 70)
//	srv := realprom.Start(t, realprom.Config{ScrapeTargets: []string{exporter.Target()}})
//	// srv.URL() is "http://127.0.0.1:PORT"
//
// Start returns once GET /-/ready succeeds. A cleanup stops the server with
// SIGTERM and, when it has not exited within Config.StopTimeout, SIGKILL.
// On Linux the server runs in its own process group and gets SIGKILL when
// the test binary dies, so a killed test leaves no server behind. The
// server's log goes to a file, and its last lines are logged when the test
// fails.
//
// # Skipping
//
// Without the binary, Binary skips the test with a message that names what
// to install or set. When PROMSCALER_REQUIRE_PROMETHEUS is not empty, as in
// CI, a missing binary fails the test instead, so that the integration tests
// cannot pass by not running.
//
// # Samples
//
// An Exporter serves the gauge websocket_active_connection_count, with the
// labels app_kubernetes_io_name and pod, in the Prometheus text format on
// 127.0.0.1. A test sets the values, and the server reads them at its next
// scrape. The scrape manager starts scraping new targets up to 5 s after
// the server is ready, so a test polls the query with WaitUntil until the
// value appears, with a deadline, rather than sleeping a fixed time.
package realprom
