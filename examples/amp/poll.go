package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/scaler"
	"github.com/promscaler/promscaler/sigv4"
)

// pollOnce runs one poll, prints the decision with its arithmetic, and
// returns exitFailed when the query failed.
func pollOnce(ctx context.Context, s *setup, stdout, stderr io.Writer) int {
	d, _ := s.scaler.Step(ctx, time.Now())
	fmt.Fprintln(stdout, userText(strings.TrimSuffix(d.Explain(), "\n")))
	if d.Err != nil {
		fmt.Fprintln(stderr, s.describe(d.Err))
		return exitFailed
	}
	return exitOK
}

// pollUntilDone polls every interval until ctx is done, printing one line
// per poll. Failed polls are printed and the loop goes on, as KEDA's does.
func pollUntilDone(ctx context.Context, s *setup, stdout, stderr io.Writer) int {
	s.printer.start(stdout, stderr, s.describe)
	fmt.Fprintf(stdout, "Polling every %v until SIGINT or SIGTERM; the replica count is simulated and no cluster changes.\n", s.scaler.PollingInterval())
	if err := s.scaler.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "amp:", err)
		return exitFailed
	}
	return exitOK
}

// onDecision prints each poll when the command polls until stopped.
func (s *setup) onDecision(d scaler.Decision) {
	if s.printer != nil {
		s.printer.print(d)
	}
}

// describe returns the message for a failed poll. For a 403 it names the
// three usual causes, and other failures keep the client's message.
func (s *setup) describe(err error) string {
	var e *amp.Error
	if errors.As(err, &e) && e.Type == sigv4.CodeMissingAuthenticationToken {
		return fmt.Sprintf("amp: the workspace %s rejected an unsigned query with status %d; sign it: in a ScaledObject, set identityOwner operator, "+
			"podIdentity provider aws, or awsRoleArn on the trigger", s.url, e.StatusCode)
	}
	if errors.As(err, &e) && e.Kind == amp.KindAuth {
		cause := e.Type
		if e.Message != "" {
			cause = strings.TrimPrefix(cause+": "+e.Message, ": ")
		}
		return fmt.Sprintf("amp: the workspace %s rejected the query with status %d (%s); check that the identity has the IAM permission aps:QueryMetrics on the workspace, "+
			"that %s is the workspace's region, and that this machine's clock is within 5 minutes of the correct time", s.url, e.StatusCode, oneLine(cause), s.region)
	}
	return userText(oneLine(err.Error()))
}

// userTerms replaces the Go API advice of library messages with the flags
// and manifest settings of this command.
var userTerms = strings.NewReplacer(
	"set Config.SigV4 and Config.Region (or use an AMP workspace URL)",
	"set identityOwner operator, podIdentity provider aws, or awsRoleArn on the trigger of the ScaledObject",
	"add it to the data after a --- line, or pass it in BuildOptions.TriggerAuthentications",
	"add it to the file after a --- line, or pass the file that defines it with another -f",
	"set IgnoreNullValues", `set ignoreNullValues: "true" in the trigger's metadata`,
	"the limit that Config.Timeout sets on each attempt; raise Config.Timeout", "the limit on each attempt that a trigger's timeout sets, in milliseconds; raise timeout in the ScaledObject",
)

// userText rewrites a library message for a command-line user.
func userText(s string) string {
	return userTerms.Replace(s)
}

// linePrinter writes one line per poll: the time, each trigger's value,
// the replica change and the rule that set it.
type linePrinter struct {
	mu       sync.Mutex
	stdout   io.Writer
	stderr   io.Writer
	describe func(error) string
}

func (p *linePrinter) start(stdout, stderr io.Writer, describe func(error) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stdout, p.stderr, p.describe = stdout, stderr, describe
}

func (p *linePrinter) print(d scaler.Decision) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stdout == nil {
		return
	}
	fmt.Fprintf(p.stdout, "%s  %s  replicas %d → %d  %s\n",
		d.Time.UTC().Format(time.TimeOnly), values(d), d.Replicas.Current, d.DesiredReplicas, rule(d))
	if d.Err != nil {
		fmt.Fprintln(p.stderr, p.describe(d.Err))
	}
}

// values returns "name=value" for each trigger, or "name=failed".
func values(d scaler.Decision) string {
	parts := make([]string, 0, len(d.Triggers))
	for _, t := range d.Triggers {
		value := strconv.FormatFloat(t.Value, 'g', -1, 64)
		if t.Err != nil {
			value = "failed"
		}
		parts = append(parts, t.Name+"="+value)
	}
	return strings.Join(parts, " ")
}

// rule returns the HPA's reason and arithmetic when the HPA decided, and
// the executor's action otherwise.
func rule(d scaler.Decision) string {
	if d.HPA == nil {
		return string(d.Action)
	}
	text := string(d.HPA.Reason())
	if proposals := d.HPA.Proposals(); len(proposals) > 0 {
		text += ": " + proposals[0].Formula()
	}
	return text
}
