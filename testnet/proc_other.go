//go:build !unix

package testnet

import (
	"errors"
	"os"
	"syscall"
	"time"
)

var errUnsupported = errors.New("testnet: pausing nodes needs a unix system")

func sysProcAttr() *syscall.SysProcAttr    { return nil }
func terminateProcess(p *os.Process) error { return p.Signal(os.Interrupt) }
func pauseProcess(*os.Process) error       { return errUnsupported }
func resumeProcess(*os.Process) error      { return nil }

// processAlive is best effort here: os.FindProcess fails for a pid that does not
// name a process.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// processCommand is unknown outside unix; isNodeProcess then trusts a live pid.
func processCommand(int) (string, error) { return "", errUnsupported }

// watchSupervisor is not available outside unix (no re-parenting to observe).
func watchSupervisor(int, time.Duration, time.Duration, *os.File) {}
