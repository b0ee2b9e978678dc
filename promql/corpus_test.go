package promql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	promqlengine "github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/util/teststorage"
)

// The Prometheus module ships its engine's acceptance tests as scripts in this folder.
const (
	prometheusModule = "github.com/prometheus/prometheus"
	corpusFolder     = "promql/promqltest/testdata"
)

// Script commands of the engine's test files. Only instant evaluations are read: a range
// evaluation runs the query as a range query, which a scaler never does.
var (
	corpusLoad        = regexp.MustCompile(`^load(_[a-z_]+)?\s`)
	corpusCommand     = regexp.MustCompile(`^(clear$|(load|eval)(_[a-z_]+)?\s)`)
	corpusEvalInstant = regexp.MustCompile(`^eval(?:_(fail|warn|ordered|info))?\s+instant\s+at\s+(\S+)\s+(.+)$`)
)

// corpusEval is one instant evaluation of a test file.
type corpusEval struct {
	file  string // the base name of the test file
	line  int    // 1-based line of the eval command
	expr  string
	at    time.Time
	fails bool // eval_fail: the engine is expected to reject the expression

	// loads contains the load commands that run before the evaluation since the last clear,
	// each as script text that promqltest.LoadedStorage reads.
	loads []string
}

// corpusDir returns the folder of the engine's test files in the module cache. The error
// explains how to make the folder available.
func corpusDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", prometheusModule).Output()
	if err != nil {
		return "", fmt.Errorf("locating module %s with go list failed: %w; put the go command in PATH and run go mod download", prometheusModule, err)
	}
	moduleDir := strings.TrimSpace(string(out))
	if moduleDir == "" {
		return "", fmt.Errorf("module %s is not in the module cache; run go mod download", prometheusModule)
	}
	dir := filepath.Join(moduleDir, filepath.FromSlash(corpusFolder))
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("the test files of module %s are missing: %w; run go mod download", prometheusModule, err)
	}
	return dir, nil
}

// requireCorpus returns the instant evaluations of every test file. Without the module cache
// it skips the test, unless the environment variable CI is set, where it fails.
func requireCorpus(tb testing.TB) []corpusEval {
	tb.Helper()
	evals, err := loadCorpus()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("reading the Prometheus engine's test files: %v", err)
		}
		tb.Skipf("reading the Prometheus engine's test files: %v", err)
	}
	return evals
}

// corpusExpressions returns the expression of every instant evaluation, or none without the
// module cache.
func corpusExpressions() []string {
	evals, err := loadCorpus()
	if err != nil {
		return nil
	}
	exprs := make([]string, 0, len(evals))
	for _, ev := range evals {
		exprs = append(exprs, ev.expr)
	}
	return exprs
}

func loadCorpus() ([]corpusEval, error) {
	dir, err := corpusDir()
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.test"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .test files in %s", dir)
	}

	var evals []corpusEval
	for _, file := range files {
		content, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		fileEvals, err := parseCorpusFile(filepath.Base(file), string(content))
		if err != nil {
			return nil, err
		}
		evals = append(evals, fileEvals...)
	}
	return evals, nil
}

// parseCorpusFile reads the commands of one test file. A clear command is one line. A load or
// eval command runs to the next blank line or command, and a line that starts with "#" is a
// comment.
func parseCorpusFile(name, content string) ([]corpusEval, error) {
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			l = ""
		}
		lines[i] = l
	}

	var evals []corpusEval
	var loads []string
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		command := lines[i]
		end := i + 1
		for command != "clear" && end < len(lines) && lines[end] != "" && !corpusCommand.MatchString(lines[end]) {
			end++
		}

		switch {
		case command == "clear":
			loads = nil
		case corpusLoad.MatchString(command):
			loads = append(loads, strings.Join(lines[i:end], "\n"))
		case strings.HasPrefix(command, "eval"):
			ev, ok, err := parseCorpusEval(command)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
			}
			if ok {
				ev.file, ev.line, ev.loads = name, i+1, slices.Clip(loads)
				evals = append(evals, ev)
			}
		default:
			return nil, fmt.Errorf("%s:%d: unknown command %q", name, i+1, command)
		}
		i = end - 1
	}
	return evals, nil
}

// parseCorpusEval reads an eval command, and returns false for a range evaluation.
func parseCorpusEval(command string) (corpusEval, bool, error) {
	parts := corpusEvalInstant.FindStringSubmatch(command)
	if parts == nil {
		if strings.Contains(command, " range ") {
			return corpusEval{}, false, nil
		}
		return corpusEval{}, false, errors.New("invalid eval command " + command)
	}
	offset, err := model.ParseDuration(parts[2])
	if err != nil {
		return corpusEval{}, false, fmt.Errorf("invalid evaluation time %q: %w", parts[2], err)
	}
	return corpusEval{
		expr:  parts[3],
		at:    time.Unix(0, 0).UTC().Add(time.Duration(offset)),
		fails: parts[1] == "fail",
	}, true, nil
}

// copyLabel is the label that distinguishes the copy of a loaded series from the series itself.
const copyLabel = "promscaler_copy"

// withCopies returns load commands that load every series of loads twice: as it is, and
// with the extra label copyLabel="1". A query that returns one series on the original data
// returns two on the doubled data when its result keeps one series per input series.
//
// The copies go into the command of their originals, because the storage rejects samples
// older than those of an earlier command. Info series (names ending in _info) are not
// copied: info() joins each series to the info series with the same identifying labels, and
// a copy with those labels would make every join fail as ambiguous. The copies of the other
// series still join to the original info series.
func withCopies(loads []string) []string {
	doubled := make([]string, 0, len(loads))
	for _, load := range loads {
		lines := strings.Split(load, "\n")
		for _, line := range lines[1:] {
			if isInfoSeries(line) {
				continue
			}
			if copied, ok := addCopyLabel(line); ok {
				lines = append(lines, copied)
			}
		}
		doubled = append(doubled, strings.Join(lines, "\n"))
	}
	return doubled
}

// isInfoSeries reports whether a line of a load command loads an info series, such as
// `target_info{job="a"} 1`.
func isInfoSeries(line string) bool {
	name := strings.TrimSpace(line)
	if i := strings.IndexAny(name, "{ \t"); i >= 0 {
		name = name[:i]
	}
	return strings.HasSuffix(strings.TrimSuffix(name, "@st"), "_info")
}

// addCopyLabel adds copyLabel to the series of a line of a load command, such as
// `x{a="b"} 1+1x5`, `{"x.y"} 1` or `x@st 1`. It returns false for a line it cannot read.
func addCopyLabel(line string) (string, bool) {
	label := copyLabel + `="1"`
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '{':
			end := closingBrace(line, i)
			if end < 0 {
				return "", false
			}
			inner := strings.TrimSpace(line[i+1 : end])
			if inner != "" && !strings.HasSuffix(inner, ",") {
				label = "," + label
			}
			return line[:end] + label + line[end:], true
		case c == ' ' || c == '\t':
			name := strings.TrimSuffix(line[:i], "@st")
			return name + "{" + label + "}" + line[len(name):], true
		}
	}
	return "", false
}

// closingBrace returns the index of the brace that closes the one at open, or -1.
func closingBrace(line string, open int) int {
	inQuote := false
	for i := open + 1; i < len(line); i++ {
		switch c := line[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '}':
			return i
		}
	}
	return -1
}

// TestCheckSoundOnEngineTests loads the series of each test file of the Prometheus engine into
// the real engine, evaluates every instant evaluation at its time and compares the result with
// the verdict of Check. The engine and its storage have the options of the engine's own
// acceptance tests. Each expression also runs on a second data set that contains every series
// of the file twice, once with the extra label promscaler_copy="1" (see withCopies).
//
// The count N in the output line is the number of instant evaluations that the engine
// evaluated without error on the file's own data. It excludes range evaluations, which run a
// range query, and the evaluations on which the engine fails, such as eval_fail and
// "expect fail" cases.
//
// A verdict is unsound when a result on either data set does not fit it. That is a result of
// other than exactly one series for CardinalityOne, of more than one series for
// CardinalityAtMostOne, and of another type for the other verdicts: a scalar, a matrix, a
// string, or a vector for CardinalityMany. The test fails on any unsound verdict.
//
// A usable result is one a scaler can read: a scalar or a vector of at most one series. A
// rejection is a report with an error (Report.OK is false) on an expression with a usable
// result on the file's data. It is
//   - justified when the doubled data make the engine return several series or another
//     type, which proves that the expression can return more than one value;
//   - undecided when the engine returns no series on either data set, so that neither data
//     set shows how many series the expression returns for data that it matches;
//   - a false alarm otherwise, including when the engine fails on the doubled data.
//
// The false alarm rate is the number of false alarms divided by the number of usable results
// on the file's data, and the test fails when it is above 5 %. Warnings, such as
// may-be-empty, are no false alarms because they describe data that the file does not load.
func TestCheckSoundOnEngineTests(t *testing.T) {
	evals := requireCorpus(t)
	engine := promqltest.NewTestEngine(t, false, 0, promqltest.DefaultMaxSamplesPerQuery)

	var (
		mu      sync.Mutex
		outcome corpusOutcome
	)
	// The files run in parallel subtests, which end before the group does.
	t.Run("files", func(t *testing.T) {
		for file, fileEvals := range evalsByFile(evals) {
			t.Run(file, func(t *testing.T) {
				t.Parallel()
				fileOutcome := evalCorpusFile(t, engine, fileEvals)
				mu.Lock()
				defer mu.Unlock()
				outcome.merge(fileOutcome)
			})
		}
	})

	line := fmt.Sprintf("soundness: %d expressions, %d unsound, %d false alarms", outcome.evaluated, len(outcome.unsound), len(outcome.falseAlarms))
	// Tooling reads the line from standard output, which go test shows with -v.
	fmt.Println(line)
	t.Logf("%d usable results, %d justified rejections, %d undecided rejections", outcome.usable, outcome.justified, outcome.undecided)
	for _, alarm := range outcome.falseAlarms {
		t.Logf("false alarm: %s", alarm)
	}
	for _, unsound := range outcome.unsound {
		t.Errorf("unsound: %s", unsound)
	}
	if rate := float64(len(outcome.falseAlarms)) / float64(max(outcome.usable, 1)); rate > 0.05 {
		t.Errorf("false alarm rate %.1f %% (%d of %d usable results) is above 5 %%", 100*rate, len(outcome.falseAlarms), outcome.usable)
	}
}

func evalsByFile(evals []corpusEval) map[string][]corpusEval {
	files := make(map[string][]corpusEval)
	for _, ev := range evals {
		files[ev.file] = append(files[ev.file], ev)
	}
	return files
}

// evalCorpusFile runs the instant evaluations of one file on the file's data and on the
// doubled data, and compares the results with the verdicts of Check.
func evalCorpusFile(t *testing.T, engine *promqlengine.Engine, evals []corpusEval) corpusOutcome {
	original, doubled := newCorpusStorages(t), newCorpusStorages(t)
	defer original.close()
	defer doubled.close()

	var outcome corpusOutcome
	for _, ev := range evals {
		if ev.fails {
			continue
		}
		value := evalCorpus(engine, original.get(ev.loads), ev)
		if value == nil {
			continue
		}
		outcome.add(ev, Check(ev.expr), value, evalCorpus(engine, doubled.get(withCopies(ev.loads)), ev))
	}
	return outcome
}

// evalCorpus runs an instant query of ev, and returns nil when the engine fails on it.
func evalCorpus(engine *promqlengine.Engine, store *teststorage.TestStorage, ev corpusEval) parser.Value {
	ctx := context.Background()
	q, err := engine.NewInstantQuery(ctx, store, nil, ev.expr, ev.at)
	if err != nil {
		return nil
	}
	defer q.Close()
	result := q.Exec(ctx)
	if result.Err != nil {
		return nil
	}
	return result.Value
}

// corpusOutcome counts the verdicts of Check against the results of the engine.
type corpusOutcome struct {
	evaluated   int // expressions that the engine evaluated on the file's data
	usable      int // evaluated expressions with a usable result on the file's data
	justified   int // rejections of usable results that the doubled data justify
	undecided   int // rejections of expressions that return no series on either data set
	unsound     []string
	falseAlarms []string
}

func (o *corpusOutcome) merge(other corpusOutcome) {
	o.evaluated += other.evaluated
	o.usable += other.usable
	o.justified += other.justified
	o.undecided += other.undecided
	o.unsound = append(o.unsound, other.unsound...)
	o.falseAlarms = append(o.falseAlarms, other.falseAlarms...)
}

// add records the verdict of report for an expression with the result value on the file's
// data and doubledValue on the doubled data, which is nil when the engine failed.
func (o *corpusOutcome) add(ev corpusEval, report Report, value, doubledValue parser.Value) {
	o.evaluated++
	where := fmt.Sprintf("%s:%d: %s is classified as %s (%s)", ev.file, ev.line, ev.expr, report.Cardinality, report.Reason)
	if !resultFits(report.Cardinality, value) {
		o.unsound = append(o.unsound, fmt.Sprintf("%s, but the engine returned %s", where, describeResult(value)))
	}
	if doubledValue != nil && !resultFits(report.Cardinality, doubledValue) {
		o.unsound = append(o.unsound, fmt.Sprintf("%s, but the engine returned %s on the doubled data", where, describeResult(doubledValue)))
	}

	if !usableResult(value) {
		return
	}
	o.usable++
	switch {
	case report.OK():
	case doubledValue != nil && !usableResult(doubledValue):
		o.justified++
	case isEmptyVector(value) && isEmptyVector(doubledValue):
		o.undecided++
	default:
		o.falseAlarms = append(o.falseAlarms, fmt.Sprintf("%s, but the engine returned %s, and %s on the doubled data", where, describeResult(value), describeResult(doubledValue)))
	}
}

// usableResult reports whether a scaler can read one value from the result.
func usableResult(value parser.Value) bool {
	switch v := value.(type) {
	case promqlengine.Scalar:
		return true
	case promqlengine.Vector:
		return len(v) <= 1
	default:
		return false
	}
}

func isEmptyVector(value parser.Value) bool {
	v, ok := value.(promqlengine.Vector)
	return ok && len(v) == 0
}

// corpusStorages keeps the storage of the most recent load commands, so that the evaluations
// after the same loads share it.
type corpusStorages struct {
	t     *testing.T
	loads string
	store *teststorage.TestStorage
}

func newCorpusStorages(t *testing.T) *corpusStorages {
	return &corpusStorages{t: t}
}

func (s *corpusStorages) get(loads []string) *teststorage.TestStorage {
	script := strings.Join(loads, "\n\n")
	if s.store != nil && script == s.loads {
		return s.store
	}
	s.close()
	s.loads = script
	s.store = promqltest.LoadedStorage(s.t, script, builtinStorageOptions)
	return s.store
}

func (s *corpusStorages) close() {
	if s.store != nil {
		_ = s.store.Close()
		s.store = nil
	}
}

// builtinStorageOptions are the storage options of promqltest.NewBuiltinTestStorage, which
// the start timestamp tests need. A small stripe size makes opening the storage cheap for
// files with few series, without changing query results.
func builtinStorageOptions(opts *tsdb.Options) {
	opts.EnableSTStorage = true
	opts.FloatChunkEncoding = chunkenc.EncXOR2
	opts.EnableHistogramSTEncoding = true
	opts.StripeSize = 64
}
