package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLibraryImportsNoClientGo checks that client-go and the Kubernetes
// API types stay in this command: a host that embeds the library does not
// pay for them.
func TestLibraryImportsNoClientGo(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	packages := []string{"./hpa", "./promql", "./sigv4", "./amp", "./amp/amptest", "./scaler"}

	cmd := exec.Command(goTool, append([]string{"list", "-deps"}, packages...)...)
	cmd.Dir = "../.."
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, output)
	}

	deps := strings.Fields(string(output))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed no packages")
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, "k8s.io/client-go/") || strings.HasPrefix(dep, "k8s.io/api/") {
			t.Errorf("a library package depends on %s", dep)
		}
	}
}
