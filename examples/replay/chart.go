package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// The chart's layout in SVG user units: the metric panel above the replica
// panel, sharing one time axis.
const (
	chartWidth   = 960.0
	chartHeight  = 600.0
	plotLeft     = 70.0
	plotRight    = 930.0
	metricTop    = 96.0
	metricBottom = 350.0
	replicaTop   = 384.0
	replicaBot   = 530.0
	maxTimeTicks = 24
	maxLabels    = 8
)

// Colors and strokes of the series.
const (
	styleValue     = `stroke="#1f77b4" stroke-width="1.5"`
	styleThreshold = `stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"`
	styleCapacity  = `stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="2 3"`
	styleReplicas  = `stroke="#9467bd" stroke-width="2"`
	styleMaxCount  = `stroke="#7f7f7f" stroke-width="1" stroke-dasharray="6 4"`
	styleFailed    = `stroke="#ff7f0e" stroke-width="2"`
	styleGrid      = `stroke="#e5e5e5" stroke-width="1"`
	styleAxis      = `stroke="#333333" stroke-width="1"`
	styleLabel     = `font-size="11" fill="#333333"`
)

// chartTicks are the spacings the time axis may use, shortest first.
var chartTicks = []time.Duration{
	time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour,
}

// chart maps the polls to the plot area.
type chart struct {
	r        *replayResult
	from, to time.Time
	// valueMax and replicaMax are the tops of the two panels' y axes,
	// with valueStep and replicaStep the spacing of their grid lines.
	valueMax, valueStep     float64
	replicaMax, replicaStep float64
}

// writeChart draws the replay as an SVG image in two panels. The upper one
// shows the metric value, the threshold and, for an AverageValue trigger,
// the capacity threshold × replicas. The lower one shows the replica count
// as a step line. The output depends only on the result, so a golden file
// can pin it.
func writeChart(w io.Writer, r *replayResult) error {
	if len(r.polls) == 0 {
		return fmt.Errorf("no polls to draw")
	}
	c := newChart(r)
	s := &svgWriter{w: w}

	s.printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" font-family=\"sans-serif\">\n",
		coord(chartWidth), coord(chartHeight), coord(chartWidth), coord(chartHeight))
	s.printf("<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n")
	c.drawTitle(s)
	c.drawLegend(s)
	c.drawValueAxis(s)
	c.drawReplicaAxis(s)
	c.drawTimeAxis(s)
	c.drawValues(s)
	c.drawReplicas(s)
	s.printf("</svg>\n")
	return s.err
}

func newChart(r *replayResult) *chart {
	c := &chart{r: r, from: r.polls[0].decision.Time, to: r.polls[len(r.polls)-1].decision.Time.Add(r.step)}

	top, maxReplicas := r.threshold, int32(1)
	for _, p := range r.polls {
		if value, ok := pollValue(p); ok {
			top = max(top, value)
		}
		if r.averageValue {
			top = max(top, r.threshold*float64(p.after))
		}
		maxReplicas = max(maxReplicas, p.after)
	}
	c.valueStep = niceStep(top, 5)
	c.valueMax = math.Ceil(top/c.valueStep) * c.valueStep
	if c.valueMax <= top {
		c.valueMax += c.valueStep
	}
	c.replicaMax = float64(maxReplicas + 1)
	c.replicaStep = max(1, math.Ceil(niceStep(c.replicaMax, 6)))
	c.replicaMax = math.Ceil(c.replicaMax/c.replicaStep) * c.replicaStep
	return c
}

// pollValue returns the metric value of a poll whose read succeeded. A
// paused poll reads no trigger.
func pollValue(p poll) (float64, bool) {
	d := p.decision
	if len(d.Triggers) == 0 || d.Triggers[0].Err != nil {
		return 0, false
	}
	return d.Triggers[0].Value, true
}

// readFailed reports a poll whose read of the trigger failed.
func readFailed(p poll) bool {
	d := p.decision
	return len(d.Triggers) > 0 && d.Triggers[0].Err != nil
}

func (c *chart) x(t time.Time) float64 {
	return plotLeft + (plotRight-plotLeft)*float64(t.Sub(c.from))/float64(c.to.Sub(c.from))
}

func (c *chart) valueY(v float64) float64 {
	return metricBottom - (metricBottom-metricTop)*v/c.valueMax
}

func (c *chart) replicaY(n int32) float64 {
	return replicaBot - (replicaBot-replicaTop)*float64(n)/c.replicaMax
}

func (c *chart) drawTitle(s *svgWriter) {
	first, last := c.from, c.r.polls[len(c.r.polls)-1].decision.Time
	s.text(plotLeft, 24, "start", `font-size="16" font-weight="bold" fill="#111111"`,
		fmt.Sprintf("%s: replicas the scaler would have set", c.r.name))
	s.text(plotLeft, 42, "start", styleLabel, "query: "+shorten(c.r.query, 140))
	s.text(plotLeft, 57, "start", styleLabel, fmt.Sprintf("%s to %s UTC, a poll every %s, %d polls, threshold %s, replicas %d to %d",
		first.Format("2006-01-02 15:04"), last.Format("2006-01-02 15:04"), formatStep(c.r.step), len(c.r.polls),
		formatNumber(c.r.threshold), c.r.minReplicas, c.r.maxReplicas))
}

// legendItem is one entry of the legend: a short line in the series'
// style and its label.
type legendItem struct {
	style, label string
}

func (c *chart) drawLegend(s *svgWriter) {
	items := []legendItem{
		{styleValue, "metric value"},
		{styleThreshold, "threshold " + formatNumber(c.r.threshold)},
	}
	if c.r.averageValue {
		items = append(items, legendItem{styleCapacity, "threshold × replicas"})
	}
	items = append(items, legendItem{styleReplicas, "replicas"}, legendItem{styleMaxCount, fmt.Sprintf("maxReplicaCount %d", c.r.maxReplicas)})
	if c.failedPolls() > 0 {
		items = append(items, legendItem{styleFailed, "failed read"})
	}

	x := plotLeft
	for _, item := range items {
		s.line(x, 74, x+24, 74, item.style)
		s.text(x+30, 78, "start", styleLabel, item.label)
		x += 30 + 6*float64(len([]rune(item.label))) + 24
	}
}

func (c *chart) failedPolls() int {
	n := 0
	for _, p := range c.r.polls {
		if readFailed(p) {
			n++
		}
	}
	return n
}

// drawValueAxis draws the metric panel's grid, y labels and frame.
func (c *chart) drawValueAxis(s *svgWriter) {
	for v := 0.0; v <= c.valueMax+c.valueStep/2; v += c.valueStep {
		y := c.valueY(v)
		s.line(plotLeft, y, plotRight, y, styleGrid)
		s.text(plotLeft-6, y+4, "end", styleLabel, formatTick(v, c.valueStep))
	}
	s.text(18, (metricTop+metricBottom)/2, "middle", styleLabel+` transform="rotate(-90 18 223)"`, "metric value")
	s.printf("<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"none\" %s/>\n",
		coord(plotLeft), coord(metricTop), coord(plotRight-plotLeft), coord(metricBottom-metricTop), styleAxis)
}

// drawReplicaAxis draws the replica panel's grid, y labels and frame.
func (c *chart) drawReplicaAxis(s *svgWriter) {
	for n := 0.0; n <= c.replicaMax; n += c.replicaStep {
		y := c.replicaY(int32(n))
		s.line(plotLeft, y, plotRight, y, styleGrid)
		s.text(plotLeft-6, y+4, "end", styleLabel, formatTick(n, c.replicaStep))
	}
	s.text(18, (replicaTop+replicaBot)/2, "middle", styleLabel+` transform="rotate(-90 18 457)"`, "replicas")
	s.printf("<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"none\" %s/>\n",
		coord(plotLeft), coord(replicaTop), coord(plotRight-plotLeft), coord(replicaBot-replicaTop), styleAxis)
}

// drawTimeAxis draws a tick below both panels at each whole interval, and
// labels at a wider interval.
func (c *chart) drawTimeAxis(s *svgWriter) {
	span := c.to.Sub(c.from)
	tick := pickInterval(span, maxTimeTicks)
	for _, t := range intervalTimes(c.from, c.to, tick) {
		x := c.x(t)
		s.line(x, metricBottom, x, metricBottom+4, styleAxis)
		s.line(x, replicaBot, x, replicaBot+4, styleAxis)
	}

	layout := "15:04"
	if span > 24*time.Hour {
		layout = "Jan 2 15:04"
	}
	for _, t := range intervalTimes(c.from, c.to, pickInterval(span, maxLabels)) {
		x := c.x(t)
		s.line(x, replicaBot, x, replicaBot+7, styleAxis)
		s.text(x, replicaBot+20, "middle", styleLabel, t.UTC().Format(layout))
	}
	s.text((plotLeft+plotRight)/2, replicaBot+40, "middle", styleLabel, "time (UTC)")
}

// pickInterval returns the shortest tick spacing that puts at most n ticks
// on span.
func pickInterval(span time.Duration, n int) time.Duration {
	for _, d := range chartTicks {
		if span/d <= time.Duration(n) {
			return d
		}
	}
	return chartTicks[len(chartTicks)-1]
}

// intervalTimes returns the multiples of interval in [from, to].
func intervalTimes(from, to time.Time, interval time.Duration) []time.Time {
	var times []time.Time
	t := from.Truncate(interval)
	if t.Before(from) {
		t = t.Add(interval)
	}
	for ; !t.After(to); t = t.Add(interval) {
		times = append(times, t)
	}
	return times
}

// drawValues draws the threshold, the capacity and the metric value. The
// value line breaks at polls without a value, and a mark shows each failed
// read.
func (c *chart) drawValues(s *svgWriter) {
	s.line(plotLeft, c.valueY(c.r.threshold), plotRight, c.valueY(c.r.threshold), styleThreshold)
	if c.r.averageValue {
		s.path(c.stepPath(func(p poll) float64 { return c.valueY(c.r.threshold * float64(p.after)) }), styleCapacity)
	}

	var data strings.Builder
	pen := "M"
	for _, p := range c.r.polls {
		if readFailed(p) {
			x := c.x(p.decision.Time)
			s.line(x, metricBottom-8, x, metricBottom, styleFailed)
		}
		value, ok := pollValue(p)
		if !ok {
			pen = "M"
			continue
		}
		fmt.Fprintf(&data, "%s%s %s ", pen, coord(c.x(p.decision.Time)), coord(c.valueY(value)))
		pen = "L"
	}
	s.path(strings.TrimSpace(data.String()), styleValue+` stroke-linejoin="round"`)
}

// drawReplicas draws the count after each poll as a step line, and the
// maxReplicaCount when it fits the panel.
func (c *chart) drawReplicas(s *svgWriter) {
	if float64(c.r.maxReplicas) <= c.replicaMax {
		y := c.replicaY(c.r.maxReplicas)
		s.line(plotLeft, y, plotRight, y, styleMaxCount)
	}
	s.path(c.stepPath(func(p poll) float64 { return c.replicaY(p.after) }), styleReplicas)
}

// stepPath returns path data that holds y(p) from each poll to the next.
func (c *chart) stepPath(y func(poll) float64) string {
	var data strings.Builder
	for i, p := range c.r.polls {
		if i == 0 {
			fmt.Fprintf(&data, "M%s %s", coord(c.x(p.decision.Time)), coord(y(p)))
		} else {
			fmt.Fprintf(&data, " V%s", coord(y(p)))
		}
		fmt.Fprintf(&data, " H%s", coord(c.x(p.decision.Time.Add(c.r.step))))
	}
	return data.String()
}

// shorten cuts text to at most n characters, marking a cut with "…".
func shorten(text string, n int) string {
	runes := []rune(text)
	if len(runes) <= n {
		return text
	}
	return string(runes[:n-1]) + "…"
}

// formatStep writes a step in seconds, such as 60s.
func formatStep(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// isAverageValue reports whether a trigger's HPA target is per replica.
func isAverageValue(t hpa.MetricType) bool {
	return t == "" || t == hpa.AverageValueMetricType
}
