//go:build unix

package testnet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poaledger/poaledger/internal/testutil"
)

// Liveness deadlines of the supervisor tests: they only keep a broken build from
// hanging; nothing is asserted about how fast anything happens.
const (
	supervisorUp   = StartupTimeout + 30*time.Second // `testnet start` prints "press Ctrl-C"
	supervisorDown = DefaultStopTimeout + 30*time.Second
	nodesGone      = DefaultStopTimeout + 30*time.Second // nodes of a dead supervisor exit
)

// syncBuffer is an io.Writer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// supervisor is a `poaledger testnet start DIR` process.
type supervisor struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // Wait's result, valid after done
}

// initSupervised writes a loopback testnet of n validators for the supervisor tests.
func initSupervised(t *testing.T, n int) *Manifest {
	t.Helper()
	m, err := Init(InitOptions{Dir: filepath.Join(t.TempDir(), "net"), Validators: n, ChainID: "supervise",
		BasePort: freeBasePort(t, n), Tune: fastConsensus})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// startSupervisor runs `testnet start dir`; the test's cleanup kills it and its
// nodes if it is still running (SIGTERM, then SIGKILL).
func startSupervisor(t *testing.T, m *Manifest) *supervisor {
	t.Helper()
	s := &supervisor{cmd: exec.Command(testBinary, "testnet", "start", m.Dir()), out: &syncBuffer{}, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(supervisorDown):
				_ = s.cmd.Process.Kill()
				<-s.done
			}
		}
		if t.Failed() {
			t.Logf("testnet start output:\n%s", s.out)
			for i, n := range m.Nodes {
				dumpLogTail(t, n.Name, filepath.Join(m.HomePath(i), LogFile))
			}
		}
	})
	return s
}

// waitOutput polls the supervisor's output until it contains want.
func (s *supervisor) waitOutput(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := testutil.Poll(ctx, fmt.Sprintf("testnet start prints %q", want), func(context.Context) error {
		if strings.Contains(s.out.String(), want) {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("exited (%v) without it", s.err)
		default:
			return errors.New("not yet")
		}
	})
	if err != nil {
		t.Fatalf("%v\noutput:\n%s", err, s.out)
	}
}

// wait waits for the supervisor to exit and returns its exit code.
func (s *supervisor) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(timeout):
		t.Fatalf("testnet start still running %s later; output:\n%s", timeout, s.out)
	}
	return exitCode(t, s.err)
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode()
	}
	t.Fatalf("process did not exit normally: %v", err)
	return -1
}

// nodePIDs reads every node's pid file and checks it names a live node process.
func nodePIDs(t *testing.T, m *Manifest) []int {
	t.Helper()
	pids := make([]int, len(m.Nodes))
	for i := range m.Nodes {
		pid, err := readPIDFile(m.PIDPath(i))
		if err != nil {
			t.Fatal(err)
		}
		home, _ := filepath.Abs(m.HomePath(i))
		if !isNodeProcess(pid, home) {
			t.Fatalf("%s: pid file names %d, not a live node process for %s", m.Nodes[i].Name, pid, home)
		}
		pids[i] = pid
	}
	return pids
}

// waitGone polls until none of pids is a live process (a zombie that nobody
// reaps counts as gone).
func waitGone(t *testing.T, what string, pids []int, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := testutil.Poll(ctx, what, func(context.Context) error {
		var alive []string
		for _, pid := range pids {
			if processAlive(pid) {
				alive = append(alive, strconv.Itoa(pid))
			}
		}
		if len(alive) > 0 {
			return fmt.Errorf("still alive: %s", strings.Join(alive, " "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// stoppedCleanly checks each node's log shows the clean stop path (SIGTERM
// handled by `poaledger start`), not a kill.
func stoppedCleanly(t *testing.T, m *Manifest) {
	t.Helper()
	for i, n := range m.Nodes {
		b, err := os.ReadFile(filepath.Join(m.HomePath(i), LogFile))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "stopping poaledger node") {
			t.Errorf("%s's log shows no clean stop", n.Name)
		}
	}
}

// TestStartRefusesRunningTestnetAndStopsOnSIGHUP: a second `testnet start` of a
// running testnet refuses with exit status 1 and names every node and pid, leaving
// the running nodes alone; SIGHUP (terminal closed) then stops the first one like
// Ctrl-C: every node stops cleanly, the pid files go, exit status 0.
func TestStartRefusesRunningTestnetAndStopsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a testnet; skipped with -short")
	}
	m := initSupervised(t, 2)
	first := startSupervisor(t, m)
	first.waitOutput(t, "press Ctrl-C", supervisorUp)
	pids := nodePIDs(t, m)

	ctx, cancel := context.WithTimeout(context.Background(), supervisorUp)
	defer cancel()
	second := exec.CommandContext(ctx, testBinary, "testnet", "start", m.Dir())
	out, err := second.CombinedOutput()
	if code := exitCode(t, err); code != 1 {
		t.Fatalf("second testnet start: exit status %d, want 1; output:\n%s", code, out)
	}
	for i, n := range m.Nodes {
		if want := fmt.Sprintf("%s (pid %d)", n.Name, pids[i]); !bytes.Contains(out, []byte(want)) {
			t.Errorf("second testnet start's message lacks %q:\n%s", want, out)
		}
	}
	if got := nodePIDs(t, m); fmt.Sprint(got) != fmt.Sprint(pids) {
		t.Fatalf("pid files changed from %v to %v", pids, got)
	}
	report(t, "second start refused (exit 1): %s", strings.TrimSpace(string(out)))

	hup := time.Now()
	if err := first.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if code := first.wait(t, supervisorDown); code != 0 {
		t.Fatalf("testnet start after SIGHUP: exit status %d, want 0; output:\n%s", code, first.out)
	}
	took := time.Since(hup)
	if !strings.Contains(first.out.String(), "all nodes stopped") {
		t.Errorf("output after SIGHUP lacks \"all nodes stopped\":\n%s", first.out)
	}
	waitGone(t, "nodes stopped after SIGHUP", pids, nodesGone)
	for i := range m.Nodes {
		if _, err := os.Stat(m.PIDPath(i)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after a clean stop (%v)", m.PIDPath(i), err)
		}
	}
	stoppedCleanly(t, m)
	report(t, "SIGHUP: supervisor exited 0 and stopped pids %v cleanly in %s", pids, took.Round(time.Millisecond))
}

// TestStartNodesDieWithKilledSupervisor: SIGKILL of `testnet start` (no chance to
// clean up) still ends every node, through the kernel's Pdeathsig SIGTERM, so
// they stop cleanly; the next `testnet start` removes the stale pid files with a
// note and runs.
func TestStartNodesDieWithKilledSupervisor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a testnet; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("Pdeathsig is Linux-only; on %s nodes rely on the parent-pid watchdog (TestNodeStopsWhenSupervisorIsGone)", runtime.GOOS)
	}
	m := initSupervised(t, 2)
	first := startSupervisor(t, m)
	first.waitOutput(t, "press Ctrl-C", supervisorUp)
	pids := nodePIDs(t, m)

	killed := time.Now()
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.done
	waitGone(t, "nodes of a SIGKILLed supervisor", pids, nodesGone)
	took := time.Since(killed)
	stoppedCleanly(t, m)
	for i := range m.Nodes {
		if _, err := os.Stat(m.PIDPath(i)); err != nil {
			t.Fatalf("pid file of a killed supervisor: %v", err)
		}
	}

	again := startSupervisor(t, m)
	again.waitOutput(t, "press Ctrl-C", supervisorUp)
	for i, n := range m.Nodes {
		want := fmt.Sprintf("%s: removed stale pid file %s (pid %d is no longer running)", n.Name, m.PIDPath(i), pids[i])
		if !strings.Contains(again.out.String(), want) {
			t.Errorf("restart output lacks %q:\n%s", want, again.out)
		}
	}
	newPIDs := nodePIDs(t, m)
	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := again.wait(t, supervisorDown); code != 0 {
		t.Fatalf("restarted testnet start: exit status %d after SIGTERM", code)
	}
	waitGone(t, "nodes of the restarted supervisor", newPIDs, nodesGone)
	report(t, "SIGKILL of the supervisor: nodes %v gone and stopped cleanly in %s; restart removed %d stale pid files",
		pids, took.Round(time.Millisecond), len(m.Nodes))
}

// TestNodeStopsWhenSupervisorIsGone checks the fallback of systems without
// Pdeathsig, on every unix: a node whose SupervisorEnv names its parent stops
// itself cleanly once that parent is SIGKILLed. The parent is a shell, which sets
// no Pdeathsig, so only the node's own watchdog can stop it.
func TestNodeStopsWhenSupervisorIsGone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node; skipped with -short")
	}
	m := initSupervised(t, 1)
	home, err := filepath.Abs(m.HomePath(0))
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(home, LogFile)
	sh := exec.Command("/bin/sh", "-c",
		SupervisorEnv+`=$$ "$0" start --home "$1" >>"$2" 2>&1 & echo $!; wait`, testBinary, home, logPath)
	stdout, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	shDone := make(chan struct{})
	var nodePID int
	t.Cleanup(func() {
		if nodePID > 0 && processAlive(nodePID) {
			_ = syscall.Kill(nodePID, syscall.SIGKILL)
		}
		_ = sh.Process.Kill()
		<-shDone
		if t.Failed() {
			dumpLogTail(t, "node0", logPath)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() { _ = sh.Wait(); close(shDone) }()
	if err != nil {
		t.Fatalf("reading the node's pid from the shell: %v", err)
	}
	if nodePID, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
		t.Fatalf("shell printed %q, not a pid", line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartupTimeout)
	defer cancel()
	if _, err := testutil.WaitHeight(ctx, testutil.NewRPC(t, m.Nodes[0].RPC), 1); err != nil {
		t.Fatal(err)
	}
	if !processAlive(nodePID) {
		t.Fatal("node exited while its supervisor was alive")
	}

	killed := time.Now()
	if err := sh.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-shDone
	waitGone(t, "node whose supervisor was SIGKILLed", []int{nodePID}, nodesGone)
	took := time.Since(killed)
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"testnet supervisor (pid " + strconv.Itoa(sh.Process.Pid) + ") is gone", "stopping poaledger node"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("node log lacks %q", want)
		}
	}
	report(t, "watchdog: node %d stopped cleanly %s after its parent shell %d was SIGKILLed", nodePID,
		took.Round(time.Millisecond), sh.Process.Pid)
}

// TestStartRefusesTakenPorts: a node of the testnet running without a pid file (an
// orphan of an older supervisor, or one started by hand) holds the testnet's
// ports; `testnet start` names them, exits 1 and leaves that node alone, instead
// of starting nodes that fail on their locked homes while the orphan answers.
func TestStartRefusesTakenPorts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node; skipped with -short")
	}
	m := initSupervised(t, 1)
	home, err := filepath.Abs(m.HomePath(0))
	if err != nil {
		t.Fatal(err)
	}
	orphanLog, err := os.Create(filepath.Join(t.TempDir(), "orphan.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer orphanLog.Close()
	orphan := exec.Command(testBinary, "start", "--home", home)
	orphan.Stdout, orphan.Stderr = orphanLog, orphanLog
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	orphanDone := make(chan error, 1)
	go func() { orphanDone <- orphan.Wait() }()
	t.Cleanup(func() {
		_ = orphan.Process.Signal(syscall.SIGTERM)
		select {
		case <-orphanDone:
		case <-time.After(supervisorDown):
			_ = orphan.Process.Kill()
			<-orphanDone
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), StartupTimeout)
	defer cancel()
	if _, err := testutil.WaitHeight(ctx, testutil.NewRPC(t, m.Nodes[0].RPC), 1); err != nil {
		t.Fatal(err)
	}

	s := startSupervisor(t, m)
	code := s.wait(t, supervisorUp)
	out := s.out.String()
	if code != 1 {
		t.Fatalf("testnet start on taken ports: exit status %d, want 1; output:\n%s", code, out)
	}
	for _, want := range []string{"node0 rpc " + strings.TrimPrefix(m.Nodes[0].RPC, "tcp://"), "--home " + filepath.Join(filepath.Dir(home), "node")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "running") && strings.Contains(out, "press Ctrl-C") {
		t.Errorf("testnet start claimed to run:\n%s", out)
	}
	select {
	case err := <-orphanDone:
		t.Fatalf("the running node exited: %v", err)
	default:
	}
	report(t, "taken ports: testnet start exited 1: %s", strings.TrimSpace(out))
}

// TestStartReportsLockedHome: a node whose home is locked by another process (here
// the test holds the ledger directory's flock, as an open Badger database does)
// fails at start; `testnet start` says the home is locked and, with no node left,
// exits 1 instead of running with zero nodes.
func TestStartReportsLockedHome(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node; skipped with -short")
	}
	m := initSupervised(t, 1)
	home, err := filepath.Abs(m.HomePath(0))
	if err != nil {
		t.Fatal(err)
	}
	ledgerDir := filepath.Join(home, "data", "ledger") // config.DefaultLedgerDir
	if err := os.MkdirAll(ledgerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := os.Open(ledgerDir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}

	s := startSupervisor(t, m)
	code := s.wait(t, supervisorUp+supervisorDown)
	out := s.out.String()
	if code != 1 {
		t.Fatalf("testnet start with a locked home: exit status %d, want 1; output:\n%s", code, out)
	}
	if want := "its home " + home + " is locked by another process"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	if _, err := os.Stat(m.PIDPath(0)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file of the failed node left behind (%v)", err)
	}
	report(t, "locked home: testnet start exited 1: %s", strings.TrimSpace(out))
}

// TestStartExitsWhenEveryNodeIsGone: a node that dies while the testnet runs is
// reported and the others keep going; once none is left `testnet start` exits 1
// rather than supervising zero nodes.
func TestStartExitsWhenEveryNodeIsGone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a testnet; skipped with -short")
	}
	m := initSupervised(t, 2)
	s := startSupervisor(t, m)
	s.waitOutput(t, "press Ctrl-C", supervisorUp)
	pids := nodePIDs(t, m)
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.waitOutput(t, "node node0 exited unexpectedly (signal: killed)", supervisorDown)
	select {
	case <-s.done:
		t.Fatalf("testnet start exited with a node still running:\n%s", s.out)
	default:
	}
	if err := syscall.Kill(pids[1], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t, supervisorDown); code != 1 {
		t.Fatalf("testnet start with no node left: exit status %d, want 1; output:\n%s", code, s.out)
	}
	if want := "every node has exited"; !strings.Contains(s.out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, s.out)
	}
	for i := range m.Nodes {
		if _, err := os.Stat(m.PIDPath(i)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after the node exited (%v)", m.PIDPath(i), err)
		}
	}
}

// TestRunningNodesRemovesStalePIDFiles: pid files naming a dead process, a live
// process that is not the node (the pid was reused), or no pid at all are stale:
// RunningNodes reports no running node, removes each file and says why.
func TestRunningNodesRemovesStalePIDFiles(t *testing.T) {
	m, err := Init(InitOptions{Dir: t.TempDir(), Validators: 3, BasePort: 30000})
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command(testBinary, "version")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	contents := []string{strconv.Itoa(dead.Process.Pid), strconv.Itoa(os.Getpid()), "not a pid"}
	for i, c := range contents {
		if err := os.WriteFile(m.PIDPath(i), []byte(c+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	running, notes := RunningNodes(m)
	if len(running) != 0 {
		t.Fatalf("running %+v, want none", running)
	}
	want := []string{
		fmt.Sprintf("node0: removed stale pid file %s (pid %d is no longer running)", m.PIDPath(0), dead.Process.Pid),
		fmt.Sprintf("node1: removed stale pid file %s (pid %d is now another process, not this node)", m.PIDPath(1), os.Getpid()),
		"node2: removed unreadable pid file",
	}
	if len(notes) != len(want) {
		t.Fatalf("notes %q, want %d", notes, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(notes[i], w) {
			t.Errorf("note %q, want prefix %q", notes[i], w)
		}
		if _, err := os.Stat(m.PIDPath(i)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", m.PIDPath(i), err)
		}
	}
}
