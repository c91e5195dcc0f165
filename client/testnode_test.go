package client

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/keyring"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/node"
)

// testNode is a real single-validator poaledger node running in-process.
type testNode struct {
	Home    string
	ChainID string
	RPC     string // tcp://127.0.0.1:port
	HTTP    string // http://127.0.0.1:port
	Admin   keyring.Key
	n       *node.Node
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startTestNode initialises a home in a temp dir (free ports, Prometheus off, fast
// blocks), starts the node and waits until it has produced its first block.
func startTestNode(t testing.TB) *testNode {
	t.Helper()
	home := t.TempDir()
	chainID := "client-test"
	if _, err := node.InitHome(node.InitOptions{Home: home, ChainID: chainID, Moniker: "val0"}); err != nil {
		t.Fatalf("init home: %v", err)
	}
	cfg, err := config.LoadCometBFT(home)
	if err != nil {
		t.Fatal(err)
	}
	rpcPort := freePort(t)
	cfg.RPC.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(rpcPort)
	cfg.P2P.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(freePort(t))
	cfg.Instrumentation.Prometheus = false
	cfg.Consensus.TimeoutCommit = 100 * time.Millisecond
	cfg.Consensus.TimeoutPropose = 500 * time.Millisecond
	cfg.LogLevel = "error"
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)

	logf, err := os.Create(filepath.Join(home, "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(home, node.Options{Version: "test", Registerer: prometheus.NewRegistry(), LogWriter: logf})
	if err != nil {
		logf.Close()
		t.Fatalf("node.New: %v", err)
	}
	if err := n.Start(); err != nil {
		logf.Close()
		t.Fatalf("node start: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("node stop: %v", err)
		}
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil && len(b) > 0 {
				t.Logf("node log:\n%s", b)
			}
		}
	})
	admin, err := keyring.New(home).Get(node.AdminKeyName)
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{Home: home, ChainID: chainID, RPC: cfg.RPC.ListenAddress,
		HTTP: "http://127.0.0.1:" + strconv.Itoa(rpcPort), Admin: admin, n: n}

	c, err := New(tn.RPC)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		st, err := c.rpc.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= 1 {
			return tn
		}
		select {
		case <-ctx.Done():
			t.Fatalf("node did not produce block 1: last error %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// GenesisFile is the node's genesis.json, the client's trust root in tests.
func (tn *testNode) GenesisFile() string { return filepath.Join(tn.Home, "config", "genesis.json") }
