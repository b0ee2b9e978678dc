package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/promscaler/promscaler/promql"
	"github.com/promscaler/promscaler/scaler"
)

// checker prints the findings about one manifest and counts them.
type checker struct {
	out  io.Writer
	opts options

	problems int
	warnings int
	// cannotRun is set when a query got no response, so the manifest could
	// not be judged.
	cannotRun bool
}

// checkManifest loads every ScaledObject of data and checks each one.
func (c *checker) checkManifest(ctx context.Context, data []byte) {
	objects, err := scaler.LoadScaledObjects(data)
	if err != nil {
		c.printLoadError(err)
		c.printSummary()
		return
	}

	fmt.Fprintf(c.out, "%s: %s\n", c.fileNames(), plural(len(objects), "ScaledObject"))
	for _, so := range objects {
		fmt.Fprintln(c.out)
		c.checkObject(ctx, so)
	}
	c.printSummary()
}

// printLoadError prints every problem of a failed load. A query that fails
// the static check carries the check's rendering, carets included, in its
// message.
func (c *checker) printLoadError(err error) {
	var loadErr *scaler.LoadError
	if !errors.As(err, &loadErr) {
		c.problems++
		fmt.Fprintf(c.out, "%s: cannot load:\n", c.fileNames())
		printEntry(c.out, "  ", "error: "+err.Error())
		return
	}

	fmt.Fprintf(c.out, "%s: cannot load, %s:\n", c.fileNames(), plural(len(loadErr.Problems), "problem"))
	for _, p := range loadErr.Problems {
		c.problems++
		fmt.Fprintln(c.out)
		printEntry(c.out, "  ", "error: "+p.String())
	}
}

// checkObject prints the object's warnings and the static check of each
// trigger's query, then queries the triggers when a server is given.
func (c *checker) checkObject(ctx context.Context, so *scaler.ScaledObject) {
	fmt.Fprintf(c.out, "ScaledObject %s/%s\n", namespaceOf(so), so.Metadata.Name)
	c.printWarnings(so)

	for i, trigger := range so.Spec.Triggers {
		c.checkTrigger(i, trigger)
	}
	if c.opts.server != "" {
		c.queryObject(ctx, so)
	}
}

// printWarnings prints the load warnings, except those about a trigger's
// query, which the static check prints with carets, and then each
// authenticationRef that the files do not define.
func (c *checker) printWarnings(so *scaler.ScaledObject) {
	for _, w := range so.Warnings() {
		if isQueryWarning(w, len(so.Spec.Triggers)) {
			continue
		}
		c.warnings++
		printEntry(c.out, "  ", "warning: "+w)
	}

	missing := missingAuthentications(so)
	for i := range so.Spec.Triggers {
		if ref := missing[i]; ref != nil {
			c.warnings++
			printEntry(c.out, "  ", "warning: "+c.missingAuthWarning(so, i, ref))
		}
	}
}

// fileNames returns the -f files as messages name them.
func (c *checker) fileNames() string {
	return strings.Join(c.opts.files, ", ")
}

func isQueryWarning(warning string, triggers int) bool {
	for i := range triggers {
		if strings.HasPrefix(warning, fmt.Sprintf("spec.triggers[%d].metadata.query: ", i)) {
			return true
		}
	}
	return false
}

// checkTrigger prints the query of a prometheus trigger and its static
// check.
func (c *checker) checkTrigger(i int, trigger scaler.ScaleTrigger) {
	name := triggerName(i, trigger)
	md, err := scaler.ParsePrometheusMetadata(trigger.Metadata)
	if err != nil {
		// The load has checked the metadata, so this is not expected.
		c.problems++
		printEntry(c.out, "  ", fmt.Sprintf("error: trigger %s: %v", name, err))
		return
	}

	report := promql.Check(md.Query)
	fmt.Fprintf(c.out, "\n  trigger %s: threshold %g, activationThreshold %g\n", name, md.Threshold, md.ActivationThreshold)
	fmt.Fprintf(c.out, "    query: %s\n", md.Query)
	fmt.Fprintf(c.out, "    static check: returns %s\n", report.Cardinality)
	for _, p := range report.Problems {
		switch p.Severity {
		case promql.SeverityError:
			c.problems++
		case promql.SeverityWarning:
			c.warnings++
		}
	}
	if text := strings.TrimRight(report.Render(), "\n"); text != "" {
		printIndented(c.out, "    ", text)
	}
}

// printSummary prints the counts that decide the exit code.
func (c *checker) printSummary() {
	fmt.Fprintln(c.out)
	switch {
	case c.cannotRun:
		fmt.Fprintf(c.out, "Result: could not finish the check, because a query got no response (see its error above); %s, %s so far.\n",
			plural(c.problems, "problem"), plural(c.warnings, "warning"))
	case c.problems > 0:
		fmt.Fprintf(c.out, "Result: %s, %s.\n", plural(c.problems, "problem"), plural(c.warnings, "warning"))
	default:
		fmt.Fprintf(c.out, "Result: no problems, %s.\n", plural(c.warnings, "warning"))
	}
}

func (c *checker) exitCode() int {
	switch {
	case c.cannotRun:
		return exitCannot
	case c.problems > 0:
		return exitProblems
	}
	return exitOK
}

// triggerName returns the trigger's name, or the metric name KEDA gives
// it, as the scaler names it.
func triggerName(i int, trigger scaler.ScaleTrigger) string {
	if trigger.Name != "" {
		return trigger.Name
	}
	return fmt.Sprintf("s%d-%s", i, trigger.Type)
}

func namespaceOf(so *scaler.ScaledObject) string {
	if so.Metadata.Namespace == "" {
		return "default"
	}
	return so.Metadata.Namespace
}

// printIndented prints text with every line indented by prefix, so that
// rendered caret lines keep their alignment under the query.
func printIndented(w io.Writer, prefix, text string) {
	for line := range strings.SplitSeq(userText(text), "\n") {
		if line == "" {
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintln(w, prefix+line)
	}
}

// printEntry prints a message of several lines as one list entry: the
// first line indented by prefix, the others by two more spaces.
func printEntry(w io.Writer, prefix, text string) {
	first, rest, _ := strings.Cut(userText(text), "\n")
	fmt.Fprintln(w, prefix+first)
	if rest != "" {
		printIndented(w, prefix+"  ", rest)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
