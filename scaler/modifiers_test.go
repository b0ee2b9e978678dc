package scaler

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestFormulaEval(t *testing.T) {
	names := []string{"trig_one", "trig_two", "s2-prometheus"}
	values := map[string]float64{"trig_one": 140, "trig_two": 60, "s2-prometheus": 5}

	tests := []struct {
		name    string
		formula string
		values  map[string]float64
		want    float64
		wantErr string
	}{
		{name: "eval: sum", formula: "trig_one + trig_two", want: 200},
		{name: "eval: average", formula: "(trig_one + trig_two) / 2", want: 100},
		{name: "eval: ternary takes first branch", formula: "trig_one > 2 ? trig_one : trig_two", want: 140},
		{name: "eval: ternary takes second branch", formula: "trig_two > 100 ? trig_two : 0", want: 0},
		{name: "eval: max function", formula: "max(trig_one, trig_two, 150)", want: 150},
		{name: "eval: min function", formula: "min(trig_one, trig_two)", want: 60},
		{name: "eval: abs function", formula: "abs(trig_two - trig_one)", want: 80},
		{name: "eval: int literal result", formula: "3", want: 3},
		{name: "eval: non-identifier name through $env", formula: `$env["s2-prometheus"] * 2`, want: 10},
		{name: "eval: missing value", formula: "trig_one + trig_two", values: map[string]float64{"trig_one": 1},
			wantErr: `no value for trigger "trig_two"`},
		{name: "eval: division by zero", formula: "trig_one / (trig_two - 60)",
			wantErr: `scalingModifiers.formula "trig_one / (trig_two - 60)": the result is +Inf, not a finite number`},
		{name: "eval: NaN result", formula: "(trig_two - 60) / (trig_two - 60)", wantErr: "the result is NaN"},
		{name: "eval: string branch result", formula: `trig_one > 2 ? "high" : 0`,
			wantErr: "the result high is of type string, not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := compileFormula(tt.formula, names)
			if err != nil {
				t.Fatalf("compileFormula(%q): %v", tt.formula, err)
			}
			in := values
			if tt.values != nil {
				in = tt.values
			}

			got, err := f.eval(in)

			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("eval() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("eval() error = %v, want %v", err, tt.want)
			}
			if got != tt.want {
				t.Errorf("eval() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompileFormulaErrors(t *testing.T) {
	tests := []struct {
		name    string
		formula string
		names   []string
		wantErr []string
	}{
		{name: "compile: empty formula", formula: "  ", names: []string{"a"},
			wantErr: []string{"scaler: scalingModifiers.formula is empty"}},
		{name: "compile: syntax error", formula: "a +", names: []string{"a"},
			wantErr: []string{`scaler: scalingModifiers.formula "a +": unexpected token EOF at line 1, column 3`, "fix the expression"}},
		{name: "compile: unknown name", formula: "a + c", names: []string{"b", "a"},
			wantErr: []string{"unknown name c at line 1, column 5", `use one of the trigger names "a", "b"`}},
		{name: "compile: unknown name without triggers", formula: "a",
			wantErr: []string{"unknown name a", "there are no triggers"}},
		{name: "compile: name with dash", formula: "s0-prometheus / 2", names: []string{"s0-prometheus"},
			wantErr: []string{`trigger "s0-prometheus" is not a valid identifier`, `write $env["s0-prometheus"] or rename the trigger`}},
		{name: "compile: boolean result", formula: "a > 2", names: []string{"a"},
			wantErr: []string{"the result is of type bool, not a number"}},
		{name: "compile: string result", formula: `"a"`, names: []string{"a"},
			wantErr: []string{"the result is of type string, not a number"}},
		{name: "compile: trigger hides function", formula: "max(a, 2)", names: []string{"a", "max"},
			wantErr: []string{`trigger "max" hides the expr function of the same name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := compileFormula(tt.formula, tt.names)
			if err == nil {
				t.Fatalf("compileFormula(%q) = %v, want an error", tt.formula, f)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines, want one line", err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestFormulaNames(t *testing.T) {
	f, err := compileFormula(`trig_two + $env["s0-prometheus"] + trig_two * 2`, []string{"trig_one", "trig_two", "s0-prometheus"})
	if err != nil {
		t.Fatal(err)
	}

	want := []string{"s0-prometheus", "trig_two"}
	if got := f.names(); !slices.Equal(got, want) {
		t.Errorf("names() = %q, want %q", got, want)
	}
	if got := f.String(); got != `trig_two + $env["s0-prometheus"] + trig_two * 2` {
		t.Errorf("String() = %q, want the formula text", got)
	}
	f.names()[0] = "changed"
	if got := f.names(); !slices.Equal(got, want) {
		t.Errorf("names() after changing a returned slice = %q, want %q", got, want)
	}
}

func TestFormulaEvalConcurrent(t *testing.T) {
	f, err := compileFormula("(a + b) / 2", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				a := float64(i * j)
				got, err := f.eval(map[string]float64{"a": a, "b": a + 2})
				if err != nil || got != a+1 {
					t.Errorf("eval(a=%v, b=%v) = %v, %v; want %v", a, a+2, got, err, a+1)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkFormulaEval(b *testing.B) {
	f, err := compileFormula("trig_one > 100 ? max(trig_one, trig_two) : (trig_one + trig_two) / 2", []string{"trig_one", "trig_two"})
	if err != nil {
		b.Fatal(err)
	}
	values := map[string]float64{"trig_one": 140, "trig_two": 60}

	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.eval(values); err != nil {
			b.Fatal(err)
		}
	}
}
