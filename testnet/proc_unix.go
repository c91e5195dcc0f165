//go:build unix

package testnet

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"
)

func terminateProcess(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
func pauseProcess(p *os.Process) error     { return p.Signal(syscall.SIGSTOP) }
func resumeProcess(p *os.Process) error    { return p.Signal(syscall.SIGCONT) }

// signalExists reports whether pid names a process (kill(pid, 0)); EPERM means it
// exists but belongs to another user. A zombie still exists for kill.
func signalExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// watchSupervisor is the node side of the supervisor link on every unix: it polls
// the parent pid every interval and, once it is no longer supervisor (the
// supervisor died and the node was re-parented, to init or a subreaper), sends
// SIGTERM to its own process, which `poaledger start` handles as a clean stop. If
// the node is still alive grace later, it exits with status 1.
func watchSupervisor(supervisor int, interval, grace time.Duration, stderr *os.File) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for os.Getppid() == supervisor {
		<-t.C
	}
	_, _ = stderr.WriteString("poaledger: testnet supervisor (pid " + strconv.Itoa(supervisor) + ") is gone; stopping this node\n")
	_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.AfterFunc(grace, func() {
		_, _ = stderr.WriteString("poaledger: node did not stop within " + grace.String() + " of its supervisor's exit; exiting\n")
		os.Exit(1)
	})
}
