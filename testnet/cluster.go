package testnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// DefaultStopTimeout is how long Stop waits after SIGTERM before SIGKILL.
const DefaultStopTimeout = 15 * time.Second

// LogFile is each node's log, inside its home.
const LogFile = "node.log"

var (
	// ErrRunning is returned when starting a node that is already running.
	ErrRunning = errors.New("testnet: node already running")
	// ErrNotRunning is returned when signalling a node that is not running.
	ErrNotRunning = errors.New("testnet: node not running")
)

// Exit reports a node process that ended without being asked to.
type Exit struct {
	Node string
	Err  error // from exec.Cmd.Wait; nil for exit status 0
	// Reason is a known cause found in the node's log since it started (its home
	// locked by another process, a port taken), or "".
	Reason string
}

type proc struct {
	cmd      *exec.Cmd
	done     chan struct{} // closed when Wait returned
	err      error         // Wait's result, valid after done
	reason   string        // exitReason, valid after done
	log      *os.File
	expected bool // set before we signal it, so its exit is not reported
}

// Cluster runs the nodes of a testnet as OS processes of the poaledger binary
// (`poaledger start --home <home>`). Its methods are safe for concurrent use.
type Cluster struct {
	m     *Manifest
	exe   string
	exits chan Exit

	mu    sync.Mutex
	procs []*proc
}

// NewCluster returns a cluster for m run with the binary exe; nothing starts yet.
func NewCluster(m *Manifest, exe string) *Cluster {
	return &Cluster{m: m, exe: exe, exits: make(chan Exit, 4*len(m.Nodes)), procs: make([]*proc, len(m.Nodes))}
}

// Manifest is the cluster's testnet description.
func (c *Cluster) Manifest() *Manifest { return c.m }

// Exits delivers nodes that died unexpectedly (buffered; old reports are dropped
// when nobody reads them).
func (c *Cluster) Exits() <-chan Exit { return c.exits }

// Start starts node i (`poaledger start --home <absolute home>`), appending its
// output to <home>/node.log, and writes its pid to <home>/node.pid (PIDFile),
// removed again when the process exits. It refuses (ErrRunning) when the pid file
// names a live node process for that home, e.g. one run by another supervisor; a
// stale pid file is replaced. The node is linked to this process: on Linux the
// kernel sends it SIGTERM when this process dies (Pdeathsig), and on every unix
// it gets SupervisorEnv so that WatchSupervisor stops it when it is re-parented.
func (c *Cluster) Start(i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	name := c.m.Nodes[i].Name
	if p := c.procs[i]; p != nil && !isDone(p) {
		return fmt.Errorf("%w: %s", ErrRunning, name)
	}
	if r, _ := checkPIDFile(c.m, i); r != nil {
		return fmt.Errorf("%w: %s as pid %d (%s)", ErrRunning, name, r.PID, r.PIDFile)
	}
	home, err := filepath.Abs(c.m.HomePath(i))
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	logPath, pidPath := filepath.Join(home, LogFile), filepath.Join(home, PIDFile)
	lf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	var logStart int64
	if st, err := lf.Stat(); err == nil {
		logStart = st.Size()
	}
	cmd := exec.Command(c.exe, "start", "--home", home)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = sysProcAttr()
	cmd.Env = append(os.Environ(), SupervisorEnv+"="+strconv.Itoa(os.Getpid()))
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("testnet: start %s: %w", name, err)
	}
	pid := cmd.Process.Pid
	if err := writePIDFile(pidPath, pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		lf.Close()
		return fmt.Errorf("testnet: start %s: pid file: %w", name, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), log: lf}
	c.procs[i] = p
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		removePIDFile(pidPath, pid)
		p.reason = exitReason(logPath, logStart, home)
		c.mu.Lock()
		expected := p.expected
		c.mu.Unlock()
		close(p.done)
		if !expected {
			select {
			case c.exits <- Exit{Node: name, Err: p.err, Reason: p.reason}:
			default:
			}
		}
	}()
	return nil
}

// StartAll starts every node that is not running.
func (c *Cluster) StartAll() error {
	for i := range c.m.Nodes {
		if c.Running(i) {
			continue
		}
		if err := c.Start(i); err != nil {
			return err
		}
	}
	return nil
}

func isDone(p *proc) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Running reports whether node i's process is alive (it may be paused).
func (c *Cluster) Running(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.procs[i]
	return p != nil && !isDone(p)
}

// NumRunning is how many nodes' processes are alive.
func (c *Cluster) NumRunning() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, p := range c.procs {
		if p != nil && !isDone(p) {
			n++
		}
	}
	return n
}

// exitReasonOf is the known cause of node i's last exit ("" if none or running).
func (c *Cluster) exitReasonOf(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.procs[i]; p != nil && isDone(p) {
		return p.reason
	}
	return ""
}

// PID returns node i's process id, or 0 when it is not running.
func (c *Cluster) PID(i int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.procs[i]; p != nil && !isDone(p) {
		return p.cmd.Process.Pid
	}
	return 0
}

// running returns node i's live process, marking its coming exit as expected
// when expect is set.
func (c *Cluster) running(i int, expect bool) (*proc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.procs[i]
	if p == nil || isDone(p) {
		return nil, fmt.Errorf("%w: %s", ErrNotRunning, c.m.Nodes[i].Name)
	}
	if expect {
		p.expected = true
	}
	return p, nil
}

// Stop stops node i cleanly: SIGCONT (in case it is paused) and SIGTERM, then
// SIGKILL if it has not exited within timeout. It returns once the process is gone.
func (c *Cluster) Stop(i int, timeout time.Duration) error {
	p, err := c.running(i, true)
	if err != nil {
		return err
	}
	_ = resumeProcess(p.cmd.Process)
	if err := terminateProcess(p.cmd.Process); err != nil && !isDone(p) {
		return fmt.Errorf("testnet: stop %s: %w", c.m.Nodes[i].Name, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("testnet: %s did not stop within %s after SIGTERM; killed", c.m.Nodes[i].Name, timeout)
}

// Kill sends SIGKILL to node i and waits until the process is gone.
func (c *Cluster) Kill(i int) error {
	p, err := c.running(i, true)
	if err != nil {
		return err
	}
	if err := p.cmd.Process.Kill(); err != nil && !isDone(p) {
		return fmt.Errorf("testnet: kill %s: %w", c.m.Nodes[i].Name, err)
	}
	<-p.done
	return nil
}

// Pause freezes node i (SIGSTOP); Resume continues it (SIGCONT).
func (c *Cluster) Pause(i int) error {
	p, err := c.running(i, false)
	if err != nil {
		return err
	}
	return pauseProcess(p.cmd.Process)
}

// Resume continues a paused node i.
func (c *Cluster) Resume(i int) error {
	p, err := c.running(i, false)
	if err != nil {
		return err
	}
	return resumeProcess(p.cmd.Process)
}

// StopAll stops every running node in parallel (see Stop).
func (c *Cluster) StopAll(timeout time.Duration) error {
	var wg sync.WaitGroup
	errs := make([]error, len(c.m.Nodes))
	for i := range c.m.Nodes {
		if !c.Running(i) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Stop(i, timeout); err != nil && !errors.Is(err, ErrNotRunning) {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// WaitReady polls each running node's RPC /status until all answer or ctx ends.
func (c *Cluster) WaitReady(ctx context.Context) error {
	for i, n := range c.m.Nodes {
		if !c.Running(i) {
			continue
		}
		cl, err := rpchttp.New(n.RPC, "/websocket")
		if err != nil {
			return fmt.Errorf("testnet: %s: %w", n.Name, err)
		}
		for {
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := cl.Status(sctx)
			cancel()
			if err == nil {
				break
			}
			if !c.Running(i) {
				why := ""
				if r := c.exitReasonOf(i); r != "" {
					why = ": " + r
				}
				return fmt.Errorf("testnet: %s exited during start-up%s; see %s", n.Name, why, filepath.Join(c.m.HomePath(i), LogFile))
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("testnet: %s RPC %s not ready: %w (last error: %v)", n.Name, n.RPC, ctx.Err(), err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// PrintEndpoints writes each node's endpoints (Run then prints commands to use
// them, see printHints).
func (c *Cluster) PrintEndpoints(w io.Writer) {
	m := c.m
	for _, n := range m.Nodes {
		role := "full node"
		if n.Validator {
			role = "validator"
		}
		fmt.Fprintf(w, "  %-7s %-9s rpc %-24s metrics %-36s log %s\n", n.Name, role, n.RPC, n.Metrics,
			filepath.Join(m.dir, n.Home, LogFile))
	}
}
