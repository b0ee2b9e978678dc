//go:build linux

package realprom

import (
	"os"
	"syscall"
)

// sysProcAttr puts the server in its own process group, so that signals
// reach every process it starts, and makes the kernel send it SIGKILL when
// the test binary dies.
//
// NOTE: Linux sends the Pdeathsig signal when the thread that started the
// child exits, not only when the process does. The Go runtime ends a thread
// only when a goroutine returns while locked to it by runtime.LockOSThread,
// so a server started from such a goroutine is killed when it returns.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// terminate sends SIGTERM to the process group of p.
func terminate(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGTERM)
}

// kill sends SIGKILL to the process group of p.
func kill(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGKILL)
}
