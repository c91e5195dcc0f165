//go:build linux

package testnet

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts each node in its own process group, so a Ctrl-C in the
// terminal reaches only the supervisor, which then stops the nodes in order; and
// asks the kernel to send the node SIGTERM (a clean stop) when the supervisor
// dies, however it dies (SIGKILL included). Pdeathsig is tied to the thread that
// forked the node; the Go runtime does not end threads of goroutines that are not
// locked to one, and the supervisor locks none. watchSupervisor backs it up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// processAlive reports whether pid is a live process: it exists and is not a
// zombie (a dead child that nobody reaped, which /proc still lists).
func processAlive(pid int) bool {
	if !signalExists(pid) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err)
	}
	// "pid (comm) S ...": the state follows the last ')' (comm may hold one).
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return true
	}
	return stat[i+2] != 'Z' && stat[i+2] != 'X'
}

// processCommand returns pid's argv joined by spaces, from /proc/<pid>/cmdline
// (empty for a zombie or a kernel thread).
func processCommand(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return "", err
	}
	return strings.Join(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), " "), nil
}
