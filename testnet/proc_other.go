//go:build !unix

package testnet

import (
	"errors"
	"os"
	"syscall"
)

var errUnsupported = errors.New("testnet: pausing nodes needs a unix system")

func sysProcAttr() *syscall.SysProcAttr    { return nil }
func terminateProcess(p *os.Process) error { return p.Signal(os.Interrupt) }
func pauseProcess(*os.Process) error       { return errUnsupported }
func resumeProcess(*os.Process) error      { return nil }
