package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/prometheus/client_golang/prometheus"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestNodeStartsCommitsAndRestarts runs a real one-validator node in-process: it
// must produce blocks, stop cleanly, and restart at the same height and app hash.
func TestNodeStartsCommitsAndRestarts(t *testing.T) {
	home := t.TempDir()
	if _, err := InitHome(InitOptions{Home: home, ChainID: "node-test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := InitHome(InitOptions{Home: home, ChainID: "node-test"}); err == nil {
		t.Fatal("InitHome overwrote an existing home without Force")
	}
	rpcPort, p2pPort := freePort(t), freePort(t)
	opts := Options{
		Registerer: prometheus.NewRegistry(),
		LogWriter:  io.Discard,
		Override: func(c *cmtcfg.Config) {
			c.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", rpcPort)
			c.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p2pPort)
			c.Instrumentation.Prometheus = false
			c.Consensus.TimeoutCommit = 100 * time.Millisecond
			c.Consensus.CreateEmptyBlocks = true
			c.Consensus.CreateEmptyBlocksInterval = 0
		},
	}
	n, err := New(home, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for n.CometBFT().BlockStore().Height() < 3 {
		if time.Now().After(deadline) {
			n.Stop()
			t.Fatalf("no block 3 within 30 s (height %d)", n.CometBFT().BlockStore().Height())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	h := n.store.LastCommit()
	// A second node on the same home must reopen the ledger at the same commit.
	n2, err := New(home, Options{Registerer: prometheus.NewRegistry(), LogWriter: io.Discard, Override: opts.Override})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Stop()
	if got := n2.store.LastCommit(); got.Version != h.Version || string(got.Hash) != string(h.Hash) {
		t.Fatalf("after restart ledger at %d/%X, before %d/%X", got.Version, got.Hash, h.Version, h.Hash)
	}
	info, err := n2.CometBFT().ProxyApp().Query().Info(context.Background(), nil)
	if err == nil && info.LastBlockHeight != h.Version {
		t.Fatalf("Info height %d, want %d", info.LastBlockHeight, h.Version)
	}
}
