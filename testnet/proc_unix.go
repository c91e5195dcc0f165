//go:build unix

package testnet

import (
	"os"
	"syscall"
)

// sysProcAttr puts each node in its own process group, so a Ctrl-C in the
// terminal reaches only the runner, which then stops the nodes in order.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func terminateProcess(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
func pauseProcess(p *os.Process) error     { return p.Signal(syscall.SIGSTOP) }
func resumeProcess(p *os.Process) error    { return p.Signal(syscall.SIGCONT) }
