package promql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Render returns every problem of the report as text, separated by blank lines, or "" when
// there is none. Each problem shows its severity, check and message, the position, the query
// lines that the span covers with carets under the span, and the fix:
//
//	error[one-value]: rate returns one series per input series, and ...
//	  --> 1:1
//	  | rate(http_requests_total[5m])
//	  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
//	  = fix: sum(rate(http_requests_total[5m]))
func (r Report) Render() string {
	blocks := make([]string, 0, len(r.Problems))
	for _, p := range r.Problems {
		blocks = append(blocks, renderProblem(r.Query, p))
	}
	return strings.Join(blocks, "\n")
}

func renderProblem(query string, p Problem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s[%s]: %s\n", p.Severity, p.Check, p.Message)
	fmt.Fprintf(&b, "  --> %d:%d\n", p.Line, p.Column)
	renderSpan(&b, query, p.Start, p.End)
	if p.Fix != "" {
		fix := strings.ReplaceAll(p.Fix, "\n", "\n         ")
		fmt.Fprintf(&b, "  = fix: %s\n", fix)
	}
	return b.String()
}

// renderSpan writes each query line that [start, end) touches, with carets under the part of
// the line inside the span, not counting the indentation of continued lines. An empty span
// gets one caret at its position.
func renderSpan(b *strings.Builder, query string, start, end int) {
	// A report built by hand can have any span, so keep it inside the query.
	start = min(max(start, 0), len(query))
	end = min(max(end, start), len(query))

	lineStart := strings.LastIndexByte(query[:start], '\n') + 1
	for {
		lineEnd := len(query)
		if i := strings.IndexByte(query[lineStart:], '\n'); i >= 0 {
			lineEnd = lineStart + i
		}
		line := query[lineStart:lineEnd]
		fmt.Fprintf(b, "  | %s\n", line)

		from, to := max(start, lineStart), min(end, lineEnd)
		if from > start {
			// The span continues from the line above: leave its indentation unmarked.
			from += len(line) - len(strings.TrimLeft(line, " \t"))
		}
		switch {
		case start == end:
			fmt.Fprintf(b, "  | %s^\n", indentFor(query[lineStart:from]))
		case to > from:
			fmt.Fprintf(b, "  | %s%s\n", indentFor(query[lineStart:from]), strings.Repeat("^", utf8.RuneCountInString(query[from:to])))
		}

		if lineEnd+1 >= end || lineEnd == len(query) {
			return
		}
		lineStart = lineEnd + 1
	}
}

// indentFor returns blanks as wide as text, keeping tabs so that carets line up.
func indentFor(text string) string {
	var b strings.Builder
	for _, r := range text {
		if r == '\t' {
			b.WriteRune('\t')
		} else {
			b.WriteRune(' ')
		}
	}
	return b.String()
}
