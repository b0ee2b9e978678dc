//go:build !linux

package realprom

import (
	"os"
	"syscall"
)

// sysProcAttr returns nil: outside Linux the server stays in the test's
// process group and has no parent-death signal, so a test binary that is
// killed can leave it running.
func sysProcAttr() *syscall.SysProcAttr {
	return nil
}

// terminate sends p an interrupt signal. It fails on Windows, which has no interrupt
// signal for another process, and the caller then kills p.
func terminate(p *os.Process) error {
	return p.Signal(os.Interrupt)
}

// kill ends p at once.
func kill(p *os.Process) error {
	return p.Kill()
}
