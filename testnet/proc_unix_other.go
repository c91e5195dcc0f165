//go:build unix && !linux

package testnet

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sysProcAttr puts each node in its own process group, so a Ctrl-C in the
// terminal reaches only the supervisor, which then stops the nodes in order.
// There is no Pdeathsig outside Linux: a node notices its supervisor is gone with
// watchSupervisor (parent pid polled every second) and stops itself.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// processAlive reports whether pid is a live process (not a zombie, per ps).
func processAlive(pid int) bool {
	if !signalExists(pid) {
		return false
	}
	out, err := psField(pid, "stat=")
	if err != nil {
		return true // exists, state unknown
	}
	return !strings.HasPrefix(out, "Z")
}

// processCommand returns pid's command line as ps shows it (arguments joined by
// spaces).
func processCommand(pid int) (string, error) { return psField(pid, "command=") }

func psField(pid int, field string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ps", "-ww", "-o", field, "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
