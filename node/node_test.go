package node_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/internal/testutil"
	"github.com/poaledger/poaledger/node"
)

// TestNodeStartsCommitsAndRestarts runs a real one-validator node in-process: it
// must produce blocks, stop cleanly, and restart at the same height and app hash.
func TestNodeStartsCommitsAndRestarts(t *testing.T) {
	tn := testutil.StartNode(t, testutil.WithChainID("node-test"), testutil.WithConfig(func(c *cmtcfg.Config) {
		c.Consensus.TimeoutCommit = 100 * time.Millisecond
		c.Consensus.CreateEmptyBlocks = true
		c.Consensus.CreateEmptyBlocksInterval = 0
	}))
	if _, err := node.InitHome(node.InitOptions{Home: tn.Home, ChainID: "node-test"}); err == nil {
		t.Fatal("InitHome overwrote an existing home without Force")
	}
	n := tn.Node
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := testutil.Poll(ctx, "block 3", func(context.Context) error {
		if h := n.CometBFT().BlockStore().Height(); h < 3 {
			return fmt.Errorf("height %d", h)
		}
		return nil
	}); err != nil {
		t.Fatalf("no block 3 within 30 s: %v", err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	h := node.LedgerStore(n).LastCommit()
	// A second node on the same home must reopen the ledger at the same commit.
	overridden := false
	n2, err := node.New(tn.Home, node.Options{Registerer: prometheus.NewRegistry(), LogWriter: io.Discard,
		Override: func(*cmtcfg.Config) { overridden = true }})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Stop()
	if !overridden {
		t.Fatal("New did not apply Options.Override")
	}
	if got := node.LedgerStore(n2).LastCommit(); got.Version != h.Version || string(got.Hash) != string(h.Hash) {
		t.Fatalf("after restart ledger at %d/%X, before %d/%X", got.Version, got.Hash, h.Version, h.Hash)
	}
	info, err := n2.CometBFT().ProxyApp().Query().Info(context.Background(), nil)
	if err == nil && info.LastBlockHeight != h.Version {
		t.Fatalf("Info height %d, want %d", info.LastBlockHeight, h.Version)
	}
}
