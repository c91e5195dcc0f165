package testnet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PIDFile is written into each node's home by the supervisor (Cluster.Start)
// while the node runs: its process id and a newline. It is removed when the
// supervisor sees the node exit; one left behind by a supervisor that was killed
// is stale, and RunningNodes removes it.
const PIDFile = "node.pid"

// SupervisorEnv is set in each node's environment to the supervisor's pid; a
// `poaledger` process that finds it runs WatchSupervisor.
const SupervisorEnv = "POALEDGER_TESTNET_SUPERVISOR"

// SupervisorPollInterval is how often a node checks that its supervisor is still
// its parent (the fallback where the kernel cannot signal it: every unix but Linux).
const SupervisorPollInterval = time.Second

// PIDPath is node i's pid file.
func (m *Manifest) PIDPath(i int) string { return filepath.Join(m.HomePath(i), PIDFile) }

// WatchSupervisor makes a node started by a Cluster stop when its supervisor is
// gone: if SupervisorEnv holds a pid, a goroutine polls the parent pid every
// SupervisorPollInterval and, once it differs (the supervisor died and the node
// was re-parented), sends the process SIGTERM (the node's clean stop), and exits
// it with status 1 if it is still alive DefaultStopTimeout later. On Linux the
// kernel signals the node at once anyway (Pdeathsig); this is the fallback on
// other unix systems and a second line on Linux. It does nothing outside unix or
// when the variable is unset, and reports whether it started watching.
func WatchSupervisor() bool {
	v := os.Getenv(SupervisorEnv)
	if v == "" {
		return false
	}
	pid, err := strconv.Atoi(v)
	if err != nil || pid <= 0 {
		fmt.Fprintf(os.Stderr, "poaledger: ignoring %s=%q: not a pid\n", SupervisorEnv, v)
		return false
	}
	go watchSupervisor(pid, SupervisorPollInterval, DefaultStopTimeout, os.Stderr)
	return true
}

// writePIDFile writes pid to path atomically (temp file and rename).
func writePIDFile(path string, pid int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s does not hold a pid: %q", path, bytes.TrimSpace(b))
	}
	return pid, nil
}

// removePIDFile removes path if it still names pid (a newer node's file stays).
func removePIDFile(path string, pid int) {
	if got, err := readPIDFile(path); err == nil && got == pid {
		_ = os.Remove(path)
	}
}

// isNodeProcess reports whether pid is a live `poaledger start --home HOME`
// process for home: on Linux its /proc/<pid>/cmdline, elsewhere ps, must show
// "start --home " followed by a path that is the same directory as home (the
// supervisor always passes --home last, as an absolute path). A recycled pid of an
// unrelated process, or a zombie, is not. Where the command line cannot be read
// (outside unix, or ps fails) a live pid is trusted.
func isNodeProcess(pid int, home string) bool {
	if !processAlive(pid) {
		return false
	}
	cmd, err := processCommand(pid)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) // cannot tell: trust the live pid
	}
	const marker = " start --home "
	i := strings.LastIndex(cmd, marker)
	if i < 0 {
		return false
	}
	return sameDir(cmd[i+len(marker):], home)
}

func sameDir(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(sa, sb)
}

// RunningNode is a node of a testnet whose pid file names a live node process.
type RunningNode struct {
	Node    string
	PID     int
	PIDFile string
}

// RunningError is returned by Run (`testnet start`) when nodes of the testnet are
// still running, for example under another `testnet start`. It matches ErrRunning.
type RunningError struct {
	Dir   string
	Nodes []RunningNode
}

func (e *RunningError) Error() string {
	var nodes, pids []string
	for _, n := range e.Nodes {
		nodes = append(nodes, fmt.Sprintf("%s (pid %d)", n.Node, n.PID))
		pids = append(pids, strconv.Itoa(n.PID))
	}
	return fmt.Sprintf("testnet: %d node(s) of %s are still running: %s; stop the `testnet start` that runs them "+
		"(Ctrl-C in its terminal) or run `kill %s`, then start again",
		len(e.Nodes), e.Dir, strings.Join(nodes, ", "), strings.Join(pids, " "))
}

// Unwrap makes errors.Is(err, ErrRunning) hold.
func (e *RunningError) Unwrap() error { return ErrRunning }

// RunningNodes checks every node's pid file: a file naming a live poaledger
// process for that node's home (see isNodeProcess) lists the node as running; a
// stale file (dead pid, a pid now used by another process, unreadable content) is
// removed and described in notes.
func RunningNodes(m *Manifest) (running []RunningNode, notes []string) {
	for i, n := range m.Nodes {
		r, note := checkPIDFile(m, i)
		if r != nil {
			running = append(running, *r)
		}
		if note != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", n.Name, note))
		}
	}
	return running, notes
}

// checkPIDFile inspects node i's pid file: the running node it names, or a note
// about the stale file it removed (both nil/empty when there is no file).
func checkPIDFile(m *Manifest, i int) (*RunningNode, string) {
	path := m.PIDPath(i)
	pid, err := readPIDFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ""
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Sprintf("removed unreadable pid file (%v)", err)
	}
	home, err := filepath.Abs(m.HomePath(i))
	if err != nil {
		home = m.HomePath(i)
	}
	if isNodeProcess(pid, home) {
		return &RunningNode{Node: m.Nodes[i].Name, PID: pid, PIDFile: path}, ""
	}
	_ = os.Remove(path)
	why := "no longer running"
	if processAlive(pid) {
		why = "now another process, not this node"
	}
	return nil, fmt.Sprintf("removed stale pid file %s (pid %d is %s)", path, pid, why)
}

// ErrPortsInUse is returned by Run when something already listens on a port of
// the testnet, e.g. a node of it running without a pid file.
var ErrPortsInUse = errors.New("testnet: ports of the testnet are already in use")

// portProbeTimeout bounds each connection attempt of listeningAddrs.
const portProbeTimeout = time.Second

// listeningAddrs returns "NODE KIND HOST:PORT" for every RPC, p2p and metrics
// address of m on which something accepts TCP connections. Only a listener
// accepts, so sockets of outgoing connections on these ports do not count.
func listeningAddrs(m *Manifest) []string {
	var busy []string
	for _, n := range m.Nodes {
		for _, a := range []struct{ kind, addr string }{
			{"rpc", strings.TrimPrefix(n.RPC, "tcp://")},
			{"p2p", n.P2P[strings.LastIndexByte(n.P2P, '@')+1:]},
			{"metrics", hostPort(n.Metrics)},
		} {
			if a.addr == "" {
				continue
			}
			c, err := net.DialTimeout("tcp", a.addr, portProbeTimeout)
			if err == nil {
				c.Close()
				busy = append(busy, n.Name+" "+a.kind+" "+a.addr)
			}
		}
	}
	return busy
}

// hostPort is the host:port of an http:// URL ("" if it has none).
func hostPort(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return pu.Host
}

// exitReason looks through the log a node wrote since offset for a known cause
// of a failed start and describes it ("" when none is recognised).
func exitReason(logPath string, offset int64, home string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	const tail = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size()-offset > tail {
		offset = st.Size() - tail
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(f, tail))
	if err != nil {
		return ""
	}
	s := strings.ToLower(string(b))
	has := func(subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	switch {
	case has("already in use by another process", "another process is using this badger database",
		"cannot acquire directory lock", "resource temporarily unavailable"):
		return fmt.Sprintf("its home %s is locked by another process: a node of this testnet is probably still running "+
			"outside this supervisor (an orphan of an earlier `testnet start`?); find it with `pgrep -af -- '--home %s'`", home, home)
	case has("address already in use"):
		return "a port it listens on is taken by another process (another testnet or node on the same ports?)"
	}
	return ""
}
