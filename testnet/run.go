package testnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// StartupTimeout bounds how long Run waits for every node's RPC to answer.
const StartupTimeout = 60 * time.Second

// ErrAllExited is returned by Run when every node has exited on its own.
var ErrAllExited = errors.New("testnet: every node has exited")

// Hints are what the commands Run prints use, so that they run as printed.
type Hints struct {
	// Self is how the user's shell runs this poaledger binary ("./build/poaledger",
	// "poaledger" when it is the one on PATH, else its absolute path); empty: exe.
	Self string
	// Example is an EPCIS document to record (e.g. "examples/01-commission.json");
	// empty when none is at hand.
	Example string
}

// Run starts every node of the testnet in dir with the binary exe, prints the
// endpoints and commands to use them (see Hints) to w, and runs until ctx ends (Ctrl-C, SIGTERM or SIGHUP in the CLI);
// then it stops every node (SIGTERM, SIGKILL after DefaultStopTimeout) and returns
// nil. A node that dies meanwhile is reported on w, with its cause when its log
// shows a known one (home locked, port taken); the others keep running, and once
// none is left Run stops with ErrAllExited.
//
// Before starting anything Run checks the nodes' pid files (see RunningNodes): if
// a node of this testnet is still running it returns a *RunningError naming the
// nodes and pids and starts nothing; stale pid files are removed with a note on w.
// It then returns ErrPortsInUse, naming them, if something already listens on a
// port of the testnet (a node running without a pid file would otherwise answer
// for the new nodes, which fail on their locked homes).
// The nodes die with the supervisor however it ends (see Cluster.Start).
func Run(ctx context.Context, dir, exe string, w io.Writer, h Hints) error {
	m, err := LoadManifest(dir)
	if err != nil {
		return err
	}
	if m.Docker {
		return fmt.Errorf("testnet: %s was generated for hostnames (--docker/--hostnames); run it with docker-compose, not `testnet start`", dir)
	}
	running, notes := RunningNodes(m)
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	if len(running) > 0 {
		return &RunningError{Dir: dir, Nodes: running}
	}
	if busy := listeningAddrs(m); len(busy) > 0 {
		abs, err := filepath.Abs(m.dir)
		if err != nil {
			abs = m.dir
		}
		return fmt.Errorf("%w: %s are taken; a node of %s may still be running without a pid file (an orphan of an "+
			"older `testnet start`, or one started by hand: look for it with `pgrep -af -- '--home %s'`), or another "+
			"program holds them (then choose other ports with `testnet init --base-port`)",
			ErrPortsInUse, strings.Join(busy, ", "), dir, filepath.Join(abs, "node"))
	}
	c := NewCluster(m, exe)
	defer func() {
		fmt.Fprintln(w, "stopping nodes...")
		if err := c.StopAll(DefaultStopTimeout); err != nil {
			fmt.Fprintln(w, err)
		}
		fmt.Fprintln(w, "all nodes stopped")
	}()
	if err := c.StartAll(); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, StartupTimeout)
	err = c.WaitReady(rctx)
	if err == nil {
		// The printed commands must run as printed at once: wait for the first
		// block, and for every node to have caught up to it.
		err = waitFirstBlock(rctx, c)
	}
	cancel()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "testnet %s (chain %s) running, %d nodes:\n", dir, m.ChainID, len(m.Nodes))
	c.PrintEndpoints(w)
	if h.Self == "" {
		h.Self = ShellQuote(exe)
	}
	printHints(w, m, dir, h)
	fmt.Fprintln(w, "press Ctrl-C to stop")
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-c.Exits():
			why := ""
			if e.Reason != "" {
				why = ": " + e.Reason
			}
			fmt.Fprintf(w, "node %s exited unexpectedly (%v)%s; see %s\n", e.Node, exitStatus(e.Err), why,
				filepath.Join(dir, e.Node, LogFile))
			if c.NumRunning() == 0 {
				return fmt.Errorf("%w (%d nodes), nothing left to run; see the messages above and each node's %s",
					ErrAllExited, len(m.Nodes), LogFile)
			}
		}
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// printHints prints commands that run as printed, from the directory Run was
// started in: the binary as the user ran it, a real example document, the homes
// under dir and the nodes' real RPC addresses.
func printHints(w io.Writer, m *Manifest, dir string, h Hints) {
	n0 := m.Nodes[0]
	home0 := ShellQuote(filepath.Join(dir, n0.Home))
	fmt.Fprintln(w, "from another terminal, in this directory:")
	if rec, ok := m.Recorder(); ok {
		home := ShellQuote(filepath.Join(dir, rec.Home))
		if h.Example != "" {
			fmt.Fprintf(w, "  # record an example event with the demo key %q (role recorder):\n", rec.Name)
			fmt.Fprintf(w, "  %s tx record %s --from %s --home %s --node %s --wait\n", h.Self, ShellQuote(h.Example), rec.Name, home, n0.RPC)
		} else {
			fmt.Fprintf(w, "  # record an EPCIS 2.0 document FILE with the demo key %q (role recorder):\n", rec.Name)
			fmt.Fprintf(w, "  %s tx record FILE --from %s --home %s --node %s --wait\n", h.Self, rec.Name, home, n0.RPC)
		}
	}
	fmt.Fprintln(w, "  # the members, read and verified from the testnet's genesis:")
	fmt.Fprintf(w, "  %s query members --prove --home %s --node %s\n", h.Self, home0, n0.RPC)
	last := m.Nodes[len(m.Nodes)-1]
	fmt.Fprintf(w, "  # every validator's home holds an authority key %q (tx propose, tx vote --from %s); a node's status:\n",
		AuthorityKeyName, AuthorityKeyName)
	fmt.Fprintf(w, "  %s status --node %s\n", h.Self, last.RPC)
}

// ShellQuote quotes s for sh when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// waitFirstBlock waits until every running node reports a block and is not
// catching up. A node that exits meanwhile is left to Run's loop to report.
func waitFirstBlock(ctx context.Context, c *Cluster) error {
	for i, n := range c.m.Nodes {
		cl, err := rpchttp.New(n.RPC, "/websocket")
		if err != nil {
			return fmt.Errorf("testnet: %s: %w", n.Name, err)
		}
		for c.Running(i) {
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			st, err := cl.Status(sctx)
			cancel()
			if err == nil && st.SyncInfo.LatestBlockHeight >= 1 && !st.SyncInfo.CatchingUp {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("testnet: %s has made no block yet: %w", n.Name, ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}
