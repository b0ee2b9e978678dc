package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// svgWriter writes SVG elements and keeps the first write error, so the
// drawing code can write without checking each call.
type svgWriter struct {
	w   io.Writer
	err error
}

func (s *svgWriter) printf(format string, args ...any) {
	if s.err != nil {
		return
	}
	_, s.err = fmt.Fprintf(s.w, format, args...)
}

// line draws a straight line with the given style attributes.
func (s *svgWriter) line(x1, y1, x2, y2 float64, style string) {
	s.printf("<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" %s/>\n", coord(x1), coord(y1), coord(x2), coord(y2), style)
}

// text draws an escaped label; anchor is start, middle or end.
func (s *svgWriter) text(x, y float64, anchor, style, label string) {
	s.printf("<text x=\"%s\" y=\"%s\" text-anchor=\"%s\" %s>%s</text>\n", coord(x), coord(y), anchor, style, escapeText(label))
}

// path draws a path from SVG path data.
func (s *svgWriter) path(data, style string) {
	if data == "" {
		return
	}
	s.printf("<path d=\"%s\" fill=\"none\" %s/>\n", data, style)
}

// coord formats a coordinate with one decimal, so the output is the same
// on every platform.
func coord(v float64) string {
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// escapeText escapes the characters that XML text and attributes cannot
// contain as they are.
func escapeText(text string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&apos;").Replace(text)
}

// niceStep returns a tick spacing of 1, 2, 2.5 or 5 times a power of ten
// that divides span into at most about target intervals.
func niceStep(span float64, target int) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(target)
	magnitude := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*magnitude >= raw {
			return m * magnitude
		}
	}
	return 10 * magnitude
}

// formatTick writes a tick value with as many decimals as step needs.
func formatTick(v, step float64) string {
	decimals := 0
	if step < 1 {
		decimals = int(math.Ceil(-math.Log10(step)))
		if step*math.Pow(10, float64(decimals)) != math.Round(step*math.Pow(10, float64(decimals))) {
			decimals++
		}
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}
