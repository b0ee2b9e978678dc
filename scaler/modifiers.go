package scaler

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// formula is a compiled scalingModifiers formula. It does not change after
// compileFormula returns, so eval may run from many goroutines at once.
type formula struct {
	text    string
	program *vm.Program
	used    []string
}

// compileFormula checks formula against the trigger names and compiles it.
//
// The formula is an expression of github.com/expr-lang/expr in which every
// trigger name is a float64 variable, as in KEDA's
// spec.advanced.scalingModifiers.formula. A trigger name that is not an
// identifier, such as "s0-prometheus", can only be read as
// $env["s0-prometheus"], because expr parses a dash as subtraction.
// compileFormula rejects an empty formula, a syntax error, an unknown name
// and a result type that is known at compile time and is not a number.
func compileFormula(text string, triggerNames []string) (*formula, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errors.New(`scaler: scalingModifiers.formula is empty; write an expression over the trigger names, such as "(trig_one + trig_two) / 2"`)
	}

	env := make(map[string]float64, len(triggerNames))
	for _, name := range triggerNames {
		env[name] = 0
	}
	program, err := expr.Compile(text, expr.Env(env))
	if err != nil {
		return nil, compileError(text, err, triggerNames)
	}

	if t := program.Node().Type(); !isNumberType(t) {
		return nil, fmt.Errorf("scaler: scalingModifiers.formula %q: the result is of type %v, not a number; make the formula return a number, for example with a ternary such as \"a > 2 ? 1 : 0\"", text, t)
	}
	return &formula{text: text, program: program, used: usedNames(program.Node(), env)}, nil
}

// eval runs the formula on the trigger values, keyed by trigger name. Every
// trigger the formula uses must have a value. An int result converts to
// float64. A result that is NaN, ±Inf or not a number is an error.
func (f *formula) eval(values map[string]float64) (float64, error) {
	var missing []string
	for _, name := range f.used {
		if _, ok := values[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("scaler: scalingModifiers.formula %q: no value for trigger %s; the formula needs a value from every trigger it uses", f.text, quoteList(missing))
	}

	out, err := vm.Run(f.program, values)
	if err != nil {
		return 0, fmt.Errorf("scaler: scalingModifiers.formula %q: evaluation failed: %w", f.text, shortenExprError(err))
	}

	v, ok := toFloat64(out)
	if !ok {
		return 0, fmt.Errorf("scaler: scalingModifiers.formula %q: the result %v is of type %T, not a number; make every branch of the formula return a number", f.text, out, out)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("scaler: scalingModifiers.formula %q: the result is %v, not a finite number; guard divisions against zero, such as \"b > 0 ? a / b : 0\"", f.text, v)
	}
	return v, nil
}

// String returns the formula text.
func (f *formula) String() string { return f.text }

// names returns the trigger names the formula uses, sorted.
func (f *formula) names() []string { return slices.Clone(f.used) }

// compileError wraps an error of expr.Compile with a hint on how to fix the
// formula.
func compileError(text string, err error, triggerNames []string) error {
	var fileErr *file.Error
	if !errors.As(err, &fileErr) {
		return fmt.Errorf("scaler: scalingModifiers.formula %q: %w", text, err)
	}

	if shadowing := builtinNames(triggerNames); len(shadowing) > 0 && strings.HasSuffix(fileErr.Message, " is not callable") {
		return fmt.Errorf("scaler: scalingModifiers.formula %q: %w; trigger %s hides the expr function of the same name, so rename the trigger", text, shortenExprError(err), quoteList(shadowing))
	}
	unknown, ok := strings.CutPrefix(fileErr.Message, "unknown name ")
	if !ok {
		return fmt.Errorf("scaler: scalingModifiers.formula %q: %w; fix the expression, whose syntax is described at https://expr-lang.org/docs/language-definition", text, shortenExprError(err))
	}
	if name, found := nonIdentifierWithPart(triggerNames, unknown); found {
		return fmt.Errorf("scaler: scalingModifiers.formula %q: %w; trigger %q is not a valid identifier, so write $env[%q] or rename the trigger to letters, digits and underscores", text, shortenExprError(err), name, name)
	}
	if len(triggerNames) == 0 {
		return fmt.Errorf("scaler: scalingModifiers.formula %q: %w; there are no triggers, so add triggers with names", text, shortenExprError(err))
	}
	return fmt.Errorf("scaler: scalingModifiers.formula %q: %w; use one of the trigger names %s", text, shortenExprError(err), quoteList(sortedCopy(triggerNames)))
}

// nonIdentifierWithPart returns the first trigger name that expr cannot read
// as a variable and that contains part between non-identifier characters,
// as "s0-prometheus" contains "s0" and "prometheus".
func nonIdentifierWithPart(triggerNames []string, part string) (string, bool) {
	for _, name := range triggerNames {
		if isIdentifier(name) {
			continue
		}
		notIdentifierRune := func(r rune) bool { return r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }
		if slices.Contains(strings.FieldsFunc(name, notIdentifierRune), part) {
			return name, true
		}
	}
	return "", false
}

// builtinNames returns the trigger names that are also names of expr's
// built-in functions, sorted.
func builtinNames(triggerNames []string) []string {
	var names []string
	for _, name := range triggerNames {
		if _, ok := builtin.Index[name]; ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// isIdentifier reports whether expr parses name as a lone variable, which
// rules out operators such as '-', keywords such as "in" and literals such
// as "true".
func isIdentifier(name string) bool {
	tree, err := parser.Parse(name)
	if err != nil {
		return false
	}
	id, ok := tree.Node.(*ast.IdentifierNode)
	return ok && id.Value == name
}

// usedNames returns the names of env that node reads, either as a variable
// or as $env["name"], sorted.
func usedNames(node ast.Node, env map[string]float64) []string {
	collector := &nameCollector{env: env, seen: map[string]bool{}}
	ast.Walk(&node, collector)

	names := make([]string, 0, len(collector.seen))
	for name := range collector.seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// nameCollector is an ast.Visitor that records the trigger names an
// expression reads.
type nameCollector struct {
	env  map[string]float64
	seen map[string]bool
}

func (c *nameCollector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if _, ok := c.env[n.Value]; ok {
			c.seen[n.Value] = true
		}
	case *ast.MemberNode:
		base, isIdent := n.Node.(*ast.IdentifierNode)
		key, isString := n.Property.(*ast.StringNode)
		if isIdent && base.Value == "$env" && isString {
			if _, ok := c.env[key.Value]; ok {
				c.seen[key.Value] = true
			}
		}
	}
}

// isNumberType reports whether a compile-time result type can be a number:
// an integer, a float, or an interface whose value is known only at run time
// (as for a ternary with branches of different types).
func isNumberType(t reflect.Type) bool {
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.Interface,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// toFloat64 converts a numeric result of expr to float64.
func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// exprError is an error of expr without the source snippet that expr
// appends on extra lines, so that the message stays on one line.
type exprError struct{ err *file.Error }

func (e exprError) Error() string {
	if e.err.Line == 0 {
		return e.err.Message
	}
	return fmt.Sprintf("%s at line %d, column %d", e.err.Message, e.err.Line, e.err.Column+1)
}

func (e exprError) Unwrap() error { return e.err }

// shortenExprError returns err as an exprError when it is a positioned
// error of expr, and err itself otherwise.
func shortenExprError(err error) error {
	var fileErr *file.Error
	if errors.As(err, &fileErr) {
		return exprError{err: fileErr}
	}
	return err
}

// quoteList formats names as "a", "b", "c".
func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, name := range names {
		quoted[i] = fmt.Sprintf("%q", name)
	}
	return strings.Join(quoted, ", ")
}

func sortedCopy(names []string) []string {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	return sorted
}
