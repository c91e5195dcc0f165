package testnet

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"
)

// StartupTimeout bounds how long Run waits for every node's RPC to answer.
const StartupTimeout = 60 * time.Second

// Run starts every node of the testnet in dir with the binary exe, prints the
// endpoints to w, and runs until ctx ends (Ctrl-C/SIGTERM in the CLI); then it
// stops every node (SIGTERM, SIGKILL after DefaultStopTimeout). A node that dies
// meanwhile is reported on w; the others keep running.
func Run(ctx context.Context, dir, exe string, w io.Writer) error {
	m, err := LoadManifest(dir)
	if err != nil {
		return err
	}
	if m.Docker {
		return fmt.Errorf("testnet: %s was generated for hostnames (--docker/--hostnames); run it with docker-compose, not `testnet start`", dir)
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
			fmt.Fprintf(w, "node %s exited unexpectedly (%v); see %s\n", e.Node, e.Err,
				filepath.Join(dir, e.Node, LogFile))
		}
	}
}
