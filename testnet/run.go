package testnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// StartupTimeout bounds how long Run waits for every node's RPC to answer.
const StartupTimeout = 60 * time.Second

// ErrAllExited is returned by Run when every node has exited on its own.
var ErrAllExited = errors.New("testnet: every node has exited")

// Run starts every node of the testnet in dir with the binary exe, prints the
// endpoints to w, and runs until ctx ends (Ctrl-C, SIGTERM or SIGHUP in the CLI);
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
func Run(ctx context.Context, dir, exe string, w io.Writer) error {
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
	cancel()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "testnet %s (chain %s) running, %d nodes:\n", dir, m.ChainID, len(m.Nodes))
	c.PrintEndpoints(w)
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
